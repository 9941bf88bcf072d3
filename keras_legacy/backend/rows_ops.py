"""``RowsInc``: ``x[idx[i], :] += y[i, :]`` in C (the gradient of ``W[X]`` lookups).

PyTensor's ``AdvancedIncSubtensor1`` has C code for vectors only; for a matrix
(the gradient of an ``Embedding`` lookup: ``(input_dim, output_dim)``
incremented by one row per looked-up id) it runs ``numpy.add.at`` in Python,
~1.2 ms for 2560 rows of 64 floats.  ``RowsInc`` does the same additions in
the same order (``i = 0, 1, ...``, each element once: results are bit for
bit those of ``numpy.add.at``) in a C loop.

The rewrites ``rows_inc`` (PyTensor 3.0.x's ``AdvancedIncSubtensor1``) and
``rows_inc_nd`` (PyTensor 3.3's ``AdvancedIncSubtensor`` with one leading
integer index, which also runs ``numpy.add.at`` in Python) swap it in; they are registered under the tag
``"kl_rows_inc"`` only (not ``fast_run``), by ``keras_legacy.backend.pytensor_compat``
(which knows the installed PyTensor's Ops), and ``K.get_mode(None)`` (the
default mode of keras_legacy's compiles) includes it.  It runs after
PyTensor's inplace rewrites and keeps their choice (``inplace=True`` destroys
``x``, as the node it replaces did).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T
from pytensor.compile import optdb
from pytensor.graph.basic import Apply
from pytensor.graph.rewriting.basic import WalkingGraphRewriter, node_rewriter
from pytensor.link.c.op import COp

from keras_legacy.backend.ctemplate import BACKEND_C

#: The C of ``RowsInc`` (``c/rows_inc.c``), read as text; its digest versions the compiled module.
C_SOURCE = BACKEND_C

TAG = "kl_rows_inc"
_FLOATS = ("float32", "float64")


class RowsInc(COp):
    """``out = x`` (a copy, or ``x`` itself with ``inplace``) then ``out[idx[i]] += y[i]`` for each ``i``."""

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = bool(inplace)
        if self.inplace:
            self.destroy_map = {0: [0]}

    def make_node(self, x, y, idx):
        x, y, idx = T.as_tensor_variable(x), T.as_tensor_variable(y), T.as_tensor_variable(idx)
        if x.ndim != 2 or idx.ndim < 1 or y.ndim != idx.ndim + 1:
            raise TypeError(
                "RowsInc: expected a matrix x, an index array idx of k >= 1 dimensions and y of k + 1 "
                f"(one row per index); got ndims x {x.ndim}, y {y.ndim}, idx {idx.ndim}."
            )
        if x.dtype != y.dtype or x.dtype not in _FLOATS:
            raise TypeError(f"RowsInc: x and y must share a float dtype {_FLOATS}, got {x.dtype} and {y.dtype}.")
        if not idx.dtype.startswith(("int", "uint")):
            raise TypeError(f"RowsInc: idx must hold integers, got {idx.dtype}.")
        return Apply(self, [x, y, idx], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, idx = inputs
        _check_shapes(x.shape, y.shape, idx.shape)
        out = x if self.inplace else x.copy()
        np.add.at(out, idx, y)
        output_storage[0][0] = out

    def infer_shape(self, *args):
        # PyTensor 3.0 passes (fgraph, node, shapes); 3.3 deprecates fgraph and passes (node, shapes).
        _node, shapes = args[-2:]
        return [shapes[0]]

    def c_code_cache_version(self):
        return (3, C_SOURCE.digest())

    def c_code(self, node, name, inputs, outputs, sub):
        x, y, idx = inputs
        (out,) = outputs
        names = dict(x=x, y=y, idx=idx, out=out, fail=sub["fail"])
        take = C_SOURCE.render("rows_inc.c", "take_inplace" if self.inplace else "take_copy", **names)
        return C_SOURCE.render("rows_inc.c", "main", take=take, k=node.inputs[2].ndim,
                               ft=node.inputs[0].type.dtype_specs()[1],
                               it=node.inputs[2].type.dtype_specs()[1], **names)


def _check_shapes(xs, ys, idxs):
    if tuple(ys) != tuple(idxs) + (xs[1],):
        raise ValueError(
            f"RowsInc: y must have the shape of idx plus a last axis of {xs[1]} (the columns of x); "
            f"y has shape {tuple(ys)}, idx {tuple(idxs)}"
        )


def rows_inc(fgraph, node):
    """``AdvancedIncSubtensor1{inc}`` on a float matrix with a full matrix ``y`` -> ``RowsInc``."""
    if node.op.set_instead_of_inc:
        return None
    x, y, idx = node.inputs
    if x.ndim != 2 or y.ndim != 2 or x.dtype != y.dtype or x.dtype not in _FLOATS:
        return None
    if any(y.type.broadcastable):  # numpy broadcasting of y: leave it to PyTensor
        return None
    return [RowsInc(inplace=node.op.inplace)(x, y, idx)]


def rows_inc_nd(fgraph, node):
    """PyTensor 3.3's ``AdvancedIncSubtensor`` ``x[idx] += y`` (``idx_list == (0,)``, any-rank integer
    ``idx``, ``y`` of shape ``idx.shape + (cols,)``) on a float matrix -> ``RowsInc``."""
    op = node.op
    if getattr(op, "idx_list", None) != (0,) or len(node.inputs) != 3:
        return None
    if op.set_instead_of_inc or getattr(op, "ignore_duplicates", False):
        return None
    x, y, idx = node.inputs
    if x.ndim != 2 or idx.ndim < 1 or y.ndim != idx.ndim + 1 or x.dtype != y.dtype or x.dtype not in _FLOATS:
        return None
    if not idx.dtype.startswith(("int", "uint")) or any(y.type.broadcastable):
        return None
    return [RowsInc(inplace=op.inplace)(x, y, idx)]


def register_rewrites(tracked):
    """Register, under ``TAG``, one rewrite per ``(Op class, rewrite function)`` of ``tracked``.

    ``keras_legacy.backend.pytensor_compat`` calls it once with the increment Ops
    of the installed PyTensor (``rows_inc`` for ``AdvancedIncSubtensor1`` where
    it exists, ``rows_inc_nd`` for ``AdvancedIncSubtensor``).
    """
    for op, fn in tracked:
        # after PyTensor's inplace rewrites (local_inplace_AdvancedIncSubtensor[1] are at 70.6)
        optdb.register(f"kl_{fn.__name__}_rewrite", WalkingGraphRewriter(node_rewriter([op])(fn)), TAG,
                       position=70.65)
