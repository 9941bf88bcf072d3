"""Numba implementations of the fused LSTM / GRU Ops, for PyTensor's Numba backend.

Where a C compiler is there, each funcify below returns the Op's own C kernel, built as a
shared library and called from nopython code (``numba_c``, ``clib``): the C mode's bits
and speed.  The nopython kernels of this module are the fallback without one.

PyTensor's default mode (``NUMBA``) turns each node into a function through its
``numba_funcify`` dispatch; an Op without an entry there runs its NumPy ``perform``
in object mode.  ``register`` gives each fused Op an entry: nopython loops with the
gate nonlinearities and the state update fused per element, the matrix products
through ``np.dot`` (BLAS).  The math is the one of the Ops' ``perform`` (same
operation order, so float64 agrees with it and with the C code to rounding).

numba is imported when PyTensor's Numba backend is (``pytensor_compat.on_numba_backend``
calls ``register``) or when ``kernel`` is first called: the helpers below are plain
Python until ``_bind_numba`` binds their names to their jitted versions.

The kernels are compiled with ``fastmath=False`` (PyTensor's own ``numba_njit``
default allows reassociation) and cached on disk (``cache=True``): one cold compile
per activation pair, dtype and input layout.  float32 uses a branch-free polynomial
``exp`` (Cody-Waite reduction, degree-7 polynomial) that LLVM vectorises, with
``tanh`` and ``sigmoid`` built on it, as the C code does; float64 uses libm.
"""

from __future__ import annotations

import numpy as np

from keras_legacy.backend.rnn import numba_c
from keras_legacy.backend.rnn.gates import SUPPORTED
from keras_legacy.backend.rnn.ops_gru import GRUForward, GRUGrad
from keras_legacy.backend.rnn.ops_lstm import LSTMForward, LSTMForwardX, LSTMGrad

#: Bumped when the kernels' math changes: part of PyTensor's cache key of the graphs.
KERNEL_VERSION = 1

#: One code per activation of ``SUPPORTED`` (tests/test_rnn_backends.py checks they match).
_ACT_CODE = {"tanh": 0, "sigmoid": 1, "hard_sigmoid": 2, "linear": 3}

#: The numba decorators, set by ``_bind_numba``: kernels, inlined helpers, the Ops' wrappers.
_njit = _inline = _wrap = None

#: The helpers jitted inline into the kernels (``_bind_numba``), in dependency order.
_INLINE_HELPERS = ("_exp32", "_act", "_dact", "_all_ones", "_masked_prev")


def _bind_numba():
    """Import numba; bind ``_pow2`` and the ``_INLINE_HELPERS`` names to their jitted
    versions (the kernels read them as globals when they compile).  Once."""
    global _njit, _inline, _wrap, _pow2
    if _njit is not None:
        return
    import numba
    from numba.extending import intrinsic

    _inline = numba.njit(cache=True, fastmath=False, inline="always", error_model="numpy")
    _wrap = numba.njit(fastmath=False, error_model="numpy")
    _pow2 = intrinsic(_pow2)
    helpers = globals()
    for name in _INLINE_HELPERS:
        helpers[name] = _inline(helpers[name])
    _njit = numba.njit(cache=True, fastmath=False, nogil=True, error_model="numpy")


# --- scalar activations (plain Python until ``_bind_numba``) -----------------------

def _pow2(typingctx, k):
    """``2**k`` for a float32 ``k`` holding an integer in [-126, 127], built from its bits
    (32-bit integer operations only, so LLVM keeps the vector width of float32);
    a numba intrinsic once bound."""
    from llvmlite import ir
    from numba import types

    if k != types.float32:
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        ki = builder.fptosi(args[0], i32)
        bits = builder.shl(builder.add(ki, ir.Constant(i32, 127)), ir.Constant(i32, 23))
        return builder.bitcast(bits, ir.FloatType())

    return types.float32(types.float32), codegen


_F32 = np.float32


