"""The golden CNN models of ``conv013/`` and ``conv020/`` and the files, configs and exports of conv layers.

Each model is rebuilt from the original's ``config.json`` (the release is
sniffed from its keys), loads ``weights.h5``, and must reproduce
``predict.npy`` and the evaluation; ``model_cnn`` and ``model_textcnn`` are
trained for 2 SGD epochs (batches of 5, no shuffle) and must reproduce the
history, ``weights_after_fit.h5`` and ``predict_after_fit.npy``.
``model_cnn_dropout`` has no fit (its training depends on the dropout RNG): its
test-time predictions (Dropout scales by 0.75) are compared.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras_legacy import cli, optimizers
from keras_legacy.layers import convolutional as conv013
from keras_legacy.layers import core as core013
from keras_legacy.models import Sequential, model_from_json, model_from_yaml
from keras_legacy.utils import io_utils
from keras_legacy.v020.layers import convolutional as conv020
from keras_legacy.v020.layers import core as core020

VERSIONS = ("conv013", "conv020")
MODELS = ("model_cnn", "model_cnn_dropout", "model_textcnn")
TRAINED = ("model_cnn", "model_textcnn")
RTOL = 1e-10


def rel_err(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.max(np.abs(got - want))) / max(float(np.max(np.abs(want))), 1e-300)


def folder(golden, version, name):
    return golden / version / name


def meta(golden, version, name):
    return json.loads((folder(golden, version, name) / "meta.json").read_text())


def build(golden, version, name, loader="json"):
    """The model rebuilt from the original's config, compiled as the generator compiled it."""
    d = folder(golden, version, name)
    model = model_from_json((d / "config.json").read_text()) if loader == "json" \
        else model_from_yaml((d / "config.yaml").read_text())
    if not hasattr(model, "loss"):  # 0.1.3 configs were saved before compile (README quirk 11)
        compile_args = meta(golden, version, name)["compile"]
        model.compile(optimizers.SGD(lr=0.01), compile_args["loss"], class_mode=compile_args["class_mode"])
    model.load_weights(str(d / "weights.h5"))
    return model


_MODELS = {}


def model_for(golden, version, name):
    if (version, name) not in _MODELS:
        _MODELS[version, name] = build(golden, version, name)
    return _MODELS[version, name]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("version", VERSIONS)
def test_predict_and_evaluate_from_weights_h5(golden, version, name):
    d = folder(golden, version, name)
    model = model_for(golden, version, name)
    X, y = np.load(d / "X.npy"), np.load(d / "y.npy")
    assert rel_err(model.predict(X), np.load(d / "predict.npy")) <= RTOL
    want = meta(golden, version, name)
    for key, batch_size in (("evaluate", 128), ("evaluate_batch_size_5", 5)):
        loss, acc = model.evaluate(X, y, batch_size=batch_size, show_accuracy=True, verbose=0)
        assert abs(loss - want[key]["loss"]) <= RTOL * abs(want[key]["loss"])
        assert acc == pytest.approx(want[key]["acc"], abs=1e-12)


@pytest.mark.parametrize("version", VERSIONS)
def test_classes_follow_the_release_of_the_config(golden, version):
    model = model_for(golden, version, "model_cnn")
    module = conv013 if version == "conv013" else conv020
    assert isinstance(model.layers[0], module.Convolution2D)
    assert isinstance(model.layers[2], module.MaxPooling2D)


