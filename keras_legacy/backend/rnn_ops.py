"""Fused LSTM / GRU recurrences as PyTensor Ops (C code with BLAS, NumPy fallback).

The recurrent layers of 0.1.3 run ``scan`` over a step with one matrix product
per gate and a chain of small elementwise Ops.  Here the whole recurrence is
one Op: per step one product ``h~ . U`` for all gates (the recurrent matrices
are concatenated when the graph is built; the saved weights stay separate),
then one fused loop for the gate nonlinearities and the state update.  The
forward pass saves the gate values; the gradient Op walks back over them
(one product ``dA . U^T`` per step, no recomputation) and returns ``dA``, the
gradient of the pre-activations; the weight gradients are then single large
products over all steps, built in the graph.

Semantics are the layers' (see ``layers/recurrent.py``): ``h~ = mask[t-1] *
h[t-1]``, zero initial states, ``truncate_gradient=k > 0`` back-propagates
through the last ``k`` steps only.  Gate order of the packed arrays:
LSTM ``[i, f, o, c]``, GRU ``[z, r, h]``.

Activation derivatives are taken from the saved outputs: ``tanh' = 1 - y^2``,
``sigmoid' = y (1 - y)``, ``hard_sigmoid' = 0.2`` where ``0 < y < 1`` (at
exactly ``x = +-2.5`` PyTensor's ``clip`` passes 0.2, we pass 0).

``c_code`` needs a C compiler; ``perform`` (NumPy) serves every other backend.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytensor
import pytensor.tensor as T
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.rewriting.basic import node_rewriter
from pytensor.link.c.op import COp
from pytensor.tensor.rewriting.basic import register_specialize

try:  # PyTensor >= 3.1
    from pytensor.tensor.blas.c_code.blas_headers import blas_header_text
except ImportError:  # PyTensor 3.0.x
    from pytensor.tensor.blas_headers import blas_header_text
from pytensor.tensor.blas import ldflags

from keras_legacy.backend.rnn_c_text import (  # noqa: F401  (has_blas: public)
    _C_NOBLAS_GEMM,
    _GRU_FWD,
    _LSTM_FWD,
    _LSTM_FWDX,
    _c_helpers,
    has_blas,
)
from keras_legacy.backend.rnn_gru_kernel import gru_forward_v16
from keras_legacy.backend.rnn_kernels import lstm_backward_v16, lstm_forward_v16

#: Activations the fused kernels implement, by registry name.
SUPPORTED = ("tanh", "sigmoid", "hard_sigmoid", "linear")

_C_VERSION = 20  # 20: activations N vectors at a time, 128-row K chunks (19: cheaper float32 exp)


def _c_source_files() -> tuple[str, ...]:
    """The files the C text is made from: this module and the four holding C text."""
    from keras_legacy.backend import rnn_c_text, rnn_gru_kernel, rnn_kernels, rnn_vec_c

    return (__file__, rnn_c_text.__file__, rnn_kernels.__file__, rnn_gru_kernel.__file__, rnn_vec_c.__file__)


def _source_digest() -> int:
    """A digest of ``_c_source_files()``.

    Part of ``c_code_cache_version``: PyTensor reuses a compiled module by its version, so
    an edit of the C without a ``_C_VERSION`` bump would otherwise run the old module.
    """
    digest = hashlib.sha256()
    for path in _c_source_files():
        try:
            with open(path, "rb") as f:
                digest.update(f.read())
        except OSError:  # no source file (e.g. bytecode-only install): version alone
            return 0
    return int(digest.hexdigest()[:12], 16)


_C_DIGEST = _source_digest()


# --- NumPy reference of the kernels (``perform``) ------------------------------

def _np_act(kind, x):
    if kind == "tanh":
        return np.tanh(x)
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if kind == "hard_sigmoid":
        return np.clip(x * x.dtype.type(0.2) + x.dtype.type(0.5), 0, 1)
    return x.copy()


def _np_dact(kind, y):
    if kind == "tanh":
        return 1 - y * y
    if kind == "sigmoid":
        return y * (1 - y)
    if kind == "hard_sigmoid":
        return np.where((y > 0) & (y < 1), y.dtype.type(0.2), y.dtype.type(0))
    return np.ones_like(y)


def _stop(n_steps, truncate):
    return max(n_steps - truncate, 0) if truncate > 0 else 0


class _RNNBase(COp):
    """Shared C plumbing: BLAS flags, apply-specific helpers, array checks."""

    __props__ = ("act", "inner", "truncate")

    def __init__(self, act, inner, truncate=-1):
        if act not in SUPPORTED or inner not in SUPPORTED:
            raise ValueError(f"fused RNN Ops support activations {SUPPORTED}, got {act!r}/{inner!r}")
        self.act = act
        self.inner = inner
        self.truncate = int(truncate) if truncate is not None else -1

    def c_libraries(self, **kwargs):
        return ldflags()

    def c_compile_args(self, **kwargs):
        # -fno-trapping-math lets gcc vectorise the gate loops (clamps and
        # float->int conversions become branch-free); results are unchanged.
        return ldflags(libs=False, flags=True) + ["-fno-trapping-math"]

    def c_lib_dirs(self, **kwargs):
        return ldflags(libs=False, libs_dir=True)

    def c_header_dirs(self, **kwargs):
        return ldflags(libs=False, include_dir=True)

    def c_headers(self, **kwargs):
        return ["<string.h>", "<math.h>"]

    def c_support_code(self, **kwargs):
        return blas_header_text() if has_blas() else _C_NOBLAS_GEMM

    def c_support_code_apply(self, node, name):
        dtype = node.outputs[0].dtype
        slots = {"nm": name, "v16": "", "v16_dispatch": "", "v16_bwd_dispatch": ""}
        slots.update(self._v16(dtype, name))
        return _c_helpers(dtype, self.act, self.inner, name) + (self._kernels % slots)

    def _v16(self, dtype, name):
        """C text of a vector kernel and its dispatch line, as template slots (only the
        LSTM Ops have one; empty text elsewhere, so the emitted C is the BLAS path's)."""
        return {}

    def c_code_cache_version(self):
        return (_C_VERSION, _C_DIGEST)

    @staticmethod
    def _c_prelude(arrays, fail):
        """C: contiguous copies ``<var>_c`` of the inputs, released by ``RNN_DONE``."""
        decl = "".join(f"PyArrayObject* {v}_c = PyArray_GETCONTIGUOUS({v});\n" for v in arrays)
        release = " ".join(f"Py_XDECREF({v}_c);" for v in arrays)
        return decl, release

    @staticmethod
    def _c_alloc(out, ndim, dims, typenum, release, fail):
        # The previous call's output is written again when it fits (the default
        # mode keeps intermediates, allow_gc=False): no fresh pages to fault in.
        same = " || ".join(f"PyArray_DIMS({out})[{k}] != odims[{k}]" for k in range(ndim))
        return f"""
        {{
            npy_intp odims[{ndim}] = {{{", ".join(dims)}}};
            if (!{out} || PyArray_NDIM({out}) != {ndim} || PyArray_TYPE({out}) != {typenum}
                || !PyArray_ISCARRAY({out}) || {same}) {{
                Py_XDECREF({out});
                {out} = (PyArrayObject*)PyArray_EMPTY({ndim}, odims, {typenum}, 0);
                if (!{out}) {{ {release} {fail} }}
            }}
        }}
        """


class _ForwardBase(_RNNBase):
    """A forward Op; ``save_gates=False`` (set by the rewrite ``forward_only``
    when nothing reads the saved states) skips storing them: those outputs are
    then empty ``(0, n, .)`` arrays and the Op has no gradient."""

    __props__ = ("act", "inner", "truncate", "save_gates")

    def __init__(self, act, inner, truncate=-1, save_gates=True):
        super().__init__(act, inner, truncate)
        self.save_gates = bool(save_gates)

    def _check_saved(self):
        if not self.save_gates:
            raise NotImplementedError(
                f"{type(self).__name__}(save_gates=False) has no gradient; take the gradient "
                "before compiling (the forward_only rewrite only applies where nothing needs it)")


def _typenum(dtype):
    return {"float32": "NPY_FLOAT32", "float64": "NPY_FLOAT64"}[dtype]


def _check_inputs(xp, mask, U, b, n_gates):
    """The Op's inputs ``[xp, mask, U]`` plus ``b`` when a bias is given."""
    xp = T.as_tensor_variable(xp)
    U = T.as_tensor_variable(U)
    mask = T.as_tensor_variable(mask)
    if xp.ndim != 3 or U.ndim != 2 or mask.ndim != 2:
        raise TypeError("expected xp (T, n, G*H), mask (T, n) and U (H, G*H)")
    if xp.dtype not in ("float32", "float64") or U.dtype != xp.dtype:
        raise TypeError(f"xp and U must share a float dtype, got {xp.dtype} and {U.dtype}")
    if mask.dtype != "int8":
        mask = T.cast(mask, "int8")
    if b is None:
        return [xp, mask, U]
    b = T.as_tensor_variable(b)
    if b.ndim != 1 or b.dtype != xp.dtype:
        raise TypeError(f"expected the bias b as a vector (G*H,) of dtype {xp.dtype}, "
                        f"got ndim={b.ndim} dtype={b.dtype}")
    return [xp, mask, U, b]


def _c_bias(inp, name, gates, release, fail):
    """C: the bias pointer (NULL without one) and its length check; inputs ``[xp, mask, U, (b)]``."""
    if len(inp) < 4:
        return f"const rnn_t_{name}* bias = NULL;"
    b = inp[3]
    return (f"""const rnn_t_{name}* bias = (const rnn_t_{name}*)PyArray_DATA({b}_c);
        if (PyArray_DIMS({b}_c)[0] != {gates} * H) {{
            PyErr_Format(PyExc_ValueError, "fused RNN: expected a bias of length {gates}*H = %d, got %d",
                         {gates} * H, (int)PyArray_DIMS({b}_c)[0]);
            {release} {fail}
        }}""")


class LSTMForward(_ForwardBase):
    """``(xp, mask, U) -> (h, c, G)``: xp ``(T, n, 4H)`` packed ``[i, f, o, c]``
    pre-activations without the recurrent term, mask ``(T, n)`` int8 (the mask
    the step at ``t`` applies to the previous state), U ``(H, 4H)``.  ``G`` holds
    ``[i, f, o, act(.), act(c)]`` per step, for the gradient."""

    _kernels = _LSTM_FWD

    def _v16(self, dtype, name):
        # float32 with AVX-512: U packed once per call, product and gate update
        # per register tile (rnn_kernels.py); float64 keeps the BLAS path.
        v16, dispatch = lstm_forward_v16(dtype, self.act, self.inner, name)
        return {"v16": v16, "v16_dispatch": dispatch}

    def make_node(self, xp, mask, U, b=None):
        inputs = _check_inputs(xp, mask, U, b, 4)
        seq = T.tensor3(dtype=inputs[0].dtype)
        return Apply(self, inputs, [seq.type(), seq.type(), seq.type()])

    def connection_pattern(self, node):
        return [[True, True, True], [False, False, False], [True, True, True]] + [
            [True, True, True]] * (len(node.inputs) - 3)

    def perform(self, node, inputs, outputs):
        xp, mask, U = inputs[:3]
        if len(inputs) > 3:
            xp = xp + inputs[3]
        n_steps, n, _ = xp.shape
        H = U.shape[0]
        h = np.empty((n_steps, n, H), xp.dtype)
        c = np.empty_like(h)
        G = np.empty((n_steps, n, 5 * H), xp.dtype)
        hp = np.zeros((n, H), xp.dtype)
        cp = np.zeros((n, H), xp.dtype)
        for t in range(n_steps):
            m = mask[t][:, None].astype(xp.dtype)
            hm, cm = m * hp, m * cp
            a = xp[t] + hm @ U
            gates = _np_act(self.inner, a[:, : 3 * H])
            g = _np_act(self.act, a[:, 3 * H:])
            i, f, o = gates[:, :H], gates[:, H: 2 * H], gates[:, 2 * H:]
            cp = f * cm + i * g
            tc = _np_act(self.act, cp)
            hp = o * tc
            h[t], c[t] = hp, cp
            G[t] = np.concatenate([gates, g, tc], axis=1)
        if not self.save_gates:
            c, G = c[:0], G[:0]
        outputs[0][0], outputs[1][0], outputs[2][0] = h, c, G

    def c_code(self, node, name, inp, out, sub):
        xp, mask, U = inp[:3]
        h, c, G = out
        fail = sub["fail"]
        tn = _typenum(node.outputs[0].dtype)
        decl, release = self._c_prelude(list(inp), fail)
        bias = _c_bias(inp, name, 4, release, fail)
        return f"""{{
        {decl}
        if ({" || ".join(f"!{v}_c" for v in inp)}) {{ {release} {fail} }}
        int Tn = PyArray_DIMS({xp}_c)[0], n = PyArray_DIMS({xp}_c)[1];
        int H = PyArray_DIMS({U}_c)[0];
        if (PyArray_DIMS({xp}_c)[2] != 4 * H || PyArray_DIMS({U}_c)[1] != 4 * H
            || PyArray_DIMS({mask}_c)[0] != Tn || PyArray_DIMS({mask}_c)[1] != n) {{
            PyErr_Format(PyExc_ValueError, "LSTMForward: expected xp (T, n, 4H), mask (T, n), "
                         "U (H, 4H); got H=%d, xp last dim %d", H, (int)PyArray_DIMS({xp}_c)[2]);
            {release} {fail}
        }}
        {bias}
        int Ts = {int(self.save_gates)} ? Tn : 0;
        {self._c_alloc(h, 3, ["Tn", "n", "H"], tn, release, fail)}
        {self._c_alloc(c, 3, ["Ts", "n", "H"], tn, release, fail)}
        {self._c_alloc(G, 3, ["Ts", "n", "5 * H"], tn, release, fail)}
        {{
            /* hm (n*H), A (n*4H), cbuf (2*n*H), gs (5H) */
            rnn_t_{name}* scratch = (rnn_t_{name}*)malloc(sizeof(rnn_t_{name}) * ((size_t)n * H * 7 + 5 * (size_t)H + 1));
            if (!scratch) {{ PyErr_NoMemory(); {release} {fail} }}
            lstm_fwd_{name}(Tn, n, H, (const rnn_t_{name}*)PyArray_DATA({xp}_c), bias,
                (const npy_int8*)PyArray_DATA({mask}_c), (const rnn_t_{name}*)PyArray_DATA({U}_c),
                (rnn_t_{name}*)PyArray_DATA({h}), (rnn_t_{name}*)PyArray_DATA({c}),
                (rnn_t_{name}*)PyArray_DATA({G}), {int(self.save_gates)}, scratch,
                scratch + (size_t)n * H, scratch + (size_t)n * H * 5, scratch + (size_t)n * H * 7);
            free(scratch);
        }}
        {release}
        }}"""

    def _dA(self, mask, U, outputs, output_grads):
        """``dA``, the gradient of the pre-activations, from LSTMGrad (only h is differentiable)."""
        self._check_saved()
        h, c, G = outputs
        gh, gc, gG = output_grads
        for g in (gc, gG):
            if not isinstance(g.type, DisconnectedType):
                raise NotImplementedError(f"{type(self).__name__}: only the h output is differentiable")
        if isinstance(gh.type, DisconnectedType):
            gh = T.zeros_like(h)
        return LSTMGrad(self.act, self.inner, self.truncate)(mask, U, c, G, gh)

    def L_op(self, inputs, outputs, output_grads):
        xp, mask, U = inputs[:3]
        h = outputs[0]
        dA = self._dA(mask, U, outputs, output_grads)
        return [dA, DisconnectedType()(), _weight_grad(h, mask, dA)] + _bias_grad(inputs, dA)

    pullback = L_op  # PyTensor >= 3.3 name of L_op


class LSTMForwardX(LSTMForward):
    """``(X, mask, W, U, b) -> (h, c, G)``: ``LSTMForward`` from the layer's input
    ``X (T, n, I)`` (time-major, read in place: any row and step strides) and the packed
    input matrix ``W (I, 4H)``; the pre-activations are ``(X_t.W + b) + h~.U``.

    Used by the layers for float32 (``fast_output``), where the AVX-512 kernel computes
    the input product per step and register tile next to the recurrent one (no
    ``(T, n, 4H)`` input-projection array, no time-major copy of X); float64 graphs keep
    ``dot(X, W)`` + ``LSTMForward``.  The gradient is ``LSTMGrad``'s ``dA`` with
    ``dX = dA.W^T``, ``dW = X^T.dA``, ``dU`` and ``db`` as for ``LSTMForward``.
    """

    def make_node(self, X, mask, W, U, b):
        X, W = T.as_tensor_variable(X), T.as_tensor_variable(W)
        if X.ndim != 3 or W.ndim != 2:
            raise TypeError(f"LSTMForwardX: expected X (T, n, I) and W (I, 4H), got ndim {X.ndim} and {W.ndim}")
        if X.dtype != W.dtype:
            raise TypeError(f"LSTMForwardX: X and W must share a dtype, got {X.dtype} and {W.dtype}")
        _, mask, U, b = _check_inputs(X, mask, U, b, 4)
        if U.dtype != X.dtype:
            raise TypeError(f"LSTMForwardX: U must have X's dtype {X.dtype}, got {U.dtype}")
        seq = T.tensor3(dtype=X.dtype)
        return Apply(self, [X, mask, W, U, b], [seq.type(), seq.type(), seq.type()])

    def connection_pattern(self, node):
        return [[True, True, True], [False, False, False]] + [[True, True, True]] * 3

    def c_support_code_apply(self, node, name):
        return super().c_support_code_apply(node, name) + (_LSTM_FWDX % {"nm": name})

    def perform(self, node, inputs, outputs):
        X, mask, W, U, b = inputs
        xp = np.dot(X, W)  # (T, n, 4H)
        super().perform(node, [xp, mask, U, b], outputs)

    def c_code(self, node, name, inp, out, sub):
        X, mask, W, U, b = inp
        h, c, G = out
        fail = sub["fail"]
        tn = _typenum(node.outputs[0].dtype)
        decl, release = self._c_prelude([mask, W, U, b], fail)
        release += f" Py_XDECREF({X}_c);"
        return f"""{{
        {decl}
        PyArrayObject* {X}_c = NULL;
        {{
            /* X is read in place when its rows are contiguous and its step/row strides are
               non-negative multiples of the item size (e.g. the time-major view of a
               batch-major array); otherwise a contiguous copy. */
            const npy_intp* st = PyArray_STRIDES({X});
            const npy_intp* dm = PyArray_DIMS({X});
            const npy_intp isz = PyArray_ITEMSIZE({X});
            int inplace = (dm[2] <= 1 || st[2] == isz) && st[0] >= 0 && st[1] >= 0
                && st[0] % isz == 0 && st[1] % isz == 0 && (dm[1] <= 1 || st[1] >= dm[2] * isz);
            if (inplace) {{ Py_INCREF({X}); {X}_c = {X}; }}
            else {X}_c = PyArray_GETCONTIGUOUS({X});
        }}
        if (!{X}_c || !{mask}_c || !{W}_c || !{U}_c || !{b}_c) {{ {release} {fail} }}
        int Tn = PyArray_DIMS({X}_c)[0], n = PyArray_DIMS({X}_c)[1], I = PyArray_DIMS({X}_c)[2];
        int H = PyArray_DIMS({U}_c)[0];
        if (PyArray_DIMS({W}_c)[0] != I || PyArray_DIMS({W}_c)[1] != 4 * H || PyArray_DIMS({U}_c)[1] != 4 * H
            || PyArray_DIMS({mask}_c)[0] != Tn || PyArray_DIMS({mask}_c)[1] != n || I < 1) {{
            PyErr_Format(PyExc_ValueError, "LSTMForwardX: expected X (T, n, I), W (I, 4H), mask (T, n), "
                         "U (H, 4H) with I >= 1; got X (%d, %d, %d), W (%d, %d), H=%d", Tn, n, I,
                         (int)PyArray_DIMS({W}_c)[0], (int)PyArray_DIMS({W}_c)[1], H);
            {release} {fail}
        }}
        {_c_bias([X, mask, U, b], name, 4, release, fail)}
        int Ts = {int(self.save_gates)} ? Tn : 0;
        {self._c_alloc(h, 3, ["Tn", "n", "H"], tn, release, fail)}
        {self._c_alloc(c, 3, ["Ts", "n", "H"], tn, release, fail)}
        {self._c_alloc(G, 3, ["Ts", "n", "5 * H"], tn, release, fail)}
        {{
            /* hm (n*H), A (n*4H), cbuf (2*n*H), gs (5H) */
            size_t isz = sizeof(rnn_t_{name});
            rnn_t_{name}* scratch = (rnn_t_{name}*)malloc(isz * ((size_t)n * H * 7 + 5 * (size_t)H + 1));
            if (!scratch) {{ PyErr_NoMemory(); {release} {fail} }}
            int ok = lstm_fwdx_{name}(Tn, n, H, I, (const rnn_t_{name}*)PyArray_DATA({X}_c),
                (size_t)(PyArray_STRIDES({X}_c)[0] / isz), (size_t)(PyArray_STRIDES({X}_c)[1] / isz),
                (const rnn_t_{name}*)PyArray_DATA({W}_c), bias,
                (const npy_int8*)PyArray_DATA({mask}_c), (const rnn_t_{name}*)PyArray_DATA({U}_c),
                (rnn_t_{name}*)PyArray_DATA({h}), (rnn_t_{name}*)PyArray_DATA({c}),
                (rnn_t_{name}*)PyArray_DATA({G}), {int(self.save_gates)}, scratch,
                scratch + (size_t)n * H, scratch + (size_t)n * H * 5, scratch + (size_t)n * H * 7);
            free(scratch);
            if (!ok) {{ PyErr_NoMemory(); {release} {fail} }}
        }}
        {release}
        }}"""

    def L_op(self, inputs, outputs, output_grads):
        X, mask, W, U, b = inputs
        h = outputs[0]
        dA = self._dA(mask, U, outputs, output_grads)
        dA2 = T.reshape(dA, (-1, dA.shape[2]))
        dX = T.reshape(T.dot(dA2, W.T), X.shape)
        dW = T.dot(T.reshape(X, (-1, X.shape[2])).T, dA2)
        return [dX, DisconnectedType()(), dW, _weight_grad(h, mask, dA), T.sum(dA, axis=(0, 1))]

    pullback = L_op


def _bias_grad(inputs, dA):
    """``[sum_{t,n} dA]`` when the Op has a bias input, else ``[]``."""
    return [T.sum(dA, axis=(0, 1))] if len(inputs) > 3 else []


def _prev_masked(h, mask):
    """``mask[t] * h[t-1]`` (zero at t = 0), time-major ``(T, n, H)``."""
    zero = T.zeros_like(h[:1])
    prev = T.concatenate([zero, h[:-1]], axis=0)
    return prev * T.cast(mask, h.dtype)[:, :, None]


def _weight_grad(h, mask, dA, scale=None):
    """``sum_t h~_t^T dA_t`` as one product over all steps."""
    hm = _prev_masked(h, mask)
    if scale is not None:
        hm = hm * scale
    H = h.shape[2]
    return T.dot(T.reshape(hm, (-1, H)).T, T.reshape(dA, (-1, dA.shape[2])))


class _GradBase(_RNNBase):
    """The C call of a backward kernel: ``(mask, U, states, G, dh) -> dA (T, n, gates * H)``.

    ``_bwd`` names the kernel; it gets ``_scratch_blocks`` scratch arrays of
    ``n * H`` and one of ``H + 1``.
    """

    _bwd = None
    _gates = None
    _scratch_blocks = None

    def c_code(self, node, name, inp, out, sub):
        mask, U, s, G, dh = inp
        (dA,) = out
        fail = sub["fail"]
        tn = _typenum(node.outputs[0].dtype)
        decl, release = self._c_prelude([mask, U, s, G, dh], fail)
        blocks = self._scratch_blocks
        tail = ", ".join(f"scratch + (size_t)n * H * {k}" for k in range(2, blocks + 1))
        scratch = f"scratch, scratch + (size_t)n * H,\n                {tail}"
        return f"""{{
        {decl}
        if (!{mask}_c || !{U}_c || !{s}_c || !{G}_c || !{dh}_c) {{ {release} {fail} }}
        int Tn = PyArray_DIMS({s}_c)[0], n = PyArray_DIMS({s}_c)[1], H = PyArray_DIMS({s}_c)[2];
        int stop = {self.truncate} > 0 ? (Tn - {self.truncate} > 0 ? Tn - {self.truncate} : 0) : 0;
        {self._c_alloc(dA, 3, ["Tn", "n", f"{self._gates} * H"], tn, release, fail)}
        {{
            rnn_t_{name}* scratch = (rnn_t_{name}*)malloc(sizeof(rnn_t_{name}) * ((size_t)n * H * {blocks} + H + 1));
            if (!scratch) {{ PyErr_NoMemory(); {release} {fail} }}
            {self._bwd}_{name}(Tn, n, H, stop, (const npy_int8*)PyArray_DATA({mask}_c),
                (const rnn_t_{name}*)PyArray_DATA({U}_c), (const rnn_t_{name}*)PyArray_DATA({s}_c),
                (const rnn_t_{name}*)PyArray_DATA({G}_c), (const rnn_t_{name}*)PyArray_DATA({dh}_c),
                (rnn_t_{name}*)PyArray_DATA({dA}), {scratch});
            free(scratch);
        }}
        {release}
        }}"""


class LSTMGrad(_GradBase):
    """``(mask, U, c, G, dh) -> dA``: gradient of the packed pre-activations."""

    _kernels = _LSTM_FWD
    _bwd, _gates, _scratch_blocks = "lstm_bwd", 4, 2

    def _v16(self, dtype, name):
        # float32 with AVX-512: U^T packed once per call, the per-step product
        # dA_(t+1) . U^T per register tile with the step-t gate derivatives applied
        # on the tile (rnn_kernels.py); float64 keeps the BLAS path.
        v16, dispatch = lstm_backward_v16(dtype, self.act, self.inner, name)
        return {"v16": v16, "v16_bwd_dispatch": dispatch}

    def make_node(self, mask, U, c, G, dh):
        inputs = [T.as_tensor_variable(v) for v in (mask, U, c, G, dh)]
        return Apply(self, inputs, [T.tensor3(dtype=inputs[1].dtype).type()])

    def perform(self, node, inputs, outputs):
        mask, U, c, G, dh = inputs
        n_steps, n, H = c.shape
        dA = np.zeros((n_steps, n, 4 * H), c.dtype)
        dhn = np.zeros((n, H), c.dtype)
        dcn = np.zeros((n, H), c.dtype)
        for t in range(n_steps - 1, _stop(n_steps, self.truncate) - 1, -1):
            m = mask[t][:, None].astype(c.dtype)
            i, f, o, g, tc = (G[t][:, k * H: (k + 1) * H] for k in range(5))
            dht = dh[t] + dhn
            dc = dcn + dht * o * _np_dact(self.act, tc)
            cm = m * c[t - 1] if t > 0 else np.zeros_like(dc)
            dA[t] = np.concatenate([dc * g * _np_dact(self.inner, i), dc * cm * _np_dact(self.inner, f),
                                    dht * tc * _np_dact(self.inner, o), dc * i * _np_dact(self.act, g)],
                                   axis=1)
            dcn = m * (dc * f)
            dhn = m * (dA[t] @ U.T)
        outputs[0][0] = dA


class GRUForward(_ForwardBase):
    """``(xp, mask, U) -> (h, G)``: xp ``(T, n, 3H)`` packed ``[z, r, h]``, U
    ``(H, 3H)``; ``G`` holds ``[z, r, act(.)]`` per step."""

    _kernels = _GRU_FWD

    def _v16(self, dtype, name):
        # float32 with AVX-512: U_zr and U_h packed once per call, the products and the
        # gate updates per register tile (rnn_gru_kernel.gru_forward_v16); float64 keeps BLAS.
        v16, dispatch = gru_forward_v16(dtype, self.act, self.inner, name)
        return {"v16": v16, "v16_dispatch": dispatch}

    def make_node(self, xp, mask, U, b=None):
        inputs = _check_inputs(xp, mask, U, b, 3)
        seq = T.tensor3(dtype=inputs[0].dtype)
        return Apply(self, inputs, [seq.type(), seq.type()])

    def connection_pattern(self, node):
        return [[True, True], [False, False], [True, True]] + [[True, True]] * (len(node.inputs) - 3)

    def perform(self, node, inputs, outputs):
        xp, mask, U = inputs[:3]
        if len(inputs) > 3:
            xp = xp + inputs[3]
        n_steps, n, _ = xp.shape
        H = U.shape[0]
        h = np.empty((n_steps, n, H), xp.dtype)
        G = np.empty((n_steps, n, 3 * H), xp.dtype)
        hp = np.zeros((n, H), xp.dtype)
        for t in range(n_steps):
            hm = mask[t][:, None].astype(xp.dtype) * hp
            zr = _np_act(self.inner, xp[t][:, : 2 * H] + hm @ U[:, : 2 * H])
            z, r = zr[:, :H], zr[:, H:]
            hh = _np_act(self.act, xp[t][:, 2 * H:] + (r * hm) @ U[:, 2 * H:])
            hp = z * hm + (1 - z) * hh
            h[t] = hp
            G[t] = np.concatenate([zr, hh], axis=1)
        if not self.save_gates:
            G = G[:0]
        outputs[0][0], outputs[1][0] = h, G

    def c_code(self, node, name, inp, out, sub):
        xp, mask, U = inp[:3]
        h, G = out
        fail = sub["fail"]
        tn = _typenum(node.outputs[0].dtype)
        decl, release = self._c_prelude(list(inp), fail)
        bias = _c_bias(inp, name, 3, release, fail)
        return f"""{{
        {decl}
        if ({" || ".join(f"!{v}_c" for v in inp)}) {{ {release} {fail} }}
        int Tn = PyArray_DIMS({xp}_c)[0], n = PyArray_DIMS({xp}_c)[1];
        int H = PyArray_DIMS({U}_c)[0];
        if (PyArray_DIMS({xp}_c)[2] != 3 * H || PyArray_DIMS({U}_c)[1] != 3 * H
            || PyArray_DIMS({mask}_c)[0] != Tn || PyArray_DIMS({mask}_c)[1] != n) {{
            PyErr_Format(PyExc_ValueError, "GRUForward: expected xp (T, n, 3H), mask (T, n), "
                         "U (H, 3H); got H=%d, xp last dim %d", H, (int)PyArray_DIMS({xp}_c)[2]);
            {release} {fail}
        }}
        {bias}
        int Ts = {int(self.save_gates)} ? Tn : 0;
        {self._c_alloc(h, 3, ["Tn", "n", "H"], tn, release, fail)}
        {self._c_alloc(G, 3, ["Ts", "n", "3 * H"], tn, release, fail)}
        {{
            /* hm (n*H), rh (n*H), A (n*3H), gs (n*3H) */
            rnn_t_{name}* scratch = (rnn_t_{name}*)malloc(sizeof(rnn_t_{name}) * ((size_t)n * H * 8 + 1));
            if (!scratch) {{ PyErr_NoMemory(); {release} {fail} }}
            gru_fwd_{name}(Tn, n, H, (const rnn_t_{name}*)PyArray_DATA({xp}_c), bias,
                (const npy_int8*)PyArray_DATA({mask}_c), (const rnn_t_{name}*)PyArray_DATA({U}_c),
                (rnn_t_{name}*)PyArray_DATA({h}), (rnn_t_{name}*)PyArray_DATA({G}),
                {int(self.save_gates)}, scratch, scratch + (size_t)n * H, scratch + (size_t)n * H * 2,
                scratch + (size_t)n * H * 5);
            free(scratch);
        }}
        {release}
        }}"""

    def L_op(self, inputs, outputs, output_grads):
        self._check_saved()
        xp, mask, U = inputs[:3]
        h, G = outputs
        gh, gG = output_grads
        if not isinstance(gG.type, DisconnectedType):
            raise NotImplementedError("GRUForward: only the h output is differentiable")
        if isinstance(gh.type, DisconnectedType):
            gh = T.zeros_like(h)
        dA = GRUGrad(self.act, self.inner, self.truncate)(mask, U, h, G, gh)
        H = h.shape[2]
        r = G[:, :, H: 2 * H]
        dU_zr = _weight_grad(h, mask, dA[:, :, : 2 * H])
        dU_h = _weight_grad(h, mask, dA[:, :, 2 * H:], scale=r)
        return [dA, DisconnectedType()(), T.concatenate([dU_zr, dU_h], axis=1)] + _bias_grad(inputs, dA)

    pullback = L_op  # PyTensor >= 3.3 name of L_op


class GRUGrad(_GradBase):
    """``(mask, U, h, G, dh) -> dA``: gradient of the packed pre-activations."""

    _kernels = _GRU_FWD
    _bwd, _gates, _scratch_blocks = "gru_bwd", 3, 3

    def make_node(self, mask, U, h, G, dh):
        inputs = [T.as_tensor_variable(v) for v in (mask, U, h, G, dh)]
        return Apply(self, inputs, [T.tensor3(dtype=inputs[1].dtype).type()])

    def perform(self, node, inputs, outputs):
        mask, U, h, G, dh = inputs
        n_steps, n, H = h.shape
        dA = np.zeros((n_steps, n, 3 * H), h.dtype)
        dhn = np.zeros((n, H), h.dtype)
        for t in range(n_steps - 1, _stop(n_steps, self.truncate) - 1, -1):
            m = mask[t][:, None].astype(h.dtype)
            z, r, hh = (G[t][:, k * H: (k + 1) * H] for k in range(3))
            hm = m * h[t - 1] if t > 0 else np.zeros_like(z)
            dht = dh[t] + dhn
            da_z = dht * (hm - hh) * _np_dact(self.inner, z)
            da_h = dht * (1 - z) * _np_dact(self.act, hh)
            drh = da_h @ U[:, 2 * H:].T
            da_r = drh * hm * _np_dact(self.inner, r)
            dA[t] = np.concatenate([da_z, da_r, da_h], axis=1)
            dhm = dht * z + drh * r + dA[t][:, : 2 * H] @ U[:, : 2 * H].T
            dhn = m * dhm
        outputs[0][0] = dA


# --- rewrite: forward-only graphs do not save the gates -------------------------

@node_rewriter([LSTMForward, LSTMForwardX, GRUForward])
def forward_only(fgraph, node):
    """Swap in ``save_gates=False`` when no one reads the saved states / gates."""
    op = node.op
    if not op.save_gates or any(fgraph.clients.get(v) for v in node.outputs[1:]):
        return None
    new = type(op)(op.act, op.inner, op.truncate, save_gates=False)(*node.inputs)
    return list(new)


register_specialize(forward_only, "fast_run")


# --- graph builders ------------------------------------------------------------

def lstm_sequence(xp, mask, U, act="tanh", inner="hard_sigmoid", truncate=-1, b=None):
    """Hidden states ``(T, n, H)`` of the fused LSTM (see ``LSTMForward``);
    with ``b``, the pre-activations are ``(xp + b) + h~.U`` (added in the gate loop)."""
    return LSTMForward(act, inner, truncate)(xp, mask, U, b)[0]


def gru_sequence(xp, mask, U, act="sigmoid", inner="hard_sigmoid", truncate=-1, b=None):
    """Hidden states ``(T, n, H)`` of the fused GRU (see ``GRUForward``); ``b`` as
    for ``lstm_sequence``."""
    return GRUForward(act, inner, truncate)(xp, mask, U, b)[0]


def enabled(switch):
    """Whether a layer's ``fast_path`` switch selects the fused Ops.

    ``"auto"`` means: when the graph is built for the C backend (a C compiler
    is configured and the mode of ``K.graph_mode`` -- set by
    ``model.compile(theano_mode=...)`` -- or, outside it, keras_legacy's
    default mode has C thunks); ``True``/``False`` force it.
    """
    if switch == "auto":
        from keras_legacy import backend as K

        return K.graphs_for_c_backend()
    return bool(switch)


#: float32 LSTM layers fold the input product into the fused Op (``LSTMForwardX``);
#: False builds ``dot(X, W)`` + ``LSTMForward`` as float64 does (for A/B measurements).
fold_input = True


def fast_output(layer, X, padded_mask):
    """The fused recurrence for an LSTM/GRU layer, or None if it does not apply.

    ``X`` is time-major ``(T, n, input_dim)``; ``padded_mask`` is the layer's
    ``(T + 1, n, 1)`` int8 mask with the leading zero.  Returns ``(T, n, H)``.
    """
    from keras_legacy import activations

    kind = {"LSTM._step": "lstm", "GRU._step": "gru"}.get(type(layer)._step.__qualname__)
    if kind is None:
        return None
    act = activations.name_of(layer.activation)
    inner = activations.name_of(layer.inner_activation)
    if act not in SUPPORTED or inner not in SUPPORTED:
        return None
    mask = padded_mask[: X.shape[0], :, 0]
    gates = "ifoc" if kind == "lstm" else "zrh"
    W = T.concatenate([getattr(layer, f"W_{g}") for g in gates], axis=1)
    b = T.concatenate([getattr(layer, f"b_{g}") for g in gates], axis=0)
    U = T.concatenate([getattr(layer, f"U_{g}") for g in gates], axis=1)
    trunc = layer.truncate_gradient if layer.truncate_gradient is not None else -1
    if kind == "lstm" and X.dtype == W.dtype == b.dtype == U.dtype == "float32" and fold_input:
        # float32: the input product inside the Op (LSTMForwardX), X read in place.
        return LSTMForwardX(act, inner, trunc)(X, mask, W, U, b)[0]
    # The bias is added inside the Op's gate loop, in the original's order
    # (x.W + b) + h~.U: no separate pass over the (T, n, G*H) array.
    xw = T.dot(X, W)
    if xw.dtype != U.dtype or b.dtype != U.dtype:
        xw, b = T.cast(xw + b, U.dtype), None
    build = lstm_sequence if kind == "lstm" else gru_sequence
    return build(xw, mask, U, act, inner, trunc, b=b)
