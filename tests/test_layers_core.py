"""The core layers of Keras 0.1.3 (keras_legacy.layers.core) against NumPy and the golden configs."""

from __future__ import annotations

import json

import numpy as np
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy import constraints, regularizers
from keras_legacy.layers.core import (
    Activation,
    ActivityRegularization,
    AutoEncoder,
    Dense,
    Dropout,
    Flatten,
    Masking,
    MaxoutDense,
    Merge,
    Permute,
    RepeatVector,
    Reshape,
    TimeDistributedDense,
)
from layer_checks import check_layer, compile_layer

DENSE_KEYS = ["name", "input_dim", "output_dim", "init", "activation", "W_regularizer",
              "b_regularizer", "activity_regularizer", "W_constraint", "b_constraint"]


# --- independent NumPy references -------------------------------------------------

def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_dense(weights, X, act=lambda z: z):
    W, b = weights
    return act(np.einsum("...i,io->...o", X, W) + b)


def np_maxout(weights, X):
    W, b = weights
    z = np.stack([X @ W[k] + b[k] for k in range(W.shape[0])], axis=1)
    return z.max(axis=1)


@pytest.fixture
def X2():
    return np.random.RandomState(7).normal(size=(4, 3))


@pytest.fixture
def X3():
    return np.random.RandomState(8).normal(size=(2, 5, 3))


# --- Dense family -------------------------------------------------------------------

def test_dense_tanh(X2):
    layer = Dense(3, 4, activation="tanh")
    check_layer(layer, X2, lambda w, X: np_dense(w, X, np.tanh),
                param_shapes=[(3, 4), (4,)], config_keys=DENSE_KEYS)
    assert layer.input.ndim == 2 and layer.input_ndim == 2


def test_dense_draws_glorot_uniform_then_zero_bias():
    np.random.seed(99)
    layer = Dense(3, 4)
    np.random.seed(99)
    lim = np.sqrt(6.0 / (3 + 4))
    np.testing.assert_array_equal(layer.get_weights()[0], np.random.uniform(-lim, lim, (3, 4)))
    np.testing.assert_array_equal(layer.get_weights()[1], np.zeros(4))


def test_dense_name_weights_and_config_with_regularizers():
    W = np.arange(6.0).reshape(2, 3)
    b = np.array([1.0, 2.0, 3.0])
    layer = Dense(2, 3, weights=[W, b], name="fc", W_regularizer=regularizers.l2(0.01),
                  activity_regularizer=regularizers.activity_l1(0.1),
                  W_constraint=constraints.maxnorm(3), b_constraint="nonneg")
    np.testing.assert_array_equal(layer.get_weights()[0], W)
    assert (layer.W.name, layer.b.name) == ("fc_W", "fc_b")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["W_regularizer"] == {"name": "WeightRegularizer", "l1": 0.0, "l2": 0.01}
    assert config["b_regularizer"] is None
    assert config["activity_regularizer"] == {"name": "ActivityRegularizer", "l1": 0.1, "l2": 0.0}
    assert config["W_constraint"] == {"name": "MaxNorm", "m": 3}
    assert config["b_constraint"] == {"name": "NonNeg"}
    params, regs, consts, updates = layer.get_params()
    assert params == [layer.W, layer.b]
    assert regs == [layer.W_regularizer, layer.activity_regularizer]
    assert layer.W_regularizer.p is layer.W and layer.activity_regularizer.layer is layer
    assert consts == [layer.W_constraint, layer.b_constraint] and updates == []


def test_dense_without_constraints_gets_identity_constraints():
    _, regs, consts, _ = Dense(2, 3).get_params()
    assert regs == []
    assert [type(c) for c in consts] == [constraints.Constraint, constraints.Constraint]


def test_dense_configs_equal_the_golden_ones(golden):
    imdb = json.loads((golden / "model_imdb_like" / "config.json").read_text())["layers"]
    assert Dense(6, 1).get_config() == imdb[3]
    assert Dropout(0.5).get_config() == imdb[2]
    assert Activation("sigmoid").get_config() == imdb[4]
    seq = json.loads((golden / "model_seq2seq_like" / "config.json").read_text())["layers"]
    assert RepeatVector(4).get_config() == seq[1]
    assert TimeDistributedDense(5, 3).get_config() == seq[3]
    assert Activation("time_distributed_softmax").get_config() == seq[4]
    graph = json.loads((golden / "model_graph" / "config.json").read_text())["nodes"]
    assert Dense(8, 3, activation="softmax").get_config() == graph["dout"]


