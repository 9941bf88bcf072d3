"""PyTensor's matrix product (``Dot``) under the Numba backend, on the C mode's OpenBLAS.

A plain ``pytensor.function`` compiles with Numba, whose ``np.dot`` calls the BLAS that
SciPy bundles; the C mode (``CVM``) calls the pip OpenBLAS of the ``blas`` extra
(``backend/blas.py``).  The two libraries are different OpenBLAS builds, and on some
layouts SciPy's is much slower: the weight gradient of a recurrent layer,
``dot(X.T, dA)`` with ``X`` 6400x128 and ``dA`` 6400x768 float32, measured 16.9 ms
through SciPy 1.17's OpenBLAS against 10.4 ms through the pip one (one thread), and the
GRU training step of ``benchmarks/bench_rnn.py`` ran 1.35x the C mode's time under a plain
function because of it (1.07-1.10x with this module).

``register`` therefore gives ``Dot`` a Numba implementation that calls the pip
OpenBLAS's ``cblas_sgemm`` / ``cblas_dgemm`` for two float32 or two float64 matrices:

    out = x @ y      (row-major ``C = op(A) op(B)``, ``beta = 0``)

A C-contiguous operand (row stride ``lda >= cols``) goes as it is, an F-contiguous one
(a transposed view) as its transpose (``CblasTrans``); any other layout (negative or zero
strides, steps) is copied to C order first.  An output that BLAS cannot write in place
is computed into a fresh array and copied.  Other dtypes and mixed dtypes keep PyTensor's
own implementation, and so does everything when the C backend does not use the pip
OpenBLAS (the user chose ``blas__ldflags``, or the extra is not installed).

The results equal NumPy's product within rounding (the order of the sums is BLAS's);
``tests/test_numba_dot.py`` checks every layout against NumPy.  The entry carries its
own cache version (``CACHE_VERSION``, a digest of its code), so PyTensor's on-disk cache
never hands this implementation to a process that did not register it, nor the reverse,
nor an older version of it.
"""

from __future__ import annotations

import hashlib
import inspect
import warnings

import numpy as np
from pytensor.tensor.math import Dot

from keras_legacy.backend import blas
from keras_legacy.backend.pytensor_compat import numba_funcify_now

#: ``cblas.h``'s enum values.
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

#: The largest dimension or leading dimension BLAS's 32-bit ints hold.
INT32_MAX = 2**31 - 1

_state = {"registered": False}


def _gemm_entries():
    """``{dtype: numba ExternalFunction}`` of the pip OpenBLAS's cblas GEMMs, or None."""
    path = blas.pip_openblas_path()
    if path is None:
        return None
    try:
        import llvmlite.binding as llvm
        from numba import types

        llvm.load_library_permanently(path)
    except (ImportError, OSError, RuntimeError) as err:
        warnings.warn(f"Dot under Numba: the pip OpenBLAS could not be loaded ({err}); PyTensor's "
                      "own Dot runs instead", RuntimeWarning, stacklevel=2)
        return None
    i32, ptr = types.int32, types.voidptr

    def entry(name, real):
        return types.ExternalFunction(
            f"{blas.SYMBOL_PREFIX}cblas_{name}",
            types.void(i32, i32, i32, i32, i32, i32, real, ptr, i32, ptr, i32, real, ptr, i32))

    return {np.dtype("float32"): entry("sgemm", types.float32),
            np.dtype("float64"): entry("dgemm", types.float64)}


def _operand(a, rows, cols, isz):
    """``(array, transpose flag, leading dimension)`` that pass ``a`` (rows x cols) to a
    row-major GEMM: itself when C-contiguous by rows or transposed, else a C-order copy."""
    s0, s1 = a.strides
    if s1 == isz and s0 % isz == 0 and cols <= s0 // isz <= INT32_MAX:
        return a, NO_TRANS, s0 // isz
    if s0 == isz and s1 % isz == 0 and rows <= s1 // isz <= INT32_MAX:
        return a, TRANS, s1 // isz
    return np.ascontiguousarray(a), NO_TRANS, cols


def _dot_function(gemm, dtype, operand):
    """The nopython ``dot(x, y, out=None)`` for two ``dtype`` matrices (``operand``: the
    jitted ``_operand``)."""
    isz = np.dtype(dtype).itemsize

    def dot(x, y, out=None):
        m, k = x.shape
        k2, n = y.shape
        if k != k2:
            raise ValueError("Dot: the inner dimensions differ (x is m x k, y must be k x n)")
        if out is None:
            out = np.empty((m, n), dtype)
        if m == 0 or n == 0:
            return out
        if k == 0:
            out[:, :] = 0
            return out
        if max(m, n, k) > INT32_MAX:
            out[:, :] = np.dot(np.ascontiguousarray(x), np.ascontiguousarray(y))
            return out
        xa, ta, lda = operand(x, m, k, isz)
        yb, tb, ldb = operand(y, k, n, isz)
        s0, s1 = out.strides
        direct = s1 == isz and s0 % isz == 0 and n <= s0 // isz <= INT32_MAX
        res = out if direct else np.empty((m, n), dtype)
        ldc = res.strides[0] // isz
        gemm(ROW_MAJOR, ta, tb, m, n, k, 1.0, xa.ctypes.data, lda, yb.ctypes.data, ldb, 0.0,
             res.ctypes.data, ldc)
        # the operands (maybe temporary copies) stay referenced until BLAS has read them
        if xa.size + yb.size < 0:
            raise ValueError("Dot: negative size")
        if not direct:
            out[:, :] = res
        return out

    return dot


def _cache_version():
    """A digest of the nopython code (``_operand``, ``_dot_function``) as an int: PyTensor's
    on-disk cache key of a graph with this ``Dot``; any edit of that code changes it (and it
    never equals the small integers of PyTensor's own ``Dot``)."""
    text = inspect.getsource(_operand) + inspect.getsource(_dot_function)
    return 1 << 40 | int(hashlib.sha256(text.encode()).hexdigest()[:10], 16)


#: The cache version of this implementation.
CACHE_VERSION = _cache_version()


def register(register_op):
    """Register ``Dot``'s Numba implementation with ``register_op(op_type)`` (a decorator
    of ``funcify(op, node, **kw) -> (function, version)``, ``pytensor_compat.on_numba_backend``)
    when the C backend uses the pip OpenBLAS; otherwise leave PyTensor's."""
    entries = _gemm_entries()
    if entries is None:
        return
    pytensors = numba_funcify_now(Dot)
    if pytensors is None:
        return
    from pytensor.link.numba.dispatch.basic import numba_njit

    jitted = {}
    operand = numba_njit(_operand)

    @register_op(Dot)
    def funcify_dot(op, node, **kwargs):
        x, y = node.inputs
        dtype = node.outputs[0].type.numpy_dtype
        if not (x.type.numpy_dtype == y.type.numpy_dtype == dtype and dtype in entries):
            return pytensors(op, node, **kwargs)
        if dtype not in jitted:
            jitted[dtype] = numba_njit(_dot_function(entries[dtype], dtype, operand))
            jitted[dtype].handles_out = True
        return jitted[dtype], CACHE_VERSION

    _state["registered"] = True


def registered():
    """Whether ``Dot`` runs on the pip OpenBLAS under Numba in this process (once Numba's
    backend has loaded)."""
    return _state["registered"]
