"""Numba implementations of the fused Ops that call their C (``clib``): nopython functions
that check the shapes, allocate the outputs and pass plain pointers to the C entry.

``funcify(kind, op, node)`` returns ``(jitted function of the node's inputs, version)``,
or None when the C library is unavailable (``numba_impl`` then uses its own kernels).
The results are the C mode's, bit for bit: the same compiled kernels run.

The arrays whose pointers go to C are read again after the call (``a.size * 0``), so
Numba's reference counting cannot free a temporary copy before the C has read it.
"""

from __future__ import annotations

import ctypes
import os
import sys

import numpy as np

from keras_legacy.backend.rnn import clib, isa

_njit = None

#: glibc ``mallopt`` parameters: ``M_TRIM_THRESHOLD``, ``M_MMAP_THRESHOLD``.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3

#: ``keep_freed_memory``'s settings: blocks up to 32 MB (glibc's largest) from the heap, and up
#: to 256 MB of freed heap kept for the next call.
MMAP_THRESHOLD, TRIM_THRESHOLD = 32 << 20, 256 << 20


def keep_freed_memory():
    """Keep the freed intermediates of a call for the next one (glibc only; once).

    A Numba-compiled function allocates every intermediate afresh on each call and frees
    it at the end; with glibc's defaults the multi-MB blocks (the saved gates, ``dA``) go
    back to the kernel and the next call page-faults them in again: measured 1.46x the
    C mode's time on the LSTM training step at 32,200,64,64, 0.93x with these settings.
    The C mode avoids it by keeping its outputs (``allow_gc=False``).  The price is the
    same: up to ``TRIM_THRESHOLD`` bytes of freed memory stay with the process.
    ``KERAS_LEGACY_KEEP_FREED_MEMORY=0`` leaves malloc alone.  Returns whether it applied.
    """
    if getattr(keep_freed_memory, "done", None) is not None:
        return keep_freed_memory.done
    keep_freed_memory.done = False
    if os.environ.get("KERAS_LEGACY_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    keep_freed_memory.done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                                  and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return keep_freed_memory.done


def _jit(fn):
    global _njit
    if _njit is None:
        import numba

        _njit = numba.njit(fastmath=False, error_model="numpy")
    return _njit(fn)


def _lstm_forward(fn, save):
    def lstm_forward(xp, mask, U, b):
        n_steps, n, width = xp.shape
        H = U.shape[0]
        if (width != 4 * H or U.shape[1] != 4 * H or b.shape[0] != 4 * H
                or mask.shape[0] != n_steps or mask.shape[1] != n):
            raise ValueError("LSTMForward: expected xp (T, n, 4H), mask (T, n), U (H, 4H), b (4H,)")
        xc, mc = np.ascontiguousarray(xp), np.ascontiguousarray(mask)
        Uc, bc = np.ascontiguousarray(U), np.ascontiguousarray(b)
        ts = n_steps if save else 0
        h = np.empty((n_steps, n, H), U.dtype)
        c = np.empty((ts, n, H), U.dtype)
        G = np.empty((ts, n, 5 * H), U.dtype)
        ok = fn(n_steps, n, H, xc.ctypes.data, bc.ctypes.data, mc.ctypes.data, Uc.ctypes.data,
                h.ctypes.data, c.ctypes.data, G.ctypes.data, save)
        if ok + xc.size * 0 + mc.size * 0 + Uc.size * 0 + bc.size * 0 == 0:
            raise MemoryError("LSTMForward: out of memory for the scratch arrays")
        return h, c, G

    return lstm_forward


def _lstm_forwardx(fn, save):
    def lstm_forward_x(X, mask, W, U, b):
        n_steps, n, I = X.shape
        H = U.shape[0]
        if (W.shape[0] != I or W.shape[1] != 4 * H or U.shape[1] != 4 * H or b.shape[0] != 4 * H
                or mask.shape[0] != n_steps or mask.shape[1] != n or I < 1):
            raise ValueError("LSTMForwardX: expected X (T, n, I), W (I, 4H), mask (T, n), U (H, 4H), "
                             "b (4H,) with I >= 1")
        isz = X.itemsize
        s0, s1, s2 = X.strides
        # X read in place (e.g. the time-major view of a batch-major array), as the C Op does
        inplace = ((I <= 1 or s2 == isz) and s0 >= 0 and s1 >= 0 and s0 % isz == 0 and s1 % isz == 0
                   and (n <= 1 or s1 >= I * isz))
        Xc = X if inplace else np.ascontiguousarray(X)
        sx0, sx1 = Xc.strides[0] // isz, Xc.strides[1] // isz
        mc, Wc = np.ascontiguousarray(mask), np.ascontiguousarray(W)
        Uc, bc = np.ascontiguousarray(U), np.ascontiguousarray(b)
        ts = n_steps if save else 0
        h = np.empty((n_steps, n, H), U.dtype)
        c = np.empty((ts, n, H), U.dtype)
        G = np.empty((ts, n, 5 * H), U.dtype)
        ok = fn(n_steps, n, H, I, Xc.ctypes.data, sx0, sx1, Wc.ctypes.data, bc.ctypes.data, mc.ctypes.data,
                Uc.ctypes.data, h.ctypes.data, c.ctypes.data, G.ctypes.data, save)
        if ok + Xc.size * 0 + mc.size * 0 + Wc.size * 0 + Uc.size * 0 + bc.size * 0 == 0:
            raise MemoryError("LSTMForwardX: out of memory for the scratch arrays")
        return h, c, G

    return lstm_forward_x


def _gru_forward(fn, save):
    def gru_forward(xp, mask, U, b):
        n_steps, n, width = xp.shape
        H = U.shape[0]
        if (width != 3 * H or U.shape[1] != 3 * H or b.shape[0] != 3 * H
                or mask.shape[0] != n_steps or mask.shape[1] != n):
            raise ValueError("GRUForward: expected xp (T, n, 3H), mask (T, n), U (H, 3H), b (3H,)")
        xc, mc = np.ascontiguousarray(xp), np.ascontiguousarray(mask)
        Uc, bc = np.ascontiguousarray(U), np.ascontiguousarray(b)
        h = np.empty((n_steps, n, H), U.dtype)
        G = np.empty((n_steps if save else 0, n, 3 * H), U.dtype)
        ok = fn(n_steps, n, H, xc.ctypes.data, bc.ctypes.data, mc.ctypes.data, Uc.ctypes.data,
                h.ctypes.data, G.ctypes.data, save)
        if ok + xc.size * 0 + mc.size * 0 + Uc.size * 0 + bc.size * 0 == 0:
            raise MemoryError("GRUForward: out of memory for the scratch arrays")
        return h, G

    return gru_forward


def _grad(fn, truncate, gates, saved):
    def grad(mask, U, s, G, dh):
        n_steps, n, H = s.shape
        if (U.shape[0] != H or U.shape[1] != gates * H or G.shape[0] != n_steps or G.shape[1] != n
                or G.shape[2] != saved * H or dh.shape[0] != n_steps or dh.shape[1] != n or dh.shape[2] != H
                or mask.shape[0] != n_steps or mask.shape[1] != n):
            raise ValueError("fused RNN gradient: expected mask (T, n), U (H, gates*H), saved states "
                             "(T, n, H), saved gates (T, n, .) and dh (T, n, H)")
        stop = max(n_steps - truncate, 0) if truncate > 0 else 0
        mc, Uc = np.ascontiguousarray(mask), np.ascontiguousarray(U)
        sc, Gc, dhc = np.ascontiguousarray(s), np.ascontiguousarray(G), np.ascontiguousarray(dh)
        dA = np.empty((n_steps, n, gates * H), U.dtype)
        ok = fn(n_steps, n, H, stop, mc.ctypes.data, Uc.ctypes.data, sc.ctypes.data, Gc.ctypes.data,
                dhc.ctypes.data, dA.ctypes.data)
        if ok + mc.size * 0 + Uc.size * 0 + sc.size * 0 + Gc.size * 0 + dhc.size * 0 == 0:
            raise MemoryError("fused RNN gradient: out of memory for the scratch arrays")
        return dA

    return grad


def _zero_bias(inner):
    """``inner(xp, mask, U, b)`` for a node without a bias: a zero bias (``x + 0`` is ``x``)."""
    def no_bias(xp, mask, U):
        return inner(xp, mask, U, np.zeros(U.shape[1], U.dtype))

    return no_bias


def funcify(kind, op, node):
    """``(jitted function of the node's inputs, version int)`` calling the C entry ``kind``
    (``clib.KINDS``), or None when the library is unavailable."""
    dtype = node.outputs[0].dtype
    got = clib.entry(kind, dtype, op.act, op.inner, isa.selected())
    if got is None:
        return None
    fn, version = got
    if kind in ("lstm_forward", "gru_forward"):
        body = _jit((_lstm_forward if kind == "lstm_forward" else _gru_forward)(fn, int(op.save_gates)))
        if len(node.inputs) < 4:
            return _jit(_zero_bias(body)), version
        return body, version
    if kind == "lstm_forwardx":
        return _jit(_lstm_forwardx(fn, int(op.save_gates))), version
    gates, saved = (4, 5) if kind == "lstm_grad" else (3, 3)
    return _jit(_grad(fn, op.truncate, gates, saved)), version
