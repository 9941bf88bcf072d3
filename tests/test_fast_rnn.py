"""The fused LSTM/GRU Ops (``keras_legacy.backend.rnn``): kernels, fallbacks, switches.

The layers' fused path against the scan path and the golden files is checked once, in
tests/test_recurrent_golden.py.  Here, with few compiled functions:

* the fused path equals the scan path of the same layer with non-default activations, a
  mask with pre-, mid- and post-padding and ``truncate_gradient=3``, values and gradients;
* the NumPy ``perform`` of the Ops (other backends) equals their C code;
* the float32 kernels (the CPU's best: AVX-512, AVX2 or portable; every one in test_rnn_isa.py) against
  the float64 NumPy references of ``tests/reference.py`` at edge shapes, with 1 and 2
  threads, with and without BLAS;
* BLAS: the C backend links the pip OpenBLAS and really loads it.
"""

from __future__ import annotations

import contextlib
import os
import pathlib

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from pytensor.compile.mode import Mode
from pytensor.graph.traversal import io_toposort

import reference
from keras_legacy import backend as K
from keras_legacy.backend import rnn
from keras_legacy.backend.blas import blas_report, get_num_threads, set_num_threads
from keras_legacy.backend.rnn import isa
from keras_legacy.layers import recurrent, recurrent_loop
from layer_checks import FixedInput

FUSED = {"LSTM": (rnn.LSTMForward, rnn.LSTMGrad), "GRU": (rnn.GRUForward, rnn.GRUGrad)}
FUSED_OPS = (rnn.LSTMForward, rnn.LSTMGrad, rnn.GRUForward, rnn.GRUGrad)
PY_MODE = Mode(linker="py", optimizer="fast_compile")


def build(name, weights, X, M, fast, **kw):
    layer = getattr(recurrent, name)(3, 4, **kw)
    layer.fast_path = fast
    layer.set_weights(weights)
    layer.set_previous(FixedInput(X, M))
    return layer, layer.get_output()


def op_names(f):
    return [type(node.op).__name__ for node in f.maker.fgraph.toposort()]


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# --- fused == scan reference, other activations, masks + truncation -------------------

ACTS = {"LSTM": {"activation": "sigmoid", "inner_activation": "tanh"},
        "GRU": {"activation": "tanh", "inner_activation": "sigmoid"}}


def _random_case(rng, n=4, steps=7):
    X = rng.normal(size=(n, steps, 3))
    mask = np.ones((n, steps))
    mask[0, :2] = 0    # pre-padding
    mask[1, 3] = 0     # a masked step in the middle
    mask[2, -2:] = 0   # post-padding
    X *= mask[:, :, None]
    return X, mask, rng.normal(size=(n, steps, 4))


@pytest.fixture(scope="module", params=["LSTM", "GRU"])
def reference_run(request):
    name = request.param
    rng = np.random.RandomState(7)
    proto = getattr(recurrent, name)(3, 4)
    weights = [rng.normal(scale=0.6, size=p.get_value().shape) for p in proto.params]
    X, M, R = T.tensor3("X"), T.matrix("M"), T.tensor3("R")
    grads, outs, layers = [], [], []
    for fast in (True, False):
        layer, out = build(name, weights, X, M, fast, return_sequences=True, truncate_gradient=3,
                           **ACTS[name])
        loss = (out * R).sum()
        outs.append(out)
        layers.append(layer)
        grads.append(T.grad(loss, layer.params + [X]))
    f = K.function([X, M, R], outs + grads[0] + grads[1])
    data = _random_case(rng)
    return name, f, f(*data), len(weights) + 1, weights, data


def test_reference_graph_has_both_paths(reference_run):
    name, f, *_ = reference_run
    ops = op_names(f)
    assert FUSED[name][0].__name__ in ops and FUSED[name][1].__name__ in ops
    assert any("Scan" in o for o in ops)


def test_fused_equals_scan_with_mask_and_truncation(reference_run):
    _name, _f, res, k, _weights, _data = reference_run
    close(res[0], res[1])
    fast, ref = res[2:2 + k], res[2 + k:]
    for a, b in zip(fast, ref):
        close(a, b)
    # The truncation is real: the first steps get no gradient, the last ones do.
    gX = fast[-1]
    assert np.all(gX[:, :4] == 0) and np.abs(gX[:, 4:]).min() > 0


# --- perform (NumPy, other backends) == C code -----------------------------------------

@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_perform_equals_c_code(name):
    rng = np.random.RandomState(3)
    n_gates = 4 if name == "LSTM" else 3
    H, steps, n = 5, 6, 3
    xp_v = rng.normal(size=(steps, n, n_gates * H))
    U_v = rng.normal(scale=0.5, size=(H, n_gates * H))
    m_v = (rng.uniform(size=(steps, n)) > 0.3).astype("int8")
    dh_v = rng.normal(size=(steps, n, H))
    xp, U, m, dh = T.tensor3(), T.matrix(), T.matrix(dtype="int8"), T.tensor3()
    seq = (rnn.lstm_sequence if name == "LSTM" else rnn.gru_sequence)(
        xp, m, U, "tanh", "hard_sigmoid", truncate=4)
    outs = [seq] + T.grad((seq * dh).sum(), [xp, U])
    py = pytensor.function([xp, m, U, dh], outs, mode=PY_MODE)
    c = K.function([xp, m, U, dh], outs)
    assert any(isinstance(nd.op, FUSED_OPS) for nd in py.maker.fgraph.toposort())
    for a, b in zip(py(xp_v, m_v, U_v, dh_v), c(xp_v, m_v, U_v, dh_v)):
        close(a, b, 1e-12)


# --- switches, fallbacks, errors ---------------------------------------------------------

def _fused_in_graph(out):
    return any(isinstance(node.op, FUSED_OPS) for node in io_toposort([], [out]))


def test_unsupported_activation_falls_back_to_scan():
    X = T.tensor3()
    lstm = recurrent.LSTM(3, 4, activation="relu")
    lstm.fast_path = True
    lstm.set_previous(FixedInput(X, None))
    assert not _fused_in_graph(lstm.get_output())
    gru = recurrent.GRU(3, 4)
    gru.fast_path = True
    gru.set_previous(FixedInput(X, None))
    assert _fused_in_graph(gru.get_output())
    gru.fast_path = False
    assert not _fused_in_graph(gru.get_output())


