"""C text of the float32 AVX-512 LSTM kernels (``rnn_ops.LSTMForward`` and ``LSTMGrad``).

Forward (``lstm_forward_v16``):

One call packs ``U (H, 4H)`` once into panels of 16 hidden units (the four
gates side by side: 64 columns, zero-padded past ``H``).  Each step then
walks tiles of up to 6 batch rows x 16 units: the product ``h~ . U`` for
the tile's 64 gate columns is accumulated in 24 registers (``k`` ascending,
one FMA per term), written to a 1.5 KB tile buffer, and the gate
nonlinearities and the state update are applied to it while it is in L1
(no ``(n, 4H)`` product array, no second pass).

Same math as the BLAS path (``rnn_c_text._LSTM_FWD``): pre-activation
``(x.W + b) + h~.U``, the same branch-free ``exp`` (Cody-Waite reduction,
degree-7 polynomial; ``2^k`` by ``scalef``), ``tanh`` as
``sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|})``, ``sigmoid`` as ``1 / (1 + e^{-x})``;
divisions are a 14-bit reciprocal plus one Newton step (~1-2 ulp).  The
negations and doublings are folded into the constants exactly (powers of two),
so the values are those of the plain formulas.  Only the summation order inside
the product and these last-bit roundings differ, so float32 results agree with
the NumPy reference to ~1e-6.
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

Threads (``_V16_THREADS``, pthreads): each kernel runs on as many threads as the
OpenBLAS the module links is set to at call time (``scipy_openblas_get_num_threads``,
a weak symbol: 1 with another BLAS or none), at most one per batch row and one per
4e6 multiply-adds.  The weights are packed by all threads (panels shared out, one
barrier), then thread ``k`` runs the whole recurrence of rows ``[k n / nt, (k+1) n / nt)``:
batch rows are independent in both passes, so no step waits for another thread, and
every element's sums run in the same order whatever the thread count (bit-identical).
"""

from __future__ import annotations

#: Vector C expression of an activation ``kind`` applied to the ``__m512 x``.
_V_ACT = {
    "tanh": "kl_v_tanh_{nm}(x)",
    "sigmoid": "kl_v_sigmoid_{nm}(x)",
    "hard_sigmoid": "kl_v_hsig_{nm}(x)",
    "linear": "x",
}

_V16_COMMON = r"""
#if defined(__AVX512F__) && !defined(KL_LSTM_NO_V16)
#include <immintrin.h>
#define KL_LSTM_V16_{nm} 1
/* e^-x for |x| <= 87 (HEAD's exp of -x, bit for bit, without the negation): k = round(-x
   log2 e), s = x + k ln2 (two Cody-Waite steps: s = -r exactly), and the degree-7 polynomial
   in s with the odd coefficients negated (each Horner value is +-the one in r, exactly). */
static inline __m512 kl_v_expneg_{nm}(__m512 x) {{
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(87.0f)), _mm512_set1_ps(-88.0f));
  __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(-1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 s = _mm512_fmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  s = _mm512_fmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), s);
  __m512 p = _mm512_set1_ps(-(1.0f / 5040.0f));
  p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(-(1.0f / 120.0f)));
  p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(-(1.0f / 6.0f)));
  p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(-1.0f));
  p = _mm512_fmadd_ps(p, s, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);
}}
/* e^{{-2|x|}} from nx = -|x| in [-43.5, 0] (HEAD's exp of -2|x|, bit for bit, without the
   doubling): k from nx and 2 log2 e, the reduction with ln2 / 2 gives r / 2 exactly, and the
   polynomial in r / 2 with the coefficients scaled by 2^j gives each Horner value times 2^j,
   exactly (powers of two). */
static inline __m512 kl_v_exp2n_{nm}(__m512 nx) {{
  __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(nx, _mm512_set1_ps(2.0f * 1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.5f * 0.693359375f), nx);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.5f * -2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(128.0f * (1.0f / 5040.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(64.0f * (1.0f / 720.0f)));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(32.0f * (1.0f / 120.0f)));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(16.0f * (1.0f / 24.0f)));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.0f * (1.0f / 6.0f)));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.0f * 0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(2.0f * 1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);
}}
/* 1 / d for d >= 1: 14-bit estimate and one Newton step. */
static inline __m512 kl_v_rcp_{nm}(__m512 d) {{
  __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}}
static inline __m512 kl_v_sigmoid_{nm}(__m512 x) {{
  return kl_v_rcp_{nm}(_mm512_add_ps(_mm512_set1_ps(1.0f), kl_v_expneg_{nm}(x)));
}}
/* tanh x = sign(x) (1 - t) / (1 + t), t = e^{{-2|x|}}; -|x| and the sign by one
   logic op each (no abs, no multiply by -2, no compare). */
static inline __m512 kl_v_tanh_{nm}(__m512 x) {{
  const __m512i sgn = _mm512_set1_epi32((int)0x80000000u);
  __m512 nx = _mm512_castsi512_ps(_mm512_or_si512(sgn, _mm512_castps_si512(x)));
  __m512 t = kl_v_exp2n_{nm}(_mm512_max_ps(nx, _mm512_set1_ps(-43.5f)));
  __m512 one = _mm512_set1_ps(1.0f);
  __m512 y = _mm512_mul_ps(_mm512_sub_ps(one, t), kl_v_rcp_{nm}(_mm512_add_ps(one, t)));
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(y), _mm512_castps_si512(x), sgn, 0x78));
}}
static inline __m512 kl_v_hsig_{nm}(__m512 x) {{
  __m512 y = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.2f)), _mm512_set1_ps(0.5f));
  return _mm512_min_ps(_mm512_max_ps(y, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
}}
static inline __m512 kl_v_act_{nm}(__m512 x) {{ return {act}; }}
static inline __m512 kl_v_inner_{nm}(__m512 x) {{ return {inner}; }}
"""

