"""The gate descriptions of the gated recurrent cells, shared by the layers, the fused
Ops and the ONNX exporter, and the activations the fused Ops implement.

A cell with gates ``g`` has the weights ``W_g (input_dim, H)``, ``U_g (H, H)`` and
``b_g (H,)`` per gate.  The orders below are strings of gate letters.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Activations the fused kernels implement, by registry name.
SUPPORTED = ("tanh", "sigmoid", "hard_sigmoid", "linear")


@dataclass(frozen=True)
class Gates:
    """Where each gate of a cell goes.

    * ``kind``: the fused recurrence computing the cell (``"lstm"``, ``"gru"``);
    * ``saved``: the order of the ``(W_g, U_g, b_g)`` triples in ``params`` (the save
      order of 0.1.x files);
    * ``drawn``: the order the initial values are drawn in (the original's);
    * ``fused``: the order of the packed ``(..., gates * H)`` arrays of the fused Ops
      (the pre-activations, the concatenated ``W``, ``U`` and ``b``);
    * ``onnx``: the order of the ONNX operator's packed weights.
    """

    kind: str
    saved: str
    drawn: str
    fused: str
    onnx: str


#: LSTM: i (input), f (forget), c (cell candidate), o (output).
LSTM_GATES = Gates(kind="lstm", saved="icfo", drawn="ifco", fused="ifoc", onnx="iofc")
#: GRU: z (update), r (reset), h (candidate).
GRU_GATES = Gates(kind="gru", saved="zrh", drawn="zrh", fused="zrh", onnx="zrh")


def supports(act, inner):
    """Whether the fused Ops implement the activation pair (registry names; None: unnamed)."""
    return act in SUPPORTED and inner in SUPPORTED
