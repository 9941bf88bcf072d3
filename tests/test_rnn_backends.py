"""The fused LSTM / GRU Ops under every PyTensor backend: C, Numba (``NUMBA`` and a plain
``pytensor.function``, PyTensor's default) and JAX.

Layer level: an LSTM/GRU layer with the fused path forced (``fast_path = True``) gives
one graph: its outputs and the gradients w.r.t. all weights and X, for the golden cases
``nomask``, ``trunc`` (``truncate_gradient=2``) and the three masked ones (through
``Masking``), in one compiled function per (layer, dtype, mode).  float64 matches the
golden files of the original Keras to 1e-10 relative in every mode; float32 matches
them to float32 accuracy and the C mode to 1e-5.  Under Numba the fused Ops run their
nopython kernels (``backend/rnn/numba_impl.py``): no object-mode fallback warning, the fused
Ops (no Scan) in the compiled graph.

Op level: each kernel against the Op's NumPy ``perform`` for the activation pairs the
golden files do not cover, with masks and truncation.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from pytensor.scan.op import Scan

from keras_legacy import backend as K
from keras_legacy.backend import rnn as rnn_ops
from keras_legacy.backend.rnn import jax_impl as rnn_jax
from keras_legacy.backend.rnn import numba_impl as rnn_numba
from keras_legacy.backend.rnn import ops_common
from keras_legacy.layers import recurrent
from keras_legacy.layers.core import Masking
from layer_checks import FixedInput

MASKED_CASES = ["prepad", "postpad", "midzero"]
CASES = ["nomask", "trunc"] + MASKED_CASES
#: ``NUMBA`` by name runs the same Numba linker as the plain function (PyTensor's default
#: mode): CI compiles it only with ``KL_TEST_ALL_MODES=1``, to keep its cold compiles short.
#: A plain ``pytensor.function`` (Numba) of these graphs is covered by test_recurrent_golden (float64,
#: every golden case) and test_numba_clib (float32, the C mode's bits); here with KL_TEST_ALL_MODES=1.
MODES = ["C", "JAX"] + (["plain", "NUMBA"] if os.environ.get("KL_TEST_ALL_MODES") == "1" else [])
FALLBACK = "Numba will use object mode"
FUSED = (ops_common._ForwardBase, ops_common._GradBase)
if rnn_jax.AVAILABLE:
    rnn_jax.bind_jax()

needs_jax = pytest.mark.skipif(not rnn_jax.AVAILABLE, reason="jax is not installed (optional extra `jax`)")


def _load(golden, name, case):
    with np.load(golden / f"recurrent_{name}_{case}.npz", allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def _layer(name, data, dtype, **kwargs):
    with pytensor.config.change_flags(floatX=dtype):
        layer = getattr(recurrent, name)(3, 4, **kwargs)
    layer.fast_path = True  # the fused Ops whatever the compile mode
    n = len(data["param_names"])
    layer.set_weights([data[f"params_{k}"].astype(dtype) for k in range(n)])
    return layer


def _build(golden, name, dtype):
    """Inputs, outputs, input values and ``[(case, key, rows)]`` of one graph with every case."""
    data = {case: _load(golden, name, case) for case in CASES}
    n = len(data["nomask"]["param_names"])
    nb = data["nomask"]["X"].shape[0]
    values = [data["nomask"]["X"], data["nomask"]["R"],
              np.concatenate([data[c]["X"] for c in MASKED_CASES]),
              np.concatenate([data[c]["R"] for c in MASKED_CASES])]
    values = [v.astype(dtype) for v in values]
    # Static input shapes: JAX traces slices of the time axis with static bounds only.
    X, R, XM, RM = (T.tensor(name=nm, dtype=dtype, shape=v.shape) for nm, v in zip(("X", "R", "XM", "RM"), values))
    outputs, layout, layers = [], [], []
    for case, kwargs in (("nomask", {}), ("trunc", {"truncate_gradient": 2})):
        seq = _layer(name, data[case], dtype, return_sequences=True, **kwargs)
        last = _layer(name, data[case], dtype, return_sequences=False, **kwargs)
        seq.input = last.input = X
        layers += [seq, last]
        out_seq = seq.get_output()
        loss = T.sum(out_seq * R)
        outputs += [out_seq, last.get_output(), loss] + K.grad(loss, seq.params + [X])
        layout += [(case, key, None) for key in ("out_seq", "out_last", "loss")]
        layout += [(case, f"grad_{k}", None) for k in range(n)] + [(case, "grad_X", None)]
    masking = Masking(0.0)
    masking.input = XM
    inp = masking.get_output()
    fixed = FixedInput(inp, masking.get_output_mask())
    mseq = _layer(name, data["prepad"], dtype, return_sequences=True)
    mlast = _layer(name, data["prepad"], dtype, return_sequences=False)
    mseq.set_previous(fixed)
    mlast.set_previous(fixed)
    out_seq, out_last = mseq.get_output(), mlast.get_output()
    for i, case in enumerate(MASKED_CASES):
        rows = slice(i * nb, (i + 1) * nb)
        loss = T.sum(out_seq[rows] * RM[rows])
        outputs += [out_seq, out_last, loss] + K.grad(loss, mseq.params + [inp])
        layout += [(case, "out_seq", rows), (case, "out_last", rows), (case, "loss", None)]
        layout += [(case, f"grad_{k}", None) for k in range(n)] + [(case, "grad_X", rows)]
    # Static weight shapes too: under JAX the gradient of the packed weights (a Split)
    # needs its split sizes when traced.
    params = {p for layer in layers + [mseq, mlast] for p in layer.params}
    outputs = pytensor.graph.replace.graph_replace(
        outputs, {p: T.specify_shape(p, p.get_value().shape) for p in params})
    return [X, R, XM, RM], outputs, values, layout, data


def _compile(inputs, outputs, mode):
    if mode == "C":
        return K.function(inputs, outputs)
    kwargs = {} if mode == "plain" else {"mode": mode}
    return pytensor.function(inputs, outputs, on_unused_input="ignore", **kwargs)


_GRAPHS = {}
_C_RESULTS = {}


@pytest.fixture(scope="module", params=[(name, dtype, mode) for name in ("LSTM", "GRU")
                                        for dtype in ("float64", "float32") for mode in MODES],
                ids=lambda p: "-".join(p))
def run(request, golden):
    name, dtype, mode = request.param
    if mode == "JAX" and not rnn_jax.AVAILABLE:
        pytest.skip("jax is not installed (optional extra `jax`): JAX mode not tested")
    key = (name, dtype)
    if key not in _GRAPHS:
        _GRAPHS[key] = _build(golden, name, dtype)
    inputs, outputs, values, layout, data = _GRAPHS[key]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = _compile(inputs, outputs, mode)
        got = f(*values)
    results = {case: {} for case in CASES}
    for (case, k, rows), value in zip(layout, got):
        results[case][k] = np.asarray(value) if rows is None else np.asarray(value)[rows]
    if mode == "C":
        _C_RESULTS[key] = results
    nodes = f.maker.fgraph.apply_nodes
    return {"name": name, "dtype": dtype, "mode": mode, "results": results, "data": data,
            "warnings": [str(w.message) for w in caught], "f": f,
            "fused": sorted(type(nd.op).__name__ for nd in nodes if isinstance(nd.op, FUSED)),
            "scans": sum(isinstance(nd.op, Scan) for nd in nodes)}


def _reference_c(run):
    """The C mode's results of the same (layer, dtype), for the cross-mode comparison."""
    key = (run["name"], run["dtype"])
    if key not in _C_RESULTS:
        inputs, outputs, values, layout, _ = _GRAPHS[key]
        got = K.function(inputs, outputs)(*values)
        res = {case: {} for case in CASES}
        for (case, k, rows), value in zip(layout, got):
            res[case][k] = value if rows is None else value[rows]
        _C_RESULTS[key] = res
    return _C_RESULTS[key]