def _exp32(x):
    """``exp(x)`` in float32, < 2 ulp, branch-free (vectorisable)."""
    # Ternaries, not min/max: the clamp of the C code, NaN passing through.
    x = _F32(-87.0) if x < _F32(-87.0) else (_F32(88.0) if x > _F32(88.0) else x)  # noqa: FURB136
    # floor(x / ln 2) as a truncation of a positive number (no floor call).
    k = _F32(np.int32(x * _F32(1.44269504088896341) + _F32(128.5))) - _F32(128.0)
    r = x - k * _F32(0.693359375)
    r = r - k * _F32(-2.12194440e-4)
    p = _F32(1.0 / 5040.0)
    p = p * r + _F32(1.0 / 720.0)
    p = p * r + _F32(1.0 / 120.0)
    p = p * r + _F32(1.0 / 24.0)
    p = p * r + _F32(1.0 / 6.0)
    p = p * r + _F32(0.5)
    p = p * r + _F32(1.0)
    p = p * r + _F32(1.0)
    return p * _pow2(k)


def _act(x, kind, f32, one, zero, slope, half):
    """Activation ``kind`` (``_ACT_CODE``) of the scalar ``x``; the constants are in x's dtype."""
    if kind == 0:
        if f32:
            a = -x if x < zero else x
            t = _exp32(-(a + a))
            y = (one - t) / (one + t)
            return -y if x < zero else y
        return np.tanh(x)
    if kind == 1:
        if f32:
            return one / (one + _exp32(-x))
        return one / (one + np.exp(-x))
    if kind == 2:
        y = x * slope + half
        return zero if y < zero else (one if y > one else y)  # noqa: FURB136 (NaN as NumPy's clip)
    return x


def _dact(y, kind, one, zero, slope):
    """Derivative of activation ``kind`` from its output ``y``."""
    if kind == 0:
        return one - y * y
    if kind == 1:
        return y * (one - y)
    if kind == 2:
        return slope if (y > zero and y < one) else zero
    return one


def _all_ones(mask, t):
    """Whether every row of step ``t`` keeps its state (``mask[t] == 1``)."""
    for j in range(mask.shape[1]):
        if mask[t, j] != 1:
            return False
    return True


def _masked_prev(dst, h, mask, t, cast):
    """``dst = mask[t][:, None] * h[t - 1]``."""
    n, H = dst.shape
    for j in range(n):
        mj = cast(mask[t, j])
        for k in range(H):
            dst[j, k] = mj * h[t - 1, j, k]


# --- kernel factories: one closure per (kind, act, inner, dtype) -----------------
# The activation codes and dtype constants are closure variables, i.e. compile-time
# constants of each kernel: the branches of ``_act``/``_dact`` fold away.

def _constants(dtype):
    cast = np.float32 if dtype == "float32" else np.float64
    return cast, dtype == "float32", cast(1), cast(0), cast(0.2), cast(0.5)


def _lstm_forward_kernel(act, inner, dtype, fold):
    A, I = _ACT_CODE[act], _ACT_CODE[inner]
    cast, f32, one, zero, slope, half = _constants(dtype)

    def lstm_forward(xp, W, mask, U, b, save):
        """h, c, G of ``LSTMForward``: pre-activations ``xp[t]``, or ``xp[t].W`` with ``fold``."""
        H = U.shape[0]
        n_steps, n = mask.shape
        Uc = np.ascontiguousarray(U)
        h = np.empty((n_steps, n, H), U.dtype)
        ts = n_steps if save else 0
        c = np.empty((ts, n, H), U.dtype)
        G = np.empty((ts, n, 5 * H), U.dtype)
        cprev = np.zeros((n, H), U.dtype)
        hm = np.empty((n, H), U.dtype)
        rec = np.zeros((n, 4 * H), U.dtype)
        gbuf = np.empty((n, 5 * H), U.dtype)
        tc = np.empty(H, U.dtype)
        if fold:
            Wc = np.ascontiguousarray(W)
            Xt = np.empty((n, Wc.shape[0]), U.dtype)
            xw = np.empty((n, 4 * H), U.dtype)
        else:
            xpc = np.ascontiguousarray(xp)
        for t in range(n_steps):
            if t > 0:
                if _all_ones(mask, t):
                    np.dot(h[t - 1], Uc, rec)
                else:
                    _masked_prev(hm, h, mask, t, cast)
                    np.dot(hm, Uc, rec)
            if fold:
                Xt[:, :] = xp[t]
                np.dot(Xt, Wc, xw)
                src = xw
            else:
                src = xpc[t]
            gt = G[t] if save else gbuf
            # Short passes over one row at a time (few arrays per loop: LLVM vectorises them).
            for j in range(n):
                mj = cast(mask[t, j])
                g = gt[j]
                s_j = src[j]
                r_j = rec[j]
                for k in range(4 * H):
                    g[k] = (s_j[k] + b[k]) + r_j[k]
                for k in range(3 * H):
                    g[k] = _act(g[k], I, f32, one, zero, slope, half)
                for k in range(3 * H, 4 * H):
                    g[k] = _act(g[k], A, f32, one, zero, slope, half)
                cp = cprev[j]
                for k in range(H):
                    cp[k] = g[H + k] * (mj * cp[k]) + g[k] * g[3 * H + k]
                for k in range(H):
                    tc[k] = _act(cp[k], A, f32, one, zero, slope, half)
                h_j = h[t, j]
                for k in range(H):
                    h_j[k] = g[2 * H + k] * tc[k]
                g[4 * H:] = tc
            if save:
                c[t] = cprev
        return h, c, G

    return lstm_forward


