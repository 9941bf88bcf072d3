"""`python -m keras_legacy.run`: Keras 0.x scripts run unchanged; aliases only on request; the Theano facade."""

import importlib
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from keras_legacy import run as kl_run

SCRIPTS = ROOT / "tests" / "scripts"


def _run(args, env_extra=None, timeout=600):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


# --- an independent NumPy forward pass of LSTM(0.1.3) -> Dense -> sigmoid ----------------------

def _hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def _numpy_lstm_last(X, W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o):
    n, steps, _ = X.shape
    h = np.zeros((n, U_i.shape[0]))
    c = np.zeros_like(h)
    for t in range(steps):
        x = X[:, t]
        i = _hard_sigmoid(x @ W_i + b_i + h @ U_i)
        f = _hard_sigmoid(x @ W_f + b_f + h @ U_f)
        c = f * c + i * np.tanh(x @ W_c + b_c + h @ U_c)
        o = _hard_sigmoid(x @ W_o + b_o + h @ U_o)
        h = o * np.tanh(c)
    return h


@pytest.fixture(scope="module")
def script_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("script") / "out.npz"
    result = _run(["-m", "keras_legacy.run", str(SCRIPTS / "keras013_lstm.py"), str(out)])
    return result, out


def test_script_runs_unchanged(script_run):
    result, out = script_run
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "sigmoid(0) = 0.5"
    # one gradient step of sum(sigmoid(v * w)) at v = 1, w = [1, -2], lr 0.5
    s = 1.0 / (1.0 + np.exp(-np.array([1.0, -2.0])))
    w_expected = np.array([1.0, -2.0]) - 0.5 * s * (1 - s)
    assert lines[1] == "w after one step = " + " ".join("%.12f" % a for a in w_expected)
    assert lines[2] == "cumsum = 1 3 6 10"
    assert lines[-1] == f"argv: [{str(out)!r}]"


def test_script_model_matches_numpy(script_run):
    result, out = script_run
    assert result.returncode == 0, result.stderr[-3000:]
    data = np.load(out)
    weights = [data[f"weight_{k}"] for k in range(14)]
    assert [w.shape for w in weights[:3]] == [(3, 5), (5, 5), (5,)]
    h = _numpy_lstm_last(data["X"], *weights[:12])
    expected = 1.0 / (1.0 + np.exp(-(h @ weights[12] + weights[13])))
    np.testing.assert_allclose(data["pred"], expected, rtol=0, atol=1e-10)
    printed = next(line for line in result.stdout.splitlines() if line.startswith("prediction sum"))
    assert printed == "prediction sum = %.12f" % float(data["pred"].sum())
    # training moved the weights away from a fresh np.random.seed(1337) draw: the fit really ran
    assert np.isfinite(data["pred"]).all() and data["pred"].shape == (6, 1)


# --- no alias unless asked for ------------------------------------------------------------------

def test_import_keras_legacy_installs_no_alias():
    code = (
        "import sys, importlib.util\n"
        "import keras_legacy, keras_legacy.run, keras_legacy.theano_alias, keras_legacy.cli\n"
        "assert not any(type(f).__name__ == 'AliasFinder' for f in sys.meta_path)\n"
        "for name in ('keras', 'theano'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except ModuleNotFoundError:\n"
        "        print(name, 'missing')\n"
        "    else:\n"
        "        print(name, 'imported')\n"
        "keras_legacy.run.install_aliases()\n"
        "import keras, theano\n"
        "print('after install:', keras.__name__, theano.__name__)\n"
    )
    result = _run(["-c", code])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "keras missing", "theano missing", "after install: keras_legacy keras_legacy.theano_alias"]


@pytest.fixture
def aliases():
    saved = dict(sys.modules)
    finder = kl_run.install_aliases("0.1.3")
    yield finder
    kl_run.uninstall_aliases()
    assert kl_run.installed_finder() is None
    assert "keras" not in sys.modules and "theano" not in sys.modules
    for name in list(sys.modules):
        if name not in saved and name.partition(".")[0] in ("keras", "theano"):
            del sys.modules[name]


