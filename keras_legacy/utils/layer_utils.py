"""Keras 0.x ``keras.utils.layer_utils``: rebuild layers and containers from configs, print layer shapes.

The registry and the rebuilding live in ``keras_legacy.engine.layer_registry``;
this module keeps the 0.x import path.
"""

import numpy as np

from keras_legacy import backend as K
from keras_legacy.engine.layer_registry import (  # noqa: F401  (0.x keras.utils.layer_utils names)
    container_from_config,
    layer_from_config,
    layer_registry,
)
from keras_legacy.utils.generic_utils import get_from_module


def get_layer(identifier, kwargs=None, custom_layers=None):
    """The layer named ``identifier`` built with ``kwargs`` (a layer object is returned as it is).

    The constructors are the 0.1.3 ones (input-first: ``get_layer("Dense",
    {"input_dim": 4, "output_dim": 3})``); ``custom_layers`` (``{name: class}``,
    the 0.2.0 argument) adds classes.  0.2.0-style construction from a config
    goes through ``container_from_config(config, custom_layers=...)`` or
    ``keras_legacy.models.model_from_config``.
    """
    return get_from_module(identifier, layer_registry("0.1.3", custom_layers), "layer",
                           instantiate=True, kwargs=kwargs)


def _shape_inputs(model, input_shapes):
    """(symbolic inputs, zero arrays, layers to report) of ``print_layer_shapes``."""
    if hasattr(model, "input_order") and hasattr(model, "node_config"):  # a Graph: {input name: shape}
        if not isinstance(input_shapes, dict):
            raise TypeError(
                "print_layer_shapes: a Graph takes input_shapes as a dict {input name: full shape "
                f"with the batch axis}}, got {type(input_shapes).__name__}."
            )
        missing = [name for name in model.input_order if name not in input_shapes]
        if missing:
            raise ValueError(f"print_layer_shapes: input_shapes has no shape for the Graph input(s) {missing}.")
        inputs = [model.inputs[name].input for name in model.input_order]
        dummies = [np.zeros(input_shapes[name], dtype=K.floatx()) for name in model.input_order]
        return inputs, dummies, [model.nodes[node["name"]] for node in model.node_config]
    if not hasattr(model, "layers"):
        raise TypeError(
            "print_layer_shapes: expected a Sequential, a Merge or a Graph, "
            f"got {type(model).__name__}."
        )
    shapes = list(input_shapes) if isinstance(input_shapes[0], (tuple, list)) else [input_shapes]
    inputs = model.get_input(train=False)
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(shapes) != len(inputs):
        raise ValueError(
            f"print_layer_shapes: the model has {len(inputs)} input(s) but {len(shapes)} shape(s) "
            "were given (one full shape, batch axis first, per input)."
        )
    dummies = [np.zeros(shape, dtype=K.floatx()) for shape in shapes]
    return inputs, dummies, model.layers


def print_layer_shapes(model, input_shapes):
    """Print the output shape of every layer of ``model`` for zero inputs of ``input_shapes``.

    ``input_shapes``: one full shape (batch axis first) for a Sequential, a list
    of shapes for a model taking several inputs (Merge), a dict {input name:
    shape} for a Graph.  Each layer's output is computed by a compiled function,
    as in 0.x (so the shapes are the real ones, not inferred).
    """
    inputs, dummies, layers = _shape_inputs(model, input_shapes)
    print("input shapes : ", input_shapes)
    for layer in layers:
        shape_of = K.function(inputs, layer.get_output(train=False).shape)
        shape = tuple(int(n) for n in shape_of(*dummies))
        print("shape after %s: %s" % (layer.get_config()["name"], shape))
