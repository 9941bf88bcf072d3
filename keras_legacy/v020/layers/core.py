"""Keras 0.2.0 core layers: ``Dense(output_dim, ..., input_dim=None)`` and shape inference.

Same math as ``keras_legacy.layers.core``; see ``keras_legacy.v020``.
"""

from __future__ import annotations

import numpy as np

from keras_legacy.layers import core as c013
from keras_legacy.layers.core import Layer, MaskedLayer  # noqa: F401 (0.2.0 names)
from keras_legacy.v020.layers._lazy import LazyLayer, shapeless_020

Masking = shapeless_020(c013.Masking)
Dropout = shapeless_020(c013.Dropout)
Activation = shapeless_020(c013.Activation)
ActivityRegularization = shapeless_020(c013.ActivityRegularization)
AutoEncoder = c013.AutoEncoder
RepeatVector = shapeless_020(
    c013.RepeatVector, lambda self, s: (s[0], self.n, s[1]))
Flatten = shapeless_020(
    c013.Flatten, lambda self, s: (s[0], int(np.prod(s[1:]))))
Permute = shapeless_020(
    c013.Permute, lambda self, s: (s[0],) + tuple(s[d] for d in self.dims))


class Reshape(shapeless_020(c013.Reshape, lambda self, s: (s[0],) + tuple(self.dims))):
    """0.2.0 ``Reshape(dims)`` (0.1.3 took ``*dims``)."""

    def __init__(self, dims, input_shape=None):
        super().__init__(*dims, input_shape=input_shape)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class _DenseLike(LazyLayer):
    """0.2.0 constructor of the Dense family: output size first, input size inferred."""

    _arg_names = ("init", "activation", "weights", "W_regularizer", "b_regularizer",
                  "activity_regularizer", "W_constraint", "b_constraint")

    def _init_dense(self, output_dim, args, input_dim, kwargs, input_shape):
        self.output_dim = output_dim
        self._given_input_dim = input_dim
        weights = args.pop("weights", None)
        self._build_args = args
        if input_dim is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = input_shape
        self._init_lazy(weights=weights, **kwargs)

    def get_config(self):
        config = self._v013.get_config(self)
        config["input_dim"] = self._given_input_dim
        return self._v020_extra_config(config)


class Dense(_DenseLike, c013.Dense):
    """0.2.0 ``Dense(output_dim, init, activation, weights, ..., input_dim=None)``."""

    _v013 = c013.Dense
    input_ndim = 2

    def __init__(self, output_dim, init="glorot_uniform", activation="linear", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, input_dim=None, **kwargs):
        args = dict(init=init, activation=activation, weights=weights, W_regularizer=W_regularizer,
                    b_regularizer=b_regularizer, activity_regularizer=activity_regularizer,
                    W_constraint=W_constraint, b_constraint=b_constraint)
        self._init_dense(output_dim, args, input_dim, kwargs, (input_dim,))

    def _build_013(self, input_shape):
        c013.Dense.__init__(self, input_shape[1], self.output_dim, **self._build_args)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


class TimeDistributedDense(_DenseLike, c013.TimeDistributedDense):
    """0.2.0 ``TimeDistributedDense(output_dim, ..., input_dim=None, input_length=None)``."""

    _v013 = c013.TimeDistributedDense
    input_ndim = 3

    def __init__(self, output_dim, init="glorot_uniform", activation="linear", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, input_dim=None, input_length=None, **kwargs):
        args = dict(init=init, activation=activation, weights=weights, W_regularizer=W_regularizer,
                    b_regularizer=b_regularizer, activity_regularizer=activity_regularizer,
                    W_constraint=W_constraint, b_constraint=b_constraint)
        self.input_length = input_length
        self._init_dense(output_dim, args, input_dim, kwargs, (input_length, input_dim))

    def _build_013(self, input_shape):
        c013.TimeDistributedDense.__init__(self, input_shape[2], self.output_dim, **self._build_args)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config["input_length"] = self.input_length
        return config


class MaxoutDense(_DenseLike, c013.MaxoutDense):
    """0.2.0 ``MaxoutDense(output_dim, nb_feature=4, ..., input_dim=None)``."""

    _v013 = c013.MaxoutDense
    input_ndim = 2

    def __init__(self, output_dim, nb_feature=4, init="glorot_uniform", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, input_dim=None, **kwargs):
        args = dict(nb_feature=nb_feature, init=init, weights=weights, W_regularizer=W_regularizer,
                    b_regularizer=b_regularizer, activity_regularizer=activity_regularizer,
                    W_constraint=W_constraint, b_constraint=b_constraint)
        self._init_dense(output_dim, args, input_dim, kwargs, (input_dim,))

    def _build_013(self, input_shape):
        c013.MaxoutDense.__init__(self, input_shape[1], self.output_dim, **self._build_args)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


class Merge(c013.Merge):
    """0.2.0 ``Merge(layers, mode='sum', concat_axis=-1)`` with ``output_shape``."""

    def __init__(self, layers, mode="sum", concat_axis=-1):
        super().__init__(layers, mode)
        self.concat_axis = concat_axis

    def get_output(self, train=False):
        if self.mode == "concat":
            import pytensor.tensor as T

            return T.concatenate([layer.get_output(train) for layer in self.layers], axis=self.concat_axis)
        return super().get_output(train)

    @property
    def output_shape(self):
        shapes = [tuple(layer.output_shape) for layer in self.layers]
        if self.mode != "concat":
            return shapes[0]
        axis = self.concat_axis % len(shapes[0])
        out = list(shapes[0])
        sizes = [s[axis] for s in shapes]
        out[axis] = None if any(size is None for size in sizes) else sum(sizes)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["concat_axis"] = self.concat_axis
        return config