def test_default_switch_is_the_fused_path():
    """One graph whatever compiles it: the fused Ops by default, scan only when asked."""
    assert recurrent.Recurrent.fast_path is True
    assert rnn.enabled(True) is True
    assert rnn.enabled(False) is False


def test_bad_activation_name_is_a_value_error():
    with pytest.raises(ValueError, match="support activations"):
        rnn.LSTMForward("softmax", "tanh")


def test_recurrence_takes_tensors_and_checks_its_arguments():
    X, m = T.tensor3(), T.matrix(dtype="int8")
    W, U, b = T.matrix(), T.matrix(), T.vector()
    with pytest.raises(ValueError, match="activations"):
        rnn.recurrence(rnn.LSTM_GATES, X, m, W, U, b, "relu", "tanh")
    with pytest.raises(ValueError, match="no fused recurrence"):
        rnn.recurrence(rnn.Gates("jzs", "zrh", "zrh", "zrh", "zrh"), X, m, W, U, b, "tanh", "sigmoid")
    h = rnn.recurrence(rnn.GRU_GATES, X, m, W, U, b, "tanh", "sigmoid", truncate=None)
    assert isinstance(h.owner.op, rnn.GRUForward) and h.owner.op.truncate == -1
    assert list(h.owner.inputs) == [h.owner.inputs[0], m, U, b]  # the bias goes into the Op


def test_one_gate_description_per_cell():
    """The layers' parameter order and draw order, the Ops' packing and the exporter's
    order are permutations of one gate set (``GATES``)."""
    for gates, layer in ((rnn.LSTM_GATES, recurrent.LSTM(2, 3)), (rnn.GRU_GATES, recurrent.GRU(2, 3))):
        assert layer.GATES is gates
        assert sorted(gates.saved) == sorted(gates.drawn) == sorted(gates.fused) == sorted(gates.onnx)
        assert layer.params == [getattr(layer, f"{w}_{g}") for g in gates.saved for w in "WUb"]
    assert rnn.LSTM_GATES.saved == "icfo" and rnn.LSTM_GATES.fused == "ifoc"


def test_loop_policies_are_checked():
    X = T.tensor3()
    with pytest.raises(ValueError, match="carry masking"):
        recurrent_loop.run(recurrent.GRU(3, 4), X, None, recurrent_loop.RESET, go_backwards=True)
    with pytest.raises(ValueError, match="masking policy"):
        recurrent_loop.run(recurrent.GRU(3, 4), X, None, "zero")
    with pytest.raises(ValueError, match="depth=3"):
        recurrent_loop.run(recurrent.SimpleDeepRNN(3, 4), X, None, recurrent_loop.CARRY)


# --- BLAS ----------------------------------------------------------------------------

def test_c_backend_links_and_loads_the_pip_openblas():
    report = blas_report()
    if report["source"] != "scipy-openblas32":
        pytest.skip(f"BLAS chosen elsewhere: {report['source']}")
    a = T.matrix()
    f = K.function([a], [T.dot(a, a)])
    assert any("Dot22" in o or "Gemm" in o for o in op_names(f))
    v = np.arange(9.0).reshape(3, 3)
    close(f(v)[0], v @ v)
    report = blas_report()
    assert report["loaded"] and report["corename"]


# --- forward-only graphs, no-BLAS builds -------------------------------------------------

def _fused_ops(f):
    return [nd.op for nd in f.maker.fgraph.toposort() if isinstance(nd.op, FUSED_OPS)]


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_forward_only_graph_skips_saved_gates_with_same_values(name):
    """Without a gradient the forward Op runs with ``save_gates=False``; with one it saves."""
    rng = np.random.RandomState(5)
    n_gates = 4 if name == "LSTM" else 3
    H, steps, n = 4, 5, 3
    xp_v = rng.normal(size=(steps, n, n_gates * H))
    U_v = rng.normal(scale=0.5, size=(H, n_gates * H))
    m_v = (rng.uniform(size=(steps, n)) > 0.3).astype("int8")
    xp, U, m = T.tensor3(), T.matrix(), T.matrix(dtype="int8")
    seq = (rnn.lstm_sequence if name == "LSTM" else rnn.gru_sequence)(xp, m, U, "tanh", "sigmoid")
    fwd = K.function([xp, m, U], [seq])
    both = K.function([xp, m, U], [seq, T.grad(seq.sum(), U)])
    (op_fwd,) = [op for op in _fused_ops(fwd)]
    assert op_fwd.save_gates is False
    assert [op.save_gates for op in _fused_ops(both) if hasattr(op, "save_gates")] == [True]
    ref = pytensor.function([xp, m, U], seq, mode=PY_MODE)(xp_v, m_v, U_v)
    close(fwd(xp_v, m_v, U_v)[0], ref, 1e-12)
    close(both(xp_v, m_v, U_v)[0], ref, 1e-12)
    with pytest.raises(NotImplementedError, match="no gradient"):
        T.grad(type(op_fwd)("tanh", "sigmoid", save_gates=False)(xp, m, U)[0].sum(), U)


