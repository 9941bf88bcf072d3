"""Every float32 kernel of the fused LSTM/GRU Ops this CPU runs (``backend/rnn/isa.py``:
AVX-512, AVX2 + FMA, the portable C one, the BLAS path), forced one after the other with
``KERAS_LEGACY_RNN_ISA``, against the float64 NumPy references of ``tests/reference.py``;
kernels the CPU lacks are skipped, saying what is missing.  The portable kernel and the
BLAS path run everywhere.  One compiled function per Op and kernel (module-scoped)."""

from __future__ import annotations

import os

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from pytensor.compile.mode import Mode

import reference
from keras_legacy import backend as K
from keras_legacy.backend import rnn
from keras_legacy.backend.blas import get_num_threads, set_num_threads
from keras_legacy.backend.rnn import isa

PY_MODE = Mode(linker="py", optimizer="fast_compile")


def _kernel_param(kernel):
    lacks = isa.missing(kernel)
    reason = f"this CPU lacks {', '.join(lacks)}: the {kernel} kernel cannot run here"
    return pytest.param(kernel, marks=pytest.mark.skipif(bool(lacks), reason=reason), id=kernel)


KERNEL_PARAMS = [_kernel_param(k) for k in isa.KERNELS]


class _Forced:
    """``KERAS_LEGACY_RNN_ISA=kernel`` while the functions are compiled."""

    def __init__(self, kernel):
        self.kernel = kernel

    def __enter__(self):
        self.before = os.environ.get(isa.ENV_VAR)
        os.environ[isa.ENV_VAR] = self.kernel

    def __exit__(self, *exc):
        if self.before is None:
            del os.environ[isa.ENV_VAR]
        else:
            os.environ[isa.ENV_VAR] = self.before


LSTM_ACTS, GRU_ACTS = ("tanh", "hard_sigmoid"), ("sigmoid", "tanh")


@pytest.fixture(scope="module", params=KERNEL_PARAMS)
def compiled(request):
    """``(kernel, f_lstm, f_lstm_fwd, f_gru, f_gru_fwd, texts)`` compiled with the kernel forced."""
    kernel = request.param
    f32 = "float32"
    X, dh, xp = T.tensor3(dtype=f32), T.tensor3(dtype=f32), T.tensor3(dtype=f32)
    W, U, b, m = T.matrix(dtype=f32), T.matrix(dtype=f32), T.vector(dtype=f32), T.matrix(dtype="int8")
    with _Forced(kernel):
        assert isa.selected() == kernel
        h = rnn.LSTMForwardX(*LSTM_ACTS, 2)(X.dimshuffle(1, 0, 2), m, W, U, b)[0]
        f_lstm = K.function([X, m, W, U, b, dh], [h] + T.grad((h * dh).sum(), [X, W, U, b]))
        h_fwd = rnn.LSTMForwardX(*LSTM_ACTS, 2)(X.dimshuffle(1, 0, 2), m, W, U, b)[0]
        f_lstm_fwd = K.function([X, m, W, U, b], [h_fwd])
        hg, G = rnn.GRUForward(*GRU_ACTS)(xp, m, U, b)
        f_gru = K.function([xp, m, U, b, dh], [hg, G] + T.grad((hg * dh).sum(), [xp, U, b]))
        f_gru_fwd = K.function([xp, m, U, b], [rnn.gru_sequence(xp, m, U, *GRU_ACTS, b=b)])
        texts = [nd.op.c_support_code_apply(nd, "nm") for f in (f_lstm, f_gru) for nd in f.maker.fgraph.toposort()
                 if isinstance(nd.op, (rnn.LSTMForwardX, rnn.LSTMGrad, rnn.GRUForward, rnn.GRUGrad))]
    return kernel, f_lstm, f_lstm_fwd, f_gru, f_gru_fwd, texts


def _close32(got, ref):
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5 * scale)


def _mask(rng, steps, n):
    m = (rng.uniform(size=(steps, n)) > 0.3).astype("int8")
    m[1] = 0  # every row masked at step 1
    m[:, 0] = 1
    return m


