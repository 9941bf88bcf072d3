# ruff: noqa: E501  (the constructor calls of the golden README tables, one per line)
"""Convolution, pooling, up-sampling, zero-padding and Flatten layers against the original Keras.

Golden files: ``conv013/`` (Keras 0.1.3) and ``conv020/`` (Keras 0.2.0), written
by the original code on Theano 1.0.5 (see their READMEs).  For each release
every layer case is built with its constructor from the README table, given the
file's weights, and checked for ``out``, ``loss = sum(out * R)`` and the
gradients of every param and of X (1e-10 relative, float64), compiled once
with the default (C) mode, ``JAX`` (skipped without jax), ``FAST_COMPILE`` and a plain ``pytensor.function``
(PyTensor's default mode).  All cases of a release share one compiled
function per mode, cached at module scope.
"""

from __future__ import annotations

import json

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy.backend.conv.csource import has_blas
from keras_legacy.backend.pytensor_compat import HAS_JAX
from keras_legacy.layers import convolutional as conv013
from keras_legacy.layers.core import Flatten as Flatten013
from keras_legacy.v020.layers import convolutional as conv020
from keras_legacy.v020.layers.core import Flatten as Flatten020

RTOL = 1e-10
VERSIONS = ("conv013", "conv020")

#: case -> the constructor call of the README tables, per release (same X, weights, R across releases)
CASES_013 = {
    "Convolution1D_full": "Convolution1D(input_dim=4, nb_filter=5, filter_length=3, border_mode='full')",
    "Convolution1D_full_sub2": "Convolution1D(input_dim=4, nb_filter=5, filter_length=3, border_mode='full', subsample_length=2)",
    "Convolution1D_same": "Convolution1D(input_dim=4, nb_filter=5, filter_length=3, border_mode='same')",
    "Convolution1D_same_evenk": "Convolution1D(input_dim=4, nb_filter=5, filter_length=4, border_mode='same')",
    "Convolution1D_same_sub2": "Convolution1D(input_dim=4, nb_filter=5, filter_length=3, border_mode='same', subsample_length=2)",
    "Convolution1D_valid": "Convolution1D(input_dim=4, nb_filter=5, filter_length=3, border_mode='valid')",
    "Convolution1D_valid_relu": "Convolution1D(input_dim=4, nb_filter=5, filter_length=3, activation='relu', border_mode='valid')",
    "Convolution1D_valid_sub2": "Convolution1D(input_dim=4, nb_filter=5, filter_length=3, border_mode='valid', subsample_length=2)",
    "Convolution2D_full": "Convolution2D(4, 3, 3, 3, border_mode='full')",
    "Convolution2D_full_sub2": "Convolution2D(4, 3, 3, 3, border_mode='full', subsample=(2, 2))",
    "Convolution2D_same": "Convolution2D(4, 3, 3, 3, border_mode='same')",
    "Convolution2D_same_evenk": "Convolution2D(4, 3, 2, 4, border_mode='same')",
    "Convolution2D_same_sub2": "Convolution2D(4, 3, 3, 3, border_mode='same', subsample=(2, 2))",
    "Convolution2D_valid": "Convolution2D(4, 3, 3, 3, border_mode='valid')",
    "Convolution2D_valid_sub2": "Convolution2D(4, 3, 3, 3, border_mode='valid', subsample=(2, 2))",
    "Convolution2D_valid_sub21": "Convolution2D(4, 3, 3, 3, border_mode='valid', subsample=(2, 1))",
    "Convolution2D_valid_tanh": "Convolution2D(4, 3, 3, 3, activation='tanh', border_mode='valid')",
    "Flatten_4d": "Flatten()",
    "MaxPooling1D_default": "MaxPooling1D()",
    "MaxPooling1D_global_ibfalse": "MaxPooling1D(ignore_border=False, pool_length=7)",
    "MaxPooling1D_ibfalse": "MaxPooling1D(ignore_border=False)",
    "MaxPooling1D_pool3_stride1": "MaxPooling1D(pool_length=3, stride=1)",
    "MaxPooling1D_pool3_stride2": "MaxPooling1D(pool_length=3, stride=2)",
    "MaxPooling1D_pool3_stride2_ibfalse": "MaxPooling1D(ignore_border=False, pool_length=3, stride=2)",
    "MaxPooling2D_default": "MaxPooling2D()",
    "MaxPooling2D_ibfalse": "MaxPooling2D(ignore_border=False)",
    "MaxPooling2D_pool2_stride1": "MaxPooling2D(poolsize=(2, 2), stride=(1, 1))",
    "MaxPooling2D_pool32_stride12_ibfalse": "MaxPooling2D(ignore_border=False, poolsize=(3, 2), stride=(1, 2))",
    "MaxPooling2D_pool3_stride2": "MaxPooling2D(poolsize=(3, 3), stride=(2, 2))",
    "MaxPooling2D_pool3_stride2_ibfalse": "MaxPooling2D(ignore_border=False, poolsize=(3, 3), stride=(2, 2))",
    "UpSample1D_default": "UpSample1D()",
    "UpSample1D_length3": "UpSample1D(length=3)",
    "UpSample2D_default": "UpSample2D()",
    "UpSample2D_size23": "UpSample2D(size=(2, 3))",
    "ZeroPadding2D_default": "ZeroPadding2D()",
    "ZeroPadding2D_pad21": "ZeroPadding2D(pad=(2, 1))",
}

