"""The convolution and pooling Ops of ``keras_legacy.backend.conv`` against plain NumPy loops.

Every Op's result (the convolution with its bias, its gradients w.r.t. the images, the
kernel and the bias, max pooling and its gradient) in each compile mode -- the default
mode (C), a plain ``pytensor.function`` (PyTensor's default, Numba) and JAX where
installed -- and the NumPy ``perform`` math, against loops written from the definition:
1e-10 relative in float64, 1e-5 in float32.  One compiled function per (mode, dtype)
holds all the cases.  The gradients are also checked by central finite differences
(float64), and the gradients of the gradient Ops (built from the three convolution Ops)
by ``verify_grad``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy.backend import conv as conv_pkg
from keras_legacy.backend.conv import (
    Conv2D,
    Conv2DGradBias,
    Conv2DGradInput,
    Conv2DGradKernel,
    MaxPool2D,
    MaxPool2DGrad,
    csource,
    jax_impl,
    reference,
)
from keras_legacy.backend.conv.csource import has_blas

#: (pads (top, bottom, left, right), subsample, x shape, w shape, with a bias)
CONV_CASES = [
    ((0, 0, 0, 0), (1, 1), (2, 3, 5, 6), (4, 3, 3, 2), True),     # valid
    ((2, 2, 1, 1), (2, 1), (2, 2, 4, 5), (3, 2, 3, 2), True),     # full, strided rows
    ((1, 0, 2, 1), (1, 2), (1, 2, 5, 4), (2, 2, 2, 4), False),    # 'same' of an even kernel
    ((0, 0, 0, 0), (3, 2), (2, 1, 7, 7), (2, 1, 2, 2), True),     # stride longer than the kernel
    ((0, 0, 0, 0), (1, 1), (2, 3, 6, 1), (2, 3, 3, 1), True),     # a sequence as an image of width 1
]
#: (pool, stride, ignore_border, x shape, integer values: ties inside windows)
POOL_CASES = [
    ((2, 2), (2, 2), True, (2, 3, 5, 5), False),
    ((3, 2), (2, 1), False, (2, 2, 7, 6), False),
    ((2, 3), (3, 3), False, (3, 5, 4), True),
    ((3, 1), (2, 1), True, (2, 7, 3), True),
    ((2, 2), (1, 1), False, (1, 1, 4, 4), True),
]
MODES = ["C", "plain", "JAX"]
TOL = {"float64": 1e-10, "float32": 1e-5}


# --- plain loops from the definitions -------------------------------------------------------

def loop_conv(x, w, b, pads, subsample):
    """out[n, f, i, j] = b[f] + sum_{c,a,b} xp[n, c, i*sh + a, j*sw + b] * w[f, c, kh-1-a, kw-1-b]."""
    pt, pb, pl, pr = pads
    sh, sw = subsample
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    N, C, Hp, Wp = xp.shape
    F, _, kh, kw = w.shape
    Ho, Wo = (Hp - kh) // sh + 1, (Wp - kw) // sw + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    s = 0.0
                    for c in range(C):
                        for a in range(kh):
                            for bb in range(kw):
                                s += xp[n, c, i * sh + a, j * sw + bb] * w[f, c, kh - 1 - a, kw - 1 - bb]
                    out[n, f, i, j] = s + (b[f] if b is not None else 0.0)
    return out


def loop_conv_grads(x, w, dy, pads, subsample):
    """d sum(dy * conv(x, w)) / dx and / dw, accumulated term by term."""
    pt, pb, pl, pr = pads
    sh, sw = subsample
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    dxp, dw = np.zeros_like(xp, dtype=float), np.zeros(w.shape)
    F, C, kh, kw = w.shape
    for n, f, i, j in np.ndindex(*dy.shape):
        for c in range(C):
            for a in range(kh):
                for bb in range(kw):
                    r, q = i * sh + a, j * sw + bb
                    dxp[n, c, r, q] += dy[n, f, i, j] * w[f, c, kh - 1 - a, kw - 1 - bb]
                    dw[f, c, kh - 1 - a, kw - 1 - bb] += dy[n, f, i, j] * xp[n, c, r, q]
    return dxp[:, :, pt:pt + x.shape[2], pl:pl + x.shape[3]], dw


def loop_pool(x, pool, stride, ignore_border):
    """Windows from every stride; with ignore_border=False also the last partial ones;
    the gradient of sum(dy * y) puts dy on every element equal to its window's max."""
    H, W = x.shape[-2:]

    def starts(L, p, s):
        full = [r for r in range(0, L, s) if r + p <= L]
        if ignore_border:
            return full
        partial = [r for r in range(0, L, s) if r + p > L]
        return full + partial[:1] if (not full or full[-1] + p < L) else full

    rows, cols = starts(H, pool[0], stride[0]), starts(W, pool[1], stride[1])
    windows = [[(slice(r, min(r + pool[0], H)), slice(c, min(c + pool[1], W))) for c in cols] for r in rows]
    lead = x.shape[:-2]
    y = np.zeros(lead + (len(rows), len(cols)))
    for idx in np.ndindex(*lead):
        for i, row in enumerate(windows):
            for j, (sr, sc) in enumerate(row):
                y[idx + (i, j)] = x[idx][sr, sc].max()
    return y, windows


