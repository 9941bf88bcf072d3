"""Names of the arrays a Keras 0.x layer saves, in file order (behaviour.md §3.4).

The 0.x HDF5 files hold only ``param_{n}`` datasets; these tables give them
the attribute names the layers used (``W_i``, ``U_i``, ``b_i`` ...), from
the layer's config (class name, and ``depth`` for SimpleDeepRNN).  A layer
whose config is unknown here, or whose array count does not match the table,
keeps the positional names ``param_{n}``.
"""

from __future__ import annotations

_LSTM = ("W_i", "U_i", "b_i", "W_c", "U_c", "b_c", "W_f", "U_f", "b_f", "W_o", "U_o", "b_o")
_GRU = ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h")

#: class name -> tuple of names, or a tuple of alternatives (one per version) keyed by count.
_FIXED = {
    "Dense": ("W", "b"),
    "TimeDistributedDense": ("W", "b"),
    "MaxoutDense": ("W", "b"),
    "Convolution1D": ("W", "b"),
    "Convolution2D": ("W", "b"),
    "Embedding": ("W",),
    "WordContextProduct": ("W_w", "W_c"),
    "PReLU": ("alphas",),
    "ParametricSoftplus": ("alphas", "betas"),
    "SimpleRNN": ("W", "U", "b"),
    "LSTM": _LSTM,
    "GRU": _GRU,
    "JZS3": _GRU,
    # 0.1.3 keeps Pmat out of params; 0.2.0 appends it.
    "JZS1": [("W_z", "b_z", "W_r", "U_r", "b_r", "U_h", "b_h"),
             ("W_z", "b_z", "W_r", "U_r", "b_r", "U_h", "b_h", "Pmat")],
    "JZS2": [("W_z", "U_z", "b_z", "U_r", "b_r", "W_h", "U_h", "b_h"),
             ("W_z", "U_z", "b_z", "U_r", "b_r", "W_h", "U_h", "b_h", "Pmat")],
    # 0.1.x saves gamma and beta; a 0.2.0 Sequential adds the running statistics.
    "BatchNormalization": [("gamma", "beta"), ("gamma", "beta", "running_mean", "running_std")],
}


def _candidates(config):
    name = config.get("name")
    if name == "SimpleDeepRNN":
        depth = int(config.get("depth", 3))
        return [("W", *(f"Us_{k}" for k in range(depth)), "b")]
    if name in ("Merge", "Sequential"):
        return [tuple(_nested_names(config.get("layers", [])))]
    if name == "AutoEncoder":
        return [tuple(_nested_names([config.get("encoder_config", {}), config.get("decoder_config", {})]))]
    found = _FIXED.get(name)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _nested_names(configs):
    """Names for the concatenated weights of sub-layers / sub-models (``{i}_{Name}_{w}``)."""
    names = []
    for i, sub in enumerate(configs):
        if not isinstance(sub, dict):
            continue
        if sub.get("name") == "Sequential" or ("layers" in sub and sub.get("name") != "Merge"):
            for j, layer in enumerate(sub.get("layers", [])):
                names.extend(f"{i}_{j}_{layer.get('name', 'Layer')}_{w}" for w in _first(layer))
        else:
            names.extend(f"{i}_{sub.get('name', 'Layer')}_{w}" for w in _first(sub))
    return names


def _first(config):
    found = _candidates(config)
    return found[-1] if found else ()


def weight_names(config, n_arrays):
    """The ``n_arrays`` names of one layer's saved arrays, from its config.

    Falls back to ``param_0 .. param_{n-1}`` when the layer is unknown or the
    count disagrees with every table entry (e.g. a layer this module has not
    heard of, or a nested model whose sub-layers are not all named here).
    """
    if isinstance(config, dict):
        for names in _candidates(config):
            if len(names) == n_arrays:
                return list(names)
    return [f"param_{n}" for n in range(n_arrays)]


def graph_weight_names(config, n_arrays):
    """Names ``{node}_{LayerName}_{w}`` for a Graph's flat ``graph/param_{n}`` list.

    The Graph saves its nodes' weights in insertion order (``node_config``
    order).  A count mismatch (e.g. shared layers de-duplicated) falls back
    to ``param_{n}``.
    """
    names = []
    nodes = config.get("nodes", {}) if isinstance(config, dict) else {}
    order = [entry.get("name") for entry in config.get("node_config", [])] if nodes else []
    for node in order or list(nodes):
        layer = nodes.get(node, {})
        names.extend(f"{node}_{layer.get('name', 'Layer')}_{w}" for w in _first(layer))
    if len(names) != n_arrays:
        return [f"param_{n}" for n in range(n_arrays)]
    return names
