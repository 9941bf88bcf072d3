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
half-written file under the target name.  With ``overwrite=False`` the move
is a hard link, which fails when the name exists: of two processes saving
to the same new name at the same moment exactly one succeeds.  A target that
is a symbolic link is resolved first: the file it points to is replaced and
the link stays.

Reading checks every dataset's declared shape and size (and, given the
model's shapes, that they match) before any data is read, so a small file
declaring a huge array is refused without allocating it.
"""

from __future__ import annotations

import errno
import os
import tempfile

import h5py
import numpy as np

from keras_legacy import backend as K

try:
    import resource
except ImportError:  # not POSIX
    resource = None

#: The largest array a weight file may declare (bytes); Keras 0.x layers hold far less.
MAX_ARRAY_BYTES = 8 * 1024 ** 3


class WeightsFileExistsError(FileExistsError, ValueError):
    """``save_weights(path, overwrite=False)`` found ``path`` already there."""


class WeightsFileError(ValueError):
    """A weight file that does not fit the model or is not a Keras 0.x weight file."""


class DamagedWeightsFileError(WeightsFileError, OSError):
    """A weight file that cannot be read: truncated, not HDF5, or with unreadable data."""


class WeightsFileNotFoundError(FileNotFoundError, ValueError):
    """``load_weights(path)`` with no file at ``path``."""


class WeightsFileLockedError(BlockingIOError):
    """A weight file locked by another process that has it open for writing."""


class WeightsWriteError(OSError):
    """A save that could not write its data (disk full, file-size limit, quota)."""


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _check_target(filepath, overwrite):
    filepath = os.fspath(filepath)
    if isinstance(filepath, bytes):
        filepath = os.fsdecode(filepath)
    if filepath == "":
        raise ValueError("save_weights: the path is empty; give a file name such as 'weights.h5'.")
    if os.path.islink(filepath):
        filepath = os.path.realpath(filepath)  # write the file the link points to; the link stays
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"save_weights: the folder {directory!r} of {filepath!r} does not exist; create it first."
        )
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"save_weights: {filepath!r} is a folder; give a file name (e.g. 'weights.h5').")
    if os.path.exists(filepath) and not overwrite:
        raise WeightsFileExistsError(
            f"save_weights: {filepath!r} already exists and overwrite=False. "
            "Pass overwrite=True to replace it (keras_legacy never prompts on stdin)."
        )
    return filepath


def _write_atomically(filepath, fill, overwrite=True):
    directory = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".h5", dir=directory)
    os.close(fd)
    try:
        _fill_file(tmp, fill, filepath)
        _fsync_path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a saved file gets the usual mode
        if overwrite:
            os.replace(tmp, filepath)
        else:
            _move_exclusively(tmp, filepath)
        _fsync_path(directory, directory=True)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _exists_error(filepath):
    return WeightsFileExistsError(
        f"save_weights: {filepath!r} already exists and overwrite=False. "
        "Pass overwrite=True to replace it (keras_legacy never prompts on stdin)."
    )


def _move_exclusively(tmp, filepath):
    """Give ``tmp`` the name ``filepath`` only if no file has it: one step, so two savers cannot both win."""
    try:
        os.link(tmp, filepath)
    except FileExistsError:
        raise _exists_error(filepath) from None
    except OSError:
        # no hard links here (some file systems): reserve the name with O_EXCL, then move over it
        try:
            os.close(os.open(filepath, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise _exists_error(filepath) from None
        os.replace(tmp, filepath)


def _fill_file(tmp, fill, filepath):
    """Write the HDF5 file ``tmp``; a failed write (disk full, ``ulimit -f``) is a ``WeightsWriteError``."""
    try:
        with h5py.File(tmp, "w") as f:
            fill(f)
    except (OSError, RuntimeError) as exc:
        if isinstance(exc, OSError) and not _is_write_failure(exc):
            raise
        limit = _file_size_limit()
        why = f"the file-size limit of this process ({limit} bytes, 'ulimit -f')" if limit is not None \
            else "a full disk or a quota"
        raise WeightsWriteError(
            errno.EFBIG if limit is not None else errno.ENOSPC,
            f"save_weights: could not write the weights for {filepath!r}: the data did not fit ({why}?). "
            f"Nothing was written under that name. (h5py: {exc})",
        ) from None


def _is_write_failure(exc):
    text = str(exc).lower()
    return exc.errno in (errno.EFBIG, errno.ENOSPC, errno.EDQUOT) or any(
        word in text for word in ("write failed", "file write failed", "ref count", "file too large",
                                  "no space", "unable to flush", "can't write", "unable to write"))


def _file_size_limit():
    if resource is None:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else soft


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_path(path, directory=False):
    """Flush ``path`` to disk, so the rename never exposes a file whose data is not written yet."""
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:  # some platforms cannot open folders; the file itself was synced
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


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

    _write_atomically(filepath, fill, overwrite)


def save_graph_weights(filepath, weights, overwrite=False):
    """Write the flat list ``weights`` as the ``graph`` group."""
    filepath = _check_target(filepath, overwrite)
    _write_atomically(filepath, lambda f: _write_params(f.create_group("graph"), weights), overwrite)


def _count_attr(node, key, where):
    """The non-negative integer attribute ``key`` (``nb_layers``/``nb_params``)."""
    value = node.attrs[key]
    try:
        count = int(np.asarray(value).item())
    except (TypeError, ValueError):
        count = None
    if count is None or count < 0 or np.asarray(value).size != 1 or count != np.asarray(value).item():
        raise WeightsFileError(
            f"load_weights: {where} has {key}={np.asarray(value).tolist()!r}; expected a non-negative integer. "
            "The file is damaged or was not written by Keras 0.x."
        )
    return count


def _param_datasets(group, where, file_size):
    """The datasets ``param_0..`` of ``group``, their metadata checked; no data is read."""
    if "nb_params" not in group.attrs:
        raise WeightsFileError(f"load_weights: {where} has no 'nb_params' attribute; not a Keras 0.x weight file.")
    nb_params = _count_attr(group, "nb_params", where)
    datasets = []
    for n in range(nb_params):
        key = f"param_{n}"
        if key not in group:
            raise WeightsFileError(f"load_weights: {where} says nb_params={nb_params} but has no dataset {key!r}.")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise WeightsFileError(f"load_weights: {where}/{key} is a {type(dataset).__name__}, expected a dataset.")
        if dataset.shape is None:
            raise WeightsFileError(
                f"load_weights: {where}/{key} has no dataspace (an empty HDF5 dataset, no shape); "
                "expected an array. The file is damaged or was not written by Keras 0.x."
            )
        if dataset.dtype.kind not in "fiub":
            raise WeightsFileError(
                f"load_weights: {where}/{key} holds {dataset.dtype} data, expected numbers (float arrays)."
            )
        nbytes = int(np.prod(dataset.shape, dtype=object)) * dataset.dtype.itemsize
        if nbytes > MAX_ARRAY_BYTES:
            raise WeightsFileError(
                f"load_weights: {where}/{key} declares shape {dataset.shape} ({nbytes} bytes), more than "
                f"the {MAX_ARRAY_BYTES} bytes a weight array may have; the file is damaged or not a Keras 0.x "
                "weight file. Nothing was read."
            )
        if dataset.chunks is None and dataset.compression is None and nbytes > file_size:
            raise DamagedWeightsFileError(
                f"load_weights: {where}/{key} declares {nbytes} bytes of data but the file has {file_size}; "
                "the file is truncated or damaged. Nothing was read."
            )
        datasets.append(dataset)
    return datasets


def _read_data(datasets, where):
    weights = []
    for n, dataset in enumerate(datasets):
        try:
            weights.append(dataset[()])
        except (OSError, RuntimeError, KeyError) as exc:
            raise DamagedWeightsFileError(
                f"load_weights: {where}/param_{n} cannot be read ({exc}); the file is damaged (truncated?). "
                "Save it again or restore a good copy; the model's weights are unchanged."
            ) from None
    return weights


def _open(filepath):
    filepath = os.fspath(filepath)
    if filepath in ("", b""):
        raise WeightsFileNotFoundError("load_weights: the path is empty; give the weight file's name.")
    if os.path.isdir(filepath):
        raise IsADirectoryError(
            f"load_weights: {filepath!r} is a directory, not a weight file; give the .h5 file inside it."
        )
    if not os.path.isfile(filepath):
        raise WeightsFileNotFoundError(f"load_weights: no such file {filepath!r}.")
    try:
        return h5py.File(filepath, "r")
    except OSError as exc:
        if _is_lock_error(exc):
            raise WeightsFileLockedError(
                errno.EAGAIN,
                f"load_weights: {filepath!r} is locked: another process has it open for writing (a save in "
                "progress, or an h5py.File opened with 'w'/'a' not yet closed). Wait until it is closed and "
                f"try again. (h5py: {exc})",
            ) from None
        with open(filepath, "rb") as raw:
            head = raw.read(8)
        size = os.path.getsize(filepath)
        if not head.startswith(_HDF5_SIGNATURE):
            what = "is empty" if size == 0 else f"is not an HDF5 file (it starts with {head!r})"
        else:
            what = f"is a damaged HDF5 file ({size} bytes; truncated by an interrupted copy or download?)"
        raise DamagedWeightsFileError(
            f"load_weights: {filepath!r} {what}. Keras 0.x weights are HDF5 files written by save_weights; "
            f"restore or re-download the file. The model's weights are unchanged. (h5py: {exc})"
        ) from None


def _is_lock_error(exc):
    text = str(exc).lower()
    return isinstance(exc, BlockingIOError) or "unable to lock file" in text


def _guarded(filepath, read):
    """Run ``read(f)`` on the open file; low-level read failures become ``DamagedWeightsFileError``."""
    with _open(filepath) as f:
        try:
            return read(f)
        except WeightsFileError:
            raise
        except (OSError, RuntimeError, KeyError) as exc:
            raise DamagedWeightsFileError(
                f"load_weights: {os.fspath(filepath)!r} cannot be read ({exc}); the file is damaged. "
                "The model's weights are unchanged."
            ) from None


def load_sequential_weights(filepath, expected=None):
    """Read a Sequential file: a list, per layer, of lists of arrays.

    ``expected`` (per layer, the list of the model's weight shapes) is
    checked against the declared shapes before any data is read.
    """
    return _guarded(filepath, lambda f: _read_sequential(f, filepath, expected))


def _read_sequential(f, filepath, expected=None):
    if "nb_layers" not in f.attrs:
        hint = " (it holds a 'graph' group: load it into a Graph model)" if "graph" in f else ""
        raise WeightsFileError(
            f"load_weights: {os.fspath(filepath)!r} has no root attribute 'nb_layers'; "
            f"not a Keras 0.x Sequential weight file{hint}."
        )
    nb_layers = _count_attr(f, "nb_layers", "the root group")
    if expected is not None and nb_layers != len(expected):
        raise WeightsFileError(
            f"load_weights: the file holds {nb_layers} layers (nb_layers) but the model has "
            f"{len(expected)} layers."
        )
    size = os.path.getsize(filepath)
    layers = []
    for k in range(nb_layers):
        key = f"layer_{k}"
        if key not in f or not isinstance(f[key], h5py.Group):
            raise WeightsFileError(f"load_weights: the file says nb_layers={nb_layers} but has no group {key!r}.")
        layers.append(_param_datasets(f[key], f"group {key!r}", size))
    if expected is not None:
        check_sequential_weights(layers, expected)
    return [_read_data(datasets, f"group 'layer_{k}'") for k, datasets in enumerate(layers)]


def load_graph_weights(filepath, expected=None):
    """Read a Graph file: the flat list of arrays of the ``graph`` group (``expected``: the model's shapes)."""
    return _guarded(filepath, lambda f: _read_graph(f, filepath, expected))


def _read_graph(f, filepath, expected=None):
    if "graph" not in f or not isinstance(f["graph"], h5py.Group):
        hint = " (it has 'nb_layers': load it into a Sequential model)" if "nb_layers" in f.attrs else ""
        raise WeightsFileError(
            f"load_weights: {os.fspath(filepath)!r} has no 'graph' group; "
            f"not a Keras 0.x Graph weight file{hint}."
        )
    datasets = _param_datasets(f["graph"], "group 'graph'", os.path.getsize(filepath))
    if expected is not None:
        check_weights(datasets, expected, "group 'graph'")
    return _read_data(datasets, "group 'graph'")


def check_weights(found, expected_shapes, where):
    """Raise ValueError unless ``found`` arrays match ``expected_shapes`` in count and shape."""
    if len(found) != len(expected_shapes):
        raise WeightsFileError(
            f"load_weights: {where} holds {len(found)} arrays but the model expects "
            f"{len(expected_shapes)} (shapes {[tuple(s) for s in expected_shapes]})."
        )
    for n, (w, shape) in enumerate(zip(found, expected_shapes)):
        if tuple(np.shape(w)) != tuple(shape):
            raise WeightsFileError(
                f"load_weights: {where}, param_{n} has shape {tuple(np.shape(w))}, "
                f"the model expects {tuple(shape)}."
            )


def check_sequential_weights(found, expected):
    """Validate a whole Sequential file (``found``) against ``expected`` per-layer shape lists."""
    if len(found) != len(expected):
        raise WeightsFileError(
            f"load_weights: the file holds {len(found)} layers (nb_layers) but the model has "
            f"{len(expected)} layers."
        )
    for k, (layer_found, layer_expected) in enumerate(zip(found, expected)):
        check_weights(layer_found, layer_expected, f"layer {k} (group 'layer_{k}')")
