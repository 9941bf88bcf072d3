"""The Keras 0.3.x recurrent features: carry masking, go_backwards, stateful, 0.3 configs."""

import numpy as np
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy.layers.core import Masking
from keras_legacy.models import model_from_config
from keras_legacy.v03.layers import recurrent as r03


def _hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lstm_step(W, x, h, c):
    Wi, Ui, bi, Wc, Uc, bc, Wf, Uf, bf, Wo, Uo, bo = W
    i = _hard_sigmoid(x @ Wi + bi + h @ Ui)
    f = _hard_sigmoid(x @ Wf + bf + h @ Uf)
    c_new = f * c + i * np.tanh(x @ Wc + bc + h @ Uc)
    o = _hard_sigmoid(x @ Wo + bo + h @ Uo)
    return o * np.tanh(c_new), c_new


def _gru_step(W, x, h):
    Wz, Uz, bz, Wr, Ur, br, Wh, Uh, bh = W
    z = _hard_sigmoid(x @ Wz + bz + h @ Uz)
    r = _hard_sigmoid(x @ Wr + br + h @ Ur)
    hh = _sigmoid(x @ Wh + bh + (r * h) @ Uh)
    return z * h + (1 - z) * hh


def _carry_reference(kind, W, X, mask, go_backwards):
    """0.3 K.rnn semantics: masked steps keep the previous state and output."""
    n, steps, _ = X.shape
    units = W[1].shape[0]
    h = np.zeros((n, units))
    c = np.zeros((n, units))
    outputs = []
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        keep = mask[:, t:t + 1] > 0
        if kind == "LSTM":
            h_new, c_new = _lstm_step(W, X[:, t], h, c)
            c = np.where(keep, c_new, c)
        elif kind == "GRU":
            h_new = _gru_step(W, X[:, t], h)
        else:
            Wx, U, b = W
            h_new = _sigmoid(X[:, t] @ Wx + b + h @ U)
        h = np.where(keep, h_new, h)
        outputs.append(h)
    return np.stack(outputs, axis=1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(3)
    X = rng.randn(3, 5, 2)
    X[0, 3:] = 0.0  # post-padding
    X[1, 0] = 0.0   # pre-padding
    X[2, 2] = 0.0   # a zero step in the middle
    mask = (np.abs(X).sum(axis=-1) > 0).astype(float)
    return X, mask


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_carry_masking_against_numpy(kind, go_backwards, data):
    X, mask = data
    layer = getattr(r03, kind)(4, input_shape=(5, 2), return_sequences=True, go_backwards=go_backwards)
    masking = Masking(0.0)
    masking.input = T.tensor3()
    layer.set_previous(masking)
    rng = np.random.RandomState(11)
    weights = [rng.randn(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    out = K.function([masking.input], layer.get_output())(X)
    expected = _carry_reference(kind, weights, X, mask, go_backwards)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    # carry: a masked step repeats the previous output (0.1.x would reset the next step instead)
    if not go_backwards:
        np.testing.assert_array_equal(out[0, 4], out[0, 2])


def test_stateful_keeps_states_between_batches_and_resets(data):
    X, _ = data
    X = X + 0.1  # no masked steps
    layer = r03.LSTM(3, batch_input_shape=(3, 5, 2), stateful=True)
    rng = np.random.RandomState(5)
    weights = [rng.randn(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    f = K.function([layer.input], layer.get_output(), updates=layer.updates)
    first = f(X[:, :2])
    second = f(X[:, 2:])
    full = _carry_reference("LSTM", weights, X, np.ones(X.shape[:2]), False)
    np.testing.assert_allclose(first, full[:, 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(second, full[:, -1], rtol=1e-10, atol=1e-12)
    layer.reset_states()
    np.testing.assert_array_equal(f(X[:, :2]), first)


def test_stateful_needs_a_batch_size():
    with pytest.raises(ValueError, match="batch_input_shape"):
        r03.GRU(3, input_shape=(5, 2), stateful=True)
    with pytest.raises(ValueError, match="stateful=True"):
        r03.GRU(3, input_shape=(5, 2)).reset_states()


def test_0_3_config_loads_with_the_0_3_layers():
    config = {"name": "Sequential", "class_mode": "categorical", "loss": "mse", "optimizer": None,
              "layers": [
                  {"name": "LSTM", "output_dim": 3, "init": "glorot_uniform", "inner_init": "orthogonal",
                   "forget_bias_init": "one", "activation": "tanh", "inner_activation": "hard_sigmoid",
                   "return_sequences": False, "go_backwards": True, "stateful": False,
                   "input_dim": 2, "input_length": 4, "trainable": True, "cache_enabled": True,
                   "custom_name": "lstm", "batch_input_shape": [None, 4, 2]},
                  {"name": "Dense", "output_dim": 1, "init": "glorot_uniform", "activation": "linear",
                   "W_regularizer": None, "b_regularizer": None, "activity_regularizer": None,
                   "W_constraint": None, "b_constraint": None, "input_dim": None,
                   "trainable": True, "cache_enabled": True, "custom_name": "dense"}]}
    model = model_from_config(config)
    lstm, dense = model.layers
    assert isinstance(lstm, r03.LSTM) and lstm.go_backwards
    assert [w.shape for w in dense.get_weights()] == [(3, 1), (1,)]
    bad = {**config, "layers": [dict(config["layers"][0], dropout_U=0.5)]}
    with pytest.raises(ValueError, match="dropout_U"):
        model_from_config(bad)
