"""ONNX export of 0.1.3 Sequential models, run in onnxruntime, against model.predict, golden files and NumPy.

Needs the optional extra ``onnx`` (onnx, onnxruntime); skipped without it.
"""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from keras_legacy.export import to_onnx  # noqa: E402
from keras_legacy.layers.core import (  # noqa: E402
    Activation,
    Dense,
    Dropout,
    Masking,
    Permute,
    RepeatVector,
    TimeDistributedDense,
)
from keras_legacy.layers.embeddings import Embedding  # noqa: E402
from keras_legacy.layers.recurrent import GRU, LSTM, SimpleRNN  # noqa: E402
from keras_legacy.models import Sequential  # noqa: E402


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _sequential(*layers):
    model = Sequential()
    for layer in layers:
        model.add(layer)
    return model


def _set_golden_weights(model, final):
    for k, layer in enumerate(model.layers):
        n = len(layer.get_weights())
        if n:
            layer.set_weights([final[f"layer_{k}_param_{i}"] for i in range(n)])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


# --- against model.predict ---------------------------------------------------------------------

def test_embedding_lstm_dense_matches_predict(tmp_path):
    np.random.seed(20150801)
    model = _sequential(Embedding(12, 4), LSTM(4, 5), Dropout(0.25), Dense(5, 2), Activation("softmax"))
    # random (not initialiser-shaped) weights so that a permuted gate cannot go unnoticed
    model.set_weights([np.random.normal(0, 0.5, w.shape) for w in model.get_weights()])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    X = np.random.randint(0, 12, size=(5, 6)).astype("int32")
    expected = model.predict(X)
    proto = to_onnx(model, tmp_path / "m.onnx")
    got = _session(tmp_path / "m.onnx").run(None, {"input": X})[0]
    assert got.dtype == np.float32 and got.shape == expected.shape == (5, 2)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    # Dropout at test time: one Mul by 1 - p (not inverted)
    muls = [n for n in proto.graph.node if n.op_type == "Mul"]
    assert len(muls) == 1
    init = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    assert float(init[muls[0].input[1]]) == pytest.approx(0.75)
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in lstm.attribute}
    assert attrs["activations"] == [b"HardSigmoid", b"Tanh", b"Tanh"]
    assert attrs["activation_alpha"] == pytest.approx([0.2]) and attrs["activation_beta"] == pytest.approx([0.5])


def test_gru_model_matches_golden_predict(golden, tmp_path):
    """The 0.1.3 seq2seq model (GRU with the default sigmoid activation) vs the original's predict."""
    model = _sequential(GRU(3, 5), RepeatVector(4), GRU(5, 5, return_sequences=True),
                        TimeDistributedDense(5, 3), Activation("time_distributed_softmax"))
    _set_golden_weights(model, np.load(golden / "model_seq2seq_like" / "final.npz"))
    to_onnx(model, tmp_path / "s2s.onnx")
    X = np.load(golden / "model_seq2seq_like" / "X.npy")
    got = _session(tmp_path / "s2s.onnx").run(None, {"input": X.astype(np.float32)})[0]
    expected = np.load(golden / "model_seq2seq_like" / "predict.npy")
    assert got.shape == expected.shape == (10, 4, 3)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