CASES_020 = {
    "Convolution1D_full": "Convolution1D(5, 3, border_mode='full', input_dim=4, input_length=7)",
    "Convolution1D_full_sub2": "Convolution1D(5, 3, border_mode='full', input_dim=4, input_length=7, subsample_length=2)",
    "Convolution1D_same": "Convolution1D(5, 3, border_mode='same', input_dim=4, input_length=7)",
    "Convolution1D_same_evenk": "Convolution1D(5, 4, border_mode='same', input_dim=4, input_length=7)",
    "Convolution1D_valid": "Convolution1D(5, 3, border_mode='valid', input_dim=4, input_length=7)",
    "Convolution1D_valid_relu": "Convolution1D(5, 3, activation='relu', border_mode='valid', input_dim=4, input_length=7)",
    "Convolution1D_valid_sub2": "Convolution1D(5, 3, border_mode='valid', input_dim=4, input_length=7, subsample_length=2)",
    "Convolution2D_full": "Convolution2D(4, 3, 3, border_mode='full', input_shape=(3, 7, 6))",
    "Convolution2D_full_sub2": "Convolution2D(4, 3, 3, border_mode='full', input_shape=(3, 7, 6), subsample=(2, 2))",
    "Convolution2D_same": "Convolution2D(4, 3, 3, border_mode='same', input_shape=(3, 7, 6))",
    "Convolution2D_same_evenk": "Convolution2D(4, 2, 4, border_mode='same', input_shape=(3, 7, 6))",
    "Convolution2D_valid": "Convolution2D(4, 3, 3, border_mode='valid', input_shape=(3, 7, 6))",
    "Convolution2D_valid_sub2": "Convolution2D(4, 3, 3, border_mode='valid', input_shape=(3, 7, 6), subsample=(2, 2))",
    "Convolution2D_valid_sub21": "Convolution2D(4, 3, 3, border_mode='valid', input_shape=(3, 7, 6), subsample=(2, 1))",
    "Convolution2D_valid_tanh": "Convolution2D(4, 3, 3, activation='tanh', border_mode='valid', input_shape=(3, 7, 6))",
    "Flatten_4d": "Flatten(input_shape=(3, 4, 5))",
    "MaxPooling1D_default": "MaxPooling1D(input_shape=(7, 4))",
    "MaxPooling1D_global_ibfalse": "MaxPooling1D(ignore_border=False, input_shape=(7, 4), pool_length=7)",
    "MaxPooling1D_ibfalse": "MaxPooling1D(ignore_border=False, input_shape=(7, 4))",
    "MaxPooling1D_pool3_stride1": "MaxPooling1D(input_shape=(7, 4), pool_length=3, stride=1)",
    "MaxPooling1D_pool3_stride2": "MaxPooling1D(input_shape=(7, 4), pool_length=3, stride=2)",
    "MaxPooling1D_pool3_stride2_ibfalse": "MaxPooling1D(ignore_border=False, input_shape=(7, 4), pool_length=3, stride=2)",
    "MaxPooling2D_default": "MaxPooling2D(input_shape=(3, 7, 6))",
    "MaxPooling2D_ibfalse": "MaxPooling2D(ignore_border=False, input_shape=(3, 7, 6))",
    "MaxPooling2D_pool2_stride1": "MaxPooling2D(input_shape=(3, 7, 6), pool_size=(2, 2), stride=(1, 1))",
    "MaxPooling2D_pool32_stride12_ibfalse": "MaxPooling2D(ignore_border=False, input_shape=(3, 7, 6), pool_size=(3, 2), stride=(1, 2))",
    "MaxPooling2D_pool3_stride2": "MaxPooling2D(input_shape=(3, 7, 6), pool_size=(3, 3), stride=(2, 2))",
    "MaxPooling2D_pool3_stride2_ibfalse": "MaxPooling2D(ignore_border=False, input_shape=(3, 7, 6), pool_size=(3, 3), stride=(2, 2))",
    "UpSample1D_default": "UpSample1D(input_shape=(3, 2))",
    "UpSample1D_length3": "UpSample1D(input_shape=(3, 2), length=3)",
    "UpSample2D_default": "UpSample2D(input_shape=(2, 2, 3))",
    "UpSample2D_size23": "UpSample2D(input_shape=(2, 2, 3), size=(2, 3))",
    "ZeroPadding1D_default": "ZeroPadding1D(input_shape=(3, 2))",
    "ZeroPadding1D_padding2": "ZeroPadding1D(input_shape=(3, 2), padding=2)",
    "ZeroPadding2D_default": "ZeroPadding2D(input_shape=(2, 2, 3))",
    "ZeroPadding2D_pad21": "ZeroPadding2D(input_shape=(2, 2, 3), padding=(2, 1))",
}

