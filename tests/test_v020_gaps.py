"""The Keras 0.2.0 style gaps of issue 12 (point 3), each against the 0.2.0 API.

``from keras import X`` for every top-level 0.2.0 module, the ``keras.models``
helpers, the 0.2.0 ``Graph``, configs before the input size is known, tuple
``input_shape`` in configs, ``set_input_shape`` without the batch axis, and
``TimeDistributedMerge`` (checked against NumPy).  The last test runs all of
them through ``python -m keras_legacy.run --keras 0.2.0`` in one script.
"""

import inspect
import json
import os
import subprocess
import sys

import numpy as np
import pytensor.tensor as T
import pytest

from conftest import ROOT
from keras_legacy import backend as K
from keras_legacy import models as models013
from keras_legacy import regularizers
from keras_legacy import run as kl_run
from keras_legacy.engine import training, training_utils
from keras_legacy.models import model_from_config, model_from_json
from keras_legacy.optimizers import SGD
from keras_legacy.utils.theano_utils import sharedX
from keras_legacy.v020 import graph_model
from keras_legacy.v020 import models as models020
from keras_legacy.v020.layers import advanced_activations as a020
from keras_legacy.v020.layers import containers as containers020
from keras_legacy.v020.layers import core as c020
from keras_legacy.v020.layers import embeddings as e020
from keras_legacy.v020.layers import normalization as n020
from keras_legacy.v020.layers import recurrent as r020
from keras_legacy.v03.layers import recurrent as r03

RNG = np.random.RandomState(12)


# --- keras.models: the 0.2.0 helpers and Model ---------------------------------------------------

#: keras-0.2.0-api.md, ``keras.models``: the functions and their parameters
MODELS_020_FUNCTIONS = {
    "standardize_y": ["y"],
    "batch_shuffle": ["index_array", "batch_size"],
    "make_batches": ["size", "batch_size"],
    "standardize_X": ["X"],
    "slice_X": ["X", "start", "stop"],
    "weighted_objective": ["fn"],
    "standardize_weights": ["y", "sample_weight", "class_weight"],
    "get_function_name": ["o"],
}


@pytest.mark.parametrize("name", sorted(MODELS_020_FUNCTIONS))
def test_v020_models_exports_the_020_helpers(name):
    function = getattr(models020, name)
    assert function is getattr(models013, name)  # 0.2.0 kept the 0.1.3 helpers unchanged
    params = list(inspect.signature(function).parameters)
    assert params[:len(MODELS_020_FUNCTIONS[name])] == MODELS_020_FUNCTIONS[name]
    assert name in models020.__all__


def test_v020_models_helpers_compute_what_0x_computed():
    assert models020.make_batches(5, 2) == [(0, 2), (2, 4), (4, 5)]
    a, b = models020.slice_X([np.arange(4), np.arange(4) * 10], 1, 3)
    np.testing.assert_array_equal(a, [1, 2])
    np.testing.assert_array_equal(b, [10, 20])
    assert models020.standardize_y([1, 2, 3]).shape == (3, 1)
    assert models020.get_function_name(models020.get_function_name) == "get_function_name"
    weights = models020.standardize_weights(np.eye(2)[[0, 1, 1]], class_weight={0: 2.0, 1: 0.5})
    np.testing.assert_array_equal(weights, [[2.0], [0.5], [0.5]])


def test_v020_models_model_is_the_mixin_of_both_models():
    assert models020.Model is training.Model
    assert issubclass(models020.Sequential, models020.Model)
    assert issubclass(models020.Graph, models020.Model)
    assert models020.Graph is graph_model.Graph
    assert models020.weighted_objective is training_utils.weighted_objective


# --- keras.layers.containers.Graph and keras.models.Graph of 0.2.0 --------------------------------

def test_v020_graph_container_takes_input_shape():
    graph = containers020.Graph()
    graph.add_input(name="input", input_shape=(32,))
    graph.add_node(c020.Dense(4), name="dense", input="input")
    graph.add_output(name="output", input="dense")
    assert graph.nodes["dense"].output_shape == (None, 4)
    assert graph.nodes["dense"].W.get_value().shape == (32, 4)
    assert graph.get_config()["input_config"] == [{"name": "input", "input_shape": [32], "dtype": "float"}]


# --- get_config before the input size is known ---------------------------------------------------

