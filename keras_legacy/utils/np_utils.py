"""NumPy helpers of Keras 0.1.3 (``keras.utils.np_utils``); no PyTensor."""

from __future__ import annotations

import numpy as np


def to_categorical(y, nb_classes=None):
    """Class indices (0-based) to a float64 one-hot matrix of ``nb_classes`` columns.

    ``nb_classes`` defaults to ``max(y) + 1``.  A negative index counts from the
    last class, as NumPy indexing did in 0.1.3 (``-1`` is class ``nb_classes - 1``).
    """
    y = np.asarray(y, dtype="int32").ravel()
    if not nb_classes:
        nb_classes = int(np.max(y)) + 1 if y.size else 0
    if y.size and (y.min() < -nb_classes or y.max() >= nb_classes):  # 0.1.3: IndexError
        raise ValueError(
            f"to_categorical: class indices must lie in [0, {nb_classes - 1}] (or count from the end down to "
            f"-{nb_classes}) for nb_classes={nb_classes}, got values from {y.min()} to {y.max()}."
        )
    Y = np.zeros((len(y), nb_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y


def normalize(a, axis=-1, order=2):
    """``a`` divided by its ``order``-norm along ``axis`` (zero norms are left as 1)."""
    norms = np.atleast_1d(np.linalg.norm(a, order, axis))
    norms[norms == 0] = 1
    return a / np.expand_dims(norms, axis)


def binary_logloss(p, y):
    """Mean binary log loss of probabilities ``p`` for 0/1 targets ``y`` (``p`` clipped at 1e-15)."""
    eps = 1e-15
    p = np.minimum(1 - eps, np.maximum(eps, np.asarray(p, dtype="float64")))
    y = np.asarray(y)
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / len(y)


def multiclass_logloss(P, Y):
    """Mean of ``-log P[i, Y[i] - 1]``: ``Y`` holds 1-BASED class labels, as in 0.x.

    (0.x wrote this helper for 1-based labels; 0-based labels must be shifted
    by one.  No clipping: a zero probability gives ``inf``.)
    """
    P = np.asarray(P)
    Y = np.asarray(Y, dtype="int64")
    picked = P[np.arange(len(Y)), Y - 1]
    return -np.sum(np.log(picked)) / len(Y)


def accuracy(p, y):
    """Fraction of positions where ``p`` equals ``y``."""
    return np.mean([a == b for a, b in zip(p, y)])


def probas_to_classes(y_pred):
    """Argmax per row for several columns; ``1 if p > 0.5 else 0`` for one column or a vector."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return np.array([1 if p > 0.5 else 0 for p in y_pred.ravel()])


def categorical_probas_to_classes(p):
    return np.argmax(p, axis=1)