CASES = {"conv013": CASES_013, "conv020": CASES_020}
NAMESPACES = {"conv013": dict(vars(conv013), Flatten=Flatten013),
              "conv020": dict(vars(conv020), Flatten=Flatten020)}
ALL_CASES = [(v, c) for v in VERSIONS for c in CASES[v]]

#: cases also compiled with a plain ``pytensor.function`` (PyTensor's default mode, Numba): every
#: graph builder and quirk once, in one function per release: the 0.1.3 strided ``same`` convolution
#: (padding, strided views, crop in strided coordinates), an even-kernel ``same`` Convolution1D (the
#: asymmetric padding and the sequence reshape), overlapping pools with partial windows (``-inf``
#: padding) and non-overlapping ones (block reshape), repeat, zero padding, Flatten.  Numba compiles
#: each Op from cold (about 20 s per convolution case with its gradient on 2 cores), so the other
#: cases run in the default mode only.
PLAIN_CASES = {
    "conv013": ("Convolution2D_same_sub2", "MaxPooling2D_pool32_stride12_ibfalse", "ZeroPadding2D_pad21",
                "Flatten_4d"),
    "conv020": ("Convolution1D_same_evenk", "MaxPooling1D_default", "UpSample2D_size23"),
}
RUNS = ([(v, c, "default") for v, c in ALL_CASES] + [(v, c, "plain") for v in VERSIONS for c in PLAIN_CASES[v]]
        + [(v, c, mode) for mode in ("JAX", "FAST_COMPILE") for v, c in ALL_CASES])


def make_layer(version, case):
    layer = eval(CASES[version][case], {"__builtins__": {}}, NAMESPACES[version])
    if version == "conv013" and case == "Flatten_4d":
        layer.input = T.tensor4()  # 0.1.3 Flatten has no input of its own (README quirk 8)
    return layer


def load(golden, version, case):
    with np.load(golden / version / f"{case}.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def nb_params(data):
    return sum(1 for k in data if k.startswith("params_"))


#: The Ops of ``keras_legacy.backend.conv`` the layers' graphs (outputs and gradients) hold.
CONV_OPS = {"Conv2D", "Conv2DGradInput", "Conv2DGradKernel", "Conv2DGradBias", "MaxPool2D", "MaxPool2DGrad"}


def build_all(golden, version, mode):
    """One function computing the cases of ``version`` run in ``mode``: ``{case: {key: value}}``."""
    inputs, values, outputs, layout, layers = [], [], [], [], {}
    if mode == "JAX" and not HAS_JAX:
        pytest.skip("jax is not installed (optional extra `jax`): JAX mode not tested")
    for case in (PLAIN_CASES[version] if mode == "plain" else CASES[version]):
        data = load(golden, version, case)
        layer = make_layer(version, case)
        n = nb_params(data)
        if n:
            layer.set_weights([data[f"params_{k}"] for k in range(n)])
        X = layer.get_input()
        out = layer.get_output()
        R = T.TensorType("float64", shape=(None,) * out.ndim)()
        loss = T.sum(out * R)
        inputs += [X, R]
        values += [data["X"], data["R"]]
        outputs += [out, loss] + K.grad(loss, list(layer.params) + [X])
        layout += [(case, key) for key in ["out", "loss"] + [f"grad_{k}" for k in range(n)] + ["grad_X"]]
        layers[case] = layer
    if mode in ("default", "JAX", "FAST_COMPILE"):
        f = K.function(inputs, outputs, mode=None if mode == "default" else mode)
    else:
        f = pytensor.function(inputs, outputs)
    results = {}
    for (case, key), value in zip(layout, f(*values)):
        results.setdefault(case, {})[key] = value
    return results, layers, f


_CACHE = {}


def results_for(golden, version, mode):
    if (version, mode) not in _CACHE:
        _CACHE[version, mode] = build_all(golden, version, mode)
    return _CACHE[version, mode]


def assert_close(got, want, what):
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-300)
    err = float(np.max(np.abs(got - want))) / scale if want.size else 0.0
    assert err <= RTOL, f"{what}: relative error {err:.3e} > {RTOL}"