UNBUILT = {
    "Dense": (lambda: c020.Dense(3, activation="tanh"),
              {"input_dim": None, "output_dim": 3, "activation": "tanh", "init": "glorot_uniform"}),
    "TimeDistributedDense": (lambda: c020.TimeDistributedDense(3, input_length=7),
                             {"input_dim": None, "output_dim": 3, "input_length": 7}),
    "MaxoutDense": (lambda: c020.MaxoutDense(3, nb_feature=2),
                    {"input_dim": None, "output_dim": 3, "nb_feature": 2}),
    "BatchNormalization": (lambda: n020.BatchNormalization(mode=1, momentum=0.5),
                           {"epsilon": 1e-6, "mode": 1, "momentum": 0.5}),
    "PReLU": (lambda: a020.PReLU(init="uniform"), {"init": "uniform"}),
    "ParametricSoftplus": (lambda: a020.ParametricSoftplus(alpha_init=0.3), {"alpha_init": 0.3, "beta_init": 5.0}),
    "LSTM": (lambda: r020.LSTM(3, return_sequences=True, inner_activation="sigmoid"),
             {"input_dim": None, "output_dim": 3, "return_sequences": True, "inner_activation": "sigmoid",
              "forget_bias_init": "one", "input_length": None, "truncate_gradient": -1}),
    "SimpleDeepRNN": (lambda: r020.SimpleDeepRNN(3, depth=2), {"input_dim": None, "depth": 2}),
}


@pytest.mark.parametrize("name", sorted(UNBUILT))
def test_get_config_before_the_input_size_is_known(name):
    make, expected = UNBUILT[name]
    layer = make()
    assert not layer.built
    config = layer.get_config()
    assert config["name"] == name
    assert "input_shape" not in config  # no input_shape given: 0.2.0 wrote none
    for key, value in expected.items():
        assert config[key] == value, key
    assert not layer.built  # asking for the config draws no weight


def test_config_of_an_unbuilt_layer_is_the_config_of_the_built_one():
    np.random.seed(2)
    model = models020.Sequential()
    model.add(c020.Dense(5, input_dim=4))
    unbuilt = [c020.Dense(3, activation="relu"), c020.MaxoutDense(2, nb_feature=3)]
    configs = [layer.get_config() for layer in unbuilt]
    for layer in unbuilt:
        model.add(layer)
    assert [layer.get_config() for layer in unbuilt] == configs  # 0.2.0's input_dim stays None
    assert unbuilt[0].W.get_value().shape == (5, 3)
    rebuilt = model_from_config(json.loads(model.to_json()))
    assert [layer.get_weights()[0].shape for layer in rebuilt.layers] == [(4, 5), (5, 3), (3, 3, 2)]
    assert json.loads(rebuilt.to_json()) == json.loads(model.to_json())


# --- input_shape in configs is a tuple -----------------------------------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda: n020.BatchNormalization(input_shape=(10, 10)), (10, 10)),
    (lambda: c020.Dense(3, input_dim=4), (4,)),
    (lambda: c020.Flatten(input_shape=[2, 3]), (2, 3)),
    (lambda: r020.GRU(3, input_dim=2, input_length=5), (5, 2)),
])
def test_config_input_shape_is_a_tuple(make, shape):
    config = make().get_config()
    assert type(config["input_shape"]) is tuple
    assert config["input_shape"] == shape


def test_tuple_input_shape_is_written_as_a_list_in_json():
    np.random.seed(3)
    model = models020.Sequential()
    model.add(n020.BatchNormalization(input_shape=(10, 10)))
    assert json.loads(model.to_json())["layers"][0]["input_shape"] == [10, 10]
    rebuilt = model_from_json(model.to_json())
    assert rebuilt.layers[0].get_config()["input_shape"] == (10, 10)


# --- set_input_shape: one sample's shape, output_shape starts with None ---------------------------

def test_set_input_shape_takes_the_shape_without_the_batch_axis():
    flat = c020.Flatten()
    flat.set_input_shape((2, 3))
    assert flat.input_shape == (None, 2, 3)
    assert flat.output_shape == (None, 6)
    assert flat.get_config() == {"name": "Flatten", "input_shape": (2, 3)}