@pytest.mark.slow
@pytest.mark.parametrize("name", TRAINED)
@pytest.mark.parametrize("version", VERSIONS)
def test_two_sgd_epochs_match_the_original(golden, version, name, tmp_path):
    d = folder(golden, version, name)
    model = build(golden, version, name)
    X, y = np.load(d / "X.npy"), np.load(d / "y.npy")
    history = model.fit(X, y, batch_size=5, nb_epoch=2, shuffle=False, verbose=0, show_accuracy=True)
    want = meta(golden, version, name)
    for key in ("loss", "acc"):
        assert rel_err(history.history[key], want["history"][key]) <= RTOL, key
    after = io_utils.load_sequential_weights(str(d / "weights_after_fit.h5"))
    for k, (layer, arrays) in enumerate(zip(model.layers, after)):
        for n, (got, exp) in enumerate(zip(layer.get_weights(), arrays)):
            assert rel_err(got, exp) <= RTOL, f"layer {k} param {n}"
    assert rel_err(model.predict(X), np.load(d / "predict_after_fit.npy")) <= RTOL
    loss, acc = model.evaluate(X, y, show_accuracy=True, verbose=0)
    assert abs(loss - want["evaluate_after_fit"]["loss"]) <= RTOL * abs(want["evaluate_after_fit"]["loss"])
    assert acc == pytest.approx(want["evaluate_after_fit"]["acc"], abs=1e-12)
    # the trained weights survive a save/load round trip (0.x HDF5 layout)
    path = tmp_path / "w.h5"
    model.save_weights(str(path))
    again = build(golden, version, name)
    again.load_weights(str(path))
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def code_model(version, name):
    """The generator's model, built in code with this release's constructors."""
    if version == "conv013":
        c, k = conv013, core013
        from keras_legacy.layers.embeddings import Embedding
        if name == "model_cnn":
            layers = [c.Convolution2D(4, 1, 3, 3), k.Activation("relu"), c.MaxPooling2D(poolsize=(2, 2)),
                      k.Flatten(), k.Dense(36, 3), k.Activation("softmax")]
        else:
            layers = [Embedding(15, 4), c.Convolution1D(input_dim=4, nb_filter=3, filter_length=3),
                      k.Activation("relu"), c.MaxPooling1D(pool_length=2), k.Flatten(), k.Dense(9, 1),
                      k.Activation("sigmoid")]
    else:
        c, k = conv020, core020
        from keras_legacy.v020.layers.embeddings import Embedding
        if name == "model_cnn":
            layers = [c.Convolution2D(4, 3, 3, input_shape=(1, 8, 8)), k.Activation("relu"),
                      c.MaxPooling2D(pool_size=(2, 2)), k.Flatten(), k.Dense(3), k.Activation("softmax")]
        else:
            layers = [Embedding(15, 4, input_length=8), c.Convolution1D(3, 3), k.Activation("relu"),
                      c.MaxPooling1D(pool_length=2), k.Flatten(), k.Dense(1), k.Activation("sigmoid")]
    model = Sequential()
    for layer in layers:
        model.add(layer)
    return model


@pytest.mark.parametrize("name", TRAINED)
@pytest.mark.parametrize("version", VERSIONS)
def test_initial_weights_drawn_as_the_original(golden, version, name):
    """``np.random.seed(s)`` then building the model in code gives ``weights.h5`` (init order, fans)."""
    np.random.seed(meta(golden, version, name)["np_random_seed_before_build"])
    model = code_model(version, name)
    want = io_utils.load_sequential_weights(str(folder(golden, version, name) / "weights.h5"))
    for k, (layer, arrays) in enumerate(zip(model.layers, want)):
        got = layer.get_weights()
        assert len(got) == len(arrays), f"layer {k}"
        for a, b in zip(got, arrays):
            assert rel_err(a, b) <= RTOL, f"layer {k}"


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("version", VERSIONS)
def test_json_and_yaml_round_trips(golden, version, name):
    d = folder(golden, version, name)
    want = json.loads((d / "config.json").read_text())
    model = model_for(golden, version, name)
    ours = json.loads(model.to_json())
    assert ours["layers"] == want["layers"]
    from_yaml = model_from_yaml((d / "config.yaml").read_text())  # the original's !!python/tuple tags
    assert json.loads(from_yaml.to_json())["layers"] == want["layers"]
    again = model_from_yaml(model.to_yaml())
    assert json.loads(again.to_json())["layers"] == want["layers"]


