"""Objective (loss) functions of Keras 0.1.3.

Each function takes symbolic ``(y_true, y_pred)`` and returns the PER-SAMPLE
value: the mean over the last axis (categorical crossentropy: the crossentropy
of each row).  Averaging over the batch (and sample weights, masks) is the
model's business (``weighted_objective``).

Clipping epsilon: ``1e-9`` when ``floatX`` is float64, ``1e-7`` otherwise
(float32), as in 0.1.2-0.2.0.  The original fixed it when the module was
imported; here it is read from ``K.floatx()`` each time a loss graph is built
(see :func:`epsilon`), so changing ``floatX`` at run time is honoured.

Quirks kept from the original:

* ``categorical_crossentropy`` clips ``y_pred`` to ``[eps, 1 - eps]`` and then
  renormalises each row to sum 1 before taking ``-sum(y_true * log(y_pred))``;
* ``binary_crossentropy`` clips to ``[eps, 1 - eps]``, then averages over the
  last axis;
* ``mean_absolute_percentage_error`` divides by ``|y_true|`` clipped below at
  eps and multiplies by 100;
* ``mean_squared_logarithmic_error`` clips both arguments below at eps before
  ``log(1 + .)``;
* ``poisson_loss`` is ``mean(y_pred - y_true * log(y_pred + eps))`` (no clip,
  so a negative prediction gives NaN).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy import backend as K
from keras_legacy.utils.generic_utils import get_from_module


def epsilon():
    """The clipping epsilon for the current ``floatX``: 1e-9 (float64) or 1e-7."""
    return 1.0e-9 if K.floatx() == "float64" else 1.0e-7


def mean_squared_error(y_true, y_pred):
    return T.sqr(y_pred - y_true).mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    return abs(y_pred - y_true).mean(axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    denom = T.clip(abs(y_true), epsilon(), np.inf)
    return 100.0 * abs((y_true - y_pred) / denom).mean(axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    eps = epsilon()
    log_pred = T.log(T.clip(y_pred, eps, np.inf) + 1.0)
    log_true = T.log(T.clip(y_true, eps, np.inf) + 1.0)
    return T.sqr(log_pred - log_true).mean(axis=-1)


def squared_hinge(y_true, y_pred):
    return T.sqr(T.maximum(1.0 - y_true * y_pred, 0.0)).mean(axis=-1)


def hinge(y_true, y_pred):
    return T.maximum(1.0 - y_true * y_pred, 0.0).mean(axis=-1)


def categorical_crossentropy(y_true, y_pred):
    """Expects one-hot (or soft) targets of the same shape as ``y_pred``."""
    eps = epsilon()
    clipped = T.clip(y_pred, eps, 1.0 - eps)
    normalised = clipped / clipped.sum(axis=-1, keepdims=True)
    return K.categorical_crossentropy(normalised, y_true)


def binary_crossentropy(y_true, y_pred):
    eps = epsilon()
    clipped = T.clip(y_pred, eps, 1.0 - eps)
    return K.binary_crossentropy(clipped, y_true).mean(axis=-1)


def poisson_loss(y_true, y_pred):
    return T.mean(y_pred - y_true * T.log(y_pred + epsilon()), axis=-1)


# 0.x aliases
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

#: Every name ``get`` resolves (the functions and their 0.x aliases).
OBJECTIVES = {
    "mean_squared_error": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "squared_hinge": squared_hinge,
    "hinge": hinge,
    "categorical_crossentropy": categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "poisson_loss": poisson_loss,
    "mse": mse,
    "MSE": MSE,
    "mae": mae,
    "MAE": MAE,
    "mape": mape,
    "MAPE": MAPE,
    "msle": msle,
    "MSLE": MSLE,
}


def get(identifier):
    """An objective by name (a function is returned as it is)."""
    return get_from_module(identifier, OBJECTIVES, "objective")


def name_of(fn):
    """The registry name of an objective function (for configs), else its ``__name__``."""
    for name, value in OBJECTIVES.items():
        if value is fn:
            return name
    return getattr(fn, "__name__", str(fn))