@pytest.mark.parametrize("case", CASES)
def test_matches_golden(run, case):
    want, got = run["data"][case], run["results"][case]
    n = len(want["param_names"])
    keys = ["out_seq", "out_last", "loss"] + [f"grad_{k}" for k in range(n)] + ["grad_X"]
    # float64: the project's 1e-10; float32: float32 rounding through 5 steps.
    rtol, atol = (1e-10, 1e-12) if run["dtype"] == "float64" else (2e-5, 2e-6)
    for key in keys:
        # PyTensor's JAX backend returns float32 sums (the loss, the bias gradients, summed
        # over steps and rows) as float64, whatever the Ops (its Sum accumulates in float64).
        summed = key == "loss" or (key.startswith("grad_") and key != "grad_X"
                                   and str(want["param_names"][int(key[5:])]).startswith("b"))
        sum_widened = run["mode"] == "JAX" and summed
        assert got[key].dtype == np.dtype("float64" if sum_widened else run["dtype"]), (run["mode"], key)
        assert got[key].shape == want[key].shape, (run["name"], case, key)
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, atol=atol,
                                   err_msg=f"{run['name']} {run['mode']} {run['dtype']} {case} {key}")
    assert np.any(got["grad_0"] != 0)


def test_modes_agree_with_c(run):
    ref = _reference_c(run)
    tol = 1e-12 if run["dtype"] == "float64" else 1e-5
    for case in CASES:
        for key, value in run["results"][case].items():
            np.testing.assert_allclose(value, ref[case][key], rtol=tol, atol=tol,
                                       err_msg=f"{run['name']} {run['mode']} {run['dtype']} {case} {key}")