def test_set_input_shape_builds_the_weights():
    np.random.seed(4)
    dense = c020.Dense(5)
    assert not dense.built
    dense.set_input_shape([4])
    assert dense.built
    assert dense.input_shape == (None, 4)
    assert dense.output_shape == (None, 5)
    assert [w.shape for w in dense.get_weights()] == [(4, 5), (5,)]
    assert dense.get_config()["input_shape"] == (4,)
    assert dense.get_config()["input_dim"] is None


def test_set_input_shape_errors():
    with pytest.raises(ValueError, match=r"Dense expects 2-D input .*shape \(None, 4, 3\)"):
        c020.Dense(5).set_input_shape((4, 3))
    with pytest.raises(TypeError, match=r"set_input_shape: expected the shape of one sample .*got int 4"):
        c020.Dense(5).set_input_shape(4)


def test_v03_set_input_shape_keeps_the_batch_axis():
    layer = r03.LSTM(3, stateful=False)
    layer.set_input_shape((6, 5, 2))  # 0.3: the batch axis first
    assert layer.input_shape == (6, 5, 2)
    assert layer.output_shape == (6, 3)


# --- TimeDistributedMerge --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tdm_function():
    layers = {mode: c020.TimeDistributedMerge(mode=mode, input_shape=(4, 3)) for mode in ("sum", "ave", "mul")}
    X = layers["sum"].input
    for layer in layers.values():
        layer.input = X
    return K.function([X], [layers[m].get_output() for m in ("sum", "ave", "mul")])


def test_time_distributed_merge_matches_numpy(tdm_function):
    X = RNG.normal(size=(5, 4, 3))
    total, mean, product = tdm_function(X)
    expected_total = X[:, 0] + X[:, 1] + X[:, 2] + X[:, 3]
    np.testing.assert_allclose(total, expected_total, rtol=1e-12)
    np.testing.assert_allclose(mean, expected_total / 4.0, rtol=1e-12)
    np.testing.assert_allclose(product, X[:, 0] * X[:, 1] * X[:, 2] * X[:, 3], rtol=1e-12)


def test_time_distributed_merge_shapes_config_and_signature():
    layer = c020.TimeDistributedMerge(input_shape=(7, 3))
    assert layer.mode == "sum"
    assert layer.output_shape == (None, 3)
    assert layer.get_config() == {"name": "TimeDistributedMerge", "mode": "sum", "input_shape": (7, 3)}
    assert layer.get_weights() == []
    params = inspect.signature(c020.TimeDistributedMerge).parameters
    assert list(params) == ["mode", "kwargs"] and params["mode"].default == "sum"
    with pytest.raises(ValueError, match="expects 3-D input"):
        c020.TimeDistributedMerge(input_shape=(3,))


def test_time_distributed_merge_unknown_mode_fails_at_output_time():
    layer = c020.TimeDistributedMerge(mode="max", input_shape=(2, 3))  # 0.2.0 constructed it
    with pytest.raises(ValueError, match=r"unknown mode 'max'; expected one of sum, ave, mul"):
        layer.get_output()


def test_time_distributed_merge_in_a_model_trains_as_numpy():
    """TimeDistributedMerge('sum') -> Dense(2); one SGD step on the mse loss, checked by hand."""
    np.random.seed(5)
    model = models020.Sequential()
    model.add(c020.TimeDistributedMerge(mode="sum", input_shape=(3, 4)))
    model.add(c020.Dense(2))
    model.compile(loss="mse", optimizer=SGD(lr=0.1))
    assert model.layers[1].output_shape == (None, 2)
    X = RNG.normal(size=(6, 3, 4))
    y = RNG.normal(size=(6, 2))
    W, b = model.get_weights()
    S = X.sum(axis=1)
    pred = S @ W + b
    np.testing.assert_allclose(model.predict(X), pred, rtol=1e-12)
    loss = model.train_on_batch(X, y)
    np.testing.assert_allclose(loss, np.mean((pred - y) ** 2), rtol=1e-12)
    grad = 2.0 * (pred - y) / y.size
    W_new, b_new = model.get_weights()
    np.testing.assert_allclose(W_new, W - 0.1 * S.T @ grad, rtol=1e-12)
    np.testing.assert_allclose(b_new, b - 0.1 * grad.sum(axis=0), rtol=1e-12)


