"""Keras 0.2.0 core layers: ``Dense(output_dim, ..., input_dim=None)`` and shape inference.

Same math as ``keras_legacy.layers.core``; see ``keras_legacy.v020.layers.base``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy.layers import core as c013
from keras_legacy.layers.base import Layer as Layer013
from keras_legacy.layers.base import MaskedLayer as MaskedLayer013
from keras_legacy.v020.layers.base import Layer020

AutoEncoder = c013.AutoEncoder


# --- the bases of 0.2.0 custom layers -------------------------------------------------------------


class _StandsForAllLayers(type):
    """Metaclass of the 0.2.0 ``Layer``/``MaskedLayer``: ``isinstance``/``issubclass`` against
    one of these two classes accept every layer of the 0.1.3 base it stands for.

    In 0.2.0 every layer derives from ``keras.layers.core.Layer``; here the 0.2.0
    layers derive from the 0.1.3 classes (plus :class:`Layer020`), so
    ``isinstance(Dense(3), Layer)`` holds through this check.  Subclasses a user
    writes are ordinary classes for these checks.
    """

    def __instancecheck__(cls, obj):
        stands_for = cls.__dict__.get("_stands_for")
        if stands_for is not None:
            return isinstance(obj, stands_for)
        return super().__instancecheck__(obj)

    def __subclasscheck__(cls, subclass):
        stands_for = cls.__dict__.get("_stands_for")
        if stands_for is not None:
            return issubclass(subclass, stands_for)
        return super().__subclasscheck__(subclass)


class Layer(Layer020, Layer013, metaclass=_StandsForAllLayers):
    """``keras.layers.core.Layer`` of 0.2.0: ``Layer(**kwargs)`` taking ``input_shape=``.

    The base of 0.2.0 custom layers: a subclass sets its own attributes, calls
    ``super().__init__(**kwargs)``, and defines ``build()`` (reading
    ``self.input_shape``), ``output_shape`` and ``get_output(train)``.  The plain
    layer passes its input through.
    """

    _stands_for = Layer013

    def __init__(self, **kwargs):
        Layer013.__init__(self)
        self._init_020(dict(kwargs))

    def build(self):
        """0.2.0's ``Layer.build``: nothing to create."""


class MaskedLayer(Layer, MaskedLayer013):
    """``keras.layers.core.MaskedLayer`` of 0.2.0: a :class:`Layer` passing the input mask on."""

    _stands_for = MaskedLayer013


# --- layers without weights: the 0.1.3 constructor plus ``input_shape`` ----------------------


class Masking(Layer020, c013.Masking):
    def __init__(self, mask_value=0.0, **kwargs):
        c013.Masking.__init__(self, mask_value)
        self._init_020(kwargs)


class Dropout(Layer020, c013.Dropout):
    def __init__(self, p, **kwargs):
        c013.Dropout.__init__(self, p)
        self._init_020(kwargs)


class Activation(Layer020, c013.Activation):
    def __init__(self, activation, target=0, beta=0.1, **kwargs):
        c013.Activation.__init__(self, activation, target=target, beta=beta)
        self._init_020(kwargs)


class ActivityRegularization(Layer020, c013.ActivityRegularization):
    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        c013.ActivityRegularization.__init__(self, l1=l1, l2=l2)
        self._init_020(kwargs)


class RepeatVector(Layer020, c013.RepeatVector):
    def __init__(self, n, **kwargs):
        c013.RepeatVector.__init__(self, n)
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])


class Flatten(Layer020, c013.Flatten):
    def __init__(self, **kwargs):
        c013.Flatten.__init__(self)
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))


class Permute(Layer020, c013.Permute):
    def __init__(self, dims, **kwargs):
        c013.Permute.__init__(self, dims)
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)


