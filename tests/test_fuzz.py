"""Hypothesis fuzzing: layer stacks, input shapes and masks never crash with anything but our errors.

Building layers and checking data needs no compilation; the static shapes
(``layer_shapes``) are checked against the symbolic graph's rank.  One small
masked recurrent model is compiled once and fuzzed over shapes, values and
masks, with its outputs compared to a NumPy reference.

Configs and weight files are fuzzed structure-aware: the configs of small
real models (0.1.3, 0.2.0, 0.3, compiled) with one field replaced, deleted,
renamed or made to contain itself, their JSON/YAML text with one insertion,
and valid weight files with one attribute or dataset broken or the file
truncated.  Each must load or raise a ValueError/TypeError/OSError, within
a deadline.
"""

import copy
import json
import os
import signal

import h5py
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_legacy import cli
from keras_legacy.engine import validation
from keras_legacy.layers import checks as layer_shapes
from keras_legacy.layers import convolutional as conv
from keras_legacy.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Masking,
    Merge,
    RepeatVector,
    TimeDistributedDense,
)
from keras_legacy.layers.embeddings import Embedding
from keras_legacy.layers.recurrent import GRU, LSTM, SimpleRNN
from keras_legacy.models import Graph, Sequential, model_from_config, model_from_json, model_from_yaml
from keras_legacy.optimizers import SGD
from keras_legacy.v020.layers.core import Dense as Dense020
from keras_legacy.v020.layers.core import Dropout as Dropout020
from keras_legacy.v020.layers.embeddings import Embedding as Embedding020
from keras_legacy.v020.layers.recurrent import LSTM as LSTM020
from keras_legacy.v03.layers.recurrent import GRU as GRU03
from reference import lstm as numpy_lstm

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

dims = st.integers(1, 5)


@st.composite
def layer_stacks(draw):
    """A list of (kind, kwargs); sizes are drawn independently, so many stacks do not fit."""
    n = draw(st.integers(1, 4))
    return [draw(st.sampled_from(["Dense", "TDD", "SimpleRNN", "GRU", "LSTM", "Embedding", "Activation",
                                  "Dropout", "RepeatVector", "Masking"])) for _ in range(n)], \
        [(draw(dims), draw(dims), draw(st.booleans())) for _ in range(n)]


def _make(kind, a, b, flag):
    if kind == "Dense":
        return Dense(a, b)
    if kind == "TDD":
        return TimeDistributedDense(a, b)
    if kind in ("SimpleRNN", "GRU", "LSTM"):
        return {"SimpleRNN": SimpleRNN, "GRU": GRU, "LSTM": LSTM}[kind](a, b, return_sequences=flag)
    if kind == "Embedding":
        return Embedding(a + 1, b, mask_zero=flag)
    if kind == "Activation":
        return Activation("tanh")
    if kind == "Dropout":
        return Dropout(0.5)
    if kind == "RepeatVector":
        return RepeatVector(a)
    return Masking()


def _build(kinds, sizes):
    model = Sequential()
    for kind, (a, b, flag) in zip(kinds, sizes):
        model.add(_make(kind, a, b, flag))
    return model


@SETTINGS
@given(layer_stacks())
def test_random_stacks_build_or_raise_our_errors(stack):
    kinds, sizes = stack
    try:
        model = _build(kinds, sizes)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert message.startswith("Cannot connect"), message
        return
    # whatever was accepted has a consistent static shape: the graph's rank agrees with layer_shapes
    model.get_input(train=False)  # as compile does: gives a first layer without its own input one
    out = model.get_output(train=False)
    ndim = layer_shapes.output_ndim(model)
    if ndim is not None:
        assert out.ndim == ndim
    # and every consecutive pair that both sides know is compatible
    for prev, layer in zip(model.layers, model.layers[1:]):
        got, want = layer_shapes.output_dim(prev), layer_shapes.expected_input_dim(layer)
        if got is not None and want is not None:
            assert got == want


CONV_KINDS = ["Conv1D", "MaxPool1D", "UpSample1D", "Conv2D", "MaxPool2D", "UpSample2D", "ZeroPad2D",
              "Activation", "Dropout", "Flatten", "Dense", "TDD", "LSTM"]


