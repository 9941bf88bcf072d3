"""Keras 0.2.0 ``keras.models``: ``Sequential`` as in 0.1.3, ``Graph`` with 0.2.0 inputs.

0.2.0's ``Graph.add_input(name, input_shape, dtype='float')`` takes the
per-sample shape (0.1.x took ``ndim``); ``add_node``/``add_output`` take
``concat_axis``.  ``model_from_json``/``model_from_yaml``/``model_from_config``
sniff which release wrote a config, so 0.1.x, 0.2.0 and 0.3.x files all load.
"""

from __future__ import annotations

from keras_legacy.models import (  # noqa: F401  (0.2.0 keras.models names)
    Sequential,
    model_from_config,
    model_from_json,
    model_from_yaml,
)
from keras_legacy.v020.graph_model import Graph  # noqa: F401
