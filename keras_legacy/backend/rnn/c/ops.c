/* The C of the fused Ops' c_code (the call of a node's recurrence: input checks, output
   allocation, scratch), one section per Op, filled by ops_*.py (csource.render).  Slots:
   ${nm} the node's name, the inputs' and outputs' variable names, ${fail} PyTensor's
   failure code, ${release} the Py_XDECREF of the inputs' contiguous copies. */
/*@@ contiguous @@*/
PyArrayObject* ${v}_c = PyArray_GETCONTIGUOUS(${v});
/*@@ release @@*/
Py_XDECREF(${v}_c);
/*@@ missing @@*/
!${v}_c
/*@@ dim_differs @@*/
PyArray_DIMS(${out})[${k}] != odims[${k}]
/*@@ alloc @@*/

        {
            npy_intp odims[${ndim}] = {${dims}};
            if (!${out} || PyArray_NDIM(${out}) != ${ndim} || PyArray_TYPE(${out}) != ${typenum}
                || !PyArray_ISCARRAY(${out}) || ${same}) {
                Py_XDECREF(${out});
                ${out} = (PyArrayObject*)PyArray_EMPTY(${ndim}, odims, ${typenum}, 0);
                if (!${out}) { ${release} ${fail} }
            }
        }
        
/*@@ no_bias @@*/
const rnn_t_${nm}* bias = NULL;
/*@@ bias @@*/
const rnn_t_${nm}* bias = (const rnn_t_${nm}*)PyArray_DATA(${b}_c);
        if (PyArray_DIMS(${b}_c)[0] != ${gates} * H) {
            PyErr_Format(PyExc_ValueError, "fused RNN: expected a bias of length ${gates}*H = %d, got %d",
                         ${gates} * H, (int)PyArray_DIMS(${b}_c)[0]);
            ${release} ${fail}
        }
/*@@ grad @@*/
{
        ${decl}
        if (!${mask}_c || !${U}_c || !${s}_c || !${G}_c || !${dh}_c) { ${release} ${fail} }
        int Tn = PyArray_DIMS(${s}_c)[0], n = PyArray_DIMS(${s}_c)[1], H = PyArray_DIMS(${s}_c)[2];
        int stop = ${truncate} > 0 ? (Tn - ${truncate} > 0 ? Tn - ${truncate} : 0) : 0;
        ${alloc_dA}
        {
            rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * ${blocks} + H + 1));
            if (!scratch) { PyErr_NoMemory(); ${release} ${fail} }
            ${bwd}_${nm}(Tn, n, H, stop, (const npy_int8*)PyArray_DATA(${mask}_c),
                (const rnn_t_${nm}*)PyArray_DATA(${U}_c), (const rnn_t_${nm}*)PyArray_DATA(${s}_c),
                (const rnn_t_${nm}*)PyArray_DATA(${G}_c), (const rnn_t_${nm}*)PyArray_DATA(${dh}_c),
                (rnn_t_${nm}*)PyArray_DATA(${dA}), ${scratch});
            free(scratch);
        }
        ${release}
        }
/*@@ lstm_forward @@*/
{
        ${decl}
        if (${missing}) { ${release} ${fail} }
        int Tn = PyArray_DIMS(${xp}_c)[0], n = PyArray_DIMS(${xp}_c)[1];
        int H = PyArray_DIMS(${U}_c)[0];
        if (PyArray_DIMS(${xp}_c)[2] != 4 * H || PyArray_DIMS(${U}_c)[1] != 4 * H
            || PyArray_DIMS(${mask}_c)[0] != Tn || PyArray_DIMS(${mask}_c)[1] != n) {
            PyErr_Format(PyExc_ValueError, "LSTMForward: expected xp (T, n, 4H), mask (T, n), "
                         "U (H, 4H); got H=%d, xp last dim %d", H, (int)PyArray_DIMS(${xp}_c)[2]);
            ${release} ${fail}
        }
        ${bias}
        int Ts = ${save} ? Tn : 0;
        ${alloc_h}
        ${alloc_c}
        ${alloc_G}
        {
            /* hm (n*H), A (n*4H), cbuf (2*n*H), gs (5H) */
            rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * 7 + 5 * (size_t)H + 1));
            if (!scratch) { PyErr_NoMemory(); ${release} ${fail} }
            lstm_fwd_${nm}(Tn, n, H, (const rnn_t_${nm}*)PyArray_DATA(${xp}_c), bias,
                (const npy_int8*)PyArray_DATA(${mask}_c), (const rnn_t_${nm}*)PyArray_DATA(${U}_c),
                (rnn_t_${nm}*)PyArray_DATA(${h}), (rnn_t_${nm}*)PyArray_DATA(${c}),
                (rnn_t_${nm}*)PyArray_DATA(${G}), ${save}, scratch,
                scratch + (size_t)n * H, scratch + (size_t)n * H * 5, scratch + (size_t)n * H * 7);
            free(scratch);
        }
        ${release}
        }
