"""Hypothesis fuzzing: layer stacks, input shapes and masks never crash with anything but our errors.

Building layers and checking data needs no compilation; the static shapes
(``layer_shapes``) are checked against the symbolic graph's rank.  One small
masked recurrent model is compiled once and fuzzed over shapes, values and
masks, with its outputs compared to a NumPy reference.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_legacy.layers.core import Activation, Dense, Dropout, Masking, RepeatVector, TimeDistributedDense
from keras_legacy.layers.embeddings import Embedding
from keras_legacy.layers.recurrent import GRU, LSTM, SimpleRNN
from keras_legacy.models import Sequential
from keras_legacy.engine import validation
from keras_legacy.layers import checks as layer_shapes

from reference import lstm as numpy_lstm

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

dims = st.integers(1, 5)


@st.composite
def layer_stacks(draw):
    """A list of (kind, kwargs); sizes are drawn independently, so many stacks do not fit."""
    n = draw(st.integers(1, 4))
    return [draw(st.sampled_from(["Dense", "TDD", "SimpleRNN", "GRU", "LSTM", "Embedding", "Activation",
                                  "Dropout", "RepeatVector", "Masking"])) for _ in range(n)], \
        [(draw(dims), draw(dims), draw(st.booleans())) for _ in range(n)]


def _make(kind, a, b, flag):
    if kind == "Dense":
        return Dense(a, b)
    if kind == "TDD":
        return TimeDistributedDense(a, b)
    if kind in ("SimpleRNN", "GRU", "LSTM"):
        return {"SimpleRNN": SimpleRNN, "GRU": GRU, "LSTM": LSTM}[kind](a, b, return_sequences=flag)
    if kind == "Embedding":
        return Embedding(a + 1, b, mask_zero=flag)
    if kind == "Activation":
        return Activation("tanh")
    if kind == "Dropout":
        return Dropout(0.5)
    if kind == "RepeatVector":
        return RepeatVector(a)
    return Masking()


def _build(kinds, sizes):
    model = Sequential()
    for kind, (a, b, flag) in zip(kinds, sizes):
        model.add(_make(kind, a, b, flag))
    return model


@SETTINGS
@given(layer_stacks())
def test_random_stacks_build_or_raise_our_errors(stack):
    kinds, sizes = stack
    try:
        model = _build(kinds, sizes)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert message.startswith("Cannot connect"), message
        return
    # whatever was accepted has a consistent static shape: the graph's rank agrees with layer_shapes
    model.get_input(train=False)  # as compile does: gives a first layer without its own input one
    out = model.get_output(train=False)
    ndim = layer_shapes.output_ndim(model)
    if ndim is not None:
        assert out.ndim == ndim
    # and every consecutive pair that both sides know is compatible
    for prev, layer in zip(model.layers, model.layers[1:]):
        got, want = layer_shapes.output_dim(prev), layer_shapes.expected_input_dim(layer)
        if got is not None and want is not None:
            assert got == want


def _array(shape, kind, modulo, special):
    """Values ``k % modulo`` in ``shape``; the first entry replaced by ``special`` (NaN, inf, -1, 2.5...)."""
    x = (np.arange(int(np.prod(shape))) % modulo).astype("float64").reshape(shape)
    if x.size and special is not None:
        x.flat[0] = special
    if kind == "f":
        return x
    if kind == "str":
        return x.astype(str)
    x = np.nan_to_num(np.floor(x), nan=0.0, posinf=0.0)
    return x.astype("int64") if kind == "i" else np.abs(x).astype("uint8")


arrays = st.builds(
    _array,
    st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple),
    st.sampled_from(["f", "i", "u", "str"]),
    st.integers(1, 7),
    st.sampled_from([None, None, 2.5, -1.0, 9.0, np.nan, np.inf, -np.inf]),
)


@SETTINGS
@given(stack=layer_stacks(), x=arrays)
def test_input_checks_accept_or_raise_precisely(stack, x):
    kinds, sizes = stack
    try:
        model = _build(kinds, sizes)
    except ValueError:
        return
    inputs = [model.get_input(train=False)]
    specs = validation.sequential_input_specs(model, inputs)
    try:
        (checked,) = validation.check_inputs([x], specs, "fuzz")
    except (ValueError, TypeError) as exc:
        assert str(exc).startswith("fuzz: input X ")
        return
    # accepted: the rank and sizes are what the first layer takes, values are finite and in range
    spec = specs[0]
    assert checked.ndim == spec.ndim and checked.shape[0] > 0
    if spec.feature_size is not None:
        assert checked.shape[-1] == spec.feature_size
    assert np.all(np.isfinite(checked))
    if spec.indices:
        assert np.all(checked == np.floor(checked)) and checked.min() >= 0
        assert spec.vocab_size is None or checked.max() < spec.vocab_size


# --- one compiled masked model, fuzzed over shapes, values and masks ------------------------------

VOCAB, EMB, HID = 6, 3, 2


@pytest.fixture(scope="module")
def masked_model():
    np.random.seed(7)
    model = Sequential([Embedding(VOCAB, EMB, mask_zero=True), LSTM(EMB, HID), Dense(HID, 1)])
    model.compile("sgd", "mse")
    model.predict(np.array([[1, 2]]))  # compile once
    return model


def _numpy_predict(model, X):
    W_emb = model.layers[0].get_weights()[0]
    lstm_w = model.layers[1].get_weights()
    W, b = model.layers[2].get_weights()
    seq = W_emb[X]
    mask = (X != 0).astype("float64")
    h = numpy_lstm(seq, lstm_w, mask=mask)[:, -1]  # return_sequences=False: the last step
    return h @ W + b


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 3), t=st.integers(1, 5), high=st.integers(1, VOCAB + 2), data=st.data())
def test_masked_model_predict_fuzz(masked_model, n, t, high, data):
    X = np.array(data.draw(st.lists(st.lists(st.integers(0, high - 1), min_size=t, max_size=t),
                                    min_size=n, max_size=n)), dtype="int64").reshape(n, t)
    try:
        out = masked_model.predict(X)
    except ValueError as exc:
        assert n == 0 or X.max() >= VOCAB, str(exc)
        assert "Sequential.predict: input X" in str(exc)
        return
    assert n > 0 and X.max() < VOCAB
    np.testing.assert_allclose(out, _numpy_predict(masked_model, X), rtol=1e-10, atol=1e-12)
