"""Bad input, broken files and interrupted saves: precise errors, nothing lost.

Every check that can run without compiling asserts that no function was
compiled (the error came before any PyTensor graph ran).  The few compiled
functions are module-scoped and tiny.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

from keras_legacy import activations, initializations, objectives, optimizers
from keras_legacy.engine.validation import NonFiniteLossError
from keras_legacy.layers import containers
from keras_legacy.layers.core import Activation, Dense, Dropout, Flatten, Merge, RepeatVector, TimeDistributedDense
from keras_legacy.layers.embeddings import Embedding
from keras_legacy.layers.recurrent import GRU, LSTM, SimpleRNN
from keras_legacy.models import Graph, Sequential, model_from_config, model_from_json, model_from_yaml
from keras_legacy.optimizers import SGD
from keras_legacy.utils import io_utils

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


# --- incompatible layers -------------------------------------------------------------------

def test_feature_size_mismatch_names_both_layers_and_the_fix():
    with pytest.raises(ValueError, match=r"Cannot connect Dense\(input_dim=5.*after Dense\(input_dim=3, output_dim=4\)"
                                         r".*outputs 4 features.*input_dim=4"):
        Sequential([Dense(3, 4), Dense(5, 2)])


@pytest.mark.parametrize("build, pattern", [
    (lambda: [LSTM(3, 4, return_sequences=True), RepeatVector(2)],
     r"RepeatVector takes a 2-D input.*LSTM outputs a 3-D.*return_sequences=False"),
    (lambda: [Dense(3, 4), GRU(4, 2)], r"GRU takes a 3-D input.*Dense outputs a 2-D.*RepeatVector"),
    (lambda: [Embedding(10, 4), RepeatVector(2)], r"RepeatVector takes a 2-D input.*Embedding outputs a 3-D"),
    (lambda: [LSTM(3, 4, return_sequences=True), Dense(5, 2)], r"Dense\(input_dim=5.*LSTM outputs 4 features"),
    (lambda: [Embedding(10, 4), SimpleRNN(5, 2)], r"SimpleRNN\(input_dim=5.*4 features"),
    (lambda: [Dense(3, 4), RepeatVector(2), TimeDistributedDense(3, 2)], r"TimeDistributedDense.*4 features"),
    (lambda: [Dense(3, 4), Activation("relu"), Dropout(0.5), Dense(5, 1)], r"Dense outputs|Dropout outputs 4 features"),
    (lambda: [Dense(3, 4), Embedding(10, 2)], r"Embedding looks up integer indices, but Dense outputs floats"),
])
def test_incompatible_connections_raise_value_error(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        Sequential(build())


def test_compatible_chains_build():
    m = Sequential([Embedding(10, 4), LSTM(4, 3, return_sequences=True), TimeDistributedDense(3, 2),
                    Activation("tanh"), GRU(2, 5), Dropout(0.1), RepeatVector(3), SimpleRNN(5, 2)])
    assert len(m.layers) == 8
    left, right = Sequential([Dense(3, 2)]), Sequential([Dense(4, 5)])
    Sequential([Merge([left, right], mode="concat"), Dense(7, 1)])
    with pytest.raises(ValueError, match=r"outputs 7 features"):
        Sequential([Merge([Sequential([Dense(3, 2)]), Sequential([Dense(4, 5)])], mode="concat"), Dense(6, 1)])
    Sequential([Dense(3, 4), Flatten(), Dense(9, 1)])  # Flatten: size unknown statically, not guessed


def test_graph_node_mismatch():
    g = Graph()
    g.add_input("a", ndim=2)
    g.add_node(Dense(3, 4), name="d1", input="a")
    with pytest.raises(ValueError, match=r"Dense was built for 6 input features.*Dense outputs 4"):
        g.add_node(Dense(6, 1), name="d2", input="d1")
    g.add_node(Dense(2, 5), name="d3", input="a")
    with pytest.raises(ValueError, match=r"outputs 9 features"):
        g.add_node(Dense(8, 1), name="d4", inputs=["d1", "d3"], merge_mode="concat")


# --- registries and set_weights --------------------------------------------------------------

@pytest.mark.parametrize("get, kind, valid", [
    (activations.get, "activation", "tanh"), (initializations.get, "initialization", "glorot_uniform"),
    (objectives.get, "objective", "categorical_crossentropy"), (optimizers.get, "optimizer", "rmsprop"),
])
def test_unknown_names_list_the_valid_ones(get, kind, valid):
    with pytest.raises(ValueError, match=rf"Invalid {kind}: 'nope'\. Expected one of: .*{valid}"):
        get("nope")


def test_unknown_layer_in_config_lists_valid_names():
    cfg = {"name": "Sequential", "layers": [{"name": "os.system", "command": "echo hi"}]}
    with pytest.raises(ValueError, match=r"Invalid layer: 'os.system'\. Expected one of: .*Dense.*LSTM"):
        model_from_config(cfg)


def test_set_weights_wrong_shape_changes_nothing_and_counts_zip_as_in_013():
    m = Sequential([Dense(3, 4), Dense(4, 2)])
    before = _weights(m)
    good = [np.ones_like(w) for w in before]
    bad = list(good)
    bad[1] = np.ones((5,))
    with pytest.raises(ValueError, match=r"array 1 \(b\) has shape \(5,\), expected \(4,\)"):
        m.layers[0].set_weights(bad[:2])
    with pytest.raises(ValueError, match=r"Sequential.set_weights: array 1 has shape \(5,\), expected \(4,\)"):
        m.set_weights(bad)
    assert _same(before, m.get_weights())
    # 0.1.3 zipped arrays with params: a short list sets the first ones, extra arrays are ignored
    m.set_weights(good[:3])
    assert _same(good[:3] + before[3:], m.get_weights())
    m.layers[1].set_weights([2 * good[2], 2 * good[3], np.zeros(7)])
    assert _same(good[:2] + [2 * good[2], 2 * good[3]], m.get_weights())
    m.set_weights(good)
    assert _same(good, m.get_weights())


# --- input checks (raised before anything compiles) ---------------------------------------------

@pytest.fixture()
def dense_model():
    m = Sequential([Dense(3, 2, activation="softmax")])
    m.compile(SGD(lr=0.1), "categorical_crossentropy")
    return m


X3 = np.arange(12.0).reshape(4, 3) / 10.0
Y2 = np.eye(2)[[0, 1, 1, 0]]


@pytest.mark.parametrize("call, error, pattern", [
    (lambda m: m.fit(X3[:, :2], Y2, verbose=0), ValueError, r"Sequential.fit: input X has shape \(4, 2\): 2 features.*input_dim=3"),
    (lambda m: m.predict(X3[None]), ValueError, r"Sequential.predict: input X has shape \(1, 4, 3\) \(3-D\).*takes 2-D arrays \(nb_samples, 3\)"),
    (lambda m: m.evaluate(X3, Y2[:3], verbose=0), ValueError, r"different numbers of samples \(X: 4, y: 3\)"),
    (lambda m: m.fit(X3, Y2[:3], validation_split=0.5, verbose=0), ValueError, r"different numbers of samples"),
    (lambda m: m.train_on_batch(X3[:0], Y2[:0]), ValueError, r"Sequential.train_on_batch: input X is empty"),
    (lambda m: m.fit(np.array([[0.1, np.nan, 0.2]]), Y2[:1], verbose=0), ValueError,
     r"contains NaN or inf \(first at index \(0, 1\)"),
    (lambda m: m.test_on_batch(X3, np.where(Y2 > 0, np.inf, 0.0)), ValueError, r"target y contains NaN or inf"),
    (lambda m: m.predict(X3.astype(str)), TypeError, r"input X has dtype <U.*expected numbers"),
    (lambda m: m.predict_on_batch([X3, X3]), ValueError, r"takes 1 input array\(s\) \(X\), got 2"),
    (lambda m: m.fit(X3, np.array([0, 1, 1, 0]), verbose=0), ValueError, r"target y has shape \(4, 1\).*2 values.*to_categorical"),
    (lambda m: m.fit(X3, Y2[:, :, None], verbose=0), ValueError, r"target y has shape \(4, 2, 1\) \(3-D\).*output is 2-D"),
    (lambda m: m.fit(X3, Y2, validation_data=(X3, Y2[:, :1]), verbose=0), ValueError, r"fit \(validation_data\).*target y"),
    (lambda m: m.predict([[0.1, 0.2, 0.3]] * 2), ValueError, r"takes 1 input array.*got 2"),
])
def test_bad_data_raises_before_compiling(dense_model, call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(dense_model)
    assert dense_model.__dict__.get("_functions") == {}


@pytest.fixture(scope="module")
def embedding_model():
    m = Sequential([Embedding(5, 2)])
    m.compile("sgd", "mse")
    return m


def test_embedding_index_checks(embedding_model):
    m = embedding_model
    with pytest.raises(ValueError, match=r"holds the index 5 but Embedding\(input_dim=5, output_dim=2\) has input_dim=5 "
                                         r"\(valid indices are 0..4\).*input_dim=6"):
        m.predict(np.array([[1, 5]]))
    with pytest.raises(ValueError, match=r"holds the index -6 .*down to -5"):
        m.predict(np.array([[-6, 2]]))
    # as 0.1.3 (allow_input_downcast): float indices are truncated, negative ones count from the end of W
    W0 = m.layers[0].get_weights()[0]
    np.testing.assert_allclose(m.predict(np.array([[1.0, 0.5, 4.9, -1.5]])), W0[[[1, 0, 4, -1]]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.predict(np.array([[-1, -5]])), W0[[[4, 0]]], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"takes 2-D arrays \(nb_samples, sequence_length\) of integer indices"):
        m.predict(np.array([1, 2]))
    # valid indices, as ints or as integral floats (0.1.3 scripts built X with np.zeros), equal W[X]
    W = m.layers[0].get_weights()[0]
    X = np.array([[0, 4, 2], [3, 3, 1]])
    np.testing.assert_allclose(m.predict(X), W[X], rtol=0, atol=1e-12)
    np.testing.assert_allclose(m.predict(X.astype("float64")), W[X], rtol=0, atol=1e-12)


def test_graph_dict_checks():
    g = Graph()
    g.add_input("words", ndim=2, dtype="int")
    g.add_input("feats", ndim=2)
    g.add_node(Embedding(7, 3), name="emb", input="words")
    g.add_node(LSTM(3, 2), name="rnn", input="emb")
    g.add_node(Dense(4, 2), name="dense", input="feats")
    g.add_output("out", inputs=["rnn", "dense"], merge_mode="sum")
    g.compile("sgd", {"out": "mse"})
    words = np.array([[1, 2], [3, 4]])
    feats = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"lacks \['out'\]"):
        g.fit({"words": words, "feats": feats}, verbose=0)
    with pytest.raises(ValueError, match=r"Graph.predict: input 'feats' has shape \(2, 5\).*input_dim=4"):
        g.predict({"words": words, "feats": np.ones((2, 5))})
    with pytest.raises(ValueError, match=r"input 'words' holds the index 9.*input_dim=7"):
        g.predict_on_batch({"words": words + 5, "feats": feats})
    with pytest.raises(ValueError, match=r"different numbers of samples \('words': 2, 'feats': 3\)"):
        g.predict({"words": words, "feats": np.ones((3, 4))})
    with pytest.raises(ValueError, match=r"Graph.train_on_batch: target 'out' has shape \(2, 3\).*2 values"):
        g.train_on_batch({"words": words, "feats": feats, "out": np.ones((2, 3))})
    with pytest.raises(TypeError, match=r"expected a dict"):
        g.predict([words, feats])
    assert g.__dict__.get("_functions") == {}


# --- NaN / inf loss ------------------------------------------------------------------------------

def _numpy_sgd_run(W, b, X, y, lr, batch_size, nb_epoch):
    """0.1.3 SGD (no momentum, no decay) on Dense(linear) + mse, in NumPy: per batch (epoch, batch, W, b, loss)."""
    trace = []
    with np.errstate(all="ignore"):
        for epoch in range(nb_epoch):
            for batch, start in enumerate(range(0, len(X), batch_size)):
                xb, yb = X[start:start + batch_size], y[start:start + batch_size]
                err = xb @ W + b - yb
                loss = np.mean(np.mean(err ** 2, axis=-1))
                trace.append((epoch, batch, W.copy(), b.copy(), loss))
                if not np.isfinite(loss):
                    return trace
                grad = 2.0 * err / err.size
                W, b = W - lr * xb.T @ grad, b - lr * grad.sum(axis=0)
    return trace


def test_fit_stops_on_non_finite_loss_and_keeps_last_good_weights():
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 2.5], [-2.0, 1.0], [1.5, 1.5], [2.0, -0.5]])
    y = np.array([[1.0], [-1.0], [2.0], [0.0], [1.0], [3.0]])
    m = Sequential([Dense(2, 1)])
    m.compile(SGD(lr=1e4), "mse")
    W0, b0 = _weights(m)
    trace = _numpy_sgd_run(W0, b0, X, y, lr=1e4, batch_size=2, nb_epoch=60)
    bad_epoch, bad_batch, _, _, bad_loss = trace[-1]
    assert not np.isfinite(bad_loss) and len(trace) > 3  # the reference diverges after a few good steps
    _, _, W_good, b_good, loss_good = trace[-2]
    assert np.isfinite(loss_good)
    with pytest.raises(NonFiniteLossError, match=rf"training loss became (nan|inf) at epoch {bad_epoch} .*batch {bad_batch} ") as info:
        m.fit(X, y, batch_size=2, nb_epoch=60, shuffle=False, verbose=0)
    err = info.value
    assert isinstance(err, FloatingPointError) and isinstance(err, ValueError)
    assert (err.epoch, err.batch) == (bad_epoch, bad_batch)
    W, b = m.get_weights()
    np.testing.assert_allclose(W, W_good, rtol=1e-9)
    np.testing.assert_allclose(b, b_good, rtol=1e-9)
    assert len(err.history.history.get("loss", [])) == bad_epoch  # finished epochs are in the history


def test_fit_non_finite_on_first_batch_restores_initial_weights():
    m = Sequential([Dense(2, 1)])
    m.compile(SGD(lr=0.1, momentum=0.9), "mse")
    before = _weights(m)
    X = np.full((2, 2), 1e200)  # finite inputs whose squared error overflows to inf
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.mean((X @ before[0] + before[1]) ** 2))
    with pytest.raises(NonFiniteLossError, match=r"became inf at epoch 0 .*batch 0 .*before fit started"):
        m.fit(X, np.array([[-1.0], [-1.0]]), batch_size=2, nb_epoch=2, verbose=0)
    assert _same(before, m.get_weights())
    assert all(np.all(s == 0) for s in m.optimizer.get_state())  # iterations and momentum restored too


# --- weight files: all or nothing ------------------------------------------------------------------

@pytest.fixture()
def saved(tmp_path):
    m = Sequential([Dense(3, 4), Activation("tanh"), Dense(4, 2)])
    path = tmp_path / "w.h5"
    m.save_weights(path)
    other = Sequential([Dense(3, 4), Activation("tanh"), Dense(4, 2)])
    return m, other, path


def _expect_unchanged(model, exc_type, pattern, path):
    before = _weights(model)
    with pytest.raises(exc_type, match=pattern):
        model.load_weights(path)
    assert _same(before, model.get_weights())


def test_truncated_not_hdf5_and_empty_files(saved, tmp_path):
    m, other, path = saved
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 64):
        trunc = tmp_path / f"trunc_{cut}.h5"
        trunc.write_bytes(data[:cut])
        _expect_unchanged(other, io_utils.DamagedWeightsFileError, r"damaged HDF5 file.*truncated.*unchanged", trunc)
    text = tmp_path / "weights.h5"
    text.write_text("<html>404 Not Found</html>")
    _expect_unchanged(other, OSError, r"is not an HDF5 file \(it starts with b'<html>40'\)", text)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    _expect_unchanged(other, ValueError, r"is empty", empty)
    _expect_unchanged(other, FileNotFoundError, r"no such file", tmp_path / "missing.h5")


def test_missing_group_dataset_and_bad_attributes(saved, tmp_path):
    m, other, path = saved
    variants = {
        "no_group": (lambda f: f.__delitem__("layer_2"), r"nb_layers=3 but has no group 'layer_2'"),
        "no_dataset": (lambda f: f["layer_0"].__delitem__("param_1"), r"group 'layer_0' says nb_params=2 but has no dataset 'param_1'"),
        "bad_count": (lambda f: f.attrs.__setitem__("nb_layers", -1), r"nb_layers=-1; expected a non-negative integer"),
        "text_data": (lambda f: (f["layer_2"].__delitem__("param_0"),
                                 f["layer_2"].create_dataset("param_0", data=np.array([b"x", b"y"]))),
                      r"param_0 holds \|S1 data, expected numbers"),
    }
    for name, (damage, pattern) in variants.items():
        broken = tmp_path / f"{name}.h5"
        broken.write_bytes(path.read_bytes())
        with h5py.File(broken, "a") as f:
            damage(f)
        _expect_unchanged(other, io_utils.WeightsFileError, pattern, broken)


def test_file_from_another_model_changes_nothing(tmp_path):
    target = Sequential([Dense(3, 4), Activation("tanh"), Dense(4, 2)])
    cases = [
        (Sequential([Dense(3, 4), Dense(4, 2)]), r"the file holds 2 layers \(nb_layers\) but the model has 3"),
        (Sequential([Dense(3, 4), Activation("tanh"), Dense(4, 3)]),
         r"layer 2 \(group 'layer_2'\), param_0 has shape \(4, 3\), the model expects \(4, 2\)"),
        (Sequential([Dense(3, 4), Activation("tanh"), RepeatVector(1), LSTM(4, 2)]), r"holds 3 layers|holds 4 layers"),
    ]
    for k, (source, pattern) in enumerate(cases):
        path = tmp_path / f"other_{k}.h5"
        source.save_weights(path)
        _expect_unchanged(target, io_utils.WeightsFileError, pattern, path)
    g = Graph()
    g.add_input("x")
    g.add_node(Dense(3, 2), name="d", input="x", create_output=True)
    gpath = tmp_path / "graph.h5"
    g.save_weights(gpath)
    _expect_unchanged(target, ValueError, r"holds a 'graph' group: load it into a Graph model", gpath)
    seq = tmp_path / "seq.h5"
    target.save_weights(seq)
    before = _weights(g)
    with pytest.raises(ValueError, match=r"no 'graph' group.*load it into a Sequential"):
        g.load_weights(seq)
    assert _same(before, g.get_weights())
    g2 = Graph()
    g2.add_input("x")
    g2.add_node(Dense(3, 5), name="d", input="x", create_output=True)
    before = _weights(g2)
    with pytest.raises(io_utils.WeightsFileError, match=r"param_0 has shape \(3, 2\), the model expects \(3, 5\)"):
        g2.load_weights(gpath)
    assert _same(before, g2.get_weights())


def test_a_failure_while_setting_rolls_back(saved, monkeypatch):
    m, other, path = saved
    before = _weights(other)
    original = Dense.set_weights
    calls = []

    def flaky(self, weights):
        calls.append(self)
        if self is other.layers[2] and len(calls) == 2:  # the second Dense, after the first was set
            raise RuntimeError("simulated failure")
        return original(self, weights)

    monkeypatch.setattr(Dense, "set_weights", flaky)
    with pytest.raises(RuntimeError, match="simulated"):
        other.load_weights(path)
    monkeypatch.setattr(Dense, "set_weights", original)
    assert len(calls) == 4  # set, fail, then both Dense layers set back
    assert _same(before, other.get_weights())
    other.load_weights(path)
    assert _same(m.get_weights(), other.get_weights())


# --- saving --------------------------------------------------------------------------------------------

def test_save_leaves_no_temporary_and_usual_mode(saved, tmp_path):
    m, _, path = saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.h5"]
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_overwrite_false_raises_without_reading_stdin(saved, monkeypatch):
    m, other, path = saved
    old = path.read_bytes()

    class NoStdin:
        def read(self, *a):
            raise AssertionError("stdin was read")

        readline = read

        def isatty(self):
            return False

    monkeypatch.setattr(sys, "stdin", NoStdin())
    with pytest.raises(io_utils.WeightsFileExistsError, match=r"already exists and overwrite=False.*overwrite=True"):
        other.save_weights(path)
    assert path.read_bytes() == old


def test_failed_save_keeps_the_old_file(saved, tmp_path, monkeypatch):
    m, other, path = saved
    old = path.read_bytes()

    def boom(group, weights):
        group.attrs["nb_params"] = len(weights)
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(io_utils, "_write_params", boom)
    with pytest.raises(OSError, match="disk full"):
        other.save_weights(path, overwrite=True)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.h5"]


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"folder .*missing.* does not exist"):
        Sequential([Dense(2, 2)]).save_weights(tmp_path / "missing" / "w.h5")


_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    from keras_legacy.layers.core import Dense
    from keras_legacy.models import Sequential

    path = sys.argv[1]
    model = Sequential([Dense(256, 256), Dense(256, 64)])
    shapes = [w.shape for w in model.get_weights()]
    version = 0
    while True:
        version += 1
        model.set_weights([np.full(s, float(version)) for s in shapes])
        model.save_weights(path, overwrite=True)
        print(version, flush=True)
""")


