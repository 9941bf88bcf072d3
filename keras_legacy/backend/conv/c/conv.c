/* The convolution Ops' C (ops.py assembles it).  Slots: ${nm} the node's name (every symbol
   ends in it), ${T} the C type, ${gemm} the BLAS routine (sgemm_ / dgemm_, column-major: a
   row-major (r, c) array is passed as a column-major (c x r) matrix).

   Geometry: an image x (C, H, W) is read through zero padding of pt rows on top and pl
   columns on the left (the bottom/right padding only enters Ho, Wo); the kernel w is
   (F, C, kh, kw); the output (F, Ho, Wo) is
       out[f, i, j] = bias[f] + sum_{c,a,b} w[f, c, a, b] * x[c, i*sh + kh-1-a - pt, j*sw + kw-1-b - pl]
   i.e. Theano's convolution (the kernel flipped), strided.  Per image the columns
   cols (C*kh*kw, Ho*Wo) hold those x values, row (c, a, b): one GEMM w (F, C*kh*kw) x cols
   writes out[n] in place, the bias put there first (beta = 1). */
/*@@ common @@*/
typedef ${T} conv_t_${nm};
typedef struct { int N, C, H, W, F, kh, kw, sh, sw, pt, pl, Ho, Wo; } conv_geom_${nm};

/* The previous call's output when its shape and type fit (written again), else a new array
   (NULL with the exception set when it cannot be allocated). */
static PyArrayObject* conv_out_${nm}(PyArrayObject* prev, int nd, npy_intp* dims, int typenum)
{
    if (prev && PyArray_NDIM(prev) == nd && PyArray_TYPE(prev) == typenum && PyArray_ISCARRAY(prev)) {
        int same = 1;
        for (int k = 0; k < nd; ++k) same = same && PyArray_DIMS(prev)[k] == dims[k];
        if (same) return prev;
    }
    Py_XDECREF(prev);
    return (PyArrayObject*)PyArray_EMPTY(nd, dims, typenum, 0);
}

/* The output length of a padded, strided axis (0 when the kernel is longer than the padded axis). */
static int conv_len_${nm}(int L, int pad, int k, int s)
{
    return L + pad < k ? 0 : (L + pad - k) / s + 1;
}

/* The columns j of an output row whose input column j*sw + rx lies in [0, W): [*j0, *j1). */
static void conv_span_${nm}(int rx, int W, int sw, int Wo, int* j0, int* j1)
{
    int lo = rx >= 0 ? 0 : (-rx + sw - 1) / sw;
    int hi = W - rx > 0 ? (W - rx - 1) / sw + 1 : 0;
    if (hi > Wo) hi = Wo;
    if (lo > hi) lo = hi;
    *j0 = lo;
    *j1 = hi;
}

/* cols of one image x (C, H, W) (see the head of the file). */
static void im2col_${nm}(const conv_geom_${nm}* g, const conv_t_${nm}* x, conv_t_${nm}* cols)
{
    const int P = g->Ho * g->Wo;
    for (int c = 0; c < g->C; ++c)
        for (int a = 0; a < g->kh; ++a)
            for (int b = 0; b < g->kw; ++b) {
                conv_t_${nm}* row = cols + ((size_t)(c * g->kh + a) * g->kw + b) * P;
                const int ry = g->kh - 1 - a - g->pt, rx = g->kw - 1 - b - g->pl;
                int j0, j1;
                conv_span_${nm}(rx, g->W, g->sw, g->Wo, &j0, &j1);
                for (int i = 0; i < g->Ho; ++i) {
                    conv_t_${nm}* dst = row + (size_t)i * g->Wo;
                    const int y = i * g->sh + ry;
                    if (y < 0 || y >= g->H) {
                        memset(dst, 0, sizeof(conv_t_${nm}) * g->Wo);
                        continue;
                    }
                    const conv_t_${nm}* src = x + ((size_t)c * g->H + y) * g->W;
                    for (int j = 0; j < j0; ++j) dst[j] = 0;
                    if (g->sw == 1)
                        memcpy(dst + j0, src + j0 + rx, sizeof(conv_t_${nm}) * (j1 - j0));
                    else
                        for (int j = j0; j < j1; ++j) dst[j] = src[j * g->sw + rx];
                    for (int j = j1; j < g->Wo; ++j) dst[j] = 0;
                }
            }
}