def test_without_blas_the_ops_compile_their_own_products():
    """``blas__ldflags`` empty (no BLAS extra): the C code links without [sd]gemm_
    and gives the NumPy reference's values and gradients."""
    rng = np.random.RandomState(6)
    H, steps, n = 3, 4, 2
    xp, U, m = T.tensor3(), T.matrix(), T.matrix(dtype="int8")
    m_v = np.array([[0, 1], [1, 1], [1, 0], [1, 1]], "int8")
    for build_seq, g in ((rnn.lstm_sequence, 4), (rnn.gru_sequence, 3)):
        seq = build_seq(xp, m, U, "tanh", "hard_sigmoid", truncate=3)
        outs = [seq] + T.grad((seq * seq).sum(), [xp, U])
        xp_v = rng.normal(size=(steps, n, g * H))
        U_v = rng.normal(scale=0.5, size=(H, g * H))
        py = pytensor.function([xp, m, U], outs, mode=PY_MODE)
        with pytensor.config.change_flags(blas__ldflags=""):
            assert not rnn.has_blas()
            f = K.function([xp, m, U], outs)
            node = next(nd for nd in f.maker.fgraph.toposort() if isinstance(nd.op, FUSED_OPS))
            assert "gemm_noblas" in node.op.c_support_code_apply(node, "nm")
            got = f(xp_v, m_v, U_v)
        for a, b in zip(py(xp_v, m_v, U_v), got):
            close(a, b, 1e-12)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_bias_in_the_op_equals_the_separate_add_bit_for_bit(name):
    """``b`` inside the Op is added as ``(x.W + b) + h~.U``: float64 results (values and
    gradients, C code and NumPy ``perform``) equal a separate ``x.W + b`` exactly."""
    rng = np.random.RandomState(7)
    g = 4 if name == "LSTM" else 3
    n_steps, n, H = 5, 3, 4
    seq = rnn.lstm_sequence if name == "LSTM" else rnn.gru_sequence
    xw = T.tensor3(dtype="float64")
    U = T.matrix(dtype="float64")
    b = T.vector(dtype="float64")
    m = T.matrix(dtype="int8")
    R = rng.normal(size=(n_steps, n, H))
    outs = {}
    for label, h in (("in_op", seq(xw, m, U, "tanh", "sigmoid", b=b)),
                     ("separate", seq(xw + b, m, U, "tanh", "sigmoid"))):
        outs[label] = [h] + list(T.grad((h * R).sum(), [xw, U, b]))
    vals = [rng.normal(size=(n_steps, n, g * H)), rng.normal(size=(H, g * H)) * 0.5,
            rng.normal(size=(g * H,)), (rng.rand(n_steps, n) > 0.3).astype("int8")]
    for mode in (None, PY_MODE):
        got = {}
        for label, o in outs.items():
            f = K.function([xw, U, b, m], o) if mode is None else pytensor.function([xw, U, b, m], o, mode=mode)
            got[label] = f(*vals)
        for a, c in zip(got["in_op"], got["separate"]):
            np.testing.assert_array_equal(a, c)
    with pytest.raises(TypeError, match="bias b as a vector"):
        seq(xw, m, U, "tanh", "sigmoid", b=T.matrix(dtype="float64"))


# --- the float32 LSTM forward kernel (backend/rnn/c/vec/lstm_fwd.c; the CPU's best, isa.py) ------

# (steps, n, H): hidden sizes off the 16-lane width (5, 21, 33, 40) and on it (16), batch 1,
# odd batches and batches that leave 1..5 rows after the 6-row tiles.
V16_CASES = [(5, 1, 5), (4, 7, 21), (3, 13, 40), (2, 6, 16), (3, 11, 33)]


def _lstm_v16_graph(dtype, act, inner, trunc):
    xp, dh = T.tensor3(dtype=dtype), T.tensor3(dtype=dtype)
    U, b, m = T.matrix(dtype=dtype), T.vector(dtype=dtype), T.matrix(dtype="int8")
    h, c, G = rnn.LSTMForward(act, inner, trunc)(xp, m, U, b)
    grads = T.grad((h * dh).sum(), [xp, U, b])
    fwd_only = rnn.lstm_sequence(xp, m, U, act, inner, trunc, b=b)
    return [xp, m, U, b, dh], [h, c, G] + grads, fwd_only


def _lstm_v16_data(rng, steps, n, H):
    m = (rng.uniform(size=(steps, n)) > 0.3).astype("int8")
    m[min(1, steps - 1)] = 0  # a step with every row masked
    return [rng.normal(scale=2.0, size=(steps, n, 4 * H)), m, rng.normal(scale=0.5, size=(H, 4 * H)),
            rng.normal(size=(4 * H,)), rng.normal(size=(steps, n, H))]


def _close32(got, ref):
    """float32 kernel against the float64 reference: 1e-5 of the array's scale."""
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5 * scale)


def _f32(vals):
    """The float64 arrays of ``vals`` as float32 (masks unchanged)."""
    return [v.astype("float32") if v.dtype == np.float64 else v for v in vals]


@contextlib.contextmanager
def _without_v16():
    """The Ops compiled meanwhile have no vector kernel (the BLAS path: ``KERAS_LEGACY_RNN_ISA=blas``)."""
    before = os.environ.get(isa.ENV_VAR)
    os.environ[isa.ENV_VAR] = "blas"
    try:
        yield
    finally:
        if before is None:
            del os.environ[isa.ENV_VAR]
        else:
            os.environ[isa.ENV_VAR] = before


#: Whether the float32 Ops compiled by default have a vector kernel (any but ``blas``).
HAS_KERNEL = isa.selected() != "blas"
needs_kernel = pytest.mark.skipif(not HAS_KERNEL, reason=f"{isa.ENV_VAR}=blas: no vector kernel to compare")


@contextlib.contextmanager
def _threads():
    """``run(fn)``: ``fn()``'s arrays with OpenBLAS on 1, 2, 1 and 2 threads, as ``{1: .., 2: ..}``;
    the same thread count twice must give the same bits.  The thread count is restored."""
    before = get_num_threads()

    def run(fn):
        got = {}
        for nt in (1, 2, 1, 2):
            set_num_threads(nt)
            assert get_num_threads() == nt
            res = [np.array(r) for r in fn()]
            if nt in got:
                assert all(np.array_equal(a, r) for a, r in zip(got[nt], res))
            got[nt] = res
        return got

    try:
        yield run
    finally:
        set_num_threads(before)


@pytest.mark.parametrize("act,inner,trunc", [("tanh", "sigmoid", -1), ("sigmoid", "hard_sigmoid", 2),
                                             ("linear", "tanh", -1)])
def test_lstm_float32_kernel_equals_float64_reference(act, inner, trunc):
    """float32 ``LSTMForward`` (the AVX-512 kernel where the compiler targets it, else the
    BLAS path) gives h, c, the saved gates and, through them, the gradients of the float64
    NumPy reference to 1e-5; also forward-only (no saved gates), with masks and truncation."""
    rng = np.random.RandomState(11)
    ins, outs, fwd_only = _lstm_v16_graph("float32", act, inner, trunc)
    f_all = K.function(ins, outs)
    f_fwd = K.function(ins[:4], [fwd_only])
    assert [op.save_gates for op in _fused_ops(f_fwd)] == [False]
    ins64, outs64, fwd64 = _lstm_v16_graph("float64", act, inner, trunc)
    ref = pytensor.function(ins64, outs64 + [fwd64], mode=PY_MODE)
    for steps, n, H in V16_CASES:
        vals = _lstm_v16_data(rng, steps, n, H)
        want = ref(*vals)
        vals32 = _f32(vals)
        got = f_all(*vals32) + f_fwd(*vals32[:4])
        assert all(g.dtype == np.float32 for g in got)
        for g, w in zip(got, want):
            _close32(g, w)


