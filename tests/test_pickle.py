"""``pickle`` and ``copy.deepcopy`` of built and compiled models (0.1.3, 0.2.0 and 0.3 styles).

A loaded (or copied) model has no compiled function: it runs ``compile`` again
with the stored arguments on first use.  It must predict and train exactly as
the original object does from the same state: same losses, same weights, same
optimizer accumulators (Adam/RMSprop state trained before pickling) and same
BatchNormalization running statistics after each step.
"""

import copy
import inspect
import json
import pickle

import numpy as np
import pytest

from keras_legacy.layers.core import Activation, Dense
from keras_legacy.layers.normalization import BatchNormalization
from keras_legacy.models import Graph, Sequential, model_from_json
from keras_legacy.optimizers import RMSprop
from keras_legacy.v020.layers import advanced_activations as a020
from keras_legacy.v020.layers import base as base020
from keras_legacy.v020.layers import convolutional as cv020
from keras_legacy.v020.layers import core as c020
from keras_legacy.v020.layers import embeddings as e020
from keras_legacy.v020.layers import noise as no020
from keras_legacy.v020.layers import normalization as bn020
from keras_legacy.v020.layers import recurrent as rec020
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


# --- every 0.2.0 layer class, built, through pickle and deepcopy ---------------------------------

#: one built instance per public 0.2.0 layer class (the classes pickle finds by module and name)
V020_LAYERS = {
    "Masking": lambda: c020.Masking(input_shape=(3, 4)),
    "Dropout": lambda: c020.Dropout(0.5, input_shape=(4,)),
    "Activation": lambda: c020.Activation("tanh", input_shape=(4,)),
    "ActivityRegularization": lambda: c020.ActivityRegularization(l1=0.1, input_shape=(4,)),
    "RepeatVector": lambda: c020.RepeatVector(2, input_shape=(4,)),
    "Flatten": lambda: c020.Flatten(input_shape=(2, 3)),
    "Permute": lambda: c020.Permute((2, 1), input_shape=(2, 3)),
    "Reshape": lambda: c020.Reshape((3, 2), input_shape=(6,)),
    "Dense": lambda: c020.Dense(3, input_dim=4),
    "TimeDistributedDense": lambda: c020.TimeDistributedDense(3, input_dim=4),
    "MaxoutDense": lambda: c020.MaxoutDense(3, nb_feature=2, input_dim=4),
    "TimeDistributedMerge": lambda: c020.TimeDistributedMerge("ave", input_shape=(3, 4)),
    "LeakyReLU": lambda: a020.LeakyReLU(0.2, input_shape=(4,)),
    "ThresholdedLinear": lambda: a020.ThresholdedLinear(0.5, input_shape=(4,)),
    "ThresholdedReLU": lambda: a020.ThresholdedReLU(0.5, input_shape=(4,)),
    "PReLU": lambda: a020.PReLU(input_shape=(4,)),
    "ParametricSoftplus": lambda: a020.ParametricSoftplus(input_shape=(4,)),
    "Embedding": lambda: e020.Embedding(10, 3, input_length=5),
    "WordContextProduct": lambda: e020.WordContextProduct(10, proj_dim=3, input_shape=(2,)),
    "Layer": lambda: c020.Layer(input_shape=(4,)),
    "MaskedLayer": lambda: c020.MaskedLayer(input_shape=(4,)),
    "GaussianNoise": lambda: no020.GaussianNoise(0.1, input_shape=(4,)),
    "GaussianDropout": lambda: no020.GaussianDropout(0.1, input_shape=(4,)),
    "BatchNormalization": lambda: bn020.BatchNormalization(input_shape=(4,)),
    "SimpleRNN": lambda: rec020.SimpleRNN(3, input_dim=4),
    "SimpleDeepRNN": lambda: rec020.SimpleDeepRNN(3, depth=2, input_dim=4),
    "GRU": lambda: rec020.GRU(3, input_dim=4),
    "LSTM": lambda: rec020.LSTM(3, input_dim=4),
    "JZS1": lambda: rec020.JZS1(3, input_dim=4),
    "JZS2": lambda: rec020.JZS2(3, input_dim=4),
    "JZS3": lambda: rec020.JZS3(3, input_dim=4),
    "Convolution1D": lambda: cv020.Convolution1D(3, 2, border_mode="same", input_dim=4, input_length=5),
    "Convolution2D": lambda: cv020.Convolution2D(3, 2, 2, subsample=(2, 1), input_shape=(2, 5, 4)),
    "MaxPooling1D": lambda: cv020.MaxPooling1D(3, stride=2, ignore_border=False, input_shape=(7, 2)),
    "MaxPooling2D": lambda: cv020.MaxPooling2D((2, 3), input_shape=(2, 5, 4)),
    "UpSample1D": lambda: cv020.UpSample1D(3, input_shape=(4, 2)),
    "UpSample2D": lambda: cv020.UpSample2D((2, 1), input_shape=(2, 3, 4)),
    "ZeroPadding1D": lambda: cv020.ZeroPadding1D(2, input_shape=(4, 2)),
    "ZeroPadding2D": lambda: cv020.ZeroPadding2D((1, 2), input_shape=(2, 3, 4)),
}


def test_every_public_020_layer_class_is_listed():
    found = set()
    for module in (c020, a020, e020, no020, bn020, rec020, cv020):
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, base020.Layer020) \
                    and cls.__module__ == module.__name__ and not name.startswith("_"):
                found.add(name)
    assert found == set(V020_LAYERS)


@pytest.mark.parametrize("name", sorted(V020_LAYERS))
def test_020_layer_pickles_and_deepcopies(name):
    np.random.seed(8)
    layer = V020_LAYERS[name]()
    for clone in (pickle.loads(pickle.dumps(layer, protocol=pickle.HIGHEST_PROTOCOL)),
                  pickle.loads(pickle.dumps(layer, protocol=0)), copy.deepcopy(layer)):
        assert type(clone) is type(layer)
        assert type(clone).__name__ == name  # ThresholdedReLU, not the 0.1.3 ThresholdedReLu
        assert clone.get_config() == layer.get_config()
        assert clone.output_shape == layer.output_shape
        _assert_same(clone.get_weights(), layer.get_weights())


def test_020_model_with_thresholded_relu_pickles_and_predicts_identically():
    np.random.seed(9)
    model = Sequential([c020.Dense(5, input_dim=4), a020.ThresholdedReLU(0.1), c020.Dense(2),
                        c020.Activation("softmax")])
    model.compile("sgd", "categorical_crossentropy")
    loaded = pickle.loads(pickle.dumps(model))
    assert type(loaded.layers[1]) is a020.ThresholdedReLU
    W1, b1, W2, b2 = model.get_weights()
    h = X @ W1 + b1
    z = (h * (h > 0.1)) @ W2 + b2
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_020_cnn_model_pickles_and_trains_identically():
    np.random.seed(10)
    Xi = np.random.RandomState(11).normal(size=(4, 1, 5, 4))
    yi = np.eye(2)[[0, 1, 1, 0]]
    model = Sequential([cv020.Convolution2D(2, 2, 2, border_mode="full", input_shape=(1, 5, 4)),
                        c020.Activation("relu"), cv020.MaxPooling2D(ignore_border=False), c020.Flatten(),
                        c020.Dense(2), c020.Activation("softmax")])
    model.compile("sgd", "categorical_crossentropy")
    _check_train_identically(model, lambda m: float(m.train_on_batch(Xi, yi)), lambda m: m.predict(Xi))