_V16_THREADS = r"""
/* Threads (pthreads): as many as OpenBLAS is set to use at call time (the library the
   module links; weak: another BLAS, or none, gives 1), at most one per row of the batch,
   and only for calls with enough work.  Thread k takes rows [k n / nt, (k + 1) n / nt):
   the rows of a batch are independent, so the threads never wait for each other during
   the recurrence; the only barrier is after the shared weight packing.  Each element's
   sums run in the same order whatever the thread count (bit-identical results). */
#include <pthread.h>
#include <sched.h>
#ifndef KL_LSTM_THREADS_DECL
#define KL_LSTM_THREADS_DECL 1
#ifdef __cplusplus
extern "C" {{
#endif
int scipy_openblas_get_num_threads(void) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
#ifdef __cplusplus
}}
#endif
#endif
#define KL_MAXT_{nm} 64
/* multiply-adds per thread below which one more thread does not pay for its start */
#define KL_MT_WORK_{nm} 4.0e6
static int kl_threads_{nm}(int n, double work) {{
  int nt = 1;
  if (scipy_openblas_get_num_threads) nt = scipy_openblas_get_num_threads();
  else if (openblas_get_num_threads) nt = openblas_get_num_threads();
  if (nt > KL_MAXT_{nm}) nt = KL_MAXT_{nm};
  if (nt > n) nt = n;
  while (nt > 1 && work < KL_MT_WORK_{nm} * nt) --nt;
  return nt < 1 ? 1 : nt;
}}
/* rows [lo, hi) of thread k of nt */
static inline void kl_rows_{nm}(int n, int k, int nt, int* lo, int* hi) {{
  *lo = (int)((long long)n * k / nt);
  *hi = (int)((long long)n * (k + 1) / nt);
}}
/* rows of the tile starting at r0: 6 (the last one what is left) on one thread; with
   several, the rows of a thread spread evenly over as few tiles (32 rows: 6,6,5,5,5,5) */
static inline int kl_tile_{nm}(int r0, int hi, int nt) {{
  const int left = hi - r0;
  if (nt < 2) return left < 6 ? left : 6;
  const int tiles = (left + 5) / 6;
  return (left + tiles - 1) / tiles;
}}
struct kl_team_{nm} {{
  void (*fn)(void*, int, struct kl_team_{nm}*);
  void* arg;
  int nt, ready, arrived;
}};
struct kl_member_{nm} {{ struct kl_team_{nm}* team; int k; }};
static void kl_wait_{nm}(int* p, int v) {{
  for (int s = 0; __atomic_load_n(p, __ATOMIC_ACQUIRE) < v; ++s) {{
    if (s < 4096) _mm_pause(); else sched_yield();
  }}
}}
/* all nt members here (once per call) */
static void kl_barrier_{nm}(struct kl_team_{nm}* tm) {{
  if (tm->nt < 2) return;
  __atomic_add_fetch(&tm->arrived, 1, __ATOMIC_ACQ_REL);
  kl_wait_{nm}(&tm->arrived, tm->nt);
}}
static void* kl_member_main_{nm}(void* p) {{
  struct kl_member_{nm}* m = (struct kl_member_{nm}*)p;
  kl_wait_{nm}(&m->team->ready, 1);  /* the team's size is known */
  if (m->k < m->team->nt) m->team->fn(m->team->arg, m->k, m->team);
  return NULL;
}}
/* fn(arg, k, team) for k = 0..nt-1, k = 0 on this thread; fewer if a thread cannot start */
static void kl_run_{nm}(void (*fn)(void*, int, struct kl_team_{nm}*), void* arg, int nt) {{
  pthread_t th[KL_MAXT_{nm}];
  struct kl_member_{nm} mem[KL_MAXT_{nm}];
  struct kl_team_{nm} tm;
  tm.fn = fn; tm.arg = arg; tm.nt = 1; tm.ready = 0; tm.arrived = 0;
  int started = 1;
  for (; started < nt; ++started) {{
    mem[started].team = &tm;
    mem[started].k = started;
    if (pthread_create(&th[started], NULL, kl_member_main_{nm}, &mem[started])) break;
  }}
  tm.nt = started;
  __atomic_store_n(&tm.ready, 1, __ATOMIC_RELEASE);
  fn(arg, 0, &tm);
  for (int k = 1; k < started; ++k) pthread_join(th[k], NULL);
}}
"""

