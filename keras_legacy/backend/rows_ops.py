"""``RowsInc``: ``x[idx[i], :] += y[i, :]`` in C (the gradient of ``W[X]`` lookups).

PyTensor's ``AdvancedIncSubtensor1`` has C code for vectors only; for a matrix
(the gradient of an ``Embedding`` lookup: ``(input_dim, output_dim)``
incremented by one row per looked-up id) it runs ``numpy.add.at`` in Python,
~1.2 ms for 2560 rows of 64 floats.  ``RowsInc`` does the same additions in
the same order (``i = 0, 1, ...``, each element once: results are bit for
bit those of ``numpy.add.at``) in a C loop.

The rewrite ``rows_inc`` swaps it in (PyTensor 3.0.x; 3.3 removed that Op, and
nothing is registered there); it is registered under the tag
``"kl_rows_inc"`` only (not ``fast_run``), and ``K.get_mode(None)`` (the
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

from keras_legacy.backend.pytensor_compat import AdvancedIncSubtensor1

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
        if x.ndim != 2 or y.ndim != 2 or idx.ndim != 1:
            raise TypeError(f"RowsInc: expected matrix x, matrix y, vector idx; got ndims {x.ndim}, {y.ndim}, {idx.ndim}.")
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

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def c_code_cache_version(self):
        return (1,)

    def c_code(self, node, name, inputs, outputs, sub):
        x, y, idx = inputs
        (out,) = outputs
        fail = sub["fail"]
        ft = node.inputs[0].type.dtype_specs()[1]
        it = node.inputs[2].type.dtype_specs()[1]
        if self.inplace:
            take = f"""
            if ({out} != {x}) {{ Py_XDECREF({out}); Py_INCREF({x}); {out} = {x}; }}
            """
        else:
            # reuse the output buffer of the previous call when it fits (no page faults)
            take = f"""
            if (!{out} || PyArray_NDIM({out}) != 2 || !PyArray_ISCARRAY({out})
                || PyArray_DIMS({out})[0] != PyArray_DIMS({x})[0]
                || PyArray_DIMS({out})[1] != PyArray_DIMS({x})[1]) {{
                Py_XDECREF({out});
                {out} = (PyArrayObject*)PyArray_EMPTY(2, PyArray_DIMS({x}), PyArray_TYPE({x}), 0);
                if (!{out}) {{ {fail} }}
            }}
            if (PyArray_CopyInto({out}, {x}) != 0) {{ {fail} }}
            """
        return f"""
        {{
        npy_intp rows = PyArray_DIMS({x})[0], cols = PyArray_DIMS({x})[1];
        npy_intp n = PyArray_DIMS({idx})[0];
        if (PyArray_DIMS({y})[0] != n || PyArray_DIMS({y})[1] != cols) {{
            PyErr_Format(PyExc_ValueError,
                "RowsInc: y has shape (%lld, %lld) but idx has %lld entries and x has %lld columns",
                (long long)PyArray_DIMS({y})[0], (long long)PyArray_DIMS({y})[1], (long long)n, (long long)cols);
            {fail}
        }}
        {take}
        {{
            char* obase = PyArray_BYTES({out});
            npy_intp os0 = PyArray_STRIDES({out})[0], os1 = PyArray_STRIDES({out})[1];
            char* ybase = PyArray_BYTES({y});
            npy_intp ys0 = PyArray_STRIDES({y})[0], ys1 = PyArray_STRIDES({y})[1];
            char* ibase = PyArray_BYTES({idx});
            npy_intp is0 = PyArray_STRIDES({idx})[0];
            for (npy_intp i = 0; i < n; ++i) {{
                npy_intp r = (npy_intp)(*({it}*)(ibase + i * is0));
                if (r < 0) r += rows;
                if (r < 0 || r >= rows) {{
                    PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for axis 0 with size %lld",
                                 (long long)(*({it}*)(ibase + i * is0)), (long long)rows);
                    {fail}
                }}
                char* orow = obase + r * os0;
                const char* yrow = ybase + i * ys0;
                if (os1 == sizeof({ft}) && ys1 == sizeof({ft})) {{
                    {ft}* o = ({ft}*)orow;
                    const {ft}* v = (const {ft}*)yrow;
                    for (npy_intp j = 0; j < cols; ++j) o[j] += v[j];
                }} else {{
                    for (npy_intp j = 0; j < cols; ++j)
                        *({ft}*)(orow + j * os1) += *(const {ft}*)(yrow + j * ys1);
                }}
            }}
        }}
        }}
        """


def _check_shapes(xs, ys, idxs):
    if len(ys) != 2 or ys[0] != idxs[0] or ys[1] != xs[1]:
        raise ValueError(
            f"RowsInc: y has shape {tuple(ys)} but idx has {idxs[0]} entries and x has {xs[1]} columns"
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


#: Whether this PyTensor has the Op to replace (3.0.x) and the rewrite is registered.
REGISTERED = AdvancedIncSubtensor1 is not None
if REGISTERED:
    # after PyTensor's inplace rewrites (local_inplace_AdvancedIncSubtensor1 is at 70.6)
    optdb.register("kl_rows_inc_rewrite", WalkingGraphRewriter(node_rewriter([AdvancedIncSubtensor1])(rows_inc)),
                   TAG, position=70.65)
