"""Sequential/Graph training API on a tiny softmax classifier, checked against NumPy.

One model (Dense(3, 2) + softmax, SGD lr=0.1) is compiled once per module;
its train/test/predict functions are shared by the tests, each of which sets
the weights it starts from.
"""

import json
import warnings

import numpy as np
import pytest
import yaml

from keras_legacy import backend as K
from keras_legacy import objectives
from keras_legacy.callbacks import Callback
from keras_legacy.layers.core import Activation, Dense
from keras_legacy.models import (
    Graph,
    Sequential,
    batch_shuffle,
    make_batches,
    model_from_config,
    model_from_json,
    model_from_yaml,
    slice_X,
    standardize_weights,
    standardize_X,
    standardize_y,
    weighted_objective,
)
from keras_legacy.optimizers import SGD

LR = 0.1
rng = np.random.default_rng(42)
X = rng.normal(size=(10, 3))
Y = np.eye(2)[rng.integers(0, 2, size=10)]
W0 = rng.normal(size=(3, 2)) * 0.5
B0 = np.array([0.1, -0.2])


# --- NumPy reference ---------------------------------------------------------------

def np_predict(W, b, x):
    z = x @ W + b
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_loss(W, b, x, y, w=None):
    w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
    p = np.clip(np_predict(W, b, x), 1e-9, 1 - 1e-9)
    p /= p.sum(axis=1, keepdims=True)
    per_sample = -(y * np.log(p)).sum(axis=1)
    keep = w != 0
    return (w[keep] * per_sample[keep]).sum() / w[keep].sum()


def np_sgd_step(W, b, x, y, w=None):
    w = np.ones(len(x)) if w is None else np.asarray(w, dtype=float)
    dz = w[:, None] * (np_predict(W, b, x) - y) / w.sum()
    return W - LR * (x.T @ dz), b - LR * dz.sum(axis=0)


def np_acc(W, b, x, y):
    return np.mean(np_predict(W, b, x).argmax(1) == y.argmax(1))


@pytest.fixture(scope="module")
def model():
    m = Sequential()
    m.add(Dense(3, 2))
    m.add(Activation("softmax"))
    m.compile(SGD(lr=LR), "categorical_crossentropy")
    return m


def _reset(m, W=W0, b=B0):
    m.set_weights([W, b])


# --- the model API ----------------------------------------------------------------------

def test_compile_builds_functions_lazily():
    m = Sequential([Dense(3, 2), Activation("softmax")])
    m.compile("sgd", "categorical_crossentropy")
    assert m._functions == {}
    _reset(m)
    np.testing.assert_allclose(m.predict(X), np_predict(W0, B0, X), rtol=1e-12)
    assert set(m._functions) == {"predict"}


def test_train_on_batch_returns_the_loss_before_the_update(model):
    _reset(model)
    loss, acc = model.train_on_batch(X, Y, accuracy=True)
    assert loss == pytest.approx(np_loss(W0, B0, X, Y), rel=1e-12)
    assert acc == pytest.approx(np_acc(W0, B0, X, Y), rel=1e-12)
    W1, b1 = np_sgd_step(W0, B0, X, Y)
    np.testing.assert_allclose(model.get_weights()[0], W1, rtol=1e-12)
    np.testing.assert_allclose(model.get_weights()[1], b1, rtol=1e-12)


def test_sample_weight_and_class_weight_change_the_loss(model):
    _reset(model)
    sw = np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.0, 3.0, 1.0, 1.0, 0.25])
    got = model.test_on_batch(X, Y, sample_weight=sw)
    assert got == pytest.approx(np_loss(W0, B0, X, Y, sw), rel=1e-12)
    assert abs(got - np_loss(W0, B0, X, Y)) > 1e-3
    cw = {0: 1.0, 1: 3.0}
    w_cls = np.array([cw[c] for c in Y.argmax(1)])
    assert model.train_on_batch(X, Y, class_weight=cw) == pytest.approx(np_loss(W0, B0, X, Y, w_cls), rel=1e-12)
    W1, b1 = np_sgd_step(W0, B0, X, Y, w_cls)
    np.testing.assert_allclose(model.get_weights()[0], W1, rtol=1e-12)


