"""Whole models and layers compiled with ``theano_mode="JAX"`` (skipped without jax, the optional extra).

JAX traces fixed shapes: a model's functions compile once per distinct batch shape
(``keras_legacy.backend.jax_function.JaxFunction``).  Checked here against the golden
outputs of the original Keras (float64, 1e-10 for predictions and losses, the 2-epoch
training trajectories to 1e-8 as in test_models_golden.py): the 0.1.3 Graph and the
imdb-like Sequential (Embedding, masked LSTM, Dropout), the 0.2.0 BatchNormalization model
(running statistics updated by the train function), a Keras 0.3 stateful LSTM and a small
CNN against the Python linker, a layer compiled alone for two input shapes, and the ValueError of a graph
JAX cannot trace.  ``test_models_golden.py`` runs the GRU and masked-LSTM models in JAX
mode too; ``test_jax_data_parallel.py`` the data-parallel training.
"""

import json

import numpy as np
import pytensor.tensor as T
import pytest
from pytensor.compile.mode import Mode

from keras_legacy import backend as K
from keras_legacy.backend.pytensor_compat import HAS_JAX
from keras_legacy.layers import recurrent
from keras_legacy.models import Graph, model_from_config
from keras_legacy.v03.layers import recurrent as r03

#: The Python linker (the Ops' ``perform``): the reference that compiles no C.
PY = Mode(linker="py", optimizer="fast_compile")

pytestmark = pytest.mark.skipif(not HAS_JAX, reason="jax is not installed (optional extra `jax`): JAX mode not tested")


def _json(path):
    return json.loads(path.read_text())


def _jax_model(folder, mask_zero=False):
    """The golden model of ``folder`` rebuilt from its config and compiled with theano_mode='JAX'."""
    from keras_legacy import optimizers

    config = _json(folder / "config.json")
    model = model_from_config({k: v for k, v in config.items()
                               if k not in ("optimizer", "loss", "class_mode", "theano_mode")})
    if mask_zero:  # the 0.1.3 scripts built their Embedding with mask_zero=True (not in the config)
        model.layers[0].mask_zero = True
    opt = dict(config["optimizer"])
    kwargs = {} if isinstance(model, Graph) else {"class_mode": config["class_mode"]}
    model.compile(optimizers.get(opt.pop("name"), opt), config["loss"], theano_mode="JAX", **kwargs)
    return model


def _weights(npz, model):
    if isinstance(model, Graph):
        return [npz[f"param_{n}"] for n in range(len(npz.files))]
    return [npz[f"layer_{k}_param_{n}"] for k, layer in enumerate(model.layers)
            for n in range(len(layer.get_weights()))]


def _compiled(f):
    return list(f.functions.values())


