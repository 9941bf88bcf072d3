"""``keras-legacy``: look into and convert Keras 0.x model files.

::

    keras-legacy inspect WEIGHTS.h5 [--config MODEL.json|MODEL.yaml]
    keras-legacy convert WEIGHTS.h5 OUT.npz [--config MODEL.json|MODEL.yaml]

``inspect`` prints the layout (Sequential or Graph), every layer with its
arrays, shapes and dtypes, and the Keras version that wrote the files (from
the config's keys: see :mod:`keras_legacy.engine.version_sniff`).

``convert`` writes the arrays to one ``.npz``: without a config the keys are
``layer_{k}_param_{n}`` (Sequential) or ``param_{n}`` (Graph), the keys Keras'
own files use; with a config they carry the layer class and the weight name,
``layer_{k}_{LayerName}_{weight}`` (e.g. ``layer_1_LSTM_W_i``) or, for a Graph,
``{node}_{LayerName}_{weight}``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
import yaml

from keras_legacy.engine.config_checks import check_config_tree
from keras_legacy.engine.version_sniff import sniff_version
from keras_legacy.engine.weight_names import graph_weight_names, weight_names
from keras_legacy.utils import io_utils, limits


def read_weights(path):
    """``("sequential", [[arrays of layer 0], ...])`` or ``("graph", [arrays])``."""
    try:
        return "sequential", io_utils.load_sequential_weights(path)
    except ValueError as sequential_error:
        try:
            return "graph", io_utils.load_graph_weights(path)
        except ValueError:
            raise sequential_error from None


def load_config(path):
    """A model config from a 0.x ``to_json``/``to_yaml`` file (YAML ``!!python/tuple`` included)."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"--config {path!r} is a folder; give the model's .json or .yaml file.")
    with open(path, "rb") as f:
        raw = f.read(limits.MAX_CONFIG_BYTES + 1)
    where = f"--config {path!r}"
    limits.check_text_size(raw, where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where} is not UTF-8 text ({exc}); give the model's to_json()/to_yaml() file.") from None
    if os.path.splitext(path)[1].lower() in (".yaml", ".yml"):
        config = limits.load_yaml(text, _TupleLoader, where)
    else:
        try:
            config = limits.load_json(text, where)
        except limits.ConfigLimitError:
            raise
        except ValueError as exc:
            raise ValueError(
                f"{path!r} is not JSON ({exc}); give a .json file from model.to_json() "
                "or a .yaml/.yml file from model.to_yaml()."
            ) from None
    limits.check_structure(config, where)
    for layer_config in config if isinstance(config, list) else [config]:  # a bare list: Sequential layers
        check_config_tree(layer_config, where)
    return config


class _TupleLoader(yaml.SafeLoader):
    """Safe YAML loader that reads 0.x ``!!python/tuple`` as a tuple."""


_TupleLoader.add_constructor(
    "tag:yaml.org,2002:python/tuple",
    lambda loader, node: tuple(loader.construct_sequence(node)),
)


def _sequential_layers(config):
    if config is None:
        return None
    layers = config.get("layers") if isinstance(config, dict) else config
    return layers if isinstance(layers, list) else None


def _check_config_matches(layout, weights, config, path):
    if config is None:
        return
    is_graph = isinstance(config, dict) and config.get("name") == "Graph"
    if is_graph != (layout == "graph"):
        raise ValueError(
            f"The config describes a {'Graph' if is_graph else 'Sequential'} model but {path!r} "
            f"holds {'Graph' if layout == 'graph' else 'Sequential'} weights; give the config "
            "saved with these weights."
        )
    layers = _sequential_layers(config)
    if layout == "sequential" and layers is not None and len(layers) != len(weights):
        raise ValueError(
            f"The config has {len(layers)} layers but {path!r} holds {len(weights)} layer groups "
            "(nb_layers); give the config saved with these weights."
        )


def named_arrays(layout, weights, config=None):
    """``[(key, array), ...]`` in file order, named as described in the module docstring."""
    if layout == "graph":
        names = graph_weight_names(config, len(weights)) if config is not None \
            else [f"param_{n}" for n in range(len(weights))]
        return list(zip(names, weights))
    layers = _sequential_layers(config)
    out = []
    for k, arrays in enumerate(weights):
        if layers is None:
            out.extend((f"layer_{k}_param_{n}", a) for n, a in enumerate(arrays))
        else:
            layer = layers[k]
            names = weight_names(layer, len(arrays))
            out.extend((f"layer_{k}_{layer.get('name', 'Layer')}_{w}", a) for w, a in zip(names, arrays))
    return out


