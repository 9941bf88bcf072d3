"""C text of the float32 AVX-512 LSTM kernels (``ops_lstm.LSTMForward`` and ``LSTMGrad``).

Forward (``lstm_forward_v16``):

One call packs ``U (H, 4H)`` once into panels of 16 hidden units (the four
gates side by side: 64 columns, zero-padded past ``H``).  Each step then
walks tiles of up to 6 batch rows x 16 units: the product ``h~ . U`` for
the tile's 64 gate columns is accumulated in 24 registers (``k`` ascending,
one FMA per term), written to a 1.5 KB tile buffer, and the gate
nonlinearities and the state update are applied to it while it is in L1
(no ``(n, 4H)`` product array, no second pass).

Same math as the BLAS path (``c_blas_path._LSTM_FWD``): pre-activation
``(x.W + b) + h~.U`` and the activations of ``c_vector``.  Only the summation
order inside the product and the activations' last-bit roundings differ, so
float32 results agree with the NumPy reference to ~1e-6.
float64 never uses this kernel.

The text is compiled only when the compiler targets AVX-512F
(``__AVX512F__``, PyTensor passes ``-march=<host>``) and ``KL_LSTM_NO_V16``
is not defined; otherwise (or if the packing buffer cannot be allocated)
the BLAS path runs.

Backward (``lstm_backward_v16``): one call packs ``U^T (4H, H)`` once into
panels of 4H x 64 hidden units (zero-padded past ``H``).  Step ``t`` walks
tiles of up to 6 batch rows x 64 units: the product ``dA_(t+1) . U^T`` of the
tile (the recurrent part of ``dh``, same 6 x 64 register kernel as the
forward, ``k`` ascending over the 4H gate columns) goes to the tile buffer,
and the gate derivatives of step ``t`` for these rows and units are computed
from it at once (no ``(n, H)`` product array); rows masked at ``t + 1`` skip
or drop the product.  The inputs of the same tile at step ``t - 1`` are
prefetched into L2 (the loop is memory-bound on G, dh, c and dA).  Same
formulas and operation order as the BLAS path's ``lstm_bwd_row``; only the
summation order of the product differs.  Used for ``H > 32`` (below, half
of every panel would be padding); the same fallbacks as the forward.

Threads: ``c_vector`` (the thread team); batch rows are split between them.
"""

from __future__ import annotations

from keras_legacy.backend.rnn.c_vector import backward_common, forward_common

