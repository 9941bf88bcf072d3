"""Checks on the arguments of the training and prediction loops (``fit``/``predict``/``evaluate``).

Whole-number floats (``batch_size=32.0``) are accepted as the integers
they name, as the NumPy of the Keras 0.x era accepted them; anything else
that is not a positive integer raises before any batch runs.
"""

from __future__ import annotations

import numbers

import numpy as np

from keras_legacy import backend as K
from keras_legacy.utils.limits import short_repr

__all__ = ["check_batch_size", "check_nb_epoch", "check_fit_args", "validation_split_point",
           "check_extent", "check_fits_floatx", "check_truncate_gradients"]


def _whole(value, name, where, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be an integer, got {type(value).__name__} {short_repr(value, 40)}.")
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif np.isfinite(value) and float(value).is_integer():
        value = int(value)
    else:
        raise TypeError(f"{where}: {name} must be a whole number, got {short_repr(value, 40)}.")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {short_repr(value, 40)}.")
    return value


def check_batch_size(batch_size, where="fit/evaluate/predict"):
    """``batch_size`` as an int >= 1 (samples per batch)."""
    return _whole(batch_size, "batch_size", where, 1)


def check_nb_epoch(nb_epoch, where="fit"):
    """``nb_epoch`` as an int >= 0 (0 trains nothing, as in 0.x)."""
    return _whole(nb_epoch, "nb_epoch", where, 0)


def check_fit_args(batch_size, nb_epoch, where="fit"):
    return check_batch_size(batch_size, where), check_nb_epoch(nb_epoch, where)


def validation_split_point(nb_samples, validation_split, where="fit"):
    """The first validation sample, ``int(nb_samples * (1 - validation_split))`` as in 0.x.

    Raises ``ValueError`` when the split leaves no training sample or no
    validation sample.
    """
    split_at = int(nb_samples * (1 - validation_split))
    if split_at <= 0:
        raise ValueError(
            f"{where}: validation_split={validation_split} of {nb_samples} samples leaves no sample for "
            f"training (the first {split_at} samples train, the rest validate). Use a smaller "
            "validation_split, more samples, or validation_data=(X_val, y_val)."
        )
    if split_at >= nb_samples:
        raise ValueError(
            f"{where}: validation_split={validation_split} of {nb_samples} samples leaves no sample for "
            "validation. Use a larger validation_split or more samples."
        )
    return split_at


def check_extent(x, what, where):
    """Refuse data with an empty axis after the samples (0 timesteps, 0 features): nothing to compute."""
    shape = tuple(x.shape)
    for axis, size in enumerate(shape[1:], start=1):
        if size == 0:
            kind = "timesteps" if axis == 1 and len(shape) == 3 else "values along axis " + str(axis)
            raise ValueError(
                f"{where}: {what} has shape {shape}: 0 {kind}. Every sample needs at least one "
                f"{'timestep' if kind == 'timesteps' else 'value on each axis'}; drop empty sequences "
                "or pad them (keras_legacy.preprocessing.sequence.pad_sequences)."
            )


def check_fits_floatx(x, what, where):
    """Refuse float data whose finite values overflow ``floatX`` (they would become inf, the outputs NaN).

    NaN and inf are not looked at here (they are not an overflow of the conversion).
    """
    dtype = np.dtype(K.floatx())
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f" or x.dtype.itemsize <= dtype.itemsize or not x.size:
        return
    largest = float(np.max(np.abs(x), where=np.isfinite(x), initial=0.0))
    limit = float(np.finfo(dtype).max)
    if largest > limit:
        raise ValueError(
            f"{where}: {what} holds values up to {largest:.6g} in magnitude, beyond the largest {dtype} "
            f"({limit:.6g}, floatX={dtype}); converted to {dtype} they would become inf and the outputs NaN. "
            "Scale the data, or use floatX=float64."
        )


def _all_layers(model):
    """Every layer of ``model``, walking into containers, Merges, Graph nodes and AutoEncoders."""
    todo, seen = [model], set()
    while todo:
        layer = todo.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        todo.extend(getattr(layer, "layers", None) or [])
        nodes = getattr(layer, "nodes", None)
        if isinstance(nodes, dict):
            todo.extend(nodes.values())
        todo.extend(x for x in (getattr(layer, "encoder", None), getattr(layer, "decoder", None)) if x is not None)


def check_truncate_gradients(model):
    """Refuse to TRAIN a model with a recurrent layer whose ``truncate_gradient`` is not -1 or >= 1.

    ``truncate_gradient`` only shapes the gradient, so compiling, predicting
    and evaluating run with any value, as in 0.x.  Theano's scan
    back-propagated through ``min(steps, truncate_gradient)`` steps: with 0
    (or a value below -1) the gradient scan had no step and the first
    training call failed inside Theano; here it is a ``ValueError`` naming
    the layer, before the training function is compiled (both the fused and
    the scan path).
    """
    for layer in _all_layers(model):
        value = getattr(layer, "truncate_gradient", -1)
        if value is None or (isinstance(value, numbers.Integral) and not isinstance(value, bool)
                             and (value == -1 or value >= 1)):
            continue
        raise ValueError(
            f"{type(layer).__name__}: truncate_gradient={short_repr(value, 40)} cannot be trained: it is the "
            "number of steps back-propagation runs through (-1: all of them, k >= 1: the last k). "
            "Keras 0.x (Theano's scan) failed when training with it; predict and evaluate work. "
            "Use truncate_gradient=-1 or a positive integer to train."
        )