def _shape(a):
    return "(" + ", ".join(str(d) for d in a.shape) + ("," if a.ndim == 1 else "") + ")"


def inspect_text(path, config=None):
    """The report ``keras-legacy inspect`` prints."""
    layout, weights = read_weights(path)
    _check_config_matches(layout, weights, config, path)
    guess = sniff_version(config, weights if layout == "sequential" else None)
    lines = []
    n_arrays = sum(len(a) for a in weights) if layout == "sequential" else len(weights)
    if layout == "sequential":
        lines.append(f"{path}: Sequential weights, {len(weights)} layers, {n_arrays} arrays")
    else:
        lines.append(f"{path}: Graph weights (a 'graph' group: Keras 0.1.2 or later), {n_arrays} arrays")
    note = "" if guess.certain else " (not certain)"
    lines.append(f"Keras version: {guess.version}{note}")
    lines.extend(f"  because {reason}" for reason in guess.reasons()[:3])
    if layout == "sequential":
        layers = _sequential_layers(config)
        for k, arrays in enumerate(weights):
            label = f"  {layers[k].get('name', '?')}" if layers is not None else ""
            lines.append(f"layer {k}{label}: {len(arrays)} array{'s' if len(arrays) != 1 else ''}")
            names = weight_names(layers[k], len(arrays)) if layers is not None \
                else [f"param_{n}" for n in range(len(arrays))]
            lines.extend(f"    {name:<14} {_shape(a):<12} {a.dtype}" for name, a in zip(names, arrays))
    else:
        for name, a in named_arrays(layout, weights, config):
            lines.append(f"    {name:<20} {_shape(a):<12} {a.dtype}")
    return "\n".join(lines)


def convert(path, out_path, config=None):
    """Write the arrays of ``path`` to exactly ``out_path`` (.npz data; no suffix added); returns the keys.

    ``out_path`` may not be ``path`` itself (also not through another name
    or a link); a link at ``out_path`` is followed.
    """
    _check_not_input(path, out_path)
    layout, weights = read_weights(path)
    _check_config_matches(layout, weights, config, path)
    pairs = named_arrays(layout, weights, config)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"convert: duplicate array names {sorted(k for k in keys if keys.count(k) > 1)}.")
    _write_npz(out_path, dict(pairs))
    return keys


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def _check_not_input(path, out_path, what="the input weight file"):
    if _same_file(path, out_path):
        raise ValueError(
            f"convert: the output {out_path!r} is {what} {path!r}; writing it would destroy "
            "what is being read. Give another output name (e.g. 'weights.npz')."
        )


def _write_npz(out_path, arrays):
    """Write ``arrays`` to exactly ``out_path`` (no '.npz' appended), atomically; returns the path written.

    A symbolic link is followed: its target receives the file.
    """
    out_path = os.fspath(out_path)
    if out_path == "":
        raise ValueError("convert: the output path is empty; give a file name such as 'weights.npz'.")
    target = os.path.realpath(out_path)
    if os.path.isdir(target):
        raise IsADirectoryError(f"convert: {out_path!r} is a folder; give a file name such as 'weights.npz'.")
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"convert: the folder {directory!r} of {out_path!r} does not exist; create it first.")
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return out_path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _parser():
    parser = argparse.ArgumentParser(prog="keras-legacy", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="print the layers, arrays, shapes and the Keras version")
    p.add_argument("weights", help="an .h5 file written by Keras 0.x save_weights")
    p.add_argument("--config", help="the model's to_json() / to_yaml() file")
    p = sub.add_parser("convert", help="write the arrays to an .npz with named keys")
    p.add_argument("weights", help="an .h5 file written by Keras 0.x save_weights")
    p.add_argument("out", help="the .npz file to write")
    p.add_argument("--config", help="the model's to_json() / to_yaml() file (gives weight names)")
    return parser


def main(argv=None):
    options = _parser().parse_args(argv)
    try:
        config = load_config(options.config) if options.config else None
        if options.command == "inspect":
            print(inspect_text(options.weights, config))
        else:
            if options.config:
                _check_not_input(options.config, options.out, "the --config file")
            keys = convert(options.weights, options.out, config)
            print(f"wrote {len(keys)} arrays to {options.out}")
    except (ValueError, TypeError, OSError) as exc:
        print(f"keras-legacy {options.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
