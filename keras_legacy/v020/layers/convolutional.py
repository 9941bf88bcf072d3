"""Keras 0.2.0 ``keras.layers.convolutional``: output-first constructors with shape inference.

The input shape comes from the previous layer or from ``input_shape=``
(``Convolution1D`` also takes ``input_dim``/``input_length``); the weights are
drawn by ``build()`` once it is known.  The graphs are the 0.1.3 ones of
``keras_legacy.layers.convolutional`` with two 0.2.0 changes:
``Convolution1D(subsample_length=s)`` strides along the steps, and
``border_mode='same'`` with a stride is refused (0.2.0 asserted).
"""

from __future__ import annotations

from keras_legacy.layers import convolutional as c013
from keras_legacy.layers.convolutional import _as_pair, _pad_axes, max_pool, repeat_axes
from keras_legacy.layers.core import Layer
from keras_legacy.utils.theano_utils import ndim_tensor


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


class Shaped(Layer):
    """The 0.2.0 shape protocol: ``input_shape``/``output_shape``, ``set_input_shape``, ``build``."""

    input_ndim: int | None = None

    def _init_shaped(self, input_shape=None, weights=None):
        Layer.__init__(self)
        self.initial_weights = weights
        self.built = False
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        if input_shape is not None:
            self.set_input_shape((None,) + tuple(input_shape))

    @property
    def input_shape(self):
        if hasattr(self, "previous"):
            return tuple(self.previous.output_shape)
        if getattr(self, "_input_shape", None) is not None:
            return self._input_shape
        raise ValueError(
            f"{type(self).__name__} has no input shape yet: give the first layer of a model "
            "input_shape=... (Convolution1D: input_dim=...), or add it after another layer."
        )

    @property
    def output_shape(self):
        return self.compute_output_shape(self.input_shape)

    def _check_ndim(self, shape, source):
        if self.input_ndim is not None and len(shape) != self.input_ndim:
            raise ValueError(
                f"{type(self).__name__} expects a {self.input_ndim}-D input (nb_samples first), "
                f"but {source} has shape {tuple(shape)}."
            )

    def set_input_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_ndim(input_shape, "the given input_shape (with the batch axis)")
        self._input_shape = input_shape
        self.input = ndim_tensor(len(input_shape))
        self.build()

    def set_previous(self, layer, connection_map=None):
        if getattr(layer, "nb_output", 1) != self.nb_input:
            raise ValueError(
                f"Cannot connect layers: {type(layer).__name__} has {layer.nb_output} output(s) "
                f"but {type(self).__name__} takes {self.nb_input} input(s)."
            )
        if layer.get_output_mask() is not None:
            raise ValueError(
                f"Cannot connect non-masking layer to layer with masked output: {type(self).__name__} "
                f"does not take a mask, and {type(layer).__name__} outputs one."
            )
        shape = getattr(layer, "output_shape", None)
        if shape is not None:
            self._check_ndim(shape, f"the previous layer ({type(layer).__name__}) output")
        self.previous = layer
        self.build()

    def build(self):
        if self.built:
            return
        self._build(self.input_shape)
        self.built = True
        if self.initial_weights is not None:
            self.set_weights(self.initial_weights)
            self.initial_weights = None

    def _build(self, input_shape):
        """Create the weights for ``input_shape``; layers without weights need nothing."""

    def _config(self, config):
        if self._input_shape_arg is not None:
            config["input_shape"] = list(self._input_shape_arg)
        return config


def _conv_args(init, activation, W_regularizer, b_regularizer, activity_regularizer, W_constraint,
               b_constraint):
    return {"init": init, "activation": activation, "W_regularizer": W_regularizer,
            "b_regularizer": b_regularizer, "activity_regularizer": activity_regularizer,
            "W_constraint": W_constraint, "b_constraint": b_constraint}


