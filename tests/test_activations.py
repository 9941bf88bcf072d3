"""``keras_legacy.activations`` reproduces ``golden/activations.npz`` (values and gradients)."""

from __future__ import annotations

import warnings

import numpy as np
import pytensor.tensor as T
import pytest

from keras_legacy import activations
from keras_legacy import backend as K

NAMES = ["hard_sigmoid", "linear", "relu", "sigmoid", "softmax", "softplus", "tanh",
         "time_distributed_softmax"]
ELEMENTWISE = ["hard_sigmoid", "linear", "relu", "sigmoid", "softplus", "tanh"]


@pytest.fixture(scope="module")
def data(golden):
    with np.load(golden / "activations.npz", allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


@pytest.fixture(scope="module")
def computed(data):
    """Every activation on x, x2d, x3d (+ the elementwise gradients): ONE compiled function."""
    x, x2, x3 = T.vector("x"), T.matrix("x2"), T.tensor3("x3")
    keys, outs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # time_distributed_softmax
        for name in NAMES:
            fn = activations.get(name)
            for suffix, var in (("", x), ("_2d", x2), ("_3d", x3)):
                y = fn(var)
                assert y.ndim == var.ndim, (name, suffix)
                keys.append(name + suffix)
                outs.append(y)
            if name in ELEMENTWISE:
                keys.append(f"grad_{name}")
                outs.append(T.grad(T.sum(fn(x)), x))
    f = K.function([x, x2, x3], outs)
    return dict(zip(keys, f(data["x"], data["x2d"], data["x3d"])))


@pytest.mark.parametrize("name", NAMES)
def test_values(data, computed, name):
    for suffix in ("", "_2d", "_3d"):
        key = name + suffix
        assert computed[key].shape == data[key].shape, key
        np.testing.assert_allclose(computed[key], data[key], rtol=1e-12, atol=1e-15,
                                   err_msg=key)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_gradients(data, computed, name):
    key = f"grad_{name}"
    np.testing.assert_allclose(computed[key], data[key], rtol=1e-12, atol=1e-15, err_msg=key)


def test_against_numpy(data, computed):
    x = data["x"]
    np.testing.assert_allclose(computed["hard_sigmoid"], np.clip(0.2 * x + 0.5, 0, 1),
                               rtol=1e-15)
    np.testing.assert_allclose(computed["relu"], (x + np.abs(x)) / 2, rtol=1e-15)
    np.testing.assert_allclose(computed["sigmoid"], 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(computed["softplus"], np.log1p(np.exp(x)), rtol=1e-14)
    # 1-D softmax: one row of 33 (reshaped to (1, 33) and back).
    e = np.exp(x - x.max())
    np.testing.assert_allclose(computed["softmax"], e / e.sum(), rtol=1e-14)
    assert computed["softmax"].shape == (33,)
    # 3-D softmax is over the last axis (time-distributed).
    x3 = data["x3d"]
    e3 = np.exp(x3 - x3.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(computed["softmax_3d"], e3 / e3.sum(axis=-1, keepdims=True),
                               rtol=1e-14)
    # hard_sigmoid's gradient: 0.2 strictly inside (-2.5, 2.5), 0 outside.
    g = computed["grad_hard_sigmoid"]
    np.testing.assert_array_equal(g[np.abs(x) < 2.5], 0.2)
    np.testing.assert_array_equal(g[np.abs(x) > 2.5], 0.0)


def test_time_distributed_softmax_warns():
    with pytest.warns(DeprecationWarning, match="time_distributed_softmax"):
        activations.time_distributed_softmax(T.tensor3())


def test_registry():
    assert activations.get(None) is activations.linear
    for name in NAMES:
        fn = activations.get(name)
        assert activations.name_of(fn) == name
        assert activations.get(fn) is fn
    with pytest.raises(ValueError, match="hard_sigmoid") as err:
        activations.get("swish")
    assert "swish" in str(err.value)
