"""JAX implementations of the fused LSTM / GRU Ops, for PyTensor's JAX backend.

Each Op is registered with PyTensor's ``jax_funcify`` (``register``, called by
``pytensor_compat.on_jax_backend`` when PyTensor loads its JAX backend): its recurrence
becomes one ``jax.lax.scan`` over the time axis (forward in time for the forward Ops,
in reverse for the gradient Ops), with the math of the Ops' ``perform`` step for step.
The matrix products ask for ``Precision.HIGHEST`` (full float32 on GPUs, where the
default may round the operands to TF32).

``scan`` needs the number of steps when the function is traced: under ``jax.jit`` it
is the input's length; a symbolic time axis (shape-polymorphic export) is refused
with a ``ValueError``.

jax is an optional extra (``pip install keras_legacy[jax]``); without it nothing is
registered and ``AVAILABLE`` is False.  jax itself is imported with PyTensor's JAX
backend (or by ``bind_jax``), not with this module.
"""

from __future__ import annotations

from keras_legacy.backend.pytensor_compat import HAS_JAX
from keras_legacy.backend.rnn.ops_gru import GRUForward, GRUGrad
from keras_legacy.backend.rnn.ops_lstm import LSTMForward, LSTMForwardX, LSTMGrad

#: Whether the JAX implementations can be registered (jax is installed).
AVAILABLE = HAS_JAX

#: ``jax`` and ``jax.numpy``, bound by ``bind_jax``.
jax = jnp = None


def bind_jax():
    """Import jax (the implementations below read ``jax`` and ``jnp`` as globals)."""
    global jax, jnp
    if jax is None:
        import jax
        import jax.numpy as jnp


def _n_steps(x, op_name):
    """The static length of the time axis of ``x``; a ValueError when it is symbolic."""
    n = x.shape[0]
    if not isinstance(n, int):
        raise ValueError(  # noqa: TRY004 (a value of the input's shape, not its type)
            f"{op_name} under JAX: the number of time steps must be static (fixed when the "
            f"function is traced), got a symbolic time axis {n!r}. Trace/export the function "
            "with a fixed sequence length (pad the sequences to one length, e.g. with "
            "keras_legacy.preprocessing.sequence.pad_sequences).")
    return n


def _stop(truncate, n_steps):
    return max(n_steps - truncate, 0) if truncate > 0 else 0


def _dot(a, b):
    return jnp.dot(a, b, precision=jax.lax.Precision.HIGHEST)


def _act(kind, x):
    if kind == "tanh":
        return jnp.tanh(x)
    if kind == "sigmoid":
        return 1 / (1 + jnp.exp(-x))
    if kind == "hard_sigmoid":
        return jnp.clip(x * 0.2 + 0.5, 0, 1)
    return x


def _dact(kind, y):
    if kind == "tanh":
        return 1 - y * y
    if kind == "sigmoid":
        return y * (1 - y)
    if kind == "hard_sigmoid":
        return jnp.where((y > 0) & (y < 1), jnp.asarray(0.2, y.dtype), jnp.asarray(0, y.dtype))
    return jnp.ones_like(y)


def _prev(x, mask):
    """``mask[t] * x[t-1]`` (zero at t = 0), time-major ``(T, n, H)``."""
    prev = jnp.concatenate([jnp.zeros_like(x[:1]), x[:-1]], axis=0)
    return mask[:, :, None] * prev


def lstm_forward(op, xp, mask, U, b=None):
    """``LSTMForward``: ``(h, c, G)`` from ``xp (T, n, 4H)``, ``mask (T, n)``, ``U (H, 4H)``."""
    _n_steps(xp, type(op).__name__)
    H = U.shape[0]
    if b is not None:
        xp = xp + b
    m = mask.astype(U.dtype)

    def step(carry, inputs):
        hp, cp = carry
        x_t, m_t = inputs
        hm, cm = m_t[:, None] * hp, m_t[:, None] * cp
        a = x_t + _dot(hm, U)
        gates = _act(op.inner, a[:, : 3 * H])
        g = _act(op.act, a[:, 3 * H:])
        c = gates[:, H: 2 * H] * cm + gates[:, :H] * g
        tc = _act(op.act, c)
        h = gates[:, 2 * H:] * tc
        if not op.save_gates:  # forward only: the scan stacks h alone
            return (h, c), h
        return (h, c), (h, c, jnp.concatenate([gates, g, tc], axis=1))

    zero = jnp.zeros((xp.shape[1], H), U.dtype)
    _, stacked = jax.lax.scan(step, (zero, zero), (xp, m))
    if not op.save_gates:
        empty = jnp.zeros((0,) + zero.shape, U.dtype)
        return stacked, empty, jnp.zeros((0, zero.shape[0], 5 * H), U.dtype)
    return stacked