_V16_LSTM_CELL = r"""
/* The cell update of RB rows x 16 units (um: the valid units) from the product in buf. */
__attribute__((noinline)) static void kl_lstm_cell_{nm}(int RB, int H, __mmask16 um,
        const float* __restrict xa, int xrs, int xqs, const float* __restrict bias, const npy_int8* m, int first,
        const float* __restrict cprev, float* __restrict ct, float* __restrict ht,
        float* __restrict g, const float* __restrict buf) {{
  const int H5 = 5 * H;
  /* two rows at a time (one row for an odd last one): the activations of their gates
     side by side (kl_vn_*), each element computed exactly as alone */
  for (int r = 0; r < RB; r += 2) {{
    const int two = r + 1 < RB;
    __m512 s[6], a[2], cc[2];
#pragma GCC unroll 2
    for (int e = 0; e < 2; ++e) {{
      const float* xr = xa + (size_t)(r + e) * xrs;
      const float* br = buf + (r + e) * 64;
      __m512 pre[4];
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) {{
        /* the original's order: (x.W + b) + h~.U (a lone row: its partner's lanes are 0) */
        __m512 v = _mm512_maskz_loadu_ps(e && !two ? 0 : um, xr + q * xqs);
        if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(um, bias + q * H));
        pre[q] = _mm512_add_ps(v, e && !two ? _mm512_setzero_ps() : _mm512_load_ps(br + q * 16));
      }}
      s[3 * e] = pre[0]; s[3 * e + 1] = pre[1]; s[3 * e + 2] = pre[2]; a[e] = pre[3];
    }}
    kl_vn_inner_{nm}(s, 6);
    kl_vn_act_{nm}(a, 2);
#pragma GCC unroll 2
    for (int e = 0; e < 2; ++e) {{
      const int use = (!first && m[r + (e && two)]);
      __m512 cp = use ? _mm512_maskz_loadu_ps(e && !two ? 0 : um, cprev + (size_t)(r + e) * H) : _mm512_setzero_ps();
      cc[e] = _mm512_fmadd_ps(s[3 * e + 1], cp, _mm512_mul_ps(s[3 * e], a[e]));
    }}
    __m512 tc[2] = {{cc[0], cc[1]}};
    kl_vn_act_{nm}(tc, 2);
#pragma GCC unroll 2
    for (int e = 0; e < 1 + two; ++e) {{
      _mm512_mask_storeu_ps(ct + (size_t)(r + e) * H, um, cc[e]);
      _mm512_mask_storeu_ps(ht + (size_t)(r + e) * H, um, _mm512_mul_ps(s[3 * e + 2], tc[e]));
      if (g) {{
        float* gr = g + (size_t)(r + e) * H5;
        _mm512_mask_storeu_ps(gr, um, s[3 * e]);
        _mm512_mask_storeu_ps(gr + H, um, s[3 * e + 1]);
        _mm512_mask_storeu_ps(gr + 2 * H, um, s[3 * e + 2]);
        _mm512_mask_storeu_ps(gr + 3 * H, um, a[e]);
        _mm512_mask_storeu_ps(gr + 4 * H, um, tc[e]);
      }}
    }}
  }}
}}

/* Pack the K rows of a (K, 4H) gate matrix S into NB panels of K x 64 (16 units x 4 gates,
   zero-padded past H); panels jb0, jb0 + step, ... (threads share the packing). */
static void kl_lstm_pack_{nm}(int K, int H, const float* __restrict S, float* __restrict P,
        int jb0, int step) {{
  const int H4 = 4 * H, NB = (H + 15) / 16;
  for (int jb = jb0; jb < NB; jb += step) {{
    float* Pb = P + (size_t)jb * K * 64;
    const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
    const __mmask16 um = (__mmask16)((1u << nu) - 1u);
    for (int k = 0; k < K; ++k) {{
      const float* sk = S + (size_t)k * H4 + j0;
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) _mm512_store_ps(Pb + (size_t)k * 64 + q * 16, _mm512_maskz_loadu_ps(um, sk + q * H));
    }}
  }}
}}

/* Arguments of a forward pass (LSTMForward: X = xp (T, n, 4H), I = 0; LSTMForwardX: X the
   layer's input with strides sx0, sx1 and W (I, 4H)), shared by the threads. */
struct kl_fwd_{nm} {{
  int Tn, n, H, I, save;
  const float* X; size_t sx0, sx1;
  const float *W, *bias, *U;
  const npy_int8* mask;
  float *h, *c, *G, *hm, *cbuf;
  float *P, *PW, *bufs; size_t bufsz;
}};

/* Thread k's rows of LSTMForward: U packed (panels shared out), then the recurrence of its
   rows; the rows of a batch are independent, so no step waits for another thread. */
static void kl_lstm_fwd_rows_{nm}(void* vp, int k, struct kl_team_{nm}* tm) {{
  const struct kl_fwd_{nm}* a = (const struct kl_fwd_{nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, save = a->save, nt = tm->nt;
  const int H4 = 4 * H, H5 = 5 * H, NB = (H + 15) / 16;
  const float* P = a->P;
  float* buf = a->bufs + (size_t)k * a->bufsz;
  int lo, hi;
  kl_lstm_pack_{nm}(H, H, a->U, a->P, k, nt);
  kl_barrier_{nm}(tm);
  float* const G_ = a->G;
  const float* const X_ = a->X;
  float* const c_ = a->c;
  float* const cbuf_ = a->cbuf;
  float* const h_ = a->h;
  float* const hm_ = a->hm;
  const npy_int8* const mask_ = a->mask;
  kl_rows_{nm}(n, k, nt, &lo, &hi);
  for (int t = 0; t < Tn && lo < hi; ++t) {{
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_{nm}(hi - lo, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    float* cstep = save ? c_ + (size_t)t * n * H : cbuf_ + (size_t)(t & 1) * n * H;
    const float* cprev = !t ? cstep : (save ? c_ + (size_t)(t - 1) * n * H : cbuf_ + (size_t)((t - 1) & 1) * n * H);
    const float* xt = X_ + (size_t)t * n * H4;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {{
      rb = kl_tile_{nm}(r0, hi, nt);
      for (int jb = 0; jb < NB; ++jb) {{
        const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
        const __mmask16 um = (__mmask16)((1u << nu) - 1u);
        const float* hr = hs ? hs + (size_t)(r0 - lo) * H : NULL;
        const float* Pb = P + (size_t)jb * H * 64;
        const float* xa = xt + (size_t)r0 * H4 + j0;
        const float* bb = a->bias ? a->bias + j0 : NULL;
        const float* cp = cprev + (size_t)r0 * H + j0;
        float* ctp = cstep + (size_t)r0 * H + j0;
        float* htp = h_ + ((size_t)t * n + r0) * H + j0;
        float* gp = save ? G_ + ((size_t)t * n + r0) * H5 + j0 : NULL;
        if (hr) {{
          kl_lstm_mm_rb_{nm}(rb, H, (size_t)H, hr, Pb, buf, 0);
        }} else {{
          memset(buf, 0, sizeof(float) * 6 * 64);
        }}
        kl_lstm_cell_{nm}(rb, H, um, xa, H4, H, bb, mt + r0, !t, cp, ctp, htp, gp, buf);
      }}
    }}
  }}
}}

/* The whole forward pass; returns 0 (nothing written) if the packing buffer
   cannot be allocated, then the caller runs the BLAS path. */
static int kl_lstm_fwd_v16_{nm}(int Tn, int n, int H, const float* xp, const float* bias,
        const npy_int8* mask, const float* U, float* h, float* c, float* G, int save,
        float* hm, float* cbuf) {{
  const int NB = (H + 15) / 16;
  const int nt = kl_threads_{nm}(n, (double)Tn * n * 4.0 * H * H);
  struct kl_fwd_{nm} a;
  memset(&a, 0, sizeof(a));
  a.bufsz = 6 * 64;
  if (posix_memalign((void**)&a.P, 64, sizeof(float) * ((size_t)NB * H * 64 + nt * a.bufsz))) return 0;
  a.bufs = a.P + (size_t)NB * H * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.save = save; a.X = xp; a.bias = bias; a.U = U; a.mask = mask;
  a.h = h; a.c = c; a.G = G; a.hm = hm; a.cbuf = cbuf;
  kl_run_{nm}(kl_lstm_fwd_rows_{nm}, &a, nt);
  free(a.P);
  return 1;
}}

/* Thread k's rows of LSTMForwardX: per step and tile, the input product x_t . W (W packed
   once like U; x rows read in place with strides sx0 (steps) and sx1 (rows), in floats)
   goes to one tile buffer and h~ . U to another; the cell adds them in the original's
   order (x.W + b) + h~.U. */
static void kl_lstm_fwdx_rows_{nm}(void* vp, int k, struct kl_team_{nm}* tm) {{
  const struct kl_fwd_{nm}* a = (const struct kl_fwd_{nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, I = a->I, save = a->save, nt = tm->nt;
  const int H5 = 5 * H, NB = (H + 15) / 16;
  const size_t sx0 = a->sx0, sx1 = a->sx1;
  const float* bias = a->bias;
  const float* P = a->P;
  const float* PW = a->PW;
  float* bufx = a->bufs + (size_t)k * a->bufsz;
  float* buf = bufx + a->bufsz / 2;
  int lo, hi;
  kl_lstm_pack_{nm}(H, H, a->U, a->P, k, nt);
  kl_lstm_pack_{nm}(I, H, a->W, a->PW, k, nt);
  kl_barrier_{nm}(tm);
  float* const G_ = a->G;
  const float* const X_ = a->X;
  float* const c_ = a->c;
  float* const cbuf_ = a->cbuf;
  float* const h_ = a->h;
  float* const hm_ = a->hm;
  const npy_int8* const mask_ = a->mask;
  kl_rows_{nm}(n, k, nt, &lo, &hi);
  if (lo >= hi) return;
  /* Forward only (save == 0): per step and unit block, the products of every row tile,
     K in chunks of KL_KC rows of the panel (reused from L1 by all row tiles), then the
     cell of every row tile.  With saved gates this order is slower (measured: the writes
     of G spread over all rows), so save == 1 walks row tiles outside, unit blocks inside. */
  const int KC = KL_KC_{nm};
  for (int t = 0; t < Tn && !save; ++t) {{
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_{nm}(hi - lo, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    float* cstep = cbuf_ + (size_t)(t & 1) * n * H;
    const float* cprev = !t ? cstep : cbuf_ + (size_t)((t - 1) & 1) * n * H;
    const float* xt = X_ + (size_t)t * sx0;
    for (int jb = 0; jb < NB; ++jb) {{
      const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
      const __mmask16 um = (__mmask16)((1u << nu) - 1u);
      const float* PWb = PW + (size_t)jb * I * 64;
      const float* PUb = P + (size_t)jb * H * 64;
      kl_panel_mm_{nm}(lo, hi, nt, I, sx1, xt + (size_t)lo * sx1, PWb, bufx);
      /* the cell of a row tile right after its last product chunk: its gate math runs
         while the next tile's products start (out-of-order overlap), same results */
#define KL_FWDX_CELL_{nm}(r0, rb) \
        kl_lstm_cell_{nm}(rb, H, um, bufx + (size_t)((r0) - lo) * 64, 64, 16, \
                          bias ? bias + j0 : NULL, mt + (r0), !t, \
                          cprev + (size_t)(r0) * H + j0, cstep + (size_t)(r0) * H + j0, \
                          h_ + ((size_t)t * n + (r0)) * H + j0, NULL, buf + (size_t)((r0) - lo) * 64)
      if (hs) {{
        for (int k0 = 0; k0 < H; k0 += KC) {{
          const int kc = H - k0 < KC ? H - k0 : KC, last = k0 + kc >= H;
          for (int r0 = lo, rb; r0 < hi; r0 += rb) {{
            rb = kl_tile_{nm}(r0, hi, nt);
            kl_lstm_mm_rb_{nm}(rb, kc, (size_t)H, hs + (size_t)(r0 - lo) * H + k0,
                               PUb + (size_t)k0 * 64, buf + (size_t)(r0 - lo) * 64, k0 > 0);
            if (last) KL_FWDX_CELL_{nm}(r0, rb);
          }}
        }}
      }} else {{
        memset(buf, 0, sizeof(float) * (size_t)(hi - lo) * 64);
        for (int r0 = lo, rb; r0 < hi; r0 += rb) {{
          rb = kl_tile_{nm}(r0, hi, nt);
          KL_FWDX_CELL_{nm}(r0, rb);
        }}
      }}
#undef KL_FWDX_CELL_{nm}
    }}
  }}
  for (int t = 0; t < Tn && save; ++t) {{
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_{nm}(hi - lo, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    float* cstep = c_ + (size_t)t * n * H;
    const float* cprev = !t ? cstep : c_ + (size_t)(t - 1) * n * H;
    const float* xt = X_ + (size_t)t * sx0;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {{
      rb = kl_tile_{nm}(r0, hi, nt);
      const float* xr = xt + (size_t)r0 * sx1;
      for (int jb = 0; jb < NB; ++jb) {{
        const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
        const __mmask16 um = (__mmask16)((1u << nu) - 1u);
        kl_lstm_mm_rb_{nm}(rb, I, sx1, xr, PW + (size_t)jb * I * 64, bufx, 0);
        if (hs) kl_lstm_mm_rb_{nm}(rb, H, (size_t)H, hs + (size_t)(r0 - lo) * H, P + (size_t)jb * H * 64, buf, 0);
        else memset(buf, 0, sizeof(float) * 6 * 64);
        kl_lstm_cell_{nm}(rb, H, um, bufx, 64, 16, bias ? bias + j0 : NULL, mt + r0, !t,
                          cprev + (size_t)r0 * H + j0, cstep + (size_t)r0 * H + j0,
                          h_ + ((size_t)t * n + r0) * H + j0,
                          G_ + ((size_t)t * n + r0) * H5 + j0, buf);
      }}
    }}
  }}
}}

/* The forward pass from the layer's input (LSTMForwardX).  Returns 0 as above. */
static int kl_lstm_fwdx_v16_{nm}(int Tn, int n, int H, int I, const float* X, size_t sx0,
        size_t sx1, const float* W, const float* bias, const npy_int8* mask, const float* U,
        float* h, float* c, float* G, int save, float* hm, float* cbuf) {{
  const int NB = (H + 15) / 16;
  const int nt = kl_threads_{nm}(n, (double)Tn * n * 4.0 * H * (H + I));
  struct kl_fwd_{nm} a;
  memset(&a, 0, sizeof(a));
  a.bufsz = 2 * ((size_t)(n + 5) / 6 * 6) * 64;  /* two tile buffers of the rows of a thread */
  if (posix_memalign((void**)&a.P, 64, sizeof(float) * ((size_t)NB * (H + I) * 64 + nt * a.bufsz))) return 0;
  a.PW = a.P + (size_t)NB * H * 64;
  a.bufs = a.PW + (size_t)NB * I * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.I = I; a.save = save; a.X = X; a.sx0 = sx0; a.sx1 = sx1;
  a.W = W; a.bias = bias; a.U = U; a.mask = mask; a.h = h; a.c = c; a.G = G; a.hm = hm; a.cbuf = cbuf;
  kl_run_{nm}(kl_lstm_fwdx_rows_{nm}, &a, nt);
  free(a.P);
  return 1;
}}
#endif
"""

