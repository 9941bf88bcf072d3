"""The convolution and max-pooling Ops: C (BLAS) code, NumPy ``perform``, shapes, gradients.

* ``Conv2D(pads, subsample)(x, w[, b])``: Theano's ``conv2d`` (the kernel flipped) of the
  images ``x (N, C, H, W)`` zero-padded by ``pads = (top, bottom, left, right)``, with the
  kernel ``w (F, C, kh, kw)``, strided by ``subsample``, plus the bias ``b (F,)``.
  ``valid`` is ``pads = 0``, ``full`` ``(kh-1, kh-1, kw-1, kw-1)``.
* ``Conv2DGradInput(pads, subsample)(dy, w, x)``: the gradient w.r.t. ``x`` (``x`` gives
  the shape only); ``Conv2DGradKernel(pads, subsample)(x, dy, w)``: w.r.t. ``w`` (``w``
  gives the shape only).  Each Op's gradient is built from the three.
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

    def _c_call(self, node, name, sub, out, a, b, c, geometry, mismatch, out_dims, run):
        self._check_blas()
        pt, pb, pl, pr = self.pads
        return csource.render(
            "conv.c", "call", out=out, a=a, b=b, c_get=f"PyArray_GETCONTIGUOUS({c})" if c else "NULL",
            c_ok="cc != NULL" if c else "1", geometry=geometry, mismatch=mismatch, out_dims=out_dims,
            run=run, op=type(self).__name__, fail=sub["fail"], sh=self.subsample[0], sw=self.subsample[1],
            pt=pt, pb=pb, pl=pl, pr=pr, **self._slots(node, name))


def _dims(var, names):
    return " ".join(f"g.{k} = (int)PyArray_DIMS({var})[{i}];" for i, k in enumerate(names) if k)


def _ptr(nm, var, const=True):
    return f"({'const ' if const else ''}conv_t_{nm}*)PyArray_DATA({var})"


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
            grads.append(gz.sum(axis=(0, 2, 3)))
        return grads

    def c_code(self, node, name, inp, out, sub):
        nm = name
        bias = _ptr(nm, "cc") if len(inp) > 2 else "NULL"
        return self._c_call(
            node, name, sub, out[0], inp[0], inp[1], inp[2] if len(inp) > 2 else None,
            geometry=_dims("ac", ("N", "C", "H", "W")) + " " + _dims("bc", ("F", None, "kh", "kw")),
            mismatch=("PyArray_DIMS(bc)[1] != g.C" + (" || PyArray_DIMS(cc)[0] != g.F" if len(inp) > 2 else "")),
            out_dims="g.N, g.F, g.Ho, g.Wo",
            run=f"conv_fwd_{nm}(&g, {_ptr(nm, 'ac')}, {_ptr(nm, 'bc')}, {bias}, {_ptr(nm, out[0], False)}, cols)")


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
        nm = name
        return self._c_call(
            node, name, sub, out[0], inp[0], inp[1], inp[2],
            geometry=_dims("cc", ("N", "C", "H", "W")) + " " + _dims("bc", ("F", None, "kh", "kw")),
            mismatch=("PyArray_DIMS(bc)[1] != g.C || PyArray_DIMS(ac)[0] != g.N || PyArray_DIMS(ac)[1] != g.F"
                      " || PyArray_DIMS(ac)[2] != g.Ho || PyArray_DIMS(ac)[3] != g.Wo"),
            out_dims="g.N, g.C, g.H, g.W",
            run=f"conv_gradx_{nm}(&g, {_ptr(nm, 'ac')}, {_ptr(nm, 'bc')}, {_ptr(nm, out[0], False)}, cols)")


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
        nm = name
        return self._c_call(
            node, name, sub, out[0], inp[0], inp[1], inp[2],
            geometry=_dims("ac", ("N", "C", "H", "W")) + " " + _dims("cc", ("F", None, "kh", "kw")),
            mismatch=("PyArray_DIMS(cc)[1] != g.C || PyArray_DIMS(bc)[0] != g.N || PyArray_DIMS(bc)[1] != g.F"
                      " || PyArray_DIMS(bc)[2] != g.Ho || PyArray_DIMS(bc)[3] != g.Wo"),
            out_dims="g.F, g.C, g.kh, g.kw",
            run=f"conv_gradw_{nm}(&g, {_ptr(nm, 'ac')}, {_ptr(nm, 'bc')}, {_ptr(nm, out[0], False)}, cols)")


# --- max pooling -------------------------------------------------------------------------

def _c_pool_length(L, p, s, ignore_border):
    """C: the pooled length (``reference.pool_length``) of the int ``L``."""
    if ignore_border:
        return f"({L} >= {p} ? ({L} - {p}) / {s} + 1 : 0)"
    if s >= p:
        return f"({L} > 0 ? ({L} - 1) / {s} + 1 : 0)"
    return f"(({L} - 1 - {p} >= 0 ? ({L} - 1 - {p}) / {s} + 1 : 0) + 1)"


class _PoolBase(_COpBase):
    __props__ = ("pool", "stride", "ignore_border")
    _needs_blas = False

    def __init__(self, pool=(2, 2), stride=None, ignore_border=True):
        self.pool = _pair(pool, f"{type(self).__name__} pool")
        self.stride = self.pool if stride is None else _pair(stride, f"{type(self).__name__} stride")
        self.ignore_border = bool(ignore_border)

    def _lengths(self, H, W):
        (ph, pw), (sh, sw) = self.pool, self.stride
        if isinstance(H, int) or H is None:
            return tuple(None if L is None else reference.pool_length(L, p, s, self.ignore_border)
                         for L, p, s in ((H, ph, sh), (W, pw, sw)))
        out = []
        for L, p, s in ((H, ph, sh), (W, pw, sw)):
            if self.ignore_border:
                out.append(T.maximum((L - p) // s + 1, 0))
            elif s >= p:
                out.append(T.switch(T.gt(L, 0), (L - 1) // s + 1, 0))
            else:
                out.append(T.maximum((L - 1 - p) // s + 1, 0) + 1)
        return tuple(out)

    def c_support_code_apply(self, node, name):
        slots = self._slots(node, name)
        return csource.render("conv.c", "common", **slots) + csource.render("pool.c", "kernels", **slots)

    def _c_call(self, node, name, sub, x, out, extra, run, out_dims, check=""):
        (ph, pw), (sh, sw) = self.pool, self.stride
        get = " ".join(f"PyArrayObject* {v}c = PyArray_GETCONTIGUOUS({v});" for v in extra)
        ok = " && ".join([f"{v}c != NULL" for v in extra] or ["1"])
        release = " ".join(f"Py_XDECREF({v}c);" for v in extra)
        return csource.render(
            "pool.c", "call", x=x, out=out, extra_get=get, extra_ok=ok, extra_release=release,
            Ho=_c_pool_length("H", ph, sh, self.ignore_border), Wo=_c_pool_length("W", pw, sw, self.ignore_border),
            check=check, out_dims=out_dims, run=run, fail=sub["fail"], **self._slots(node, name))


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

    def c_code(self, node, name, inp, out, sub):
        (ph, pw), (sh, sw) = self.pool, self.stride
        nm, o = name, out[0]
        return self._c_call(
            node, name, sub, inp[0], o, [], out_dims="od[nd - 2] = Ho; od[nd - 1] = Wo;",
            run=(f"pool_fwd_{nm}(N, H, W, {ph}, {pw}, {sh}, {sw}, Ho, Wo, "
                 f"(const pool_t_{nm}*)PyArray_DATA(xc), (pool_t_{nm}*)PyArray_DATA({o}))"))


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

    def c_code(self, node, name, inp, out, sub):
        (ph, pw), (sh, sw) = self.pool, self.stride
        nm, o = name, out[0]
        x, y, dy = inp
        check = ("for (int k = 0; k < nd && ok; ++k) {"
                 f" npy_intp want = k == nd - 2 ? Ho : k == nd - 1 ? Wo : PyArray_DIMS(xc)[k];"
                 f" if (PyArray_DIMS({y}c)[k] != want || PyArray_DIMS({dy}c)[k] != want) {{"
                 ' PyErr_SetString(PyExc_ValueError, "MaxPool2DGrad: y and dy must have the pooled shape of x");'
                 " ok = 0; } }")
        return self._c_call(
            node, name, sub, x, o, [y, dy], check=check, out_dims="",
            run=(f"pool_grad_{nm}(N, H, W, {ph}, {pw}, {sh}, {sw}, Ho, Wo, (const pool_t_{nm}*)PyArray_DATA(xc), "
                 f"(const pool_t_{nm}*)PyArray_DATA({y}c), (const pool_t_{nm}*)PyArray_DATA({dy}c), "
                 f"(pool_t_{nm}*)PyArray_DATA({o}))"))