def test_fused_ops_in_graph(run):
    """Every mode runs the fused forward and gradient Ops (no Scan); Numba without object mode."""
    name = run["name"]
    fwd = "LSTMForwardX" if (name == "LSTM" and run["dtype"] == "float32") else f"{name}Forward"
    assert fwd in run["fused"] and f"{name}Grad" in run["fused"], run["fused"]
    assert run["scans"] == 0
    if run["mode"] in ("plain", "NUMBA"):
        assert type(run["f"].maker.linker).__name__ == "NumbaLinker"
        assert not [w for w in run["warnings"] if FALLBACK in w], run["warnings"]


def test_numba_fallback_detector_works():
    """The check above can fail: an Op without a Numba implementation does warn."""

    class Plain(pytensor.graph.Op):
        __props__ = ()

        def make_node(self, x):
            return pytensor.graph.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0] * 2

    x = T.vector()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = pytensor.function([x], Plain()(x), mode="NUMBA")
    assert any(FALLBACK in str(w.message) for w in caught)
    np.testing.assert_allclose(f(np.ones(2)), [2.0, 2.0])


# --- Op level: kernels against perform, other activation pairs --------------------

PAIRS = [("sigmoid", "tanh"), ("linear", "sigmoid"), ("hard_sigmoid", "linear")]


def test_every_supported_activation_has_a_kernel_code():
    assert sorted(rnn_numba._ACT_CODE) == sorted(rnn_ops.SUPPORTED)
    with pytest.raises(ValueError, match="support activations"):
        rnn_numba.kernel("lstm_forward", "relu", "tanh", "float64")


def _perform(op, inputs, n_out):
    storage = [[None] for _ in range(n_out)]
    op.perform(None, inputs, storage)
    return [s[0] for s in storage]


def _op_data(dtype, gates, seed=0):
    rng = np.random.default_rng(seed)
    n_steps, n, n_in, H = 6, 3, 4, 5
    mask = (rng.random((n_steps, n)) > 0.3).astype("int8")
    mask[0] = 0
    mask[3, 1] = 0
    X = rng.normal(size=(n_steps, n, n_in)).astype(dtype)
    W = (rng.normal(size=(n_in, gates * H)) * 0.7).astype(dtype)
    U = (rng.normal(size=(H, gates * H)) * 0.7).astype(dtype)
    b = rng.normal(size=gates * H).astype(dtype)
    dh = rng.normal(size=(n_steps, n, H)).astype(dtype)
    return X, mask, W, U, b, dh


def _run_numba(kind, act, inner, dtype, args):
    return rnn_numba.kernel(kind, act, inner, dtype)(*args)


def _check(got, want, dtype, what):
    tol = 1e-12 if dtype == "float64" else 2e-6
    for g, w in zip(got, want):
        assert np.asarray(g).shape == w.shape, what
        np.testing.assert_allclose(np.asarray(g), w, rtol=tol, atol=tol, err_msg=what)


def _pairs_cases():
    cases = [pytest.param(p, "float64", id=f"{p[0]}-{p[1]}-float64") for p in PAIRS]
    # float32: one pair (the kernels take the activations as codes; the float32 exp is the difference)
    cases += [pytest.param(PAIRS[0], "float32", id=f"{PAIRS[0][0]}-{PAIRS[0][1]}-float32")]
    return cases


