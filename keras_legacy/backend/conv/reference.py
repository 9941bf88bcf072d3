"""NumPy versions of the convolution and pooling Ops (their ``perform``).

Geometry (every Op of ``ops``): images ``x (N, C, H, W)``, kernel ``w (F, C, kh, kw)``,
``pads = (top, bottom, left, right)`` zero rows/columns around each image, ``subsample =
(sh, sw)``; the output ``(N, F, Ho, Wo)`` is Theano's convolution (the kernel flipped)
of the padded images, strided:
``out[n, f, i, j] = sum_{c,a,b} w[f, c, a, b] * xp[n, c, i*sh + kh-1-a, j*sw + kw-1-b]``.
Max pooling works on the two last axes of any array of rank >= 2.
"""

from __future__ import annotations

import numpy as np


def conv_length(length, pad, k, s):
    """Output length of an axis of ``length`` padded by ``pad`` in all, kernel ``k``, stride ``s``."""
    return 0 if length + pad < k else (length + pad - k) // s + 1


def pool_length(length, p, s, ignore_border):
    """Theano's pooled length of an axis of ``length`` (window ``p``, stride ``s``)."""
    if ignore_border:
        return max((length - p) // s + 1, 0) if length >= p else 0
    if s >= p:
        return (length - 1) // s + 1 if length > 0 else 0
    return (((length - 1 - p) // s + 1) if length - 1 - p >= 0 else 0) + 1


def _geometry(x_shape, kh, kw, pads, subsample):
    pt, pb, pl, pr = pads
    sh, sw = subsample
    return (conv_length(x_shape[2], pt + pb, kh, sh), conv_length(x_shape[3], pl + pr, kw, sw))


def _padded(x, pads):
    pt, pb, pl, pr = pads
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def _windows(xp, kh, kw, Ho, Wo, subsample):
    """``cols[n, c, a, b, i, j] = xp[n, c, i*sh + kh-1-a, j*sw + kw-1-b]`` (a copy)."""
    sh, sw = subsample
    N, C = xp.shape[:2]
    cols = np.zeros((N, C, kh, kw, Ho, Wo), dtype=xp.dtype)
    if Ho == 0 or Wo == 0:
        return cols
    for a in range(kh):
        for b in range(kw):
            r, c = kh - 1 - a, kw - 1 - b
            cols[:, :, a, b] = xp[:, :, r:r + (Ho - 1) * sh + 1:sh, c:c + (Wo - 1) * sw + 1:sw][:, :, :Ho, :Wo]
    return cols


def conv_forward(x, w, b, pads, subsample):
    """``(N, F, Ho, Wo)``: the convolution of x with w, plus ``b`` ``(F,)`` (None: no bias)."""
    F, _, kh, kw = w.shape
    Ho, Wo = _geometry(x.shape, kh, kw, pads, subsample)
    cols = _windows(_padded(x, pads), kh, kw, Ho, Wo, subsample)
    out = np.tensordot(w, cols, axes=([1, 2, 3], [1, 2, 3])).transpose(1, 0, 2, 3)
    if b is not None:
        out = out + b[None, :, None, None]
    return np.ascontiguousarray(out, dtype=x.dtype)


def conv_grad_input(dy, w, x_shape, pads, subsample):
    """The gradient w.r.t. the images ``(N, C, H, W)`` of ``sum(dy * conv_forward(x, w))``."""
    pt, pb, pl, pr = pads
    sh, sw = subsample
    _, _, kh, kw = w.shape
    N, F, Ho, Wo = dy.shape
    if Ho == 0 or Wo == 0:
        return np.zeros(x_shape, dtype=dy.dtype)
    dcols = np.tensordot(dy, w, axes=([1], [0]))  # (N, Ho, Wo, C, kh, kw)
    H, W = x_shape[2], x_shape[3]
    dxp = np.zeros((N, x_shape[1], max(H + pt + pb, (Ho - 1) * sh + kh), max(W + pl + pr, (Wo - 1) * sw + kw)),
                   dtype=dy.dtype)
    for a in range(kh):
        for b in range(kw):
            r, c = kh - 1 - a, kw - 1 - b
            view = (slice(None), slice(None), slice(r, r + (Ho - 1) * sh + 1, sh), slice(c, c + (Wo - 1) * sw + 1, sw))
            dxp[view] += dcols[:, :, :, :, a, b].transpose(0, 3, 1, 2)
    return np.ascontiguousarray(dxp[:, :, pt:pt + H, pl:pl + W])


def conv_grad_kernel(x, dy, w_shape, pads, subsample):
    """The gradient w.r.t. the kernel ``(F, C, kh, kw)`` of ``sum(dy * conv_forward(x, w))``."""
    _, _, kh, kw = w_shape
    Ho, Wo = dy.shape[2:]
    cols = _windows(_padded(x, pads), kh, kw, Ho, Wo, subsample)
    return np.ascontiguousarray(np.tensordot(dy, cols, axes=([0, 2, 3], [0, 4, 5])), dtype=x.dtype)


def _pool_views(shape, pool, stride, ignore_border):
    """The pooled lengths and, per window offset (a, b), the index of the strided view of the
    array padded at the end (rows, columns) to ``Ho*sh + ph`` by ``Wo*sw + pw``."""
    (ph, pw), (sh, sw) = pool, stride
    Ho = pool_length(shape[-2], ph, sh, ignore_border)
    Wo = pool_length(shape[-1], pw, sw, ignore_border)
    views = [(Ellipsis, slice(a, a + (Ho - 1) * sh + 1, sh), slice(b, b + (Wo - 1) * sw + 1, sw))
             for a in range(ph) for b in range(pw)]
    return Ho, Wo, views


def _pool_padded(x, Ho, Wo, pool, stride, value):
    (ph, pw), (sh, sw) = pool, stride
    rows = max(x.shape[-2], (Ho - 1) * sh + ph, 0)
    cols = max(x.shape[-1], (Wo - 1) * sw + pw, 0)
    out = np.full(x.shape[:-2] + (rows, cols), value, dtype=x.dtype)
    out[..., :x.shape[-2], :x.shape[-1]] = x
    return out


def max_pool(x, pool, stride, ignore_border):
    """Max pooling of the two last axes; partial windows (``ignore_border=False``) pool what exists."""
    Ho, Wo, views = _pool_views(x.shape, pool, stride, ignore_border)
    if Ho == 0 or Wo == 0:
        return np.zeros(x.shape[:-2] + (Ho, Wo), dtype=x.dtype)
    xp = _pool_padded(x, Ho, Wo, pool, stride, -np.inf)
    out = xp[views[0]].copy()
    for view in views[1:]:
        np.maximum(out, xp[view], out=out)
    return out


def max_pool_grad(x, y, dy, pool, stride, ignore_border):
    """dx: each element equal to its window's maximum gets the window's gradient, summed over windows."""
    Ho, Wo, views = _pool_views(x.shape, pool, stride, ignore_border)
    if Ho == 0 or Wo == 0:
        return np.zeros_like(x)
    xp = _pool_padded(x, Ho, Wo, pool, stride, -np.inf)
    dxp = np.zeros_like(xp)
    for view in views:
        dxp[view] += (xp[view] == y) * dy
    return np.ascontiguousarray(dxp[..., :x.shape[-2], :x.shape[-1]])
