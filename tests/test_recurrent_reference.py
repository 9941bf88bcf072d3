"""The recurrent layers against the independent NumPy reference (``tests/reference.py``).

* property test (hypothesis, few examples): random batch/time/input_dim/output_dim,
  random weights and random masked (all-zero) timesteps, float64 to 1e-10 and
  float32 to 1e-5; plus, on the same compiled functions, pre-padding invariance
  (prepending zero timesteps through ``Masking`` changes nothing) and
  ``return_sequences`` last step == the ``return_sequences=False`` output;
* finite-difference gradient checks (LSTM, GRU) in float64;
* ``output_dim=1``, batch 1, sequence length 1 with the layers built normally.

Compile budget: ONE forward function per layer class and dtype, reused by every
example.  The graph does not depend on batch or time (symbolic), nor on the
weights' values (shared variables, whose shapes may change with ``set_value``).
It would depend on ``output_dim``, a Python int the layer uses for its zero
initial state; the property test replaces that attribute by the symbolic
``params[0].shape[1]`` (equal to it by construction) before building the graph,
so one graph serves every output_dim.  The ``test_output_dim_one_*`` tests build
layers the ordinary way.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference
from keras_legacy import backend as K
from keras_legacy.layers import recurrent
from keras_legacy.layers.core import Masking
from layer_checks import FixedInput

LAYERS = ["LSTM", "GRU", "SimpleRNN", "SimpleDeepRNN", "JZS1", "JZS2", "JZS3"]
# LSTM and GRU have a fused implementation (the default with a C compiler) and the
# scan step (``fast_path=False``): ``<layer>:scan`` is the latter.
VARIANTS = LAYERS[:2] + ["LSTM:scan", "GRU:scan"] + LAYERS[2:]
TOL = {"float64": (1e-10, 1e-10), "float32": (1e-5, 1e-5)}


def random_weights(name, input_dim, output_dim, rng, dtype="float64", scale=0.5):
    ws = [rng.normal(0.0, scale, shape)
          for shape in reference.param_shapes(name, input_dim, output_dim)]
    pmat = rng.normal(0.0, scale, (input_dim, output_dim)) if name in reference.USES_PMAT else None
    ws = [w.astype(dtype) for w in ws]
    return ws, (None if pmat is None else pmat.astype(dtype))


def assign(layer, weights, pmat):
    """Set the weights by ``set_value`` (shapes may differ from the constructor's)."""
    assert len(layer.params) == len(weights)
    for p, w in zip(layer.params, weights):
        p.set_value(w)
    if pmat is not None:
        layer.Pmat.set_value(pmat)


# --- the property test's compiled functions --------------------------------------

_FORWARD = {}


def build(variant, *args, **kwargs):
    name, _, path = variant.partition(":")
    layer = getattr(recurrent, name)(*args, **kwargs)
    if path == "scan":
        layer.fast_path = False
    return layer


def forward_fn(variant, dtype):
    """``f(X) -> (out_seq, out_last)`` through ``Masking(0.)``, compiled once per key."""
    key = (variant, dtype)
    if key not in _FORWARD:
        with pytensor.config.change_flags(floatX=dtype):
            X = T.tensor3("X")
            masking = Masking(0.0)
            masking.input = X
            fixed = FixedInput(masking.get_output(), masking.get_output_mask())
            layers = []
            for return_sequences in (True, False):
                layer = build(variant, 2, 2, return_sequences=return_sequences)
                # The zero initial state's width, symbolic (see the module docstring).
                layer.output_dim = layer.params[0].shape[1]
                layer.set_previous(fixed)
                layers.append(layer)
            outs = [layer.get_output() for layer in layers]
            assert all(o.dtype == dtype for o in outs)
            fn = K.function([X], outs)
        _FORWARD[key] = (fn, layers)
    return _FORWARD[key]


@st.composite
def problems(draw):
    n = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 4))
    input_dim = draw(st.integers(1, 3))
    output_dim = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    pad = draw(st.integers(1, 2))
    rng = np.random.RandomState(seed)
    X = rng.normal(0.0, 1.0, (n, steps, input_dim))
    masked = rng.uniform(size=(n, steps)) < 0.3
    X[masked] = 0.0
    return {"X": X, "input_dim": input_dim, "output_dim": output_dim, "rng": rng, "pad": pad}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems())
def test_layer_matches_reference(variant, dtype, problem):
    name = variant.partition(":")[0]
    fn, layers = forward_fn(variant, dtype)
    weights, pmat = random_weights(name, problem["input_dim"], problem["output_dim"],
                                   problem["rng"], dtype)
    for layer in layers:
        assign(layer, weights, pmat)
    X = problem["X"].astype(dtype)
    out_seq, out_last = fn(X)
    assert out_seq.dtype == dtype and out_last.dtype == dtype

    want = reference.forward(name, X, weights, mask=reference.keras_mask(X), Pmat=pmat)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(out_seq, want, rtol=rtol, atol=atol)
    np.testing.assert_allclose(out_last, want[:, -1], rtol=rtol, atol=atol)
    # return_sequences' last step is the return_sequences=False output.
    np.testing.assert_allclose(out_seq[:, -1], out_last, rtol=rtol, atol=atol)

    # Pre-padding invariance: zero timesteps prepended through Masking change
    # neither the last output nor the outputs at the original steps.
    pad = problem["pad"]
    X_pad = np.concatenate([np.zeros((X.shape[0], pad, X.shape[2]), dtype), X], axis=1)
    seq_pad, last_pad = fn(X_pad)
    np.testing.assert_allclose(last_pad, out_last, rtol=rtol, atol=atol)
    np.testing.assert_allclose(seq_pad[:, pad:], out_seq, rtol=rtol, atol=atol)