def test_lstm_float32_kernel_text_and_blas_fallback():
    """The vector kernels (forward and backward) are emitted for float32 only (float64 keeps
    the BLAS path's C); built with ``KERAS_LEGACY_RNN_ISA=blas`` the float32 Ops run the BLAS path,
    and both agree with the float64 reference to 1e-5 (values and gradients)."""
    rng = np.random.RandomState(12)
    ins, outs, _fwd_only = _lstm_v16_graph("float32", "tanh", "sigmoid", -1)
    for dtype, has in (("float32", HAS_KERNEL), ("float64", False)):
        xp, U = T.tensor3(dtype=dtype), T.matrix(dtype=dtype)
        node = rnn.LSTMForward("tanh", "sigmoid")(xp, T.matrix(dtype="int8"), U)[0].owner
        fwd_text = node.op.c_support_code_apply(node, "nm")
        assert ("kl_lstm_fwd_v16_nm" in fwd_text) is has
        assert "kl_lstm_bwd_v16_nm" not in fwd_text
        gnode = rnn.LSTMGrad("tanh", "sigmoid")(
            T.matrix(dtype="int8"), U, T.tensor3(dtype=dtype), T.tensor3(dtype=dtype),
            T.tensor3(dtype=dtype)).owner
        bwd_text = gnode.op.c_support_code_apply(gnode, "nm")
        assert ("kl_lstm_bwd_v16_nm(Tn, n, H, stop" in bwd_text) is has
        assert "kl_lstm_fwd_v16_nm" not in bwd_text
    f_v16 = K.function(ins, outs)
    with _without_v16():
        f_blas = K.function(ins, outs)
    ins64, outs64, _ = _lstm_v16_graph("float64", "tanh", "sigmoid", -1)
    ref = pytensor.function(ins64, outs64, mode=PY_MODE)
    vals = _lstm_v16_data(rng, 4, 9, 37)
    vals32 = _f32(vals)
    for a, b, w in zip(f_v16(*vals32), f_blas(*vals32), ref(*vals)):
        _close32(a, w)
        _close32(b, w)


# --- the float32 AVX-512 LSTM backward kernel (LSTMGrad, H > 32) -----------------------------

# (steps, n, H): H past the 32 threshold and off the 16/64 widths (33, 37, 70: a second panel
# of 6 units, 100), on them (64), batch 1, odd batches and batches leaving 1..5 rows after the
# 6-row tiles; (3, 4, 21) runs the BLAS path (H <= 32).
V16B_CASES = [(4, 1, 37), (5, 7, 70), (3, 13, 33), (4, 6, 64), (3, 11, 65), (2, 5, 100), (3, 4, 21)]


def _lstm_bwd_data(rng, steps, n, H, act, inner):
    """Saved states and gates in their activations' ranges (hard_sigmoid/linear: some exact
    0 and 1, where the hard_sigmoid derivative switches), a mask with an all-masked step and,
    at the last step, some masked rows."""
    m = (rng.uniform(size=(steps, n)) > 0.3).astype("int8")
    m[min(1, steps - 1)] = 0
    m[-1, ::2] = 0
    if steps > 3:
        m[-1] = 0  # every row masked at the last step: no product flows into step T - 2
    rng_of = {"tanh": (-1, 1), "sigmoid": (0, 1), "hard_sigmoid": (0, 1), "linear": (-2, 2)}

    def gate(kind):
        y = rng.uniform(*rng_of[kind], size=(steps, n, H))
        if kind in ("hard_sigmoid", "linear"):
            y.flat[::7] = 0.0
            y.flat[3::11] = 1.0
        return y

    G = np.concatenate([gate(inner), gate(inner), gate(inner), gate(act), gate(act)], axis=2)
    return [m, rng.normal(scale=0.5, size=(H, 4 * H)), rng.normal(size=(steps, n, H)), G,
            rng.normal(size=(steps, n, H))]


@pytest.mark.parametrize("act,inner,trunc", [("tanh", "sigmoid", -1), ("sigmoid", "hard_sigmoid", 2),
                                             ("linear", "tanh", -1), ("hard_sigmoid", "linear", 3)])
def test_lstm_float32_backward_kernel_equals_numpy(act, inner, trunc):
    """float32 ``LSTMGrad`` (the AVX-512 backward kernel for H > 32 where the compiler targets
    it, else the BLAS path) gives the gradient of the pre-activations of the float64 NumPy
    backpropagation above to 1e-5, at edge shapes, with masks (an all-masked step, a masked
    last step), truncation and every activation in both roles; float64 (BLAS path) to 1e-10."""
    rng = np.random.RandomState(13)
    fns = {}
    for dtype in ("float32", "float64"):
        m, U = T.matrix(dtype="int8"), T.matrix(dtype=dtype)
        c, G, dh = T.tensor3(dtype=dtype), T.tensor3(dtype=dtype), T.tensor3(dtype=dtype)
        fns[dtype] = K.function([m, U, c, G, dh], [rnn.LSTMGrad(act, inner, trunc)(m, U, c, G, dh)])
    for steps, n, H in V16B_CASES:
        vals = _lstm_bwd_data(rng, steps, n, H, act, inner)
        want = reference.lstm_packed_backward(act, inner, trunc, *vals)
        assert np.abs(want).max() > 0.1  # the gradient is not trivially zero
        (got64,) = fns["float64"](*vals)
        np.testing.assert_allclose(got64, want, rtol=0, atol=1e-10)
        (got32,) = fns["float32"](*_f32(vals))
        assert got32.dtype == np.float32
        _close32(got32, want)


# --- LSTMForwardX: float32 LSTM layers compute the input product inside the Op ---------------