def test_aliases_are_the_same_modules(aliases):
    import keras_legacy.layers.core
    import keras_legacy.layers.recurrent

    core = importlib.import_module("keras.layers.core")
    assert core is keras_legacy.layers.core
    assert importlib.import_module("keras.layers.recurrent").LSTM is keras_legacy.layers.recurrent.LSTM
    # the real module keeps its identity
    assert core.__spec__.name == "keras_legacy.layers.core"
    assert core.__name__ == "keras_legacy.layers.core"
    T = importlib.import_module("theano.tensor")
    assert T is importlib.import_module("keras_legacy.theano_alias.tensor")
    nnet = importlib.import_module("theano.tensor.nnet")
    from keras_legacy import backend as K
    assert nnet.hard_sigmoid is K.hard_sigmoid and T.nnet is nnet
    rng_mrg = importlib.import_module("theano.sandbox.rng_mrg")
    assert rng_mrg.MRG_RandomStreams is K.RandomStreams
    assert importlib.import_module("theano.tensor.shared_randomstreams").RandomStreams is K.RandomStreams
    with pytest.raises(ModuleNotFoundError, match="keras_legacy .*has no keras_legacy.nonexistent"):
        importlib.import_module("keras.nonexistent")
    with pytest.raises(ModuleNotFoundError, match="Theano facade provides"):
        importlib.import_module("theano.tensor.signal.downsample")


def test_install_rejects_bad_versions(monkeypatch):
    with pytest.raises(ValueError, match="expected one of 0.1.3, 0.2.0"):
        kl_run.install_aliases("0.3.0")
    monkeypatch.setitem(kl_run.KERAS_STYLES, "0.2.0", ("keras_legacy.v999", "keras_legacy"))
    with pytest.raises(ModuleNotFoundError, match="needs the package keras_legacy.v999"):
        kl_run.install_aliases("0.2.0")
    assert kl_run.installed_finder() is None
    with pytest.raises(SystemExit) as exc:
        kl_run.main(["--keras", "0.2.0", str(SCRIPTS / "keras013_lstm.py")])
    assert "keras_legacy.v999" in str(exc.value.code) and "--keras 0.1.3" in str(exc.value.code)
    assert kl_run.installed_finder() is None


def test_missing_script_exits_with_message():
    result = _run(["-m", "keras_legacy.run", "no_such_script.py"], timeout=120)
    assert result.returncode == 1
    assert "no such script 'no_such_script.py'" in result.stderr


def test_keras_020_style_resolution():
    finder = kl_run.AliasFinder("0.2.0")
    if importlib.util.find_spec("keras_legacy.v020") is None:
        pytest.skip("keras_legacy.v020 does not exist yet")
    # modules the 0.2.0 style does not redefine come from keras_legacy
    assert finder.resolve("keras.utils.generic_utils") == "keras_legacy.utils.generic_utils"
    assert finder.resolve("keras") == "keras_legacy.v020"
    assert finder.resolve("theano.tensor") == "keras_legacy.theano_alias.tensor"
    assert finder.resolve("json") is None
    if importlib.util.find_spec("keras_legacy.v020.layers.recurrent") is not None:
        assert finder.resolve("keras.layers.recurrent") == "keras_legacy.v020.layers.recurrent"
    # a 0.2.0 package owns its subtree: no silent fallback to a 0.1.3 module of the same name
    if importlib.util.find_spec("keras_legacy.v020.layers") is not None:
        with pytest.raises(ModuleNotFoundError, match="Keras 0.2.0 style"):
            finder.resolve("keras.layers.no_such_module")


