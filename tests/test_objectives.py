"""keras_legacy.objectives against the golden objectives.npz and a NumPy reference."""

import numpy as np
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy import objectives

NAMES = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "hinge",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson_loss",
    "squared_hinge",
]
SETS = ["real", "signed", "hinge", "cat", "catsoft", "bin", "edge"]
NONFINITE = {"poisson_loss__hinge", "poisson_loss__signed"}
EPS = 1e-9


# --- an independent NumPy implementation of the 0.1.3 formulas ---------------
def np_objective(name, yt, yp):
    with np.errstate(all="ignore"):
        if name == "mean_squared_error":
            return np.mean((yp - yt) ** 2, axis=-1)
        if name == "mean_absolute_error":
            return np.mean(np.abs(yp - yt), axis=-1)
        if name == "mean_absolute_percentage_error":
            return 100.0 * np.mean(np.abs(yt - yp) / np.maximum(np.abs(yt), EPS), axis=-1)
        if name == "mean_squared_logarithmic_error":
            a = np.log1p(np.maximum(yp, EPS))
            b = np.log1p(np.maximum(yt, EPS))
            return np.mean((a - b) ** 2, axis=-1)
        if name == "hinge":
            return np.mean(np.maximum(0.0, 1.0 - yt * yp), axis=-1)
        if name == "squared_hinge":
            return np.mean(np.maximum(0.0, 1.0 - yt * yp) ** 2, axis=-1)
        if name == "categorical_crossentropy":
            p = np.minimum(np.maximum(yp, EPS), 1 - EPS)
            p = p / p.sum(axis=-1, keepdims=True)
            return -np.sum(yt * np.log(p), axis=-1)
        if name == "binary_crossentropy":
            p = np.minimum(np.maximum(yp, EPS), 1 - EPS)
            return np.mean(-(yt * np.log(p) + (1 - yt) * np.log(1 - p)), axis=-1)
        if name == "poisson_loss":
            return np.mean(yp - yt * np.log(yp + EPS), axis=-1)
    raise KeyError(name)


@pytest.fixture(scope="module")
def data(golden):
    return dict(np.load(golden / "objectives.npz", allow_pickle=False))


@pytest.fixture(scope="module")
def all_objectives_fn():
    yt = T.matrix("y_true")
    yp = T.matrix("y_pred")
    outs = [objectives.get(n)(yt, yp) for n in NAMES]
    return K.function([yt, yp], outs)


def test_epsilon_matches_golden(data):
    assert K.floatx() == "float64"
    assert objectives.epsilon() == float(data["epsilon"]) == 1e-9


@pytest.mark.parametrize("set_name", SETS)
def test_every_objective_matches_golden(data, all_objectives_fn, set_name):
    yt = data[f"{set_name}_y_true"]
    yp = data[f"{set_name}_y_pred"]
    results = all_objectives_fn(yt, yp)
    for name, got in zip(NAMES, results):
        key = f"{name}__{set_name}"
        expected = data[key]
        assert got.shape == expected.shape == (6,)
        nan_ok = key in NONFINITE
        if nan_ok:
            assert not np.all(np.isfinite(expected))
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10, equal_nan=nan_ok, err_msg=key)
        # and an independent NumPy reference
        np.testing.assert_allclose(
            got, np_objective(name, yt, yp), rtol=1e-12, atol=1e-12, equal_nan=nan_ok, err_msg=key
        )


def test_golden_covers_every_key(data):
    expected_keys = {f"{n}__{s}" for n in NAMES for s in SETS}
    golden_keys = {k for k in data if "__" in k}
    assert golden_keys == expected_keys


def test_aliases_and_registry():
    assert objectives.mse is objectives.MSE is objectives.mean_squared_error
    assert objectives.mae is objectives.MAE is objectives.mean_absolute_error
    assert objectives.mape is objectives.MAPE is objectives.mean_absolute_percentage_error
    assert objectives.msle is objectives.MSLE is objectives.mean_squared_logarithmic_error
    assert objectives.get("mse") is objectives.mean_squared_error
    assert objectives.get(objectives.hinge) is objectives.hinge
    assert objectives.name_of(objectives.mse) == "mean_squared_error"
    with pytest.raises(ValueError, match="Invalid objective: 'msee'.*mean_squared_error"):
        objectives.get("msee")


def test_categorical_crossentropy_time_distributed(all_objectives_fn):
    # 3-D targets (as in TimeDistributedDense models): per-timestep values.
    rng = np.random.RandomState(0)
    yp = rng.uniform(0.05, 1.0, size=(2, 3, 4))
    yt = np.eye(4)[rng.randint(0, 4, size=(2, 3))]
    t3 = T.tensor3()
    p3 = T.tensor3()
    f = K.function([t3, p3], objectives.categorical_crossentropy(t3, p3), mode="FAST_COMPILE")
    got = f(yt, yp)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, np_objective("categorical_crossentropy", yt, yp), rtol=1e-12)


def test_epsilon_follows_floatx():
    import pytensor

    with pytensor.config.change_flags(floatX="float32"):
        assert objectives.epsilon() == 1e-7
    assert objectives.epsilon() == 1e-9