def test_the_kernel_is_in_the_c_text(compiled):
    kernel, *_, texts = compiled
    marks = {"avx512": "_mm512_fmadd_ps", "avx2": "_mm256_fmadd_ps", "portable": "vector_size(64)"}
    assert len(texts) == 4  # LSTMForwardX, LSTMGrad, GRUForward, GRUGrad
    for text in texts:
        if kernel == "blas":
            assert "kv_fmadd" not in text and "#define KL_LSTM_V16" not in text
        else:
            assert marks[kernel] in text and all(m not in text for k, m in marks.items() if k != kernel)


# (steps, n, I, H): H off and on the 16-unit panels, above 32 (the backward kernel) and
# below; batch 1 and batches leaving 1..5 rows after the 6-row tiles
LSTM_CASES = [(4, 1, 5, 37), (5, 7, 3, 70), (3, 13, 9, 21), (3, 6, 16, 64)]


def test_lstm_kernel_equals_numpy(compiled):
    """h and the gradients w.r.t. X, W, U, b (``LSTMForwardX`` + ``LSTMGrad``, truncation 2)
    and forward-only h, against the float64 NumPy LSTM to 1e-5 of scale."""
    _, f, f_fwd, *_ = compiled
    rng = np.random.RandomState(31)
    for steps, n, I, H in LSTM_CASES:
        X = rng.normal(size=(n, steps, I))
        m = _mask(rng, steps, n)
        W = rng.normal(scale=1.0 / np.sqrt(I), size=(I, 4 * H))
        U = rng.normal(scale=1.0 / np.sqrt(H), size=(H, 4 * H))
        b, dh = rng.normal(size=(4 * H,)), rng.normal(size=(steps, n, H))
        want = reference.lstm_packed_grads(*LSTM_ACTS, 2, X.transpose(1, 0, 2), m, W, U, b, dh)
        want[1] = want[1].transpose(1, 0, 2)
        assert np.abs(want[1]).max() > 0.1
        v32 = [v.astype("float32") for v in (X, W, U, b, dh)]
        got = f(v32[0], m, *v32[1:]) + f_fwd(v32[0], m, *v32[1:4])
        for g, w in zip(got, want + want[:1]):
            assert g.dtype == np.float32
            _close32(g, w)


# H above 32 (the backward kernel: 40, 70 a second panel of 6 units, 64) and below (5, 21)
GRU_CASES = [(5, 1, 5), (4, 7, 21), (3, 13, 40), (4, 11, 70), (3, 6, 64)]


def test_gru_kernel_equals_numpy(compiled):
    """h, the saved gates and the gradients w.r.t. xp, U, b (``GRUForward`` + ``GRUGrad``)
    and forward-only h, against the float64 NumPy GRU (gradients: the float64 graph's
    NumPy ``perform``) to 1e-5 of scale."""
    *_, f, f_fwd, _texts = compiled
    xp, dh, U, b, m = T.tensor3(), T.tensor3(), T.matrix(), T.vector(), T.matrix(dtype="int8")
    h = rnn.GRUForward(*GRU_ACTS)(xp, m, U, b)[0]
    ref = pytensor.function([xp, m, U, b, dh], T.grad((h * dh).sum(), [xp, U, b]), mode=PY_MODE)
    rng = np.random.RandomState(32)
    for steps, n, H in GRU_CASES:
        m_ = _mask(rng, steps, n)
        vals = [rng.normal(size=(steps, n, 3 * H)), rng.normal(scale=0.25, size=(H, 3 * H)),
                rng.normal(size=(3 * H,)), rng.normal(size=(steps, n, H))]
        v32 = [v.astype("float32") for v in vals]
        v64 = [v.astype(np.float64) for v in v32]
        got = f(v32[0], m_, *v32[1:])
        h_ref, g_ref = reference.gru_packed_forward(*GRU_ACTS, v64[0], m_, v64[1], v64[2])
        assert np.abs(h_ref).max() > 0.1
        _close32(got[0], h_ref)
        _close32(got[1], g_ref)
        _close32(f_fwd(v32[0], m_, *v32[1:3])[0], h_ref)
        for g, w in zip(got[2:], ref(v64[0], m_, *v64[1:])):
            _close32(g, w)


