"""Keras 0.2.0 ``keras.models``: the same model classes; 0.2.0 loaders take ``custom_layers``.

``model_from_json``/``model_from_yaml``/``model_from_config`` sniff which
release wrote a config, so 0.1.x and 0.2.0 files both load.
"""

from keras_legacy.models import (  # noqa: F401
    Graph,
    Sequential,
    model_from_config,
    model_from_json,
    model_from_yaml,
)