def loop_pool_grad(x, windows, y, dy):
    dx = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape[:-2]):
        for i, row in enumerate(windows):
            for j, (sr, sc) in enumerate(row):
                dx[idx][sr, sc] += np.where(x[idx][sr, sc] == y[idx + (i, j)], dy[idx + (i, j)], 0.0)
    return dx


def _rel_err(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-300)) if want.size else 0.0


# --- the data and the expected values (float64 loops) --------------------------------------

def _data():
    rng = np.random.RandomState(1234)
    conv = []
    for pads, sub, xs, ws, bias in CONV_CASES:
        x, w = rng.randn(*xs), rng.randn(*ws)
        b = rng.randn(ws[0]) if bias else None
        y = loop_conv(x, w, b, pads, sub)
        dy = rng.randn(*y.shape)
        dx, dw = loop_conv_grads(x, w, dy, pads, sub)
        want = [y, dx, dw] + ([dy.sum(axis=(0, 2, 3))] if bias else [])
        conv.append({"x": x, "w": w, "b": b, "dy": dy, "want": want})
    pool = []
    for p, s, ib, xs, ties in POOL_CASES:
        x = rng.randint(0, 3, size=xs).astype(float) if ties else rng.randn(*xs)
        y, windows = loop_pool(x, p, s, ib)
        dy = rng.randn(*y.shape)
        pool.append({"x": x, "dy": dy, "want": [y, loop_pool_grad(x, windows, y, dy)]})
    return conv, pool


DATA = _data()


def _graph(dtype):
    """Inputs, outputs and input values of one function holding every case."""
    inputs, outputs, values = [], [], []
    for (pads, sub, _, _, bias), d in zip(CONV_CASES, DATA[0]):
        x, w, dy = T.tensor4(dtype=dtype), T.tensor4(dtype=dtype), T.tensor4(dtype=dtype)
        b = T.vector(dtype=dtype) if bias else None
        y = Conv2D(pads, sub)(x, w, b) if bias else Conv2D(pads, sub)(x, w)
        wrt = [x, w] + ([b] if bias else [])
        outputs += [y] + T.grad(T.sum(y * dy), wrt)
        inputs += wrt + [dy]
        values += [d["x"], d["w"]] + ([d["b"]] if bias else []) + [d["dy"]]
    for (p, s, ib, xs, _), d in zip(POOL_CASES, DATA[1]):
        x, dy = T.tensor(dtype=dtype, shape=(None,) * len(xs)), T.tensor(dtype=dtype, shape=(None,) * len(xs))
        y = MaxPool2D(p, s, ib)(x)
        outputs += [y, T.grad(T.sum(y * dy), x)]
        inputs += [x, dy]
        values += [d["x"], d["dy"]]
    return inputs, outputs, [np.asarray(v, dtype=dtype) for v in values]


def _wanted():
    return [v for d in DATA[0] + DATA[1] for v in d["want"]]


_FUNCTIONS = {}


def compiled(mode, dtype):
    """One function per (mode, dtype), shared by the tests of this module."""
    if (mode, dtype) not in _FUNCTIONS:
        inputs, outputs, values = _graph(dtype)
        if mode == "C":
            f = K.function(inputs, outputs)
        else:
            f = pytensor.function(inputs, outputs, **({} if mode == "plain" else {"mode": mode}))
        _FUNCTIONS[mode, dtype] = (f, values)
    return _FUNCTIONS[mode, dtype]


#: (mode, dtype) compiled: the Numba implementations are generic in the dtype, so a plain
#: function is compiled for float64 only (each Numba compile of this graph takes ~30 s cold).
RUNS = [(mode, dtype) for mode in MODES for dtype in ("float64", "float32")
        if not (mode == "plain" and dtype == "float32")]


