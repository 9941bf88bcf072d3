"""``keras.datasets.cifar10``: CIFAR-10 (folder ``cifar-10-batches-py`` from its tar.gz)."""

from __future__ import annotations

import os

import numpy as np

from keras_legacy.datasets.cifar import load_batch
from keras_legacy.datasets.data_utils import get_file

DIRNAME = "cifar-10-batches-py"
ORIGIN = "http://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
NB_TRAIN = 50000
BATCH_ROWS = 10000


def load_data():
    """``(X_train, y_train), (X_test, y_test)``.

    X_train uint8 (50000, 3, 32, 32) from ``data_batch_1..5`` (10000 rows each;
    as in 0.x a one-row batch fills its whole block), y_train uint8 (50000, 1);
    X_test uint8 (n, 3, 32, 32) and y_test int64 (n, 1) from ``test_batch``.
    """
    path = get_file(DIRNAME, origin=ORIGIN, untar=True)
    X_train = np.zeros((NB_TRAIN, 3, 32, 32), dtype="uint8")
    y_train = np.zeros((NB_TRAIN,), dtype="uint8")
    for i in range(1, NB_TRAIN // BATCH_ROWS + 1):
        fpath = os.path.join(path, "data_batch_" + str(i))
        data, labels = load_batch(fpath)
        if data.shape[0] not in (1, BATCH_ROWS) or len(labels) not in (1, BATCH_ROWS):
            raise ValueError(
                f"{fpath} holds {data.shape[0]} images and {len(labels)} labels; a CIFAR-10 "
                f"training batch holds {BATCH_ROWS}."
            )
        X_train[(i - 1) * BATCH_ROWS:i * BATCH_ROWS] = data
        y_train[(i - 1) * BATCH_ROWS:i * BATCH_ROWS] = labels

    X_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(np.asarray(y_test, dtype=np.int64), (len(y_test), 1))
    return (X_train, y_train), (X_test, y_test)
