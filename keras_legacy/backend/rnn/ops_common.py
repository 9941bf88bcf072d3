"""What the fused LSTM / GRU Ops share: the C plumbing, input checks, the NumPy
activations of ``perform`` and the weight-gradient products built in the graph.

The Ops (``ops_lstm``, ``ops_gru``) run a whole recurrence as one Op: per step one
product ``h~ . U`` for all gates (the recurrent matrices are concatenated when the
graph is built; the saved weights stay separate), then one fused loop for the gate
nonlinearities and the state update.  The forward pass saves the gate values; the
gradient Op walks back over them (one product ``dA . U^T`` per step, no
recomputation) and returns ``dA``, the gradient of the pre-activations; the weight
gradients are then single large products over all steps, built in the graph.

Semantics are the 0.1.x layers' (*reset* masking): ``h~ = mask[t] * h[t-1]`` with
the mask the step at ``t`` applies to the previous state, zero initial states,
``truncate_gradient=k > 0`` back-propagates through the last ``k`` steps only.
The gate order of the packed arrays is ``gates.LSTM_GATES.fused`` / ``GRU_GATES.fused``.

Activation derivatives are taken from the saved outputs: ``tanh' = 1 - y^2``,
``sigmoid' = y (1 - y)``, ``hard_sigmoid' = 0.2`` where ``0 < y < 1`` (at
exactly ``x = +-2.5`` PyTensor's ``clip`` passes 0.2, we pass 0).

``c_code`` needs a C compiler; ``perform`` (NumPy) serves every other backend.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T
from pytensor.link.c.op import COp

from keras_legacy.backend.pytensor_compat import ShapeOp, VJPOp, blas_header_text, blas_ldflags
from keras_legacy.backend.rnn import csource, isa
from keras_legacy.backend.rnn.gates import SUPPORTED

_C_VERSION = 22  # 22: kernels chosen by the CPU (avx512, avx2, portable, blas)

#: Part of ``c_code_cache_version``: PyTensor reuses a compiled module by its version, so an
#: edit of the C without a ``_C_VERSION`` bump would otherwise run the old module.
_C_DIGEST = csource.digest()


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



class _RNNBase(ShapeOp, COp):
    """Shared C plumbing: BLAS flags, apply-specific helpers, array checks; the Ops'
    ``output_shapes`` (``infer_shape``) give their output shapes from their inputs'."""

    __props__ = ("act", "inner", "truncate")

    def __init__(self, act, inner, truncate=-1):
        if act not in SUPPORTED or inner not in SUPPORTED:
            raise ValueError(f"fused RNN Ops support activations {SUPPORTED}, got {act!r}/{inner!r}")
        self.act = act
        self.inner = inner
        self.truncate = int(truncate) if truncate is not None else -1

    def c_libraries(self, **kwargs):
        return blas_ldflags()

    def c_compile_args(self, **kwargs):
        # -fno-trapping-math lets gcc vectorise the gate loops (clamps and
        # float->int conversions become branch-free); results are unchanged.
        return blas_ldflags(libs=False, flags=True) + ["-fno-trapping-math"] + isa.compile_args(isa.selected())

    def c_lib_dirs(self, **kwargs):
        return blas_ldflags(libs=False, libs_dir=True)

    def c_header_dirs(self, **kwargs):
        return blas_ldflags(libs=False, include_dir=True)

    def c_headers(self, **kwargs):
        return ["<string.h>", "<math.h>"]

    def c_support_code(self, **kwargs):
        return blas_header_text() if csource.has_blas() else csource.noblas_gemm()

    def c_support_code_apply(self, node, name):
        dtype = node.outputs[0].dtype
        return csource.helpers(dtype, self.act, self.inner, name) + self._kernels(
            name, **self._v16(isa.selected(), dtype, name))

    #: Whether the Op has a float64 vector kernel (its float64 modules then depend on the ISA).
    _float64_kernel = False

    def _v16(self, kernel, dtype, name):
        """C text of a vector kernel and its dispatch line, as template slots of the BLAS
        path's text (``csource``); none: the emitted C is the BLAS path's."""
        return {}

    def c_code_cache_version(self):
        return (_C_VERSION, _C_DIGEST)

    def c_code_cache_version_apply(self, node):
        # the vector kernel in the module (float32; float64 where the Op has one): modules
        # of different kernels never replace each other in the compile cache
        vector = node.outputs[0].dtype == "float32" or self._float64_kernel
        kernel = isa.selected() if vector else "blas"
        return self.c_code_cache_version() + (kernel,)

    @staticmethod
    def _c_prelude(arrays, fail):
        """C: contiguous copies ``<var>_c`` of the inputs, released by ``RNN_DONE``."""
        decl = "".join(csource.render("ops.c", "contiguous", v=v) for v in arrays)
        release = " ".join(csource.render("ops.c", "release", strip=True, v=v) for v in arrays)
        return decl, release

    @staticmethod
    def _c_alloc(out, ndim, dims, typenum, release, fail):
        # The previous call's output is written again when it fits (the default
        # mode keeps intermediates, allow_gc=False): no fresh pages to fault in.
        same = " || ".join(csource.render("ops.c", "dim_differs", strip=True, out=out, k=k) for k in range(ndim))
        return csource.render("ops.c", "alloc", strip=True, out=out, ndim=ndim, dims=", ".join(dims),
                              typenum=typenum, same=same, release=release, fail=fail)


class _ForwardBase(VJPOp, _RNNBase):
    """A forward Op (its gradient is ``vjp``); ``save_gates=False`` (set by the rewrite ``forward_only``
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
        return csource.render("ops.c", "no_bias", strip=True, nm=name)
    return (csource.render("ops.c", "bias", strip=True, nm=name, b=inp[3], gates=gates, release=release,
                          fail=fail))



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

    def output_shapes(self, node, shapes):
        """dA ``(T, n, gates * H)``: ``T, n`` of the saved states, ``H`` of U."""
        states, U = shapes[2], shapes[1]
        return [(states[0], states[1], self._gates * U[0])]

    def c_code(self, node, name, inp, out, sub):
        mask, U, s, G, dh = inp
        (dA,) = out
        fail = sub["fail"]
        tn = _typenum(node.outputs[0].dtype)
        decl, release = self._c_prelude([mask, U, s, G, dh], fail)
        blocks = self._scratch_blocks
        tail = ", ".join(csource.render("ops.c", "scratch_block", strip=True, k=k) for k in range(2, blocks + 1))
        scratch = csource.render("ops.c", "scratch_blocks", strip=True, tail=tail)
        return csource.render(
            "ops.c", "grad", strip=True, nm=name, decl=decl, mask=mask, U=U, s=s, G=G, dh=dh, dA=dA,
            release=release, fail=fail, truncate=self.truncate, blocks=blocks, bwd=self._bwd, scratch=scratch,
            alloc_dA=self._c_alloc(dA, 3, ["Tn", "n", f"{self._gates} * H"], tn, release, fail))

