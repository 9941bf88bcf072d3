"""JAX implementations of the convolution and pooling Ops, for PyTensor's JAX backend.

``Conv2D`` is ``jax.lax.conv_general_dilated`` (a correlation) with the kernel flipped,
the Op's padding and strides, ``Precision.HIGHEST`` (full float32 on GPUs); its two
gradients are the ``jax.vjp`` of that convolution (the third input of each gradient Op
gives the shape of the point, which is static under ``jax.jit``).  Max pooling is
``jax.lax.reduce_window`` over ``-inf`` padding at the end (the partial windows of
``ignore_border=False``); its gradient adds the output gradient to every element equal
to its window's maximum, one strided slice per window offset, as ``reference`` does.

jax is an optional extra; without it nothing is registered and ``AVAILABLE`` is False.
"""

from __future__ import annotations

from keras_legacy.backend.conv import ops, reference
from keras_legacy.backend.pytensor_compat import HAS_JAX, jax_funcify_calling

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


def _conv(op, x, w):
    pt, pb, pl, pr = op.pads
    return jax.lax.conv_general_dilated(
        x, w[:, :, ::-1, ::-1], window_strides=op.subsample, padding=((pt, pb), (pl, pr)),
        dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=jax.lax.Precision.HIGHEST)


def conv2d(op, x, w, b=None):
    out = _conv(op, x, w)
    return out if b is None else out + b[None, :, None, None]


def conv2d_grad_input(op, dy, w, x):
    _, pullback = jax.vjp(lambda xv: _conv(op, xv, w), jnp.zeros(x.shape, x.dtype))
    return pullback(dy)[0]


def conv2d_grad_kernel(op, x, dy, w):
    _, pullback = jax.vjp(lambda wv: _conv(op, x, wv), jnp.zeros(w.shape, w.dtype))
    return pullback(dy)[0]


def conv2d_grad_bias(op, dy):
    return jnp.sum(dy, axis=(0, 2, 3))


def _pool_geometry(op, shape):
    (ph, pw), (sh, sw) = op.pool, op.stride
    Ho = reference.pool_length(shape[-2], ph, sh, op.ignore_border)
    Wo = reference.pool_length(shape[-1], pw, sw, op.ignore_border)
    rows = max(shape[-2], (Ho - 1) * sh + ph)
    cols = max(shape[-1], (Wo - 1) * sw + pw)
    return Ho, Wo, rows - shape[-2], cols - shape[-1]


def _padded(x, extra_rows, extra_cols):
    pad = [(0, 0)] * (x.ndim - 2) + [(0, extra_rows), (0, extra_cols)]
    return jnp.pad(x, pad, constant_values=-jnp.inf)


def max_pool(op, x):
    (ph, pw), (sh, sw) = op.pool, op.stride
    Ho, Wo, er, ec = _pool_geometry(op, x.shape)
    if Ho == 0 or Wo == 0:
        return jnp.zeros(x.shape[:-2] + (Ho, Wo), x.dtype)
    lead = (1,) * (x.ndim - 2)
    y = jax.lax.reduce_window(_padded(x, er, ec), -jnp.inf, jax.lax.max, lead + (ph, pw), lead + (sh, sw), "VALID")
    return y[..., :Ho, :Wo]


def max_pool_grad(op, x, y, dy):
    (ph, pw), (sh, sw) = op.pool, op.stride
    Ho, Wo, er, ec = _pool_geometry(op, x.shape)
    if Ho == 0 or Wo == 0:
        return jnp.zeros_like(x)
    xp = _padded(x, er, ec)
    dxp = jnp.zeros_like(xp)
    for a in range(ph):
        for b in range(pw):
            view = (Ellipsis, slice(a, a + (Ho - 1) * sh + 1, sh), slice(b, b + (Wo - 1) * sw + 1, sw))
            dxp = dxp.at[view].add((xp[view] == y).astype(dy.dtype) * dy)
    return dxp[..., :x.shape[-2], :x.shape[-1]]


_IMPLS = {
    ops.Conv2D: conv2d,
    ops.Conv2DGradInput: conv2d_grad_input,
    ops.Conv2DGradKernel: conv2d_grad_kernel,
    ops.Conv2DGradBias: conv2d_grad_bias,
    ops.MaxPool2D: max_pool,
    ops.MaxPool2DGrad: max_pool_grad,
}


def register(register_op):
    """Register the Ops' implementations with ``register_op(op_type)``, a decorator (see
    ``pytensor_compat.on_jax_backend``)."""
    bind_jax()
    for op_type, impl in _IMPLS.items():
        register_op(op_type)(jax_funcify_calling(impl))
