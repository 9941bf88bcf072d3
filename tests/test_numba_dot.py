"""``Dot`` under the Numba backend on the pip OpenBLAS (``backend/numba_dot.py``): every
operand layout, the output written in place or through a copy, empty and mixed-dtype
products, against NumPy."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from pytensor.tensor.math import Dot

from keras_legacy import backend as K
from keras_legacy.backend import blas, numba_dot
from keras_legacy.backend.pytensor_compat import numba_funcify_now

pytest.importorskip("numba")

TOL = {"float32": 2e-5, "float64": 1e-12}


def close(got, want, dtype):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    assert float(np.abs(got - want).max(initial=0.0)) <= TOL[dtype] * scale


def views(A, B, C, dtype="float32"):
    """``(x, y)`` pairs of every layout kind, from A (6x5), B (5x4), C (4x6): the same
    expressions build the tensors and slice the arrays (float64: the first three, which
    take the three paths, to keep the compile short)."""
    pairs = [
        (A, B),                    # C-contiguous both
        (C.T, B.T),                # F-contiguous both (transposed views): 6x4 @ 4x5
        (A[::2], B),               # row steps: copied
        (A[:, ::-1], B[::-1]),     # negative strides: copied
        (A[:, 1:4], B[1:4, :3]),   # sub-blocks, the row stride wider than the columns
        (A[:1], B),                # one row
        (A, B[:, 2:3]),            # one column
        (C.T[:, 1:3], B.T[1:3]),   # a block of a transposed view, then a C block
    ]
    return pairs if dtype == "float32" else pairs[:3]


def batched(A3, B3, dtype="float32"):
    """Blockwise products: the output of each is written as slices of the batch."""
    pairs = [A3 @ B3, B3.transpose(0, 2, 1) @ A3.transpose(0, 2, 1)]
    return pairs if dtype == "float32" else pairs[:1]


@pytest.fixture(scope="module")
def layouts():
    """One compiled function per dtype holding every layout case (one Numba compile each)."""
    fns = {}
    for dtype in ("float32", "float64"):
        A, B, C = (T.matrix(dtype=dtype) for _ in range(3))
        A3, B3 = T.tensor3(dtype=dtype), T.tensor3(dtype=dtype)
        outs = [T.dot(x, y) for x, y in views(A, B, C, dtype)] + batched(A3, B3, dtype)
        fns[dtype] = pytensor.function([A, B, C, A3, B3], outs, mode="NUMBA")
    return fns


def test_registered_with_the_pip_openblas(layouts):
    assert numba_dot.registered() == (blas.pip_openblas_path() is not None)
    if numba_dot.registered():
        assert numba_funcify_now(Dot).__name__ == "funcify_dot"


def check(fn, arrays, dtype):
    A, B, C, A3, B3 = arrays
    want = [x @ y for x, y in views(A, B, C, dtype)] + batched(A3, B3, dtype)
    got = fn(A, B, C, A3, B3)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        close(g, w, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_layout_equals_numpy(layouts, dtype):
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=s).astype(dtype) for s in [(6, 5), (5, 4), (4, 6), (3, 6, 5), (3, 5, 4)]]
    check(layouts[dtype], arrays, dtype)


def test_arrays_in_any_layout(layouts):
    """The same function fed F-ordered and strided arrays (Numba's 'A' layout)."""
    dtype = "float32"
    rng = np.random.default_rng(4)
    arrays = [np.asfortranarray(rng.normal(size=(6, 5)).astype(dtype)),
              rng.normal(size=(10, 8)).astype(dtype)[::2, ::2],
              rng.normal(size=(6, 4)).astype(dtype).T,
              rng.normal(size=(3, 6, 5)).astype(dtype),
              np.ascontiguousarray(rng.normal(size=(3, 4, 5)).astype(dtype).transpose(0, 2, 1))]
    check(layouts[dtype], arrays, dtype)


def test_empty_products_and_other_dtypes():
    """m, n or k zero; mixed and integer dtypes keep PyTensor's own product."""
    x, y = T.matrix(dtype="float64"), T.matrix(dtype="float64")
    f = pytensor.function([x, y], T.dot(x, y), mode="NUMBA")
    for m, k, n in [(0, 3, 2), (3, 0, 2), (3, 2, 0), (1, 1, 1)]:
        a, b = np.full((m, k), 2.0), np.full((k, n), 3.0)
        out = f(a, b)
        assert out.shape == (m, n) and np.array_equal(out, a @ b)
    xs, yi = T.matrix(dtype="float32"), T.matrix(dtype="int32")
    g = pytensor.function([xs, x, yi], [T.dot(xs, x), T.dot(xs, yi)], mode="NUMBA")
    a = np.arange(6, dtype="float32").reshape(2, 3)
    b = np.arange(12, dtype="float64").reshape(3, 4)
    got = g(a, b, b.astype("int32"))
    assert got[0].dtype == np.float64 and np.allclose(got[0], a @ b, rtol=1e-12)
    assert np.allclose(got[1], a @ b, rtol=1e-6)


def test_recurrent_weight_gradient_under_a_plain_function():
    """The product the module exists for: ``dot(X.T, dA)`` of a reshaped time-major
    input, in a plain ``pytensor.function``, equals the C mode's."""
    X, G = T.tensor3(dtype="float32"), T.tensor3(dtype="float32")
    flat = X.dimshuffle(1, 0, 2).reshape((-1, X.shape[2]))
    dW = T.dot(flat.T, G.reshape((-1, G.shape[2])))
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 7, 3)).astype("float32")
    g = rng.normal(size=(7, 4, 6)).astype("float32")
    plain = pytensor.function([X, G], dW)
    c_mode = K.function([X, G], [dW])
    want = x.transpose(1, 0, 2).reshape(-1, 3).T @ g.reshape(-1, 6)
    close(plain(x, g), want, "float32")
    close(c_mode(x, g)[0], want, "float32")


def test_without_the_pip_openblas_pytensors_dot_stays(monkeypatch):
    """No pip OpenBLAS linked: nothing registered; one that fails to load: a warning saying
    so, nothing registered (PyTensor's Numba backend still loads)."""
    registered = []
    monkeypatch.setattr(blas, "pip_openblas_path", lambda: None)
    numba_dot.register(registered.append)
    monkeypatch.setattr(blas, "pip_openblas_path", lambda: "/nonexistent/libscipy_openblas.so")
    with pytest.warns(RuntimeWarning, match="could not be loaded"):
        numba_dot.register(registered.append)
    assert registered == []