def test_evaluate_averages_batches_weighted_by_size(model):
    _reset(model)
    batches = make_batches(10, 3)
    expected_loss = sum((e - s) * np_loss(W0, B0, X[s:e], Y[s:e]) for s, e in batches) / 10
    expected_acc = sum((e - s) * np_acc(W0, B0, X[s:e], Y[s:e]) for s, e in batches) / 10
    loss, acc = model.evaluate(X, Y, batch_size=3, show_accuracy=True, verbose=0)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert acc == pytest.approx(expected_acc, rel=1e-12)
    assert model.evaluate(X, Y, batch_size=3, verbose=0) == pytest.approx(expected_loss, rel=1e-12)


def test_predict_proba_and_classes(model):
    _reset(model)
    p = np_predict(W0, B0, X)
    np.testing.assert_allclose(model.predict(X, batch_size=4), p, rtol=1e-12)
    np.testing.assert_allclose(model.predict_on_batch(X), p, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(model.predict_proba(X, verbose=0), p, rtol=1e-12)
    np.testing.assert_array_equal(model.predict_classes(X, verbose=0), p.argmax(1))


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.events = []
        self.batch_logs = []

    def on_train_begin(self, logs={}):  # noqa: B006
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs={}):  # noqa: B006
        self.events.append(f"epoch_begin {epoch}")

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        self.batch_logs.append(dict(logs))

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        self.events.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_train_end(self, logs={}):  # noqa: B006
        self.events.append("train_end")


def test_fit_with_callbacks_and_validation_split(model):
    """No shuffle: the trajectory is NumPy SGD over batches [0:4], [4:8]; the last 20% validates."""
    _reset(model)
    rec = Recorder()
    history = model.fit(X, Y, batch_size=4, nb_epoch=2, verbose=0, callbacks=[rec], validation_split=0.2,
                        shuffle=False, show_accuracy=True)
    W, b = W0, B0
    losses, accs, val_losses = [], [], []
    for _ in range(2):
        tot = acc = 0.0
        for s, e in [(0, 4), (4, 8)]:
            tot += 4 * np_loss(W, b, X[s:e], Y[s:e])
            acc += 4 * np_acc(W, b, X[s:e], Y[s:e])
            W, b = np_sgd_step(W, b, X[s:e], Y[s:e])
        losses.append(tot / 8)
        accs.append(acc / 8)
        val_losses.append(np_loss(W, b, X[8:], Y[8:]))
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-12)
    np.testing.assert_allclose(history.history["acc"], accs, rtol=1e-12)
    np.testing.assert_allclose(history.history["val_loss"], val_losses, rtol=1e-12)
    np.testing.assert_allclose(model.get_weights()[0], W, rtol=1e-12)
    assert rec.params["nb_sample"] == 8 and rec.params["do_validation"] is True
    assert rec.params["metrics"] == ["loss", "acc", "val_loss", "val_acc"]
    assert rec.model is model
    assert rec.events == ["train_begin", "epoch_begin 0", "epoch_end 0 ['val_acc', 'val_loss']",
                          "epoch_begin 1", "epoch_end 1 ['val_acc', 'val_loss']", "train_end"]
    assert [(log["batch"], log["size"]) for log in rec.batch_logs] == [(0, 4), (1, 4)] * 2
    assert rec.batch_logs[0]["loss"] == pytest.approx(np_loss(W0, B0, X[:4], Y[:4]), rel=1e-12)