def test_kernels_give_the_same_bits_on_one_and_two_threads(compiled):
    """With OpenBLAS set to 2 threads the kernels split the batch rows (enough work for two
    threads at these shapes): h, the GRU gates, the GRU's ``dA`` (its gradient w.r.t. xp) and the
    bias gradients (sums of ``dA``) are the same bits as on 1 thread; dX, dW, dU are OpenBLAS
    products, whose 2-thread sums may round otherwise (checked against NumPy above)."""
    kernel, f, f_fwd, g, g_fwd, _texts = compiled
    if kernel == "blas":
        pytest.skip("the BLAS path's per-step products are OpenBLAS's (2-thread sums may round otherwise)")
    rng = np.random.RandomState(33)
    steps, n, I, H = 30, 13, 9, 100
    m = _mask(rng, steps, n)
    X, W, U4, b4, dh, xp, U3 = (
        rng.normal(scale=s, size=shape).astype("float32")
        for s, shape in ((1.0, (n, steps, I)), (0.3, (I, 4 * H)), (0.1, (H, 4 * H)), (1.0, (4 * H,)),
                         (1.0, (steps, n, H)), (1.0, (steps, n, 3 * H)), (0.1, (H, 3 * H))))
    before = get_num_threads()
    got = {}
    try:
        for nt in (1, 2):
            set_num_threads(nt)
            lstm = f(X, m, W, U4, b4, dh)
            gru = g(xp, m, U3, b4[: 3 * H], dh)
            got[nt] = [lstm[0], lstm[4], f_fwd(X, m, W, U4, b4)[0], gru[0], gru[1], gru[2], gru[4],
                       g_fwd(xp, m, U3, b4[: 3 * H])[0]]
    finally:
        set_num_threads(before)
    for a, r in zip(got[1], got[2]):
        assert np.array_equal(a, r), (kernel, np.abs(a - r).max())


def test_forcing_a_kernel(monkeypatch):
    """The variable is checked: an unknown name or a kernel the CPU lacks is a ValueError
    saying what is missing; unset, the best kernel of the CPU runs."""
    monkeypatch.setattr(isa, "cpu_flags", lambda: frozenset({"avx2", "fma", "sse2"}))
    monkeypatch.delenv(isa.ENV_VAR, raising=False)
    assert isa.available() == ("avx2", "portable", "blas") and isa.selected() == "avx2"
    monkeypatch.setenv(isa.ENV_VAR, "avx512")
    with pytest.raises(ValueError, match="lacks avx512f; it runs avx2, portable, blas"):
        isa.selected()
    monkeypatch.setenv(isa.ENV_VAR, "sse9")
    with pytest.raises(ValueError, match="not a kernel; expected one of avx512, avx2, portable, blas"):
        isa.selected()
    monkeypatch.setenv(isa.ENV_VAR, " Portable ")
    assert isa.selected() == "portable" and isa.compile_args("portable") == ["-ffp-contract=off"]
    monkeypatch.setattr(isa, "cpu_flags", lambda: frozenset())  # ARM: no x86 flags
    monkeypatch.delenv(isa.ENV_VAR)
    assert isa.selected() == "portable"
    monkeypatch.setattr(isa, "cpu_flags", lambda: frozenset({"avx512f", "avx2", "fma"}))
    monkeypatch.setattr(isa, "_cpuinfo_flags", lambda: frozenset({"avx512f", "avx2", "fma"}))
    assert isa.selected() == "avx512" and isa.compile_args("avx2") == ["-mno-avx512f"]


def test_hiding_cpu_flags(monkeypatch):
    """``KERAS_LEGACY_HIDE_CPU_FLAGS=avx512f`` on an AVX-512 CPU: the kernels and tests see
    an AVX2-only CPU, and the AVX2 kernel is still built without AVX-512 instructions."""
    monkeypatch.setattr(isa, "_cpuinfo_flags", lambda: frozenset({"avx512f", "avx2", "fma", "sse2"}))
    monkeypatch.delenv(isa.ENV_VAR, raising=False)
    isa.cpu_flags.cache_clear()
    try:
        monkeypatch.setenv(isa.HIDE_VAR, "AVX512F")
        assert isa.cpu_flags() == {"avx2", "fma", "sse2"}
        assert isa.available() == ("avx2", "portable", "blas") and isa.selected() == "avx2"
        assert isa.missing("avx512") == ("avx512f",) and isa.compile_args("avx2") == ["-mno-avx512f"]
        isa.cpu_flags.cache_clear()
        monkeypatch.setenv(isa.HIDE_VAR, "avx512f, avx2 fma")
        assert isa.cpu_flags() == {"sse2"} and isa.selected() == "portable"
    finally:
        monkeypatch.delenv(isa.HIDE_VAR)
        isa.cpu_flags.cache_clear()