/* x (C, H, W) += the columns put back where im2col took them (positions in the padding dropped). */
static void col2im_${nm}(const conv_geom_${nm}* g, const conv_t_${nm}* cols, conv_t_${nm}* x)
{
    const int P = g->Ho * g->Wo;
    for (int c = 0; c < g->C; ++c)
        for (int a = 0; a < g->kh; ++a)
            for (int b = 0; b < g->kw; ++b) {
                const conv_t_${nm}* row = cols + ((size_t)(c * g->kh + a) * g->kw + b) * P;
                const int ry = g->kh - 1 - a - g->pt, rx = g->kw - 1 - b - g->pl;
                int j0, j1;
                conv_span_${nm}(rx, g->W, g->sw, g->Wo, &j0, &j1);
                for (int i = 0; i < g->Ho; ++i) {
                    const int y = i * g->sh + ry;
                    if (y < 0 || y >= g->H) continue;
                    const conv_t_${nm}* src = row + (size_t)i * g->Wo;
                    conv_t_${nm}* dst = x + ((size_t)c * g->H + y) * g->W + rx;
                    for (int j = j0; j < j1; ++j) dst[j * g->sw] += src[j];
                }
            }
}
/*@@ forward @@*/
/* out (N, F, Ho, Wo) of x (N, C, H, W), w (F, C*kh*kw) and bias (F) or NULL. */
static void conv_fwd_${nm}(const conv_geom_${nm}* g, const conv_t_${nm}* x, const conv_t_${nm}* w,
                           const conv_t_${nm}* bias, conv_t_${nm}* out, conv_t_${nm}* cols)
{
    int K = g->C * g->kh * g->kw, P = g->Ho * g->Wo, F = g->F;
    char nn = 'N';
    conv_t_${nm} one = 1;
    if (P == 0 || F == 0) return;
    for (int n = 0; n < g->N; ++n) {
        conv_t_${nm}* o = out + (size_t)n * F * P;
        conv_t_${nm} beta = 0;
        if (bias) {
            for (int f = 0; f < F; ++f)
                for (int p = 0; p < P; ++p) o[(size_t)f * P + p] = bias[f];
            beta = 1;
        }
        if (K == 0) {
            if (!bias) memset(o, 0, sizeof(conv_t_${nm}) * F * P);
            continue;
        }
        im2col_${nm}(g, x + (size_t)n * g->C * g->H * g->W, cols);
        ${gemm}(&nn, &nn, &P, &F, &K, &one, cols, &P, (conv_t_${nm}*)w, &K, &beta, o, &P);
    }
}
/*@@ grad_input @@*/
/* dx (N, C, H, W) of dy (N, F, Ho, Wo) and w (F, C*kh*kw): per image cols = w^T dy[n], put back. */
static void conv_gradx_${nm}(const conv_geom_${nm}* g, const conv_t_${nm}* dy, const conv_t_${nm}* w,
                             conv_t_${nm}* dx, conv_t_${nm}* cols)
{
    int K = g->C * g->kh * g->kw, P = g->Ho * g->Wo, F = g->F;
    char nn = 'N', tt = 'T';
    conv_t_${nm} one = 1, zero = 0;
    memset(dx, 0, sizeof(conv_t_${nm}) * g->N * g->C * g->H * g->W);
    if (P == 0 || K == 0 || F == 0) return;
    for (int n = 0; n < g->N; ++n) {
        ${gemm}(&nn, &tt, &P, &K, &F, &one, (conv_t_${nm}*)dy + (size_t)n * F * P, &P, (conv_t_${nm}*)w, &K,
                &zero, cols, &P);
        col2im_${nm}(g, cols, dx + (size_t)n * g->C * g->H * g->W);
    }
}
/*@@ grad_kernel @@*/
/* dw (F, C*kh*kw) = sum_n dy[n] cols[n]^T of x (N, C, H, W) and dy (N, F, Ho, Wo). */
static void conv_gradw_${nm}(const conv_geom_${nm}* g, const conv_t_${nm}* x, const conv_t_${nm}* dy,
                             conv_t_${nm}* dw, conv_t_${nm}* cols)
{
    int K = g->C * g->kh * g->kw, P = g->Ho * g->Wo, F = g->F;
    char nn = 'N', tt = 'T';
    conv_t_${nm} one = 1;
    memset(dw, 0, sizeof(conv_t_${nm}) * F * K);
    if (P == 0 || K == 0 || F == 0) return;
    for (int n = 0; n < g->N; ++n) {
        im2col_${nm}(g, x + (size_t)n * g->C * g->H * g->W, cols);
        ${gemm}(&tt, &nn, &K, &F, &P, &one, cols, &P, (conv_t_${nm}*)dy + (size_t)n * F * P, &P, &one, dw, &K);
    }
}
/*@@ call @@*/
{
    /* ac, bc, cc: contiguous copies of the inputs (cc NULL for an Op without a third one) */
    PyArrayObject* ac = PyArray_GETCONTIGUOUS(${a});
    PyArrayObject* bc = PyArray_GETCONTIGUOUS(${b});
    PyArrayObject* cc = ${has_c} ? PyArray_GETCONTIGUOUS(${c}) : NULL;
    conv_t_${nm}* cols = NULL;
    conv_geom_${nm} g;
    int ok = ac && bc && (cc || !${has_c});
    if (ok) {
        ${geometry}
        g.sh = ${sh}; g.sw = ${sw}; g.pt = ${pt}; g.pl = ${pl};
        g.Ho = conv_len_${nm}(g.H, ${pt} + ${pb}, g.kh, g.sh);
        g.Wo = conv_len_${nm}(g.W, ${pl} + ${pr}, g.kw, g.sw);
        if (${mismatch}) {
            PyErr_Format(PyExc_ValueError, "${op}: the shapes do not fit: images (%d, %d, %d, %d), "
                         "kernel (%d, %d, %d, %d), output (%d, %d, %d, %d) expected; check the "
                         "kernel's stack size against the input's channels", g.N, g.C, g.H, g.W,
                         g.F, g.C, g.kh, g.kw, g.N, g.F, g.Ho, g.Wo);
            ok = 0;
        }
    }
    if (ok) {
        npy_intp od[4] = {${out_dims}};
        ${out} = conv_out_${nm}(${out}, 4, od, ${typenum});
        ok = ${out} != NULL;
    }
    if (ok) {
        cols = (conv_t_${nm}*)malloc(sizeof(conv_t_${nm}) * ((size_t)g.C * g.kh * g.kw * g.Ho * g.Wo + 1));
        if (!cols) {
            PyErr_NoMemory();
            ok = 0;
        }
    }
    if (ok) ${run};
    free(cols);
    Py_XDECREF(ac);
    Py_XDECREF(bc);
    Py_XDECREF(cc);
    if (!ok) ${fail}
}
/*@@ images @@*/
g.N = (int)PyArray_DIMS(${v})[0]; g.C = (int)PyArray_DIMS(${v})[1];
        g.H = (int)PyArray_DIMS(${v})[2]; g.W = (int)PyArray_DIMS(${v})[3];
