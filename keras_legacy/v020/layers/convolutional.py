"""Keras 0.2.0 ``keras.layers.convolutional``: output-first constructors with shape inference.

Each class is an ordinary 0.2.0 layer (``Layer020`` on the 0.1.3 class, see
``keras_legacy.v020.layers.base``): the input shape comes from the previous
layer or from ``input_shape=`` (``Convolution1D`` also takes
``input_dim``/``input_length``); the weights are drawn by ``build()`` once it
is known, with the 0.1.3 ``_make_weights``.  The graphs are the 0.1.3 ones of
``keras_legacy.layers.convolutional`` with two 0.2.0 changes:
``Convolution1D(subsample_length=s)`` strides along the steps, and
``border_mode='same'`` with a stride is refused (0.2.0 asserted).
"""

from __future__ import annotations

from keras_legacy.layers import convolutional as c013
from keras_legacy.layers.base import Layer
from keras_legacy.layers.convolutional import _as_pair, _pad_axes
from keras_legacy.v020.layers.base import Layer020


def conv_output_length(input_length, filter_size, border_mode, stride):
    """0.2.0: the output length of a convolution (None stays None)."""
    if input_length is None:
        return None
    c013.check_border_mode("conv_output_length", border_mode)
    if border_mode == "valid":
        length = input_length - filter_size + 1
    elif border_mode == "full":
        length = input_length + filter_size - 1
    else:
        length = input_length
    return (length + stride - 1) // stride


def pool_output_length(input_length, pool_size, ignore_border, stride):
    """0.2.0: the output length of a max pooling (None stays None).

    Kept as 0.2.0 computed it: with ``ignore_border=False`` and a pool as long
    as the input it answers ``min(L, stride - stride % 2)`` although the
    pooling gives 1 step.
    """
    if input_length is None:
        return None
    if ignore_border:
        return (input_length - pool_size + stride) // stride
    if pool_size == input_length:
        return min(input_length, stride - stride % 2)
    if stride >= pool_size:
        return (input_length + stride - 1) // stride
    return max(0, (input_length - 1 - pool_size) // stride + 1) + 1


class Convolution1D(Layer020, c013.Convolution1D):
    """0.2.0 ``Convolution1D(nb_filter, filter_length, ..., input_dim=None, input_length=None)``.

    Input ``(n, steps, input_dim)``; W ``(nb_filter, input_dim, filter_length, 1)``;
    ``subsample_length`` strides along the steps.  ``input_dim``/``input_length``
    are kept as given (the config writes them so).
    """

    input_ndim = 3
    crop_same_after_stride = False
    _config_keys = c013.Convolution1D._config_keys + ("input_length",)

    def __init__(self, nb_filter, filter_length, init="uniform", activation="linear", weights=None,
                 border_mode="valid", subsample_length=1, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, input_dim=None,
                 input_length=None, **kwargs):
        Layer.__init__(self)
        self._configure_1d(nb_filter, filter_length, border_mode, subsample_length, init, activation,
                           W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint)
        self.subsample = (subsample_length, 1)
        self.input_dim = input_dim
        self.input_length = input_length
        if input_dim and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length, input_dim)
        self._init_020(kwargs, weights)

    def _create_weights(self, input_shape):
        self._make_weights(input_shape[2])

    def compute_output_shape(self, input_shape):
        length = conv_output_length(input_shape[1], self.filter_length, self.border_mode,
                                    self.subsample_length)
        return (input_shape[0], length, self.nb_filter)


class Convolution2D(Layer020, c013.Convolution2D):
    """0.2.0 ``Convolution2D(nb_filter, nb_row, nb_col, ...)``: the stack size comes from the input shape."""

    input_ndim = 4
    crop_same_after_stride = False
    _config_keys = ("nb_filter", "nb_row", "nb_col", "border_mode", "subsample")

    def __init__(self, nb_filter, nb_row, nb_col, init="glorot_uniform", activation="linear",
                 weights=None, border_mode="valid", subsample=(1, 1), W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None, b_constraint=None,
                 **kwargs):
        Layer.__init__(self)
        self._configure_2d(nb_filter, nb_row, nb_col, border_mode, subsample, init, activation,
                           W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint)
        self._init_020(kwargs, weights)

    def _create_weights(self, input_shape):
        self.stack_size = input_shape[1]
        self._make_weights(self.stack_size)

    def compute_output_shape(self, input_shape):
        rows = conv_output_length(input_shape[2], self.nb_row, self.border_mode, self.subsample[0])
        cols = conv_output_length(input_shape[3], self.nb_col, self.border_mode, self.subsample[1])
        return (input_shape[0], self.nb_filter, rows, cols)