def test_graph_013_predict_evaluate_and_train(golden):
    d = golden / "model_graph"
    model = _jax_model(d)
    data = {"in1": np.load(d / "X_in1.npy"), "in2": np.load(d / "X_in2.npy"), "output": np.load(d / "y.npy")}
    model.load_weights(str(d / "weights.h5"))
    pred = model.predict({"in1": data["in1"], "in2": data["in2"]})
    np.testing.assert_allclose(pred["output"], np.load(d / "predict.npy"), rtol=1e-10, atol=1e-14)
    assert model.evaluate(data) == pytest.approx(_json(d / "evaluate.json")["loss"], rel=1e-10)
    model.set_weights(_weights(np.load(d / "init.npz"), model))
    history = model.fit(data, batch_size=4, nb_epoch=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], _json(d / "history.json")["loss"], rtol=1e-8)
    for got, want in zip(model.get_weights(), _weights(np.load(d / "final.npz"), model)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
    assert isinstance(model.get_weights()[0], np.ndarray)
    # 10 samples in batches of 4: one function for (4, ...), one for the last batch (2, ...)
    assert sorted(key[0][0][0] for key in model._function("train").functions) == [2, 4]


def test_imdb_like_013_predict_evaluate_and_dropout_training(golden):
    """Embedding(mask_zero) -> LSTM -> Dropout -> Dense: the golden predict/evaluate; its
    training draws Dropout masks (JAX's generator, not the original's), so the trained
    weights are not golden: the loss is finite and the weights move."""
    d = golden / "model_imdb_like"
    model = _jax_model(d, mask_zero=True)
    model.load_weights(str(d / "weights.h5"))
    X, y = np.load(d / "X.npy"), np.load(d / "y.npy")
    np.testing.assert_allclose(model.predict(X), np.load(d / "predict.npy"), rtol=1e-10, atol=1e-14)
    loss, acc = model.evaluate(X, y, show_accuracy=True, verbose=0)
    expected = _json(d / "evaluate.json")
    assert loss == pytest.approx(expected["loss"], rel=1e-10)
    assert acc == pytest.approx(expected["acc"], rel=1e-10)
    before = model.get_weights()
    history = model.fit(X, y, batch_size=5, nb_epoch=1, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert max(np.abs(a - b).max() for a, b in zip(model.get_weights(), before)) > 1e-6
    ops = {type(node.op).__name__ for f in _compiled(model._function("train")) for node in f.maker.fgraph.apply_nodes}
    assert "LSTMForward" in ops and "LSTMGrad" in ops, sorted(ops)


def test_batchnorm_020_trains_as_the_golden_model(golden):
    """0.2.0 Dense -> BatchNormalization -> ...: the train function updates the running
    statistics too (the layer's own updates)."""
    d = golden / "port020" / "model_batchnorm"
    model = _jax_model(d)
    X, y = np.load(d / "X.npy"), np.load(d / "y.npy")
    model.load_weights(str(d / "weights.h5"))
    np.testing.assert_allclose(model.predict(X), np.load(d / "predict.npy"), rtol=1e-10, atol=1e-14)
    model.set_weights(_weights(np.load(d / "init.npz"), model))
    history = model.fit(X, y, batch_size=4, nb_epoch=2, shuffle=False, verbose=0, show_accuracy=True)
    expected = _json(d / "history.json")
    np.testing.assert_allclose(history.history["loss"], expected["loss"], rtol=1e-8)
    np.testing.assert_allclose(history.history["acc"], expected["acc"], rtol=1e-8)
    for got, want in zip(model.get_weights(), _weights(np.load(d / "final.npz"), model)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_stateful_03_lstm_as_under_the_python_linker():
    """A Keras 0.3 stateful, go_backwards LSTM: predict carries the state between calls and
    a training step moves weights and state exactly as under the Python linker (``PY``: the
    Ops' ``perform``, no C to compile on a cold cache)."""
    from keras_legacy.models import Sequential

    rng = np.random.RandomState(5)
    X = rng.randn(3, 6, 2)
    y = rng.randn(3, 6, 4)
    runs = []
    for mode in (PY, "JAX"):
        model = Sequential()
        model.add(r03.LSTM(4, batch_input_shape=(3, 6, 2), stateful=True, return_sequences=True,
                           go_backwards=True))
        model.layers[0].set_weights([np.random.RandomState(9).randn(*w.shape) * 0.5
                                     for w in model.layers[0].get_weights()])
        model.compile("sgd", "mse", theano_mode=mode)
        first = model.predict(X, batch_size=3)
        second = model.predict(X, batch_size=3)
        model.train_on_batch(X, y)
        runs.append([first, second, model.layers[0].states[0].get_value()] + model.get_weights())
    assert np.abs(runs[1][1] - runs[1][0]).max() > 1e-3  # the state carried over
    for got, want in zip(runs[1], runs[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_layer_compiled_alone_for_two_input_shapes():
    """``K.function(..., mode="JAX")`` of a layer's output and gradient: inputs without static
    shapes; each input shape gets its own compiled function, values as under the Python linker."""
    layer = recurrent.GRU(2, 3, return_sequences=True)
    X = T.tensor3("X")
    layer.input = X
    out = layer.get_output()
    outputs = [out] + K.grad(T.sum(out ** 2), layer.params)
    f_jax, f_c = K.function([X], outputs, mode="JAX"), K.function([X], outputs, mode=PY)
    rng = np.random.RandomState(2)
    for shape in ((4, 5, 2), (3, 7, 2), (4, 5, 2)):
        x = rng.randn(*shape)
        for got, want in zip(f_jax(x), f_c(x)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert len(f_jax.functions) == 2


def test_a_graph_jax_cannot_trace_is_a_value_error():
    x = T.vector("x")
    f = K.function([x], T.sum(x[T.nonzero(x > 0)]), mode="JAX")
    with pytest.raises(ValueError, match=r"theano_mode='JAX'.*shapes \(3,\).*nonzero"):
        f(np.array([1.0, -2.0, 3.0]))


def test_cnn_013_as_under_the_python_linker():
    """Convolution2D -> relu -> MaxPooling2D -> Flatten -> Dense: predict and one epoch of
    batches of 3 (then the last one of 2) as under the Python linker."""
    from keras_legacy.layers.convolutional import Convolution2D, MaxPooling2D
    from keras_legacy.layers.core import Activation, Dense, Flatten
    from keras_legacy.models import Sequential

    rng = np.random.RandomState(0)
    X, y = rng.randn(5, 1, 8, 8), np.eye(2)[rng.randint(0, 2, 5)]
    runs = []
    for mode in (PY, "JAX"):
        np.random.seed(1)
        model = Sequential()
        model.add(Convolution2D(4, 1, 3, 3))
        model.add(Activation("relu"))
        model.add(MaxPooling2D(poolsize=(2, 2)))
        model.add(Flatten())
        model.add(Dense(4 * 3 * 3, 2, activation="softmax"))
        model.compile("sgd", "categorical_crossentropy", theano_mode=mode)
        pred = model.predict(X)
        model.fit(X, y, batch_size=3, nb_epoch=1, verbose=0, shuffle=False)
        runs.append([pred] + model.get_weights())
    assert np.abs(runs[1][1]).max() > 1e-3  # the filters are not all zero
    for got, want in zip(runs[1], runs[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