def _lstm_grad_kernel(act, inner, dtype):
    A, I = _ACT_CODE[act], _ACT_CODE[inner]
    cast, _, one, zero, slope, _ = _constants(dtype)

    def lstm_grad(mask, U, c, G, dh, stop):
        """dA of ``LSTMGrad``: steps ``stop..T-1`` walked backwards, earlier steps zero."""
        n_steps, n, H = c.shape
        UT = np.ascontiguousarray(U.T)
        dA = np.zeros((n_steps, n, 4 * H), U.dtype)
        dhn = np.zeros((n, H), U.dtype)
        dcn = np.zeros((n, H), U.dtype)
        prod = np.empty((n, H), U.dtype)
        dht = np.empty(H, U.dtype)
        dc = np.empty(H, U.dtype)
        for t in range(n_steps - 1, stop - 1, -1):
            for j in range(n):
                mj = cast(mask[t, j])
                g = G[t, j]
                d = dA[t, j]
                dh_j = dh[t, j]
                dhn_j = dhn[j]
                dcn_j = dcn[j]
                for k in range(H):
                    dht[k] = dh_j[k] + dhn_j[k]
                for k in range(H):
                    dc[k] = dcn_j[k] + dht[k] * g[2 * H + k] * _dact(g[4 * H + k], A, one, zero, slope)
                for k in range(H):
                    d[k] = dc[k] * g[3 * H + k] * _dact(g[k], I, one, zero, slope)
                if t > 0:
                    c_j = c[t - 1, j]
                    for k in range(H):
                        d[H + k] = dc[k] * (mj * c_j[k]) * _dact(g[H + k], I, one, zero, slope)
                else:
                    for k in range(H):
                        d[H + k] = dc[k] * zero * _dact(g[H + k], I, one, zero, slope)
                for k in range(H):
                    d[2 * H + k] = dht[k] * g[4 * H + k] * _dact(g[2 * H + k], I, one, zero, slope)
                for k in range(H):
                    d[3 * H + k] = dc[k] * g[k] * _dact(g[3 * H + k], A, one, zero, slope)
                for k in range(H):
                    dcn_j[k] = mj * (dc[k] * g[H + k])
            if t > stop:
                np.dot(dA[t], UT, prod)
                for j in range(n):
                    mj = cast(mask[t, j])
                    for k in range(H):
                        dhn[j, k] = mj * prod[j, k]
        return dA

    return lstm_grad


def _gru_forward_kernel(act, inner, dtype):
    A, I = _ACT_CODE[act], _ACT_CODE[inner]
    cast, f32, one, zero, slope, half = _constants(dtype)

    def gru_forward(xp, mask, U, b, save):
        """h, G of ``GRUForward``."""
        n_steps, n, _ = xp.shape
        H = U.shape[0]
        Uzr = np.ascontiguousarray(U[:, : 2 * H])
        Uh = np.ascontiguousarray(U[:, 2 * H:])
        h = np.empty((n_steps, n, H), U.dtype)
        G = np.empty((n_steps if save else 0, n, 3 * H), U.dtype)
        hm = np.zeros((n, H), U.dtype)
        rh = np.zeros((n, H), U.dtype)
        gbuf = np.empty((n, 3 * H), U.dtype)
        rec_zr = np.zeros((n, 2 * H), U.dtype)
        rec_h = np.zeros((n, H), U.dtype)
        xpc = np.ascontiguousarray(xp)
        for t in range(n_steps):
            if t > 0:
                _masked_prev(hm, h, mask, t, cast)
                np.dot(hm, Uzr, rec_zr)
            gt = G[t] if save else gbuf
            for j in range(n):
                g = gt[j]
                x_j = xpc[t, j]
                r_j = rec_zr[j]
                for k in range(2 * H):
                    g[k] = _act((x_j[k] + b[k]) + r_j[k], I, f32, one, zero, slope, half)
                hm_j = hm[j]
                rh_j = rh[j]
                for k in range(H):
                    rh_j[k] = g[H + k] * hm_j[k]
            if t > 0:
                np.dot(rh, Uh, rec_h)
            for j in range(n):
                g = gt[j]
                x_j = xpc[t, j]
                r_j = rec_h[j]
                for k in range(H):
                    g[2 * H + k] = _act((x_j[2 * H + k] + b[2 * H + k]) + r_j[k], A, f32, one, zero, slope, half)
                hm_j = hm[j]
                h_j = h[t, j]
                for k in range(H):
                    zk = g[k]
                    h_j[k] = zk * hm_j[k] + (one - zk) * g[2 * H + k]
        return h, G

    return gru_forward


