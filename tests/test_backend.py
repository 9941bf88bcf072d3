"""The PyTensor compatibility module: compile modes, scan structure, the T.nnet stand-ins."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from pytensor.link.vm import VMLinker
from pytensor.scan.op import Scan

from keras_legacy import backend as K
from keras_legacy.backend.fast_tanh import fast_tanh
from keras_legacy.layers import recurrent


def load(golden, name):
    with np.load(golden / name, allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def golden_layer(cls_name, data, fast_path=True, **kwargs):
    layer = getattr(recurrent, cls_name)(3, 4, **kwargs)
    layer.fast_path = fast_path
    layer.set_weights([data[f"params_{k}"] for k in range(len(data["param_names"]))])
    return layer


def scan_nodes(f):
    return [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, Scan)]


@pytest.fixture(scope="module", params=[False, True], ids=["scan", "default"])
def lstm_graph(request, golden):
    """An LSTM on the golden nomask data (its values are checked against the golden
    files in tests/test_recurrent_golden.py): the plain scan step, and the default path
    (the fused Ops of ``keras_legacy.backend.rnn``)."""
    data = load(golden, "recurrent_LSTM_nomask.npz")
    layer = golden_layer("LSTM", data, fast_path=request.param, return_sequences=True)
    X, R = T.tensor3("X"), T.tensor3("R")
    layer.input = X
    seq = layer.get_output()
    loss = T.sum(seq * R)
    outputs = [seq, loss] + K.grad(loss, layer.params + [X])
    return {"data": data, "layer": layer, "X": X, "R": R, "seq": seq, "outputs": outputs,
            "scan_path": request.param is False,
            "f_fwd": K.function([X], seq), "f_full": K.function([X, R], outputs)}


needs_cxx = pytest.mark.skipif(not pytensor.config.cxx, reason="no C++ compiler: no C backend")


@needs_cxx
def test_default_mode_is_the_c_vm(lstm_graph):
    assert K.DEFAULT_MODE_NAME == "CVM"
    for f in (lstm_graph["f_fwd"], lstm_graph["f_full"]):
        linker = f.maker.linker
        assert isinstance(linker, VMLinker)
        assert linker.use_cloop and linker.c_thunks
        assert type(f.vm).__name__ == "CVM"


def test_forward_graph_has_one_scan(lstm_graph):
    if not lstm_graph["scan_path"]:
        pytest.skip("the fused path has no scan")
    assert len(scan_nodes(lstm_graph["f_fwd"])) == 1


def test_forward_and_grad_graph_scans(lstm_graph):
    """Forward + gradient: the forward scan and one backward scan, no more."""
    if not lstm_graph["scan_path"]:
        pytest.skip("the fused path has no scan")
    nodes = scan_nodes(lstm_graph["f_full"])
    assert len(nodes) == 2, [str(n.op) for n in nodes]


def test_fast_compile_equals_c(lstm_graph):
    """The Python linker (scan's and the fused Ops' ``perform``) equals the C backend."""
    g = lstm_graph
    f_fast = K.function([g["X"], g["R"]], g["outputs"], mode="FAST_COMPILE")
    assert not isinstance(f_fast.maker.linker, VMLinker) or not f_fast.maker.linker.c_thunks
    fast = f_fast(g["data"]["X"], g["data"]["R"])
    c = g["f_full"](g["data"]["X"], g["data"]["R"])
    for a, b in zip(fast, c):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert np.abs(c[0]).max() > 0.1 and all(np.abs(gr).max() > 0 for gr in c[2:])


def test_stacked_layers_one_scan_each():
    X = T.tensor3("X")
    first = recurrent.GRU(3, 4, return_sequences=True)
    first.fast_path = False
    second = recurrent.SimpleRNN(4, 2)
    first.input = X
    second.set_previous(first)
    f = K.function([X], second.get_output())
    assert len(scan_nodes(f)) == 2
    assert f(np.ones((2, 3, 3))).shape == (2, 2)


def test_truncated_forward_graph_has_one_scan(golden):
    data = load(golden, "recurrent_LSTM_trunc.npz")
    layer = golden_layer("LSTM", data, fast_path=False, return_sequences=True,
                         truncate_gradient=2)
    X = T.tensor3("X")
    layer.input = X
    f = K.function([X], layer.get_output())
    assert len(scan_nodes(f)) == 1
    np.testing.assert_allclose(f(data["X"]), data["out_seq"], rtol=1e-10, atol=1e-12)


def test_plain_pytensor_function_default_mode_scan_trunc(golden):
    """PyTensor's own default mode (Numba in 3.x) runs a truncated recurrence's scan and its
    gradient: truncation by ``zero_grad`` gates, which must work in every mode (SimpleRNN,
    which always runs on scan: the smallest step to compile cold)."""
    data = load(golden, "recurrent_SimpleRNN_trunc.npz")
    layer = golden_layer("SimpleRNN", data, return_sequences=True, truncate_gradient=2)
    X, R = T.tensor3("X"), T.tensor3("R")
    layer.input = X
    seq = layer.get_output()
    loss = T.sum(seq * R)
    f = pytensor.function([X, R], [seq, loss] + pytensor.grad(loss, layer.params + [X]))
    assert type(f.maker.linker).__name__ == "NumbaLinker" and scan_nodes(f)
    # numba__fastmath (PyTensor's default) may reassociate sums: a few ulps.
    out_seq, loss, *grads = f(data["X"], data["R"])
    tol = {"rtol": 1e-9, "atol": 1e-12}
    np.testing.assert_allclose(out_seq, data["out_seq"], **tol)
    np.testing.assert_allclose(loss, data["loss"], **tol)
    for k in range(3):
        np.testing.assert_allclose(grads[k], data[f"grad_{k}"], err_msg=f"grad_{k}", **tol)
    np.testing.assert_allclose(grads[3], data["grad_X"], **tol)


# --- the removed T.nnet functions and Theano's round ------------------------------

@pytest.fixture(scope="module")
def nnet_fn():
    """One compiled function for all the element-wise stand-ins (float64)."""
    x, p, t = T.vector("x"), T.matrix("p"), T.matrix("t")
    idx = T.ivector("idx")
    b_out, b_tgt = T.vector("bo"), T.vector("bt")
    outs = [
        K.hard_sigmoid(x), T.grad(T.sum(K.hard_sigmoid(x)), x),
        K.relu(x), T.grad(T.sum(K.relu(x)), x), K.relu(x, alpha=0.1),
        K.round_half_away(x),
        K.categorical_crossentropy(p, t), K.categorical_crossentropy(p, idx),
        K.binary_crossentropy(b_out, b_tgt),
        K.softmax(p),
    ]
    return K.function([x, p, t, idx, b_out, b_tgt], outs)


def test_nnet_standins_against_numpy(nnet_fn):
    rng = np.random.RandomState(0)
    x = np.array([-3.0, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.5, 3.0, 0.7, -0.3, 2.49])
    logits = rng.normal(size=(4, 5))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    idx = np.array([0, 3, 4, 1], dtype=np.int32)
    t = np.eye(5)[idx]
    bo = rng.uniform(0.05, 0.95, size=6)
    bt = (rng.uniform(size=6) > 0.5).astype(np.float64)
    (hs, ghs, relu, grelu, leaky, rnd, cce, cce_idx, bce, sm) = nnet_fn(x, p, t, idx, bo, bt)

    np.testing.assert_allclose(hs, np.clip(0.2 * x + 0.5, 0.0, 1.0), rtol=1e-15)
    # spec 2.1: inputs [-3,-2.5,-1,0,1,2.5,3] give [0,0,0.3,0.5,0.7,1,1]
    np.testing.assert_allclose(hs[[0, 1, 2, 4, 6, 8, 9]], [0, 0, 0.3, 0.5, 0.7, 1, 1],
                               rtol=1e-15, atol=1e-16)
    inside = np.abs(x) < 2.5
    np.testing.assert_array_equal(ghs[inside], 0.2)
    np.testing.assert_array_equal(ghs[np.abs(x) > 2.5], 0.0)

    np.testing.assert_array_equal(relu, 0.5 * (x + np.abs(x)))
    np.testing.assert_array_equal(grelu[x > 0], 1.0)
    np.testing.assert_array_equal(grelu[x < 0], 0.0)
    assert grelu[x == 0] == 0.5  # Theano's relu gradient at 0
    np.testing.assert_allclose(leaky, np.where(x > 0, x, 0.1 * x), rtol=1e-15, atol=1e-16)

    np.testing.assert_array_equal(rnd[:10], [-3, -3, -1, -1, 0, 1, 1, 2, 3, 3])
    np.testing.assert_array_equal(rnd, np.sign(x) * np.floor(np.abs(x) + 0.5))

    want_cce = -np.sum(t * np.log(p), axis=1)
    np.testing.assert_allclose(cce, want_cce, rtol=1e-14)
    np.testing.assert_allclose(cce_idx, -np.log(p[np.arange(4), idx]), rtol=1e-14)
    np.testing.assert_allclose(bce, -(bt * np.log(bo) + (1 - bt) * np.log(1 - bo)), rtol=1e-14)
    want_sm = np.exp(p - p.max(axis=1, keepdims=True))
    np.testing.assert_allclose(sm, want_sm / want_sm.sum(axis=1, keepdims=True), rtol=1e-14)


def test_hard_sigmoid_keeps_float32():
    x = T.vector("x", dtype="float32")
    assert K.hard_sigmoid(x).dtype == "float32"
    assert K.relu(x).dtype == "float32"
    assert K.round_half_away(x).dtype == "float32"


def test_unbroadcast():
    m = T.alloc(np.float64(0.0), T.iscalar("n"), 1)
    assert m.type.shape[1] == 1
    u = K.unbroadcast(m, 1)
    assert u.type.shape[1] is None and u.ndim == 2
    x = T.matrix("x", shape=(None, 1))
    ux = K.unbroadcast(x, -1)
    assert ux.type.shape == (None, None)
    assert K.unbroadcast(T.matrix("y"), 0, 1).type.shape == (None, None)
    f = K.function([x], ux)
    val = np.arange(3.0).reshape(3, 1)
    np.testing.assert_array_equal(f(val), val)


def test_get_mode_errors():
    with pytest.raises(ValueError, match="Unknown theano_mode"):
        K.get_mode("NO_SUCH_MODE")
    with pytest.raises(TypeError, match="theano_mode must be"):
        K.get_mode(3)


# --- after_import: how the Numba/JAX implementations are registered ------------------

def test_after_import_runs_callbacks_once_the_module_is_loaded(tmp_path, monkeypatch):
    from keras_legacy.backend import pytensor_compat

    (tmp_path / "kl_after_import_probe.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    pytensor_compat.after_import("kl_after_import_probe", lambda m: seen.append(m.VALUE))
    assert seen == []
    import kl_after_import_probe  # noqa: F401

    assert seen == [42]
    pytensor_compat.after_import("kl_after_import_probe", lambda m: seen.append(-m.VALUE))  # loaded: now
    assert seen == [42, -42]
    monkeypatch.delitem(sys.modules, "kl_after_import_probe")


def test_fused_ops_are_registered_with_numba_when_pytensor_loads_it():
    """In a fresh interpreter: keras_legacy imports neither numba nor jax; compiling in
    the default (Numba) mode registers the Numba implementations of the fused Ops."""
    code = (
        "import sys, keras_legacy.models\n"
        "print('numba' in sys.modules, 'jax' in sys.modules)\n"
        "from pytensor.link.numba.dispatch import numba_funcify\n"
        "from keras_legacy.backend import rnn\n"
        "from keras_legacy.backend.rnn import numba_impl\n"
        "print(numba_funcify.dispatch(rnn.GRUGrad).__wrapped__ is numba_impl.numba_funcify_GRUGrad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])})
    assert out.stdout.split() == ["False", "False", "True"], out.stdout + out.stderr


@pytest.mark.parametrize("dtype, max_ulp", [("float64", 4), ("float32", 1)])
def test_fast_tanh_is_libm_tanh_to_a_few_ulp(dtype, max_ulp):
    """``backend.fast_tanh`` (the C body that vectorises): values within ``max_ulp`` of
    NumPy's ``tanh`` over 1e-300..1e3 in magnitude, exact at 0, -0, +-inf, NaN kept;
    its gradient ``1 - tanh(x)**2``."""
    rng = np.random.RandomState(0)
    scales = (1e-300, 1e-8, 1e-3, 0.1, 0.5, 1.0, 3.0, 10.0, 30.0, 1e3)
    v = np.concatenate([rng.randn(20000) * s for s in scales]).astype(dtype)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 19.99, 20.0, 20.01, 0.1733, -0.3467], dtype=dtype)
    x = T.vector(dtype=dtype)
    y = fast_tanh(x)
    f = K.function([x], [y, T.grad(y.sum(), x)])
    got, grad = f(np.concatenate([v, specials]))
    want = np.tanh(v.astype(np.float64)).astype(dtype)
    ulp = np.abs(got[:v.size].astype(np.float64) - want) / np.spacing(np.abs(want)).astype(np.float64)
    assert ulp.max() <= max_ulp, ulp.max()
    tail = got[v.size:]
    np.testing.assert_array_equal(tail[:4], [0.0, 0.0, 1.0, -1.0])
    assert np.signbit(tail[1]) and not np.signbit(tail[0]) and np.isnan(tail[4])
    rtol = 1e-6 if dtype == "float32" else 1e-15
    np.testing.assert_allclose(tail[5:], np.tanh(specials[5:].astype(np.float64)), rtol=rtol)
    np.testing.assert_allclose(grad[:v.size], 1 - np.tanh(v.astype(np.float64)) ** 2,
                               rtol=0, atol=1e-6 if dtype == "float32" else 1e-15)
