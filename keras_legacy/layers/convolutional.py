"""Keras 0.1.3 ``keras.layers.convolutional``: convolution, max pooling, up-sampling, zero padding.

The graphs follow Theano's semantics, which the original layers inherited:

* ``conv2d`` is a true convolution: with X ``(n, c, H, W)`` and the kernel
  ``(nb_filter, c, kh, kw)``, the ``valid`` output is
  ``out[n, f, i, j] = sum_{c,a,b} X[n, c, i + a, j + b] * K[f, c, kh-1-a, kw-1-b]``
  (shape ``H - kh + 1``); ``full`` is ``valid`` on X zero-padded by ``kh - 1`` /
  ``kw - 1`` on every side (shape ``H + kh - 1``).  A stride keeps every s-th
  position of the stride-1 output, starting at 0.
* ``border_mode='same'`` is the ``full`` convolution cropped to rows
  ``[(kh-1)//2, H + (kh-1)//2)`` (columns alike); with an even kernel the
  window of output j covers inputs ``j - kh//2 .. j + kh//2 - 1``.  In 0.1.3 the
  crop is taken after the stride, in strided coordinates.
* max pooling: window r covers ``[r*s, min(r*s + p, L))``; ``ignore_border=False``
  keeps the partial windows at the end (pooled over what exists); the gradient
  goes to every element equal to its window's maximum.

The convolution and the pooling are the Ops of ``keras_legacy.backend.conv`` (C with
BLAS, and Numba/JAX implementations): the layer's graph is the same in every mode.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy import activations, constraints, initializations
from keras_legacy.backend.conv import Conv2D, MaxPool2D
from keras_legacy.layers.base import Layer, _bind_regularizers, _config_of, _resolve_regularizers

BORDER_MODES = ("valid", "full", "same")


# --- graph builders shared by the 0.1.3 and 0.2.0 layers ---------------------------------

def _pad_axes(X, pads, value=0.0):
    """X with ``pads[axis] = (before, after)`` constant entries added along each given axis."""
    if not any(b or a for b, a in pads.values()):
        return X
    shape = [X.shape[k] + sum(pads.get(k, (0, 0))) for k in range(X.ndim)]
    out = T.alloc(np.asarray(value, dtype=X.dtype), *shape)
    inner = tuple(slice(pads[k][0], pads[k][0] + X.shape[k]) if k in pads else slice(None)
                  for k in range(X.ndim))
    return T.set_subtensor(out[inner], X)


def conv2d(X, W, kernel_size, border_mode="valid", subsample=(1, 1), bias=None):
    """Theano's ``conv2d(X, W, border_mode, subsample)`` for ``valid`` and ``full``, plus ``bias``.

    ``kernel_size`` is ``(kh, kw)`` (the static trailing shape of ``W``); ``bias``
    (``(nb_filter,)``, or None) is added to each filter's output.  ``full`` is the
    ``valid`` convolution of X zero-padded by ``k - 1`` on every side.
    """
    kh, kw = kernel_size
    if border_mode == "full":
        pads = (kh - 1, kh - 1, kw - 1, kw - 1)
    elif border_mode == "valid":
        pads = (0, 0, 0, 0)
    else:
        raise ValueError(f"conv2d: border_mode must be 'valid' or 'full', got {border_mode!r}.")
    return _conv(X, W, pads, subsample, bias)


def conv2d_same(X, W, kernel_size, bias=None):
    """Stride-1 ``same``: the ``full`` convolution cropped by ``(k-1)//2`` before, as one padded valid one."""
    kh, kw = kernel_size
    pads = (kh - 1 - (kh - 1) // 2, (kh - 1) // 2, kw - 1 - (kw - 1) // 2, (kw - 1) // 2)
    return _conv(X, W, pads, (1, 1), bias)


def _conv(X, W, pads, subsample, bias):
    op = Conv2D(pads, subsample)
    return op(X, W) if bias is None else op(X, W, bias)


def max_pool(X, pools, ignore_border=True):
    """Theano max pooling of X over ``pools = {axis: (pool, stride)}`` (one or two axes).

    Windows start every ``stride``; ``ignore_border=False`` keeps the partial windows at
    the end (pooled over the entries that exist); the gradient goes to every element
    equal to its window's maximum.  The pooling Op works on the two last axes: other
    axes are moved there and back.
    """
    if not 1 <= len(pools) <= 2 or X.ndim < 2:
        raise ValueError(f"max_pool: expected one or two pooled axes of an array of rank >= 2, got axes "
                         f"{sorted(pools)} of rank {X.ndim}.")
    axes = sorted(pools)
    if len(axes) == 1:  # a window of 1 along a neighbour axis
        axes = [axes[0], axes[0] + 1] if axes[0] + 1 < X.ndim else [axes[0] - 1, axes[0]]
    rest = [k for k in range(X.ndim) if k not in axes]
    order = rest + axes
    (ph, sh), (pw, sw) = (pools.get(k, (1, 1)) for k in axes)
    out = MaxPool2D((ph, pw), (sh, sw), ignore_border)(X if order == list(range(X.ndim)) else X.dimshuffle(*order))
    if order == list(range(X.ndim)):
        return out
    return out.dimshuffle(*[order.index(k) for k in range(X.ndim)])


def repeat_axes(X, repeats):
    """Nearest-neighbour up-sampling: each element repeated ``repeats[axis]`` times along ``axis``."""
    for ax, r in repeats.items():
        X = T.repeat(X, r, axis=ax)
    return X


def check_border_mode(layer, border_mode):
    if border_mode not in BORDER_MODES:
        raise ValueError(
            f"Invalid border mode for {layer}: {border_mode!r}. Expected one of: {', '.join(BORDER_MODES)}."
        )


def _as_pair(value, what):
    try:
        pair = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{what} must be a pair of ints such as (2, 2), got {value!r}.") from None
    if len(pair) != 2:
        raise ValueError(f"{what} must be a pair of ints such as (2, 2), got {value!r}.")
    return pair


# --- configs shared with the 0.2.0 classes ---------------------------------------------------

def conv_config(layer, keys):
    config = {"name": layer.__class__.__name__}
    for key in keys:
        config[key] = getattr(layer, key)
    config.update(init=initializations.name_of(layer.init),
                  activation=activations.name_of(layer.activation),
                  W_regularizer=_config_of(layer.W_regularizer),
                  b_regularizer=_config_of(layer.b_regularizer),
                  activity_regularizer=_config_of(layer.activity_regularizer),
                  W_constraint=_config_of(layer.W_constraint),
                  b_constraint=_config_of(layer.b_constraint))
    return config


class ConvMath(Layer):
    """What Convolution1D and Convolution2D of both releases share: the settings, the weights
    and the graph.

    ``_configure`` stores the settings (no weight drawn); ``_make_weights(stack_size)``
    draws ``W`` ``(nb_filter, stack_size, nb_row, nb_col)`` then ``b`` (zeros) and
    binds the regularizers.  The 0.1.3 constructors call both; the 0.2.0 classes
    call ``_make_weights`` from ``build()`` once the input shape is known.
    Subclasses set ``nb_row``/``nb_col``, ``border_mode``, ``subsample`` and
    ``crop_same_after_stride``.
    """

    crop_same_after_stride = True
    #: the keys of ``get_config`` besides ``name``, the init, activation, regularizers and constraints
    _config_keys = ()

    def _configure(self, nb_filter, init, activation, W_regularizer, b_regularizer, activity_regularizer,
                   W_constraint, b_constraint):
        self.nb_filter = nb_filter
        self.init = initializations.get(init)
        self.activation = activations.get(activation)
        _resolve_regularizers(self, W_regularizer, b_regularizer, activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.constraints = [self.W_constraint, self.b_constraint]

    def _make_weights(self, stack_size):
        self.add_weight("W", (self.nb_filter, stack_size, self.nb_row, self.nb_col), self.init)
        self.add_weight("b", (self.nb_filter,), initializations.zero)
        _bind_regularizers(self)

    def get_config(self):
        return conv_config(self, self._config_keys)

    def _image_output(self, X):
        """``activation(conv(X, W) + b)`` of an image batch X ``(n, c, H, W)``."""
        kernel = (self.nb_row, self.nb_col)
        if self.border_mode == "same":
            if tuple(self.subsample) == (1, 1):
                out = conv2d_same(X, self.W, kernel, self.b)
            elif not self.crop_same_after_stride:
                raise ValueError(
                    f"{type(self).__name__}: border_mode='same' does not take a stride (subsample="
                    f"{tuple(self.subsample)}); Keras 0.2.0 raised AssertionError here. Use "
                    "border_mode='valid' or 'full' with a stride, or subsample=(1, 1) with 'same'."
                )
            else:  # 0.1.3: the strided full convolution, then the crop in strided coordinates
                out = conv2d(X, self.W, kernel, "full", self.subsample, self.b)
                sr, sc = (self.nb_row - 1) // 2, (self.nb_col - 1) // 2
                out = out[:, :, sr:X.shape[2] + sr, sc:X.shape[3] + sc]
        else:
            out = conv2d(X, self.W, kernel, self.border_mode, self.subsample, self.b)
        return self.activation(out)

    def _sequence_output(self, X):
        """Convolution1D: ``(n, steps, dim)`` as the image ``(n, dim, steps, 1)``, back to
        ``(n, steps', nb_filter)``."""
        out = self._image_output(X.dimshuffle(0, 2, 1, "x"))
        return T.reshape(out, (out.shape[0], out.shape[1], out.shape[2]), ndim=3).dimshuffle(0, 2, 1)


def max_pool_2d(X, poolsize, stride, ignore_border):
    """Max pooling of the two last axes of X (``(n, c, rows, cols)``, or any rank >= 2 as
    Theano's ``max_pool_2d``); stride None: the pool size."""
    stride = poolsize if stride is None else stride
    rows, cols = X.ndim - 2, X.ndim - 1
    return max_pool(X, {rows: (poolsize[0], stride[0]), cols: (poolsize[1], stride[1])}, ignore_border)


def zero_pad_2d(X, padding):
    """X ``(n, c, rows, cols)`` with ``padding[0]`` zero rows and ``padding[1]`` zero columns on each side."""
    p0, p1 = padding
    return _pad_axes(X, {2: (p0, p0), 3: (p1, p1)})


# --- the 0.1.3 layers -----------------------------------------------------------------------

class Convolution1D(ConvMath):
    """0.1.3 ``Convolution1D(input_dim, nb_filter, filter_length, ...)`` over ``(n, steps, input_dim)``.

    W ``(nb_filter, input_dim, filter_length, 1)``, b ``(nb_filter,)``; output
    ``(n, steps', nb_filter)``.  As in 0.1.3, ``subsample_length`` strides the
    width-1 axis of the image the sequence is reshaped to, so it has no effect.
    """

    input_ndim = 3
    _config_keys = ("input_dim", "nb_filter", "filter_length", "border_mode", "subsample_length")

    def __init__(self, input_dim, nb_filter, filter_length, init="uniform", activation="linear",
                 weights=None, border_mode="valid", subsample_length=1, W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None, b_constraint=None):
        super().__init__()
        self._configure_1d(nb_filter, filter_length, border_mode, subsample_length, init, activation,
                           W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint)
        self.subsample = (1, subsample_length)
        self.input_dim = input_dim
        self.input = T.tensor3()
        self._make_weights(input_dim)
        if weights is not None:
            self.set_weights(weights)

    def _configure_1d(self, nb_filter, filter_length, border_mode, subsample_length, *args):
        check_border_mode("Convolution1D", border_mode)
        self._configure(nb_filter, *args)
        self.filter_length = filter_length
        self.border_mode = border_mode
        self.subsample_length = subsample_length
        self.nb_row, self.nb_col = filter_length, 1

    def get_output(self, train=False):
        return self._sequence_output(self.get_input(train))


class Convolution2D(ConvMath):
    """0.1.3 ``Convolution2D(nb_filter, stack_size, nb_row, nb_col, ...)`` over ``(n, stack_size, rows, cols)``.

    W ``(nb_filter, stack_size, nb_row, nb_col)``, b ``(nb_filter,)``.
    """

    input_ndim = 4
    _config_keys = ("nb_filter", "stack_size", "nb_row", "nb_col", "border_mode", "subsample")

    def __init__(self, nb_filter, stack_size, nb_row, nb_col, init="glorot_uniform", activation="linear",
                 weights=None, border_mode="valid", subsample=(1, 1), W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None, b_constraint=None):
        super().__init__()
        self._configure_2d(nb_filter, nb_row, nb_col, border_mode, subsample, init, activation,
                           W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint)
        self.stack_size = stack_size
        self.input = T.tensor4()
        self._make_weights(stack_size)
        if weights is not None:
            self.set_weights(weights)

    def _configure_2d(self, nb_filter, nb_row, nb_col, border_mode, subsample, *args):
        check_border_mode("Convolution2D", border_mode)
        self._configure(nb_filter, *args)
        self.nb_row = nb_row
        self.nb_col = nb_col
        self.border_mode = border_mode
        self.subsample = tuple(_as_pair(subsample, "Convolution2D subsample"))

    def get_output(self, train=False):
        return self._image_output(self.get_input(train))


class MaxPooling1D(Layer):
    """Max pooling along the steps of ``(n, steps, dim)``: ``pool_length``, ``stride`` (None: the pool length)."""

    input_ndim = 3

    def __init__(self, pool_length=2, stride=None, ignore_border=True):
        super().__init__()
        self.pool_length = pool_length
        self.stride = stride
        self.ignore_border = ignore_border
        self.input = T.tensor3()

    def get_output(self, train=False):
        stride = self.pool_length if self.stride is None else self.stride
        return max_pool(self.get_input(train), {1: (self.pool_length, stride)}, self.ignore_border)

    def get_config(self):
        return {"name": self.__class__.__name__, "pool_length": self.pool_length,
                "stride": self.stride, "ignore_border": self.ignore_border}


class MaxPooling2D(Layer):
    """Max pooling over the two last axes of ``(n, c, rows, cols)`` (0.1.3 ``poolsize=``).

    After a layer with another output rank (>= 2) it pools that output's two last axes,
    as the release did."""

    input_ndim = 4

    def __init__(self, poolsize=(2, 2), stride=None, ignore_border=True):
        super().__init__()
        self.poolsize = tuple(_as_pair(poolsize, "MaxPooling2D poolsize"))
        self.stride = None if stride is None else tuple(_as_pair(stride, "MaxPooling2D stride"))
        self.ignore_border = ignore_border
        self.input = T.tensor4()

    def get_output(self, train=False):
        return max_pool_2d(self.get_input(train), self.poolsize, self.stride, self.ignore_border)

    def get_config(self):
        return {"name": self.__class__.__name__, "poolsize": self.poolsize,
                "stride": self.stride, "ignore_border": self.ignore_border}


class UpSample1D(Layer):
    """Repeat each step of ``(n, steps, dim)`` ``length`` times (nearest neighbour)."""

    input_ndim = 3

    def __init__(self, length=2):
        super().__init__()
        self.length = length
        self.input = T.tensor3()

    def get_output(self, train=False):
        return repeat_axes(self.get_input(train), {1: self.length})

    def get_config(self):
        return {"name": self.__class__.__name__, "length": self.length}


class UpSample2D(Layer):
    """Repeat each pixel of ``(n, c, rows, cols)`` ``size[0]`` x ``size[1]`` times."""

    input_ndim = 4

    def __init__(self, size=(2, 2)):
        super().__init__()
        self.size = tuple(_as_pair(size, "UpSample2D size"))
        self.input = T.tensor4()

    def get_output(self, train=False):
        return repeat_axes(self.get_input(train), {2: self.size[0], 3: self.size[1]})

    def get_config(self):
        return {"name": self.__class__.__name__, "size": self.size}


class ZeroPadding2D(Layer):
    """Pad ``(n, c, rows, cols)`` with ``pad[0]`` zero rows and ``pad[1]`` zero columns on each side."""

    input_ndim = 4

    def __init__(self, pad=(1, 1)):
        super().__init__()
        self.pad = tuple(_as_pair(pad, "ZeroPadding2D pad"))
        self.input = T.tensor4()

    def get_output(self, train=False):
        return zero_pad_2d(self.get_input(train), self.pad)

    def get_config(self):
        return {"name": self.__class__.__name__, "pad": self.pad}
