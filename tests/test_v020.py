"""The Keras 0.2.0 style: output-first constructors, shape inference, the port020 golden models."""

import inspect
import json

import numpy as np
import pytest
import yaml

import reference
from keras_legacy.layers import recurrent as r013
from keras_legacy.models import model_from_config, model_from_json, model_from_yaml
from keras_legacy.v020.layers import core, embeddings, normalization, recurrent

PORT = ["model_batchnorm", "model_seq2seq_like", "model_imdb_like"]


class _TupleLoader(yaml.SafeLoader):
    """Reads the golden YAML as written: ``!!python/tuple`` as a tuple."""


_TupleLoader.add_constructor("tag:yaml.org,2002:python/tuple",
                             lambda loader, node: tuple(loader.construct_sequence(node)))


@pytest.fixture(scope="module", params=PORT)
def port_model(request, golden):
    folder = golden / "port020" / request.param
    model = model_from_json((folder / "config.json").read_text())
    model.load_weights(str(folder / "weights.h5"))
    return folder, model


def test_port020_predict_and_evaluate(port_model):
    folder, model = port_model
    X = np.load(folder / "X.npy")
    y = np.load(folder / "y.npy")
    np.testing.assert_allclose(model.predict(X), np.load(folder / "predict.npy"), rtol=1e-10, atol=1e-12)
    loss, acc = model.evaluate(X, y, show_accuracy=True, verbose=0)
    expected = json.loads((folder / "evaluate.json").read_text())
    assert loss == pytest.approx(expected["loss"], rel=1e-10)
    assert acc == pytest.approx(expected["acc"], rel=1e-10)


def test_port020_config_round_trip(port_model):
    folder, model = port_model
    golden_config = json.loads((folder / "config.json").read_text())
    ours = json.loads(model.to_json())  # the JSON text 0.2.0 wrote: tuples as lists
    assert [layer["name"] for layer in ours["layers"]] == [layer["name"] for layer in golden_config["layers"]]
    for mine, theirs in zip(ours["layers"], golden_config["layers"]):
        assert mine == theirs
    # the YAML 0.2.0 wrote keeps get_config's tuples (``input_shape: !!python/tuple``)
    golden_yaml = yaml.load((folder / "config.yaml").read_text(), Loader=_TupleLoader)
    from_yaml = model_from_yaml((folder / "config.yaml").read_text()).get_config()
    assert from_yaml["layers"] == golden_yaml["layers"]
    assert model.get_config()["layers"] == golden_yaml["layers"]


def test_port020_yaml_loads_the_same_weights(golden):
    folder = golden / "port020" / "model_batchnorm"
    model = model_from_yaml((folder / "config.yaml").read_text())
    model.load_weights(str(folder / "weights.h5"))
    weights = model.layers[1].get_weights()
    assert len(weights) == 4  # gamma, beta, running mean, running std
    final = np.load(folder / "final.npz")
    for n in range(4):
        np.testing.assert_array_equal(weights[n], final[f"layer_1_param_{n}"])


def test_signatures_are_output_first():
    sig = inspect.signature(recurrent.LSTM)
    names = list(sig.parameters)
    assert names[:2] == ["output_dim", "init"]
    assert sig.parameters["input_dim"].default is None
    assert sig.parameters["input_length"].default is None
    assert sig.parameters["forget_bias_init"].default == "one"
    assert inspect.signature(recurrent.GRU).parameters["activation"].default == "sigmoid"
    assert list(inspect.signature(core.Dense).parameters)[0] == "output_dim"
    assert list(inspect.signature(embeddings.Embedding).parameters)[:2] == ["input_dim", "output_dim"]


def test_shape_inference_chain():
    emb = embeddings.Embedding(20, 8, input_length=7, mask_zero=True)
    lstm = recurrent.LSTM(6, return_sequences=True)
    lstm.set_previous(emb)
    tdd = core.TimeDistributedDense(3)
    tdd.set_previous(lstm)
    assert lstm.output_shape == (None, 7, 6)
    assert tdd.output_shape == (None, 7, 3)
    assert [p.get_value().shape for p in tdd.params] == [(6, 3), (3,)]
    dense = core.Dense(4, input_dim=3)
    bn = normalization.BatchNormalization()
    bn.set_previous(dense)
    assert bn.output_shape == (None, 4)
    assert len(bn.get_weights()) == 4
    flat = core.Flatten()
    flat.set_previous(core.RepeatVector(5, input_shape=(4,)))
    assert flat.output_shape == (None, 20)


def test_wrong_rank_is_refused_with_a_message():
    dense = core.Dense(4, input_dim=3)
    lstm = recurrent.LSTM(2)
    with pytest.raises(ValueError, match="LSTM expects 3-D input"):
        lstm.set_previous(dense)


