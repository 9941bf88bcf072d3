"""The 0.1.3 recurrent layers reproduce the golden files of the original Keras on Theano.

Every ``golden/recurrent_<Layer>_<case>.npz`` is checked: ``out_seq``,
``out_last``, ``loss``, every ``grad_<k>`` and ``grad_X``, in float64, to 1e-10
relative.  Compile budget: ONE compiled function per layer (C backend through
``K.function``) computes all five cases at once:

* ``nomask``: the input fed directly to a ``return_sequences`` instance and to a
  ``return_sequences=False`` instance;
* ``prepad``/``postpad``/``midzero``: the three inputs concatenated along the
  batch axis (the samples are independent, the weights are the same) and fed
  through ``Masking(0.)``; one loss per case (``R`` zeroed outside the case's
  rows), so each case gets its own parameter gradients;
* ``trunc``: ``truncate_gradient=2`` instances on the ``nomask`` input.

LSTM and GRU have two implementations (``Recurrent.fast_path``): the fused Ops of
``keras_legacy.backend.rnn`` (the default where a C compiler is configured) and the
plain ``scan`` step.  This is THE check of both against the golden files: the
variants ``LSTM:fused``/``GRU:fused`` force ``fast_path=True`` (and their graphs hold
the fused Ops, no Scan), ``LSTM:scan``/``GRU:scan`` force ``fast_path=False``; so these
two layers cost two compiled functions.  ``test_float32_fused_matches_golden`` runs
the float32 fused Ops (the AVX-512 kernels where the compiler targets them) on the
float64 golden data, to 1e-5.

Modes: a layer returns one graph whatever compiles it, so the same graphs are compiled
by ``MODES``: our default C mode (``K.function``), a plain ``pytensor.function``
(PyTensor's default mode), ``NUMBA``, ``JAX`` (skipped without jax, the optional extra)
and ``FAST_COMPILE`` (Python linker).  Every mode runs the default graph of each layer
(the fused Ops for LSTM/GRU, scan for the others).  Cold Numba/JAX compiles of scan
graphs are long, so CI runs one scan layer (SimpleRNN) under JAX and FAST_COMPILE and
``KL_TEST_ALL_MODES=1`` every scan layer in every mode; the ``:scan`` reference variants run in the
C mode only.  One compiled function per (variant, mode).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import graph_inputs
from pytensor.scan.op import Scan
from pytensor.tensor.type import TensorType

from keras_legacy import backend as K
from keras_legacy.backend import rnn
from keras_legacy.backend.pytensor_compat import HAS_JAX
from keras_legacy.layers import recurrent
from keras_legacy.layers.core import Masking
from layer_checks import FixedInput

LAYERS = ["LSTM", "GRU", "SimpleRNN", "SimpleDeepRNN", "JZS1", "JZS2", "JZS3"]
# ``<layer>:fused`` / ``<layer>:scan``: ``fast_path=True`` / ``False``.
VARIANTS = ["LSTM:fused", "LSTM:scan", "GRU:fused", "GRU:scan"] + LAYERS[2:]
FUSED_OPS = {"LSTM": (rnn.LSTMForward, rnn.LSTMGrad), "GRU": (rnn.GRUForward, rnn.GRUGrad)}
MASKED_CASES = ["prepad", "postpad", "midzero"]
CASES = ["nomask"] + MASKED_CASES + ["trunc"]
RTOL, ATOL = 1e-10, 1e-12

#: The compile modes: ``"C"`` is ``K.function`` (keras_legacy's default), ``"plain"`` a
#: ``pytensor.function`` without a mode, the others PyTensor mode names.
MODES = ["C", "plain", "NUMBA", "JAX", "FAST_COMPILE"]
#: The layers whose default graph is a scan (no fused Op).  A cold Numba compile of a scan
#: graph takes ~70 s, so outside the C mode CI runs SimpleRNN under JAX and FAST_COMPILE
#: only; ``KL_TEST_ALL_MODES=1`` runs every scan layer in every mode (marked ``slow``).
SCAN_LAYERS = LAYERS[2:]
ALL_MODES = os.environ.get("KL_TEST_ALL_MODES") == "1"


def _runs():
    """(variant, mode): every variant in the C mode, the default graphs in the other modes."""
    runs = [pytest.param((v, "C"), id=f"{v}-C") for v in VARIANTS]
    for mode in MODES[1:]:
        if mode == "NUMBA" and not ALL_MODES:  # the plain function already runs the Numba linker
            continue
        runs += [pytest.param((v, mode), id=f"{v}-{mode}") for v in ("LSTM:fused", "GRU:fused")]
        if mode in ("JAX", "FAST_COMPILE"):  # a cold Numba compile of a scan graph: ~70 s
            runs.append(pytest.param(("SimpleRNN", mode), id=f"SimpleRNN-{mode}"))
        if ALL_MODES:
            runs += [pytest.param((v, mode), id=f"{v}-{mode}", marks=pytest.mark.slow)
                     for v in SCAN_LAYERS if not (v == "SimpleRNN" and mode in ("JAX", "FAST_COMPILE"))]
    return runs

# The param attribute names of the golden files, per layer (golden README table).
EXPECTED_PARAM_NAMES = {
    "LSTM": ["W_i", "U_i", "b_i", "W_c", "U_c", "b_c", "W_f", "U_f", "b_f", "W_o", "U_o", "b_o"],
    "GRU": ["W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"],
    "SimpleRNN": ["W", "U", "b"],
    "SimpleDeepRNN": ["W", "Us_0", "Us_1", "Us_2", "b"],
    "JZS1": ["W_z", "b_z", "W_r", "U_r", "b_r", "U_h", "b_h"],
    "JZS2": ["W_z", "U_z", "b_z", "U_r", "b_r", "W_h", "U_h", "b_h"],
    "JZS3": ["W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"],
}


def load_case(golden, name, case):
    with np.load(golden / f"recurrent_{name}_{case}.npz", allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def param_attr(layer, golden_name):
    """The layer attribute a golden param name designates (``Us_k`` is ``layer.Us[k]``)."""
    if golden_name.startswith("Us_"):
        return layer.Us[int(golden_name[3:])]
    return getattr(layer, golden_name)


def make_layer(variant, data, **kwargs):
    name, _, path = variant.partition(":")
    layer = getattr(recurrent, name)(3, 4, **kwargs)
    if path:
        layer.fast_path = path == "fused"
    n = len(data["param_names"])
    layer.set_weights([data[f"params_{k}"] for k in range(n)])
    if "Pmat" in data:
        layer.Pmat.set_value(data["Pmat"])
    return layer


def compile_in(mode, inputs, outputs, values, params):
    """``K.function`` for ``"C"``, else ``pytensor.function`` in ``mode`` (``"plain"``: no mode).

    JAX traces static shapes only (slices of the time axis, the split of the packed
    weights' gradient): its inputs get the shapes of ``values``, ``params`` and every other
    shared variable of the graph (JZS1/JZS2's fixed projection ``Pmat``) theirs.
    """
    if mode == "C":
        return K.function(inputs, outputs)
    if mode == "JAX":
        static = [T.tensor(name=v.name, dtype=v.dtype, shape=a.shape) for v, a in zip(inputs, values)]
        shared = {v for v in graph_inputs(outputs)
                  if isinstance(v, SharedVariable) and isinstance(v.type, TensorType)} | set(params)
        fixed = {p: T.specify_shape(p, p.get_value().shape) for p in shared}
        outputs = graph_replace(outputs, {**dict(zip(inputs, static)), **fixed})
        inputs = static
    kwargs = {} if mode == "plain" else {"mode": mode}
    return pytensor.function(inputs, outputs, on_unused_input="ignore", **kwargs)


def run_layer(golden, variant, mode="C"):
    """Compile one function (in ``mode``) for every case of ``variant``; return
    ``{case: {key: value}}``."""
    name = variant.partition(":")[0]
    data = {case: load_case(golden, name, case) for case in CASES}
    n = len(data["nomask"]["param_names"])
    nb = data["nomask"]["X"].shape[0]

    # nomask and trunc: the input fed directly.
    X = T.tensor3("X")
    R = T.tensor3("R")
    direct = {}
    for case, kwargs in (("nomask", {}), ("trunc", {"truncate_gradient": 2})):
        seq = make_layer(variant, data[case], return_sequences=True, **kwargs)
        last = make_layer(variant, data[case], return_sequences=False, **kwargs)
        seq.input = X
        last.input = X
        direct[case] = (seq, last)

    # The three masked cases, concatenated along the batch axis.
    XM = T.tensor3("XM")
    RM = T.tensor3("RM")
    masking = Masking(0.0)
    masking.input = XM
    inp = masking.get_output()
    fixed = FixedInput(inp, masking.get_output_mask())
    mseq = make_layer(variant, data["prepad"], return_sequences=True)
    mlast = make_layer(variant, data["prepad"], return_sequences=False)
    mseq.set_previous(fixed)
    mlast.set_previous(fixed)

    outputs = []
    layout = []  # (case, key, slice of batch rows or None)
    for case, (seq, last) in direct.items():
        out_seq = seq.get_output()
        loss = T.sum(out_seq * R)
        grads = K.grad(loss, seq.params + [X])
        outputs += [out_seq, last.get_output(), loss] + grads
        layout += [(case, "out_seq", None), (case, "out_last", None), (case, "loss", None)]
        layout += [(case, f"grad_{k}", None) for k in range(n)] + [(case, "grad_X", None)]

    out_seq = mseq.get_output()
    out_last = mlast.get_output()
    for i, case in enumerate(MASKED_CASES):
        rows = slice(i * nb, (i + 1) * nb)
        loss = T.sum(out_seq[rows] * RM[rows])
        grads = K.grad(loss, mseq.params + [inp])
        outputs += [out_seq, out_last, loss] + grads
        layout += [(case, "out_seq", rows), (case, "out_last", rows), (case, "loss", None)]
        layout += [(case, f"grad_{k}", None) for k in range(n)] + [(case, "grad_X", rows)]

    # nomask and trunc share X and R (golden README); check it rather than assume it.
    np.testing.assert_array_equal(data["nomask"]["X"], data["trunc"]["X"])
    np.testing.assert_array_equal(data["nomask"]["R"], data["trunc"]["R"])
    XM_val = np.concatenate([data[c]["X"] for c in MASKED_CASES], axis=0)
    RM_val = np.concatenate([data[c]["R"] for c in MASKED_CASES], axis=0)
    args = [data["nomask"]["X"], data["nomask"]["R"], XM_val, RM_val]
    params = {p for layer in [*direct["nomask"], *direct["trunc"], mseq, mlast] for p in layer.params}
    f = compile_in(mode, [X, R, XM, RM], outputs, args, params)
    values = [np.asarray(v) for v in f(*args)]

    results = {case: {} for case in CASES}
    for (case, key, rows), value in zip(layout, values):
        results[case][key] = value if rows is None else value[rows]
    layers = {"seq": direct["nomask"][0], "last": direct["nomask"][1],
              "trunc": direct["trunc"][0], "masked": mseq}
    mask_val = K.function([XM], masking.get_output_mask())(XM_val)
    for i, case in enumerate(MASKED_CASES):
        results[case]["mask"] = mask_val[i * nb:(i + 1) * nb]
    ops = [type(node.op) for node in f.maker.fgraph.apply_nodes]
    return {"data": data, "results": results, "layers": layers, "variant": variant, "ops": ops,
            "mode": mode}


@pytest.fixture(scope="module", params=_runs())
def compiled(request, golden):
    variant, mode = request.param
    if mode == "JAX" and not HAS_JAX:
        pytest.skip("jax is not installed (optional extra `jax`): JAX mode not tested")
    return variant.partition(":")[0], run_layer(golden, variant, mode)


@pytest.mark.parametrize("case", CASES)
def test_outputs_and_loss(compiled, case):
    name, run = compiled
    want, got = run["data"][case], run["results"][case]
    for key in ("out_seq", "out_last", "loss"):
        assert got[key].dtype == np.float64
        assert got[key].shape == want[key].shape, (name, case, key)
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} {case} {key}")
    # The README's loss definition, as a self-check of the golden data.
    np.testing.assert_allclose(np.sum(want["out_seq"] * want["R"]), want["loss"], rtol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_gradients(compiled, case):
    name, run = compiled
    want, got = run["data"][case], run["results"][case]
    n = len(want["param_names"])
    for key in [f"grad_{k}" for k in range(n)] + ["grad_X"]:
        assert got[key].shape == want[key].shape, (name, case, key)
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} {case} {key}")
        assert np.any(got[key] != 0), f"{name} {case} {key} is identically zero"


@pytest.mark.parametrize("case", MASKED_CASES)
def test_masking_mask_matches_golden(compiled, case):
    _, run = compiled
    np.testing.assert_array_equal(run["results"][case]["mask"].astype(np.float64),
                                  run["data"][case]["mask"])


def test_truncated_gradient_differs_from_full(compiled):
    """Sanity: the trunc case's U gradients really are truncated (differ from nomask)."""
    name, run = compiled
    want_full, want_trunc = run["data"]["nomask"], run["data"]["trunc"]
    got_trunc = run["results"]["trunc"]
    names = list(want_trunc["param_names"])
    differ = [k for k, pn in enumerate(names)
              if not np.allclose(want_full[f"grad_{k}"], want_trunc[f"grad_{k}"])]
    assert differ, f"{name}: golden trunc gradients equal the full ones"
    for k in differ:
        assert not np.allclose(got_trunc[f"grad_{k}"], want_full[f"grad_{k}"])


def test_implementation_under_test(compiled):
    """The ``:scan`` variants (and the layers without a fused Op) really run ``scan``; the
    ``:fused`` variants run the fused forward and gradient Ops and no scan."""
    name, run = compiled
    n_scans = sum(issubclass(op, Scan) for op in run["ops"])
    if run["variant"].endswith(":fused"):
        assert n_scans == 0
        assert all(any(issubclass(op, want) for op in run["ops"]) for want in FUSED_OPS[name])
    else:
        assert n_scans > 0


def test_param_names_and_order(compiled):
    name, run = compiled
    want = run["data"]["nomask"]
    names = [str(s) for s in want["param_names"]]
    assert names == EXPECTED_PARAM_NAMES[name]
    # One set of weights (and Pmat) for every case of a layer (golden README), which the
    # concatenated masked cases rely on.
    for case in CASES[1:]:
        other = run["data"][case]
        assert [str(s) for s in other["param_names"]] == names
        for key in [f"params_{k}" for k in range(len(names))] + ["Pmat"]:
            if key in want:
                np.testing.assert_array_equal(other[key], want[key], err_msg=f"{case} {key}")
    for key, layer in run["layers"].items():
        assert len(layer.params) == len(names), (name, key)
        for k, pn in enumerate(names):
            var = param_attr(layer, pn)
            assert layer.params[k] is var, f"{name}: params[{k}] is not {pn}"
            assert var.get_value().shape == want[f"params_{k}"].shape
            np.testing.assert_array_equal(var.get_value(), want[f"params_{k}"])
        np.testing.assert_array_equal(
            np.concatenate([w.ravel() for w in layer.get_weights()]),
            np.concatenate([want[f"params_{k}"].ravel() for k in range(len(names))]))
    if name in ("JZS1", "JZS2"):
        layer = run["layers"]["seq"]
        assert not any(p is layer.Pmat for p in layer.params), "0.1.3: Pmat is not a param"
        assert layer.Pmat.get_value().shape == want["Pmat"].shape


def test_config_matches_golden(compiled, golden):
    name, run = compiled
    with open(golden / f"recurrent_{name}_config.json") as fh:
        want = json.load(fh)
    assert run["layers"]["seq"].get_config() == want
    assert run["layers"]["last"].get_config() == {**want, "return_sequences": False}
    assert run["layers"]["trunc"].get_config() == {**want, "truncate_gradient": 2}
    # The configs serialise to the same JSON text as the original's.
    assert json.dumps(run["layers"]["seq"].get_config(), sort_keys=True) == json.dumps(
        want, sort_keys=True)


def test_float32_fused_matches_golden(golden):
    """float32 LSTM and GRU on the fused path (the float32 LSTM folds the input product into
    ``LSTMForwardX``) against the float64 golden nomask data: outputs and every gradient."""
    outs, refs, ins = [], [], []
    with pytensor.config.change_flags(floatX="float32"):
        for name in ("LSTM", "GRU"):
            d = load_case(golden, name, "nomask")
            names = list(d["param_names"])
            X = T.tensor3(name + "X", dtype="float32")
            layer = getattr(recurrent, name)(3, 4, return_sequences=True)
            layer.fast_path = True
            layer.set_weights([d[f"params_{k}"].astype("float32") for k in range(len(names))])
            layer.input = X
            out = layer.get_output()
            assert out.dtype == "float32"
            loss = (out * d["R"].astype("float32")).sum()
            outs += [out] + K.grad(loss, [getattr(layer, p) for p in names] + [X])
            refs += [d["out_seq"]] + [d[f"grad_{k}"] for k in range(len(names))] + [d["grad_X"]]
            ins.append((X, d["X"].astype("float32")))
        f = K.function([v for v, _ in ins], outs)
    ops = {type(node.op) for node in f.maker.fgraph.apply_nodes}
    assert rnn.LSTMForwardX in ops and rnn.GRUForward in ops
    for got, ref in zip(f(*[a for _, a in ins]), refs):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