class MaxPooling1D(Layer020, c013.MaxPooling1D):
    """0.2.0 ``MaxPooling1D(pool_length=2, stride=None, ignore_border=True)``; the config stores the resolved stride."""

    def __init__(self, pool_length=2, stride=None, ignore_border=True, **kwargs):
        c013.MaxPooling1D.__init__(self, pool_length, pool_length if stride is None else stride, ignore_border)
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        length = pool_output_length(input_shape[1], self.pool_length, self.ignore_border, self.stride)
        return (input_shape[0], length, input_shape[2])


class MaxPooling2D(Layer020, c013.MaxPooling2D):
    """0.2.0 ``MaxPooling2D(pool_size=(2, 2), stride=None, ignore_border=True)`` (0.1.3: ``poolsize=``);
    the config stores the resolved stride."""

    def __init__(self, pool_size=(2, 2), stride=None, ignore_border=True, **kwargs):
        Layer.__init__(self)
        self.pool_size = _as_pair(pool_size, "MaxPooling2D pool_size")
        self.stride = self.pool_size if stride is None else _as_pair(stride, "MaxPooling2D stride")
        self.ignore_border = ignore_border
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        rows = pool_output_length(input_shape[2], self.pool_size[0], self.ignore_border, self.stride[0])
        cols = pool_output_length(input_shape[3], self.pool_size[1], self.ignore_border, self.stride[1])
        return (input_shape[0], input_shape[1], rows, cols)

    def get_output(self, train=False):
        return c013.max_pool_2d(self.get_input(train), self.pool_size, self.stride, self.ignore_border)

    def get_config(self):
        return _with_input_shape(self, {"name": self.__class__.__name__, "pool_size": self.pool_size,
                                        "stride": self.stride, "ignore_border": self.ignore_border})


def _with_input_shape(layer, config):
    """``config`` with the 0.2.0 ``input_shape`` key when the layer was given one."""
    shape = layer._given_input_shape()
    if shape is not None:
        config["input_shape"] = shape
    return config


def _times(length, factor):
    return None if length is None else length * factor


def _plus(length, pad):
    return None if length is None else length + pad


class UpSample1D(Layer020, c013.UpSample1D):
    """0.2.0 ``UpSample1D(length=2)``: each step repeated ``length`` times."""

    def __init__(self, length=2, **kwargs):
        c013.UpSample1D.__init__(self, length)
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], _times(input_shape[1], self.length), input_shape[2])


class UpSample2D(Layer020, c013.UpSample2D):
    """0.2.0 ``UpSample2D(size=(2, 2))``: each pixel repeated ``size[0]`` x ``size[1]`` times."""

    def __init__(self, size=(2, 2), **kwargs):
        c013.UpSample2D.__init__(self, size)
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], _times(input_shape[2], self.size[0]),
                _times(input_shape[3], self.size[1]))


class ZeroPadding1D(Layer020, Layer):
    """0.2.0 ``ZeroPadding1D(padding=1)``: ``padding`` zero steps before and after (no 0.1.3 counterpart)."""

    input_ndim = 3

    def __init__(self, padding=1, **kwargs):
        Layer.__init__(self)
        self.padding = padding
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], _plus(input_shape[1], 2 * self.padding), input_shape[2])

    def get_output(self, train=False):
        return _pad_axes(self.get_input(train), {1: (self.padding, self.padding)})

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding
        return config


class ZeroPadding2D(Layer020, c013.ZeroPadding2D):
    """0.2.0 ``ZeroPadding2D(padding=(1, 1))`` (0.1.3: ``pad=``)."""

    def __init__(self, padding=(1, 1), **kwargs):
        Layer.__init__(self)
        self.padding = _as_pair(padding, "ZeroPadding2D padding")
        self._init_020(kwargs)

    def compute_output_shape(self, input_shape):
        p0, p1 = self.padding
        return (input_shape[0], input_shape[1], _plus(input_shape[2], 2 * p0), _plus(input_shape[3], 2 * p1))

    def get_output(self, train=False):
        return c013.zero_pad_2d(self.get_input(train), self.padding)

    def get_config(self):
        return _with_input_shape(self, {"name": self.__class__.__name__, "padding": self.padding})


__all__ = [
    "Convolution1D",
    "Convolution2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "UpSample1D",
    "UpSample2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "conv_output_length",
    "pool_output_length",
]