/*@@ kernel @@*/
g.F = (int)PyArray_DIMS(${v})[0]; g.kh = (int)PyArray_DIMS(${v})[2]; g.kw = (int)PyArray_DIMS(${v})[3];
/*@@ forward mismatch @@*/
PyArray_DIMS(bc)[1] != g.C || (cc && PyArray_DIMS(cc)[0] != g.F)
/*@@ grad mismatch @@*/
PyArray_DIMS(${w})[1] != g.C || PyArray_DIMS(${dy})[0] != g.N || PyArray_DIMS(${dy})[1] != g.F
            || PyArray_DIMS(${dy})[2] != g.Ho || PyArray_DIMS(${dy})[3] != g.Wo
/*@@ run forward @@*/
conv_fwd_${nm}(&g, (const conv_t_${nm}*)PyArray_DATA(ac), (const conv_t_${nm}*)PyArray_DATA(bc),
                       cc ? (const conv_t_${nm}*)PyArray_DATA(cc) : NULL, (conv_t_${nm}*)PyArray_DATA(${out}), cols)
/*@@ run grad_input @@*/
conv_gradx_${nm}(&g, (const conv_t_${nm}*)PyArray_DATA(ac), (const conv_t_${nm}*)PyArray_DATA(bc),
                         (conv_t_${nm}*)PyArray_DATA(${out}), cols)
/*@@ run grad_kernel @@*/
conv_gradw_${nm}(&g, (const conv_t_${nm}*)PyArray_DATA(ac), (const conv_t_${nm}*)PyArray_DATA(bc),
                         (conv_t_${nm}*)PyArray_DATA(${out}), cols)
/*@@ grad_bias @@*/
/* db[f] = sum over n, i, j of dy[n, f, i, j] (dy (N, F, P)), accumulated in double. */
static void conv_gradb_${nm}(int N, int F, long P, const conv_t_${nm}* dy, conv_t_${nm}* db)
{
    for (int f = 0; f < F; ++f) {
        double acc = 0;
        for (int n = 0; n < N; ++n) {
            const conv_t_${nm}* row = dy + ((size_t)n * F + f) * P;
            for (long p = 0; p < P; ++p) acc += row[p];
        }
        db[f] = (conv_t_${nm})acc;
    }
}
/*@@ call bias @@*/
{
    PyArrayObject* dyc = PyArray_GETCONTIGUOUS(${dy});
    int ok = dyc != NULL;
    if (ok) {
        npy_intp od[1] = {PyArray_DIMS(dyc)[1]};
        ${out} = conv_out_${nm}(${out}, 1, od, ${typenum});
        ok = ${out} != NULL;
    }
    if (ok)
        conv_gradb_${nm}((int)PyArray_DIMS(dyc)[0], (int)PyArray_DIMS(dyc)[1],
                         (long)(PyArray_DIMS(dyc)[2] * PyArray_DIMS(dyc)[3]),
                         (const conv_t_${nm}*)PyArray_DATA(dyc), (conv_t_${nm}*)PyArray_DATA(${out}));
    Py_XDECREF(dyc);
    if (!ok) ${fail}
}