def _make_conv(kind, a, b, flag):
    if kind == "Conv1D":
        return conv.Convolution1D(a, b, 2, border_mode="same" if flag else "full")
    if kind == "Conv2D":
        return conv.Convolution2D(b, a, 2, 1, border_mode="full" if flag else "same")
    if kind == "MaxPool1D":
        return conv.MaxPooling1D(pool_length=a, ignore_border=flag)
    if kind == "MaxPool2D":
        return conv.MaxPooling2D(poolsize=(a, b), ignore_border=flag)
    if kind == "UpSample1D":
        return conv.UpSample1D(a)
    if kind == "UpSample2D":
        return conv.UpSample2D((a, b))
    if kind == "ZeroPad2D":
        return conv.ZeroPadding2D((a, b))
    if kind == "Flatten":
        return Flatten()
    return _make(kind, a, b, flag)


@SETTINGS
@given(first=st.sampled_from(["Conv1D", "Conv2D"]), rest=st.lists(st.sampled_from(CONV_KINDS), max_size=3),
       sizes=st.lists(st.tuples(dims, dims, st.booleans()), min_size=4, max_size=4))
def test_random_conv_stacks_build_or_raise_our_errors(first, rest, sizes):
    """0.1.3 stacks starting with a convolution: the connection checks know the conv layers' ranks,
    Convolution1D's feature sizes and Convolution2D's channels (stack_size)."""
    try:
        model = Sequential([_make_conv(kind, *size) for kind, size in zip([first] + rest, sizes)])
    except ValueError as exc:
        assert str(exc).startswith("Cannot connect"), str(exc)
        return
    out = model.get_output(train=False)
    ndim = layer_shapes.output_ndim(model)
    if ndim is not None:
        assert out.ndim == ndim
    for prev, layer in zip(model.layers, model.layers[1:]):
        got, want = layer_shapes.output_dim(prev), layer_shapes.expected_input_dim(layer)
        if got is not None and want is not None:
            assert got == want
        if isinstance(layer, conv.Convolution2D) and layer_shapes.output_channels(prev) is not None:
            assert layer_shapes.output_channels(prev) == layer.stack_size


def _array(shape, kind, modulo, special):
    """Values ``k % modulo`` in ``shape``; the first entry replaced by ``special`` (NaN, inf, -1, 2.5...)."""
    x = (np.arange(int(np.prod(shape))) % modulo).astype("float64").reshape(shape)
    if x.size and special is not None:
        x.flat[0] = special
    if kind == "f":
        return x
    if kind == "str":
        return x.astype(str)
    x = np.nan_to_num(np.floor(x), nan=0.0, posinf=0.0)
    return x.astype("int64") if kind == "i" else np.abs(x).astype("uint8")


arrays = st.builds(
    _array,
    st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple),
    st.sampled_from(["f", "i", "u", "str"]),
    st.integers(1, 7),
    st.sampled_from([None, None, 2.5, -1.0, 9.0, np.nan, np.inf, -np.inf]),
)


@SETTINGS
@given(stack=layer_stacks(), x=arrays)
def test_input_checks_accept_or_raise_precisely(stack, x):
    kinds, sizes = stack
    try:
        model = _build(kinds, sizes)
    except ValueError:
        return
    inputs = [model.get_input(train=False)]
    specs = validation.sequential_input_specs(model, inputs)
    try:
        (checked,) = validation.check_inputs([x], specs, "fuzz")
    except (ValueError, TypeError) as exc:
        assert str(exc).startswith("fuzz: input X ")
        return
    # accepted: the rank and sizes are what the first layer takes, values are finite and in range
    spec = specs[0]
    assert checked.ndim == spec.ndim and checked.shape[0] > 0
    if spec.feature_size is not None:
        assert checked.shape[-1] == spec.feature_size
    assert np.all(np.isfinite(checked))
    if spec.indices:
        assert np.all(checked == np.floor(checked)) and checked.min() >= 0
        assert spec.vocab_size is None or checked.max() < spec.vocab_size


# --- one compiled masked model, fuzzed over shapes, values and masks ------------------------------

VOCAB, EMB, HID = 6, 3, 2


@pytest.fixture(scope="module")
def masked_model():
    np.random.seed(7)
    model = Sequential([Embedding(VOCAB, EMB, mask_zero=True), LSTM(EMB, HID), Dense(HID, 1)])
    model.compile("sgd", "mse")
    model.predict(np.array([[1, 2]]))  # compile once
    return model


