/* RowsInc (keras_legacy/backend/rows_ops.py): out = x (copied, or x itself in place), then
   out[idx[i], :] += y[i, :] for i = 0, 1, ... in order (bit for bit numpy.add.at).
   Slots: ${out} ${x} ${y} ${idx} ${fail} (the node's names), ${ft} ${it} (C types of x and idx),
   ${take} (the inplace or copy section), ${k} (idx.ndim). */
/*@@ take_inplace @@*/
if (${out} != ${x}) { Py_XDECREF(${out}); Py_INCREF(${x}); ${out} = ${x}; }
/*@@ take_copy @@*/
/* reuse the output buffer of the previous call when it fits (no page faults) */
if (!${out} || PyArray_NDIM(${out}) != 2 || !PyArray_ISCARRAY(${out})
    || PyArray_DIMS(${out})[0] != PyArray_DIMS(${x})[0]
    || PyArray_DIMS(${out})[1] != PyArray_DIMS(${x})[1]) {
    Py_XDECREF(${out});
    ${out} = (PyArrayObject*)PyArray_EMPTY(2, PyArray_DIMS(${x}), PyArray_TYPE(${x}), 0);
    if (!${out}) { ${fail} }
}
if (PyArray_CopyInto(${out}, ${x}) != 0) { ${fail} }
/*@@ main @@*/
{
npy_intp rows = PyArray_DIMS(${x})[0], cols = PyArray_DIMS(${x})[1];
int dims_ok = PyArray_NDIM(${y}) == ${k} + 1 && PyArray_DIMS(${y})[${k}] == cols;
for (int d = 0; d < ${k} && dims_ok; ++d) dims_ok = PyArray_DIMS(${y})[d] == PyArray_DIMS(${idx})[d];
if (!dims_ok) {
    PyErr_Format(PyExc_ValueError,
        "RowsInc: y must have the shape of idx plus a last axis of %lld (the columns of x); "
        "y has %lld elements, idx %lld", (long long)cols, (long long)PyArray_SIZE(${y}),
        (long long)PyArray_SIZE(${idx}));
    ${fail}
}
${take}
{
    PyArrayObject* y_c = PyArray_GETCONTIGUOUS(${y});
    PyArrayObject* i_c = PyArray_GETCONTIGUOUS(${idx});
    if (!y_c || !i_c) { Py_XDECREF(y_c); Py_XDECREF(i_c); ${fail} }
    npy_intp n = PyArray_SIZE(i_c);
    const ${it}* ids = (const ${it}*)PyArray_DATA(i_c);
    const ${ft}* ydata = (const ${ft}*)PyArray_DATA(y_c);
    char* obase = PyArray_BYTES(${out});
    npy_intp os0 = PyArray_STRIDES(${out})[0], os1 = PyArray_STRIDES(${out})[1];
    int bad = 0;
    for (npy_intp i = 0; i < n; ++i) {
        npy_intp r = (npy_intp)ids[i];
        if (r < 0) r += rows;
        if (r < 0 || r >= rows) {
            PyErr_Format(PyExc_IndexError, "index %lld is out of bounds for axis 0 with size %lld",
                         (long long)ids[i], (long long)rows);
            bad = 1;
            break;
        }
        char* orow = obase + r * os0;
        const ${ft}* v = ydata + i * cols;
        if (os1 == sizeof(${ft})) {
            ${ft}* o = (${ft}*)orow;
            for (npy_intp j = 0; j < cols; ++j) o[j] += v[j];
        } else {
            for (npy_intp j = 0; j < cols; ++j) *(${ft}*)(orow + j * os1) += v[j];
        }
    }
    Py_DECREF(y_c);
    Py_DECREF(i_c);
    if (bad) { ${fail} }
}
}
