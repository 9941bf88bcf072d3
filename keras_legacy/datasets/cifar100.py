"""``keras.datasets.cifar100``: CIFAR-100 (folder ``cifar-100-python`` from its tar.gz)."""

from __future__ import annotations

import os

import numpy as np

from keras_legacy.datasets.cifar import load_batch
from keras_legacy.datasets.data_utils import get_file

DIRNAME = "cifar-100-python"
ORIGIN = "http://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
LABEL_MODES = ("fine", "coarse")


def load_data(label_mode="fine"):
    """``(X_train, y_train), (X_test, y_test)``: X uint8 (n, 3, 32, 32), y int64 (n, 1).

    ``label_mode`` 'fine' (100 classes) or 'coarse' (20 superclasses) picks the
    ``fine_labels`` or ``coarse_labels`` of the ``train`` and ``test`` files.
    """
    if label_mode not in LABEL_MODES:
        raise ValueError(f'label_mode must be one of "fine" "coarse", got {label_mode!r}.')
    path = get_file(DIRNAME, origin=ORIGIN, untar=True)
    key = label_mode + "_labels"
    X_train, y_train = load_batch(os.path.join(path, "train"), label_key=key)
    X_test, y_test = load_batch(os.path.join(path, "test"), label_key=key)
    y_train = np.reshape(np.asarray(y_train, dtype=np.int64), (len(y_train), 1))
    y_test = np.reshape(np.asarray(y_test, dtype=np.int64), (len(y_test), 1))
    return (X_train, y_train), (X_test, y_test)