@pytest.mark.parametrize("pair,dtype", _pairs_cases())
def test_numba_kernels_match_perform(pair, dtype):
    act, inner = pair
    X, mask, W, U, b, dh = _op_data(dtype, 4)
    xp = np.dot(X, W)
    for save in (True, False):
        want = _perform(rnn_ops.LSTMForward(act, inner, save_gates=save), [xp, mask, U, b], 3)
        _check(_run_numba("lstm_forward", act, inner, dtype, (xp, U, mask, U, b, save)), want, dtype,
               f"LSTMForward save={save}")
        _check(_run_numba("lstm_forward_x", act, inner, dtype,
                          (X.transpose(1, 0, 2).copy().transpose(1, 0, 2), W, mask, U, b, save)),
               want, dtype, "LSTMForwardX")
    _, c, G = _perform(rnn_ops.LSTMForward(act, inner), [xp, mask, U, b], 3)
    for trunc in (-1, 2):
        stop = max(len(c) - trunc, 0) if trunc > 0 else 0
        want = _perform(rnn_ops.LSTMGrad(act, inner, trunc), [mask, U, c, G, dh], 1)
        _check([_run_numba("lstm_grad", act, inner, dtype, (mask, U, c, G, dh, stop))], want, dtype,
               f"LSTMGrad truncate={trunc}")
    X, mask, W, U, b, dh = _op_data(dtype, 3, seed=1)
    xp = np.dot(X, W)
    want = _perform(rnn_ops.GRUForward(act, inner), [xp, mask, U, b], 2)
    _check(_run_numba("gru_forward", act, inner, dtype, (xp, mask, U, b, True)), want, dtype, "GRUForward")
    h, G = want
    for trunc in (-1, 2):
        stop = max(len(h) - trunc, 0) if trunc > 0 else 0
        want = _perform(rnn_ops.GRUGrad(act, inner, trunc), [mask, U, h, G, dh], 1)
        _check([_run_numba("gru_grad", act, inner, dtype, (mask, U, h, G, dh, stop))], want, dtype,
               f"GRUGrad truncate={trunc}")


@needs_jax
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: "-".join(p))
def test_jax_implementations_match_perform(pair):
    act, inner = pair
    dtype = "float64"
    X, mask, W, U, b, dh = _op_data(dtype, 4)
    xp = np.dot(X, W)
    op = rnn_ops.LSTMForward(act, inner)
    want = _perform(op, [xp, mask, U, b], 3)
    _check(rnn_jax.lstm_forward(op, xp, mask, U, b), want, dtype, "LSTMForward")
    _check(rnn_jax._lstm_forward_x(rnn_ops.LSTMForwardX(act, inner), X, mask, W, U, b), want, dtype,
           "LSTMForwardX")
    _, c, G = want
    for trunc in (-1, 2):
        op = rnn_ops.LSTMGrad(act, inner, trunc)
        _check([rnn_jax.lstm_grad(op, mask, U, c, G, dh)], _perform(op, [mask, U, c, G, dh], 1), dtype,
               f"LSTMGrad truncate={trunc}")
    X, mask, W, U, b, dh = _op_data(dtype, 3, seed=1)
    xp = np.dot(X, W)
    op = rnn_ops.GRUForward(act, inner)
    want = _perform(op, [xp, mask, U, b], 2)
    _check(rnn_jax.gru_forward(op, xp, mask, U, b), want, dtype, "GRUForward")
    h, G = want
    for trunc in (-1, 2):
        op = rnn_ops.GRUGrad(act, inner, trunc)
        _check([rnn_jax.gru_grad(op, mask, U, h, G, dh)], _perform(op, [mask, U, h, G, dh], 1), dtype,
               f"GRUGrad truncate={trunc}")


@needs_jax
def test_jax_symbolic_time_axis_is_refused():
    jax = rnn_jax.jax
    op = rnn_ops.GRUForward("tanh", "hard_sigmoid")
    t, = jax.export.symbolic_shape("t")
    spec = [jax.ShapeDtypeStruct((t, 2, 9), np.float32), jax.ShapeDtypeStruct((t, 2), np.int8),
            jax.ShapeDtypeStruct((3, 9), np.float32)]
    with pytest.raises(ValueError, match="number of time steps must be static"):
        jax.export.export(jax.jit(lambda xp, m, U: rnn_jax.gru_forward(op, xp, m, U)))(*spec)