class Convolution1D(c013.ConvMath, Shaped):
    """0.2.0 ``Convolution1D(nb_filter, filter_length, ..., input_dim=None, input_length=None)``.

    Input ``(n, steps, input_dim)``; W ``(nb_filter, input_dim, filter_length, 1)``;
    ``subsample_length`` strides along the steps.
    """

    input_ndim = 3
    crop_same_after_stride = False

    def __init__(self, nb_filter, filter_length, init="uniform", activation="linear", weights=None,
                 border_mode="valid", subsample_length=1, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None, input_dim=None,
                 input_length=None, input_shape=None):
        c013.check_border_mode("Convolution1D", border_mode)
        self.nb_filter = nb_filter
        self.filter_length = filter_length
        self.border_mode = border_mode
        self.subsample_length = subsample_length
        self.nb_row, self.nb_col = filter_length, 1
        self.subsample = (subsample_length, 1)
        self.input_dim = input_dim
        self.input_length = input_length
        self._args = _conv_args(init, activation, W_regularizer, b_regularizer, activity_regularizer,
                                W_constraint, b_constraint)
        if input_dim and input_shape is None:
            input_shape = (input_length, input_dim)
        self._init_shaped(input_shape, weights)

    def _build(self, input_shape):
        c013.build_conv_weights(self, (self.nb_filter, input_shape[2], self.filter_length, 1),
                                weights=None, **self._args)

    def compute_output_shape(self, input_shape):
        length = conv_output_length(input_shape[1], self.filter_length, self.border_mode,
                                    self.subsample_length)
        return (input_shape[0], length, self.nb_filter)

    def get_output(self, train=False):
        return self._sequence_output(self.get_input(train))

    def get_config(self):
        config = c013.conv_config(self, ("nb_filter", "filter_length", "border_mode", "subsample_length"))
        config.update(input_dim=self.input_dim, input_length=self.input_length)
        return self._config(config)


class Convolution2D(c013.ConvMath, Shaped):
    """0.2.0 ``Convolution2D(nb_filter, nb_row, nb_col, ...)``: the stack size comes from the input shape."""

    input_ndim = 4
    crop_same_after_stride = False

    def __init__(self, nb_filter, nb_row, nb_col, init="glorot_uniform", activation="linear",
                 weights=None, border_mode="valid", subsample=(1, 1), W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None, b_constraint=None,
                 input_shape=None):
        c013.check_border_mode("Convolution2D", border_mode)
        self.nb_filter = nb_filter
        self.nb_row = nb_row
        self.nb_col = nb_col
        self.border_mode = border_mode
        self.subsample = _as_pair(subsample, "Convolution2D subsample")
        self._args = _conv_args(init, activation, W_regularizer, b_regularizer, activity_regularizer,
                                W_constraint, b_constraint)
        self._init_shaped(input_shape, weights)

    def _build(self, input_shape):
        self.stack_size = input_shape[1]
        c013.build_conv_weights(self, (self.nb_filter, self.stack_size, self.nb_row, self.nb_col),
                                weights=None, **self._args)

    def compute_output_shape(self, input_shape):
        rows = conv_output_length(input_shape[2], self.nb_row, self.border_mode, self.subsample[0])
        cols = conv_output_length(input_shape[3], self.nb_col, self.border_mode, self.subsample[1])
        return (input_shape[0], self.nb_filter, rows, cols)

    def get_output(self, train=False):
        return self._image_output(self.get_input(train))

    def get_config(self):
        return self._config(c013.conv_config(self, ("nb_filter", "nb_row", "nb_col", "border_mode",
                                                     "subsample")))


class MaxPooling1D(Shaped):
    """0.2.0 ``MaxPooling1D(pool_length=2, stride=None, ignore_border=True)``; the config stores the resolved stride."""

    input_ndim = 3

    def __init__(self, pool_length=2, stride=None, ignore_border=True, input_shape=None):
        self.pool_length = pool_length
        self.stride = pool_length if stride is None else stride
        self.ignore_border = ignore_border
        self._init_shaped(input_shape)

    def compute_output_shape(self, input_shape):
        length = pool_output_length(input_shape[1], self.pool_length, self.ignore_border, self.stride)
        return (input_shape[0], length, input_shape[2])

    def get_output(self, train=False):
        return max_pool(self.get_input(train), {1: (self.pool_length, self.stride)}, self.ignore_border)

    def get_config(self):
        return self._config({"name": self.__class__.__name__, "pool_length": self.pool_length,
                             "stride": self.stride, "ignore_border": self.ignore_border})