def _lstm_x_graph(act, inner, trunc):
    """float32 ``LSTMForwardX`` on the time-major view of a batch-major X (read in place)
    and on a strided slice of another one (copied): h and the gradients w.r.t. X, W, U, b
    of each, and forward-only h."""
    Xb, Xs, dh = T.tensor3(dtype="float32"), T.tensor3(dtype="float32"), T.tensor3(dtype="float32")
    W, U, b, m = (T.matrix(dtype="float32"), T.matrix(dtype="float32"), T.vector(dtype="float32"),
                  T.matrix(dtype="int8"))
    outs, fwd = [], []
    for src in (Xb, Xs[:, :, ::2]):
        op = rnn.LSTMForwardX(act, inner, trunc)
        h = op(src.dimshuffle(1, 0, 2), m, W, U, b)[0]
        gX, gW, gU, gb = T.grad((h * dh).sum(), [src, W, U, b])
        outs += [h, gX.dimshuffle(1, 0, 2), gW, gU, gb]
        fwd.append(op(src.dimshuffle(1, 0, 2), m, W, U, b)[0])
    return [Xb, Xs, m, W, U, b, dh], outs, fwd


# (steps, n, I, H): H off the 16-unit panels (37, 21, 70, 33) and on them (16, 64), in_dim odd
# and 1, batch 1, odd batches and batches leaving 1..5 rows after the 6-row tiles.
VX_CASES = [(4, 1, 5, 37), (5, 7, 3, 70), (3, 13, 9, 21), (2, 6, 16, 16), (3, 11, 1, 33), (3, 5, 7, 64)]


def _lstm_x_data(rng, steps, n, I, H):
    m = (rng.uniform(size=(steps, n)) > 0.3).astype("int8")
    m[min(1, steps - 1)] = 0  # a step with every row masked
    X = rng.normal(size=(n, steps, I))
    Xs = np.zeros((n, steps, 2 * I))
    Xs[:, :, ::2] = rng.normal(size=(n, steps, I))
    Xs[:, :, 1::2] = 1e3  # never read
    # weights ~ 1/sqrt(fan-in): the linear activation's states stay O(10) (float32 rounding
    # is not amplified by an exploding recurrence)
    return [X, Xs, m, rng.normal(scale=1.0 / np.sqrt(I), size=(I, 4 * H)),
            rng.normal(scale=1.0 / np.sqrt(H), size=(H, 4 * H)),
            rng.normal(size=(4 * H,)), rng.normal(size=(steps, n, H))]


def _check_lstm_x(f, f_fwd, vals, act, inner, trunc):
    """Every output of the float32 functions (``f``: values and gradients, ``f_fwd``:
    forward only) against the float64 NumPy transcription."""
    X, Xs, m, W, U, b, dh = vals
    want = []
    for src in (X, Xs[:, :, ::2]):
        want += reference.lstm_packed_grads(act, inner, trunc, src.transpose(1, 0, 2), m, W, U, b, dh)
    assert np.abs(want[1]).max() > 0.1  # dX is not trivially zero
    if trunc > 0 and X.shape[1] > trunc:
        assert np.all(want[1][:-trunc] == 0)
    vals32 = _f32(vals)
    got = f(*vals32) + f_fwd(*vals32[:-1])
    assert len(got) == 12 and all(g.dtype == np.float32 for g in got)
    for g, w in zip(got, want + [want[0], want[5]]):
        _close32(g, w)


@pytest.mark.parametrize("act,inner,trunc", [("tanh", "sigmoid", -1), ("sigmoid", "hard_sigmoid", 2),
                                             ("linear", "tanh", -1)])
def test_lstm_x_float32_equals_numpy(act, inner, trunc):
    """float32 ``LSTMForwardX`` (the AVX-512 kernel with the input product on the tile where
    the compiler targets it) gives h and the gradients w.r.t. X, W, U, b of an independent
    float64 NumPy LSTM to 1e-5 of scale, at edge shapes, with an all-masked step, truncation,
    X read in place (batch-major view) and copied (strided slice), and forward-only."""
    rng = np.random.RandomState(14)
    ins, outs, fwd = _lstm_x_graph(act, inner, trunc)
    f = K.function(ins, outs)
    f_fwd = K.function(ins[:-1], fwd)
    assert [type(op).__name__ for op in _fused_ops(f)].count("LSTMForwardX") == 2
    assert [op.save_gates for op in _fused_ops(f_fwd)] == [False, False]
    for steps, n, I, H in VX_CASES:
        _check_lstm_x(f, f_fwd, _lstm_x_data(rng, steps, n, I, H), act, inner, trunc)