# --- all of it as a 0.2.0 script: python -m keras_legacy.run --keras 0.2.0 -----------------------

TOP_LEVEL_020 = {
    "activations": "keras_legacy.activations", "callbacks": "keras_legacy.callbacks",
    "constraints": "keras_legacy.constraints", "initializations": "keras_legacy.initializations",
    "objectives": "keras_legacy.objectives", "optimizers": "keras_legacy.optimizers",
    "regularizers": "keras_legacy.regularizers", "datasets": "keras_legacy.datasets",
    "layers": "keras_legacy.v020.layers", "models": "keras_legacy.v020.models",
    "preprocessing": "keras_legacy.preprocessing", "utils": "keras_legacy.utils",
}


def test_aliases_from_keras_import_a_module_the_020_style_does_not_redefine():
    kl_run.install_aliases("0.2.0")
    try:
        namespace = {}
        exec("from keras import regularizers, models\nimport keras", namespace)
        assert namespace["regularizers"] is regularizers
        assert namespace["models"] is models020
        assert namespace["keras"].__name__ == "keras"
        assert namespace["keras"].__doc__ == sys.modules["keras_legacy.v020"].__doc__
        with pytest.raises(ImportError, match="no_such_module"):
            exec("from keras import no_such_module", {})
    finally:
        kl_run.uninstall_aliases()
    assert "keras" not in sys.modules and "keras.regularizers" not in sys.modules
    kl_run.install_aliases("0.1.3")  # the 0.2.0 package is gone: another style installs cleanly
    try:
        namespace = {}
        exec("from keras import models", namespace)
        assert namespace["models"] is models013
    finally:
        kl_run.uninstall_aliases()


@pytest.fixture(scope="module")
def gaps_script(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gaps")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-m", "keras_legacy.run", "--keras", "0.2.0",
         str(ROOT / "tests" / "scripts" / "keras020_gaps.py"), str(folder / "out.json"), str(folder / "out.npz")],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((folder / "out.json").read_text()), np.load(folder / "out.npz")


def test_script_from_keras_import_every_top_level_module(gaps_script):
    out, _ = gaps_script
    assert out["modules"] == TOP_LEVEL_020
    assert out["regularizer"] == {"name": "WeightRegularizer", "l1": 0.0, "l2": 0.01}


def test_script_keras_models_helpers(gaps_script):
    out, _ = gaps_script
    assert out["make_batches"] == [[0, 2], [2, 4], [4, 5]]
    assert out["slice_X"] == [[1, 2], [10, 20]]
    assert out["standardize_y"] == "(3, 1)"
    assert out["standardize_X"] == 1
    assert out["standardize_weights"] == [[1.0], [2.0], [3.0]]
    assert out["batch_shuffle"] == [0, 1, 2, 3, 4, 5]
    assert out["get_function_name"] == "mean_squared_error"
    assert out["weighted_objective"] is True
    assert out["Model"] == ["Model", True, True]


def test_script_graph_is_the_020_graph(gaps_script):
    out, _ = gaps_script
    assert out["graph"] == ["keras_legacy.v020.layers.containers", "(None, 4)", "keras_legacy.v020.graph_model",
                            "(None, 4)", [{"name": "input", "input_shape": [32], "dtype": "float"}]]


def test_script_configs_and_shapes(gaps_script):
    out, _ = gaps_script
    assert {name: config["input_dim"] for name, config in out["configs"].items()} == {
        "Dense": None, "TimeDistributedDense": None, "MaxoutDense": None}
    assert out["configs"]["MaxoutDense"]["nb_feature"] == 2
    assert out["bn_input_shape"] == "(10, 10)"
    assert out["flatten"] == ["(None, 2, 3)", "(None, 6)"]


def test_script_time_distributed_merge_model(gaps_script):
    out, data = gaps_script
    assert out["tdm"] == ["(None, 5)", {"name": "TimeDistributedMerge", "input_shape": [3, 5], "mode": "ave"}]
    X, W, b = data["X"], data["W"], data["b"]
    np.testing.assert_allclose(data["pred"], X.mean(axis=1) @ W + b, rtol=1e-12)


# --- keras.layers.core.Layer of 0.2.0: the base of custom layers -------------------------------