def _numpy_predict(model, X):
    W_emb = model.layers[0].get_weights()[0]
    lstm_w = model.layers[1].get_weights()
    W, b = model.layers[2].get_weights()
    seq = W_emb[X]
    mask = (X != 0).astype("float64")
    h = numpy_lstm(seq, lstm_w, mask=mask)[:, -1]  # return_sequences=False: the last step
    return h @ W + b


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 3), t=st.integers(1, 5), high=st.integers(1, VOCAB + 2), data=st.data())
def test_masked_model_predict_fuzz(masked_model, n, t, high, data):
    X = np.array(data.draw(st.lists(st.lists(st.integers(0, high - 1), min_size=t, max_size=t),
                                    min_size=n, max_size=n)), dtype="int64").reshape(n, t)
    try:
        out = masked_model.predict(X)
    except ValueError as exc:
        assert n == 0 or X.max() >= VOCAB, str(exc)
        assert "Sequential.predict: input X" in str(exc)
        return
    assert n > 0 and X.max() < VOCAB
    np.testing.assert_allclose(out, _numpy_predict(masked_model, X), rtol=1e-10, atol=1e-12)


# --- configs and weight files: valid-looking, one field broken ------------------------------------------

OUR_ERRORS = (ValueError, TypeError, OSError)


class _Deadline:
    def __init__(self, seconds=20):
        self.seconds = seconds

    def __enter__(self):
        def fire(*_):
            raise TimeoutError(f"more than {self.seconds} s: a hang")
        self.old = signal.signal(signal.SIGALRM, fire)
        signal.alarm(self.seconds)

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.old)
        return False


def _config_templates():
    """Configs of small real models (0.1.3 style), as their to_json() writes them."""
    seq = Sequential([Embedding(5, 3), LSTM(3, 2, return_sequences=True), TimeDistributedDense(2, 2),
                      Dropout(0.1), SimpleRNN(2, 2), Dense(2, 1, W_regularizer="l2")])
    merged = Sequential([Merge([Sequential([Dense(2, 2)]), Sequential([Dense(3, 2)])], mode="concat"),
                         Dense(4, 1)])
    graph = Graph()
    graph.add_input("a", ndim=2)
    graph.add_node(Dense(2, 3), name="d1", input="a")
    graph.add_node(Dense(2, 3), name="d2", input="a")
    graph.add_output("o", inputs=["d1", "d2"], merge_mode="sum")
    v020 = Sequential([Embedding020(5, 3, input_length=4), LSTM020(2), Dropout020(0.1),
                       Dense020(1)])
    v03 = Sequential([Embedding020(6, 3), GRU03(2, go_backwards=True), Dense020(1)])
    compiled = Sequential([Dense(2, 1)])
    compiled.compile(SGD(lr=0.1, momentum=0.9), "mse")
    return [json.loads(m.to_json()) for m in (seq, merged, graph, v020, v03, compiled)]


TEMPLATES = _config_templates()
_DEEP = [[[[[[[[[["deep"]]]]]]]]]]
HOSTILE = [None, [], {}, "", "Dense", "no_such_thing", -1, 0, 1, 2.5, True, 10 ** 12, float("nan"),
           "x" * 10000, _DEEP, {"name": "Dense"}, {"name": ["Dense"]}, [{"name": 3}], ["Dense"]]