def test_cli_inspect_names_conv_weights(golden, capsys):
    d = folder(golden, "conv013", "model_cnn")
    assert cli.main(["inspect", str(d / "weights.h5"), "--config", str(d / "config.json")]) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()]
    assert ["layer", "0", "Convolution2D:", "2", "arrays"] in lines
    assert ["W", "(4,", "1,", "3,", "3)", "float64"] in lines
    assert ["layer", "2", "MaxPooling2D:", "0", "arrays"] in lines


def test_cli_convert_keeps_conv_arrays(golden, tmp_path):
    d = folder(golden, "conv020", "model_textcnn")
    out = tmp_path / "w.npz"
    assert cli.main(["convert", str(d / "weights.h5"), str(out), "--config", str(d / "config.json")]) == 0
    with np.load(out) as arrays:
        want = io_utils.load_sequential_weights(str(d / "weights.h5"))[1]
        np.testing.assert_array_equal(arrays["layer_1_Convolution1D_W"], want[0])
        np.testing.assert_array_equal(arrays["layer_1_Convolution1D_b"], want[1])


# --- shape inference and messages (0.2.0) -------------------------------------------------------

def test_020_shape_inference_through_a_cnn():
    model = Sequential()
    model.add(conv020.ZeroPadding2D(padding=(1, 2), input_shape=(3, 9, 8)))
    model.add(conv020.Convolution2D(5, 3, 2, border_mode="full", subsample=(2, 1)))
    model.add(conv020.MaxPooling2D(pool_size=(3, 2), stride=(1, 2), ignore_border=False))
    model.add(conv020.UpSample2D(size=(2, 1)))
    model.add(core020.Flatten())
    model.add(core020.Dense(2))
    assert model.layers[1].W.get_value().shape == (5, 3, 3, 2)
    assert model.layers[1].output_shape == (None, 5, 7, 13)
    assert model.layers[2].output_shape == (None, 5, 5, 7)
    assert model.layers[3].output_shape == (None, 5, 10, 7)
    assert model.layers[5].W.get_value().shape == (350, 2)
    assert conv020.conv_output_length(None, 3, "valid", 1) is None
    assert conv020.pool_output_length(7, 3, False, 2) == 3


def test_020_conv_layers_follow_the_020_layer_protocol():
    """Config before build, ``set_input_shape`` of one sample (no batch axis), then the weights."""
    layer = conv020.Convolution2D(4, 3, 2, subsample=(2, 1))
    config = layer.get_config()
    assert "input_shape" not in config and "stack_size" not in config
    assert config["subsample"] == (2, 1) and config["init"] == "glorot_uniform"
    assert not layer.built
    layer.set_input_shape((3, 7, 6))
    assert layer.W.get_value().shape == (4, 3, 3, 2) and layer.b.get_value().shape == (4,)
    assert layer.output_shape == (None, 4, 3, 5)
    assert layer.get_config()["input_shape"] == (3, 7, 6)
    with pytest.raises(ValueError, match="expects 4-D input"):
        conv020.MaxPooling2D().set_input_shape((None, 3, 7, 6))
    seq = conv020.Convolution1D(5, 3, input_dim=4)
    assert seq.get_config()["input_shape"] == (None, 4) and seq.output_shape == (None, None, 5)


def test_020_conv_without_input_shape_says_how_to_fix():
    layer = conv020.Convolution2D(4, 3, 3)
    with pytest.raises(ValueError, match="input_shape"):
        layer.output_shape  # noqa: B018


def test_020_rank_mismatch_is_refused():
    model = Sequential()
    model.add(conv020.Convolution1D(4, 3, input_dim=5, input_length=9))
    with pytest.raises(ValueError, match="4-D input"):
        model.add(conv020.MaxPooling2D())


def test_013_bad_pair_argument():
    with pytest.raises(TypeError, match="pair of ints"):
        conv013.MaxPooling2D(poolsize=2)


# --- connection checks (0.1.3) -------------------------------------------------------------------

