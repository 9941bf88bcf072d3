/* The max-pooling Ops' C (ops.py assembles it).  Slots: ${nm} the node's name, ${T} the C type, the
   window ${ph} ${pw} and stride ${sh} ${sw} (constants of the kernels: gcc specialises their loops);
   in the call, ${grad} 1 for the gradient Op, ${Ho} ${Wo} the pooled lengths of the ints H, W.
   The pooled axes are the two last of a C-contiguous array, seen as N images (H, W); window
   (i, j) covers rows [i*sh, min(i*sh + ph, H)) and columns [j*sw, min(j*sw + pw, W)). */
/*@@ kernels @@*/
typedef ${T} pool_t_${nm};

static void pool_fwd_${nm}(long N, int H, int W, int Ho, int Wo, const pool_t_${nm}* x, pool_t_${nm}* y)
{
    const int ph = ${ph}, pw = ${pw}, sh = ${sh}, sw = ${sw};
    for (long n = 0; n < N; ++n) {
        const pool_t_${nm}* xn = x + (size_t)n * H * W;
        pool_t_${nm}* yn = y + (size_t)n * Ho * Wo;
        for (int i = 0; i < Ho; ++i) {
            int r0 = i * sh, r1 = r0 + ph < H ? r0 + ph : H;
            for (int j = 0; j < Wo; ++j) {
                int c0 = j * sw, c1 = c0 + pw < W ? c0 + pw : W;
                pool_t_${nm} m = -INFINITY;
                for (int r = r0; r < r1; ++r)
                    for (int c = c0; c < c1; ++c) {
                        pool_t_${nm} v = xn[(size_t)r * W + c];
                        m = v > m ? v : m;
                    }
                yn[(size_t)i * Wo + j] = m;
            }
        }
    }
}

/* dx: every element equal to its window's maximum gets the window's gradient (summed over windows);
   the others get d * 0 (0, or NaN for an infinite d: Theano's gz * eq(x, max)), computed once per
   window; the loop selects between the two (no branch on the data). */
static void pool_grad_${nm}(long N, int H, int W, int Ho, int Wo, const pool_t_${nm}* x, const pool_t_${nm}* y,
                            const pool_t_${nm}* dy, pool_t_${nm}* dx)
{
    const int ph = ${ph}, pw = ${pw}, sh = ${sh}, sw = ${sw};
    /* windows tiling the array exactly: each element written once, no zeroing pass */
    const int tiles = sh == ph && sw == pw && Ho * ph == H && Wo * pw == W;
    if (!tiles) memset(dx, 0, sizeof(pool_t_${nm}) * (size_t)N * H * W);
    for (long n = 0; n < N; ++n) {
        const pool_t_${nm}* yn = y + (size_t)n * Ho * Wo;
        const pool_t_${nm}* dyn = dy + (size_t)n * Ho * Wo;
        for (int i = 0; i < Ho; ++i) {
            int r0 = i * sh, r1 = r0 + ph < H ? r0 + ph : H;
            for (int r = r0; r < r1; ++r) {
                const pool_t_${nm}* xr = x + ((size_t)n * H + r) * W;
                pool_t_${nm}* dxr = dx + ((size_t)n * H + r) * W;
                for (int j = 0; j < Wo; ++j) {
                    int c0 = j * sw, c1 = c0 + pw < W ? c0 + pw : W;
                    pool_t_${nm} m = yn[(size_t)i * Wo + j], d = dyn[(size_t)i * Wo + j], z = d * 0;
                    for (int c = c0; c < c1; ++c) {
                        pool_t_${nm} v = xr[c] == m ? d : z;
                        dxr[c] = tiles ? v : dxr[c] + v;
                    }
                }
            }
        }
    }
}
/*@@ call @@*/
{
    /* xc: a contiguous copy of the pooled array; yc, dyc: of the gradient Op's y and dy */
    int nd = PyArray_NDIM(${x});
    PyArrayObject* xc = PyArray_GETCONTIGUOUS(${x});
    PyArrayObject* yc = ${grad} ? PyArray_GETCONTIGUOUS(${y}) : NULL;
    PyArrayObject* dyc = ${grad} ? PyArray_GETCONTIGUOUS(${dy}) : NULL;
    int ok = xc != NULL && (!${grad} || (yc && dyc));
    long N = 1;
    int H = 0, W = 0, Ho = 0, Wo = 0;
    if (ok) {
        for (int k = 0; k < nd - 2; ++k) N *= (long)PyArray_DIMS(xc)[k];
        H = (int)PyArray_DIMS(xc)[nd - 2];
        W = (int)PyArray_DIMS(xc)[nd - 1];
        Ho = ${Ho};
        Wo = ${Wo};
        if (Ho < 0) Ho = 0;
        if (Wo < 0) Wo = 0;
        for (int k = 0; ${grad} && ok && k < nd; ++k) {
            npy_intp want = k == nd - 2 ? Ho : k == nd - 1 ? Wo : PyArray_DIMS(xc)[k];
            if (PyArray_DIMS(yc)[k] != want || PyArray_DIMS(dyc)[k] != want) {
                PyErr_SetString(PyExc_ValueError, "MaxPool2DGrad: y and dy must have the pooled shape of x");
                ok = 0;
            }
        }
    }
    if (ok) {
        npy_intp od[NPY_MAXDIMS];
        for (int k = 0; k < nd; ++k) od[k] = PyArray_DIMS(xc)[k];
        if (!${grad}) {
            od[nd - 2] = Ho;
            od[nd - 1] = Wo;
        }
        ${out} = conv_out_${nm}(${out}, nd, od, ${typenum});
        ok = ${out} != NULL;
    }
    if (ok && !${grad})
        pool_fwd_${nm}(N, H, W, Ho, Wo, (const pool_t_${nm}*)PyArray_DATA(xc),
                       (pool_t_${nm}*)PyArray_DATA(${out}));
    if (ok && ${grad})
        pool_grad_${nm}(N, H, W, Ho, Wo, (const pool_t_${nm}*)PyArray_DATA(xc),
                        (const pool_t_${nm}*)PyArray_DATA(yc), (const pool_t_${nm}*)PyArray_DATA(dyc),
                        (pool_t_${nm}*)PyArray_DATA(${out}));
    Py_XDECREF(xc);
    Py_XDECREF(yc);
    Py_XDECREF(dyc);
    if (!ok) ${fail}
}
/*@@ length ignore_border @@*/
(${L} >= ${p} ? (${L} - ${p}) / ${s} + 1 : 0)
/*@@ length stride >= pool @@*/
(${L} > 0 ? (${L} - 1) / ${s} + 1 : 0)
/*@@ length stride < pool @@*/
((${L} - 1 - ${p} >= 0 ? (${L} - 1 - ${p}) / ${s} + 1 : 0) + 1)
