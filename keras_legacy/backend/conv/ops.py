"""The convolution and max-pooling Ops: C (BLAS) code, NumPy ``perform``, shapes, gradients.

* ``Conv2D(pads, subsample)(x, w[, b])``: Theano's ``conv2d`` (the kernel flipped) of the
  images ``x (N, C, H, W)`` zero-padded by ``pads = (top, bottom, left, right)``, with the
  kernel ``w (F, C, kh, kw)``, strided by ``subsample``, plus the bias ``b (F,)``.
  ``valid`` is ``pads = 0``, ``full`` ``(kh-1, kh-1, kw-1, kw-1)``.
* ``Conv2DGradInput(pads, subsample)(dy, w, x)``: the gradient w.r.t. ``x`` (``x`` gives
  the shape only); ``Conv2DGradKernel(pads, subsample)(x, dy, w)``: w.r.t. ``w`` (``w``
  gives the shape only).  Each Op's gradient is built from the three.
  ``Conv2DGradBias()(dy)``: w.r.t. the bias (``dy`` summed over all axes but the filters').
* ``MaxPool2D(pool, stride, ignore_border)(x)``: max pooling of the two last axes of ``x``
  (any rank >= 2), Theano's lengths (``ignore_border=False`` keeps partial windows);
  ``MaxPool2DGrad(...)(x, y, dy)``: every element equal to its window's maximum gets the
  window's gradient.

C: per image one im2col into ``(C*kh*kw, Ho*Wo)`` columns and one GEMM writing the output
(or the columns' gradient, put back by col2im) in place; the kernel gradient accumulates
``dy[n] cols[n]^T`` over the images (``beta = 1``).  The C text is in ``c/conv.c`` and
``c/pool.c`` (``csource``).  Without a BLAS (``blas__ldflags`` empty) the convolution Ops
have no C code and run their NumPy ``perform``; the pooling Ops need no BLAS.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T
from pytensor.gradient import DisconnectedType, grad_not_implemented
from pytensor.graph.basic import Apply
from pytensor.link.c.op import COp
from pytensor.tensor.type import TensorType

from keras_legacy.backend.conv import csource, reference
from keras_legacy.backend.pytensor_compat import ShapeOp, VJPOp, blas_header_text, blas_ldflags

_C_VERSION = 1
_C_DIGEST = csource.digest()
_FLOATS = ("float32", "float64")
_TYPENUM = {"float32": "NPY_FLOAT32", "float64": "NPY_FLOAT64"}
_CTYPE = {"float32": "float", "float64": "double"}


def _pair(value, what):
    pair = tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"{what} must be two positive ints such as (2, 2), got {value!r}.")
    return pair


def _tensor(value, ndim, what, op):
    var = T.as_tensor_variable(value)
    if var.ndim != ndim or var.dtype not in _FLOATS:
        raise TypeError(f"{op}: {what} must be a float32/float64 tensor of {ndim} dimensions, "
                        f"got ndim={var.ndim} dtype={var.dtype}.")
    return var


def _same_dtype(op, *variables):
    dtypes = {v.dtype for v in variables}
    if len(dtypes) != 1:
        raise TypeError(f"{op}: the inputs must share one dtype, got {sorted(dtypes)}; cast them first.")


def _static_length(length, pad, k, s):
    if length is None or k is None:
        return None
    return reference.conv_length(length, pad, k, s)


def _sym_length(length, pad, k, s):
    return T.switch(T.lt(length + pad, k), 0, (length + pad - k) // s + 1)


class _COpBase(ShapeOp, VJPOp, COp):
    """The C plumbing every Op here shares (BLAS flags, the common C section)."""

    _needs_blas = True

    def c_libraries(self, **kwargs):
        return blas_ldflags()

    def c_compile_args(self, **kwargs):
        return blas_ldflags(libs=False, flags=True)

    def c_lib_dirs(self, **kwargs):
        return blas_ldflags(libs=False, libs_dir=True)

    def c_header_dirs(self, **kwargs):
        return blas_ldflags(libs=False, include_dir=True)

    def c_headers(self, **kwargs):
        return ["<string.h>", "<math.h>", "<stdlib.h>"]

    def c_support_code(self, **kwargs):
        return blas_header_text() if self._needs_blas and csource.has_blas() else ""

    def c_code_cache_version(self):
        return (_C_VERSION, _C_DIGEST, csource.has_blas())

    def _check_blas(self):
        if self._needs_blas and not csource.has_blas():
            # no BLAS to link: PyTensor runs ``perform`` instead
            raise NotImplementedError(f"{type(self).__name__}: no BLAS (blas__ldflags is empty)")

    def _slots(self, node, name):
        dtype = node.outputs[0].dtype
        return {"nm": name, "T": _CTYPE[dtype], "gemm": "sgemm_" if dtype == "float32" else "dgemm_",
                "typenum": _TYPENUM[dtype]}


class _ConvBase(_COpBase):
    __props__ = ("pads", "subsample")
    _section = None  # the C kernel of the Op (a section of c/conv.c)

    def __init__(self, pads=(0, 0, 0, 0), subsample=(1, 1)):
        pads = tuple(int(p) for p in pads)
        if len(pads) != 4 or min(pads) < 0:
            raise ValueError(f"{type(self).__name__}: pads must be 4 ints >= 0 (top, bottom, left, right), "
                             f"got {pads!r}.")
        self.pads = pads
        self.subsample = _pair(subsample, f"{type(self).__name__} subsample")

    def _out_lengths(self, H, W, kh, kw, length=_sym_length):
        pt, pb, pl, pr = self.pads
        return length(H, pt + pb, kh, self.subsample[0]), length(W, pl + pr, kw, self.subsample[1])

    def _ops(self):
        return (Conv2D(self.pads, self.subsample), Conv2DGradInput(self.pads, self.subsample),
                Conv2DGradKernel(self.pads, self.subsample))

    def c_support_code_apply(self, node, name):
        slots = self._slots(node, name)
        return csource.render("conv.c", "common", **slots) + csource.render("conv.c", self._section, **slots)

    def _c_call(self, node, name, sub, out, inputs, images, kernel, mismatch, out_dims, run):
        """C: the Op's call (``c/conv.c``, section ``call``): inputs ``ac, bc(, cc)``, the geometry
        from the images ``images`` and the kernel ``kernel`` (names of those copies)."""
        self._check_blas()
        pt, pb, pl, pr = self.pads
        slots = self._slots(node, name)
        has_c = len(inputs) > 2
        return csource.render(
            "conv.c", "call", out=out, a=inputs[0], b=inputs[1], c=inputs[2] if has_c else inputs[0],
            has_c=int(has_c),
            geometry=(csource.render("conv.c", "images", strip=True, v=images)
                      + " " + csource.render("conv.c", "kernel", strip=True, v=kernel)),
            mismatch=csource.render("conv.c", mismatch, strip=True, w=kernel, dy="bc" if images == "ac" else "ac"),
            out_dims=out_dims, run=csource.render("conv.c", run, strip=True, out=out, **slots),
            op=type(self).__name__, fail=sub["fail"], sh=self.subsample[0], sw=self.subsample[1],
            pt=pt, pb=pb, pl=pl, pr=pr, **slots)


class Conv2D(_ConvBase):
    """``Conv2D(pads, subsample)(x, w[, b])``: see the module's documentation."""

    _section = "forward"

    def make_node(self, x, w, b=None):
        op = type(self).__name__
        x, w = _tensor(x, 4, "x (N, C, H, W)", op), _tensor(w, 4, "w (F, C, kh, kw)", op)
        inputs = [x, w]
        if b is not None:
            inputs.append(_tensor(b, 1, "b (F,)", op))
        _same_dtype(op, *inputs)
        Ho, Wo = self._out_lengths(x.type.shape[2], x.type.shape[3], w.type.shape[2], w.type.shape[3],
                                   _static_length)
        out = TensorType(x.dtype, shape=(x.type.shape[0], w.type.shape[0], Ho, Wo))()
        return Apply(self, inputs, [out])

    def perform(self, node, inputs, output_storage):
        x, w = inputs[:2]
        b = inputs[2] if len(inputs) > 2 else None
        output_storage[0][0] = reference.conv_forward(x, w, b, self.pads, self.subsample)

    def output_shapes(self, node, shapes):
        x, w = shapes[:2]
        return [(x[0], w[0], *self._out_lengths(x[2], x[3], w[2], w[3]))]

    def vjp(self, inputs, outputs, output_grads):
        x, w = inputs[:2]
        (gz,) = output_grads
        _, grad_x, grad_w = self._ops()
        grads = [grad_x(gz, w, x), grad_w(x, gz, w)]
        if len(inputs) > 2:
            grads.append(Conv2DGradBias()(gz))
        return grads

    def c_code(self, node, name, inp, out, sub):
        return self._c_call(node, name, sub, out[0], inp, images="ac", kernel="bc", mismatch="forward mismatch",
                            out_dims="g.N, g.F, g.Ho, g.Wo", run="run forward")


