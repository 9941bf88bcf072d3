"""ONNX export of the convolutional layers and Flatten (used by ``keras_legacy.export.to_onnx``).

Theano's ``conv2d`` is a true convolution and ONNX ``Conv`` a correlation, so
the kernel is written flipped on its spatial axes.  Border modes become pads:
``valid`` none, ``full`` ``k - 1`` on each side, stride-1 ``same``
``k - 1 - (k-1)//2`` before and ``(k-1)//2`` after.  Max pooling with
``ignore_border=False`` is written one axis at a time: a stride at least the
pool size is a pool over the input padded by ``pool - 1`` at the end; a smaller
stride is ``ceil_mode`` (the last window still starts inside the input).
Up-sampling is ``Resize`` (nearest, ``asymmetric``, ``floor``: an exact
repeat), zero padding ``Pad``, Flatten ``Flatten(axis=1)`` (C order).
"""

from __future__ import annotations

import numpy as np

CONV_LAYERS = ("Convolution1D", "Convolution2D", "MaxPooling1D", "MaxPooling2D", "UpSample1D",
               "UpSample2D", "ZeroPadding1D", "ZeroPadding2D", "Flatten")


def input_spec(layer_name, layer, weights):
    """(ONNX element type, input shape, ndim) when a convolution is the first layer, else None."""
    if layer_name == "Convolution2D":
        return "FLOAT", ["batch", int(weights[0].shape[1]), "rows", "cols"], 4
    if layer_name == "Convolution1D":
        return "FLOAT", ["batch", "time", int(weights[0].shape[1])], 3
    return None


def _conv_pads(border_mode, kernel):
    if border_mode == "valid":
        return [0] * len(kernel), [0] * len(kernel)
    if border_mode == "full":
        return [k - 1 for k in kernel], [k - 1 for k in kernel]
    return [k - 1 - (k - 1) // 2 for k in kernel], [(k - 1) // 2 for k in kernel]


def _transpose_steps(g, x, hint):
    return g.op("Transpose", [x], hint, perm=[0, 2, 1])


def _max_pool_axis(g, x, pool, stride, ignore_border, hint, ndim, axis):
    """One axis of a max pooling (spatial ``axis`` of an ``ndim``-D NC... tensor)."""
    n_spatial = ndim - 2
    kernel = [1] * n_spatial
    strides = [1] * n_spatial
    kernel[axis], strides[axis] = pool, stride
    pads = [0] * (2 * n_spatial)
    attrs = {}
    if not ignore_border:
        if stride >= pool:
            pads[n_spatial + axis] = pool - 1
        else:
            attrs["ceil_mode"] = 1
    return g.op("MaxPool", [x], hint, kernel_shape=kernel, strides=strides, pads=pads, **attrs)


def _max_pool(g, x, pools, strides, ignore_border, hint, ndim):
    if ignore_border:
        return g.op("MaxPool", [x], hint, kernel_shape=list(pools), strides=list(strides))
    for axis, (p, s) in enumerate(zip(pools, strides)):
        x = _max_pool_axis(g, x, p, s, ignore_border, hint, ndim, axis)
    return x


def convolutional(g, x, name, layer, config, weights, ndim, where, activation):
    """Append the nodes of one convolutional layer; return ``(output, ndim)``."""
    hint = name.lower()
    if name == "Flatten":
        return g.op("Flatten", [x], hint, axis=1), 2
    if name == "Convolution2D":
        if ndim != 4:
            raise ValueError(f"to_onnx: {where} needs a 4-D (samples, channels, rows, cols) input, got {ndim}-D.")
        W, b = weights
        kernel = [int(W.shape[2]), int(W.shape[3])]
        border_mode = config["border_mode"]
        subsample = [int(s) for s in layer.subsample]
        if border_mode == "same" and subsample != [1, 1]:
            raise ValueError(
                f"to_onnx: {where} has border_mode='same' with subsample={tuple(subsample)}: Keras 0.1.3 "
                "crops the strided full convolution in strided coordinates, which no ONNX Conv padding "
                "reproduces. Export a model with subsample=(1, 1) or border_mode 'valid'/'full'."
            )
        before, after = _conv_pads(border_mode, kernel)
        y = g.op("Conv", [x, g.const(W[:, :, ::-1, ::-1], f"{hint}_W"), g.const(b, f"{hint}_b")], hint,
                 kernel_shape=kernel, strides=subsample, pads=before + after)
        return activation(y, config["activation"]), 4
    if name == "Convolution1D":
        if ndim != 3:
            raise ValueError(f"to_onnx: {where} needs a 3-D (samples, steps, features) input, got {ndim}-D.")
        W, b = weights
        length = int(W.shape[2])
        stride = int(layer.subsample[0])  # 0.1.3 strides the width-1 axis: no stride along the steps
        border_mode = config["border_mode"]
        if border_mode == "same" and stride != 1:
            raise ValueError(f"to_onnx: {where}: border_mode='same' with a stride has no exact ONNX form.")
        before, after = _conv_pads(border_mode, [length])
        y = g.op("Conv", [_transpose_steps(g, x, hint), g.const(W[:, :, ::-1, 0], f"{hint}_W"),
                          g.const(b, f"{hint}_b")], hint,
                 kernel_shape=[length], strides=[stride], pads=before + after)
        return _transpose_steps(g, activation(y, config["activation"]), hint), 3
    if name == "MaxPooling2D":
        if ndim != 4:
            raise ValueError(f"to_onnx: {where} pools a {ndim}-D input; only a 4-D (samples, channels, rows, "
                             "cols) input is exported.")
        pools = list(layer.pool_size if hasattr(layer, "pool_size") else layer.poolsize)
        strides = pools if layer.stride is None else list(layer.stride)
        return _max_pool(g, x, pools, strides, layer.ignore_border, hint, 4), 4
    if name == "MaxPooling1D":
        stride = layer.pool_length if layer.stride is None else layer.stride
        y = _max_pool(g, _transpose_steps(g, x, hint), [layer.pool_length], [stride], layer.ignore_border,
                      hint, 3)
        return _transpose_steps(g, y, hint), 3
    if name in ("UpSample1D", "UpSample2D"):
        scales = [1.0, float(layer.length), 1.0] if name == "UpSample1D" else \
            [1.0, 1.0, float(layer.size[0]), float(layer.size[1])]
        y = g.op("Resize", [x, "", g.const(np.array(scales), f"{hint}_scales")], hint, mode="nearest",
                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        return y, ndim
    if name in ("ZeroPadding1D", "ZeroPadding2D"):
        if name == "ZeroPadding1D":
            p = int(layer.padding)
            pads = [0, p, 0, 0, p, 0]
        else:
            p0, p1 = layer.padding if hasattr(layer, "padding") else layer.pad
            pads = [0, 0, p0, p1, 0, 0, p0, p1]
        return g.op("Pad", [x, g.const(np.array(pads), f"{hint}_pads", np.int64)], hint, mode="constant"), ndim
    raise ValueError(f"to_onnx: {where} is not a convolutional layer.")