def test_time_distributed_dense_softmax(X3):
    layer = TimeDistributedDense(3, 4, activation="softmax")
    check_layer(layer, X3, lambda w, X: np_dense(w, X, np_softmax),
                param_shapes=[(3, 4), (4,)], config_keys=DENSE_KEYS)
    assert layer.input.ndim == 3 and layer.supports_masked_input()
    assert not isinstance(layer, Dense)


def test_maxout_dense(X2):
    layer = MaxoutDense(3, 2, nb_feature=3)
    check_layer(layer, X2, np_maxout, param_shapes=[(3, 3, 2), (3, 2)],
                config_keys=DENSE_KEYS[:4] + ["nb_feature"] + DENSE_KEYS[5:])
    assert layer.get_config()["nb_feature"] == 3


# --- Merge / AutoEncoder ------------------------------------------------------------

@pytest.fixture(scope="module")
def merge_pair():
    np.random.seed(3)
    a, b = Dense(3, 2, activation="tanh"), Dense(4, 2)
    return a, b


def test_merge_concat_and_params(merge_pair):
    a, b = merge_pair
    layer = Merge([a, b], mode="concat")
    Xa = np.random.RandomState(1).normal(size=(5, 3))
    Xb = np.random.RandomState(2).normal(size=(5, 4))

    def ref(w, inputs):
        return np.concatenate([np_dense(w[:2], inputs[0], np.tanh), np_dense(w[2:], inputs[1])], -1)

    check_layer(layer, [Xa, Xb], ref, param_shapes=[(3, 2), (2,), (4, 2), (2,)],
                config_keys=["name", "layers", "mode"])
    assert layer.params == [a.W, a.b, b.W, b.b]
    assert layer.input == [a.input, b.input]
    assert layer.get_output_mask() is None and not layer.supports_masked_input()
    config = layer.get_config()
    assert config["mode"] == "concat" and config["layers"] == [a.get_config(), b.get_config()]


def test_merge_sum_mul_ave(merge_pair):
    a, b = merge_pair
    Xa = np.random.RandomState(1).normal(size=(5, 3))
    Xb = np.random.RandomState(2).normal(size=(5, 4))
    outs = [Merge([a, b], mode=m).get_output() for m in ("sum", "mul", "ave")]
    fn = K.function([a.input, b.input], outs)
    w = a.get_weights() + b.get_weights()
    ya, yb = np_dense(w[:2], Xa, np.tanh), np_dense(w[2:], Xb)
    got = fn(Xa, Xb)
    for value, want in zip(got, (ya + yb, ya * yb, (ya + yb) / 2)):
        np.testing.assert_allclose(value, want, rtol=0, atol=1e-12)


def test_merge_errors(merge_pair):
    a, b = merge_pair
    with pytest.raises(ValueError, match="two or more"):
        Merge([a])
    odd = Merge([a, b], mode="join")  # 0.1.3 constructed it and failed when its output was built
    assert odd.get_config()["mode"] == "join"
    with pytest.raises(ValueError, match="Invalid merge mode: 'join'.*sum, mul, concat, ave"):
        odd.get_output()


def test_autoencoder(X2):
    np.random.seed(5)
    enc, dec = Dense(3, 2, activation="tanh"), Dense(2, 3)
    layer = AutoEncoder(enc, dec, output_reconstruction=True)

    def recon(w, X):
        return np_dense(w[2:], np_dense(w[:2], X, np.tanh))

    check_layer(layer, X2, recon, param_shapes=[(3, 2), (2,), (2, 3), (3,)],
                config_keys=["name", "encoder_config", "decoder_config", "output_reconstruction"])
    assert layer.input is enc.input and dec.previous is enc
    code = AutoEncoder(enc, dec, output_reconstruction=False)
    fn = K.function([enc.input], [code.get_output(train=False), code.get_output(train=True)])
    w = code.get_weights()
    hidden, train_out = fn(X2)
    np.testing.assert_allclose(hidden, np_dense(w[:2], X2, np.tanh), rtol=0, atol=1e-12)
    np.testing.assert_allclose(train_out, recon(w, X2), rtol=0, atol=1e-12)