@pytest.mark.parametrize("mode,dtype", RUNS)
def test_ops_match_loops(mode, dtype):
    if mode == "JAX" and not jax_impl.AVAILABLE:
        pytest.skip("jax is not installed (optional extra `jax`)")
    f, values = compiled(mode, dtype)
    names = {type(n.op).__name__ for n in f.maker.fgraph.apply_nodes}
    assert {"Conv2D", "Conv2DGradInput", "Conv2DGradKernel", "Conv2DGradBias", "MaxPool2D", "MaxPool2DGrad"} <= names
    got = f(*values)
    errors = [_rel_err(g, w) for g, w in zip(got, _wanted())]
    assert max(errors) <= TOL[dtype], errors


def test_perform_matches_loops():
    """The NumPy ``perform`` math (``reference``), float64, to 1e-12."""
    errors = []
    for (pads, sub, _, _, _), d in zip(CONV_CASES, DATA[0]):
        y = reference.conv_forward(d["x"], d["w"], d["b"], pads, sub)
        dx = reference.conv_grad_input(d["dy"], d["w"], d["x"].shape, pads, sub)
        dw = reference.conv_grad_kernel(d["x"], d["dy"], d["w"].shape, pads, sub)
        errors += [_rel_err(v, w) for v, w in zip((y, dx, dw), d["want"])]
    for (p, s, ib, _, _), d in zip(POOL_CASES, DATA[1]):
        y = reference.max_pool(d["x"], p, s, ib)
        errors += [_rel_err(y, d["want"][0]),
                   _rel_err(reference.max_pool_grad(d["x"], y, d["dy"], p, s, ib), d["want"][1])]
    assert max(errors) <= 1e-12, errors


def test_gradients_by_finite_differences():
    """Central differences of sum(dy * conv(x, w) + b) through the compiled forward (C mode, float64)."""
    f, values = compiled("C", "float64")
    rng = np.random.RandomState(7)
    layout = [(pads, bias) for pads, _, _, _, bias in CONV_CASES]
    pos, out_pos = 0, 0
    for case, (_, bias) in enumerate(layout):
        n_in = 3 + bias
        outs = 3 + bias
        for k in range(n_in - 1):  # x, w (, b)
            arr = values[pos + k]
            for _ in range(3):
                idx = tuple(rng.randint(s) for s in arr.shape)
                loss = []
                for step in (1e-6, -1e-6):
                    vals = [v.copy() for v in values]
                    vals[pos + k][idx] += step
                    y = f(*vals)[out_pos]
                    loss.append(float(np.sum(y * values[pos + n_in - 1])))
                fd = (loss[0] - loss[1]) / 2e-6
                analytic = DATA[0][case]["want"][1 + k][idx]
                assert abs(fd - analytic) <= 1e-6 * max(1.0, abs(analytic)), (case, k, idx, fd, analytic)
        pos += n_in
        out_pos += outs


@pytest.mark.parametrize("op_type", [Conv2DGradInput, Conv2DGradKernel, Conv2DGradBias])
def test_gradient_ops_have_gradients(op_type):
    """The gradient Ops' own gradients (through the three convolution Ops), by ``verify_grad``."""
    rng = np.random.RandomState(3)
    pads, sub = (1, 0, 1, 1), (2, 1)
    x, w = rng.randn(2, 2, 5, 4), rng.randn(3, 2, 2, 3)
    dy = rng.randn(*reference.conv_forward(x, w, None, pads, sub).shape)
    op = op_type() if op_type is Conv2DGradBias else op_type(pads, sub)
    if op_type is Conv2DGradBias:
        fn, point = Conv2DGradBias(), [dy]
    elif op_type is Conv2DGradInput:
        fn, point = (lambda d, k: op(d, k, T.constant(x))), [dy, w]
    else:
        fn, point = (lambda a, d: op(a, d, T.constant(w))), [x, dy]
    pytensor.gradient.verify_grad(fn, point, rng=rng, mode=K.get_mode(None), abs_tol=1e-6, rel_tol=1e-6)