@pytest.mark.parametrize("act,inner", [("tanh", "sigmoid"), ("sigmoid", "tanh")])
def test_lstm_x_float32_saturated_and_tiny_preactivations(act, inner):
    """float32 forward-only ``LSTMForwardX`` with pre-activations from 0 and 1e-30 up to
    +-1e30 (rows of X scaled by powers of ten): no NaN or inf, tanh and sigmoid saturate to
    exactly +-1 / 0 / 1 where float64 does, and h equals the float64 NumPy LSTM to 1e-5.
    Guards the clamps of the kernel's exp (a missing one gives NaN at +-1e30)."""
    rng = np.random.RandomState(21)
    X, m, W, U, b = (T.tensor3(dtype="float32"), T.matrix(dtype="int8"), T.matrix(dtype="float32"),
                     T.matrix(dtype="float32"), T.vector(dtype="float32"))
    h = rnn.LSTMForwardX(act, inner, -1, save_gates=False)(X.dimshuffle(1, 0, 2), m, W, U, b)[0]
    f = K.function([X, m, W, U, b], [h])
    assert [op.save_gates for op in _fused_ops(f)] == [False]
    scales = np.array([0.0, 1e-30, 1e-3, 1.0, 10.0, 1e3, 1e10, 1e30])
    for steps, I, H in [(4, 3, 21), (3, 5, 32)]:
        n = len(scales)
        Xv = rng.normal(size=(n, steps, I)) * scales[:, None, None]
        mv = np.ones((steps, n), "int8")
        Wv, Uv = rng.normal(size=(I, 4 * H)), rng.normal(scale=0.5, size=(H, 4 * H))
        bv = np.zeros(4 * H)  # row 0 then has pre-activations exactly 0 at the first step
        v32 = [Xv.astype("float32"), mv, Wv.astype("float32"), Uv.astype("float32"), bv.astype("float32")]
        got = f(*v32)[0]
        with np.errstate(over="ignore"):
            want = reference.lstm_packed_forward(act, inner, *[v.astype(np.float64) if v.dtype == np.float32 else v
                                                  for v in [v32[0].transpose(1, 0, 2)] + v32[1:]])[0]
        assert np.all(np.isfinite(got))
        assert np.abs(want[:, -1]).max() > 0.5  # the 1e30 row is saturated, not zero
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def test_lstm_x_blas_fallback_perform_and_text():
    """``LSTMForwardX`` without the vector kernel (``KERAS_LEGACY_RNN_ISA=blas``: input product by one
    GEMM per step into a temporary, then the BLAS path) and its NumPy ``perform`` (float64,
    1e-10) agree with the NumPy LSTM; the kernel text is emitted for float32 only."""
    rng = np.random.RandomState(15)
    act, inner, trunc = "tanh", "hard_sigmoid", 3
    for dtype, has in (("float32", HAS_KERNEL), ("float64", False)):
        X, W, U = T.tensor3(dtype=dtype), T.matrix(dtype=dtype), T.matrix(dtype=dtype)
        node = rnn.LSTMForwardX(act, inner)(X, T.matrix(dtype="int8"), W, U, T.vector(dtype=dtype))[0].owner
        text = node.op.c_support_code_apply(node, "nm")
        assert ("static int kl_lstm_fwdx_v16_nm(" in text) is has
        assert "static int lstm_fwdx_nm(" in text
    ins, outs, fwd = _lstm_x_graph(act, inner, trunc)
    with _without_v16():
        f_blas = K.function(ins, outs)
        f_blas_fwd = K.function(ins[:-1], fwd)
    for steps, n, I, H in [(5, 7, 3, 37), (1, 1, 2, 5)]:
        _check_lstm_x(f_blas, f_blas_fwd, _lstm_x_data(rng, steps, n, I, H), act, inner, trunc)
    # perform, float64, against the same transcription
    X, m, W, U, b, dh = (T.tensor3(), T.matrix(dtype="int8"), T.matrix(), T.matrix(), T.vector(), T.tensor3())
    h = rnn.LSTMForwardX(act, inner, trunc)(X, m, W, U, b)[0]
    py = pytensor.function([X, m, W, U, b, dh], [h] + T.grad((h * dh).sum(), [X, W, U, b]),
                           mode=PY_MODE)
    assert any(isinstance(nd.op, rnn.LSTMForwardX) for nd in py.maker.fgraph.toposort())
    vals = _lstm_x_data(rng, 5, 4, 3, 6)
    vals = [vals[0].transpose(1, 0, 2)] + vals[2:]
    for got, want in zip(py(*vals), reference.lstm_packed_grads(act, inner, trunc, *vals)):
        close(got, want, 1e-10)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_lstm_layer_float32_folds_the_input_product(return_sequences):
    """A float32 LSTM layer builds ``LSTMForwardX`` straight on its (batch-major) input, no
    ``dot(X, W)``; a float64 layer keeps ``dot`` + ``LSTMForward``.  With a mask (an
    all-masked step) and truncate_gradient, float32 values and gradients (all weights and
    X) equal the float64 layer's to 1e-5."""
    rng = np.random.RandomState(16)
    n, steps, I, H = 5, 6, 7, 19
    proto = recurrent.LSTM(I, H)
    weights = [rng.normal(scale=0.5, size=p.get_value().shape) for p in proto.params]
    Xv = rng.normal(size=(n, steps, I))
    Mv = (rng.uniform(size=(n, steps)) > 0.25).astype("float64")
    Mv[:, 2] = 0
    Rv = rng.normal(size=(n, steps, H) if return_sequences else (n, H))
    res, graphs = {}, {}
    for dtype in ("float32", "float64"):
        with pytensor.config.change_flags(floatX=dtype):
            X, M, R = T.tensor3(dtype=dtype), T.matrix(dtype=dtype), T.TensorType(dtype, (None,) * Rv.ndim)()
            layer = recurrent.LSTM(I, H, return_sequences=return_sequences, truncate_gradient=3,
                                   activation="tanh", inner_activation="sigmoid")
            layer.fast_path = True
            layer.set_weights([w.astype(dtype) for w in weights])
            layer.set_previous(FixedInput(X, M))
            out = layer.get_output()
            f = K.function([X, M, R], [out] + T.grad((out * R).sum(), layer.params + [X]))
            graphs[dtype] = op_names(f)
            res[dtype] = f(*(v.astype(dtype) for v in (Xv, Mv, Rv)))
    assert "LSTMForwardX" in graphs["float32"] and "LSTMForward" not in graphs["float32"]
    assert graphs["float32"].count("Dot22") == 3  # dX, dW, dU; no input projection
    assert "LSTMForward" in graphs["float64"] and "LSTMForwardX" not in graphs["float64"]
    assert np.abs(res["float64"][-1][:, 3:]).max() > 0.1
    for got, want in zip(res["float32"], res["float64"]):
        assert got.dtype == np.float32
        _close32(got, want)


# --- the float32 LSTM kernels on several threads (rows split, OpenBLAS's thread count) -------

# (steps, n, I, H, trunc): enough work per call for two threads (>= 8e6 multiply-adds forward and
# backward), batches whose halves leave odd tile counts (13: 6 | 7 rows = 1 + 2 tiles; 31: 15 | 16
# = 3 + 3), H off the panel widths, truncation long enough to stay threaded.
VT_CASES = [(30, 13, 9, 100, -1), (40, 31, 5, 45, -1), (30, 13, 9, 100, 25)]


def _lstm_threads_graph(act, inner, trunc):
    """float32 ``LSTMForwardX`` (batch-major X, read in place) and ``LSTMForward`` (from a
    time-major projection): h and every gradient, and forward-only h, of each."""
    X, xp, dh = (T.tensor3(dtype="float32") for _ in range(3))
    W, U, b, m = (T.matrix(dtype="float32"), T.matrix(dtype="float32"), T.vector(dtype="float32"),
                  T.matrix(dtype="int8"))
    hx = rnn.LSTMForwardX(act, inner, trunc)(X.dimshuffle(1, 0, 2), m, W, U, b)[0]
    hp = rnn.LSTMForward(act, inner, trunc)(xp, m, U, b)[0]
    outs = [hx] + T.grad((hx * dh).sum(), [X, W, U, b]) + [hp] + T.grad((hp * dh).sum(), [xp, U, b])
    fwd = [rnn.LSTMForwardX(act, inner, trunc)(X.dimshuffle(1, 0, 2), m, W, U, b)[0],
           rnn.lstm_sequence(xp, m, U, act, inner, trunc, b=b)]
    return [X, xp, m, W, U, b, dh], outs, fwd


