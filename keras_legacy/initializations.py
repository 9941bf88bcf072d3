"""Weight initialisations of Keras 0.1.3.

Each function makes the same ``numpy.random`` calls, in the same order, as the
original, so ``np.random.seed(s)`` before building a model gives the original's
initial weights.  They return shared variables of dtype floatX, as 0.x did.
"""

from __future__ import annotations

import numpy as np

from keras_legacy.utils.generic_utils import get_from_module
from keras_legacy.utils.theano_utils import shared_ones, shared_zeros, sharedX


def get_fans(shape):
    if len(shape) == 2:
        return shape[0], shape[1]
    return int(np.prod(shape[1:])), shape[0]


def uniform(shape, scale=0.05):
    return sharedX(np.random.uniform(low=-scale, high=scale, size=shape))


def normal(shape, scale=0.05):
    return sharedX(np.random.randn(*shape) * scale)


def lecun_uniform(shape):
    """U(-s, s) with s = sqrt(3 / fan_in)."""
    fan_in, _ = get_fans(shape)
    return uniform(shape, np.sqrt(3.0 / fan_in))


def glorot_normal(shape):
    """N(0, s) with s = sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = get_fans(shape)
    return normal(shape, np.sqrt(2.0 / (fan_in + fan_out)))


def glorot_uniform(shape):
    """U(-s, s) with s = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = get_fans(shape)
    return uniform(shape, np.sqrt(6.0 / (fan_in + fan_out)))


def he_normal(shape):
    """N(0, s) with s = sqrt(2 / fan_in)."""
    fan_in, _ = get_fans(shape)
    return normal(shape, np.sqrt(2.0 / fan_in))


def he_uniform(shape):
    """U(-s, s) with s = sqrt(6 / fan_in)."""
    fan_in, _ = get_fans(shape)
    return uniform(shape, np.sqrt(6.0 / fan_in))


def orthogonal(shape, scale=1.1):
    """The orthogonal factor of the SVD of a N(0, 1) matrix, times ``scale`` (1.1)."""
    flat_shape = (shape[0], int(np.prod(shape[1:])))
    a = np.random.normal(0.0, 1.0, flat_shape)
    u, _, v = np.linalg.svd(a, full_matrices=False)
    q = u if u.shape == flat_shape else v
    q = q.reshape(shape)
    return sharedX(scale * q[: shape[0], : shape[1]])


def identity(shape, scale=1):
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(
            f"identity initialization needs a square 2-D shape, got {tuple(shape)}; "
            "use another init for this weight."
        )
    return sharedX(scale * np.identity(shape[0]))


def zero(shape):
    return shared_zeros(shape)


def one(shape):
    return shared_ones(shape)


_REGISTRY = {
    "uniform": uniform,
    "normal": normal,
    "lecun_uniform": lecun_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "orthogonal": orthogonal,
    "identity": identity,
    "zero": zero,
    "one": one,
}


def get(identifier):
    return get_from_module(identifier, _REGISTRY, "initialization")


def name_of(fn) -> str:
    for name, f in _REGISTRY.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", str(fn))