def test_bad_inputs_are_explained():
    with pytest.raises(TypeError, match="4 dimensions"):
        Conv2D()(T.matrix(), T.tensor4())
    with pytest.raises(ValueError, match="pads must be 4 ints"):
        Conv2D(pads=(1, 1))
    with pytest.raises(ValueError, match="subsample must be two positive ints"):
        Conv2D(subsample=(0, 1))
    with pytest.raises(TypeError, match="share one dtype"):
        Conv2D()(T.tensor4(dtype="float32"), T.tensor4(dtype="float64"))

    if has_blas():  # the C code's check (without a BLAS the Op runs its NumPy perform)
        images, kernel = T.tensor4(dtype="float64"), T.tensor4(dtype="float64")
        g = K.function([images, kernel], Conv2D()(images, kernel))
        with pytest.raises(ValueError, match="shapes do not fit"):
            g(np.zeros((1, 2, 4, 4)), np.zeros((1, 3, 2, 2)))


# --- the C text ----------------------------------------------------------------------------

PACKAGE = Path(conv_pkg.__file__).resolve().parent


def test_cache_version_carries_a_digest_of_every_c_file():
    files = sorted(p for p in (PACKAGE / "c").rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files + [PACKAGE / m for m in csource.ASSEMBLING_MODULES]:
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    expected = int(digest.hexdigest()[:12], 16)
    for op in (Conv2D(), Conv2DGradInput(), Conv2DGradKernel(), Conv2DGradBias(), MaxPool2D(), MaxPool2DGrad()):
        assert op.c_code_cache_version()[1] == expected


def test_no_c_text_in_the_python_modules():
    for path in PACKAGE.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"typedef |#include|#define|PyArray_|PyErr_|malloc\(|for \(int", text), path.name


def test_every_template_slot_is_filled():
    sub = {"fail": "{ return 1; }"}
    t4 = T.tensor4
    for dtype in ("float32", "float64"):
        nodes = [Conv2D((1, 0, 2, 1), (2, 1)).make_node(t4(dtype=dtype), t4(dtype=dtype), T.vector(dtype=dtype)),
                 Conv2DGradInput().make_node(t4(dtype=dtype), t4(dtype=dtype), t4(dtype=dtype)),
                 Conv2DGradKernel().make_node(t4(dtype=dtype), t4(dtype=dtype), t4(dtype=dtype)),
                 Conv2DGradBias().make_node(t4(dtype=dtype)),
                 MaxPool2D((3, 2), (2, 3), False).make_node(T.tensor3(dtype=dtype)),
                 MaxPool2DGrad().make_node(t4(dtype=dtype), t4(dtype=dtype), t4(dtype=dtype))]
        for node in nodes:
            texts = [node.op.c_support_code_apply(node, "nm")]
            if has_blas() or isinstance(node.op, (Conv2DGradBias, MaxPool2D, MaxPool2DGrad)):
                names = [f"i{k}" for k in range(len(node.inputs))]
                texts.append(node.op.c_code(node, "nm", names, ["o0"], sub))
            for text in texts:
                assert "${" not in text and "@@" not in text, type(node.op).__name__


def test_pyproject_ships_the_c_files_as_package_data():
    import tomllib
    conf = tomllib.loads((PACKAGE.parents[2] / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["keras_legacy.backend.conv"]
    for path in (PACKAGE / "c").rglob("*"):
        if path.is_file():
            assert any(path.relative_to(PACKAGE).match(p) for p in patterns), path


def test_without_blas_the_convolutions_run_perform():
    """``blas__ldflags`` empty: the convolution Ops run their NumPy ``perform``, pooling stays in C."""
    (pads, sub, _, _, _), d = CONV_CASES[1], DATA[0][1]
    (pool, stride, ib, _, _) = POOL_CASES[1]
    x, w, b = T.tensor4(dtype="float64"), T.tensor4(dtype="float64"), T.vector(dtype="float64")
    y = Conv2D(pads, sub)(x, w, b)
    z = MaxPool2D(pool, stride, ib)(y)
    with pytensor.config.change_flags(blas__ldflags=""):
        f = K.function([x, w, b], [y, z, T.grad(T.sum(z), w)])
    in_c = {type(n.op).__name__ for n, t in zip(f.vm.nodes, f.vm.thunks) if hasattr(t, "cthunk")}
    assert {"MaxPool2D", "MaxPool2DGrad"} <= in_c and not in_c & {"Conv2D", "Conv2DGradKernel"}
    got = f(d["x"], d["w"], d["b"])
    assert _rel_err(got[0], d["want"][0]) <= 1e-10
    want_z, windows = loop_pool(d["want"][0], pool, stride, ib)
    assert _rel_err(got[1], want_z) <= 1e-10
    dz = loop_pool_grad(d["want"][0], windows, want_z, np.ones(want_z.shape))
    assert _rel_err(got[2], loop_conv_grads(d["x"], d["w"], dz, pads, sub)[1]) <= 1e-10