def test_the_kernel_is_part_of_the_cache_version(monkeypatch):
    m = T.matrix(dtype="int8")
    op = rnn.GRUForward(*GRU_ACTS)
    n32 = op.make_node(T.tensor3(dtype="float32"), m, T.matrix(dtype="float32"))
    n64 = op.make_node(T.tensor3(), m, T.matrix())
    versions = set()
    for kernel in ("portable", "blas"):
        monkeypatch.setenv(isa.ENV_VAR, kernel)
        versions.add(op.c_code_cache_version_apply(n32))
        # float64: the forward Ops' modules follow the kernel too (their AVX-512 one), the
        # gradients' do not (no float64 kernel)
        assert op.c_code_cache_version_apply(n64)[-1] == kernel
        lstm = rnn.LSTMForward(*LSTM_ACTS)
        assert lstm.c_code_cache_version_apply(lstm.make_node(T.tensor3(), m, T.matrix()))[-1] == kernel
        grad = rnn.GRUGrad(*GRU_ACTS)
        g64 = grad.make_node(m, T.matrix(), T.tensor3(), T.tensor3(), T.tensor3())
        assert grad.c_code_cache_version_apply(g64)[-1] == "blas"
    assert len(versions) == 2


F64_CASES = [(5, 7, 20), (3, 64, 70), (4, 13, 33)]  # rows not a multiple of 6, H not of 32


@pytest.mark.parametrize("kernel", [_kernel_param(k) for k in ("avx512", "avx2")])
@pytest.mark.parametrize("kind,acts,save,bias", [
    ("GRU", ("tanh", "hard_sigmoid"), True, True), ("GRU", ("tanh", "sigmoid"), False, False),
    ("LSTM", ("tanh", "hard_sigmoid"), True, False), ("LSTM", ("tanh", "sigmoid"), False, True)])
def test_float64_forward_kernels_equal_numpy(kernel, kind, acts, save, bias):
    """The float64 forward kernels (``c/f64/``, built for AVX-512 or for AVX2) against the
    Ops' NumPy ``perform`` on 1 and 2 threads: masks (a zero row, a zero step), bias or
    none, saved gates or not."""
    op = (rnn.GRUForward if kind == "GRU" else rnn.LSTMForward)(*acts, save_gates=save)
    gates = 3 if kind == "GRU" else 4
    xp, m, U = T.tensor3(), T.matrix(dtype="int8"), T.matrix()
    ins = [xp, m, U] + ([T.vector()] if bias else [])
    with _Forced(kernel):
        fc = K.function(ins, list(op(*ins)))
    node = next(nd for nd in fc.maker.fgraph.toposort() if isinstance(nd.op, type(op)))
    assert f"kl_{kind.lower()}64_fwd_" in node.op.c_support_code_apply(node, "n")
    fp = pytensor.function(ins, list(op(*ins)), mode=PY_MODE)
    rng = np.random.default_rng(11)
    before = get_num_threads()
    try:
        for steps, n, H in F64_CASES:
            mask = (rng.random((steps, n)) > 0.3).astype("int8")
            mask[1] = 0
            vals = [rng.normal(size=(steps, n, gates * H)), mask, rng.normal(size=(H, gates * H)) * 0.3]
            vals += [rng.normal(size=gates * H)] if bias else []
            want = fp(*vals)
            for threads in (1, 2):
                set_num_threads(threads)
                got = fc(*vals)
                for g, w in zip(got, want):
                    assert g.shape == w.shape
                    assert np.abs(g - w).max(initial=0.0) <= 1e-13, (kind, steps, n, H, threads)
    finally:
        set_num_threads(before)