@pytest.mark.slow
def test_gru_model_matches_predict(golden, tmp_path):
    model = _sequential(GRU(3, 5), RepeatVector(4), GRU(5, 5, return_sequences=True),
                        TimeDistributedDense(5, 3), Activation("time_distributed_softmax"))
    _set_golden_weights(model, np.load(golden / "model_seq2seq_like" / "final.npz"))
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    X = np.load(golden / "model_seq2seq_like" / "X.npy")
    to_onnx(model, tmp_path / "s2s.onnx")
    got = _session(tmp_path / "s2s.onnx").run(None, {"input": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, model.predict(X), rtol=0, atol=1e-5)


def test_lstm_golden_weights_full_length_rows(golden, tmp_path):
    """model_imdb_like without its mask: rows without padding equal the original's predict."""
    model = _sequential(Embedding(20, 8), LSTM(8, 6), Dropout(0.5), Dense(6, 1), Activation("sigmoid"))
    _set_golden_weights(model, np.load(golden / "model_imdb_like" / "final.npz"))
    to_onnx(model, tmp_path / "imdb.onnx")
    X = np.load(golden / "model_imdb_like" / "X.npy")
    got = _session(tmp_path / "imdb.onnx").run(None, {"input": X.astype(np.int32)})[0]
    expected = np.load(golden / "model_imdb_like" / "predict.npy")
    full = (X != 0).all(axis=1)
    assert full.sum() == 2
    np.testing.assert_allclose(got[full], expected[full], rtol=0, atol=1e-5)


# --- against NumPy -----------------------------------------------------------------------------

def test_simple_rnn_and_dense_match_numpy(tmp_path):
    np.random.seed(7)
    model = _sequential(SimpleRNN(3, 4, return_sequences=True), TimeDistributedDense(4, 2, activation="relu"))
    weights = [np.random.normal(0, 0.7, w.shape) for w in model.get_weights()]
    model.set_weights(weights)
    W, U, b, W2, b2 = weights
    X = np.random.normal(size=(3, 5, 3))
    h = np.zeros((3, 4))
    hs = []
    for t in range(5):
        h = _sigmoid(X[:, t] @ W + b + h @ U)  # 0.1.3 SimpleRNN default activation: sigmoid
        hs.append(h)
    expected = np.maximum(np.stack(hs, axis=1) @ W2 + b2, 0.0)
    to_onnx(model, tmp_path / "rnn.onnx")
    got = _session(tmp_path / "rnn.onnx").run(None, {"input": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_gru_tanh_and_dense_2d_match_numpy(tmp_path):
    np.random.seed(11)
    model = _sequential(Dense(2, 3, activation="tanh"), RepeatVector(3),
                        GRU(3, 4, activation="tanh", inner_activation="sigmoid"))
    weights = [np.random.normal(0, 0.7, w.shape) for w in model.get_weights()]
    model.set_weights(weights)
    Wd, bd, W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h = weights
    X = np.random.normal(size=(4, 2))
    x = np.tanh(X @ Wd + bd)
    h = np.zeros((4, 4))
    for _ in range(3):
        z = _sigmoid(x @ W_z + b_z + h @ U_z)
        r = _sigmoid(x @ W_r + b_r + h @ U_r)
        hh = np.tanh(x @ W_h + b_h + (r * h) @ U_h)
        h = z * h + (1 - z) * hh
    to_onnx(model, tmp_path / "gru.onnx")
    got = _session(tmp_path / "gru.onnx").run(None, {"input": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, h, rtol=0, atol=1e-5)
    # hard_sigmoid gates, in NumPy, differ from these sigmoid gates: the activations really are read
    assert not np.allclose(_hard_sigmoid(0.9), _sigmoid(0.9), atol=1e-3)


# --- refusals ----------------------------------------------------------------------------------

def test_mask_reaching_a_recurrent_layer_is_refused():
    model = _sequential(Embedding(10, 3, mask_zero=True), LSTM(3, 2))
    with pytest.raises(ValueError, match="RESET their state .* sequence_lens"):
        to_onnx(model)
    with pytest.raises(ValueError, match=r"Masking\) reaches layer 1 \(GRU\)"):
        to_onnx(_sequential(Masking(0.0), GRU(3, 2)))


def test_masked_embedding_without_recurrent_layer_is_exact(tmp_path):
    np.random.seed(3)
    model = _sequential(Embedding(6, 2, mask_zero=True), TimeDistributedDense(2, 3))
    W, W2, b2 = model.get_weights()
    to_onnx(model, tmp_path / "e.onnx")
    X = np.array([[0, 1, 5], [2, 0, 0]], dtype=np.int32)
    got = _session(tmp_path / "e.onnx").run(None, {"input": X})[0]
    np.testing.assert_allclose(got, W[X] @ W2 + b2, rtol=0, atol=1e-6)


def test_unsupported_things_are_refused():
    with pytest.raises(ValueError, match="layer 1 \\(Permute\\) is not supported; supported layers: Embedding"):
        to_onnx(_sequential(LSTM(2, 3, return_sequences=True), Permute((2, 1))))
    with pytest.raises(ValueError, match="activation 'softmax' inside the recurrence"):
        to_onnx(_sequential(SimpleRNN(2, 3, activation="softmax")))
    with pytest.raises(ValueError, match="does not tell the input size"):
        to_onnx(_sequential(Activation("tanh")))
    with pytest.raises(TypeError, match="expected a Sequential model"):
        to_onnx(object())
    with pytest.raises(ValueError, match="LSTM takes a 3-D input"):  # now refused when the layers are connected
        to_onnx(_sequential(Dense(2, 3), LSTM(3, 2)))