# --- reference vs golden (no compile): the reference itself is trustworthy -------

@pytest.mark.parametrize("name", LAYERS)
def test_reference_reproduces_golden(name, golden):
    for case in ("nomask", "prepad", "postpad", "midzero"):
        with np.load(golden / f"recurrent_{name}_{case}.npz") as d:
            n = len(d["param_names"])
            want_names = [str(s) for s in d["param_names"]]
            ref_names = reference.param_names(name)
            if name == "SimpleDeepRNN":  # golden Us_0..Us_2 are U_1..U_3
                ref_names = ["W", "Us_0", "Us_1", "Us_2", "b"]
            assert want_names == ref_names
            mask = d["mask"] if "mask" in d.files else None
            if mask is not None:
                np.testing.assert_array_equal(reference.keras_mask(d["X"]), mask)
            out = reference.forward(name, d["X"], [d[f"params_{k}"] for k in range(n)],
                                    mask=mask, Pmat=d["Pmat"] if "Pmat" in d.files else None)
            np.testing.assert_allclose(out, d["out_seq"], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(out[:, -1], d["out_last"], rtol=1e-12, atol=1e-14)


# --- finite differences ------------------------------------------------------------

def _central_difference(f, values, eps=1e-6):
    """d f / d values by central differences (``values`` modified in place, restored)."""
    grad = np.zeros_like(values)
    it = np.nditer(values, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = values[idx]
        values[idx] = old + eps
        up = f()
        values[idx] = old - eps
        down = f()
        values[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("variant", ["LSTM", "GRU", "LSTM:scan", "GRU:scan"])
def test_gradient_finite_differences(variant):
    name = variant.partition(":")[0]
    rng = np.random.RandomState(7)
    input_dim, output_dim = 2, 3
    X_val = rng.normal(0.0, 1.0, (2, 4, input_dim))
    X_val[1, 1] = 0.0  # one masked step: the reset path is differentiated too
    R_val = rng.normal(0.0, 1.0, (2, 4, output_dim))

    X = T.tensor3("X")
    R = T.tensor3("R")
    masking = Masking(0.0)
    masking.input = X
    inp = masking.get_output()
    layer = build(variant, input_dim, output_dim, return_sequences=True)
    layer.set_previous(FixedInput(inp, masking.get_output_mask()))
    weights, _ = random_weights(name, input_dim, output_dim, rng)
    layer.set_weights(weights)
    loss = T.sum(layer.get_output() * R)
    f = K.function([X, R], [loss] + K.grad(loss, layer.params + [inp]))

    res = f(X_val, R_val)
    loss0, grads, grad_x = res[0], res[1:-1], res[-1]
    want_loss = np.sum(reference.forward(name, X_val, weights, reference.keras_mask(X_val))
                       * R_val)
    np.testing.assert_allclose(loss0, want_loss, rtol=1e-12)

    for k, p in enumerate(layer.params):
        value = p.get_value()

        def loss_at():
            p.set_value(value)
            return float(f(X_val, R_val)[0])

        fd = _central_difference(loss_at, value)
        p.set_value(weights[k])
        np.testing.assert_allclose(grads[k], fd, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{name} {p.name}")
        assert np.any(grads[k] != 0)

    # d loss / d x at unmasked steps (perturbing a masked step would unmask it).
    fd_x = _central_difference(lambda: float(f(X_val, R_val)[0]), X_val)
    kept = reference.keras_mask(X_val).astype(bool)
    np.testing.assert_allclose(grad_x[kept], fd_x[kept], rtol=1e-6, atol=1e-8)


# --- output_dim=1, batch 1, one timestep, layers built normally ------------------

@pytest.fixture(scope="module")
def tiny_layers():
    """All seven layers with output_dim=1 in ONE compiled function (forward + gradient)."""
    rng = np.random.RandomState(3)
    X = T.tensor3("X")
    outs, layers = [], {}
    for variant in VARIANTS:
        layer = build(variant, 2, 1, return_sequences=True)
        last = build(variant, 2, 1)
        weights, pmat = random_weights(variant.partition(":")[0], 2, 1, rng)
        for lyr in (layer, last):
            lyr.set_weights(weights)
            if pmat is not None:
                lyr.Pmat.set_value(pmat)
            lyr.input = X
        seq_out = layer.get_output()
        outs += [seq_out, last.get_output()] + K.grad(T.sum(seq_out), layer.params + [X])
        layers[variant] = (layer, weights, pmat)
    return K.function([X], outs), layers


@pytest.mark.parametrize("shape", [(1, 1, 2), (1, 3, 2), (3, 1, 2)])
def test_output_dim_one_batch_one_length_one(tiny_layers, shape):
    fn, layers = tiny_layers
    X = np.random.RandomState(sum(shape)).normal(size=shape)
    values = iter(fn(X))
    for variant in VARIANTS:
        name = variant.partition(":")[0]
        layer, weights, pmat = layers[variant]
        seq, last = next(values), next(values)
        grads = [next(values) for _ in range(len(layer.params) + 1)]
        want = reference.forward(name, X, weights, Pmat=pmat)
        assert seq.shape == (shape[0], shape[1], 1) and last.shape == (shape[0], 1)
        np.testing.assert_allclose(seq, want, rtol=1e-10, atol=1e-12, err_msg=variant)
        np.testing.assert_allclose(last, want[:, -1], rtol=1e-10, atol=1e-12, err_msg=variant)
        for g, w in zip(grads, weights + [X]):
            assert g.shape == np.shape(w)
            assert np.all(np.isfinite(g))