@needs_kernel
@pytest.mark.parametrize("act,inner", [("tanh", "hard_sigmoid"), ("sigmoid", "tanh")])
def test_lstm_float32_kernels_equal_on_one_and_two_threads(act, inner):
    """The float32 LSTM kernels (forward with and without the input product, backward) give
    bit-identical h and gradients with OpenBLAS set to 1 and to 2 threads in one process (the
    rows are split, no sum is); the 2-thread results also match the float64 NumPy LSTM."""
    rng = np.random.RandomState(21)
    graphs = {}
    for trunc in sorted({c[-1] for c in VT_CASES}):
        ins, outs, fwd = _lstm_threads_graph(act, inner, trunc)
        graphs[trunc] = (K.function(ins, outs), K.function(ins[:-1], fwd))
    with _threads() as run:
        for steps, n, I, H, trunc in VT_CASES:
            f, f_fwd = graphs[trunc]
            X, _, m, W, U, b, dh = _lstm_x_data(rng, steps, n, I, H)
            m[:, 3] = 1  # a row never masked next to rows with masks
            X32 = X.astype("float32")
            xp = (np.einsum("nti,ig->tng", X32.astype(np.float64), W) + 0.25).astype("float32")
            vals = [X32, xp, m] + [v.astype("float32") for v in (W, U, b, dh)]
            got = run(lambda: f(*vals) + f_fwd(*vals[:-1]))  # noqa: B023  (called at once)
            # the kernels' own results: h (3 graphs), dA (the gradient w.r.t. xp) and its sums
            # (the bias gradients); dX, dW, dU are OpenBLAS GEMMs over dA (its 2-thread sgemm
            # may sum in another order): compared to NumPy only, below
            for i in (0, 4, 5, 6, 8, 9, 10):
                a, r = got[1][i], got[2][i]
                assert a.dtype == np.float32 and np.array_equal(a, r), (i, np.abs(a - r).max())
            want = reference.lstm_packed_grads(act, inner, trunc, X.transpose(1, 0, 2), m, W, U, b, dh)
            got[2][1] = got[2][1].transpose(1, 0, 2)  # dX: batch-major like X
            for g, w in zip(got[2][:5] + got[2][9:10], want + want[:1]):
                _close32(g, w)
            # LSTMForward from xp: the same LSTM with W = identity (x.I exact)
            wp = reference.lstm_packed_grads(act, inner, trunc, xp.astype(np.float64), m, np.eye(4 * H), U, b, dh)
            for g, w in zip(got[2][5:9] + got[2][10:], [wp[0], wp[1], wp[3], wp[4], wp[0]]):
                _close32(g, w)
            assert np.abs(want[1]).max() > 0.1


def test_openblas_idle_threads_sleep_soon_unless_the_user_chose():
    """With the pip OpenBLAS the backend sets ``OPENBLAS_THREAD_TIMEOUT`` (idle OpenBLAS
    threads stop spinning after ~2^20 cycles, leaving the cores to the LSTM kernels' threads)
    before the library loads; a value in the environment is kept."""
    import os
    import subprocess
    import sys

    from keras_legacy.backend import blas

    if blas.blas_report()["source"] != "scipy-openblas32":
        pytest.skip("the pip OpenBLAS is not the configured BLAS")
    # the value in the environment when the pip OpenBLAS is loaded (``import scipy_openblas32``
    # loads it; OpenBLAS reads the variable then), else after the backend's import
    code = ("import os, sys\n"
            "seen = []\n"
            "def hook(ev, args):\n"
            "    if ev == 'ctypes.dlopen' and 'scipy_openblas32' in str(args[0]):\n"
            "        seen.append(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))\n"
            "sys.addaudithook(hook)\n"
            "import keras_legacy.backend\n"
            "print(seen[0] if seen else os.environ.get('OPENBLAS_THREAD_TIMEOUT'))\n")
    root = str(pathlib.Path(__file__).resolve().parents[1])
    for given, want in ((None, blas.THREAD_TIMEOUT), ("7", "7")):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
        env["PYTHONPATH"] = root
        if given is not None:
            env["OPENBLAS_THREAD_TIMEOUT"] = given
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip().splitlines()[-1] == want


# --- float32 GRU forward kernel (AVX-512) -----------------------------------------------

def _gru_v16_graph(act, inner, trunc):
    xp, dh = T.tensor3(dtype="float32"), T.tensor3(dtype="float32")
    U, b, m = T.matrix(dtype="float32"), T.vector(dtype="float32"), T.matrix(dtype="int8")
    h, G = rnn.GRUForward(act, inner, trunc)(xp, m, U, b)
    outs = [h, G] + T.grad((h * dh).sum(), [xp, U, b])
    fwd = rnn.gru_sequence(xp, m, U, act, inner, trunc, b=b)
    return [xp, m, U, b, dh], outs, fwd


#: (steps, batch, hidden): H not a multiple of 16 or 32, batch 1 and odd, an odd tile count
GRU_V16_CASES = [(5, 1, 5), (4, 7, 21), (3, 13, 40), (6, 6, 16), (4, 11, 33), (3, 19, 70)]


@pytest.mark.parametrize("act,inner,trunc", [("sigmoid", "hard_sigmoid", -1), ("tanh", "sigmoid", 2),
                                             ("linear", "tanh", -1), ("hard_sigmoid", "linear", 3)])