def test_killed_while_saving_leaves_old_or_new_file(tmp_path):
    path = tmp_path / "w.h5"
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rng = np.random.RandomState(0)
    expected_shapes = [(256, 256), (256,), (256, 64), (64,)]
    last_seen = 0
    for round_ in range(4):
        proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, env=env)
        try:
            printed = []
            deadline = time.time() + 120
            while len(printed) < 3:  # let it reach the save loop, then kill at a random moment
                line = proc.stdout.readline()
                assert line or proc.poll() is None, "the saver exited early"
                printed.append(int(line))
                assert time.time() < deadline
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
            rest = proc.stdout.read().split()
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        last_done = int(rest[-1]) if rest else printed[-1]
        layers = io_utils.load_sequential_weights(path)  # a complete file, never a broken one
        arrays = [w for layer in layers for w in layer]
        assert [a.shape for a in arrays] == expected_shapes
        versions = {float(v) for a in arrays for v in np.unique(a)}
        assert len(versions) == 1, f"round {round_}: mixed versions {versions}"
        version = versions.pop()
        # the last version reported saved, or the one being written when the kill came
        assert version in (last_done, last_done + 1), (version, last_done)
        m = Sequential([Dense(256, 256), Dense(256, 64)])
        m.load_weights(path)
        assert all(np.all(w == version) for w in m.get_weights())
        last_seen = version
    assert last_seen >= 3