class Conv2DGradInput(_ConvBase):
    """``Conv2DGradInput(pads, subsample)(dy, w, x)``: the gradient of ``Conv2D`` w.r.t. its images
    (``x`` gives the output's shape and type; its values are not read)."""

    _section = "grad_input"

    def make_node(self, dy, w, x):
        op = type(self).__name__
        dy, w, x = (_tensor(dy, 4, "dy (N, F, Ho, Wo)", op), _tensor(w, 4, "w (F, C, kh, kw)", op),
                    _tensor(x, 4, "x (N, C, H, W)", op))
        _same_dtype(op, dy, w, x)
        return Apply(self, [dy, w, x], [x.type()])

    def perform(self, node, inputs, output_storage):
        dy, w, x = inputs
        output_storage[0][0] = reference.conv_grad_input(dy, w, x.shape, self.pads, self.subsample)

    def output_shapes(self, node, shapes):
        return [shapes[2]]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def vjp(self, inputs, outputs, output_grads):
        dy, w, x = inputs
        (g,) = output_grads
        conv, _, grad_w = self._ops()
        return [conv(g, w), grad_w(g, dy, w), DisconnectedType()()]

    def c_code(self, node, name, inp, out, sub):
        # ac = dy, bc = w, cc = x
        return self._c_call(node, name, sub, out[0], inp, images="cc", kernel="bc", mismatch="grad mismatch",
                            out_dims="g.N, g.C, g.H, g.W", run="run grad_input")