def _paths(value, prefix=()):
    """Every path (tuple of keys/indices) into a config."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _mutate(config, path, action, hostile):
    config = copy.deepcopy(config)
    if not path:
        return hostile
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{key}_x"] = parent.pop(key)
    elif action == "self":
        parent[key] = parent  # a value that contains itself
    else:
        parent[key] = hostile
    return config


@st.composite
def broken_configs(draw):
    config = draw(st.sampled_from(TEMPLATES))
    paths = list(_paths(config))
    path = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "rename", "self"]))
    return _mutate(config, path, action, draw(st.sampled_from(HOSTILE)))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(broken_configs())
def test_broken_configs_raise_only_our_errors(config):
    with _Deadline():
        try:
            model_from_config(config)
        except OUR_ERRORS:
            pass


@settings(max_examples=40, deadline=None, derandomize=True)
@given(broken_configs(), st.sampled_from(["json", "yaml"]), st.integers(0, 10 ** 6), st.sampled_from(
    ["", "[", "]", "{", "}", ":", "&a", "*a", "!!python/object:os.system", "\x00", "'", '"', "\n- ", "ÿ"]))
def test_broken_config_text_raises_only_our_errors(config, form, cut, insert):
    try:
        text = json.dumps(config) if form == "json" else yaml.safe_dump(config)
    except (ValueError, TypeError, RecursionError):  # a config containing itself has no text form
        return
    at = cut % (len(text) + 1)
    text = text[:at] + insert + text[at:]
    with _Deadline():
        try:
            (model_from_json if form == "json" else model_from_yaml)(text)
        except OUR_ERRORS:
            pass


_FILE_MODEL_LAYERS = ((3, 2), (2, 1))


def _write_valid(path):
    with h5py.File(path, "w") as f:
        f.attrs["nb_layers"] = len(_FILE_MODEL_LAYERS) + 1
        for k, (a, b) in enumerate(_FILE_MODEL_LAYERS):
            g = f.create_group(f"layer_{k}")
            g.attrs["nb_params"] = 2
            g.create_dataset("param_0", data=np.ones((a, b)))
            g.create_dataset("param_1", data=np.zeros(b))
        f.create_group(f"layer_{len(_FILE_MODEL_LAYERS)}").attrs["nb_params"] = 0


BAD_ATTRS = [-1, 10 ** 9, 2.5, "x", np.array([1, 2]), None]
BAD_DATASETS = ["group", "text", "wrong_shape", "empty", "huge", "scalar", "delete", "int"]


def _break_file(path, target, how):
    with h5py.File(path, "a") as f:
        if target == "nb_layers":
            if how is None:
                del f.attrs["nb_layers"]
            else:
                f.attrs["nb_layers"] = how
            return
        if target == "nb_params":
            if how is None:
                del f["layer_0"].attrs["nb_params"]
            else:
                f["layer_0"].attrs["nb_params"] = how
            return
        g = f["layer_1"]
        del g["param_0"]
        if how == "group":
            g.create_group("param_0")
        elif how == "text":
            g.create_dataset("param_0", data=np.array([b"abc"]))
        elif how == "wrong_shape":
            g.create_dataset("param_0", data=np.ones((5, 5)))
        elif how == "empty":
            g.create_dataset("param_0", data=h5py.Empty("f8"))
        elif how == "huge":
            g.create_dataset("param_0", shape=(2, 10 ** 10), dtype="f8", chunks=(1, 2 ** 16), compression="gzip")
        elif how == "scalar":
            g.create_dataset("param_0", data=1.0)
        elif how == "int":
            g.create_dataset("param_0", data=np.ones((2, 1), dtype="int64"))
        elif how == "delete":
            del f["layer_1"]


breakages = st.one_of(
    st.tuples(st.just("nb_layers"), st.sampled_from(BAD_ATTRS)),
    st.tuples(st.just("nb_params"), st.sampled_from(BAD_ATTRS)),
    st.tuples(st.just("param"), st.sampled_from(BAD_DATASETS)),
    st.tuples(st.just("truncate"), st.floats(0.0, 0.99)),
)


@pytest.fixture(scope="module")
def file_model():
    np.random.seed(2)
    model = Sequential([Dense(3, 2), Dense(2, 1), Activation("tanh")])
    return model


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(breakages)
def test_broken_weight_files_raise_only_our_errors(file_model, tmp_path_factory, breakage):
    path = str(tmp_path_factory.mktemp("w") / "w.h5")
    _write_valid(path)
    target, how = breakage
    if target == "truncate":
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(int(size * how))
    else:
        _break_file(path, target, how)
    before = [w.copy() for w in file_model.get_weights()]
    with _Deadline():
        try:
            file_model.load_weights(path)
        except OUR_ERRORS:
            assert all(np.array_equal(a, b) for a, b in zip(before, file_model.get_weights()))
        try:
            cli.inspect_text(path)
        except OUR_ERRORS:
            pass
    if target == "param" and how in ("wrong_shape", "empty", "huge", "group", "text", "delete"):
        with pytest.raises(OUR_ERRORS):
            file_model.load_weights(path)
