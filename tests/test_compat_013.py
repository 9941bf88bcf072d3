"""Code Keras 0.1.3 ran, run unchanged, with the release's numbers (NumPy references).

* ``LSTM(return_sequences=True)`` then ``Dense`` then ``Activation('softmax')``:
  ``Dense`` is ``T.dot(X, W) + b`` over the last axis of its 3-D input, the
  softmax is taken over the last axis, the loss is averaged over samples and
  timesteps.
* ``weights=`` with fewer (or more) arrays than params: 0.1.3's
  ``Layer.set_weights`` zipped them with the params.
* ``BatchNormalization`` with a mode other than 0 or 1 constructs; it fails
  when its output is built.
"""

import numpy as np
import pytest

import reference
from keras_legacy.layers.core import Activation, Dense, MaxoutDense
from keras_legacy.layers.normalization import BatchNormalization
from keras_legacy.layers.recurrent import LSTM, SimpleRNN
from keras_legacy.models import Sequential
from keras_legacy.optimizers import SGD


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_lstm_sequences_then_dense_then_softmax_trains_and_predicts_n_t_3():
    np.random.seed(11)
    model = Sequential()
    model.add(LSTM(5, 8, return_sequences=True))
    model.add(Dense(8, 3))
    model.add(Activation("softmax"))
    model.compile(SGD(lr=0.1), "categorical_crossentropy")
    rng = np.random.RandomState(12)
    X = rng.normal(size=(4, 6, 5))
    y = np.eye(3)[rng.randint(0, 3, size=(4, 6))]

    weights = model.get_weights()
    H = reference.lstm(X, weights[:12])  # (n, T, 8)
    W, b = weights[12:]
    p = _softmax(H @ W + b)
    pred = model.predict(X)
    assert pred.shape == (4, 6, 3)
    np.testing.assert_allclose(pred, p, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict_classes(X, verbose=0), p.argmax(axis=-1))

    loss = -np.mean(np.sum(y * np.log(p), axis=-1))  # mean over samples and timesteps
    got_loss, got_acc = model.train_on_batch(X, y, accuracy=True)
    assert got_loss == pytest.approx(loss, rel=1e-12)
    assert got_acc == pytest.approx(np.mean(p.argmax(-1) == y.argmax(-1)), abs=0)
    # one SGD step on Dense: dL/dz = (p - y) / (n * T)
    g = (p - y) / (4 * 6)
    new_W, new_b = model.layers[1].get_weights()
    np.testing.assert_allclose(new_W, W - 0.1 * np.einsum("ntk,ntj->kj", H, g), rtol=0, atol=1e-12)
    np.testing.assert_allclose(new_b, b - 0.1 * g.sum(axis=(0, 1)), rtol=0, atol=1e-12)
    # evaluate after the step, against the reference with the new weights
    p2 = _softmax(reference.lstm(X, model.get_weights()[:12]) @ new_W + new_b)
    assert model.evaluate(X, y, verbose=0) == pytest.approx(-np.mean(np.sum(y * np.log(p2), -1)), rel=1e-12)


def test_maxout_dense_on_3d_input_is_the_release_dot():
    # Theano's T.dot((n, T, in), (f, in, out)) is (n, T, f, out); 0.1.3 then took the max over axis 1 (time)
    np.random.seed(13)
    model = Sequential([LSTM(3, 4, return_sequences=True), MaxoutDense(4, 2, nb_feature=3)])
    model.compile("sgd", "mse")
    X = np.random.RandomState(14).normal(size=(2, 5, 3))
    W, b = model.layers[1].get_weights()
    H = reference.lstm(X, model.get_weights()[:12])
    expected = (np.einsum("nti,fio->ntfo", H, W) + b).max(axis=1)
    np.testing.assert_allclose(model.predict(X), expected, rtol=0, atol=1e-12)


