"""Keras 0.2.0 ``keras.models``: ``Sequential`` as in 0.1.3, ``Graph`` with 0.2.0 inputs.

0.2.0's ``Graph.add_input(name, input_shape, dtype='float')`` takes the
per-sample shape (0.1.x took ``ndim``); ``add_node``/``add_output`` take
``concat_axis``.  ``model_from_json``/``model_from_yaml``/``model_from_config``
sniff which release wrote a config, so 0.1.x, 0.2.0 and 0.3.x files all load.
The helpers 0.2.0 kept in ``keras.models`` (batching, sample weights,
``weighted_objective``, ``get_function_name``) and the ``Model`` mixin are
the 0.1.3 ones: the release did not change them.
"""

from __future__ import annotations

from keras_legacy.models import (  # noqa: F401  (0.2.0 keras.models names)
    Model,
    Sequential,
    batch_shuffle,
    get_function_name,
    make_batches,
    model_from_config,
    model_from_json,
    model_from_yaml,
    slice_X,
    standardize_weights,
    standardize_X,
    standardize_y,
    weighted_objective,
)
from keras_legacy.v020.graph_model import Graph  # noqa: F401

__all__ = [
    "standardize_y", "batch_shuffle", "make_batches", "standardize_X", "slice_X",
    "weighted_objective", "standardize_weights", "model_from_yaml", "model_from_json",
    "model_from_config", "get_function_name", "Model", "Sequential", "Graph",
]