# --- configs never run code ---------------------------------------------------------------------------

def test_yaml_with_python_tags_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"!!python/object/apply:os.mkdir [{str(marker)!r}]\n"
    with pytest.raises(ValueError, match=r"safe loader that knows only the !!python/tuple tag"):
        model_from_yaml(payload)
    nested = ("name: Sequential\nlayers:\n- name: Dense\n  input_dim: 2\n  output_dim: "
              f"!!python/object/apply:os.mkdir [{str(marker)!r}]\n")
    with pytest.raises(ValueError, match=r"never runs code"):
        model_from_yaml(nested)
    assert not marker.exists()
    # the one tag 0.x YAML carries is read (as a list)
    m = model_from_yaml("name: Sequential\nlayers:\n- name: Reshape\n  dims: !!python/tuple [2, 3]\n")
    assert m.layers[0].dims == (2, 3)


def test_bad_json_and_config_shapes():
    with pytest.raises(ValueError, match=r"model_from_json: the text is not valid JSON"):
        model_from_json("{'name': 'Sequential'")
    with pytest.raises(ValueError, match=r"expected a 'Sequential' or 'Graph' config, got 'Pickle'"):
        model_from_json(json.dumps({"name": "Pickle"}))


class Doubler(Dense):
    """A user layer: Dense with doubled output (registered through custom_objects)."""

    def get_output(self, train=False):
        return 2 * super().get_output(train)


