"""Rebuild layers and containers from 0.x configs through an explicit registry.

A 0.x layer config is a flat dict whose ``"name"`` is the class name and whose
other keys are the constructor arguments (regularizers and constraints are
nested ``{"name": ..., ...}`` dicts).  The registry lists, per layer module,
the class names a config may name; the 0.2.0 and 0.3.x styles override the
names their modules define.  ``keras_legacy.utils.layer_utils`` exports
``container_from_config`` under its 0.x path.
"""

from __future__ import annotations

import copy

from keras_legacy import constraints, regularizers
from keras_legacy.engine.config_checks import check_layer_config
from keras_legacy.layers import (
    advanced_activations,
    containers,
    convolutional,
    core,
    embeddings,
    noise,
    normalization,
    recurrent,
)
from keras_legacy.utils.limits import short_repr
from keras_legacy.v020.layers import convolutional as convolutional_020
from keras_legacy.v020.layers import core as core_020
from keras_legacy.v020.layers import embeddings as embeddings_020
from keras_legacy.v020.layers import noise as noise_020
from keras_legacy.v020.layers import normalization as normalization_020
from keras_legacy.v020.layers import recurrent as recurrent_020
from keras_legacy.v03.layers import recurrent as recurrent_03

#: (module, the 0.x layer class names rebuilt from configs) of the 0.1.3 style.
_LAYER_SOURCES = (
    (core, ("Layer", "Masking", "Merge", "Dropout", "Activation", "Reshape", "Permute", "Flatten",
            "RepeatVector", "Dense", "ActivityRegularization", "TimeDistributedDense", "AutoEncoder",
            "MaxoutDense")),
    (recurrent, ("SimpleRNN", "SimpleDeepRNN", "GRU", "LSTM", "JZS1", "JZS2", "JZS3")),
    (embeddings, ("Embedding", "WordContextProduct")),
    (convolutional, ("Convolution1D", "Convolution2D", "MaxPooling1D", "MaxPooling2D", "ZeroPadding2D",
                     "UpSample1D", "UpSample2D")),
    (normalization, ("BatchNormalization",)),
    (noise, ("GaussianNoise", "GaussianDropout")),
    (advanced_activations, ("LeakyReLU", "PReLU")),
)

#: the 0.2.0 style (output-first constructors): these modules override the names they define.
_LAYER_SOURCES_020 = (
    (core_020, ("Layer", "Merge", "Masking", "Dropout", "Activation", "Reshape", "Permute", "Flatten",
                "RepeatVector", "Dense", "ActivityRegularization", "TimeDistributedDense", "MaxoutDense")),
    (recurrent_020, ("SimpleRNN", "SimpleDeepRNN", "GRU", "LSTM", "JZS1", "JZS2", "JZS3")),
    (embeddings_020, ("Embedding", "WordContextProduct")),
    (convolutional_020, ("Convolution1D", "Convolution2D", "MaxPooling1D", "MaxPooling2D", "ZeroPadding1D",
                         "ZeroPadding2D", "UpSample1D", "UpSample2D")),
    (normalization_020, ("BatchNormalization",)),
    (noise_020, ("GaussianNoise", "GaussianDropout")),
)

#: the 0.3.x style adds its recurrent layers (carry masking, go_backwards, stateful).
_RECURRENT_03 = ("SimpleRNN", "GRU", "LSTM")
_LAYER_SOURCES_03 = ((recurrent_03, _RECURRENT_03),)

STYLES = ("0.1.3", "0.2.0", "0.3.x")

#: keys every 0.3.x layer config carries that the 0.2.0 constructors do not take
_KEYS_03_IGNORED = ("cache_enabled", "custom_name", "name_suffix")


def _from_03_config(name, config):
    """Map a 0.3.x layer config onto the 0.2.0/0.3 constructors (in place)."""
    for key in _KEYS_03_IGNORED:
        config.pop(key, None)
    if config.pop("trainable", True) is not True:
        raise ValueError(f"{name}: trainable=False (Keras 0.3.x) is not supported when loading.")
    dim_ordering = config.pop("dim_ordering", "th")
    if dim_ordering != "th":
        raise ValueError(f"{name}: dim_ordering={short_repr(dim_ordering, 40)} is not supported (only 'th').")
    batch_input_shape = config.pop("batch_input_shape", None)
    if batch_input_shape is not None:
        if name in _RECURRENT_03:
            config["batch_input_shape"] = batch_input_shape  # a stateful layer needs the batch size
        else:
            config["input_shape"] = list(batch_input_shape[1:])

_REGULARIZER_KEYS = ("W_regularizer", "b_regularizer", "activity_regularizer")
#: config keys naming a function; a name found in ``custom_layers`` (custom objects) is replaced by it
_FUNCTION_KEYS = ("activation", "inner_activation", "init", "inner_init")
_CONSTRAINT_KEYS = ("W_constraint", "b_constraint")