class MaxPooling2D(Shaped):
    """0.2.0 ``MaxPooling2D(pool_size=(2, 2), stride=None, ignore_border=True)``."""

    input_ndim = 4

    def __init__(self, pool_size=(2, 2), stride=None, ignore_border=True, input_shape=None):
        self.pool_size = _as_pair(pool_size, "MaxPooling2D pool_size")
        self.stride = self.pool_size if stride is None else _as_pair(stride, "MaxPooling2D stride")
        self.ignore_border = ignore_border
        self._init_shaped(input_shape)

    def compute_output_shape(self, input_shape):
        rows = pool_output_length(input_shape[2], self.pool_size[0], self.ignore_border, self.stride[0])
        cols = pool_output_length(input_shape[3], self.pool_size[1], self.ignore_border, self.stride[1])
        return (input_shape[0], input_shape[1], rows, cols)

    def get_output(self, train=False):
        pools = {2: (self.pool_size[0], self.stride[0]), 3: (self.pool_size[1], self.stride[1])}
        return max_pool(self.get_input(train), pools, self.ignore_border)

    def get_config(self):
        return self._config({"name": self.__class__.__name__, "pool_size": self.pool_size,
                             "stride": self.stride, "ignore_border": self.ignore_border})


def _times(length, factor):
    return None if length is None else length * factor


def _plus(length, pad):
    return None if length is None else length + pad


class UpSample1D(Shaped):
    """0.2.0 ``UpSample1D(length=2)``: each step repeated ``length`` times."""

    input_ndim = 3

    def __init__(self, length=2, input_shape=None):
        self.length = length
        self._init_shaped(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], _times(input_shape[1], self.length), input_shape[2])

    def get_output(self, train=False):
        return repeat_axes(self.get_input(train), {1: self.length})

    def get_config(self):
        return self._config({"name": self.__class__.__name__, "length": self.length})


class UpSample2D(Shaped):
    """0.2.0 ``UpSample2D(size=(2, 2))``: each pixel repeated ``size[0]`` x ``size[1]`` times."""

    input_ndim = 4

    def __init__(self, size=(2, 2), input_shape=None):
        self.size = _as_pair(size, "UpSample2D size")
        self._init_shaped(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], _times(input_shape[2], self.size[0]),
                _times(input_shape[3], self.size[1]))

    def get_output(self, train=False):
        return repeat_axes(self.get_input(train), {2: self.size[0], 3: self.size[1]})

    def get_config(self):
        return self._config({"name": self.__class__.__name__, "size": self.size})


class ZeroPadding1D(Shaped):
    """0.2.0 ``ZeroPadding1D(padding=1)``: ``padding`` zero steps before and after."""

    input_ndim = 3

    def __init__(self, padding=1, input_shape=None):
        self.padding = padding
        self._init_shaped(input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], _plus(input_shape[1], 2 * self.padding), input_shape[2])

    def get_output(self, train=False):
        return _pad_axes(self.get_input(train), {1: (self.padding, self.padding)})

    def get_config(self):
        return self._config({"name": self.__class__.__name__, "padding": self.padding})


class ZeroPadding2D(Shaped):
    """0.2.0 ``ZeroPadding2D(padding=(1, 1))`` (0.1.3: ``pad=``)."""

    input_ndim = 4

    def __init__(self, padding=(1, 1), input_shape=None):
        self.padding = _as_pair(padding, "ZeroPadding2D padding")
        self._init_shaped(input_shape)

    def compute_output_shape(self, input_shape):
        p0, p1 = self.padding
        return (input_shape[0], input_shape[1], _plus(input_shape[2], 2 * p0), _plus(input_shape[3], 2 * p1))

    def get_output(self, train=False):
        p0, p1 = self.padding
        return _pad_axes(self.get_input(train), {2: (p0, p0), 3: (p1, p1)})

    def get_config(self):
        return self._config({"name": self.__class__.__name__, "padding": self.padding})


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