_V16_MM = r"""
/* buf (RB x 64) = rows of hs (RB x K, row stride ld) . the unit block's packed panel P (K x 64):
   24 accumulators in registers (kept out of line so that nothing else competes for them). */
static inline __attribute__((always_inline)) void kl_lstm_mm_{nm}(const int RB, int H, size_t ld,
        const float* __restrict hs, const float* __restrict P, float* __restrict buf, int acc_in) {{
  __m512 acc[6][4];
  /* acc_in: continue the sums already in buf (a K-chunked product: the same float32
     sums in the same order as one pass) */
  if (acc_in) {{
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {{
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) acc[r][q] = _mm512_load_ps(buf + r * 64 + q * 16);
    }}
  }} else {{
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {{
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) acc[r][q] = _mm512_setzero_ps();
    }}
  }}
  for (int k = 0; k < H; ++k) {{
    const float* pk = P + (size_t)k * 64;
    __m512 u0 = _mm512_load_ps(pk), u1 = _mm512_load_ps(pk + 16);
    __m512 u2 = _mm512_load_ps(pk + 32), u3 = _mm512_load_ps(pk + 48);
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {{
      __m512 hv = _mm512_set1_ps(hs[(size_t)r * ld + k]);
      acc[r][0] = _mm512_fmadd_ps(hv, u0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(hv, u1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(hv, u2, acc[r][2]);
      acc[r][3] = _mm512_fmadd_ps(hv, u3, acc[r][3]);
    }}
  }}
#pragma GCC unroll 6
  for (int r = 0; r < RB; ++r) {{
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) _mm512_store_ps(buf + r * 64 + q * 16, acc[r][q]);
  }}
}}
#define KL_LSTM_MM_{nm}(RB) __attribute__((noinline)) static void kl_lstm_mm##RB##_{nm}(int H, size_t ld, \
    const float* __restrict hs, const float* __restrict P, float* __restrict buf, int acc_in) {{ \
  kl_lstm_mm_{nm}(RB, H, ld, hs, P, buf, acc_in); }}
KL_LSTM_MM_{nm}(1) KL_LSTM_MM_{nm}(2) KL_LSTM_MM_{nm}(3) KL_LSTM_MM_{nm}(4) KL_LSTM_MM_{nm}(5) KL_LSTM_MM_{nm}(6)
/* the same for any RB in 1..6 */
static inline void kl_lstm_mm_rb_{nm}(int rb, int K, size_t ld, const float* hs, const float* P,
        float* buf, int acc_in) {{
  switch (rb) {{
    case 6: kl_lstm_mm6_{nm}(K, ld, hs, P, buf, acc_in); break;
    case 5: kl_lstm_mm5_{nm}(K, ld, hs, P, buf, acc_in); break;
    case 4: kl_lstm_mm4_{nm}(K, ld, hs, P, buf, acc_in); break;
    case 3: kl_lstm_mm3_{nm}(K, ld, hs, P, buf, acc_in); break;
    case 2: kl_lstm_mm2_{nm}(K, ld, hs, P, buf, acc_in); break;
    default: kl_lstm_mm1_{nm}(K, ld, hs, P, buf, acc_in); break;
  }}
}}

/* The products of rows [lo, hi) (src: row lo, row stride ld) with one packed panel Pb,
   K in chunks of 64 panel rows (16 KB, reused from L1 by every row tile), into buf
   (64 floats per row, row lo first): one pass's float32 sums, chunk after chunk. */
static inline void kl_panel_mm_{nm}(int lo, int hi, int nt, int K, size_t ld, const float* src,
                                   const float* Pb, float* buf) {{
  for (int k0 = 0; k0 < K; k0 += 64) {{
    const int kc = K - k0 < 64 ? K - k0 : 64;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {{
      rb = kl_tile_{nm}(r0, hi, nt);
      kl_lstm_mm_rb_{nm}(rb, kc, ld, src + (size_t)(r0 - lo) * ld + k0, Pb + (size_t)k0 * 64,
                         buf + (size_t)(r0 - lo) * 64, k0 > 0);
    }}
  }}
}}
"""