def layer_registry(style="0.1.3", custom_layers=None):
    """``{class name: class}`` of every layer that can be rebuilt from a config.

    ``style`` picks the constructors: ``"0.1.3"`` (input-first) or ``"0.2.0"``
    (output-first, shape inference); ``custom_layers`` adds ``{name: class}``.
    """
    if style not in STYLES:
        raise ValueError(f"Unknown layer style {style!r}. Expected one of: {', '.join(STYLES)}.")
    sources = list(_LAYER_SOURCES)
    if style in ("0.2.0", "0.3.x"):
        sources += _LAYER_SOURCES_020
    if style == "0.3.x":
        sources += _LAYER_SOURCES_03
    registry = {}
    for module, names in sources:
        for name in names:
            cls = getattr(module, name, None)
            if cls is not None:
                registry[name] = cls
    registry.update(custom_layers or {})
    return registry


def _pop_name(config, what):
    if not isinstance(config, dict):
        raise TypeError(f"{what}: a config must be a dict, got {type(config).__name__}.")
    if "name" not in config:
        raise ValueError(f"{what}: the config has no 'name' key (the layer class name): {short_repr(config)}.")
    return config.pop("name")


def _nested(value, module):
    """A regularizer/constraint given as its nested config dict, rebuilt by ``module.get``."""
    if not isinstance(value, dict):
        return value
    params = dict(value)
    name = params.pop("name")
    return module.get(name, params)


def container_from_config(config, sequential_class=None, graph_class=None, style="0.1.3",
                          custom_layers=None):
    """Rebuild a layer, a ``Sequential`` or a ``Graph`` from its 0.x config.

    ``sequential_class``/``graph_class`` choose the classes built for
    containers (``keras_legacy.models`` passes its model classes); they default
    to ``keras_legacy.layers.containers``'s.
    """
    sequential_class = sequential_class or containers.Sequential
    graph_class = graph_class or containers.Graph
    check_layer_config(config, "container_from_config")
    config = copy.deepcopy(config)
    name = _pop_name(config, "container_from_config")

    def child(c):
        return container_from_config(c, sequential_class, graph_class, style, custom_layers)

    if name == "Sequential":
        model = sequential_class()
        for layer_config in config.get("layers", []):
            model.add(child(layer_config))
        return model

    if name == "Graph":
        model = graph_class()
        for c in config.get("input_config", []):
            if "input_shape" in c:  # 0.2.0
                model.add_input(c["name"], input_shape=c["input_shape"], dtype=c.get("dtype", "float"))
            else:
                model.add_input(c["name"], ndim=c.get("ndim", 2), dtype=c.get("dtype", "float"))
        nodes = config.get("nodes", {})
        for c in config.get("node_config", []):
            if c["name"] not in nodes:
                raise ValueError(f"container_from_config: node {c['name']!r} has no entry in 'nodes'.")
            extra = {"concat_axis": c["concat_axis"]} if "concat_axis" in c else {}
            model.add_node(
                child(nodes[c["name"]]), name=c["name"], input=c.get("input"),
                inputs=c.get("inputs") or [], merge_mode=c.get("merge_mode", "concat"),
                create_output=c.get("create_output", False), **extra,
            )
        for c in config.get("output_config", []):
            if c["name"] in model.output_order:  # made by create_output
                continue
            extra = {"concat_axis": c["concat_axis"]} if "concat_axis" in c else {}
            model.add_output(c["name"], input=c.get("input"), inputs=c.get("inputs") or [],
                             merge_mode=c.get("merge_mode", "concat"), **extra)
        return model

    registry = layer_registry(style, custom_layers)
    if name not in registry:
        valid = ", ".join(sorted(set(registry) | {"Sequential", "Graph"}))
        raise ValueError(f"Invalid layer: {short_repr(name)}. Expected one of: {valid}.")
    cls = registry[name]
    if style == "0.3.x":
        _from_03_config(name, config)

    if name == "Merge":
        layers = [child(c) for c in config.pop("layers")]
        return cls(layers, **config)
    if name == "AutoEncoder":
        encoder = child(config.pop("encoder_config"))
        decoder = child(config.pop("decoder_config"))
        return cls(encoder=encoder, decoder=decoder, **config)

    for key in _FUNCTION_KEYS:
        value = config.get(key)
        if isinstance(value, str) and custom_layers and callable(custom_layers.get(value)) \
                and not isinstance(custom_layers[value], type):
            config[key] = custom_layers[value]
    for key in _REGULARIZER_KEYS:
        if key in config:
            config[key] = _nested(config[key], regularizers)
    for key in _CONSTRAINT_KEYS:
        if key in config:
            config[key] = _nested(config[key], constraints)
    if name == "Reshape" and "dims" in config:  # 0.1.3: Reshape(*dims)
        return cls(*config.pop("dims"), **config)
    try:
        return cls(**config)
    except TypeError as exc:
        raise TypeError(f"container_from_config: cannot build {name} from {short_repr(config)}: {exc}") from exc


def layer_from_config(config):
    """Rebuild one layer (or container) from its config."""
    return container_from_config(config)