def test_same_draws_as_0_1_3():
    np.random.seed(7)
    old = r013.LSTM(3, 4)
    np.random.seed(7)
    new = recurrent.LSTM(4, input_dim=3)
    for a, b in zip(old.get_weights(), new.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_jzs_pmat_is_a_param_in_0_2_0():
    layer = recurrent.JZS1(4, input_dim=3)
    assert layer.params[-1] is layer.Pmat
    assert len(layer.params) == 8


def test_custom_layers_extend_the_registry():
    class MyDense(core.Dense):
        pass

    config = {"name": "Sequential", "layers": [
        {"name": "MyDense", "output_dim": 2, "input_dim": 3, "input_shape": [3]}]}
    model = model_from_config(config, custom_layers={"MyDense": MyDense})
    assert isinstance(model.layers[0], MyDense)
    with pytest.raises(ValueError, match="Invalid layer: 'MyDense'"):
        model_from_config(config)


def test_graph_0_2_0_inputs_shapes_and_config_round_trip():
    from keras_legacy.v020.layers.core import Dense
    from keras_legacy.v020.models import Graph

    np.random.seed(0)
    graph = Graph()
    graph.add_input("a", input_shape=(3,))
    graph.add_input("s", input_shape=(5, 2))
    graph.add_node(core.Dense(4), "d1", input="a")
    graph.add_node(recurrent.LSTM(3), "l1", input="s")
    graph.add_node(Dense(2, activation="softmax"), "out", inputs=["d1", "l1"], merge_mode="concat",
                   create_output=True)
    assert graph.nodes["out"].input_shape == (None, 7)
    graph.compile("rmsprop", {"out": "categorical_crossentropy"})
    rng = np.random.RandomState(1)
    data = {"a": rng.randn(6, 3), "s": rng.randn(6, 5, 2)}
    config = json.loads(graph.to_json())
    assert config["input_config"][1] == {"name": "s", "input_shape": [5, 2], "dtype": "float"}
    assert config["node_config"][-1]["concat_axis"] == -1
    assert config["node_config"][-1]["create_output"] is True
    reloaded = model_from_json(graph.to_json())
    assert type(reloaded) is Graph
    reloaded.set_weights(graph.get_weights())
    np.testing.assert_array_equal(reloaded.predict(data)["out"], graph.predict(data)["out"])
    # NumPy check of the merged path: softmax([Dense(a), LSTM(s)] . W + b)
    d1_W, d1_b = graph.nodes["d1"].get_weights()
    out_W, out_b = graph.nodes["out"].get_weights()
    h = reference.lstm(data["s"], graph.nodes["l1"].get_weights())[:, -1]
    z = np.concatenate([data["a"] @ d1_W + d1_b, h], axis=1) @ out_W + out_b
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(graph.predict(data)["out"], expected, rtol=1e-10, atol=1e-12)


def test_merge_0_2_0_keeps_concat_axis_on_reload():
    from keras_legacy.v020.layers.core import Merge
    from keras_legacy.v020.models import Sequential

    np.random.seed(0)
    left, right = Sequential(), Sequential()
    left.add(core.Dense(4, input_dim=3))
    right.add(core.Dense(2, input_dim=3))
    model = Sequential()
    model.add(Merge([left, right], mode="concat"))
    model.add(core.Dense(1))
    assert model.layers[0].output_shape == (None, 6)
    model.compile("sgd", "mse")
    X = np.random.RandomState(2).randn(5, 3)
    config = json.loads(model.to_json())
    assert config["layers"][0]["concat_axis"] == -1
    reloaded = model_from_json(model.to_json())
    reloaded.set_weights(model.get_weights())
    np.testing.assert_array_equal(reloaded.predict([X, X]), model.predict([X, X]))
    W1, b1, W2, b2, W3, b3 = model.get_weights()
    expected = np.concatenate([X @ W1 + b1, X @ W2 + b2], axis=1) @ W3 + b3
    np.testing.assert_allclose(model.predict([X, X]), expected, rtol=1e-10, atol=1e-12)


def test_sequential_weights_round_trip_with_four_array_batchnorm():
    from keras_legacy.v020.models import Sequential

    model = Sequential()
    model.add(core.Dense(4, input_dim=3))
    model.add(normalization.BatchNormalization())
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 4), (4,), (4,), (4,), (4,), (4,)]
    changed = [w + 1.0 for w in weights]
    model.set_weights(changed)
    for got, want in zip(model.get_weights(), changed):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=r"BatchNormalization \(0.2.0\).set_weights: expected 4 arrays.*got 2"):
        model.set_weights([w + 5.0 for w in changed[:4]])
    for got, want in zip(model.get_weights(), changed):  # the Dense before it was put back too
        np.testing.assert_array_equal(got, want)
