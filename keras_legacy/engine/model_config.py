"""Model configs: the YAML/JSON codecs and ``build_model``, the body of ``model_from_config``.

``keras_legacy.models`` defines the 0.1.3 ``model_from_json``/``model_from_yaml``/
``model_from_config`` with these, passing its model classes to ``build_model``;
``Model.to_yaml``/``Model.to_json`` write with ``ConfigDumper`` and
``json_default``.  YAML is read with a safe loader; configs never name code
to import.
"""

from __future__ import annotations

import numpy as np
import yaml

from keras_legacy import optimizers
from keras_legacy.engine.config_checks import check_config_tree
from keras_legacy.engine.layer_registry import container_from_config
from keras_legacy.engine.version_sniff import V020, V03X, sniff_version
from keras_legacy.utils import limits


def get_function_name(o):
    if isinstance(o, str):
        return o
    return o.__name__


class _ConfigLoader(yaml.SafeLoader):
    """Safe YAML loader that also reads 0.x ``!!python/tuple`` (as a list)."""


_ConfigLoader.add_constructor(
    "tag:yaml.org,2002:python/tuple",
    lambda loader, node: loader.construct_sequence(node, deep=True),
)


class ConfigDumper(yaml.SafeDumper):
    """Safe YAML dumper that writes tuples as plain lists."""


ConfigDumper.add_representer(tuple, lambda dumper, data: dumper.represent_list(list(data)))


def merge_custom(custom_layers, custom_objects, where):
    """Merge ``custom_layers`` (0.1.x/0.2.0 name) and ``custom_objects`` (0.3.x name)."""
    merged = {}
    for arg, value in (("custom_layers", custom_layers), ("custom_objects", custom_objects)):
        if value is None:
            continue
        if not isinstance(value, dict):
            raise TypeError(f"{where}: {arg} must be a dict {{name: class or function}}, got {type(value).__name__}.")
        for name, obj in value.items():
            if name in merged and merged[name] is not obj:
                raise ValueError(f"{where}: {name!r} is given different objects in custom_layers and custom_objects.")
            merged[name] = obj
    return merged or None


def parse_yaml(yaml_string):
    """The config of a ``to_yaml()`` text; only plain YAML (and ``!!python/tuple``) is read.

    The text's size, nesting depth and size after alias expansion are checked
    before any Python object is built (``keras_legacy.utils.limits``).
    """
    return limits.load_yaml(yaml_string, _ConfigLoader, "model_from_yaml")


def parse_json(json_string):
    """The config of a ``to_json()`` text (size and nesting depth checked before parsing)."""
    return limits.load_json(json_string, "model_from_json")


def build_model(config, custom_layers, custom_objects, sequential_class, graph_class, graph_class_020):
    """Rebuild a model from ``get_config()``; compile it when the config has an optimizer.

    The Keras release that wrote the config is sniffed from its keys
    (``keras_legacy.engine.version_sniff``): 0.1.x configs rebuild with the
    0.1.3 (input-first) layers and ``graph_class``, 0.2.0 configs with
    ``keras_legacy.v020``'s layers and ``graph_class_020`` (inputs with
    ``input_shape``), 0.3.x configs with those and ``keras_legacy.v03``'s
    recurrent layers.  ``custom_layers`` (or ``custom_objects``, the 0.3.x
    name; see ``merge_custom``) maps extra names to layer classes, and to functions used by name in the config
    (``activation``, ``init``, the loss...).  Nothing else is looked up: a
    config never names code to import.
    """
    if not isinstance(config, dict) or config.get("name") not in ("Sequential", "Graph"):
        got = config.get("name") if isinstance(config, dict) else type(config).__name__
        raise ValueError(
            f"model_from_config: expected a 'Sequential' or 'Graph' config, got {limits.short_repr(got)}.")
    limits.check_structure(config, "model_from_config")
    check_config_tree(config, "model_from_config")
    custom_layers = merge_custom(custom_layers, custom_objects, "model_from_config")
    version = sniff_version(config).version
    style = {V020: "0.2.0", V03X: "0.3.x"}.get(version, "0.1.3")
    model = container_from_config(config, sequential_class=sequential_class,
                                  graph_class=graph_class if style == "0.1.3" else graph_class_020,
                                  style=style, custom_layers=custom_layers)
    if config.get("optimizer") is not None:
        params = dict(config["optimizer"])
        if not isinstance(params.get("name"), str):
            raise ValueError("model_from_config: the optimizer config has no 'name': "
                             f"{limits.short_repr(config['optimizer'])}.")
        optimizer = optimizers.get(params.pop("name"), params)
        loss = config.get("loss")
        custom = custom_layers or {}
        if isinstance(loss, dict):
            loss = {k: custom.get(v, v) if isinstance(v, str) else v for k, v in loss.items()}
        elif isinstance(loss, str):
            loss = custom.get(loss, loss)
        if config["name"] == "Sequential":
            model.compile(optimizer=optimizer, loss=loss,
                          class_mode=config.get("class_mode", "categorical"),
                          theano_mode=config.get("theano_mode"))
        else:
            model.compile(optimizer=optimizer, loss=loss, theano_mode=config.get("theano_mode"))
    return model


def json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(
        f"to_json: {type(o).__name__} is not JSON serializable (a theano_mode given as a Mode "
        "object cannot be stored; compile with a mode name such as 'CVM' to save the config)."
    )