def test_theano_flags_floatx_is_honoured():
    code = "import theano\nprint(theano.config.floatX)\n"
    script = SCRIPTS / "print_floatx.py"
    assert script.read_text() == code
    flags = f"base_compiledir={ROOT / '.pytensor_cache'}"
    result = _run(["-m", "keras_legacy.run", str(script)],
                  env_extra={"THEANO_FLAGS": "floatX=float32,device=cpu", "PYTENSOR_FLAGS": flags},
                  timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "float32"


# --- the Theano facade itself -------------------------------------------------------------------

@pytest.fixture(scope="module")
def theano():
    return importlib.import_module("keras_legacy.theano_alias")


def test_theano_names(theano):
    import pytensor
    T = theano.tensor
    x = T.matrix("x")
    v = T.vector("v")
    f = theano.function(
        [x, v],
        [T.round(x), T.abs_(x), T.stack(v.sum(), v.max(), v.min()), T.stack([v, v]),
         T.flatten(x, 1), T.flatten(x.dimshuffle("x", 0, 1), 2), T.nnet.relu(x),
         T.nnet.hard_sigmoid(x), T.nnet.softmax(x)],
    )
    X = np.array([[0.5, -1.5, 2.5], [-0.5, 4.0, -3.2]])
    V = np.array([3.0, -1.0, 2.0])
    rnd, ab, st, st2, fl1, fl2, relu, hs, sm = f(X, V)
    np.testing.assert_array_equal(rnd, [[1.0, -2.0, 3.0], [-1.0, 4.0, -3.0]])  # half away from zero
    np.testing.assert_array_equal(ab, np.abs(X))
    np.testing.assert_array_equal(st, [4.0, 3.0, -1.0])
    np.testing.assert_array_equal(st2, [V, V])
    np.testing.assert_array_equal(fl1, X.ravel())
    np.testing.assert_array_equal(fl2, X.reshape(1, 6))
    np.testing.assert_array_equal(relu, (X + np.abs(X)) / 2)
    np.testing.assert_allclose(hs, np.clip(0.2 * X + 0.5, 0, 1), rtol=0, atol=1e-15)
    e = np.exp(X - X.max(axis=1, keepdims=True))
    np.testing.assert_allclose(sm, e / e.sum(axis=1, keepdims=True), rtol=0, atol=1e-15)
    assert T.round(x, mode="half_to_even").owner is not None
    # C mode by default, Theano's FAST_RUN (the C backend) likewise
    from keras_legacy import backend as K
    assert type(theano.function([v], v + 1).maker.mode.linker) is type(K.get_mode(None).linker)
    assert type(theano.function([v], v + 1, mode="FAST_RUN").maker.mode.linker) is type(K.get_mode(None).linker)
    assert pytensor.config.floatX == theano.config.floatX


def test_theano_broadcast_helpers(theano):
    T = theano.tensor
    m = T.matrix()
    assert T.addbroadcast(m, 1).type.shape == (None, 1)
    col = T.alloc(np.float64(0.0), m.shape[0], 1)
    assert col.type.shape == (None, 1)
    assert T.unbroadcast(col, 1).type.shape == (None, None)
    assert T.patternbroadcast(col, (True, False)).type.shape == (1, None)
    with pytest.raises(ValueError, match="has 3 entries, the variable has 2"):
        T.patternbroadcast(m, (False, False, True))
    s = theano.shared(np.zeros((1, 3)), broadcastable=(True, False))
    assert s.type.shape == (1, None)


def test_theano_config(theano):
    import pytensor
    assert theano.config.device == "cpu"
    theano.config.device = "cpu"
    with pytest.raises(ValueError, match="GPU backend does not exist"):
        theano.config.device = "gpu"
    old = pytensor.config.floatX
    try:
        theano.config.floatX = "float32"
        assert pytensor.config.floatX == "float32"
    finally:
        pytensor.config.floatX = old
    assert theano.config.floatX == old


def test_theano_scan_and_shared_updates(theano):
    T = theano.tensor
    seq = T.vector()
    W = theano.shared(np.array(2.0), name="W")
    # non_sequences as a single variable, as Theano allowed
    outs, updates = theano.scan(lambda a, acc, w: acc + w * a, sequences=seq,
                                outputs_info=T.constant(np.float64(0.0)), non_sequences=W)
    assert len(updates) == 0
    g = T.grad(outs[-1], W)
    f = theano.function([seq], [outs, g], updates={W: W + 1})
    out, grad = f(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [2.0, 6.0, 12.0])
    assert grad == 6.0
    assert W.get_value() == 3.0
    srng = theano.sandbox.rng_mrg.MRG_RandomStreams(seed=123)
    mask = theano.function([], srng.binomial((2000,), p=0.25, dtype="float64"))
    a, b = mask(), mask()
    assert set(np.unique(a)) <= {0.0, 1.0} and not np.array_equal(a, b)
    assert abs(a.mean() - 0.25) < 0.05


def test_keras_020_script():
    if importlib.util.find_spec("keras_legacy.v020.layers.recurrent") is None:
        pytest.skip("keras_legacy.v020 does not exist yet")
    result = _run(["-m", "keras_legacy.run", "--keras", "0.2.0", str(SCRIPTS / "keras020_shapes.py")],
                  timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    module, shapes = result.stdout.splitlines()
    assert module == "keras_legacy.v020.layers.recurrent"
    # LSTM(4) on input_dim 3: W (3,4), U (4,4), b (4,) for i, c, f, o; then Dense(2) on 4 inputs
    assert shapes.split() == ["3x4", "4x4", "4"] * 4 + ["4x2", "2"]


def test_keras_020_training_script_runs_unchanged():
    """A 2015-style 0.2.0 training script (Embedding(mask_zero) -> LSTM -> Dropout -> Dense) runs as written."""
    result = _run(["-m", "keras_legacy.run", "--keras", "0.2.0", str(SCRIPTS / "keras020_imdb_style.py")],
                  timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    assert lines["X_train shape"].strip() == "(40, 8)"
    assert lines["output_shape"].strip() == "(None, 8)"
    score = float(lines["Test score"])
    assert 0.0 < score < 2.0 and np.isfinite(score)
    assert 0.0 <= float(lines["Test accuracy"]) <= 1.0
    assert lines["history"].strip() == "2"
    assert lines["json layers"].split() == ["Embedding", "LSTM", "Dropout", "Dense", "Activation"]