# --- parameterless layers -----------------------------------------------------------

def test_dropout_test_mode_scales_by_retain_prob(X2):
    layer = Dropout(0.3)
    layer.input = T.matrix()
    check_layer(layer, X2, X2 * 0.7, config_keys=["name", "p"])


def test_dropout_p0_is_identity():
    layer = Dropout(0.0)
    layer.input = T.matrix()
    assert layer.get_output(train=True) is layer.input
    assert layer.get_output(train=False) is layer.input


def test_dropout_train_mode_bernoulli_mask():
    p = 0.3
    layer = Dropout(p)
    layer.input = T.matrix()
    fn = compile_layer(layer, train=True)
    X = np.random.RandomState(0).uniform(0.5, 2.0, size=(100, 60))
    out1, out2 = fn(X), fn(X)
    for out in (out1, out2):
        mask = out / X
        assert set(np.unique(np.round(mask, 12))) <= {0.0, 1.0}
        assert abs(mask.mean() - (1 - p)) < 0.03  # 6000 draws: std of the mean ~0.006
    assert not np.array_equal(out1, out2)  # a fresh mask per call


def test_dropout_seeds_its_stream_from_numpy():
    np.random.seed(11)
    Dropout(0.5)
    after = np.random.rand()
    np.random.seed(11)
    np.random.randint(10e6)
    assert np.random.rand() == after  # the constructor draws exactly one randint(10e6)


def test_activation_softmax_3d(X3):
    layer = Activation("softmax")
    layer.input = T.tensor3()
    check_layer(layer, X3, np_softmax(X3), config_keys=["name", "activation", "target", "beta"])
    assert layer.get_config() == {"name": "Activation", "activation": "softmax",
                                  "target": 0, "beta": 0.1}
    with pytest.raises(ValueError, match="Invalid activation"):
        Activation("relux")


def test_reshape(X2):
    X = np.random.RandomState(3).normal(size=(4, 6))
    layer = Reshape(2, 3)
    layer.input = T.matrix()
    check_layer(layer, X, X.reshape(4, 2, 3), config_keys=["name", "dims"])
    assert layer.get_config()["dims"] == (2, 3)
    with pytest.raises(TypeError, match="separate arguments"):
        Reshape((2, 3))


def test_permute(X3):
    layer = Permute((2, 1))
    check_layer(layer, X3, X3.transpose(0, 2, 1), config_keys=["name", "dims"])
    odd = Permute((0, 1))  # 0.1.3 constructed it; dimshuffle failed when the output was built
    assert odd.get_config() == {"name": "Permute", "dims": (0, 1)}
    with pytest.raises(ValueError, match="permutation"):
        odd.get_output()


def test_flatten(X3):
    layer = Flatten()
    layer.input = T.tensor3()
    check_layer(layer, X3, X3.reshape(2, 15), config_keys=["name"])


def test_repeat_vector(X2):
    layer = RepeatVector(3)
    check_layer(layer, X2, np.repeat(X2[:, None, :], 3, axis=1), config_keys=["name", "n"])


def test_activity_regularization(X2):
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    layer.input = T.matrix()
    check_layer(layer, X2, X2, config_keys=["name", "l1", "l2"])
    _, regs, _, _ = layer.get_params()
    assert len(regs) == 1
    fn = K.function([layer.input], regs[0](T.constant(1.5, dtype="float64")))
    want = 1.5 + 0.1 * np.abs(X2).mean(axis=0).sum() + 0.2 * (X2 ** 2).mean(axis=0).sum()
    np.testing.assert_allclose(fn(X2), want, rtol=0, atol=1e-12)


# --- masks --------------------------------------------------------------------------

def test_mask_acceptance():
    masking = Masking()
    for layer in (Dense(3, 2), Flatten(), Reshape(6), RepeatVector(2), MaxoutDense(3, 2)):
        with pytest.raises(ValueError, match="Cannot connect non-masking layer"):
            layer.set_previous(masking)
    tdd, drop, act = TimeDistributedDense(3, 2), Dropout(0.5), Activation("tanh")
    for layer in (tdd, drop, act):
        layer.set_previous(masking)
        assert layer.get_output_mask() is not None