#: The line at the top of ``lstm_fwd`` that hands float32 to the kernel above.
_V16_DISPATCH = r"""
#ifdef KL_LSTM_V16_{nm}
  if (kl_lstm_fwd_v16_{nm}(Tn, n, H, xp, bias, mask, U, h, c, G, save, hm, cbuf)) return;
#endif
"""


_V16B_LSTM = r"""
/* The backward step on RB rows x one block of 64 units (nu valid) of step t, from the
   tile buf = dA_(t+1) . U^T of these rows and units (rows with mn[r] == 0, or all rows
   when mn is NULL, take 0: the masked state entering step t+1).  Writes the 4 gate
   columns of dA_t for these units and the carried cell gradient dcn. */
__attribute__((noinline)) static void kl_lstm_bcell_{nm}(int RB, int H, int nu, int n, int pf,
        const npy_int8* __restrict m, const npy_int8* __restrict mn, const float* __restrict g,
        const float* __restrict dh, const float* __restrict cprev, float* __restrict dcn,
        float* __restrict da, const float* __restrict buf) {{
  const int H4 = 4 * H, H5 = 5 * H;
  for (int r = 0; r < RB; ++r) {{
    const float* gr = g + (size_t)r * H5;
    const int keep = mn && mn[r], carry = m[r] != 0, prev = cprev && carry;
    for (int u0 = 0; u0 < nu; u0 += 16) {{
      const int w = nu - u0 < 16 ? nu - u0 : 16;
      const __mmask16 um = (__mmask16)((1u << w) - 1u);
      const __m512 vi = _mm512_maskz_loadu_ps(um, gr + u0), vf = _mm512_maskz_loadu_ps(um, gr + H + u0);
      const __m512 vo = _mm512_maskz_loadu_ps(um, gr + 2 * H + u0), vg = _mm512_maskz_loadu_ps(um, gr + 3 * H + u0);
      const __m512 tc = _mm512_maskz_loadu_ps(um, gr + 4 * H + u0);
      __m512 dhj = _mm512_maskz_loadu_ps(um, dh + (size_t)r * H + u0);
      if (keep) dhj = _mm512_add_ps(dhj, _mm512_load_ps(buf + r * 64 + u0));
      float* dcr = dcn + (size_t)r * H + u0;
      const __m512 dc = _mm512_add_ps(_mm512_maskz_loadu_ps(um, dcr),
                                      _mm512_mul_ps(_mm512_mul_ps(dhj, vo), kl_v_dact_{nm}(tc)));
      const __m512 cm = prev ? _mm512_maskz_loadu_ps(um, cprev + (size_t)r * H + u0) : _mm512_setzero_ps();
      float* dar = da + (size_t)r * H4 + u0;
      _mm512_mask_storeu_ps(dar, um, _mm512_mul_ps(_mm512_mul_ps(dc, vg), kl_v_dinner_{nm}(vi)));
      _mm512_mask_storeu_ps(dar + H, um, _mm512_mul_ps(_mm512_mul_ps(dc, cm), kl_v_dinner_{nm}(vf)));
      _mm512_mask_storeu_ps(dar + 2 * H, um, _mm512_mul_ps(_mm512_mul_ps(dhj, tc), kl_v_dinner_{nm}(vo)));
      _mm512_mask_storeu_ps(dar + 3 * H, um, _mm512_mul_ps(_mm512_mul_ps(dc, vi), kl_v_dact_{nm}(vg)));
      _mm512_mask_storeu_ps(dcr, um, carry ? _mm512_mul_ps(dc, vf) : _mm512_setzero_ps());
      if (pf) {{
        /* the same tile of step t - 1 into L2: its inputs, and dA's lines for writing */
        const char* gp = (const char*)(gr - (size_t)n * H5 + u0);
#pragma GCC unroll 5
        for (int q = 0; q < 5; ++q) _mm_prefetch(gp + (size_t)q * H * 4, _MM_HINT_T1);
        _mm_prefetch((const char*)(dh + ((size_t)r - n) * H + u0), _MM_HINT_T1);
        if (cprev && pf > 1) _mm_prefetch((const char*)(cprev + ((size_t)r - n) * H + u0), _MM_HINT_T1);
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) _mm_prefetch((const char*)(dar - (size_t)n * H4 + (size_t)q * H), _MM_HINT_ET1);
      }}
    }}
  }}
}}

/* Arguments of a backward pass, shared by the threads. */
struct kl_bwd_{nm} {{
  int Tn, n, H, stop;
  const npy_int8* mask;
  const float *U, *c, *G, *dh;
  float *dA, *dcn, *P, *bufs;
}};

/* Thread k's rows of the backward pass: U^T packed into panels of 4H x 64 units (panels
   shared out), then the steps of its rows (independent of the other rows). */
static void kl_lstm_bwd_rows_{nm}(void* vp, int k, struct kl_team_{nm}* tm) {{
  const struct kl_bwd_{nm}* a = (const struct kl_bwd_{nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, stop = a->stop, nt = tm->nt;
  const int H4 = 4 * H, H5 = 5 * H, NB = (H + 63) / 64;
  const float* P = a->P;
  float* buf = a->bufs + (size_t)k * 6 * 64;
  int lo, hi;
  for (int jb = k; jb < NB; jb += nt) {{
    float* Pb = a->P + (size_t)jb * H4 * 64;
    const int j0 = jb * 64, nu = H - j0 < 64 ? H - j0 : 64;
    const float* Ub = a->U + (size_t)j0 * H4;
    /* k outer: the 64 rows of U being read stay in L1, the panel is written in order */
    for (int kk = 0; kk < H4; ++kk) {{
      float* pk = Pb + (size_t)kk * 64;
      for (int u = 0; u < nu; ++u) pk[u] = Ub[(size_t)u * H4 + kk];
      for (int u = nu; u < 64; ++u) pk[u] = 0.0f;
    }}
  }}
  kl_barrier_{nm}(tm);
  const float* const G_ = a->G;
  const float* const c_ = a->c;
  float* const dA_ = a->dA;
  float* const dcn_ = a->dcn;
  const float* const dh_ = a->dh;
  const npy_int8* const mask_ = a->mask;
  kl_rows_{nm}(n, k, nt, &lo, &hi);
  for (int t = Tn - 1; t >= stop && lo < hi; --t) {{
    const npy_int8* mt = mask_ + (size_t)t * n;
    const npy_int8* mn = t + 1 < Tn ? mask_ + (size_t)(t + 1) * n : NULL;
    const float* dAn = mn ? dA_ + (size_t)(t + 1) * n * H4 : NULL;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {{
      rb = kl_tile_{nm}(r0, hi, nt);
      int any = 0;
      if (mn) for (int r = 0; r < rb; ++r) any |= mn[r0 + r] != 0;
      for (int jb = 0; jb < NB; ++jb) {{
        const int j0 = jb * 64, nu = H - j0 < 64 ? H - j0 : 64;
        if (any) {{
          const float* ar = dAn + (size_t)r0 * H4;
          const float* Pb = P + (size_t)jb * H4 * 64;
          kl_lstm_mm_rb_{nm}(rb, H4, (size_t)H4, ar, Pb, buf, 0);
        }}
        kl_lstm_bcell_{nm}(rb, H, nu, n, (t > stop) + (t > stop + 1), mt + r0, any ? mn + r0 : NULL,
                           G_ + ((size_t)t * n + r0) * H5 + j0,
                           dh_ + ((size_t)t * n + r0) * H + j0,
                           t > 0 ? c_ + ((size_t)(t - 1) * n + r0) * H + j0 : NULL,
                           dcn_ + (size_t)r0 * H + j0, dA_ + ((size_t)t * n + r0) * H4 + j0, buf);
      }}
    }}
  }}
}}

/* The whole backward pass (the BLAS path's lstm_bwd).  Returns 0 (nothing written) if
   the packing buffer cannot be allocated, then the caller runs the BLAS path. */
static int kl_lstm_bwd_v16_{nm}(int Tn, int n, int H, int stop, const npy_int8* mask,
        const float* U, const float* c, const float* G, const float* dh, float* dA, float* dcn) {{
  const int H4 = 4 * H, NB = (H + 63) / 64;
  const int nt = kl_threads_{nm}(n, (double)(Tn - stop) * n * 4.0 * H * H);
  struct kl_bwd_{nm} a;
  if (posix_memalign((void**)&a.P, 64, sizeof(float) * ((size_t)NB * H4 * 64 + (size_t)nt * 6 * 64))) return 0;
  a.bufs = a.P + (size_t)NB * H4 * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.stop = stop; a.mask = mask; a.U = U; a.c = c; a.G = G; a.dh = dh;
  a.dA = dA; a.dcn = dcn;
  if (stop > 0) memset(dA, 0, sizeof(float) * (size_t)stop * n * H4);
  memset(dcn, 0, sizeof(float) * (size_t)n * H);
  kl_run_{nm}(kl_lstm_bwd_rows_{nm}, &a, nt);
  free(a.P);
  return 1;
}}
#endif
"""

