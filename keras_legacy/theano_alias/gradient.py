"""``theano.gradient``: PyTensor's gradient module (``grad``, ``zero_grad``, ``verify_grad``...)."""

import pytensor.gradient as _gradient
from pytensor.gradient import *  # noqa: F401,F403


def __getattr__(name):
    return getattr(_gradient, name)