_V16_LSTM_CELL = r"""
/* The cell update of RB rows x 16 units (um: the valid units) from the product in buf. */
__attribute__((noinline)) static void kl_lstm_cell_{nm}(int RB, int H, __mmask16 um,
        const float* __restrict xa, int xrs, int xqs, const float* __restrict bias, const npy_int8* m, int first,
        const float* __restrict cprev, float* __restrict ct, float* __restrict ht,
        float* __restrict g, const float* __restrict buf) {{
  const int H5 = 5 * H;
  for (int r = 0; r < RB; ++r) {{
    const float* xr = xa + (size_t)r * xrs;
    __m512 pre[4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {{
      /* the original's order: (x.W + b) + h~.U */
      __m512 v = _mm512_maskz_loadu_ps(um, xr + q * xqs);
      if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(um, bias + q * H));
      pre[q] = _mm512_add_ps(v, _mm512_load_ps(buf + r * 64 + q * 16));
    }}
    __m512 vi = kl_v_inner_{nm}(pre[0]), vf = kl_v_inner_{nm}(pre[1]);
    __m512 vo = kl_v_inner_{nm}(pre[2]), vg = kl_v_act_{nm}(pre[3]);
    __m512 cp = (!first && m[r]) ? _mm512_maskz_loadu_ps(um, cprev + (size_t)r * H) : _mm512_setzero_ps();
    __m512 vc = _mm512_fmadd_ps(vf, cp, _mm512_mul_ps(vi, vg));
    __m512 tc = kl_v_act_{nm}(vc);
    _mm512_mask_storeu_ps(ct + (size_t)r * H, um, vc);
    _mm512_mask_storeu_ps(ht + (size_t)r * H, um, _mm512_mul_ps(vo, tc));
    if (g) {{
      float* gr = g + (size_t)r * H5;
      _mm512_mask_storeu_ps(gr, um, vi);
      _mm512_mask_storeu_ps(gr + H, um, vf);
      _mm512_mask_storeu_ps(gr + 2 * H, um, vo);
      _mm512_mask_storeu_ps(gr + 3 * H, um, vg);
      _mm512_mask_storeu_ps(gr + 4 * H, um, tc);
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
    int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
    for (int k = 0; k < K; ++k)
      for (int q = 0; q < 4; ++q)
        for (int u = 0; u < 16; ++u)
          Pb[(size_t)k * 64 + q * 16 + u] = u < nu ? S[(size_t)k * H4 + q * H + j0 + u] : 0.0f;
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
     K in chunks of KC rows of the panel (16 KB, reused from L1 by all row tiles), then the
     cell of every row tile.  With saved gates this order is slower (measured: the writes
     of G spread over all rows), so save == 1 walks row tiles outside, unit blocks inside. */
  const int KC = 64;
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


#: Vector C expression of an activation's derivative from its output ``__m512 y``
#: (the BLAS path's ``dact``/``dinner``: tanh ``1 - y^2``, sigmoid ``y (1 - y)``,
#: hard_sigmoid ``0.2`` where ``0 < y < 1``, linear ``1``).
_V_DACT = {
    "tanh": "_mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(y, y))",
    "sigmoid": "_mm512_mul_ps(y, _mm512_sub_ps(_mm512_set1_ps(1.0f), y))",
    "hard_sigmoid": ("_mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ)"
                     " & _mm512_cmp_ps_mask(y, _mm512_set1_ps(1.0f), _CMP_LT_OQ), _mm512_set1_ps(0.2f))"),
    "linear": "_mm512_set1_ps(1.0f)",
}

_V16B_COMMON = r"""
#if defined(__AVX512F__) && !defined(KL_LSTM_NO_V16)
#include <immintrin.h>
#define KL_LSTM_V16B_{nm} 1
static inline __m512 kl_v_dact_{nm}(__m512 y) {{ return {dact}; }}
static inline __m512 kl_v_dinner_{nm}(__m512 y) {{ return {dinner}; }}
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
    acts = {k: v.format(nm=nm) for k, v in _V_ACT.items()}
    # one #if ... #endif around both parts (the #endif closes _V16_LSTM)
    common = _V16_COMMON.format(nm=nm, act=acts[act], inner=acts[inner])
    return (common + _V16_THREADS.format(nm=nm) + _V16_MM.format(nm=nm) + _V16_LSTM_CELL.format(nm=nm),
            _V16_DISPATCH.format(nm=nm))