#: The line at the top of ``lstm_bwd`` that hands float32 to the kernel above.
_V16B_DISPATCH = r"""
#ifdef KL_LSTM_V16B_{nm}
  /* H <= 32: the 64-unit panels would be half padding; BLAS is as fast there */
  if (H > 32 && kl_lstm_bwd_v16_{nm}(Tn, n, H, stop, mask, U, c, G, dh, dA, dcn)) return;
#endif
"""


def lstm_forward_v16(dtype, act, inner, nm):
    """``(support_code, dispatch)`` C text of the float32 kernel, or ``("", "")``.

    ``support_code`` goes after the BLAS kernels' helpers (it calls
    ``masked_prev_<nm>``), ``dispatch`` at the top of ``lstm_fwd_<nm>``.
    """
    if dtype != "float32":
        return "", ""
    # one #if ... #endif around both parts (the #endif closes _V16_LSTM_CELL)
    return forward_common(nm, act, inner) + _V16_LSTM_CELL.format(nm=nm), _V16_DISPATCH.format(nm=nm)


def lstm_backward_v16(dtype, act, inner, nm):
    """``(support_code, dispatch)`` C text of the float32 backward kernel, or ``("", "")``.

    ``support_code`` goes with the forward kernel's slot (before ``lstm_fwd_<nm>``),
    ``dispatch`` at the top of ``lstm_bwd_<nm>``.
    """
    if dtype != "float32":
        return "", ""
    return backward_common(nm, act, inner) + _V16B_LSTM.format(nm=nm), _V16B_DISPATCH.format(nm=nm)
