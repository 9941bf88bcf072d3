"""``pickle`` and ``copy.deepcopy`` of built and compiled models (0.1.3, 0.2.0 and 0.3 styles).

A loaded (or copied) model has no compiled function: it runs ``compile`` again
with the stored arguments on first use.  It must predict and train exactly as
the original object does from the same state: same losses, same weights, same
optimizer accumulators (Adam/RMSprop state trained before pickling) and same
BatchNormalization running statistics after each step.
"""

import copy
import json
import pickle

import numpy as np
import pytest

from keras_legacy.layers.core import Activation, Dense
from keras_legacy.layers.normalization import BatchNormalization
from keras_legacy.models import Graph, Sequential, model_from_json
from keras_legacy.optimizers import RMSprop
from keras_legacy.v020.layers import core as c020
from keras_legacy.v03.layers import recurrent as r03

RNG = np.random.RandomState(20)
X = RNG.normal(size=(6, 4))
Y = np.eye(2)[RNG.randint(0, 2, size=6)]


def _state(model):
    """Everything a training step changes, as arrays."""
    values = [w.copy() for w in model.get_weights()]
    values += [np.array(v) for v in model.optimizer.get_state()]
    for layer in getattr(model, "layers", []):
        for attr in ("running_mean", "running_std"):
            if hasattr(layer, attr):
                values.append(getattr(layer, attr).get_value().copy())
    return values


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def _clones(model):
    """The model through pickle (bytes and a binary file object) and deepcopy."""
    loaded = pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    return {"pickle": loaded, "deepcopy": copy.deepcopy(model)}


def _check_train_identically(model, step, predict):
    """Clone ``model``, run two ``step``s on each clone then on the original: same numbers."""
    before = _state(model)
    clones = _clones(model)
    for clone in clones.values():
        assert "_builders" not in clone.__dict__  # compiled functions were dropped
        _assert_same(_state(clone), before)
        np.testing.assert_array_equal(predict(clone), predict(model))
    runs = {}
    for name, clone in clones.items():
        runs[name] = ([step(clone), step(clone)], _state(clone))
        _assert_same(_state(model), before)  # the clone shares no variable with the original
    losses = [step(model), step(model)]
    after = _state(model)
    assert not all(np.array_equal(x, y) for x, y in zip(before, after))  # the steps did train
    for name, (clone_losses, clone_state) in runs.items():
        assert clone_losses == losses, name
        _assert_same(clone_state, after)
        np.testing.assert_array_equal(predict(clones[name]), predict(model))


# --- 0.1.3 Sequential ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seq013():
    np.random.seed(3)
    model = Sequential([Dense(4, 5), BatchNormalization((5,)), Activation("tanh"), Dense(5, 2),
                        Activation("softmax")])
    model.compile("adam", "categorical_crossentropy")
    model.train_on_batch(X, Y)  # Adam's iterations and moments are non-zero when pickled
    return model


def test_sequential_013_compiled_pickles_and_trains_identically(seq013):
    assert seq013.optimizer.get_state()[0] > 0  # iterations
    _check_train_identically(seq013, lambda m: float(m.train_on_batch(X, Y)), lambda m: m.predict(X))


def test_sequential_013_pickle_to_a_binary_file(seq013, tmp_path):
    path = tmp_path / "model.pkl"
    with open(path, "wb") as fh:  # the 0.2.0 skipgram example: cPickle.dump(model, open(path, 'w'))
        pickle.dump(seq013, fh)
    with open(path, "rb") as fh:
        loaded = pickle.load(fh)
    np.testing.assert_array_equal(loaded.predict(X), seq013.predict(X))
    assert loaded.get_config() == seq013.get_config()
    assert loaded.evaluate(X, Y, show_accuracy=True, verbose=0) == seq013.evaluate(X, Y, show_accuracy=True,
                                                                                   verbose=0)


def test_built_uncompiled_model_pickles_then_compiles():
    np.random.seed(4)
    model = Sequential([Dense(4, 3), Activation("softmax")])
    loaded = pickle.loads(pickle.dumps(model))
    _assert_same(loaded.get_weights(), model.get_weights())
    with pytest.raises(ValueError, match="call compile"):
        loaded.predict(X)
    W, b = model.get_weights()
    z = X @ W + b
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    for m in (model, loaded):
        m.compile(RMSprop(lr=0.01), "categorical_crossentropy")
        np.testing.assert_allclose(m.predict(X), expected, rtol=1e-12, atol=0)


# --- 0.1.3 Graph --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graph013():
    np.random.seed(5)
    graph = Graph()
    graph.add_input("a", ndim=2)
    graph.add_input("b", ndim=2)
    graph.add_node(Dense(4, 3), name="da", input="a")
    graph.add_node(Dense(4, 3), name="db", input="b")
    graph.add_node(Dense(6, 2, activation="softmax"), name="out", inputs=["da", "db"], merge_mode="concat")
    graph.add_output("y", input="out")
    graph.add_output("z", input="da")
    graph.compile(RMSprop(lr=0.01), {"y": "categorical_crossentropy", "z": "mse"})
    graph.train_on_batch(_graph_data())
    return graph


def _graph_data():
    return {"a": X, "b": X[::-1] * 0.5, "y": Y, "z": np.tanh(X[:, :3])}


def test_graph_013_compiled_pickles_and_trains_identically(graph013):
    data = _graph_data()

    def predict(m):
        out = m.predict(data)
        return np.concatenate([out["y"], out["z"]], axis=1)

    _check_train_identically(graph013, lambda m: float(m.train_on_batch(data)), predict)


# --- 0.2.0 style: the golden port020 BatchNormalization model -----------------------------------

def test_port020_model_pickles_predicts_the_golden_values_and_trains_identically(golden):
    folder = golden / "port020" / "model_batchnorm"
    model = model_from_json((folder / "config.json").read_text())
    model.load_weights(str(folder / "weights.h5"))
    Xg, yg = np.load(folder / "X.npy"), np.load(folder / "y.npy")
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(loaded.predict(Xg), np.load(folder / "predict.npy"), rtol=1e-10, atol=1e-12)
    expected = json.loads((folder / "evaluate.json").read_text())
    assert loaded.evaluate(Xg, yg, verbose=0) == pytest.approx(expected["loss"], rel=1e-10)
    assert len(loaded.layers[1].get_weights()) == 4  # 0.2.0 BatchNormalization: running stats saved too
    model.train_on_batch(Xg, yg)
    _check_train_identically(model, lambda m: float(m.train_on_batch(Xg, yg)), lambda m: m.predict(Xg))


# --- 0.3 recurrent style ------------------------------------------------------------------------

def test_v03_recurrent_model_pickles_and_trains_identically():
    np.random.seed(6)
    Xs = np.random.RandomState(7).normal(size=(3, 4, 2))
    ys = np.eye(2)[[0, 1, 1]]
    model = Sequential([r03.GRU(3, input_dim=2, go_backwards=True), c020.Dense(2), c020.Activation("softmax")])
    model.compile("rmsprop", "categorical_crossentropy")
    model.train_on_batch(Xs, ys)
    _check_train_identically(model, lambda m: float(m.train_on_batch(Xs, ys)), lambda m: m.predict(Xs))