class Conv2DGradKernel(_ConvBase):
    """``Conv2DGradKernel(pads, subsample)(x, dy, w)``: the gradient of ``Conv2D`` w.r.t. its kernel
    (``w`` gives the output's shape and type; its values are not read)."""

    _section = "grad_kernel"

    def make_node(self, x, dy, w):
        op = type(self).__name__
        x, dy, w = (_tensor(x, 4, "x (N, C, H, W)", op), _tensor(dy, 4, "dy (N, F, Ho, Wo)", op),
                    _tensor(w, 4, "w (F, C, kh, kw)", op))
        _same_dtype(op, x, dy, w)
        return Apply(self, [x, dy, w], [w.type()])

    def perform(self, node, inputs, output_storage):
        x, dy, w = inputs
        output_storage[0][0] = reference.conv_grad_kernel(x, dy, w.shape, self.pads, self.subsample)

    def output_shapes(self, node, shapes):
        return [shapes[2]]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def vjp(self, inputs, outputs, output_grads):
        x, dy, w = inputs
        (g,) = output_grads
        conv, grad_x, _ = self._ops()
        return [grad_x(dy, g, x), conv(x, g), DisconnectedType()()]

    def c_code(self, node, name, inp, out, sub):
        # ac = x, bc = dy, cc = w
        return self._c_call(node, name, sub, out[0], inp, images="ac", kernel="cc", mismatch="grad mismatch",
                            out_dims="g.F, g.C, g.kh, g.kw", run="run grad_kernel")


class Conv2DGradBias(_COpBase):
    """``Conv2DGradBias()(dy)``: the gradient of ``Conv2D`` w.r.t. its bias, ``dy (N, F, Ho, Wo)``
    summed over all but the filter axis (accumulated in float64, as PyTensor's ``Sum``)."""

    __props__ = ()
    _needs_blas = False

    def make_node(self, dy):
        dy = _tensor(dy, 4, "dy (N, F, Ho, Wo)", "Conv2DGradBias")
        return Apply(self, [dy], [TensorType(dy.dtype, shape=(dy.type.shape[1],))()])

    def perform(self, node, inputs, output_storage):
        (dy,) = inputs
        output_storage[0][0] = dy.sum(axis=(0, 2, 3), dtype="float64").astype(dy.dtype)

    def output_shapes(self, node, shapes):
        return [(shapes[0][1],)]

    def vjp(self, inputs, outputs, output_grads):
        (dy,) = inputs
        return [T.alloc(output_grads[0].dimshuffle("x", 0, "x", "x"), *dy.shape)]

    def c_support_code_apply(self, node, name):
        slots = self._slots(node, name)
        return csource.render("conv.c", "common", **slots) + csource.render("conv.c", "grad_bias", **slots)

    def c_code(self, node, name, inp, out, sub):
        return csource.render("conv.c", "call bias", dy=inp[0], out=out[0], fail=sub["fail"],
                              **self._slots(node, name))


# --- max pooling -------------------------------------------------------------------------

def _c_pool_length(L, p, s, ignore_border):
    """C: the pooled length (``reference.pool_length``) of the int ``L``."""
    kind = "ignore_border" if ignore_border else ("stride >= pool" if s >= p else "stride < pool")
    return csource.render("pool.c", f"length {kind}", strip=True, L=L, p=p, s=s)


