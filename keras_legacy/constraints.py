"""Weight constraints of Keras 0.1.3.

A constraint maps the symbolic *new* value of a weight (after the optimizer
step) to the value actually stored:

* ``Constraint`` (alias ``identity``): ``p``;
* ``MaxNorm(m=2)`` (``maxnorm``): with ``n = sqrt(sum(p ** 2, axis=0))`` (the
  norm of each column, i.e. of the incoming weights of each unit),
  ``p * clip(n, 0, m) / (1e-7 + n)``;
* ``NonNeg`` (``nonneg``): ``p * (p >= 0)``;
* ``UnitNorm`` (``unitnorm``): ``p / sqrt(sum(p ** 2, axis=-1, keepdims=True))``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy.utils.generic_utils import get_from_module
from keras_legacy.utils.limits import short_repr


class Constraint:
    """The identity constraint."""

    def __call__(self, p):
        return p

    def get_config(self):
        return {"name": self.__class__.__name__}


class MaxNorm(Constraint):
    """Rescale each column whose L2 norm (over axis 0) exceeds ``m`` to norm ``m``."""

    def __init__(self, m=2):
        self.m = m

    def __call__(self, p):
        norms = T.sqrt(T.sum(T.sqr(p), axis=0))
        desired = T.clip(norms, 0, self.m)
        return p * (desired / (np.asarray(1e-7, dtype=p.dtype) + norms))

    def get_config(self):
        return {"name": self.__class__.__name__, "m": self.m}


class NonNeg(Constraint):
    """Zero the negative entries."""

    def __call__(self, p):
        return p * T.cast(T.ge(p, 0), p.dtype)


class UnitNorm(Constraint):
    """Divide each row (the last axis) by its L2 norm."""

    def __call__(self, p):
        return p / T.sqrt(T.sum(p ** 2, axis=-1, keepdims=True))


identity = Constraint
maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm

_REGISTRY = {
    "Constraint": Constraint,
    "MaxNorm": MaxNorm,
    "NonNeg": NonNeg,
    "UnitNorm": UnitNorm,
    "identity": identity,
    "maxnorm": maxnorm,
    "nonneg": nonneg,
    "unitnorm": unitnorm,
}


def get(identifier, kwargs=None):
    """A constraint from a name (instantiated with ``kwargs``), a config dict, or an instance.

    ``None`` stays ``None`` (no constraint).
    """
    if isinstance(identifier, dict):
        kwargs = {k: v for k, v in identifier.items() if k != "name"}
        identifier = identifier.get("name")
        if not isinstance(identifier, str):
            raise ValueError(f"A constraint config needs a 'name' string, got {short_repr(identifier)}.")
    return get_from_module(identifier, _REGISTRY, "constraint", instantiate=True, kwargs=kwargs)
