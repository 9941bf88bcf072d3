"""The shape of one Keras 0.x layer/container config, checked before it is rebuilt.

``check_layer_config`` looks at one level of a config (the keys the
rebuilding code reads at that level) and raises a ``ValueError`` or
``TypeError`` naming the field, what came and what a 0.x config holds
there.  The rebuilding code calls it for every config it rebuilds, so a
whole tree is covered one level at a time.
"""

from __future__ import annotations

from keras_legacy.utils.limits import short_repr

__all__ = ["check_layer_config"]


def _need_dict(value, where, example):
    if not isinstance(value, dict):
        raise TypeError(
            f"{where} is a {type(value).__name__} ({short_repr(value, 80)}); expected a config dict "
            f"such as {example}."
        )


def _need_name(entry, where, what):
    name = entry.get("name")
    if not isinstance(name, str):
        got = "no 'name' key" if "name" not in entry else f"'name': {short_repr(name, 80)}"
        raise ValueError(f"{where} has {got}; expected 'name': a string ({what}).")
    return name


def _need_list(config, key, where, what, required=False):
    if key not in config:
        if required:
            raise ValueError(f"{where} has no {key!r} key; expected {key!r}: a list of {what}.")
        return []
    value = config[key]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{where}: {key!r} is a {type(value).__name__} ({short_repr(value, 80)}); "
                        f"expected a list of {what}.")
    return value


def check_layer_config(config, where="container_from_config"):
    """Raise ``ValueError``/``TypeError`` when this level of ``config`` cannot be rebuilt."""
    _need_dict(config, f"{where}: the config", "{'name': 'Dense', 'input_dim': 3, 'output_dim': 2}")
    name = _need_name(config, f"{where}: the config {short_repr(config, 80)}", "the layer class name")
    here = f"{where}: the {name} config"
    if name == "Sequential":
        for k, layer in enumerate(_need_list(config, "layers", here, "layer configs")):
            _need_dict(layer, f"{here}: layers[{k}]", "{'name': 'Dense', ...}")
    elif name == "Graph":
        for key in ("input_config", "node_config", "output_config"):
            for k, entry in enumerate(_need_list(config, key, here, "dicts with a 'name'")):
                _need_dict(entry, f"{here}: {key}[{k}]", "{'name': 'input1', ...}")
                _need_name(entry, f"{here}: {key}[{k}]", "the input, node or output name")
                for ref in ("input",):
                    if entry.get(ref) is not None and not isinstance(entry[ref], str):
                        raise TypeError(f"{here}: {key}[{k}] has {ref!r}: {short_repr(entry[ref], 80)}; "
                                        "expected a node or input name (a string).")
                inputs = entry.get("inputs")
                if inputs is not None and (not isinstance(inputs, (list, tuple))
                                           or not all(isinstance(i, str) for i in inputs)):
                    raise TypeError(f"{here}: {key}[{k}] has 'inputs': {short_repr(inputs, 80)}; "
                                    "expected a list of node or input names.")
        nodes = config.get("nodes", {})
        if not isinstance(nodes, dict):
            raise TypeError(f"{here}: 'nodes' is a {type(nodes).__name__}; expected a dict {{node name: config}}.")
    elif name == "Reshape" and "dims" in config and not isinstance(config["dims"], (list, tuple)):
        raise TypeError(f"{here}: 'dims' is {short_repr(config['dims'], 80)}; expected a list of sizes.")
    elif name == "Merge":
        for k, layer in enumerate(_need_list(config, "layers", here, "model configs (the merged branches)",
                                             required=True)):
            _need_dict(layer, f"{here}: layers[{k}]", "{'name': 'Sequential', 'layers': [...]}")
    elif name == "AutoEncoder":
        for key in ("encoder_config", "decoder_config"):
            if key not in config:
                raise ValueError(f"{here} has no {key!r} key; expected the config of the {key[:7]}.")
            _need_dict(config[key], f"{here}: {key!r}", "{'name': 'Sequential', 'layers': [...]}")
    if name in ("Sequential", "Graph") and config.get("optimizer") is not None:
        optimizer = config["optimizer"]
        _need_dict(optimizer, f"{here}: 'optimizer'", "{'name': 'SGD', 'lr': 0.01}")
        _need_name(optimizer, f"{here}: 'optimizer'", "the optimizer class name, e.g. 'SGD'")
    for key, value in config.items():
        if isinstance(key, str) and key.endswith(("_regularizer", "_constraint")):
            if isinstance(value, dict):
                _need_name(value, f"{here}: {key!r}", "e.g. 'WeightRegularizer' or 'maxnorm'")
            elif value is not None and not isinstance(value, str):
                raise TypeError(f"{here}: {key!r} is {short_repr(value, 80)}; expected None, a name or a "
                                "config dict with a 'name'.")


def _children(config):
    """The sub-configs the rebuilding code reads below this level (already checked to be dicts)."""
    name = config["name"]
    if name in ("Sequential", "Merge"):
        return list(config.get("layers", []))
    if name == "AutoEncoder":
        return [config["encoder_config"], config["decoder_config"]]
    if name == "Graph":
        return list(config.get("nodes", {}).values())
    return []


def check_config_tree(config, where="config"):
    """``check_layer_config`` on every level of ``config`` (iterative; call ``limits.check_structure`` first)."""
    todo = [config]
    while todo:
        node = todo.pop()
        check_layer_config(node, where)
        if node["name"] == "SimpleDeepRNN":
            depth = node.get("depth", 3)
            if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 10_000:
                raise ValueError(f"{where}: the SimpleDeepRNN config has 'depth': {short_repr(depth, 40)}; "
                                 "expected a positive integer (the number of recurrent matrices).")
        todo.extend(_children(node))
