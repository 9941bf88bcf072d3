"""Keras 0.2.0 recurrent layers: ``LSTM(output_dim, ..., input_dim=None, input_length=None)``.

The math is ``keras_legacy.layers.recurrent`` (0.1.x reset masking, the same
parameter order); these classes add the 0.2.0 constructors, ``build()`` once
the input size is known, and ``output_shape``.  The constructors store the
settings with the 0.1.3 class's ``_configure``; ``build()`` draws the weights
with its ``_make_weights`` (given the inferred ``input_dim``), the one place
that knows each layer's draw order.
"""

from __future__ import annotations

from keras_legacy.layers import recurrent as r013
from keras_legacy.layers.base import Layer
from keras_legacy.v020.layers.base import Layer020

Recurrent = r013.Recurrent


class _Recurrent020(Layer020):
    """0.2.0 constructor protocol of the recurrent layers; ``_v013`` is the 0.1.3 class (for ``get_config``)."""

    input_ndim = 3
    _v013 = None

    def _init_recurrent(self, output_dim, args, input_dim, input_length, kwargs):
        """``args``: the 0.1.3 constructor's keyword arguments except the sizes (``weights`` included)."""
        Layer.__init__(self)
        args = dict(args)
        weights = args.pop("weights", None)
        self._configure(output_dim, **args)
        self._given_input_dim = input_dim
        self.input_dim = input_dim  # get_config before build() gives input_dim None, as 0.2.0 did
        self.input_length = input_length
        if input_dim is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length, input_dim)
        self._init_020(kwargs, weights)

    def _create_weights(self, input_shape):
        self._make_weights(input_shape[2])
        if getattr(self, "_uses_pmat", False):
            self.params.append(self.Pmat)  # 0.2.0 trains and saves JZS1/JZS2's Pmat

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.output_dim)
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = self._v013.get_config(self)
        config["input_dim"] = self._given_input_dim
        config["input_length"] = self.input_length
        shape = self._given_input_shape()
        if shape is not None:
            config["input_shape"] = shape
        return config


class SimpleRNN(_Recurrent020, r013.SimpleRNN):
    """0.2.0 ``SimpleRNN(output_dim, ..., input_dim=None, input_length=None)``."""

    _v013 = r013.SimpleRNN

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal", activation="sigmoid",
                 weights=None, truncate_gradient=-1, return_sequences=False, input_dim=None,
                 input_length=None, **kwargs):
        self._init_recurrent(output_dim, dict(
            init=init, inner_init=inner_init, activation=activation, weights=weights,
            truncate_gradient=truncate_gradient, return_sequences=return_sequences,
        ), input_dim, input_length, kwargs)


class SimpleDeepRNN(_Recurrent020, r013.SimpleDeepRNN):
    """0.2.0 ``SimpleDeepRNN(output_dim, depth=3, ...)``."""

    _v013 = r013.SimpleDeepRNN

    def __init__(self, output_dim, depth=3, init="glorot_uniform", inner_init="orthogonal",
                 activation="sigmoid", inner_activation="hard_sigmoid", weights=None, truncate_gradient=-1,
                 return_sequences=False, input_dim=None, input_length=None, **kwargs):
        self._init_recurrent(output_dim, dict(
            depth=depth, init=init, inner_init=inner_init, activation=activation,
            inner_activation=inner_activation, weights=weights, truncate_gradient=truncate_gradient,
            return_sequences=return_sequences,
        ), input_dim, input_length, kwargs)


class GRU(_Recurrent020, r013.GRU):
    """0.2.0 ``GRU(output_dim, ..., input_dim=None, input_length=None)``."""

    _v013 = r013.GRU

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal", activation="sigmoid",
                 inner_activation="hard_sigmoid", weights=None, truncate_gradient=-1, return_sequences=False,
                 input_dim=None, input_length=None, **kwargs):
        self._init_recurrent(output_dim, dict(
            init=init, inner_init=inner_init, activation=activation, inner_activation=inner_activation,
            weights=weights, truncate_gradient=truncate_gradient, return_sequences=return_sequences,
        ), input_dim, input_length, kwargs)


class LSTM(_Recurrent020, r013.LSTM):
    """0.2.0 ``LSTM(output_dim, ..., input_dim=None, input_length=None)``."""

    _v013 = r013.LSTM

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal", forget_bias_init="one",
                 activation="tanh", inner_activation="hard_sigmoid", weights=None, truncate_gradient=-1,
                 return_sequences=False, input_dim=None, input_length=None, **kwargs):
        self._init_recurrent(output_dim, dict(
            init=init, inner_init=inner_init, forget_bias_init=forget_bias_init, activation=activation,
            inner_activation=inner_activation, weights=weights, truncate_gradient=truncate_gradient,
            return_sequences=return_sequences,
        ), input_dim, input_length, kwargs)


class _JZS020(_Recurrent020):
    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal", activation="tanh",
                 inner_activation="sigmoid", weights=None, truncate_gradient=-1, return_sequences=False,
                 input_dim=None, input_length=None, **kwargs):
        self._init_recurrent(output_dim, dict(
            init=init, inner_init=inner_init, activation=activation, inner_activation=inner_activation,
            weights=weights, truncate_gradient=truncate_gradient, return_sequences=return_sequences,
        ), input_dim, input_length, kwargs)


class JZS1(_JZS020, r013.JZS1):
    """0.2.0 ``JZS1(output_dim, ...)``; ``Pmat`` is trained and saved (0.1.3 kept it out of params)."""

    _v013 = r013.JZS1


class JZS2(_JZS020, r013.JZS2):
    """0.2.0 ``JZS2(output_dim, ...)``; ``Pmat`` is trained and saved (0.1.3 kept it out of params)."""

    _v013 = r013.JZS2


class JZS3(_JZS020, r013.JZS3):
    """0.2.0 ``JZS3(output_dim, ...)``."""

    _v013 = r013.JZS3
