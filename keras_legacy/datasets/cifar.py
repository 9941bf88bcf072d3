"""``keras.datasets.cifar``: one CIFAR batch file (a Python 2 pickle of a dict)."""

from __future__ import annotations

import numpy as np

from keras_legacy.datasets.data_utils import DatasetNotFoundError, load_pickle


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of a CIFAR batch: data uint8 reshaped to (n, 3, 32, 32), labels a list."""
    if not isinstance(fpath, str) or not fpath:
        raise TypeError(f"load_batch expects the path of a CIFAR batch file, got {fpath!r}.")
    try:
        batch = load_pickle(fpath)
    except DatasetNotFoundError as exc:
        raise DatasetNotFoundError(
            f"The CIFAR batch {fpath} is missing: its folder is incomplete. Delete the folder "
            "(and its .tar.gz if that is damaged) so that it is extracted or downloaded again."
        ) from exc
    if not isinstance(batch, dict) or "data" not in batch or label_key not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(
            f"{fpath} should be a pickled dict with keys 'data' and {label_key!r}; got {keys}."
        )
    data = np.asarray(batch["data"])
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(
            f"{fpath}: 'data' should have shape (n, 3072) (3 colour planes of 32x32), "
            f"got {data.shape}."
        )
    data = data.reshape(data.shape[0], 3, 32, 32)
    return data, batch[label_key]
