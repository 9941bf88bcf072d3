"""Activation functions of Keras 0.1.3 (Theano semantics).

* ``hard_sigmoid(x) = clip(0.2 x + 0.5, 0, 1)``
* ``relu(x) = (x + |x|) / 2`` (the 0.1.x formula; its gradient at 0 is 0.5)
* ``softmax`` works over the last axis of an array of any rank (reshaped to 2-D,
  softmaxed row-wise, reshaped back), so it is time-distributed on 3-D input.
"""

from __future__ import annotations

import warnings

import pytensor.tensor as T

from keras_legacy import backend as K
from keras_legacy.backend.fast_tanh import fast_tanh
from keras_legacy.utils.generic_utils import get_from_module


def softmax(x):
    if x.ndim == 2:
        return K.softmax(x)
    flat = T.reshape(x, (-1, x.shape[-1]), ndim=2)
    return T.reshape(K.softmax(flat), x.shape, ndim=x.ndim)


def time_distributed_softmax(x):
    warnings.warn("time_distributed_softmax is deprecated. Just use softmax!", DeprecationWarning)
    return softmax(x)


def softplus(x):
    return K.softplus(x)


def relu(x):
    return (x + abs(x)) / 2.0


def tanh(x):
    """``tanh`` (``backend.fast_tanh``: libm's values to a few ulp, a vectorisable C body)."""
    return fast_tanh(x)


def sigmoid(x):
    return K.sigmoid(x)


def hard_sigmoid(x):
    return K.hard_sigmoid(x)


def linear(x):
    return x


_REGISTRY = {
    "softmax": softmax,
    "time_distributed_softmax": time_distributed_softmax,
    "softplus": softplus,
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "linear": linear,
}


def get(identifier):
    if identifier is None:
        return linear
    return get_from_module(identifier, _REGISTRY, "activation")


def name_of(fn) -> str:
    """The registry name that ``get_config`` writes for an activation function."""
    for name, f in _REGISTRY.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", str(fn))