class _Scale(c020.Layer):
    """A 0.2.0 custom layer as the 0.2.0 docs write one: attributes, super().__init__(**kwargs), build."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super().__init__(**kwargs)

    def build(self):
        input_dim = self.input_shape[1]
        self.W = sharedX(np.arange(input_dim * self.output_dim, dtype=float).reshape(input_dim, self.output_dim))
        self.params = [self.W]

    @property
    def output_shape(self):
        return (self.input_shape[0], self.output_dim)

    def get_output(self, train=False):
        return T.dot(self.get_input(train), self.W)


def test_020_layer_takes_input_shape_and_stands_for_every_layer():
    layer = c020.Layer(input_shape=(4,))
    assert layer.input_shape == (None, 4) and layer.output_shape == (None, 4)
    assert layer.get_config() == {"name": "Layer", "input_shape": (4,)}
    assert isinstance(c020.Dense(3), c020.Layer) and isinstance(r020.LSTM(3), c020.Layer)
    assert isinstance(c020.Dropout(0.5), c020.MaskedLayer) and not isinstance(c020.Dense(3), c020.MaskedLayer)
    assert issubclass(c020.Dense, c020.Layer) and issubclass(_Scale, c020.Layer)
    assert isinstance(c020.MaskedLayer(), c020.Layer)
    with pytest.raises(TypeError, match="input_shape"):
        c020.Layer(input_dim=3)


def test_020_custom_layer_in_a_sequential_model():
    first = models020.Sequential()
    first.add(_Scale(2, input_shape=(3,)))          # first layer: built from input_shape
    second = models020.Sequential()
    second.add(c020.Dense(3, input_shape=(2,), weights=[np.eye(2, 3), np.zeros(3)]))
    second.add(_Scale(2))                           # built from the previous layer
    for model in (first, second):
        model.compile(loss="mse", optimizer="sgd")
    X = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    W = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(first.predict(X), X @ W, rtol=1e-12)
    np.testing.assert_allclose(second.predict(X[:, :2]), X[:, :2] @ np.eye(2, 3) @ W, rtol=1e-12)
    assert first.layers[0].output_shape == (None, 2)


def test_020_word_context_product_has_the_020_protocol():
    W_w = np.arange(12.0).reshape(4, 3) / 10
    W_c = -np.arange(12.0).reshape(4, 3) / 20
    layer = e020.WordContextProduct(4, proj_dim=3, weights=[W_w, W_c], input_shape=(2,))
    layer.build()  # 0.2.0 layers all have build(); the weights were drawn by the constructor
    assert layer.output_shape == (None, 1)
    assert layer.get_config()["input_shape"] == (2,) and layer.get_config()["proj_dim"] == 3
    assert isinstance(layer, c020.Layer)
    model = models020.Sequential()
    model.add(layer)
    model.compile(loss="mse", optimizer="sgd")
    pairs = np.array([[0, 1], [3, 2]], dtype="int32")
    dots = (W_w[pairs[:, 0]] * W_c[pairs[:, 1]]).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(pairs), 1 / (1 + np.exp(-dots)), rtol=1e-6)
    rebuilt = model_from_json(model.to_json())
    assert type(rebuilt.layers[0]) is e020.WordContextProduct


def test_020_graph_output_shape():
    graph = containers020.Graph()
    graph.add_input(name="x", input_shape=(5,))
    graph.add_node(c020.Dense(3), name="d1", input="x")
    graph.add_node(c020.Dense(2), name="d2", input="x")
    graph.add_output(name="out", inputs=["d1", "d2"], merge_mode="concat")
    assert graph.output_shape == (None, 5)
    graph.add_output(name="second", input="d2")
    assert graph.output_shape == {"out": (None, 5), "second": (None, 2)}


@pytest.mark.parametrize("make", [
    lambda: c020.ActivityRegularization(0.1, 0.1), lambda: c020.Dropout(0.5), lambda: c020.Activation("tanh"),
    lambda: c020.Flatten(), lambda: c020.RepeatVector(2),
])
def test_build_of_a_layer_without_weights_needs_no_input_shape(make):
    layer = make()
    layer.build()
    assert layer.get_weights() == []
    layer.set_input_shape((4,))
    assert layer.input_shape == (None, 4)


def test_build_of_a_layer_with_weights_still_needs_its_input_shape():
    with pytest.raises(ValueError, match="no input shape yet"):
        c020.Dense(3).build()