class Reshape(Layer020, c013.Reshape):
    """0.2.0 ``Reshape(dims)`` (0.1.3 took ``*dims``)."""

    def __init__(self, dims, **kwargs):
        c013.Reshape.__init__(self, *dims)
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class TimeDistributedMerge(Layer020, Layer013):
    """0.2.0 ``TimeDistributedMerge(mode='sum')``: ``(nb_samples, timesteps, features)`` to
    ``(nb_samples, features)`` by the sum (``'sum'``), mean (``'ave'``) or product (``'mul'``)
    over the time axis.  An unknown mode fails when the output is built, as in 0.2.0.
    (0.2.0's ``'mul'`` called ``T.mul(X, axis=1)``, which Theano refuses; here it is the
    product over time: see docs/differences.md.)
    """

    input_ndim = 3
    MODES = ("sum", "ave", "mul")

    def __init__(self, mode="sum", **kwargs):
        Layer013.__init__(self)
        self.mode = mode
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (None, input_shape[2])  # 0.2.0 wrote None for the batch axis

    def get_output(self, train=False):
        X = self.get_input(train)
        if self.mode == "sum":
            return T.sum(X, axis=1)
        if self.mode == "ave":
            return T.mean(X, axis=1)
        if self.mode == "mul":
            return T.prod(X, axis=1)
        raise ValueError(
            f"TimeDistributedMerge: unknown mode {self.mode!r}; expected one of {', '.join(self.MODES)}."
        )

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config


# --- the Dense family: output size first, input size inferred ---------------------------------

class _DenseFamily020(Layer020):
    """``build()`` draws the weights with the 0.1.3 ``_make_weights`` (W, then b)."""

    def _init_dense(self, input_dim, input_shape_from_dim, weights, kwargs):
        self._given_input_dim = input_dim
        self.input_dim = input_dim  # read by get_config before build() infers it (0.2.0: None)
        if input_dim is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = input_shape_from_dim
        self._init_020(kwargs, weights)

    def _create_weights(self, input_shape):
        self._make_weights(input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config["input_dim"] = self._given_input_dim
        return config


class Dense(_DenseFamily020, c013.Dense):
    """0.2.0 ``Dense(output_dim, init, activation, weights, ..., input_dim=None)``."""

    input_ndim = 2

    def __init__(self, output_dim, init="glorot_uniform", activation="linear", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, input_dim=None, **kwargs):
        Layer013.__init__(self)
        self._configure(output_dim, init, activation, W_regularizer, b_regularizer, activity_regularizer,
                        W_constraint, b_constraint)
        self._init_dense(input_dim, (input_dim,), weights, kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


class TimeDistributedDense(_DenseFamily020, c013.TimeDistributedDense):
    """0.2.0 ``TimeDistributedDense(output_dim, ..., input_dim=None, input_length=None)``."""

    input_ndim = 3

    def __init__(self, output_dim, init="glorot_uniform", activation="linear", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, input_dim=None, input_length=None, **kwargs):
        Layer013.__init__(self)
        self._configure(output_dim, init, activation, W_regularizer, b_regularizer, activity_regularizer,
                        W_constraint, b_constraint)
        self.input_length = input_length
        self._init_dense(input_dim, (input_length, input_dim), weights, kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config["input_length"] = self.input_length
        return config


class MaxoutDense(_DenseFamily020, c013.MaxoutDense):
    """0.2.0 ``MaxoutDense(output_dim, nb_feature=4, ..., input_dim=None)``."""

    input_ndim = 2

    def __init__(self, output_dim, nb_feature=4, init="glorot_uniform", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, input_dim=None, **kwargs):
        Layer013.__init__(self)
        self.nb_feature = nb_feature
        self._configure(output_dim, init, None, W_regularizer, b_regularizer, activity_regularizer,
                        W_constraint, b_constraint)
        self._init_dense(input_dim, (input_dim,), weights, kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


class Merge(c013.Merge):
    """0.2.0 ``Merge(layers, mode='sum', concat_axis=-1)`` with ``output_shape``."""

    def __init__(self, layers, mode="sum", concat_axis=-1):
        super().__init__(layers, mode)
        self.concat_axis = concat_axis

    def get_output(self, train=False):
        if self.mode == "concat":
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

