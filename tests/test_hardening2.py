"""Hostile files and configs, concurrent saves, silent wrong answers (issue 16).

One test (or one parametrized group) per case of the issue; every hostile
input must end in a ValueError/TypeError/OSError subclass that names the
problem, in bounded time.  Compiled functions are tiny and module-scoped.
"""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytensor
import pytest

from keras_legacy import cli
from keras_legacy.engine import loop_args
from keras_legacy.layers.core import Dense
from keras_legacy.layers.recurrent import LSTM, SimpleRNN
from keras_legacy.models import Graph, Sequential, model_from_config, model_from_json, model_from_yaml
from keras_legacy.utils import io_utils, limits
from keras_legacy.utils.np_utils import to_categorical

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


class _Deadline:
    """Fail (instead of hanging the suite) when a block runs longer than ``seconds``."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def fire(*_):
            raise TimeoutError(f"took more than {self.seconds} s")
        self.old = signal.signal(signal.SIGALRM, fire)
        signal.alarm(self.seconds)
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.old)
        return False


# --- hangs: bounded work for any config text ---------------------------------------------------------

def _yaml_bomb(levels=9, width=9):
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + f"\nname: Sequential\nlayers: *a{levels - 1}\n"


def test_yaml_alias_bomb_is_refused_quickly():
    text = _yaml_bomb()
    assert len(text) < 1200
    with _Deadline(10):
        start = time.monotonic()
        with pytest.raises(ValueError, match=r"expands to more than 1000000 values"):
            model_from_yaml(text)
        assert time.monotonic() - start < 2


@pytest.mark.parametrize("text", ["&a [*a]", "&a {name: Sequential, layers: [*a]}",
                                  "name: Sequential\nlayers: &l [{name: Merge, layers: *l}]\n"])
def test_self_referencing_yaml_is_refused(text):
    with _Deadline(10), pytest.raises(ValueError, match=r"used inside its own anchor"):
        model_from_yaml(text)


def test_deep_json_and_yaml_are_refused_without_recursion_error():
    with _Deadline(10):
        with pytest.raises(ValueError, match=r"nests 100000 levels deep"):
            model_from_json("[" * 100000)
        with pytest.raises(ValueError, match=r"nests more than 100 levels"):
            model_from_yaml("[" * 100000)
        # brackets inside strings do not count
        with pytest.raises(ValueError, match=r"expected a 'Sequential' or 'Graph' config, got 'list'"):
            model_from_json('["' + "[" * 5000 + '"]')


def test_oversized_config_text_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 1000)
    with pytest.raises(ValueError, match=r"the config text has 1001 characters"):
        model_from_json(" " * 1001)


def test_python_config_that_contains_itself_is_refused():
    config = {"name": "Sequential", "layers": []}
    config["layers"].append(config)
    with _Deadline(10), pytest.raises(ValueError, match=r"contains itself"):
        model_from_config(config)
    shared = [{"name": "Dense", "input_dim": 1, "output_dim": 1}]
    for _ in range(40):  # a DAG that would expand to 2**40 layers
        shared = [shared, shared]
    with _Deadline(10), pytest.raises(ValueError, match=r"more than 1000000 values"):
        model_from_config({"name": "Sequential", "layers": shared})


def test_short_repr_is_bounded_for_huge_and_cyclic_values():
    cyclic = [1, 2]
    cyclic.append(cyclic)
    value = {"x": cyclic, "s": "q" * 10 ** 6, "n": 10 ** 100000, "r": list(range(10 ** 6))}
    with _Deadline(10):
        start = time.monotonic()
        text = limits.short_repr(value)
        assert time.monotonic() - start < 0.5
    assert len(text) <= 200 and text.startswith("{'x': [1, 2, ...], 's': 'qqq") and text.endswith("...")
    assert limits.short_repr([1, "a"]) == repr([1, "a"])
    assert limits.short_repr({"a": (1, 2.5)}) == repr({"a": (1, 2.5)})


def test_error_message_of_a_huge_layer_config_is_short():
    layer = {"name": "NoSuchLayer", "junk": list(range(200000))}
    with pytest.raises(ValueError) as info:
        model_from_config({"name": "Sequential", "layers": [layer]})
    assert "NoSuchLayer" in str(info.value) and len(str(info.value)) < 3000


# --- internal errors for user mistakes in configs ----------------------------------------------------

@pytest.mark.parametrize("config, exc, pattern", [
    ({"name": "Sequential", "layers": ["Dense", "Dense"]}, TypeError, r"layers\[0\] is a str \('Dense'\)"),
    ({"name": "Sequential", "layers": [{"name": ["Dense"]}]}, ValueError,
     r"'name': \['Dense'\]; expected 'name': a string"),
    ({"name": "Sequential", "layers": [{"name": "Merge", "mode": "sum"}]}, ValueError, r"Merge config has no 'layers'"),
    ({"name": "Graph", "input_config": [{"ndim": 2}]}, ValueError, r"input_config\[0\] has no 'name' key"),
    ({"name": "Graph", "input_config": [{"name": "a", "ndim": 2}], "node_config": [{"name": "d", "input": ["a"]}],
      "nodes": {"d": {"name": "Dense", "input_dim": 2, "output_dim": 1}}}, TypeError, r"'input': \['a'\]"),
    ({"name": "Graph", "nodes": []}, TypeError, r"'nodes' is a list"),
    ({"name": "Sequential", "layers": [{"name": "Dense", "input_dim": 2, "output_dim": 1,
                                        "W_regularizer": {"l2": 0.1}}]}, ValueError, r"'W_regularizer' has no 'name'"),
    ({"name": "Sequential", "layers": [{"name": "AutoEncoder"}]}, ValueError, r"no 'encoder_config'"),
    ({"name": "Sequential", "layers": {"a": 1}}, TypeError, r"'layers' is a dict"),
    ({"name": "Sequential", "layers": [{"name": "Reshape", "dims": 5}]}, TypeError, r"'dims' is 5; expected a list"),
    ({"name": "Sequential", "layers": [], "optimizer": [1], "loss": "mse"}, TypeError, r"'optimizer' is a list"),
    ({"name": "Sequential", "layers": [{"name": "Dense", "input_dim": 2, "output_dim": 1, "init": True}]},
     TypeError, r"Invalid initialization: expected a name .* or a function, got bool True"),
])
def test_malformed_configs_raise_precise_errors(config, exc, pattern):
    with pytest.raises(exc, match=pattern):
        model_from_config(config)


# --- layer arguments ------------------------------------------------------------------------------------

def test_weight_sizes_are_checked_before_allocating():
    with pytest.raises(TypeError, match=r"Dense: weight 'W' would have shape \(3, '4'\).*integer, got str '4'"):
        Dense(3, "4")
    with _Deadline(10), pytest.raises(ValueError, match=r"Dense: weight 'W' would have shape \(1000000000000, 10\)"
                                                        r".*more than this machine's memory"):
        Dense(10 ** 12, 10)
    with pytest.raises(ValueError, match=r"every size must be >= 1"):
        Dense(3, 0)
    layer = Dense(3, 4.0)  # a whole float is the integer it names (0.x-era NumPy accepted it)
    assert layer.get_weights()[0].shape == (3, 4)


def test_the_same_layer_twice_in_a_sequential_is_refused():
    d = Dense(2, 2)
    with pytest.raises(ValueError, match=r"already in the model"):
        Sequential([d, d])
    model = Sequential([Dense(2, 2)])
    with pytest.raises(ValueError, match=r"already in the model \(or is the model itself\)"):
        model.add(model)


def test_a_graph_node_fed_by_itself_is_refused():
    graph = Graph()
    graph.add_input("a", ndim=2)
    d = Dense(2, 2)
    graph.add_node(d, name="x", input="a")
    with pytest.raises(ValueError, match=r"Graph.add_node\('y'\): this Dense is already used upstream"):
        graph.add_node(d, name="y", input="x")
    assert list(graph.nodes) == ["x"]


def test_json_number_too_long_is_a_json_error():
    with pytest.raises(ValueError, match=r"model_from_json: the text is not valid JSON \(Exceeds the limit"):
        model_from_json('{"name": "Sequential", "layers": [{"name": "Dense", "input_dim": ' + "9" * 5000 + "}]}")


# --- silent wrong results -------------------------------------------------------------------------------

def test_to_categorical_refuses_non_integral_and_out_of_range_labels():
    with pytest.raises(ValueError, match=r"label 1\.7 \(at position 1\) is not a whole number"):
        to_categorical([0, 1.7], 3)
    with pytest.raises(ValueError, match=r"label 4294967297 \(at position 1\) is out of range"):
        to_categorical([0, 2 ** 32 + 1], 3)
    with pytest.raises(ValueError, match=r"label -4 \(at position 1\) is out of range.*down to -3"):
        to_categorical([0, -4], 3)
    # 0.1.3 indexed Y[i, y[i]]: a negative index in [-nb_classes, -1] counts from the last class
    np.testing.assert_array_equal(to_categorical([0, -1], 3), [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match=r"not a whole number"):
        to_categorical([0.0, np.nan], 3)
    with pytest.raises(TypeError, match=r"dtype <U1"):
        to_categorical(["a", "b"], 3)
    # whole floats and the default nb_classes keep the 0.x result
    np.testing.assert_array_equal(to_categorical([0.0, 2.0, 1.0]), np.eye(3)[[0, 2, 1]])
    np.testing.assert_array_equal(to_categorical(np.array([[1], [0]]), 2), [[0.0, 1.0], [1.0, 0.0]])
    assert to_categorical([1, 0], 3.0).shape == (2, 3)


@pytest.fixture(scope="module")
def dense_model():
    np.random.seed(3)
    model = Sequential([Dense(2, 1)])
    model.compile("sgd", "mse")
    return model


def test_fit_loop_arguments(dense_model):
    X, y = np.ones((4, 2)), np.ones((4, 1))
    before = [w.copy() for w in dense_model.get_weights()]
    with pytest.raises(ValueError, match=r"Sequential.fit: nb_epoch must be >= 0, got -1"):
        dense_model.fit(X, y, nb_epoch=-1, verbose=0)
    with pytest.raises(TypeError, match=r"batch_size must be a whole number, got 2.5"):
        dense_model.fit(X, y, nb_epoch=1, batch_size=2.5, verbose=0)
    with pytest.raises(TypeError, match=r"batch_size must be a whole number, got 2.5"):
        dense_model.predict(X, batch_size=2.5)
    with pytest.raises(ValueError, match=r"batch_size must be >= 1, got 0"):
        dense_model.evaluate(X, y, batch_size=0, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, dense_model.get_weights()))
    history = dense_model.fit(X, y, nb_epoch=0, verbose=0)  # 0 epochs: nothing trained, as in 0.x
    assert history.history == {} or all(v == [] for v in history.history.values())
    np.testing.assert_allclose(dense_model.predict(X, batch_size=2.0), X @ before[0] + before[1], rtol=1e-12)


def test_validation_split_that_leaves_no_training_data(dense_model):
    with pytest.raises(ValueError, match=r"validation_split=0.9 of 1 samples leaves no sample for training"):
        dense_model.fit(np.ones((1, 2)), np.ones((1, 1)), nb_epoch=1, validation_split=0.9, verbose=0)
    with pytest.raises(ValueError, match=r"leaves no sample for validation"):
        dense_model.fit(np.ones((3, 2)), np.ones((3, 1)), nb_epoch=1, validation_split=1e-20, verbose=0)


def test_zero_timesteps_and_empty_axes_are_refused(dense_model):
    rnn = Sequential([SimpleRNN(2, 3)])
    rnn.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"input X has shape \(2, 0, 2\): 0 timesteps"):
        rnn.predict(np.zeros((2, 0, 2)))
    with pytest.raises(ValueError, match=r"0 timesteps"):
        rnn.fit(np.zeros((2, 0, 2)), np.zeros((2, 3)), nb_epoch=1, verbose=0)
    with pytest.raises(ValueError, match=r"target y has shape \(2, 0\)"):
        dense_model.fit(np.zeros((2, 2)), np.zeros((2, 0)), nb_epoch=1, verbose=0)


def test_float32_overflow_of_finite_float64_data_is_refused():
    with pytensor.config.change_flags(floatX="float32"):
        np.random.seed(0)
        model = Sequential([Dense(2, 1)])
        model.compile("sgd", "mse")
        with pytest.raises(ValueError, match=r"input X holds values up to 1e\+300 in magnitude, beyond the largest "
                                             r"float32"):
            model.predict(np.array([[1.0, 1e300]]))
        with pytest.raises(ValueError, match=r"target y holds values up to 1e\+40"):
            model.fit(np.ones((2, 2)), np.array([[1.0], [1e40]]), nb_epoch=1, verbose=0)
        W, b = model.get_weights()
        X = np.array([[1e30, -2e30]])  # large but representable: accepted, same numbers as float32 math
        np.testing.assert_allclose(model.predict(X), X.astype("float32") @ W + b, rtol=1e-6)
        # the overflow check looks at finite values only: NaN/inf are not an overflow of the conversion
        with pytest.raises(ValueError, match=r"values up to 5e\+39 in magnitude"):
            loop_args.check_fits_floatx(np.array([np.nan, -5e39, np.inf]), "input X", "predict")
        loop_args.check_fits_floatx(np.array([np.nan, -np.inf, 3e38]), "input X", "predict")


def test_truncate_gradient_zero_predicts_but_refuses_training():
    np.random.seed(1)
    X = np.random.randn(2, 3, 2)
    for fast in (False, True):
        layer = LSTM(2, 2, truncate_gradient=0)
        layer.fast_path = fast
        model = Sequential([layer])
        model.compile("sgd", "mse")
        reference = Sequential([LSTM(2, 2)])
        reference.layers[0].set_weights(layer.get_weights())
        reference.compile("sgd", "mse")
        np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-10)  # forward as in 0.x
        with pytest.raises(ValueError, match=r"LSTM: truncate_gradient=0 cannot be trained"):
            model.train_on_batch(X, np.zeros((2, 2)))


# --- to_onnx of v0.3 go_backwards / stateful --------------------------------------------------------------

def test_to_onnx_go_backwards_matches_predict():
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from keras_legacy.export import to_onnx
    from keras_legacy.v03.layers.recurrent import GRU as GRU03
    from keras_legacy.v03.layers.recurrent import LSTM as LSTM03
    from keras_legacy.v03.layers.recurrent import SimpleRNN as RNN03

    np.random.seed(5)
    X = np.random.randn(2, 5, 3).astype("float32")
    for cls, seqs in ((LSTM03, True), (GRU03, False), (RNN03, True)):
        model = Sequential([cls(4, input_dim=3, go_backwards=True, return_sequences=seqs)])
        model.compile("sgd", "mse")
        session = ort.InferenceSession(to_onnx(model).SerializeToString())
        got = session.run(None, {"input": X})[0]
        np.testing.assert_allclose(got, model.predict(X), rtol=1e-4, atol=1e-5)
    stateful = Sequential([LSTM03(2, batch_input_shape=(1, 2, 3), stateful=True)])
    with pytest.raises(ValueError, match=r"stateful=True"):
        to_onnx(stateful)


# --- lost data: saves -----------------------------------------------------------------------------------

def _racer(path, value, barrier, results):
    barrier.wait()
    try:
        io_utils.save_sequential_weights(path, [[np.full((64, 64), float(value))]], overwrite=False)
        results.put((value, "ok"))
    except FileExistsError:
        results.put((value, "exists"))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put((value, repr(exc)))


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_two_writers_with_overwrite_false_exactly_one_wins(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        path = str(tmp_path / f"race{round_}.h5")
        barrier, results = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_racer, args=(path, v, barrier, results)) for v in range(4)]
        for p in procs:
            p.start()
        outcome = dict(results.get(timeout=60) for _ in procs)
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0
        winners = [v for v, r in outcome.items() if r == "ok"]
        assert len(winners) == 1 and all(r == "exists" for v, r in outcome.items() if v not in winners), outcome
        (stored,), = io_utils.load_sequential_weights(path)
        assert np.all(stored == winners[0])
        assert sorted(os.listdir(tmp_path)) == sorted(f"race{k}.h5" for k in range(round_ + 1))


def test_save_through_a_symlink_writes_the_target(tmp_path):
    target = tmp_path / "real.h5"
    link = tmp_path / "link.h5"
    io_utils.save_sequential_weights(str(target), [[np.zeros(3)]])
    link.symlink_to(target)
    io_utils.save_sequential_weights(str(link), [[np.ones(3)]], overwrite=True)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(io_utils.load_sequential_weights(str(target))[0][0], np.ones(3))
    with pytest.raises(FileExistsError, match=r"already exists"):
        io_utils.save_sequential_weights(str(link), [[np.ones(3)]], overwrite=False)


def test_save_weights_empty_path_and_load_of_a_folder(tmp_path):
    model = Sequential([Dense(2, 1)])
    with pytest.raises(ValueError, match=r"save_weights: the path is empty"):
        model.save_weights("")
    with pytest.raises(IsADirectoryError, match=r"is a directory, not a weight file"):
        model.load_weights(str(tmp_path))


_FSIZE_SCRIPT = textwrap.dedent("""
    import os, resource, signal, sys
    import numpy as np
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
    from keras_legacy.utils import io_utils
    folder = sys.argv[1]
    try:
        io_utils.save_sequential_weights(os.path.join(folder, "w.h5"), [[np.zeros((100, 100))]])
    except OSError as exc:
        print(type(exc).__name__, "|", exc)
    print("files:", sorted(os.listdir(folder)))
