"""The 0.2.0 layer classes: ordinary subclasses with the 0.2.0 signatures, weights drawn as 0.1.3 draws them."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from keras_legacy.layers import advanced_activations as a013
from keras_legacy.layers import core as c013
from keras_legacy.layers import normalization as n013
from keras_legacy.layers import recurrent as r013
from keras_legacy.v020.layers import advanced_activations as a020
from keras_legacy.v020.layers import core as c020
from keras_legacy.v020.layers import embeddings as e020
from keras_legacy.v020.layers import noise as no020
from keras_legacy.v020.layers import normalization as n020
from keras_legacy.v020.layers import recurrent as r020

#: ``__init__`` parameters (name, default) of keras-0.2.0-api.md; ``...`` marks no default.
SIGNATURES = {
    c020.Dense: [("output_dim", ...), ("init", "glorot_uniform"), ("activation", "linear"), ("weights", None),
                 ("W_regularizer", None), ("b_regularizer", None), ("activity_regularizer", None),
                 ("W_constraint", None), ("b_constraint", None), ("input_dim", None), ("kwargs", ...)],
    c020.TimeDistributedDense: [
        ("output_dim", ...), ("init", "glorot_uniform"), ("activation", "linear"), ("weights", None),
        ("W_regularizer", None), ("b_regularizer", None), ("activity_regularizer", None),
        ("W_constraint", None), ("b_constraint", None), ("input_dim", None), ("input_length", None),
        ("kwargs", ...)],
    c020.MaxoutDense: [("output_dim", ...), ("nb_feature", 4), ("init", "glorot_uniform"), ("weights", None),
                       ("W_regularizer", None), ("b_regularizer", None), ("activity_regularizer", None),
                       ("W_constraint", None), ("b_constraint", None), ("input_dim", None), ("kwargs", ...)],
    c020.Dropout: [("p", ...), ("kwargs", ...)],
    c020.Activation: [("activation", ...), ("target", 0), ("beta", 0.1), ("kwargs", ...)],
    c020.Reshape: [("dims", ...), ("kwargs", ...)],
    c020.Flatten: [("kwargs", ...)],
    c020.RepeatVector: [("n", ...), ("kwargs", ...)],
    c020.Masking: [("mask_value", 0.0), ("kwargs", ...)],
    no020.GaussianNoise: [("sigma", ...), ("kwargs", ...)],
    a020.LeakyReLU: [("alpha", 0.3), ("kwargs", ...)],
    a020.PReLU: [("init", "zero"), ("weights", None), ("kwargs", ...)],
    a020.ParametricSoftplus: [("alpha_init", 0.2), ("beta_init", 5.0), ("weights", None), ("kwargs", ...)],
    n020.BatchNormalization: [("epsilon", 1e-6), ("mode", 0), ("momentum", 0.9), ("weights", None),
                              ("kwargs", ...)],
    e020.Embedding: [("input_dim", ...), ("output_dim", ...), ("init", "uniform"), ("input_length", None),
                     ("W_regularizer", None), ("activity_regularizer", None), ("W_constraint", None),
                     ("mask_zero", False), ("weights", None), ("kwargs", ...)],
    r020.SimpleRNN: [("output_dim", ...), ("init", "glorot_uniform"), ("inner_init", "orthogonal"),
                     ("activation", "sigmoid"), ("weights", None), ("truncate_gradient", -1),
                     ("return_sequences", False), ("input_dim", None), ("input_length", None), ("kwargs", ...)],
    r020.SimpleDeepRNN: [("output_dim", ...), ("depth", 3), ("init", "glorot_uniform"),
                         ("inner_init", "orthogonal"), ("activation", "sigmoid"),
                         ("inner_activation", "hard_sigmoid"), ("weights", None), ("truncate_gradient", -1),
                         ("return_sequences", False), ("input_dim", None), ("input_length", None),
                         ("kwargs", ...)],
    r020.LSTM: [("output_dim", ...), ("init", "glorot_uniform"), ("inner_init", "orthogonal"),
                ("forget_bias_init", "one"), ("activation", "tanh"), ("inner_activation", "hard_sigmoid"),
                ("weights", None), ("truncate_gradient", -1), ("return_sequences", False), ("input_dim", None),
                ("input_length", None), ("kwargs", ...)],
    r020.JZS2: [("output_dim", ...), ("init", "glorot_uniform"), ("inner_init", "orthogonal"),
                ("activation", "tanh"), ("inner_activation", "sigmoid"), ("weights", None),
                ("truncate_gradient", -1), ("return_sequences", False), ("input_dim", None),
                ("input_length", None), ("kwargs", ...)],
}


@pytest.mark.parametrize("cls", list(SIGNATURES), ids=lambda c: f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}")
def test_signature_is_the_020_one(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    got = [(p.name, ... if p.default is inspect.Parameter.empty else p.default) for p in params]
    assert got == SIGNATURES[cls]
    assert type(cls) is type and "__signature__" not in vars(cls.__init__)


def _draw(make, seed=1234):
    np.random.seed(seed)
    layer = make()
    return [w.copy() for w in layer.get_weights()]


@pytest.mark.parametrize("make013, make020", [
    (lambda: c013.Dense(4, 3, init="glorot_uniform"), lambda: c020.Dense(3, input_dim=4)),
    (lambda: c013.TimeDistributedDense(5, 2), lambda: c020.TimeDistributedDense(2, input_dim=5)),
    (lambda: c013.MaxoutDense(4, 3, nb_feature=2, init="uniform"),
     lambda: c020.MaxoutDense(3, nb_feature=2, init="uniform", input_shape=(4,))),
    (lambda: n013.BatchNormalization((6,)), lambda: n020.BatchNormalization(input_shape=(6,))),
    (lambda: a013.PReLU((3, 2), init="uniform"), lambda: a020.PReLU(init="uniform", input_shape=(3, 2))),
    (lambda: a013.ParametricSoftplus((4,)), lambda: a020.ParametricSoftplus(input_shape=(4,))),
    (lambda: r013.LSTM(3, 4), lambda: r020.LSTM(4, input_dim=3)),
    (lambda: r013.GRU(3, 4), lambda: r020.GRU(4, input_dim=3)),
    (lambda: r013.SimpleRNN(3, 4), lambda: r020.SimpleRNN(4, input_dim=3)),
    (lambda: r013.SimpleDeepRNN(3, 4, depth=2), lambda: r020.SimpleDeepRNN(4, depth=2, input_dim=3)),
    (lambda: r013.JZS1(3, 4), lambda: r020.JZS1(4, input_dim=3)),
    (lambda: r013.JZS2(3, 4), lambda: r020.JZS2(4, input_dim=3)),
    (lambda: r013.JZS3(3, 4), lambda: r020.JZS3(4, input_dim=3)),
], ids=["Dense", "TimeDistributedDense", "MaxoutDense", "BatchNormalization", "PReLU", "ParametricSoftplus",
        "LSTM", "GRU", "SimpleRNN", "SimpleDeepRNN", "JZS1", "JZS2", "JZS3"])
def test_same_draws_as_013(make013, make020):
    w013, w020 = _draw(make013), _draw(make020)
    assert len(w013) <= len(w020)
    for a, b in zip(w013, w020):
        np.testing.assert_array_equal(a, b)
    assert any(np.any(w != 0) for w in w013)


@pytest.mark.parametrize("kind", ["JZS1", "JZS2"])
def test_jzs_pmat_drawn_after_the_gate_weights_as_013(kind):
    """0.1.3 keeps ``Pmat`` out of ``params``; 0.2.0 appends it (trained, saved): same draw."""
    np.random.seed(3)
    old = getattr(r013, kind)(3, 4)
    np.random.seed(3)
    new = getattr(r020, kind)(4, input_dim=3)
    assert new.params[-1] is new.Pmat and all(p is not old.Pmat for p in old.params)
    np.testing.assert_array_equal(old.Pmat.get_value(), new.Pmat.get_value())
    assert set(np.unique(np.abs(old.Pmat.get_value()))) == {1 / np.sqrt(3)}


def test_weights_drawn_at_build_after_the_previous_layer():
    """A layer without input size draws when connected: after the layers before it, as 0.2.0 did."""
    np.random.seed(7)
    first = c013.Dense(4, 3)
    second = c013.Dense(3, 2)
    np.random.seed(7)
    a = c020.Dense(3, input_dim=4)
    b = c020.Dense(2)
    assert not b.built
    b.set_previous(a)
    assert b.built and b.input_dim == 3 and b.output_shape == (None, 2)
    for x, y in zip(first.get_weights() + second.get_weights(), a.get_weights() + b.get_weights()):
        np.testing.assert_array_equal(x, y)


def test_build_does_not_run_the_013_constructor(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("the 0.1.3 constructor ran at build time")

    recurrent = ("SimpleRNN", "SimpleDeepRNN", "GRU", "LSTM", "JZS1", "JZS2", "JZS3")
    for cls in (c013.Dense, n013.BatchNormalization, a013.PReLU) + tuple(getattr(r013, k) for k in recurrent):
        monkeypatch.setattr(cls, "__init__", refuse)
    dense = c020.Dense(3, input_dim=4)
    norm = n020.BatchNormalization(input_shape=(3,))
    prelu = a020.PReLU(input_shape=(3,))
    assert [w.shape for w in dense.get_weights()] == [(4, 3), (3,)]
    assert [w.shape for w in norm.get_weights()] == [(3,), (3,), (3,), (3,)]
    assert [w.shape for w in prelu.get_weights()] == [(3,)]
    n_weights = {"SimpleRNN": 3, "SimpleDeepRNN": 5, "GRU": 9, "LSTM": 12, "JZS1": 8, "JZS2": 9, "JZS3": 9}
    for kind in recurrent:
        layer = getattr(r020, kind)(2)
        assert not layer.built
        layer.set_previous(c020.TimeDistributedDense(3, input_dim=4))
        assert layer.built and layer.input_dim == 3 and len(layer.get_weights()) == n_weights[kind]
        assert layer.output_shape == (None, 2)


def test_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match="input_shape"):
        c020.Dense(3, input_dimension=4)