def test_013_stack_size_mismatch_names_the_fix():
    with pytest.raises(ValueError, match=r"Cannot connect Convolution2D\(nb_filter=5, stack_size=3\).*"
                                         r"outputs 4\. Build Convolution2D with stack_size=4"):
        Sequential([conv013.Convolution2D(4, 1, 3, 3), core013.Activation("relu"), conv013.MaxPooling2D(),
                    conv013.Convolution2D(5, 3, 3, 3)])


def test_013_conv1d_input_dim_mismatch():
    from keras_legacy.layers.embeddings import Embedding

    with pytest.raises(ValueError, match=r"Convolution1D\(input_dim=5\).*Embedding outputs 4 features"):
        Sequential([Embedding(10, 4), conv013.Convolution1D(5, 3, 2)])
    with pytest.raises(ValueError, match=r"Dense takes a 2-D input.*Convolution2D outputs a 4-D|"
                                         r"Convolution1D takes a 3-D input.*Convolution2D outputs a 4-D"):
        Sequential([conv013.Convolution2D(2, 1, 2, 2), conv013.Convolution1D(3, 2, 2)])


def test_013_max_pooling_2d_pools_the_two_last_axes_of_a_3d_input():
    """Theano's max_pool_2d took any rank >= 2: a 0.1.3 MaxPooling2D after a 3-D layer ran."""
    from keras_legacy import backend as K

    model = Sequential([core013.TimeDistributedDense(3, 4), conv013.MaxPooling2D(poolsize=(2, 3),
                                                                                 ignore_border=False)])
    X = np.random.RandomState(0).randn(2, 5, 3)
    f = K.function([model.get_input()], [model.get_output()])
    W, b = model.layers[0].get_weights()
    h = np.pad(X @ W + b, ((0, 0), (0, 1), (0, 2)), constant_values=-np.inf)
    want = h.reshape(2, 3, 2, 2, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(f(X)[0], want)


# --- ONNX export ---------------------------------------------------------------------------------

def run_onnx(model, X, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from keras_legacy.export import to_onnx

    path = tmp_path / "model.onnx"
    to_onnx(model, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    dtype = np.int32 if X.dtype.kind == "i" else np.float32
    return session.run(None, {"input": X.astype(dtype)})[0]


def assert_onnx_matches(model, X, tmp_path):
    want = model.predict(X)
    got = run_onnx(model, X, tmp_path)
    assert rel_err(got, want) <= 1e-5


@pytest.mark.parametrize("version,name", [("conv013", "model_cnn"), ("conv020", "model_cnn_dropout"),
                                          ("conv020", "model_textcnn")])
def test_onnx_export_of_golden_models(golden, version, name, tmp_path):
    model = model_for(golden, version, name)
    X = np.load(folder(golden, version, name) / "X.npy")
    assert_onnx_matches(model, X, tmp_path)


def _sequential(layers):
    model = Sequential()
    for layer in layers:
        model.add(layer)
    return model


def test_onnx_export_of_every_2d_layer_and_border_mode(tmp_path):
    np.random.seed(3)
    model = _sequential([
        conv020.Convolution2D(5, 3, 2, border_mode="full", subsample=(2, 1), input_shape=(3, 9, 8)),
        conv020.ZeroPadding2D(padding=(1, 2)),
        conv020.MaxPooling2D(pool_size=(3, 2), stride=(1, 2), ignore_border=False),
        conv020.UpSample2D(size=(2, 3)),
        conv020.Convolution2D(2, 2, 4, border_mode="same", activation="tanh"),
        conv020.MaxPooling2D(pool_size=(2, 2), stride=(3, 3), ignore_border=False),
        conv020.Convolution2D(3, 2, 2, subsample=(1, 2), activation="relu"),
        core020.Flatten(),
        core020.Dense(4, activation="softmax"),
    ])
    model.compile("sgd", "categorical_crossentropy")
    X = np.random.randn(3, 3, 9, 8)
    assert_onnx_matches(model, X, tmp_path)


def test_onnx_export_of_every_1d_layer(tmp_path):
    np.random.seed(4)
    model = _sequential([
        conv020.Convolution1D(4, 3, border_mode="same", input_dim=3, input_length=11),
        conv020.MaxPooling1D(pool_length=3, stride=2, ignore_border=False),
        conv020.UpSample1D(length=2),
        conv020.ZeroPadding1D(padding=2),
        conv020.Convolution1D(2, 4, subsample_length=2, activation="sigmoid"),
        conv020.MaxPooling1D(pool_length=2, stride=3, ignore_border=False),
        core020.Flatten(),
        core020.Dense(1),
    ])
    model.compile("sgd", "mse")
    X = np.random.randn(2, 11, 3)
    assert_onnx_matches(model, X, tmp_path)


def test_onnx_export_013_conv1d_stride_is_a_no_op(tmp_path):
    np.random.seed(5)
    model = _sequential([conv013.Convolution1D(3, 4, 3, border_mode="full", subsample_length=2),
                         core013.Flatten(), core013.Dense(4 * 9, 2)])
    model.compile("sgd", "mse")
    assert_onnx_matches(model, np.random.randn(2, 7, 3), tmp_path)


def test_onnx_refuses_013_same_with_stride(tmp_path):
    pytest.importorskip("onnx")
    from keras_legacy.export import to_onnx

    model = _sequential([conv013.Convolution2D(2, 1, 3, 3, border_mode="same", subsample=(2, 2))])
    with pytest.raises(ValueError, match="strided coordinates"):
        to_onnx(model, tmp_path / "m.onnx")


@pytest.mark.parametrize("version", VERSIONS)
def test_version_sniffed_from_conv_keys(golden, version):
    from keras_legacy.engine.version_sniff import sniff_version

    config = json.loads((folder(golden, version, "model_cnn") / "config.json").read_text())
    guess = sniff_version(config)
    assert guess.version == ("0.1.x" if version == "conv013" else "0.2.0") and guess.certain
    key = "'stack_size'" if version == "conv013" else "'pool_size'"
    assert any(key in reason for reason in guess.reasons())


# --- a 0.x CNN script run unchanged (python -m keras_legacy.run) --------------------------------

def numpy_cnn(X, W1, b1, W2, b2, W3, b3):
    """Theano conv (full, then valid; kernels flipped) -> relu -> 2x2 pool -> x0.75 -> Dense -> softmax."""
    def conv_valid(x, w):
        kh, kw = w.shape[2:]
        ho, wo = x.shape[2] - kh + 1, x.shape[3] - kw + 1
        patches = np.stack([x[:, :, a:a + ho, b:b + wo] for a in range(kh) for b in range(kw)], axis=2)
        return np.einsum("nckij,fck->nfij", patches, w[:, :, ::-1, ::-1].reshape(w.shape[0], w.shape[1], -1))

    h = np.maximum(conv_valid(np.pad(X, ((0, 0), (0, 0), (2, 2), (2, 2))), W1) + b1[:, None, None], 0)
    h = np.maximum(conv_valid(h, W2) + b2[:, None, None], 0)
    n, c, H, W = h.shape
    h = h.reshape(n, c, H // 2, 2, W // 2, 2).max(axis=(3, 5)) * 0.75
    z = h.reshape(n, -1) @ W3 + b3
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.slow
@pytest.mark.parametrize("style", ["0.1.3", "0.2.0"])
def test_cnn_script_runs_unchanged(style, tmp_path):
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    script = root / "tests" / "scripts" / ("keras013_cnn.py" if style == "0.1.3" else "keras020_cnn.py")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "keras_legacy.run", "--keras", style, str(script), str(out)],
                            capture_output=True, text=True, cwd=root, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Epoch 1" in result.stdout
    with np.load(str(out) + ".npz") as r:
        np.testing.assert_array_equal(r["reloaded"], r["predict"])
        want = numpy_cnn(r["X"], r["W1"], r["b1"], r["W2"], r["b2"], r["W3"], r["b3"])
        assert rel_err(r["predict"], want) <= 1e-10