/*@@ lstm_forwardx @@*/
{
        ${decl}
        PyArrayObject* ${X}_c = NULL;
        {
            /* X is read in place when its rows are contiguous and its step/row strides are
               non-negative multiples of the item size (e.g. the time-major view of a
               batch-major array); otherwise a contiguous copy. */
            const npy_intp* st = PyArray_STRIDES(${X});
            const npy_intp* dm = PyArray_DIMS(${X});
            const npy_intp isz = PyArray_ITEMSIZE(${X});
            int inplace = (dm[2] <= 1 || st[2] == isz) && st[0] >= 0 && st[1] >= 0
                && st[0] % isz == 0 && st[1] % isz == 0 && (dm[1] <= 1 || st[1] >= dm[2] * isz);
            if (inplace) { Py_INCREF(${X}); ${X}_c = ${X}; }
            else ${X}_c = PyArray_GETCONTIGUOUS(${X});
        }
        if (!${X}_c || !${mask}_c || !${W}_c || !${U}_c || !${b}_c) { ${release} ${fail} }
        int Tn = PyArray_DIMS(${X}_c)[0], n = PyArray_DIMS(${X}_c)[1], I = PyArray_DIMS(${X}_c)[2];
        int H = PyArray_DIMS(${U}_c)[0];
        if (PyArray_DIMS(${W}_c)[0] != I || PyArray_DIMS(${W}_c)[1] != 4 * H || PyArray_DIMS(${U}_c)[1] != 4 * H
            || PyArray_DIMS(${mask}_c)[0] != Tn || PyArray_DIMS(${mask}_c)[1] != n || I < 1) {
            PyErr_Format(PyExc_ValueError, "LSTMForwardX: expected X (T, n, I), W (I, 4H), mask (T, n), "
                         "U (H, 4H) with I >= 1; got X (%d, %d, %d), W (%d, %d), H=%d", Tn, n, I,
                         (int)PyArray_DIMS(${W}_c)[0], (int)PyArray_DIMS(${W}_c)[1], H);
            ${release} ${fail}
        }
        ${bias}
        int Ts = ${save} ? Tn : 0;
        ${alloc_h}
        ${alloc_c}
        ${alloc_G}
        {
            /* hm (n*H), A (n*4H), cbuf (2*n*H), gs (5H) */
            size_t isz = sizeof(rnn_t_${nm});
            rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(isz * ((size_t)n * H * 7 + 5 * (size_t)H + 1));
            if (!scratch) { PyErr_NoMemory(); ${release} ${fail} }
            int ok = lstm_fwdx_${nm}(Tn, n, H, I, (const rnn_t_${nm}*)PyArray_DATA(${X}_c),
                (size_t)(PyArray_STRIDES(${X}_c)[0] / isz), (size_t)(PyArray_STRIDES(${X}_c)[1] / isz),
                (const rnn_t_${nm}*)PyArray_DATA(${W}_c), bias,
                (const npy_int8*)PyArray_DATA(${mask}_c), (const rnn_t_${nm}*)PyArray_DATA(${U}_c),
                (rnn_t_${nm}*)PyArray_DATA(${h}), (rnn_t_${nm}*)PyArray_DATA(${c}),
                (rnn_t_${nm}*)PyArray_DATA(${G}), ${save}, scratch,
                scratch + (size_t)n * H, scratch + (size_t)n * H * 5, scratch + (size_t)n * H * 7);
            free(scratch);
            if (!ok) { PyErr_NoMemory(); ${release} ${fail} }
        }
        ${release}
        }
/*@@ gru_forward @@*/
{
        ${decl}
        if (${missing}) { ${release} ${fail} }
        int Tn = PyArray_DIMS(${xp}_c)[0], n = PyArray_DIMS(${xp}_c)[1];
        int H = PyArray_DIMS(${U}_c)[0];
        if (PyArray_DIMS(${xp}_c)[2] != 3 * H || PyArray_DIMS(${U}_c)[1] != 3 * H
            || PyArray_DIMS(${mask}_c)[0] != Tn || PyArray_DIMS(${mask}_c)[1] != n) {
            PyErr_Format(PyExc_ValueError, "GRUForward: expected xp (T, n, 3H), mask (T, n), "
                         "U (H, 3H); got H=%d, xp last dim %d", H, (int)PyArray_DIMS(${xp}_c)[2]);
            ${release} ${fail}
        }
        ${bias}
        int Ts = ${save} ? Tn : 0;
        ${alloc_h}
        ${alloc_G}
        {
            /* hm (n*H), rh (n*H), A (n*3H), gs (n*3H) */
            rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * 8 + 1));
            if (!scratch) { PyErr_NoMemory(); ${release} ${fail} }
            gru_fwd_${nm}(Tn, n, H, (const rnn_t_${nm}*)PyArray_DATA(${xp}_c), bias,
                (const npy_int8*)PyArray_DATA(${mask}_c), (const rnn_t_${nm}*)PyArray_DATA(${U}_c),
                (rnn_t_${nm}*)PyArray_DATA(${h}), (rnn_t_${nm}*)PyArray_DATA(${G}),
                ${save}, scratch, scratch + (size_t)n * H, scratch + (size_t)n * H * 2,
                scratch + (size_t)n * H * 5);
            free(scratch);
        }
        ${release}
        }
/*@@ scratch_blocks @@*/
scratch, scratch + (size_t)n * H,
                ${tail}
/*@@ scratch_block @@*/
scratch + (size_t)n * H * ${k}
