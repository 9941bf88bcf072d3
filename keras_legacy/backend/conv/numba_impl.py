"""Numba implementations of the convolution and pooling Ops, for PyTensor's Numba backend.

``register`` (called by ``pytensor_compat.on_numba_backend`` when PyTensor loads its Numba
backend) gives each Op a ``numba_funcify`` entry: nopython loops for im2col, col2im and
the pooling windows, the products through ``np.dot`` (BLAS), the math of
``reference`` (the Ops' ``perform``) with the same geometry.  The kernels below are plain
Python until ``_bind_numba`` compiles them (``fastmath=False``, cached on disk).
"""

from __future__ import annotations

import numpy as np

from keras_legacy.backend.conv import ops

#: Bumped when the kernels' math changes: part of PyTensor's cache key of the graphs.
KERNEL_VERSION = 1

#: The numba decorators, set by ``_bind_numba``.
_njit = _wrap = None

#: The kernels, jitted by ``_bind_numba`` in this order (later ones call earlier ones).
_KERNELS = ("_length", "_pool_len", "_im2col", "_col2im", "conv_forward", "conv_grad_input",
            "conv_grad_kernel", "conv_grad_bias", "pool_forward", "pool_grad")


def _bind_numba():
    global _njit, _wrap
    if _njit is not None:
        return
    import numba

    _njit = numba.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")
    _wrap = numba.njit(fastmath=False, error_model="numpy")
    names = globals()
    for name in _KERNELS:
        names[name] = _njit(names[name])


def _length(L, pad, k, s):
    return 0 if L + pad < k else (L + pad - k) // s + 1


def _im2col(x, kh, kw, sh, sw, pt, pl, Ho, Wo, cols):
    """cols (C*kh*kw, Ho*Wo) of one image x (C, H, W): row (c, a, b) holds
    x[c, i*sh + kh-1-a - pt, j*sw + kw-1-b - pl], 0 outside."""
    C, H, W = x.shape
    for c in range(C):
        for a in range(kh):
            for b in range(kw):
                r = (c * kh + a) * kw + b
                ry, rx = kh - 1 - a - pt, kw - 1 - b - pl
                for i in range(Ho):
                    y = i * sh + ry
                    for j in range(Wo):
                        xx = j * sw + rx
                        if 0 <= y < H and 0 <= xx < W:
                            cols[r, i * Wo + j] = x[c, y, xx]
                        else:
                            cols[r, i * Wo + j] = 0


def _col2im(cols, kh, kw, sh, sw, pt, pl, Ho, Wo, x):
    """x (C, H, W) += cols put back where ``_im2col`` takes them."""
    C, H, W = x.shape
    for c in range(C):
        for a in range(kh):
            for b in range(kw):
                r = (c * kh + a) * kw + b
                ry, rx = kh - 1 - a - pt, kw - 1 - b - pl
                for i in range(Ho):
                    y = i * sh + ry
                    if y < 0 or y >= H:
                        continue
                    for j in range(Wo):
                        xx = j * sw + rx
                        if 0 <= xx < W:
                            x[c, y, xx] += cols[r, i * Wo + j]