def test_fit_shuffle_modes_and_validation_data(model):
    _reset(model)
    np.random.seed(3)
    h = model.fit(X, Y, batch_size=4, nb_epoch=1, verbose=0, shuffle=True, validation_data=(X[:3], Y[:3]))
    assert set(h.history) >= {"loss", "val_loss"} and "acc" not in h.history
    _reset(model)
    h = model.fit(X, Y, batch_size=5, nb_epoch=1, verbose=0, shuffle="batch",
                  validation_data=(X[:3], Y[:3], np.array([1.0, 0.0, 1.0])))
    # whole batches of 5 are permuted: the epoch loss is the mean of the two batch losses either way
    W1, b1 = np_sgd_step(W0, B0, X[:5], Y[:5])
    first_a = np_loss(W0, B0, X[:5], Y[:5]) + np_loss(W1, b1, X[5:], Y[5:])
    W1b, b1b = np_sgd_step(W0, B0, X[5:], Y[5:])
    first_b = np_loss(W0, B0, X[5:], Y[5:]) + np_loss(W1b, b1b, X[:5], Y[:5])
    assert min(abs(h.history["loss"][0] - first_a / 2), abs(h.history["loss"][0] - first_b / 2)) < 1e-12
    W, b = model.get_weights()
    assert h.history["val_loss"][0] == pytest.approx(np_loss(W, b, X[:3], Y[:3], [1, 0, 1]), rel=1e-12)
    with pytest.raises(ValueError, match="validation_data must be"):
        model.fit(X, Y, nb_epoch=1, verbose=0, validation_data=(X,))


def test_json_and_yaml_round_trips(model):
    config = model.get_config()
    assert config["optimizer"]["name"] == "SGD" and config["loss"] == "categorical_crossentropy"
    assert config["class_mode"] == "categorical" and config["theano_mode"] is None
    again = model_from_json(model.to_json())
    assert again.get_config() == config
    assert model_from_yaml(model.to_yaml()).get_config() == config
    assert "!!python" not in model.to_yaml()


def test_yaml_python_tuple_tag_is_read_as_a_list():
    text = (
        "name: Sequential\nlayers:\n"
        "- {name: Dense, input_dim: 6, output_dim: 6, init: glorot_uniform, activation: linear,\n"
        "   W_regularizer: null, b_regularizer: null, activity_regularizer: null,\n"
        "   W_constraint: null, b_constraint: null}\n"
        "- name: Reshape\n  dims: !!python/tuple [2, 3]\n"
    )
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load(text)
    m = model_from_yaml(text)
    assert [type(layer).__name__ for layer in m.layers] == ["Dense", "Reshape"]
    assert list(m.layers[1].get_config()["dims"]) == [2, 3]
    assert m.to_yaml().count("!!python") == 0


def test_bad_configs_raise_precise_errors():
    with pytest.raises(ValueError, match=r"Invalid layer: 'Densse'\. Expected one of: .*Dense.*LSTM"):
        model_from_config({"name": "Sequential", "layers": [{"name": "Densse", "input_dim": 2}]})
    with pytest.raises(ValueError, match="expected a 'Sequential' or 'Graph' config"):
        model_from_config({"name": "Dense"})
    m = Sequential([Dense(3, 2)])
    with pytest.raises(ValueError, match="Invalid class_mode: 'multi'"):
        m.compile("sgd", "mse", class_mode="multi")
    with pytest.raises(ValueError, match="call compile"):
        Sequential([Dense(3, 2)]).predict(X)
    g = Graph()
    g.add_input("a")
    g.add_node(Dense(3, 2), "d", input="a", create_output=True)
    with pytest.raises(ValueError, match=r"no loss for output\(s\) \['d'\]"):
        g.compile("sgd", {"other": "mse"})
    with pytest.raises(ValueError, match="unknown input 'zz'"):
        g.add_node(Dense(2, 2), "e", input="zz")
    with pytest.raises(ValueError, match="already used"):
        g.add_node(Dense(2, 2), "d", input="a")


# --- helpers -----------------------------------------------------------------------------------

