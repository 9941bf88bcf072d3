"""Convolution and max-pooling Ops (C with BLAS, NumPy ``perform``, Numba and JAX
implementations) and the graph builders the convolutional layers call.

Takes tensors; knows no layer.  Modules:

* ``ops``: ``Conv2D``, ``Conv2DGradInput``, ``Conv2DGradBias``, ``Conv2DGradKernel``, ``MaxPool2D``, ``MaxPool2DGrad``;
* ``reference``: their NumPy math (``perform``);
* ``csource``: their C text, read from the files of ``c/``;
* ``numba_impl``, ``jax_impl``: their implementations for PyTensor's Numba and JAX backends,
  registered here when PyTensor loads those backends (JAX only where jax is installed).
"""

from keras_legacy.backend.conv import jax_impl, numba_impl
from keras_legacy.backend.conv.ops import (
    Conv2D,
    Conv2DGradBias,
    Conv2DGradInput,
    Conv2DGradKernel,
    MaxPool2D,
    MaxPool2DGrad,
)
from keras_legacy.backend.pytensor_compat import on_jax_backend, on_numba_backend

__all__ = ["Conv2D", "Conv2DGradBias", "Conv2DGradInput", "Conv2DGradKernel", "MaxPool2D", "MaxPool2DGrad"]

on_numba_backend(numba_impl.register)
if jax_impl.AVAILABLE:
    on_jax_backend(jax_impl.register)
