"""RowsInc (the C row increment behind the embedding gradient) and the default mode's
output-buffer reuse (allow_gc=False): same numbers as NumPy, bit for bit."""

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy.backend.rows_ops import RowsInc

C_MODE = pytensor.compile.mode.get_mode("CVM")
PY_MODE = pytensor.compile.mode.Mode(linker="py", optimizer="fast_compile")


def _add_at(x, idx, y):
    """Independent reference: one row at a time, in index order."""
    out = x.copy()
    rows = x.shape[0]
    for i, r in enumerate(idx):
        r = int(r) + rows if r < 0 else int(r)
        for j in range(x.shape[1]):
            out[r, j] = out[r, j] + y[i, j]
    return out


@pytest.fixture(scope="module")
def row_fns():
    fns = {}
    for dtype in ("float32", "float64"):
        x, y, idx = T.matrix(dtype=dtype), T.matrix(dtype=dtype), T.ivector()
        out = RowsInc()(x, y, idx)
        fns[dtype] = {
            "c": pytensor.function([x, y, idx], out, mode=C_MODE),
            "py": pytensor.function([x, y, idx], out, mode=PY_MODE),
        }
    return fns


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend", ["c", "py"])
def test_rows_inc_equals_numpy_bit_for_bit(row_fns, dtype, backend):
    rng = np.random.RandomState(3)
    x = rng.randn(7, 5).astype(dtype)
    idx = np.array([0, 3, 3, -1, 6, 0, 3, 2, -7], dtype="int32")  # repeats and negatives
    y = (rng.randn(len(idx), 5) * 10.0 ** rng.randint(-3, 4, size=(len(idx), 1))).astype(dtype)
    got = row_fns[dtype][backend](x, y, idx)
    np.testing.assert_array_equal(got, _add_at(x, idx, y))
    np.testing.assert_array_equal(x, x.copy())  # the input is not touched (not inplace)
    # the reused output buffer of the next call holds the new result only
    x2 = rng.randn(7, 5).astype(dtype)
    got2 = row_fns[dtype][backend](x2, y[:2], idx[:2])
    np.testing.assert_array_equal(got2, _add_at(x2, idx[:2], y[:2]))
    np.testing.assert_array_equal(got, _add_at(x, idx, y))  # the first result was not overwritten


@pytest.mark.parametrize("backend", ["c", "py"])
def test_rows_inc_errors(row_fns, backend):
    f = row_fns["float64"][backend]
    x = np.zeros((4, 3))
    with pytest.raises(IndexError, match="out of bounds"):
        f(x, np.ones((1, 3)), np.array([4], dtype="int32"))
    with pytest.raises(ValueError, match="RowsInc: y must have the shape of idx"):
        f(x, np.ones((2, 3)), np.array([1], dtype="int32"))
    with pytest.raises(ValueError, match="RowsInc: y must have the shape of idx"):
        f(x, np.ones((1, 2)), np.array([1], dtype="int32"))


def test_rows_inc_refuses_bad_types():
    with pytest.raises(TypeError, match="share a float dtype"):
        RowsInc()(T.matrix(dtype="float32"), T.matrix(dtype="float64"), T.ivector())
    with pytest.raises(TypeError, match="expected a matrix x"):
        RowsInc()(T.vector(), T.matrix(), T.ivector())
    with pytest.raises(TypeError, match="expected a matrix x"):
        RowsInc()(T.matrix(), T.matrix(), T.imatrix())
    with pytest.raises(TypeError, match="integers"):
        RowsInc()(T.matrix(), T.matrix(), T.vector())


def test_default_mode_keeps_intermediates():
    assert K.get_mode(None).linker.allow_gc is False
    assert K.get_mode("CVM").linker.allow_gc == pytensor.config.allow_gc  # a named mode is PyTensor's


def test_embedding_gradient_uses_rows_inc_and_matches_numpy():
    W = pytensor.shared(np.random.RandomState(0).randn(10, 4))
    X = T.imatrix()
    R = T.tensor3()
    cost = T.sum(W[X] * R)
    g = pytensor.grad(cost, W)
    f = K.function([X, R], [g])
    ops = [type(n.op).__name__ for n in f.maker.fgraph.toposort()]
    assert "RowsInc" in ops and not any(op.startswith("AdvancedIncSubtensor") for op in ops)
    rng = np.random.RandomState(1)
    for shape in ((3, 5), (2, 2), (3, 5)):  # shapes change between calls: buffers follow
        Xv = rng.randint(0, 10, size=shape).astype("int32")
        Rv = rng.randn(*shape, 4)
        expected = _add_at(np.zeros((10, 4)), Xv.ravel(), Rv.reshape(-1, 4))
        np.testing.assert_array_equal(f(Xv, Rv)[0], expected)


@pytest.mark.parametrize("backend", ["c", "py"])
def test_rows_inc_with_a_matrix_index(backend):
    x, y, idx = T.matrix(), T.tensor3(), T.imatrix()
    mode = C_MODE if backend == "c" else PY_MODE
    f = pytensor.function([x, y, idx], RowsInc()(x, y, idx), mode=mode)
    rng = np.random.RandomState(5)
    xv = rng.randn(6, 3)
    iv = rng.randint(-6, 6, size=(4, 5)).astype("int32")
    yv = rng.randn(4, 5, 3)
    np.testing.assert_array_equal(f(xv, yv, iv), _add_at(xv, iv.ravel(), yv.reshape(-1, 3)))
    # a transposed index (Fortran order) walks in C order, as numpy.add.at
    np.testing.assert_array_equal(f(xv, yv.transpose(1, 0, 2).copy(), iv.T),
                                  _add_at(xv, iv.T.ravel(), yv.transpose(1, 0, 2).reshape(-1, 3)))
    with pytest.raises(ValueError, match="RowsInc: y must have the shape of idx"):
        f(xv, rng.randn(5, 4, 3), iv)  # same number of rows, wrong shape


def test_shape_is_inferred_without_running_the_increment():
    """``infer_shape`` (PyTensor 3.0 and 3.3 call conventions): the shape graph skips RowsInc."""
    x, y, idx = T.matrix(dtype="float64"), T.matrix(dtype="float64"), T.ivector()
    f = pytensor.function([x, y, idx], RowsInc()(x, y, idx).shape, mode=C_MODE,
                          on_unused_input="ignore")
    assert not any(isinstance(n.op, RowsInc) for n in f.maker.fgraph.toposort())
    got = f(np.zeros((5, 3)), np.ones((2, 3)), np.array([1, 4], dtype="int32"))
    assert tuple(got) == (5, 3)
