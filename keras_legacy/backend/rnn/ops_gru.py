"""The fused GRU Ops: ``GRUForward`` and ``GRUGrad``.  Shared plumbing and semantics:
``ops_common``."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply

from keras_legacy.backend.rnn import csource
from keras_legacy.backend.rnn.gates import GRU_GATES
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

_G = len(GRU_GATES.fused)


class GRUForward(_ForwardBase):
    """``(xp, mask, U) -> (h, G)``: xp ``(T, n, 3H)`` packed ``[z, r, h]``, U
    ``(H, 3H)``; ``G`` holds ``[z, r, act(.)]`` per step."""

    _kernels = staticmethod(csource.gru_blas)
    _float64_kernel = True

    def _v16(self, kernel, dtype, name):
        # float32 with a vector kernel (isa.py): U_zr and U_h packed once per call, the products and the
        # gate updates per register tile (c/vec/gru_fwd.c); float64 with the avx512 kernel: the
        # products on register tiles of U packed once, the BLAS path's gate loops (c/f64/gru_fwd.c).
        return csource.gru_forward_kernel(kernel, dtype, self.act, self.inner, name)

    def make_node(self, xp, mask, U, b=None):
        inputs = _check_inputs(xp, mask, U, b, _G)
        seq = T.tensor3(dtype=inputs[0].dtype)
        return Apply(self, inputs, [seq.type(), seq.type()])

    def connection_pattern(self, node):
        return [[True, True], [False, False], [True, True]] + [[True, True]] * (len(node.inputs) - 3)

    def output_shapes(self, node, shapes):
        """h ``(T, n, H)``, G ``(T, n, 3H)`` (``T`` 0 without saved gates)."""
        n_steps, n = shapes[0][:2]
        H = shapes[2][0]
        return [(n_steps, n, H), (n_steps if self.save_gates else 0, n, 3 * H)]

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
        bias = _c_bias(inp, name, _G, release, fail)
        return csource.render(
            "ops.c", "gru_forward", strip=True, nm=name, decl=decl, release=release, fail=fail, bias=bias,
            save=int(self.save_gates),
            missing=" || ".join(csource.render("ops.c", "missing", strip=True, v=v) for v in inp),
            xp=xp, mask=mask, U=U, h=h, G=G,
            alloc_h=self._c_alloc(h, 3, ["Tn", "n", "H"], tn, release, fail),
            alloc_G=self._c_alloc(G, 3, ["Ts", "n", "3 * H"], tn, release, fail))

    def vjp(self, inputs, outputs, output_grads):
        self._check_saved()
        mask, U = inputs[1:3]
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




class GRUGrad(_GradBase):
    """``(mask, U, h, G, dh) -> dA``: gradient of the packed pre-activations."""

    _kernels = staticmethod(csource.gru_blas)
    _bwd, _gates, _scratch_blocks = "gru_bwd", _G, 3

    def _v16(self, kernel, dtype, name):
        # float32 with a vector kernel (isa.py): U_zr^T and U_h^T packed once per call, the
        # two products per step on register tiles with the gate derivatives applied there
        # (c/vec/gru_bwd.c); float64 keeps the BLAS path.
        return csource.gru_backward_kernel(kernel, dtype, self.act, self.inner, name)

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

