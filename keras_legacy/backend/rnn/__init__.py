"""The fused LSTM / GRU recurrences: PyTensor Ops with C code (BLAS; float32 vector kernels
for AVX-512, AVX2 + FMA or portable C), their NumPy ``perform``, and the graph builders the
recurrent layers call.

Takes tensors and activation names; knows no layer.  Modules:

* ``gates``: the gate orders of the cells (``LSTM_GATES``, ``GRU_GATES``), the
  activations the kernels implement;
* ``fused``: ``recurrence`` (kernel selection from tensors), ``lstm_sequence``,
  ``gru_sequence``, ``enabled``, the ``forward_only`` rewrite;
* ``ops_common``, ``ops_lstm``, ``ops_gru``: the Ops;
* ``csource``: their C text, read from the ``.c``/``.h`` files of ``c/``;
* ``isa``: which float32 kernel the CPU gets (``KERAS_LEGACY_RNN_ISA`` forces one);
* ``numba_impl``, ``jax_impl``: their implementations for PyTensor's Numba and JAX
  backends, registered here, when PyTensor loads those backends (so any
  ``pytensor.function`` of a layer's output runs the fused Ops natively in every mode;
  JAX only where jax is installed).
* ``clib``, ``numba_c``: the Ops' C built as shared libraries and called from Numba
  (``numba_impl`` uses them when a C compiler is there).
"""

from keras_legacy.backend.pytensor_compat import on_jax_backend, on_numba_backend
from keras_legacy.backend.rnn import jax_impl, numba_impl
from keras_legacy.backend.rnn.csource import has_blas
from keras_legacy.backend.rnn.fused import (
           enabled,
           forward_only,
           gru_sequence,
           lstm_sequence,
           recurrence,
)
from keras_legacy.backend.rnn.gates import (
           GRU_GATES,
           LSTM_GATES,
           SUPPORTED,
           Gates,
           supports,
)
from keras_legacy.backend.rnn.ops_gru import GRUForward, GRUGrad
from keras_legacy.backend.rnn.ops_lstm import LSTMForward, LSTMForwardX, LSTMGrad

__all__ = ["GRU_GATES", "LSTM_GATES", "SUPPORTED", "GRUForward", "GRUGrad", "Gates", "LSTMForward",
           "LSTMForwardX", "LSTMGrad", "enabled", "forward_only", "gru_sequence", "has_blas",
           "lstm_sequence", "recurrence", "supports"]

on_numba_backend(numba_impl.register)
if jax_impl.AVAILABLE:
    on_jax_backend(jax_impl.register)
