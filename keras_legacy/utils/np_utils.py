"""NumPy helpers of Keras 0.1.3 (``keras.utils.np_utils``); no PyTensor."""

from __future__ import annotations

import numpy as np

from keras_legacy.utils.limits import short_repr


def to_categorical(y, nb_classes=None):
    """Class indices (0-based) to a float64 one-hot matrix of ``nb_classes`` columns.

    ``nb_classes`` defaults to ``max(y) + 1``.  A negative index counts from
    the last class, as NumPy indexing did in 0.1.3 (``-1`` is class
    ``nb_classes - 1``).  Labels must be whole numbers in
    ``[-nb_classes, nb_classes)``: 0.x cast them to int32 first, so ``1.7``
    became class 1 and ``2**32 + 1`` wrapped around; such labels raise
    ``ValueError`` here, naming the first bad value.
    """
    labels = np.asarray(y)
    if labels.dtype == object or labels.dtype.kind not in "biuf":
        raise TypeError(
            f"to_categorical: labels must be integers (class indices), got an array of dtype {labels.dtype}. "
            "Map class names to 0..nb_classes-1 first."
        )
    labels = labels.ravel()
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(labels) | (labels != np.floor(labels))
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(
                f"to_categorical: label {labels[k].item()!r} (at position {k}) is not a whole number; "
                "labels are class indices 0, 1, 2, ... (round or map them first)."
            )
    if isinstance(nb_classes, (float, np.floating)) and float(nb_classes).is_integer():
        nb_classes = int(nb_classes)  # NumPy of the 0.x era took a whole float as a size
    if nb_classes is not None and (not isinstance(nb_classes, (int, np.integer)) or isinstance(nb_classes, bool)):
        raise TypeError(f"to_categorical: nb_classes must be an integer, got {type(nb_classes).__name__} "
                        f"{short_repr(nb_classes, 40)}.")
    if not nb_classes:
        nb_classes = int(labels.max()) + 1 if labels.size else 0
    if nb_classes < 0:
        raise ValueError(f"to_categorical: nb_classes must be positive, got {nb_classes}.")
    if labels.size and (labels.max() >= nb_classes or labels.min() < -nb_classes):
        k = int(np.argmax(labels)) if labels.max() >= nb_classes else int(np.argmin(labels))
        raise ValueError(
            f"to_categorical: label {labels[k].item()!r} (at position {k}) is out of range: class indices "
            f"must lie in [0, {nb_classes - 1}] (or count from the last class down to -{nb_classes}) for "
            f"nb_classes={nb_classes}. Pass a larger nb_classes or fix the labels."
        )
    Y = np.zeros((len(labels), nb_classes))
    Y[np.arange(len(labels)), labels.astype(np.int64)] = 1.0
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