@pytest.mark.parametrize("version,case,mode", RUNS)
def test_layer_outputs_and_gradients(golden, version, case, mode):
    results, _, _ = results_for(golden, version, mode)
    data = load(golden, version, case)
    got = results[case]
    for key in ["out", "loss"] + [f"grad_{k}" for k in range(nb_params(data))] + ["grad_X"]:
        assert_close(np.asarray(got[key]), data[key], f"{version}/{case} {key} ({mode})")


@pytest.mark.parametrize("version", VERSIONS)
def test_default_mode_runs_c_code(golden, version):
    """The default mode's function holds the convolution and pooling Ops and runs them as C thunks
    (the convolutions when a BLAS is linked; without one they run their ``perform``)."""
    _, _, f = results_for(golden, version, "default")
    assert f.maker.linker.__class__.__name__ != "NumbaLinker" or K.DEFAULT_MODE_NAME == "NUMBA"
    names = {type(node.op).__name__ for node in f.maker.fgraph.apply_nodes}
    assert CONV_OPS <= names, sorted(names)
    if K.DEFAULT_MODE_NAME == "NUMBA":
        return
    in_c = {type(node.op).__name__ for node, thunk in zip(f.vm.nodes, f.vm.thunks) if hasattr(thunk, "cthunk")}
    want = CONV_OPS if has_blas() else {"Conv2DGradBias", "MaxPool2D", "MaxPool2DGrad"}
    assert want <= in_c, sorted(CONV_OPS - in_c)


@pytest.mark.parametrize("version,case", ALL_CASES)
def test_config_matches_golden(golden, version, case):
    want = json.loads((golden / version / f"{case}_config.json").read_text())
    layer = make_layer(version, case)
    assert json.loads(json.dumps(layer.get_config())) == want


@pytest.mark.parametrize("case", [c for c in CASES_020])
def test_020_output_shape_property(golden, case):
    """0.2.0's ``output_shape`` property, its quirk for a global ignore_border=False pool included."""
    data = load(golden, "conv020", case)
    layer = make_layer("conv020", case)
    want = tuple(None if int(v) == -1 else int(v) for v in data["output_shape"])
    assert tuple(layer.output_shape) == want
    got_in = tuple(None if v is None else int(v) for v in layer.input_shape)
    assert got_in == tuple(None if int(v) == -1 else int(v) for v in data["input_shape"])


def test_020_global_pool_shape_quirk(golden):
    data = load(golden, "conv020", "MaxPooling1D_global_ibfalse")
    assert data["out"].shape[1] == 1
    assert make_layer("conv020", "MaxPooling1D_global_ibfalse").output_shape == (None, 6, 4)


def test_013_conv1d_ignores_subsample_length(golden):
    """0.1.3 quirk 4: the strided Convolution1D cases equal the unstrided ones: the same
    shape (a stride would shorten it) and the same values to rounding (two nodes of one
    graph: OpenBLAS may round two identical products differently, e.g. its Haswell dgemm
    by 1 ulp where the buffers' alignment differs)."""
    results, _, _ = results_for(golden, "conv013", "default")
    for base in ("valid", "full", "same"):
        strided = np.asarray(results[f"Convolution1D_{base}_sub2"]["out"])
        plain = np.asarray(results[f"Convolution1D_{base}"]["out"])
        assert strided.shape == plain.shape
        np.testing.assert_allclose(strided, plain, rtol=1e-13, atol=1e-13 * np.abs(plain).max())


@pytest.mark.parametrize("cls_args", [
    ("Convolution1D", "Convolution1D(5, 3, border_mode='same', input_dim=4, input_length=7, subsample_length=2)"),
    ("Convolution2D", "Convolution2D(4, 3, 3, border_mode='same', input_shape=(3, 7, 6), subsample=(2, 2))"),
])
def test_020_same_with_stride_is_refused(cls_args):
    _, call = cls_args
    layer = eval(call, {"__builtins__": {}}, NAMESPACES["conv020"])
    with pytest.raises(ValueError, match="border_mode='same' does not take a stride"):
        layer.get_output()


def test_invalid_border_mode_message():
    with pytest.raises(ValueError, match="Invalid border mode for Convolution2D: 'half'"):
        conv013.Convolution2D(4, 3, 3, 3, border_mode="half")
    with pytest.raises(ValueError, match="Invalid border mode for Convolution1D"):
        conv020.Convolution1D(4, 3, border_mode="circular", input_dim=2)
