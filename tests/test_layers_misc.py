"""Embedding, noise, normalization and advanced-activation layers, regularizers and
constraints (Keras 0.1.3), against NumPy and the golden corpus."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy import constraints, regularizers
from keras_legacy.layers.advanced_activations import (
    LeakyReLU,
    ParametricSoftplus,
    PReLU,
    ThresholdedLinear,
    ThresholdedReLU,
    ThresholdedReLu,
)
from keras_legacy.layers.containers import Graph, Sequential
from keras_legacy.layers.core import Activation, Dense, Dropout, Flatten, Merge, RepeatVector, TimeDistributedDense
from keras_legacy.layers.embeddings import Embedding, WordContextProduct
from keras_legacy.layers.noise import GaussianDropout, GaussianNoise
from keras_legacy.layers.normalization import BatchNormalization
from keras_legacy.layers.recurrent import GRU, LSTM
from keras_legacy.utils.layer_utils import get_layer, print_layer_shapes
from layer_checks import check_layer, compile_layer

EMBEDDING_KEYS = ["name", "input_dim", "output_dim", "init", "activity_regularizer",
                  "W_regularizer", "W_constraint"]


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture
def X2():
    return np.random.RandomState(7).normal(size=(5, 4))


# --- embeddings ---------------------------------------------------------------------

def test_embedding_lookup_and_mask():
    ids = np.array([[0, 0, 3, 1], [2, 5, 0, 4]], dtype="int32")
    layer = Embedding(6, 3, mask_zero=True)
    check_layer(layer, ids, lambda w, X: w[0][X], param_shapes=[(6, 3)], config_keys=EMBEDDING_KEYS)
    mask = K.function([layer.input], layer.get_output_mask())(ids)
    np.testing.assert_array_equal(mask, (ids != 0).astype(int))
    assert Embedding(6, 3).get_output_mask() is None
    assert layer.input.dtype == "int32" and layer.input.ndim == 2


def test_embedding_draws_uniform_and_config_matches_golden(golden):
    np.random.seed(21)
    layer = Embedding(20, 8, mask_zero=True)
    np.random.seed(21)
    np.testing.assert_array_equal(layer.get_weights()[0], np.random.uniform(-0.05, 0.05, (20, 8)))
    imdb = json.loads((golden / "model_imdb_like" / "config.json").read_text())["layers"]
    assert layer.get_config() == imdb[0]  # no mask_zero key in 0.1.3


def test_embedding_regularizer_and_constraint():
    layer = Embedding(4, 2, W_regularizer="l2", W_constraint="unitnorm")
    assert layer.get_config()["W_regularizer"] == {"name": "WeightRegularizer", "l1": 0.0, "l2": 0.01}
    assert layer.get_config()["W_constraint"] == {"name": "UnitNorm"}
    params, regs, consts, _ = layer.get_params()
    assert params == [layer.W] and regs == [layer.W_regularizer] and consts == [layer.W_constraint]


def test_word_context_product():
    pairs = np.array([[0, 3], [2, 2], [4, 1]], dtype="int32")
    layer = WordContextProduct(5, proj_dim=3)

    def ref(w, X):
        return np_sigmoid(np.sum(w[0][X[:, 0]] * w[1][X[:, 1]], axis=1, keepdims=True))

    check_layer(layer, pairs, ref, param_shapes=[(5, 3), (5, 3)],
                config_keys=["name", "input_dim", "proj_dim", "init", "activation"])


# --- noise --------------------------------------------------------------------------

def test_gaussian_noise():
    layer = GaussianNoise(0.5)
    layer.input = T.matrix()
    X = np.random.RandomState(0).normal(size=(200, 50))
    check_layer(layer, X, X, config_keys=["name", "sigma"])  # test time: identity
    fn = compile_layer(layer, train=True)
    noise1, noise2 = fn(X) - X, fn(X) - X
    assert abs(noise1.mean()) < 0.02 and abs(noise1.std() - 0.5) < 0.02  # 10000 draws
    assert not np.array_equal(noise1, noise2)


def test_gaussian_dropout():
    p = 0.2
    layer = GaussianDropout(p)
    layer.input = T.matrix()
    X = np.random.RandomState(0).uniform(0.5, 2.0, size=(200, 50))
    check_layer(layer, X, X, config_keys=["name", "p"])
    factor = compile_layer(layer, train=True)(X) / X
    assert abs(factor.mean() - 1.0) < 0.02
    assert abs(factor.std() - np.sqrt(p / (1 - p))) < 0.02
    # 0.1.3 constructed any p; p=1 failed (ZeroDivisionError) when the training graph was built
    one = GaussianDropout(1.0)
    one.input = T.matrix()
    np.testing.assert_array_equal(compile_layer(one, train=False)(X), X)
    with pytest.raises(ValueError, match="p < 1"):
        one.get_output(train=True)


# --- batch normalization ------------------------------------------------------------

def np_bn_stats(X, rm, rs, eps, momentum):
    m = X.mean(axis=0)
    std = np.sqrt(((X - m) ** 2 + eps).mean(axis=0))
    return momentum * rm + (1 - momentum) * m, momentum * rs + (1 - momentum) * std


def test_batchnorm_mode0_running_stats_over_two_batches():
    eps, mom = 1e-6, 0.9
    layer = BatchNormalization((3,), epsilon=eps, momentum=mom)
    gamma, beta = layer.get_weights()
    assert np.all(np.abs(gamma) <= 0.05) and np.all(beta == 0)
    train = K.function([layer.input], layer.get_output(train=True), updates=layer.updates)
    _, _, _, updates = layer.get_params()
    assert [u[0] for u in updates] == [layer.running_mean, layer.running_std]
    test = compile_layer(layer, train=False)
    rng = np.random.RandomState(4)
    rm, rs = np.zeros(3), np.ones(3)
    for _ in range(2):
        X = rng.normal(1.0, 2.0, size=(6, 3))
        out = train(X)  # normalised with the statistics BEFORE this batch's update
        np.testing.assert_allclose(out, gamma * (X - rm) / (rs + eps) + beta, rtol=0, atol=1e-12)
        rm, rs = np_bn_stats(X, rm, rs, eps, mom)
        np.testing.assert_allclose(layer.running_mean.get_value(), rm, rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.running_std.get_value(), rs, rtol=0, atol=1e-12)
        np.testing.assert_allclose(test(X), gamma * (X - rm) / (rs + eps) + beta, rtol=0, atol=1e-12)
    check_layer(layer, X, lambda w, X: w[0] * (X - rm) / (rs + eps) + w[1], fn=test,
                param_shapes=[(3,), (3,)],
                config_keys=["name", "input_shape", "epsilon", "mode"])  # 0.1.3 wrote no momentum


def test_batchnorm_mode1_per_sample():
    eps = 1e-6
    layer = BatchNormalization((4,), mode=1)
    X = np.random.RandomState(5).normal(size=(3, 4))

    def ref(w, X):
        m = X.mean(axis=-1, keepdims=True)
        return w[0] * (X - m) / (X.std(axis=-1, keepdims=True) + eps) + w[1]

    check_layer(layer, X, ref, param_shapes=[(4,), (4,)])
    # 0.1.3 constructed any mode and failed only when the output was built
    odd = BatchNormalization((10, 10), mode=3)
    assert odd.get_config() == {"name": "BatchNormalization", "input_shape": (10, 10), "epsilon": 1e-6, "mode": 3}
    assert [w.shape for w in odd.get_weights()] == [(10, 10), (10, 10)]
    for train in (False, True):
        with pytest.raises(ValueError, match=r"mode must be 0 \(running statistics\) or 1 \(per sample\), got 3"):
            odd.get_output(train=train)


def test_batchnorm_test_formula_reproduces_golden_020_model(golden):
    """port020/model_batchnorm: Dense -> BN -> tanh -> Dense -> softmax, predict from saved weights."""
    d = golden / "port020" / "model_batchnorm"
    w = np.load(d / "final.npz")
    d1, bn, a1, d2, a2 = (Dense(3, 4), BatchNormalization((4,)), Activation("tanh"), Dense(4, 2),
                          Activation("softmax"))
    for prev, layer in ((d1, bn), (bn, a1), (a1, d2), (d2, a2)):
        layer.set_previous(prev)
    d1.set_weights([w["layer_0_param_0"], w["layer_0_param_1"]])
    bn.set_weights([w["layer_1_param_0"], w["layer_1_param_1"]])
    bn.running_mean.set_value(w["layer_1_param_2"])
    bn.running_std.set_value(w["layer_1_param_3"])
    d2.set_weights([w["layer_3_param_0"], w["layer_3_param_1"]])
    out = K.function([d1.input], a2.get_output(False))(np.load(d / "X.npy"))
    np.testing.assert_allclose(out, np.load(d / "predict.npy"), rtol=0, atol=1e-10)


# --- advanced activations -----------------------------------------------------------

def test_leaky_relu(X2):
    layer = LeakyReLU(alpha=0.2)
    layer.input = T.matrix()
    check_layer(layer, X2, np.where(X2 > 0, X2, 0.2 * X2), config_keys=["name", "alpha"])


def test_prelu(X2):
    layer = PReLU((4,))
    assert np.all(layer.get_weights()[0] == 0)
    check_layer(layer, X2, lambda w, X: np.where(X > 0, X, w[0] * X), param_shapes=[(4,)],
                config_keys=["name", "input_shape", "init"])


def test_parametric_softplus(X2):
    layer = ParametricSoftplus((4,))
    np.testing.assert_array_equal(layer.get_weights()[0], np.full(4, 0.2))
    np.testing.assert_array_equal(layer.get_weights()[1], np.full(4, 5.0))
    check_layer(layer, X2, lambda w, X: w[0] * np.log1p(np.exp(w[1] * X)),
                param_shapes=[(4,), (4,)],
                config_keys=["name", "input_shape", "alpha_init", "beta_init"])


def test_thresholded_linear(X2):
    layer = ThresholdedLinear(theta=0.5)
    layer.input = T.matrix()
    check_layer(layer, X2, np.where(np.abs(X2) < 0.5, 0.0, X2), config_keys=["name", "theta"])


def test_thresholded_relu(X2):
    assert ThresholdedReLU is ThresholdedReLu
    layer = ThresholdedReLu(theta=0.5)
    layer.input = T.matrix()
    check_layer(layer, X2, np.where(X2 > 0.5, X2, 0.0), config_keys=["name", "theta"])


# --- regularizers and constraints ---------------------------------------------------

def test_regularizers_values_and_configs(X2):
    W_value = np.random.RandomState(9).normal(size=(4, 3))
    dense = Dense(4, 3, weights=[W_value, np.zeros(3)], W_regularizer=regularizers.l1l2(0.1, 0.2),
                  b_regularizer="l2", activity_regularizer=regularizers.activity_l1l2(0.3, 0.4))
    _, regs, _, _ = dense.get_params()
    loss = T.constant(2.0, dtype="float64")
    values = K.function([dense.input], [r(loss) for r in regs])(X2)
    Y = X2 @ W_value
    want = [2.0 + 0.1 * np.abs(W_value).sum() + 0.2 * (W_value ** 2).sum(),
            2.0,  # b is zero
            2.0 + 0.3 * np.abs(Y).mean(axis=0).sum() + 0.4 * (Y ** 2).mean(axis=0).sum()]
    np.testing.assert_allclose(values, want, rtol=0, atol=1e-12)
    assert regularizers.identity()(loss) is loss
    assert regularizers.get("activity_l2").get_config() == {"name": "ActivityRegularizer",
                                                             "l1": 0.0, "l2": 0.01}
    assert regularizers.get("WeightRegularizer", {"l1": 0.5}).get_config() == {
        "name": "WeightRegularizer", "l1": 0.5, "l2": 0.0}
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="Invalid regularizer: 'l3'. Expected one of:.*l1l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="set_param"):
        regularizers.WeightRegularizer(l2=0.1)(loss)


def test_constraints_values_and_configs():
    P = np.random.RandomState(10).normal(size=(4, 3)) * 2.0
    p = T.matrix()
    fn = K.function([p], [constraints.maxnorm(1.5)(p), constraints.nonneg()(p),
                          constraints.unitnorm()(p), constraints.identity()(p)])
    maxnorm, nonneg, unitnorm, same = fn(P)
    norms = np.sqrt((P ** 2).sum(axis=0))
    np.testing.assert_allclose(maxnorm, P * np.clip(norms, 0, 1.5) / (1e-7 + norms), rtol=0, atol=1e-12)
    assert np.all(np.sqrt((maxnorm ** 2).sum(axis=0)) <= 1.5 + 1e-9)
    np.testing.assert_array_equal(nonneg, np.where(P >= 0, P, 0.0))
    np.testing.assert_allclose(unitnorm, P / np.sqrt((P ** 2).sum(axis=-1, keepdims=True)),
                               rtol=0, atol=1e-12)
    np.testing.assert_array_equal(same, P)
    assert constraints.get("maxnorm", {"m": 3}).get_config() == {"name": "MaxNorm", "m": 3}
    assert constraints.get({"name": "MaxNorm", "m": 4}).m == 4
    assert constraints.get("nonneg").get_config() == {"name": "NonNeg"}
    with pytest.raises(ValueError, match="Invalid constraint: 'maxnrom'"):
        constraints.get("maxnrom")


# --- the layers inside the golden 0.1.3 models --------------------------------------

def _chain(layers):
    for prev, layer in zip(layers, layers[1:]):
        layer.set_previous(prev)
    return layers


def _set_from_npz(layers, npz):
    for k, layer in enumerate(layers):
        n = len(layer.params)
        layer.set_weights([npz[f"layer_{k}_param_{i}"] for i in range(n)])


def _seed(golden, model):
    manifest = json.loads((golden / "manifest.json").read_text())
    return manifest["parts"]["models"][model]["np_random_seed_before_build"]


def _assert_init(layers, npz):
    """Keras' own initial weights.  The recurrent layers' ``orthogonal`` matrices are
    compared up to sign (the SVD signs depend on the LAPACK build, golden README §4);
    the draws of every other layer must match exactly, so the draw order is checked."""
    for k, layer in enumerate(layers):
        for i, w in enumerate(layer.get_weights()):
            want = npz[f"layer_{k}_param_{i}"]
            if isinstance(layer, (LSTM, GRU)):
                w, want = np.abs(w), np.abs(want)
            np.testing.assert_allclose(w, want, rtol=0, atol=1e-12)


def test_golden_imdb_like_init_and_predict(golden):
    """Embedding(mask_zero) -> LSTM -> Dropout(0.5) -> Dense -> sigmoid: Keras' own init draws
    (the Dropout constructor draws its seed between the LSTM and the Dense) and the
    test-time prediction from the saved weights (Dropout scales by 0.5)."""
    d = golden / "model_imdb_like"
    np.random.seed(_seed(golden, "imdb_like"))
    layers = _chain([Embedding(20, 8, mask_zero=True), LSTM(8, 6), Dropout(0.5), Dense(6, 1),
                     Activation("sigmoid")])
    _assert_init(layers, np.load(d / "init.npz"))
    _set_from_npz(layers, np.load(d / "final.npz"))
    out = K.function([layers[0].input], layers[-1].get_output(False))(np.load(d / "X.npy"))
    np.testing.assert_allclose(out, np.load(d / "predict.npy"), rtol=0, atol=1e-10)


def test_golden_masked_loss_predict(golden):
    """Embedding(mask_zero) -> LSTM(return_sequences) -> TimeDistributedDense -> softmax."""
    d = golden / "model_masked_loss"
    np.random.seed(_seed(golden, "masked_loss"))
    layers = _chain([Embedding(12, 5, mask_zero=True), LSTM(5, 4, return_sequences=True),
                     TimeDistributedDense(4, 4), Activation("softmax")])
    _assert_init(layers, np.load(d / "init.npz"))
    assert layers[-1].get_output_mask() is not None  # the mask reaches the loss
    _set_from_npz(layers, np.load(d / "final.npz"))
    fn = K.function([layers[0].input], layers[-1].get_output(False))
    np.testing.assert_allclose(fn(np.load(d / "X.npy")), np.load(d / "predict.npy"), rtol=0, atol=1e-10)
    np.testing.assert_allclose(fn(np.load(d / "X_post.npy")), np.load(d / "predict_post.npy"),
                               rtol=0, atol=1e-10)


def test_golden_seq2seq_like_predict(golden):
    """GRU -> RepeatVector -> GRU(return_sequences) -> TimeDistributedDense -> td softmax."""
    d = golden / "model_seq2seq_like"
    np.random.seed(_seed(golden, "seq2seq_like"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        layers = _chain([GRU(3, 5), RepeatVector(4), GRU(5, 5, return_sequences=True),
                         TimeDistributedDense(5, 3), Activation("time_distributed_softmax")])
        _assert_init(layers, np.load(d / "init.npz"))
        _set_from_npz(layers, np.load(d / "final.npz"))
        out = K.function([layers[0].input], layers[-1].get_output(False))(np.load(d / "X.npy"))
    np.testing.assert_allclose(out, np.load(d / "predict.npy"), rtol=0, atol=1e-10)


# --- keras.utils.layer_utils.print_layer_shapes ----------------------------------------------------

def test_print_layer_shapes_of_sequential_merge_and_graph(capsys):
    model = Sequential()
    model.add(Dense(3, 4))
    model.add(RepeatVector(5))
    model.add(Flatten())
    print_layer_shapes(model, input_shapes=(2, 3))
    assert capsys.readouterr().out.splitlines() == [
        "input shapes :  (2, 3)", "shape after Dense: (2, 4)", "shape after RepeatVector: (2, 5, 4)",
        "shape after Flatten: (2, 20)"]

    left, right = Sequential(), Sequential()
    left.add(Dense(3, 2))
    right.add(Dense(6, 2))
    merged = Sequential()
    merged.add(Merge([left, right], mode="concat"))
    print_layer_shapes(merged, input_shapes=[(7, 3), (7, 6)])
    assert capsys.readouterr().out.splitlines()[1:] == ["shape after Merge: (7, 4)"]

    graph = Graph()
    graph.add_input(name="a", ndim=2)
    graph.add_node(Dense(3, 2), name="d", input="a")
    graph.add_output(name="out", input="d")
    print_layer_shapes(graph, input_shapes={"a": (4, 3)})
    assert capsys.readouterr().out.splitlines()[1:] == ["shape after Dense: (4, 2)"]
    with pytest.raises(ValueError, match="no shape for the Graph input"):
        print_layer_shapes(graph, input_shapes={"b": (4, 3)})
    with pytest.raises(ValueError, match="2 input"):
        print_layer_shapes(merged, input_shapes=(7, 3))


def test_get_layer_builds_by_name_with_0_1_3_constructors():
    layer = get_layer("Dense", {"input_dim": 3, "output_dim": 4, "activation": "relu"})
    assert isinstance(layer, Dense)
    assert layer.get_config()["input_dim"] == 3 and layer.W.get_value().shape == (3, 4)
    assert get_layer(layer) is layer
    assert isinstance(get_layer("Dropout", {"p": 0.5}), Dropout)

    class Twice(Activation):
        pass

    assert isinstance(get_layer("Twice", {"activation": "linear"}, custom_layers={"Twice": Twice}), Twice)
    with pytest.raises(ValueError, match="Invalid layer: 'Dense3'"):
        get_layer("Dense3", {})