def test_fewer_weights_than_params_set_the_first_params():
    np.random.seed(15)
    plain = SimpleRNN(10, 5)
    np.random.seed(15)
    layer = SimpleRNN(10, 5, weights=[np.ones((10, 5))])  # the 0.1.3 recurrent tests did this
    W, U, b = layer.get_weights()
    np.testing.assert_array_equal(W, np.ones((10, 5)))
    np.testing.assert_array_equal(U, plain.get_weights()[1])  # drawn as without weights=
    np.testing.assert_array_equal(b, np.zeros(5))
    model = Sequential([layer])
    model.compile("sgd", "mse")
    X = np.random.RandomState(16).normal(size=(2, 3, 10)) * 0.1
    np.testing.assert_allclose(model.predict(X), reference.simple_rnn(X, [W, U, b])[:, -1], rtol=0, atol=1e-12)
    # more arrays than params: the extra ones are ignored
    more = SimpleRNN(10, 5, weights=[np.ones((10, 5)), np.eye(5), np.full(5, 0.5), np.zeros(3)])
    _, U2, b2 = more.get_weights()
    np.testing.assert_array_equal(U2, np.eye(5))
    np.testing.assert_array_equal(b2, np.full(5, 0.5))


def test_batchnorm_mode_3_builds_a_model_and_fails_when_compiled():
    model = Sequential([Dense(3, 4), BatchNormalization((4,), mode=3)])
    assert model.get_config()["layers"][1] == {"name": "BatchNormalization", "input_shape": (4,),
                                                 "epsilon": 1e-6, "mode": 3}
    with pytest.raises(ValueError, match="BatchNormalization mode must be 0 .* got 3"):
        model.compile("sgd", "mse")


def test_batchnorm_config_013_has_no_momentum_020_has_it():
    from keras_legacy.v020.layers.normalization import BatchNormalization as BN020

    assert "momentum" not in BatchNormalization((3,), momentum=0.5).get_config()
    assert BN020(momentum=0.5, input_shape=(3,)).get_config() == {  # 0.2.0's input_shape: a tuple
        "name": "BatchNormalization", "epsilon": 1e-6, "mode": 0, "momentum": 0.5, "input_shape": (3,)}


def test_predict_lets_nan_rows_through_as_013():
    np.random.seed(17)
    model = Sequential([Dense(3, 2)])
    model.compile("sgd", "mse")
    X = np.array([[0.1, np.nan, 0.2], [0.3, 0.4, 0.5]])
    W, b = model.get_weights()
    pred = model.predict(X)
    assert np.isnan(pred[0]).all()
    np.testing.assert_allclose(pred[1], X[1] @ W + b, rtol=0, atol=1e-12)


def test_graph_calls_013_ran():
    from keras_legacy.layers.containers import Graph

    g = Graph()
    g.add_input("ids", dtype="int32")  # 0.1.3: any dtype but 'float' gives an int matrix
    assert g.inputs["ids"].input.dtype == "int32" and g.inputs["ids"].input.ndim == 2
    g.add_input("a", ndim=2)
    g.add_input("b", ndim=2)
    dense = Dense(4, 3)
    g.add_node(dense, name="d", input="a", inputs=["a", "b"], merge_mode="sum")  # inputs= wins
    assert type(dense.previous).__name__ == "Merge"
    g.add_output("same_a", input="a")  # an output straight from an input
    assert g.outputs["same_a"] is g.inputs["a"]


def test_object_arrays_of_numbers_are_read_as_floats():
    np.random.seed(18)
    model = Sequential([Dense(2, 1)])
    model.compile("sgd", "mse")
    X = np.array([[1, 0.5], [2, -1]], dtype=object)  # e.g. from a pandas frame of mixed columns
    W, b = model.get_weights()
    np.testing.assert_allclose(model.predict(X), X.astype(float) @ W + b, rtol=0, atol=1e-12)
    assert model.train_on_batch(X, np.array([[0.5], [1.0]], dtype=object)) == pytest.approx(
        np.mean((X.astype(float) @ W + b - [[0.5], [1.0]]) ** 2), rel=1e-12)


class _Doubler:
    """A layer written against the 0.1.3 protocol without subclassing Layer (0.1.3 duck-typed it)."""

    def set_previous(self, layer, connection_map=None):
        self.previous = layer

    def get_output(self, train=False):
        return 2.0 * self.previous.get_output(train)

    def get_output_mask(self, train=None):
        return None

    def get_params(self):
        return [], [], [], []

    def get_weights(self):
        return []

    def get_config(self):
        return {"name": "Doubler"}


def test_duck_typed_layer_is_added_and_predicts():
    np.random.seed(19)
    model = Sequential([Dense(2, 3), _Doubler()])
    model.compile("sgd", "mse")
    X = np.array([[0.5, -1.0]])
    W, b = model.get_weights()
    np.testing.assert_allclose(model.predict(X), 2.0 * (X @ W + b), rtol=0, atol=1e-12)