def lstm_backward_v16(dtype, act, inner, nm):
    """``(support_code, dispatch)`` C text of the float32 backward kernel, or ``("", "")``.

    ``support_code`` goes with the forward kernel's slot (before ``lstm_fwd_<nm>``),
    ``dispatch`` at the top of ``lstm_bwd_<nm>``.
    """
    if dtype != "float32":
        return "", ""
    d = {k: v for k, v in _V_DACT.items()}
    common = _V16B_COMMON.format(nm=nm, dact=d[act], dinner=d[inner])
    return (common + _V16_THREADS.format(nm=nm) + _V16_MM.format(nm=nm) + _V16B_LSTM.format(nm=nm),
            _V16B_DISPATCH.format(nm=nm))


_V16_GRU = r"""
/* GRU forward (float32, AVX-512): U_zr (H, 2H of U) packed into panels of 32 units x
   [z, r] (64 columns: z of units 0-15, 16-31, then r of the same), U_h into panels of 64
   units; both once per call (panels shared out between the threads, one barrier).  Per
   step, thread k's rows [lo, hi): for each z,r panel the products of all row tiles (K in
   chunks of 64 panel rows, reused from L1), then z, r = inner((x.W + b) + h~.U_zr) on the
   tiles and r * h~ for these units; then for each h panel the products of (r * h~) . U_h,
   h~' = act((x.W + b) + (r * h~).U_h) and h = z h~ + (1 - z) h~'.  The original's math and
   order (reset gate applied before the product); only the summation order of the products
   and last-bit roundings of the activations differ from the BLAS path. */

/* Pack the K rows of S (row stride ld) into panels of 64 columns: column c of panel jb
   is gate c / w (gate q starts at S + q H), unit jb w + (c mod w) (0 past H). */
static void kl_gru_pack_{nm}(int K, int H, size_t ld, int w, const float* __restrict S,
        float* __restrict P, int jb0, int step) {{
  const int NB = (H + w - 1) / w;
  for (int jb = jb0; jb < NB; jb += step) {{
    float* Pb = P + (size_t)jb * K * 64;
    for (int k = 0; k < K; ++k)
      for (int c = 0; c < 64; ++c) {{
        const int q = c / w, u = jb * w + c % w;
        Pb[(size_t)k * 64 + c] = u < H ? S[(size_t)k * ld + (size_t)q * H + u] : 0.0f;
      }}
  }}
}}

struct kl_gru_{nm} {{
  int Tn, n, H, save;
  const float *xp, *bias, *U;
  const npy_int8* mask;
  float *h, *G, *hm;
  float *Pzr, *Ph, *bufs; size_t bufsz;
}};

static inline __mmask16 kl_um_{nm}(int H, int u0) {{
  const int nu = H - u0;
  return nu >= 16 ? (__mmask16)0xFFFF : nu <= 0 ? (__mmask16)0 : (__mmask16)((1u << nu) - 1u);
}}

static void kl_gru_fwd_rows_{nm}(void* vp, int k, struct kl_team_{nm}* tm) {{
  const struct kl_gru_{nm}* a = (const struct kl_gru_{nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, save = a->save, nt = tm->nt;
  const int H3 = 3 * H, NZ = (H + 31) / 32, NH = (H + 63) / 64;
  const float* bias = a->bias;
  int lo, hi;
  kl_gru_pack_{nm}(H, H, (size_t)H3, 32, a->U, a->Pzr, k, nt);
  kl_gru_pack_{nm}(H, H, (size_t)H3, 64, a->U + 2 * H, a->Ph, k, nt);
  kl_barrier_{nm}(tm);
  const float* const Pzr = a->Pzr;
  const float* const Ph = a->Ph;
  const float* const xp_ = a->xp;
  float* const h_ = a->h;
  float* const G_ = a->G;
  float* const hm_ = a->hm;
  const npy_int8* const mask_ = a->mask;
  kl_rows_{nm}(n, k, nt, &lo, &hi);
  if (lo >= hi) return;
  const int nr = hi - lo;
  /* per thread: the tile buffers of its rows (nr x 64), z (nr x H), r * h~ (nr x H) */
  float* const buf = a->bufs + (size_t)k * a->bufsz;
  float* const zb = buf + (size_t)((nr + 5) / 6 * 6) * 64;
  float* const rh = zb + (size_t)nr * H;
  for (int t = 0; t < Tn; ++t) {{
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_{nm}(nr, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    const float* xt = xp_ + ((size_t)t * n + lo) * H3;
    float* Gt = save ? G_ + ((size_t)t * n + lo) * H3 : NULL;
    float* ht = h_ + ((size_t)t * n + lo) * H;
    /* z, r */
    for (int jb = 0; jb < NZ; ++jb) {{
      const int j0 = jb * 32;
      if (hs) kl_panel_mm_{nm}(lo, hi, nt, H, (size_t)H, hs, Pzr + (size_t)jb * H * 64, buf);
      for (int r = 0; r < nr; ++r) {{
        const float* xr = xt + (size_t)r * H3;
        const float* br = buf + (size_t)r * 64;
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {{
          const int gate = q >> 1, u0 = j0 + (q & 1) * 16;
          const __mmask16 um = kl_um_{nm}(H, u0);
          if (!um) continue;
          const size_t col = (size_t)gate * H + u0;
          /* the original's order: (x.W + b) + h~.U */
          __m512 v = _mm512_maskz_loadu_ps(um, xr + col);
          if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(um, bias + col));
          v = _mm512_add_ps(v, hs ? _mm512_load_ps(br + q * 16) : _mm512_setzero_ps());
          const __m512 y = kl_v_inner_{nm}(v);
          if (Gt) _mm512_mask_storeu_ps(Gt + (size_t)r * H3 + col, um, y);
          if (!gate) _mm512_mask_storeu_ps(zb + (size_t)r * H + u0, um, y);
          else if (hs)
            _mm512_mask_storeu_ps(rh + (size_t)r * H + u0, um,
                                  _mm512_mul_ps(y, _mm512_maskz_loadu_ps(um, hs + (size_t)r * H + u0)));
        }}
      }}
    }}
    /* h~' and the new state */
    for (int jb = 0; jb < NH; ++jb) {{
      const int j0 = jb * 64;
      if (hs) kl_panel_mm_{nm}(lo, hi, nt, H, (size_t)H, rh, Ph + (size_t)jb * H * 64, buf);
      for (int r = 0; r < nr; ++r) {{
        const float* xr = xt + (size_t)r * H3 + 2 * H;
        const float* br = buf + (size_t)r * 64;
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {{
          const int u0 = j0 + q * 16;
          const __mmask16 um = kl_um_{nm}(H, u0);
          if (!um) continue;
          __m512 v = _mm512_maskz_loadu_ps(um, xr + u0);
          if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(um, bias + 2 * H + u0));
          v = _mm512_add_ps(v, hs ? _mm512_load_ps(br + q * 16) : _mm512_setzero_ps());
          const __m512 hh = kl_v_act_{nm}(v);
          if (Gt) _mm512_mask_storeu_ps(Gt + (size_t)r * H3 + 2 * H + u0, um, hh);
          const __m512 z = _mm512_maskz_loadu_ps(um, zb + (size_t)r * H + u0);
          const __m512 hp = hs ? _mm512_maskz_loadu_ps(um, hs + (size_t)r * H + u0) : _mm512_setzero_ps();
          const __m512 y = _mm512_fmadd_ps(z, hp, _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), z), hh));
          _mm512_mask_storeu_ps(ht + (size_t)r * H + u0, um, y);
        }}
      }}
    }}
  }}
}}

/* The whole GRU forward pass (gru_fwd's).  Returns 0 (nothing written) if the buffers
   cannot be allocated; the caller then runs the BLAS path. */
static int kl_gru_fwd_v16_{nm}(int Tn, int n, int H, const float* xp, const float* bias,
        const npy_int8* mask, const float* U, float* h, float* G, int save, float* hm) {{
  const int NZ = (H + 31) / 32, NH = (H + 63) / 64;
  const int nt = kl_threads_{nm}(n, (double)Tn * n * 3.0 * H * H);
  struct kl_gru_{nm} a;
  memset(&a, 0, sizeof(a));
  /* per thread: tile buffers for all rows (rounded to 6) x 64, z and r * h~ (n x H each);
     rounded to 16 floats to keep every thread's block 64-byte aligned */
  a.bufsz = (((size_t)(n + 5) / 6 * 6) * 64 + 2 * (size_t)n * H + 15) / 16 * 16;
  if (posix_memalign((void**)&a.Pzr, 64, sizeof(float) * ((size_t)(NZ + NH) * H * 64 + nt * a.bufsz))) return 0;
  a.Ph = a.Pzr + (size_t)NZ * H * 64;
  a.bufs = a.Ph + (size_t)NH * H * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.save = save; a.xp = xp; a.bias = bias; a.U = U; a.mask = mask;
  a.h = h; a.G = G; a.hm = hm;
  kl_run_{nm}(kl_gru_fwd_rows_{nm}, &a, nt);
  free(a.Pzr);
  return 1;
}}
#endif
"""

#: The line at the top of ``gru_fwd`` that hands float32 to the kernel above.
_V16_GRU_DISPATCH = r"""
#ifdef KL_LSTM_V16_{nm}
  if (Tn > 0 && n > 0 && H > 0 && kl_gru_fwd_v16_{nm}(Tn, n, H, xp, bias, mask, U, h, G, save, hm)) return;
#endif
"""


def gru_forward_v16(dtype, act, inner, nm):
    """``(support_code, dispatch)`` C text of the float32 GRU forward kernel, or ``("", "")``.

    ``support_code`` goes after ``masked_prev_<nm>`` in the GRU kernels, ``dispatch`` at
    the top of ``gru_fwd_<nm>``.
    """
    if dtype != "float32":
        return "", ""
    acts = {k: v.format(nm=nm) for k, v in _V_ACT.items()}
    common = _V16_COMMON.format(nm=nm, act=acts[act], inner=acts[inner])
    return (common + _V16_THREADS.format(nm=nm) + _V16_MM.format(nm=nm) + _V16_GRU.format(nm=nm),
            _V16_GRU_DISPATCH.format(nm=nm))
