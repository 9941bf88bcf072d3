"""Tell which Keras 0.x release wrote a model config (and check it against its weights).

No 0.x file stores a version number; the config's keys tell (behaviour.md
§3.3/§3.4):

* **0.3.x** layers carry ``trainable``, ``cache_enabled``, ``custom_name``,
  ``batch_input_shape``, ``go_backwards``, ``stateful``, ``dim_ordering``
  or ``dropout_W``/``dropout_U``;
* **0.2.0** layers carry ``input_length`` or ``input_shape`` (0.1.3's
  BatchNormalization stores ``input_shape`` too, so it does not count),
  Embedding has ``mask_zero``, a Graph's ``input_config`` has
  ``input_shape``, its nodes ``concat_axis``/``create_output``, a Merge
  ``concat_axis``;
* **0.1.x** has none of these: an LSTM has ``input_dim`` set and no
  ``input_length`` key; a Graph's ``input_config`` has ``ndim``.

With the weights as well, a BatchNormalization layer of a Sequential file
holds 2 arrays (0.1.x: gamma, beta) or 4 (0.2.0: plus the running mean/std).
The HDF5 layout itself is the same from 0.1.0 to 0.3.3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

V01X = "0.1.x"
V020 = "0.2.0"
V03X = "0.3.x"
UNKNOWN = "unknown"

_KEYS_03X = ("trainable", "cache_enabled", "custom_name", "batch_input_shape", "go_backwards",
             "stateful", "dim_ordering", "dropout_W", "dropout_U")


#: convolutional layers' argument names that 0.2.0 changed (stack_size dropped, poolsize/pad renamed)
_CONV_KEYS = {
    "Convolution2D": (("stack_size", V01X),),
    "MaxPooling2D": (("poolsize", V01X), ("pool_size", V020)),
    "ZeroPadding2D": (("pad", V01X), ("padding", V020)),
}


@dataclass
class VersionGuess:
    """``version`` is one of ``'0.1.x'``, ``'0.2.0'``, ``'0.3.x'``, ``'unknown'``.

    ``evidence`` lists, per version, the observations that point to it;
    ``certain`` is False when nothing version-specific was seen or when the
    evidence points to more than one version.
    """

    version: str
    evidence: dict = field(default_factory=dict)
    certain: bool = True

    def reasons(self):
        return self.evidence.get(self.version, [])


def _layer_configs(config, where="model"):
    """Yield ``(where, layer_config)`` for every layer dict of a Sequential/Graph config."""
    if isinstance(config, list):  # 0.1.0/0.1.1 get_config(): a list of layer dicts
        for k, layer in enumerate(config):
            yield from _layer_configs(layer, f"{where}.layers[{k}]")
        return
    if not isinstance(config, dict):
        return
    name = config.get("name")
    if name == "Sequential" or (name is None and "layers" in config):
        for k, layer in enumerate(config.get("layers", [])):
            yield from _layer_configs(layer, f"{where}.layers[{k}]")
        return
    if name == "Graph":
        for node, layer in config.get("nodes", {}).items():
            yield from _layer_configs(layer, f"{where}.nodes[{node!r}]")
        return
    yield where, config
    if name == "Merge":
        for k, sub in enumerate(config.get("layers", [])):
            yield from _layer_configs(sub, f"{where}.layers[{k}]")
    for key in ("encoder_config", "decoder_config"):
        if isinstance(config.get(key), dict):
            yield from _layer_configs(config[key], f"{where}.{key}")


def _graph_evidence(config, note):
    if not isinstance(config, dict) or config.get("name") != "Graph":
        return
    for entry in config.get("input_config", []):
        if "input_shape" in entry:
            note(V020, f"Graph input {entry.get('name')!r} has 'input_shape' (0.1.x has 'ndim')")
        elif "ndim" in entry:
            note(V01X, f"Graph input {entry.get('name')!r} has 'ndim' (0.2.0 has 'input_shape')")
    for entry in config.get("node_config", []):
        for key in ("concat_axis", "create_output"):
            if key in entry:
                note(V020, f"Graph node {entry.get('name')!r} has {key!r}")


def _layer_evidence(where, layer, note):
    name = layer.get("name", "?")
    label = f"{where} ({name})"
    for key in _KEYS_03X:
        if key in layer:
            note(V03X, f"{label} has {key!r}")
    if "input_length" in layer:
        note(V020, f"{label} has 'input_length'")
    if "input_shape" in layer and name != "BatchNormalization":
        note(V020, f"{label} has 'input_shape'")
    if name == "Embedding" and "mask_zero" in layer:
        note(V020, f"{label} has 'mask_zero'")
    if name == "Merge" and "concat_axis" in layer:
        note(V020, f"{label} has 'concat_axis'")
    if name == "BatchNormalization" and "input_shape" in layer:
        note(V01X, f"{label} stores 'input_shape' (0.1.x)")
    for key, version in _CONV_KEYS.get(name, ()):
        if key in layer:
            note(version, f"{label} has {key!r}")
    if "input_dim" in layer and layer["input_dim"] is not None and "input_length" not in layer \
            and "input_shape" not in layer and name not in ("Embedding",):
        note(V01X, f"{label} has input_dim={layer['input_dim']} and no 'input_length' key")


def _weights_evidence(config, layer_weights, note):
    """BatchNormalization array counts in a Sequential file, matched by layer position."""
    if not isinstance(config, dict) or layer_weights is None:
        return
    layers = config.get("layers")
    if not isinstance(layers, list) or len(layers) != len(layer_weights):
        return
    for k, (layer, arrays) in enumerate(zip(layers, layer_weights)):
        if isinstance(layer, dict) and layer.get("name") == "BatchNormalization":
            if len(arrays) == 4:
                note(V020, f"layer_{k} (BatchNormalization) holds 4 arrays (running mean/std saved)")
            elif len(arrays) == 2:
                note(V01X, f"layer_{k} (BatchNormalization) holds 2 arrays (gamma, beta only)")


def sniff_version(config=None, layer_weights=None):
    """Guess the Keras release that wrote ``config`` (a parsed JSON/YAML model config).

    ``layer_weights`` (optional) is the per-layer list of arrays of a
    Sequential weight file, in file order.  The most recent version with any
    evidence wins (a 0.3.x key cannot appear in an older file); without any
    version-specific key the guess is ``'0.1.x'`` with ``certain=False``
    (0.1.x and 0.2.0 configs agree for such models), or ``'unknown'``
    without a config.
    """
    evidence = {}

    def note(version, reason):
        evidence.setdefault(version, []).append(reason)

    if config is None:
        return VersionGuess(UNKNOWN, {UNKNOWN: [
            "no config given: the 0.x HDF5 layout is the same from 0.1.0 to 0.3.3, "
            "so the weights alone do not tell the version"]}, certain=False)
    if not isinstance(config, (dict, list)):
        raise TypeError(f"sniff_version: config must be a dict (or a 0.1.0 list), got {type(config).__name__}.")
    _graph_evidence(config, note)
    for where, layer in _layer_configs(config):
        _layer_evidence(where, layer, note)
    _weights_evidence(config, layer_weights, note)
    for version in (V03X, V020, V01X):
        if version in evidence:
            return VersionGuess(version, evidence, certain=len(evidence) == 1)
    evidence[V01X] = ["no version-specific key found (0.1.x and 0.2.0 write these layers alike)"]
    return VersionGuess(V01X, evidence, certain=False)
