"""The 0.1.x/0.2.0 ``keras.utils.theano_utils`` helpers, on PyTensor."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as T

from keras_legacy import backend as K


def floatX(X):
    return np.asarray(X, dtype=K.floatx())


def sharedX(X, dtype=None, name=None):
    return pytensor.shared(np.asarray(X, dtype=dtype or K.floatx()), name=name)


def shared_zeros(shape, dtype=None, name=None):
    return sharedX(np.zeros(shape), dtype=dtype, name=name)


def shared_scalar(val=0.0, dtype=None, name=None):
    return pytensor.shared(np.asarray(val, dtype=dtype or K.floatx()), name=name)


def shared_ones(shape, dtype=None, name=None):
    return sharedX(np.ones(shape), dtype=dtype, name=name)


def alloc_zeros_matrix(*dims):
    return T.alloc(np.asarray(0.0, dtype=K.floatx()), *dims)


def ndim_tensor(ndim):
    if ndim == 1:
        return T.vector()
    if ndim == 2:
        return T.matrix()
    if ndim == 3:
        return T.tensor3()
    if ndim == 4:
        return T.tensor4()
    raise ValueError(f"ndim_tensor supports ndim 1 to 4, got {ndim}.")


def on_gpu():
    """Theano's old CUDA backend is gone; PyTensor reaches a GPU only through JAX."""
    return False