class _PoolBase(_COpBase):
    __props__ = ("pool", "stride", "ignore_border")
    _needs_blas = False

    def __init__(self, pool=(2, 2), stride=None, ignore_border=True):
        self.pool = _pair(pool, f"{type(self).__name__} pool")
        self.stride = self.pool if stride is None else _pair(stride, f"{type(self).__name__} stride")
        self.ignore_border = bool(ignore_border)

    def _lengths(self, H, W):
        """The pooled lengths of H, W: ints (or None, unknown) stay ints, symbolic ones symbolic."""
        return tuple(self._length(L, p, s) for L, p, s in zip((H, W), self.pool, self.stride))

    def _length(self, L, p, s):
        if L is None or isinstance(L, (int, np.integer)):
            return None if L is None else reference.pool_length(int(L), p, s, self.ignore_border)
        if self.ignore_border:
            return T.maximum((L - p) // s + 1, 0)
        if s >= p:
            return T.switch(T.gt(L, 0), (L - 1) // s + 1, 0)
        return T.maximum((L - 1 - p) // s + 1, 0) + 1

    def c_support_code_apply(self, node, name):
        slots = self._slots(node, name)
        (ph, pw), (sh, sw) = self.pool, self.stride
        return csource.render("conv.c", "common", **slots) + csource.render(
            "pool.c", "kernels", ph=ph, pw=pw, sh=sh, sw=sw, **slots)

    def c_code(self, node, name, inp, out, sub):
        (ph, pw), (sh, sw) = self.pool, self.stride
        grad = len(inp) == 3
        x, y, dy = inp if grad else (inp[0], inp[0], inp[0])
        return csource.render(
            "pool.c", "call", x=x, y=y, dy=dy, out=out[0], grad=int(grad), ph=ph, pw=pw, sh=sh, sw=sw,
            Ho=_c_pool_length("H", ph, sh, self.ignore_border), Wo=_c_pool_length("W", pw, sw, self.ignore_border),
            fail=sub["fail"], **self._slots(node, name))


class MaxPool2D(_PoolBase):
    """``MaxPool2D(pool, stride=None, ignore_border=True)(x)``: see the module's documentation."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        if x.ndim < 2 or x.dtype not in _FLOATS:
            raise TypeError(f"MaxPool2D: x must be a float32/float64 tensor of 2 or more dimensions, "
                            f"got ndim={x.ndim} dtype={x.dtype}.")
        Ho, Wo = self._lengths(x.type.shape[-2], x.type.shape[-1])
        return Apply(self, [x], [TensorType(x.dtype, shape=x.type.shape[:-2] + (Ho, Wo))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = reference.max_pool(inputs[0], self.pool, self.stride, self.ignore_border)

    def output_shapes(self, node, shapes):
        return [tuple(shapes[0][:-2]) + self._lengths(shapes[0][-2], shapes[0][-1])]

    def vjp(self, inputs, outputs, output_grads):
        return [MaxPool2DGrad(self.pool, self.stride, self.ignore_border)(inputs[0], outputs[0], output_grads[0])]


class MaxPool2DGrad(_PoolBase):
    """``MaxPool2DGrad(pool, stride, ignore_border)(x, y, dy)``: the gradient of ``MaxPool2D`` w.r.t. x
    (``y`` its output, ``dy`` the output's gradient)."""

    def make_node(self, x, y, dy):
        x, y, dy = (T.as_tensor_variable(v) for v in (x, y, dy))
        if x.ndim < 2 or y.ndim != x.ndim or dy.ndim != x.ndim or x.dtype not in _FLOATS:
            raise TypeError("MaxPool2DGrad: x, y (pooled) and dy must be float tensors of one rank >= 2, got "
                            f"ndims {x.ndim}, {y.ndim}, {dy.ndim} and dtype {x.dtype}.")
        _same_dtype("MaxPool2DGrad", x, y, dy)
        return Apply(self, [x, y, dy], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, dy = inputs
        output_storage[0][0] = reference.max_pool_grad(x, y, dy, self.pool, self.stride, self.ignore_border)

    def output_shapes(self, node, shapes):
        return [shapes[0]]

    def vjp(self, inputs, outputs, output_grads):
        x, y, dy = inputs
        # dx is piecewise constant in x and y; its gradient w.r.t. dy is not implemented
        return [T.zeros_like(x), T.zeros_like(y),
                grad_not_implemented(self, 2, dy, "the second derivative of max pooling")]
