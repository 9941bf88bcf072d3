"""Kernel selection and graph builders of the fused recurrences.

``recurrence`` builds the hidden states of a gated cell from tensors (the layer's
input, its mask and the packed weights); it picks the Op: for float32 LSTMs the input
product inside the Op (``LSTMForwardX``), otherwise ``dot(X, W)`` and ``LSTMForward``
/ ``GRUForward`` with the bias added in the Op's gate loop.  Which C text the Op
compiles (a float32 vector kernel, the BLAS path or the built-in GEMM) is decided
by the Op per dtype, by the CPU and ``KERAS_LEGACY_RNN_ISA`` (``isa``) and by the compiler
(``ops_common``, ``csource``);
the Numba and JAX backends run ``numba_impl`` / ``jax_impl``.
"""

from __future__ import annotations

import pytensor.tensor as T
from pytensor.graph.rewriting.basic import node_rewriter
from pytensor.tensor.rewriting.basic import register_specialize

from keras_legacy.backend.rnn.gates import GRU_GATES, LSTM_GATES, supports
from keras_legacy.backend.rnn.ops_gru import GRUForward
from keras_legacy.backend.rnn.ops_lstm import LSTMForward, LSTMForwardX

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
    """Whether a layer's ``fast_path`` switch selects the fused Ops: ``True`` (the
    default) does, ``False`` selects the plain ``scan`` (the reference).  The graph does
    not depend on how it will be compiled: every backend runs the fused Ops (C code,
    Numba and JAX implementations, ``perform`` for the Python linker)."""
    return bool(switch)


#: float32 LSTMs fold the input product into the fused Op (``LSTMForwardX``);
#: False builds ``dot(X, W)`` + ``LSTMForward`` as float64 does (for A/B measurements).
fold_input = True

_SEQUENCE = {LSTM_GATES.kind: lstm_sequence, GRU_GATES.kind: gru_sequence}


def recurrence(gates, X, mask, W, U, b, act, inner, truncate=-1):
    """The hidden states ``(T, n, H)`` of the gated cell ``gates`` (a ``Gates``).

    ``X`` is time-major ``(T, n, input_dim)``; ``mask`` ``(T, n)`` is the mask the step
    at ``t`` multiplies the previous states by (0.1.x reset masking: ``mask[t-1]`` of
    the input, 0 at ``t = 0``); ``W (input_dim, G*H)``, ``U (H, G*H)`` and ``b (G*H,)``
    hold the gates side by side in the order ``gates.fused``; ``act``/``inner`` are
    activation names (``supports(act, inner)`` must hold); ``truncate`` as scan's
    ``truncate_gradient`` (``None`` or ``<= 0``: the whole sequence).
    """
    if gates.kind not in _SEQUENCE:
        raise ValueError(f"no fused recurrence for gates of kind {gates.kind!r}; "
                         f"expected one of {sorted(_SEQUENCE)}")
    if not supports(act, inner):
        raise ValueError(f"the fused recurrence supports the activations of gates.SUPPORTED; "
                         f"got {act!r}/{inner!r}: use the scan path for these")
    trunc = truncate if truncate is not None else -1
    if gates is LSTM_GATES and X.dtype == W.dtype == b.dtype == U.dtype == "float32" and fold_input:
        # float32: the input product inside the Op (LSTMForwardX), X read in place.
        return LSTMForwardX(act, inner, trunc)(X, mask, W, U, b)[0]
    # The bias is added inside the Op's gate loop, in the original's order
    # (x.W + b) + h~.U: no separate pass over the (T, n, G*H) array.
    xw = T.dot(X, W)
    if xw.dtype != U.dtype or b.dtype != U.dtype:
        xw, b = T.cast(xw + b, U.dtype), None
    return _SEQUENCE[gates.kind](xw, mask, U, act, inner, trunc, b=b)
