"""Keras 0.x ``keras.utils.layer_utils``: rebuild layers and containers from configs.

The registry and the rebuilding live in ``keras_legacy.engine.layer_registry``;
this module keeps the 0.x import path.
"""

from keras_legacy.engine.layer_registry import (  # noqa: F401  (0.x keras.utils.layer_utils names)
    container_from_config,
    layer_from_config,
    layer_registry,
)