def _gru_grad_kernel(act, inner, dtype):
    A, I = _ACT_CODE[act], _ACT_CODE[inner]
    cast, _, one, zero, slope, _ = _constants(dtype)

    def gru_grad(mask, U, h, G, dh, stop):
        """dA of ``GRUGrad``: steps ``stop..T-1`` walked backwards, earlier steps zero."""
        n_steps, n, H = h.shape
        UzrT = np.ascontiguousarray(U[:, : 2 * H].T)
        UhT = np.ascontiguousarray(U[:, 2 * H:].T)
        dA = np.zeros((n_steps, n, 3 * H), U.dtype)
        dhn = np.zeros((n, H), U.dtype)
        hm = np.zeros((n, H), U.dtype)
        dht = np.empty((n, H), U.dtype)
        dah = np.empty((n, H), U.dtype)
        drh = np.empty((n, H), U.dtype)
        dzr = np.empty((n, 2 * H), U.dtype)
        prod = np.empty((n, H), U.dtype)
        for t in range(n_steps - 1, stop - 1, -1):
            if t > 0:
                _masked_prev(hm, h, mask, t, cast)
            else:
                hm[:, :] = zero
            for j in range(n):
                g = G[t, j]
                d = dA[t, j]
                dh_j = dh[t, j]
                dhn_j = dhn[j]
                dht_j = dht[j]
                hm_j = hm[j]
                for k in range(H):
                    dht_j[k] = dh_j[k] + dhn_j[k]
                for k in range(H):
                    d[k] = dht_j[k] * (hm_j[k] - g[2 * H + k]) * _dact(g[k], I, one, zero, slope)
                for k in range(H):
                    d[2 * H + k] = dht_j[k] * (one - g[k]) * _dact(g[2 * H + k], A, one, zero, slope)
                dah[j] = d[2 * H:]
            np.dot(dah, UhT, drh)
            for j in range(n):
                g = G[t, j]
                d = dA[t, j]
                drh_j = drh[j]
                hm_j = hm[j]
                for k in range(H):
                    d[H + k] = drh_j[k] * hm_j[k] * _dact(g[H + k], I, one, zero, slope)
                dzr[j] = d[: 2 * H]
            if t > stop:
                np.dot(dzr, UzrT, prod)
                for j in range(n):
                    mj = cast(mask[t, j])
                    g = G[t, j]
                    dht_j = dht[j]
                    drh_j = drh[j]
                    p_j = prod[j]
                    dhn_j = dhn[j]
                    for k in range(H):
                        dhn_j[k] = mj * (dht_j[k] * g[k] + drh_j[k] * g[H + k] + p_j[k])
        return dA

    return gru_grad


_FACTORIES = {
    "lstm_forward": lambda act, inner, dtype: _lstm_forward_kernel(act, inner, dtype, False),
    "lstm_forward_x": lambda act, inner, dtype: _lstm_forward_kernel(act, inner, dtype, True),
    "lstm_grad": _lstm_grad_kernel,
    "gru_forward": _gru_forward_kernel,
    "gru_grad": _gru_grad_kernel,
}
_KERNELS = {}


def kernel(kind, act, inner, dtype):
    """The compiled (lazily, cached on disk) kernel ``kind`` of ``_FACTORIES`` for an
    activation pair and a dtype (``"float32"``/``"float64"``)."""
    key = (kind, act, inner, str(dtype))
    if key not in _KERNELS:
        _bind_numba()
        if act not in _ACT_CODE or inner not in _ACT_CODE:
            raise ValueError(f"fused RNN kernels support activations {SUPPORTED}, got {act!r}/{inner!r}")
        if key[3] not in ("float32", "float64"):
            raise TypeError(f"fused RNN kernels take float32 or float64, got {dtype}")
        _KERNELS[key] = _njit(_FACTORIES[kind](act, inner, key[3]))
    return _KERNELS[key]