def test_numpy_helpers():
    assert standardize_y(np.arange(3)).shape == (3, 1)
    assert standardize_y([[1, 2]]).shape == (1, 2)
    assert standardize_X(X)[0] is X and standardize_X([X]) == [X]
    assert make_batches(10, 4) == [(0, 4), (4, 8), (8, 10)]
    np.testing.assert_array_equal(slice_X([X, Y], 2, 4)[1], Y[2:4])
    np.testing.assert_array_equal(slice_X(X, np.array([3, 1])), X[[3, 1]])
    np.random.seed(0)
    shuffled = batch_shuffle(np.arange(10), 4)
    assert sorted(shuffled.tolist()) == list(range(10)) and shuffled[-2:].tolist() == [8, 9]
    blocks = {tuple(shuffled[i:i + 4]) for i in (0, 4)}
    assert blocks == {(0, 1, 2, 3), (4, 5, 6, 7)}


def test_standardize_weights():
    y2 = np.eye(3)[[0, 2, 1, 2]]
    np.testing.assert_array_equal(standardize_weights(y2), np.ones((4, 1)))
    np.testing.assert_array_equal(standardize_weights(y2, sample_weight=[1, 2, 3, 4]), [[1], [2], [3], [4]])
    np.testing.assert_array_equal(standardize_weights(y2, class_weight={0: 1, 1: 5, 2: 9}), [[1], [9], [5], [9]])
    np.testing.assert_array_equal(standardize_weights(np.array([[1], [0]]), class_weight={0: 2, 1: 7}), [[7], [2]])
    y3 = np.eye(2)[[[0, 1, 1], [1, 0, 0]]]  # (2, 3, 2): per-timestep classes
    np.testing.assert_array_equal(standardize_weights(y3, class_weight={0: 1, 1: 4})[..., 0], [[1, 4, 4], [4, 1, 1]])
    assert standardize_weights(y3, sample_weight=np.ones((2, 3))).shape == (2, 3, 1)
    with pytest.raises(ValueError, match="one weight per sample and timestep"):
        standardize_weights(y3, sample_weight=np.ones(2))
    with pytest.raises(ValueError, match="no entry for class 2"):
        standardize_weights(y2, class_weight={0: 1, 1: 1})
    # 0.1.3 ignored a class_weight that is not a dict
    np.testing.assert_array_equal(standardize_weights(y2, class_weight="auto"), np.ones((4, 1)))


def test_weighted_objective_quirk_and_masked_mean():
    import pytensor.tensor as T

    y_true, y_pred, w = T.tensor3(), T.tensor3(), T.tensor3()
    mask = T.matrix()
    fn = objectives.get("mse")
    quirk = weighted_objective(fn)(y_true, y_pred, w, mask)
    fixed = weighted_objective(fn, masked_mean=True)(y_true, y_pred, w, mask)
    plain = weighted_objective(fn)(y_true, y_pred, w)
    f = K.function([y_true, y_pred, w, mask], [quirk, fixed, plain], mode="FAST_COMPILE")
    r = np.random.default_rng(1)
    yt, yp = r.normal(size=(3, 4, 2)), r.normal(size=(3, 4, 2))
    weights = r.uniform(0.5, 2, size=(3, 4, 1))
    weights[1, 2, 0] = 0.0
    m = np.array([[0, 1, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]], dtype=float)
    per_step = ((yt - yp) ** 2).mean(-1)
    ww = weights[..., 0]
    keep = ww != 0
    got_quirk, got_fixed, got_plain = f(yt, yp, weights, m)
    assert got_quirk == pytest.approx((ww * per_step)[keep].sum() / (m * ww)[keep].sum(), rel=1e-12)
    assert got_fixed == pytest.approx((m * ww * per_step)[keep].sum() / (m * ww)[keep].sum(), rel=1e-12)
    assert got_plain == pytest.approx((ww * per_step)[keep].sum() / ww[keep].sum(), rel=1e-12)


def test_config_of_sgd_model_is_json_serialisable():
    m = Sequential([Dense(3, 2)])
    m.compile(SGD(lr=0.5, momentum=0.9, nesterov=True), "mse")
    config = json.loads(m.to_json())
    assert config["optimizer"]["name"] == "SGD" and config["optimizer"]["lr"] == pytest.approx(0.5)
    assert config["loss"] == "mean_squared_error"