def lstm_grad(op, mask, U, c, G, dh):
    """``LSTMGrad``: ``dA (T, n, 4H)``, zero before the truncation point."""
    n_steps = _n_steps(c, type(op).__name__)
    H = U.shape[0]
    stop = _stop(op.truncate, n_steps)
    m = mask.astype(U.dtype)
    cm_all = _prev(c, m)
    UT = U.T

    def step(carry, inputs):
        dhn, dcn = carry
        m_t, cm, g_t, dh_t = inputs
        i, f, o, g, tc = (g_t[:, k * H: (k + 1) * H] for k in range(5))
        dht = dh_t + dhn
        dc = dcn + dht * o * _dact(op.act, tc)
        dA = jnp.concatenate([dc * g * _dact(op.inner, i), dc * cm * _dact(op.inner, f),
                              dht * tc * _dact(op.inner, o), dc * i * _dact(op.act, g)], axis=1)
        return (m_t[:, None] * _dot(dA, UT), m_t[:, None] * (dc * f)), dA

    zero = jnp.zeros(c.shape[1:], U.dtype)
    _, dA = jax.lax.scan(step, (zero, zero), (m[stop:], cm_all[stop:], G[stop:], dh[stop:]),
                         reverse=True)
    if stop > 0:
        dA = jnp.concatenate([jnp.zeros((stop,) + dA.shape[1:], dA.dtype), dA], axis=0)
    return dA


def gru_forward(op, xp, mask, U, b=None):
    """``GRUForward``: ``(h, G)`` from ``xp (T, n, 3H)``, ``mask (T, n)``, ``U (H, 3H)``."""
    _n_steps(xp, type(op).__name__)
    H = U.shape[0]
    if b is not None:
        xp = xp + b
    m = mask.astype(U.dtype)
    U_zr, U_h = U[:, : 2 * H], U[:, 2 * H:]

    def step(hp, inputs):
        x_t, m_t = inputs
        hm = m_t[:, None] * hp
        zr = _act(op.inner, x_t[:, : 2 * H] + _dot(hm, U_zr))
        z, r = zr[:, :H], zr[:, H:]
        hh = _act(op.act, x_t[:, 2 * H:] + _dot(r * hm, U_h))
        h = z * hm + (1 - z) * hh
        if not op.save_gates:  # forward only: the scan stacks h alone
            return h, h
        return h, (h, jnp.concatenate([zr, hh], axis=1))

    _, stacked = jax.lax.scan(step, jnp.zeros((xp.shape[1], H), U.dtype), (xp, m))
    if not op.save_gates:
        return stacked, jnp.zeros((0, xp.shape[1], 3 * H), U.dtype)
    return stacked


def gru_grad(op, mask, U, h, G, dh):
    """``GRUGrad``: ``dA (T, n, 3H)``, zero before the truncation point."""
    n_steps = _n_steps(h, type(op).__name__)
    H = U.shape[0]
    stop = _stop(op.truncate, n_steps)
    m = mask.astype(U.dtype)
    hm_all = _prev(h, m)
    U_zrT, U_hT = U[:, : 2 * H].T, U[:, 2 * H:].T

    def step(dhn, inputs):
        m_t, hm, g_t, dh_t = inputs
        z, r, hh = (g_t[:, k * H: (k + 1) * H] for k in range(3))
        dht = dh_t + dhn
        da_z = dht * (hm - hh) * _dact(op.inner, z)
        da_h = dht * (1 - z) * _dact(op.act, hh)
        drh = _dot(da_h, U_hT)
        da_r = drh * hm * _dact(op.inner, r)
        dzr = jnp.concatenate([da_z, da_r], axis=1)
        dhm = dht * z + drh * r + _dot(dzr, U_zrT)
        return m_t[:, None] * dhm, jnp.concatenate([dzr, da_h], axis=1)

    _, dA = jax.lax.scan(step, jnp.zeros(h.shape[1:], U.dtype),
                         (m[stop:], hm_all[stop:], G[stop:], dh[stop:]), reverse=True)
    if stop > 0:
        dA = jnp.concatenate([jnp.zeros((stop,) + dA.shape[1:], dA.dtype), dA], axis=0)
    return dA


def _lstm_forward_x(op, X, mask, W, U, b):
    _n_steps(X, type(op).__name__)
    return lstm_forward(op, jnp.tensordot(X, W, axes=1, precision=jax.lax.Precision.HIGHEST),
                        mask, U, b)


# --- registration with PyTensor's jax_funcify ----------------------------------------

_IMPLS = {
    LSTMForward: lstm_forward,
    LSTMForwardX: _lstm_forward_x,
    LSTMGrad: lstm_grad,
    GRUForward: gru_forward,
    GRUGrad: gru_grad,
}


def _funcify_for(impl):
    def funcify(op, node=None, **kwargs):
        # the node's dtypes: PyTensor's JAX backend may hand over a float64 array where the
        # graph says float32 (an upstream op computed wider under jax_enable_x64), which
        # would widen the scan's carry and break its types
        dtypes = [getattr(v.type, "dtype", None) for v in node.inputs] if node is not None else None

        def fused_rnn(*inputs):
            if dtypes is not None:
                inputs = [x if d is None or x.dtype == d else x.astype(d) for x, d in zip(inputs, dtypes)]
            return impl(op, *inputs)

        return fused_rnn

    return funcify


def register(register_op):
    """Register the Ops' implementations with ``register_op(op_type)``, a decorator (see
    ``pytensor_compat.on_jax_backend``)."""
    bind_jax()
    for op_type, impl in _IMPLS.items():
        register_op(op_type)(_funcify_for(impl))