def my_activation(x):
    return x * 3


def test_custom_objects_alias_adds_layers_and_functions():
    m = Sequential([Doubler(2, 3), Dense(3, 1, activation="linear")])
    config = m.get_config()
    config["layers"][1]["activation"] = "my_activation"
    text = json.dumps(config)
    with pytest.raises(ValueError, match=r"Invalid layer: 'Doubler'"):
        model_from_json(text)
    for kwargs in ({"custom_objects": {"Doubler": Doubler, "my_activation": my_activation}},
                   {"custom_layers": {"Doubler": Doubler}, "custom_objects": {"my_activation": my_activation}}):
        rebuilt = model_from_json(text, **kwargs)
        assert isinstance(rebuilt.layers[0], Doubler)
        assert rebuilt.layers[1].activation is my_activation
    with pytest.raises(ValueError, match=r"'Doubler' is given different objects"):
        model_from_json(text, custom_layers={"Doubler": Doubler}, custom_objects={"Doubler": Dense})
    with pytest.raises(TypeError, match=r"custom_objects must be a dict"):
        model_from_json(text, custom_objects=[Doubler])


#: Modules allowed ``import pickle`` (never for configs or weight files), with the reason.
PICKLE_ALLOWED = {
    "datasets/data_utils.py": "keras.datasets files are the release's own Python 2 pickles (mnist.pkl.gz, ...)",
    "datasets/reuters.py": "make_reuters_dataset writes reuters.pkl as 0.x did",
    "py2builtins.py": "the cPickle module name of Python 2 scripts run with keras_legacy.run --py2",
}


def test_no_pickle_or_unsafe_yaml_in_the_package():
    """Configs and weight files never unpickle; pickle is imported only where the 0.x files are pickles."""
    package = os.path.join(ROOT, "keras_legacy")
    offenders = []
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, package).replace(os.sep, "/")
                source = open(path, encoding="utf-8").read()
                for needle in ("import pickle", "import cPickle", "yaml.unsafe_load", "yaml.full_load",
                               "Loader=yaml.Loader", "yaml.UnsafeLoader", "import marshal", "import dill"):
                    if needle in source and not (needle == "import pickle" and relative in PICKLE_ALLOWED):
                        offenders.append((relative, needle))
    assert offenders == []
    for relative in PICKLE_ALLOWED:  # an allowance for a module that no longer pickles is stale
        assert "import pickle" in open(os.path.join(package, relative), encoding="utf-8").read(), relative


def test_containers_module_still_rejects_non_layers():
    with pytest.raises(TypeError, match=r"Sequential.add expects a layer"):
        containers.Sequential().add("Dense")
