"""The fused LSTM Ops: ``LSTMForward``, ``LSTMForwardX`` (the input product inside the
Op) and ``LSTMGrad``.  Shared plumbing and semantics: ``ops_common``."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply

from keras_legacy.backend.rnn.c_blas_path import _LSTM_FWD, _LSTM_FWDX
from keras_legacy.backend.rnn.c_lstm_avx512 import lstm_backward_v16, lstm_forward_v16
from keras_legacy.backend.rnn.gates import LSTM_GATES
from keras_legacy.backend.rnn.ops_common import (
    _bias_grad,
    _c_bias,
    _check_inputs,
    _ForwardBase,
    _GradBase,
    _np_act,
    _np_dact,
    _stop,
    _typenum,
    _weight_grad,
)

_G = len(LSTM_GATES.fused)


class LSTMForward(_ForwardBase):
    """``(xp, mask, U) -> (h, c, G)``: xp ``(T, n, 4H)`` packed ``[i, f, o, c]``
    pre-activations without the recurrent term, mask ``(T, n)`` int8 (the mask
    the step at ``t`` applies to the previous state), U ``(H, 4H)``.  ``G`` holds
    ``[i, f, o, act(.), act(c)]`` per step, for the gradient."""

    _kernels = _LSTM_FWD

    def _v16(self, dtype, name):
        # float32 with AVX-512: U packed once per call, product and gate update
        # per register tile (c_lstm_avx512.py); float64 keeps the BLAS path.
        v16, dispatch = lstm_forward_v16(dtype, self.act, self.inner, name)
        return {"v16": v16, "v16_dispatch": dispatch}

    def make_node(self, xp, mask, U, b=None):
        inputs = _check_inputs(xp, mask, U, b, _G)
        seq = T.tensor3(dtype=inputs[0].dtype)
        return Apply(self, inputs, [seq.type(), seq.type(), seq.type()])

    #: The position of U among the inputs.
    _U_INPUT = 2

    def connection_pattern(self, node):
        return [[True, True, True], [False, False, False], [True, True, True]] + [
            [True, True, True]] * (len(node.inputs) - 3)

    def output_shapes(self, node, shapes):
        """h ``(T, n, H)``; c ``(T, n, H)`` and G ``(T, n, 5H)``, ``T`` 0 without saved gates."""
        n_steps, n = shapes[0][:2]
        H = shapes[self._U_INPUT][0]
        saved = n_steps if self.save_gates else 0
        return [(n_steps, n, H), (saved, n, H), (saved, n, 5 * H)]

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
        bias = _c_bias(inp, name, _G, release, fail)
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

    def vjp(self, inputs, outputs, output_grads):
        mask, U = inputs[1:3]
        h = outputs[0]
        dA = self._dA(mask, U, outputs, output_grads)
        return [dA, DisconnectedType()(), _weight_grad(h, mask, dA)] + _bias_grad(inputs, dA)



class LSTMForwardX(LSTMForward):
    """``(X, mask, W, U, b) -> (h, c, G)``: ``LSTMForward`` from the layer's input
    ``X (T, n, I)`` (time-major, read in place: any row and step strides) and the packed
    input matrix ``W (I, 4H)``; the pre-activations are ``(X_t.W + b) + h~.U``.

    Chosen by ``fused.recurrence`` for float32 LSTMs, where the AVX-512 kernel computes
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
        _, mask, U, b = _check_inputs(X, mask, U, b, _G)
        if U.dtype != X.dtype:
            raise TypeError(f"LSTMForwardX: U must have X's dtype {X.dtype}, got {U.dtype}")
        seq = T.tensor3(dtype=X.dtype)
        return Apply(self, [X, mask, W, U, b], [seq.type(), seq.type(), seq.type()])

    _U_INPUT = 3

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
        {_c_bias([X, mask, U, b], name, _G, release, fail)}
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

    def vjp(self, inputs, outputs, output_grads):
        X, mask, W, U = inputs[:4]
        h = outputs[0]
        dA = self._dA(mask, U, outputs, output_grads)
        dA2 = T.reshape(dA, (-1, dA.shape[2]))
        dX = T.reshape(T.dot(dA2, W.T), X.shape)
        dW = T.dot(T.reshape(X, (-1, X.shape[2])).T, dA2)
        return [dX, DisconnectedType()(), dW, _weight_grad(h, mask, dA), T.sum(dA, axis=(0, 1))]




class LSTMGrad(_GradBase):
    """``(mask, U, c, G, dh) -> dA``: gradient of the packed pre-activations."""

    _kernels = _LSTM_FWD
    _bwd, _gates, _scratch_blocks = "lstm_bwd", _G, 2

    def _v16(self, dtype, name):
        # float32 with AVX-512: U^T packed once per call, the per-step product
        # dA_(t+1) . U^T per register tile with the step-t gate derivatives applied
        # on the tile (c_lstm_avx512.py); float64 keeps the BLAS path.
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

