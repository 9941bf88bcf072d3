"""``keras_legacy.initializations`` reproduces ``golden/initializations.npz`` and the
initial weights of the golden models (the order of the draws inside the layers)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras_legacy import initializations
from keras_legacy.layers import recurrent

FUNCTIONS = ["glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity",
             "lecun_uniform", "normal", "one", "orthogonal", "uniform", "zero"]
SHAPES = [(5, 7), (7, 7), (3, 2, 3, 3)]


@pytest.fixture(scope="module")
def data(golden):
    with np.load(golden / "initializations.npz", allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def key_of(name, shape):
    return f"{name}__{'x'.join(str(s) for s in shape)}"


def equal_up_to_signs(got, want, rtol=1e-12):
    """Whether ``got`` equals ``want`` after flipping the signs of whole columns or rows
    (another LAPACK may choose the other sign of each singular vector)."""
    g = got.reshape(got.shape[0], -1)
    w = want.reshape(want.shape[0], -1)
    col_signs = np.sign(np.sum(g * w, axis=0, keepdims=True))
    row_signs = np.sign(np.sum(g * w, axis=1, keepdims=True))
    return (np.allclose(g * col_signs, w, rtol=rtol, atol=1e-14)
            or np.allclose(g * row_signs, w, rtol=rtol, atol=1e-14))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("name", FUNCTIONS)
def test_matches_golden(data, name, shape):
    key = key_of(name, shape)
    init = initializations.get(name)
    np.random.seed(int(data["seed"]))
    if key not in data:  # identity on a non-square shape: the original raised
        assert name == "identity"
        with pytest.raises(ValueError, match="square"):
            init(shape)
        return
    got = init(shape).get_value()
    want = data[key]
    assert got.shape == want.shape and got.dtype == np.float64
    if name == "orthogonal" and not np.allclose(got, want, rtol=1e-12, atol=1e-14):
        # Different LAPACK: the same matrix up to the signs of singular vectors.
        assert equal_up_to_signs(got, want), key
    else:
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15, err_msg=key)


def test_orthogonal_is_orthogonal():
    np.random.seed(0)
    q = initializations.orthogonal((5, 7)).get_value() / 1.1
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-12)
    q = initializations.orthogonal((7, 5)).get_value() / 1.1
    np.testing.assert_allclose(q.T @ q, np.eye(5), atol=1e-12)


def test_fans():
    assert initializations.get_fans((5, 7)) == (5, 7)
    assert initializations.get_fans((3, 2, 3, 3)) == (18, 3)


def test_registry_errors():
    with pytest.raises(ValueError, match="glorot_uniform"):
        initializations.get("xavier")
    for name in FUNCTIONS:
        assert initializations.name_of(initializations.get(name)) == name


def check_weight(got, want, is_orthogonal, msg):
    """Exact for NumPy-drawn weights; up to singular-vector signs for ``orthogonal``
    ones (the draws are the same, the SVD signs come from LAPACK)."""
    assert got.shape == want.shape, msg
    if is_orthogonal and not np.allclose(got, want, rtol=1e-12, atol=1e-14):
        assert equal_up_to_signs(got, want), msg
    else:
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15, err_msg=msg)


def model_seed(golden, model):
    with open(golden / "manifest.json") as fh:
        return json.load(fh)["parts"]["models"][model]["np_random_seed_before_build"]


def load_init(golden, model):
    with np.load(golden / f"model_{model}" / "init.npz", allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def test_lstm_draw_order_imdb_like(golden):
    """Embedding(20, 8) then LSTM(8, 6): the LSTM draws i, f, c, o but saves i, c, f, o."""
    init = load_init(golden, "imdb_like")
    np.random.seed(model_seed(golden, "imdb_like"))
    embedding = initializations.uniform((20, 8)).get_value()
    lstm = recurrent.LSTM(8, 6)
    np.testing.assert_array_equal(embedding, init["layer_0_param_0"])
    weights = lstm.get_weights()
    assert len(weights) == 12
    for k, (p, w) in enumerate(zip(lstm.params, weights)):
        check_weight(w, init[f"layer_1_param_{k}"], p.name.startswith("U"), f"{p.name} ({k})")
    np.testing.assert_array_equal(lstm.b_f.get_value(), np.ones(6))  # forget_bias_init='one'
    np.testing.assert_array_equal(weights[8], np.ones(6))  # b_f is params[8]


def test_gru_draws_seq2seq_like(golden):
    """GRU(3, 5), RepeatVector (no draw), GRU(5, 5): both GRUs' initial weights."""
    init = load_init(golden, "seq2seq_like")
    np.random.seed(model_seed(golden, "seq2seq_like"))
    first = recurrent.GRU(3, 5)
    second = recurrent.GRU(5, 5, return_sequences=True)
    for layer_index, layer in ((0, first), (2, second)):
        weights = layer.get_weights()
        assert len(weights) == 9
        for k, (p, w) in enumerate(zip(layer.params, weights)):
            check_weight(w, init[f"layer_{layer_index}_param_{k}"], p.name.startswith("U"),
                         f"layer {layer_index} {p.name} ({k})")
