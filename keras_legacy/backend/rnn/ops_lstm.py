"""The fused LSTM Ops: ``LSTMForward``, ``LSTMForwardX`` (the input product inside the
Op) and ``LSTMGrad``.  Shared plumbing and semantics: ``ops_common``."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply

from keras_legacy.backend.rnn import csource
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

    _kernels = staticmethod(csource.lstm_blas)
    _float64_kernel = True

    def _v16(self, kernel, dtype, name):
        # float32 with a vector kernel (isa.py): U packed once per call, product and gate update
        # per register tile (c/vec/lstm_fwd.c); float64 with the avx512 kernel: the product on
        # register tiles of U packed once, the BLAS path's gate loop (c/f64/lstm_fwd.c).
        return csource.lstm_forward_kernel(kernel, dtype, self.act, self.inner, name)

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
        return csource.render(
            "ops.c", "lstm_forward", strip=True, nm=name, decl=decl, release=release, fail=fail, bias=bias,
            save=int(self.save_gates),
            missing=" || ".join(csource.render("ops.c", "missing", strip=True, v=v) for v in inp),
            xp=xp, mask=mask, U=U, h=h, c=c, G=G,
            alloc_h=self._c_alloc(h, 3, ["Tn", "n", "H"], tn, release, fail),
            alloc_c=self._c_alloc(c, 3, ["Ts", "n", "H"], tn, release, fail),
            alloc_G=self._c_alloc(G, 3, ["Ts", "n", "5 * H"], tn, release, fail))

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
        return super().c_support_code_apply(node, name) + csource.lstm_fwdx_blas(name)

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
        release += " " + csource.render("ops.c", "release", strip=True, v=X)
        return csource.render(
            "ops.c", "lstm_forwardx", strip=True, nm=name, decl=decl, release=release, fail=fail,
            X=X, mask=mask, W=W, U=U, b=b, h=h, c=c, G=G, save=int(self.save_gates),
            bias=_c_bias([X, mask, U, b], name, _G, release, fail),
            alloc_h=self._c_alloc(h, 3, ["Tn", "n", "H"], tn, release, fail),
            alloc_c=self._c_alloc(c, 3, ["Ts", "n", "H"], tn, release, fail),
            alloc_G=self._c_alloc(G, 3, ["Ts", "n", "5 * H"], tn, release, fail))

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

    _kernels = staticmethod(csource.lstm_blas)
    _bwd, _gates, _scratch_blocks = "lstm_bwd", _G, 2

    def _v16(self, kernel, dtype, name):
        # float32 with a vector kernel (isa.py): U^T packed once per call, the per-step product
        # dA_(t+1) . U^T per register tile with the step-t gate derivatives applied
        # on the tile (c/vec/lstm_bwd.c); float64 keeps the BLAS path.
        return csource.lstm_backward_kernel(kernel, dtype, self.act, self.inner, name)

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