def conv_forward(x, w, b, has_bias, sh, sw, pt, pb, pl, pr):
    N, C, H, W = x.shape
    F, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    Ho, Wo = _length(H, pt + pb, kh, sh), _length(W, pl + pr, kw, sw)
    K, P = C * kh * kw, Ho * Wo
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    w2 = np.ascontiguousarray(w).reshape(F, K)
    cols = np.empty((K, P), dtype=x.dtype)
    for n in range(N):
        if K > 0 and P > 0 and F > 0:
            _im2col(x[n], kh, kw, sh, sw, pt, pl, Ho, Wo, cols)
            prod = np.dot(w2, cols)
            for f in range(F):
                for p in range(P):
                    out[n, f, p // Wo, p % Wo] = prod[f, p]
        if has_bias:
            for f in range(F):
                out[n, f] += b[f]
    return out


def conv_grad_input(dy, w, x, sh, sw, pt, pl):
    N, C, H, W = x.shape
    F, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    Ho, Wo = dy.shape[2], dy.shape[3]
    K, P = C * kh * kw, Ho * Wo
    dx = np.zeros((N, C, H, W), dtype=dy.dtype)
    if K == 0 or P == 0 or F == 0:
        return dx
    w2t = np.ascontiguousarray(np.ascontiguousarray(w).reshape(F, K).T)
    for n in range(N):
        cols = np.dot(w2t, np.ascontiguousarray(dy[n]).reshape(F, P))
        _col2im(cols, kh, kw, sh, sw, pt, pl, Ho, Wo, dx[n])
    return dx


def conv_grad_kernel(x, dy, w, sh, sw, pt, pl):
    N, C = x.shape[0], x.shape[1]
    F, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    Ho, Wo = dy.shape[2], dy.shape[3]
    K, P = C * kh * kw, Ho * Wo
    dw = np.zeros((F, K), dtype=x.dtype)
    if K == 0 or P == 0 or F == 0:
        return dw.reshape(F, C, kh, kw)
    cols = np.empty((K, P), dtype=x.dtype)
    for n in range(N):
        _im2col(x[n], kh, kw, sh, sw, pt, pl, Ho, Wo, cols)
        dw += np.dot(np.ascontiguousarray(dy[n]).reshape(F, P), np.ascontiguousarray(cols.T))
    return dw.reshape(F, C, kh, kw)


def conv_grad_bias(dy):
    N, F, Ho, Wo = dy.shape
    db = np.empty(F, dtype=dy.dtype)
    for f in range(F):
        acc = 0.0
        for n in range(N):
            for i in range(Ho):
                for j in range(Wo):
                    acc += dy[n, f, i, j]
        db[f] = acc
    return db


def _pool_len(L, p, s, ignore_border):
    if ignore_border:
        return (L - p) // s + 1 if L >= p else 0
    if s >= p:
        return (L - 1) // s + 1 if L > 0 else 0
    return ((L - 1 - p) // s + 1 if L - 1 - p >= 0 else 0) + 1


def pool_forward(x3, ph, pw, sh, sw, ignore_border):
    """Max pooling of x3 (N, H, W) -> (N, Ho, Wo)."""
    N, H, W = x3.shape
    Ho, Wo = _pool_len(H, ph, sh, ignore_border), _pool_len(W, pw, sw, ignore_border)
    y = np.empty((N, Ho, Wo), dtype=x3.dtype)
    for n in range(N):
        for i in range(Ho):
            r0 = i * sh
            r1 = min(r0 + ph, H)
            for j in range(Wo):
                c0 = j * sw
                c1 = min(c0 + pw, W)
                m = -np.inf
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        if x3[n, r, c] > m:
                            m = x3[n, r, c]
                y[n, i, j] = m
    return y


def pool_grad(x3, y3, dy3, ph, pw, sh, sw):
    """dx (N, H, W): every element equal to its window's maximum gets the window's gradient."""
    N, H, W = x3.shape
    Ho, Wo = y3.shape[1], y3.shape[2]
    dx = np.zeros_like(x3)
    for n in range(N):
        for i in range(Ho):
            r0 = i * sh
            r1 = min(r0 + ph, H)
            for j in range(Wo):
                c0 = j * sw
                c1 = min(c0 + pw, W)
                m, d = y3[n, i, j], dy3[n, i, j]
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        dx[n, r, c] += (x3[n, r, c] == m) * d
    return dx


# --- the Ops' funcifies ---------------------------------------------------------------------

def numba_funcify_Conv2D(op, node=None, **kwargs):
    (sh, sw), (pt, pb, pl, pr) = op.subsample, op.pads
    kern = conv_forward
    if len(node.inputs) > 2:
        def conv2d(x, w, b):
            return kern(x, w, b, True, sh, sw, pt, pb, pl, pr)
    else:
        def conv2d(x, w):
            return kern(x, w, np.zeros(w.shape[0], dtype=w.dtype), False, sh, sw, pt, pb, pl, pr)
    return _wrap(conv2d), KERNEL_VERSION


def numba_funcify_conv_grad(op, node=None, **kwargs):
    """Conv2DGradInput ``(dy, w, x)`` and Conv2DGradKernel ``(x, dy, w)``: their kernel, same arguments."""
    (sh, sw), (pt, _, pl, _) = op.subsample, op.pads
    kern = conv_grad_input if isinstance(op, ops.Conv2DGradInput) else conv_grad_kernel

    def conv2d_grad(a, b, c):
        return kern(a, b, c, sh, sw, pt, pl)

    return _wrap(conv2d_grad), KERNEL_VERSION


def numba_funcify_Conv2DGradBias(op, node=None, **kwargs):
    kern = conv_grad_bias

    def conv2d_grad_bias(dy):
        return kern(dy)

    return _wrap(conv2d_grad_bias), KERNEL_VERSION


def numba_funcify_MaxPool2D(op, node=None, **kwargs):
    (ph, pw), (sh, sw), ignore = op.pool, op.stride, op.ignore_border
    kern = pool_forward

    def max_pool(x):
        x3 = np.ascontiguousarray(x).reshape((-1, x.shape[-2], x.shape[-1]))
        y = kern(x3, ph, pw, sh, sw, ignore)
        return y.reshape(x.shape[:-2] + (y.shape[1], y.shape[2]))

    return _wrap(max_pool), KERNEL_VERSION


def numba_funcify_MaxPool2DGrad(op, node=None, **kwargs):
    (ph, pw), (sh, sw) = op.pool, op.stride
    kern = pool_grad

    def max_pool_grad(x, y, dy):
        H, W = x.shape[-2], x.shape[-1]
        Ho, Wo = y.shape[-2], y.shape[-1]
        dx = kern(np.ascontiguousarray(x).reshape((-1, H, W)), np.ascontiguousarray(y).reshape((-1, Ho, Wo)),
                  np.ascontiguousarray(dy).reshape((-1, Ho, Wo)), ph, pw, sh, sw)
        return dx.reshape(x.shape)

    return _wrap(max_pool_grad), KERNEL_VERSION


_FUNCIFIES = {
    ops.Conv2D: numba_funcify_Conv2D,
    ops.Conv2DGradInput: numba_funcify_conv_grad,
    ops.Conv2DGradKernel: numba_funcify_conv_grad,
    ops.Conv2DGradBias: numba_funcify_Conv2DGradBias,
    ops.MaxPool2D: numba_funcify_MaxPool2D,
    ops.MaxPool2DGrad: numba_funcify_MaxPool2DGrad,
}


def register(register_op):
    """Register the Ops' funcifies with ``register_op(op_type)``, a decorator (see
    ``pytensor_compat.on_numba_backend``); binds numba first."""
    _bind_numba()
    for op_type, funcify in _FUNCIFIES.items():
        register_op(op_type)(funcify)