""")


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="POSIX file-size limits")
def test_save_hitting_the_file_size_limit_is_a_clear_oserror(tmp_path):
    out = subprocess.run([sys.executable, "-c", _FSIZE_SCRIPT, str(tmp_path)], env=_env(), capture_output=True,
                         text=True, timeout=120)
    assert "WeightsWriteError | [Errno 27] save_weights: could not write" in out.stdout, out.stdout + out.stderr
    assert "file-size limit of this process (20000 bytes" in out.stdout
    assert "files: []" in out.stdout


# --- lost data: convert --------------------------------------------------------------------------------------

def _h5(tmp_path, name="w.h5"):
    path = str(tmp_path / name)
    io_utils.save_sequential_weights(path, [[np.arange(6.0).reshape(2, 3), np.zeros(3)], []])
    return path


def test_convert_refuses_to_overwrite_its_input(tmp_path, capsys):
    path = _h5(tmp_path)
    before = open(path, "rb").read()
    assert cli.main(["convert", path, path]) == 1
    assert "is the input weight file" in capsys.readouterr().err
    other = str(tmp_path / "sub" / ".." / "w.h5")
    os.makedirs(tmp_path / "sub")
    assert cli.main(["convert", path, other]) == 1
    os.link(path, tmp_path / "hard.h5")
    assert cli.main(["convert", path, str(tmp_path / "hard.h5")]) == 1
    assert open(path, "rb").read() == before
    npz = tmp_path / "w.npz"
    npz.write_bytes(b"x")
    assert cli.main(["convert", str(npz), str(npz)]) == 1
    assert npz.read_bytes() == b"x"


def test_convert_writes_exactly_the_named_file(tmp_path, capsys):
    path = _h5(tmp_path)
    out = tmp_path / "out.bin"
    assert cli.main(["convert", path, str(out)]) == 0
    assert f"wrote 2 arrays to {out}" in capsys.readouterr().out
    assert out.exists() and not (tmp_path / "out.bin.npz").exists()
    with np.load(out) as data:
        np.testing.assert_array_equal(data["layer_0_param_0"], np.arange(6.0).reshape(2, 3))
    assert sorted(os.listdir(tmp_path)) == ["out.bin", "w.h5"]


def test_cli_inspect_with_a_python_object_yaml_tag(tmp_path, capsys):
    path = _h5(tmp_path)
    config = tmp_path / "m.yaml"
    config.write_text("!!python/object/apply:os.system ['echo hi']\n")
    assert cli.main(["inspect", path, "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "safe loader" in err and "Traceback" not in err
    config.write_text(_yaml_bomb())
    with _Deadline(10):
        assert cli.main(["inspect", path, "--config", str(config)]) == 1
    assert "expands to more than" in capsys.readouterr().err
    config.write_text("name: Sequential\nlayers: [Dense, Dense]\n")
    assert cli.main(["inspect", path, "--config", str(config)]) == 1
    assert "layers[0] is a str" in capsys.readouterr().err


# --- memory and malformed weight files --------------------------------------------------------------------

def _huge_declared(path, shape=(3, 10 ** 9)):
    with h5py.File(path, "w") as f:
        f.attrs["nb_layers"] = 1
        g = f.create_group("layer_0")
        g.attrs["nb_params"] = 2
        g.create_dataset("param_0", shape=shape, dtype="f8", chunks=(1, 2 ** 16), compression="gzip")
        g.create_dataset("param_1", data=np.zeros(3))


def test_huge_declared_dataset_is_refused_before_reading(tmp_path):
    path = str(tmp_path / "huge.h5")
    _huge_declared(path)
    assert os.path.getsize(path) < 64 * 1024
    with _Deadline(20):
        with pytest.raises(ValueError, match=r"declares shape \(3, 1000000000\) \(24000000000 bytes\)"):
            io_utils.load_sequential_weights(path)
        model = Sequential([Dense(2, 3)])
        with pytest.raises(ValueError, match=r"param_0 declares shape \(3, 1000000000\)"):
            model.load_weights(path)
    path = str(tmp_path / "big.h5")
    _huge_declared(path, (3, 10 ** 8))  # under the absolute limit: the model's shapes refuse it unread
    model = Sequential([Dense(2, 3)])
    before = [w.copy() for w in model.get_weights()]
    with _Deadline(20):
        start = time.monotonic()
        with pytest.raises(ValueError, match=r"the model expects \(2, 3\)"):
            model.load_weights(path)
        assert time.monotonic() - start < 2
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_dataset_without_dataspace(tmp_path):
    path = str(tmp_path / "empty.h5")
    with h5py.File(path, "w") as f:
        f.attrs["nb_layers"] = 1
        g = f.create_group("layer_0")
        g.attrs["nb_params"] = 1
        g.create_dataset("param_0", data=h5py.Empty("f8"))
    with pytest.raises(ValueError, match=r"has no dataspace"):
        io_utils.load_sequential_weights(path)


def test_graph_file_checked_against_the_model_before_reading(tmp_path):
    path = str(tmp_path / "g.h5")
    with h5py.File(path, "w") as f:
        g = f.create_group("graph")
        g.attrs["nb_params"] = 1
        g.create_dataset("param_0", shape=(10 ** 8, 3), dtype="f8", chunks=(2 ** 16, 1), compression="gzip")
    graph = Graph()
    graph.add_input("a", ndim=2)
    graph.add_node(Dense(3, 2), name="d", input="a")
    graph.add_output("o", input="d")
    with _Deadline(20), pytest.raises(ValueError, match=r"holds 1 arrays but the model expects 2"):
        graph.load_weights(path)


_LOCK_HOLDER = textwrap.dedent("""
    import sys, time, h5py
    f = h5py.File(sys.argv[1], "w")
    f["x"] = [1.0]
    f.flush()
    print("open", flush=True)
    time.sleep(60)
""")


def test_a_file_locked_by_a_writer_is_not_called_damaged(tmp_path):
    path = str(tmp_path / "locked.h5")
    env = _env()
    env.pop("HDF5_USE_FILE_LOCKING", None)
    holder = subprocess.Popen([sys.executable, "-c", _LOCK_HOLDER, path], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        if os.environ.get("HDF5_USE_FILE_LOCKING", "").upper() == "FALSE":
            pytest.skip("HDF5 file locking is off in this environment")
        with pytest.raises(OSError, match=r"is locked: another process has it open for writing") as info:
            io_utils.load_sequential_weights(path)
        assert "damaged" not in str(info.value)
        assert isinstance(info.value, io_utils.WeightsFileLockedError)
    finally:
        holder.kill()
        holder.wait(timeout=30)
