"""HDF5 weight files in the exact Keras 0.x layout (the only module importing h5py).

Sequential::

    /                     attrs: nb_layers = N
    /layer_{k}            attrs: nb_params = P_k      (k = 0..N-1, 0-parameter layers included)
    /layer_{k}/param_{n}  dataset (floatX)            (n = 0..P_k-1)

Graph::

    /graph                attrs: nb_params = P
    /graph/param_{n}      dataset (floatX)

Datasets are always addressed by integer index (``param_10`` sorts before
``param_2`` in h5py listings).  Files are written to a temporary file beside
the target and moved into place, so an interrupted save never leaves a
half-written file under the target name.
"""

from __future__ import annotations

import os
import tempfile

import h5py
import numpy as np

from keras_legacy import backend as K


class WeightsFileExistsError(FileExistsError, ValueError):
    """``save_weights(path, overwrite=False)`` found ``path`` already there."""


def _check_target(filepath, overwrite):
    filepath = os.fspath(filepath)
    if os.path.exists(filepath) and not overwrite:
        raise WeightsFileExistsError(
            f"save_weights: {filepath!r} already exists and overwrite=False. "
            "Pass overwrite=True to replace it (keras_legacy never prompts on stdin)."
        )
    return filepath


def _write_atomically(filepath, fill):
    directory = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".h5", dir=directory)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            fill(f)
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _write_params(group, weights):
    group.attrs["nb_params"] = len(weights)
    for n, w in enumerate(weights):
        group.create_dataset(f"param_{n}", data=np.asarray(w, dtype=K.floatx()))


def save_sequential_weights(filepath, layer_weights, overwrite=False):
    """Write ``layer_weights`` (a list, per layer, of lists of arrays)."""
    filepath = _check_target(filepath, overwrite)

    def fill(f):
        f.attrs["nb_layers"] = len(layer_weights)
        for k, weights in enumerate(layer_weights):
            _write_params(f.create_group(f"layer_{k}"), weights)

    _write_atomically(filepath, fill)


def save_graph_weights(filepath, weights, overwrite=False):
    """Write the flat list ``weights`` as the ``graph`` group."""
    filepath = _check_target(filepath, overwrite)
    _write_atomically(filepath, lambda f: _write_params(f.create_group("graph"), weights))


def _read_params(group, where):
    if "nb_params" not in group.attrs:
        raise ValueError(f"load_weights: {where} has no 'nb_params' attribute; not a Keras 0.x weight file.")
    nb_params = int(group.attrs["nb_params"])
    weights = []
    for n in range(nb_params):
        key = f"param_{n}"
        if key not in group:
            raise ValueError(f"load_weights: {where} says nb_params={nb_params} but has no dataset {key!r}.")
        weights.append(group[key][()])
    return weights


def _open(filepath):
    filepath = os.fspath(filepath)
    if not os.path.isfile(filepath):
        raise ValueError(f"load_weights: no such file {filepath!r}.")
    return h5py.File(filepath, "r")


def load_sequential_weights(filepath):
    """Read a Sequential file: a list, per layer, of lists of arrays."""
    with _open(filepath) as f:
        if "nb_layers" not in f.attrs:
            hint = " (it holds a 'graph' group: load it into a Graph model)" if "graph" in f else ""
            raise ValueError(
                f"load_weights: {os.fspath(filepath)!r} has no root attribute 'nb_layers'; "
                f"not a Keras 0.x Sequential weight file{hint}."
            )
        nb_layers = int(f.attrs["nb_layers"])
        layers = []
        for k in range(nb_layers):
            key = f"layer_{k}"
            if key not in f:
                raise ValueError(f"load_weights: the file says nb_layers={nb_layers} but has no group {key!r}.")
            layers.append(_read_params(f[key], f"group {key!r}"))
        return layers


def load_graph_weights(filepath):
    """Read a Graph file: the flat list of arrays of the ``graph`` group."""
    with _open(filepath) as f:
        if "graph" not in f:
            hint = " (it has 'nb_layers': load it into a Sequential model)" if "nb_layers" in f.attrs else ""
            raise ValueError(
                f"load_weights: {os.fspath(filepath)!r} has no 'graph' group; "
                f"not a Keras 0.x Graph weight file{hint}."
            )
        return _read_params(f["graph"], "group 'graph'")


def check_weights(found, expected_shapes, where):
    """Raise ValueError unless ``found`` arrays match ``expected_shapes`` in count and shape."""
    if len(found) != len(expected_shapes):
        raise ValueError(
            f"load_weights: {where} holds {len(found)} arrays but the model expects "
            f"{len(expected_shapes)} (shapes {[tuple(s) for s in expected_shapes]})."
        )
    for n, (w, shape) in enumerate(zip(found, expected_shapes)):
        if tuple(np.shape(w)) != tuple(shape):
            raise ValueError(
                f"load_weights: {where}, param_{n} has shape {tuple(np.shape(w))}, "
                f"the model expects {tuple(shape)}."
            )


def check_sequential_weights(found, expected):
    """Validate a whole Sequential file (``found``) against ``expected`` per-layer shape lists."""
    if len(found) != len(expected):
        raise ValueError(
            f"load_weights: the file holds {len(found)} layers (nb_layers) but the model has "
            f"{len(expected)} layers."
        )
    for k, (layer_found, layer_expected) in enumerate(zip(found, expected)):
        check_weights(layer_found, layer_expected, f"layer {k} (group 'layer_{k}')")