def test_gru_float32_forward_kernel_equals_numpy(act, inner, trunc):
    """float32 ``GRUForward`` (the AVX-512 kernel where the compiler targets it, else the
    BLAS path): h and the saved gates with and without saving, and the gradients through
    them (``GRUGrad`` reads the kernel's gates), against an independent float64 NumPy GRU to
    1e-5; masks with an all-masked step and a never-masked row, truncation."""
    rng = np.random.RandomState(17)
    ins, outs, fwd = _gru_v16_graph(act, inner, trunc)
    f = K.function(ins, outs)
    f_fwd = K.function(ins[:4], [fwd])
    assert [op.save_gates for op in _fused_ops(f_fwd)] == [False]
    # the gradients' reference: the float64 graph on the Python linker (GRUGrad.perform)
    xp64, dh64 = T.tensor3(), T.tensor3()
    U64, b64, m64 = T.matrix(), T.vector(), T.matrix(dtype="int8")
    h64 = rnn.GRUForward(act, inner, trunc)(xp64, m64, U64, b64)[0]
    ref = pytensor.function([xp64, m64, U64, b64, dh64], T.grad((h64 * dh64).sum(), [xp64, U64, b64]),
                            mode=PY_MODE)
    for steps, n, H in GRU_V16_CASES:
        m = (rng.uniform(size=(steps, n)) > 0.3).astype("int8")
        m[1] = 0  # every row masked at step 1
        m[:, 0] = 1
        # U's scale keeps the linear activations' gradients from growing past float32's reach
        vals = [rng.normal(scale=1.0, size=(steps, n, 3 * H)), m, rng.normal(scale=0.1, size=(H, 3 * H)),
                rng.normal(size=(3 * H,)), rng.normal(size=(steps, n, H))]
        v32 = _f32(vals)
        got = f(*v32)
        got_fwd = f_fwd(*v32[:4])[0]
        h_ref, g_ref = reference.gru_packed_forward(act, inner, *[v.astype(np.float64) for v in v32[:4]])
        assert np.abs(h_ref).max() > 0.1
        _close32(got[0], h_ref)
        _close32(got[1], g_ref)
        assert np.array_equal(got_fwd, got[0])  # forward-only: the same sums in the same order
        for g, w in zip(got[2:], ref(*[v.astype(np.float64) if v.dtype == np.float32 else v for v in v32])):
            _close32(g, w)


@needs_kernel
def test_gru_float32_kernel_text_and_blas_fallback():
    """The GRU float32 vector kernels are emitted for float32 ``GRUForward`` and ``GRUGrad`` only
    (float64: the BLAS text, plus the float64 forward kernel with ``avx512`` or ``avx2``); built with
    ``KERAS_LEGACY_RNN_ISA=blas`` the float32 Op runs the BLAS path, and both builds agree
    with the NumPy GRU to 1e-5."""
    op = rnn.GRUForward("sigmoid", "hard_sigmoid")
    xp, U, m = T.tensor3(dtype="float32"), T.matrix(dtype="float32"), T.matrix(dtype="int8")
    node32 = op.make_node(xp, m, U)
    node64 = op.make_node(T.tensor3(), m, T.matrix())
    assert "kl_gru_fwd_v16_x" in op.c_support_code_apply(node32, "x")
    text64 = op.c_support_code_apply(node64, "x")
    assert "kl_gru_fwd_v16" not in text64 and "kv16" not in text64
    assert ("kl_gru64_fwd_x" in text64) == (isa.selected() in ("avx512", "avx2"))
    grad = rnn.GRUGrad("sigmoid", "hard_sigmoid")
    text = grad.c_support_code_apply(grad.make_node(m, U, xp, T.tensor3(dtype="float32"), xp), "x")
    assert "kl_gru_bwd_v16_x(Tn, n, H, stop" in text and "kl_gru_fwd_v16_x" not in text
    assert "kl_gru" not in grad.c_support_code_apply(grad.make_node(m, T.matrix(), *[T.tensor3()] * 3), "x")
    b = T.vector(dtype="float32")
    outs = rnn.GRUForward("tanh", "sigmoid")(xp, m, U, b)
    f_v16 = K.function([xp, m, U, b], outs)
    with _without_v16():
        f_blas = K.function([xp, m, U, b], outs)
    rng = np.random.RandomState(5)
    mask = (rng.uniform(size=(5, 9)) > 0.3).astype("int8")
    mask[2] = 0
    vals = [rng.normal(size=(5, 9, 111)).astype("float32"), mask,
            rng.normal(scale=0.4, size=(37, 111)).astype("float32"), rng.normal(size=(111,)).astype("float32")]
    want = reference.gru_packed_forward("tanh", "sigmoid", *[v.astype(np.float64) for v in vals])
    for got in (f_v16(*vals), f_blas(*vals)):
        _close32(got[0], want[0])
        _close32(got[1], want[1])
    assert not np.array_equal(f_v16(*vals)[0], f_blas(*vals)[0])  # two builds, two summation orders


@needs_kernel
@pytest.mark.parametrize("act,inner", [("sigmoid", "hard_sigmoid"), ("tanh", "sigmoid")])
def test_gru_float32_forward_equal_on_one_and_two_threads(act, inner):
    """The float32 GRU forward kernel gives bit-identical h and gates with OpenBLAS set to 1
    and 2 threads in one process (rows split, no sum is); the 2-thread h matches NumPy."""
    rng = np.random.RandomState(23)
    xp, U, b, m = T.tensor3(dtype="float32"), T.matrix(dtype="float32"), T.vector(dtype="float32"), \
        T.matrix(dtype="int8")
    h, G = rnn.GRUForward(act, inner)(xp, m, U, b)
    f = K.function([xp, m, U, b], [h, G])
    f_fwd = K.function([xp, m, U, b], [rnn.gru_sequence(xp, m, U, act, inner, b=b)])
    with _threads() as run:
        for steps, n, H in [(30, 13, 100), (40, 31, 45), (25, 64, 64)]:
            m_ = (rng.uniform(size=(steps, n)) > 0.2).astype("int8")
            m_[3] = 0
            m_[:, 3 % n] = 1
            vals = [rng.normal(scale=2.0, size=(steps, n, 3 * H)).astype("float32"), m_,
                    rng.normal(scale=0.3, size=(H, 3 * H)).astype("float32"),
                    rng.normal(size=(3 * H,)).astype("float32")]
            got = run(lambda: f(*vals) + f_fwd(*vals))  # noqa: B023  (called at once)
            for a, r in zip(got[1], got[2]):
                assert a.dtype == np.float32 and np.array_equal(a, r), np.abs(a - r).max()
            h_ref, g_ref = reference.gru_packed_forward(act, inner, *[v.astype(np.float64) for v in vals])
            _close32(got[2][0], h_ref)
            _close32(got[2][1], g_ref)
            _close32(got[2][2], h_ref)