# --- registration with PyTensor's Numba dispatch --------------------------------
# Each funcify returns a jitted function of the node's inputs returning its outputs
# (a tuple for several) and a version int; it depends on the Op's props and the
# inputs' dtypes only.  The Ops' C, built as a library (``numba_c``, ``clib``), when a
# compiler is there: the version is then the library's digest; else the kernels above
# and ``KERNEL_VERSION``.

def numba_funcify_LSTMForward(op, node=None, **kwargs):
    compiled = numba_c.funcify("lstm_forward", op, node)
    if compiled is not None:
        return compiled
    kern = kernel("lstm_forward", op.act, op.inner, node.outputs[0].dtype)
    save = op.save_gates
    if len(node.inputs) > 3:
        def lstm_forward(xp, mask, U, b):
            return kern(xp, U, mask, U, b, save)
    else:
        def lstm_forward(xp, mask, U):
            return kern(xp, U, mask, U, np.zeros(U.shape[1], U.dtype), save)
    return _wrap(lstm_forward), KERNEL_VERSION


def numba_funcify_LSTMForwardX(op, node=None, **kwargs):
    compiled = numba_c.funcify("lstm_forwardx", op, node)
    if compiled is not None:
        return compiled
    kern = kernel("lstm_forward_x", op.act, op.inner, node.outputs[0].dtype)
    save = op.save_gates

    def lstm_forward_x(X, mask, W, U, b):
        return kern(X, W, mask, U, b, save)

    return _wrap(lstm_forward_x), KERNEL_VERSION


def numba_funcify_LSTMGrad(op, node=None, **kwargs):
    compiled = numba_c.funcify("lstm_grad", op, node)
    if compiled is not None:
        return compiled
    kern = kernel("lstm_grad", op.act, op.inner, node.outputs[0].dtype)
    truncate = op.truncate

    def lstm_grad(mask, U, c, G, dh):
        n_steps = c.shape[0]
        stop = max(n_steps - truncate, 0) if truncate > 0 else 0
        return kern(mask, U, c, G, dh, stop)

    return _wrap(lstm_grad), KERNEL_VERSION


def numba_funcify_GRUForward(op, node=None, **kwargs):
    compiled = numba_c.funcify("gru_forward", op, node)
    if compiled is not None:
        return compiled
    kern = kernel("gru_forward", op.act, op.inner, node.outputs[0].dtype)
    save = op.save_gates
    if len(node.inputs) > 3:
        def gru_forward(xp, mask, U, b):
            return kern(xp, mask, U, b, save)
    else:
        def gru_forward(xp, mask, U):
            return kern(xp, mask, U, np.zeros(U.shape[1], U.dtype), save)
    return _wrap(gru_forward), KERNEL_VERSION


def numba_funcify_GRUGrad(op, node=None, **kwargs):
    compiled = numba_c.funcify("gru_grad", op, node)
    if compiled is not None:
        return compiled
    kern = kernel("gru_grad", op.act, op.inner, node.outputs[0].dtype)
    truncate = op.truncate

    def gru_grad(mask, U, h, G, dh):
        n_steps = h.shape[0]
        stop = max(n_steps - truncate, 0) if truncate > 0 else 0
        return kern(mask, U, h, G, dh, stop)

    return _wrap(gru_grad), KERNEL_VERSION


_FUNCIFIES = {
    LSTMForward: numba_funcify_LSTMForward,
    LSTMForwardX: numba_funcify_LSTMForwardX,
    LSTMGrad: numba_funcify_LSTMGrad,
    GRUForward: numba_funcify_GRUForward,
    GRUGrad: numba_funcify_GRUGrad,
}


def register(register_op):
    """Register the fused Ops' funcifies with ``register_op(op_type)``, a decorator (see
    ``pytensor_compat.on_numba_backend``); binds numba first and keeps the freed
    intermediates of Numba-compiled calls for the next call (``numba_c.keep_freed_memory``)."""
    _bind_numba()
    numba_c.keep_freed_memory()
    for op_type, funcify in _FUNCIFIES.items():
        register_op(op_type)(funcify)
