"""C text shared by the float32 AVX-512 kernels (``c_lstm_avx512``, ``c_gru_avx512``).

- The vector activations (``_V16_COMMON``): the same math as the BLAS path
  (``c_blas_path``): a branch-free ``exp`` (Cody-Waite reduction, degree-7
  polynomial; ``2^k`` by ``scalef``), ``tanh`` as ``sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|})``,
  ``sigmoid`` as ``1 / (1 + e^{-x})``; divisions are a 14-bit reciprocal plus one
  Newton step (~1-2 ulp).  The negations and doublings are folded into the
  constants exactly (powers of two), so the values are those of the plain
  formulas.  Each works on ``N`` vectors at once, one step of the formula for all of
  them before the next (independent chains side by side; a vector is computed exactly
  as alone).  Their derivatives from the outputs (``_V_DACT``, the backward kernel).
- The thread team (``_V16_THREADS``, pthreads): each kernel runs on as many threads as the
  OpenBLAS the module links is set to at call time (``scipy_openblas_get_num_threads``,
  a weak symbol: 1 with another BLAS or none), at most one per batch row and one per
  4e6 multiply-adds.  The weights are packed by all threads (panels shared out, one
  barrier), then thread ``k`` runs the whole recurrence of rows ``[k n / nt, (k+1) n / nt)``:
  batch rows are independent in both passes, so no step waits for another thread, and
  every element's sums run in the same order whatever the thread count (bit-identical).
- The register-tile product (``_V16_MM``): up to 6 rows x 64 columns in 24 registers,
  ``k`` ascending, one FMA per term; ``kl_panel_mm`` for K in chunks.

The text is compiled only when the compiler targets AVX-512F (``__AVX512F__``,
PyTensor passes ``-march=<host>``) and ``KL_LSTM_NO_V16`` is not defined.
"""

from __future__ import annotations

#: C statement applying an activation ``kind`` in place to the ``N`` vectors ``__m512 x[N]``.
_V_ACT = {
    "tanh": "kl_vn_tanh_{nm}(x, N);",
    "sigmoid": "kl_vn_sigmoid_{nm}(x, N);",
    "hard_sigmoid": "kl_vn_hsig_{nm}(x, N);",
    "linear": "(void)x; (void)N;",
}

_V16_COMMON = r"""
#if defined(__AVX512F__) && !defined(KL_LSTM_NO_V16)
#include <immintrin.h>
#define KL_LSTM_V16_{nm} 1
/* The activations work on N vectors at once (N a constant after inlining), one step of
   the formula for every vector before the next step: independent chains side by side in
   the instruction stream, so the core overlaps them (one vector alone waits on each
   step's latency).  k = round-to-nearest-even(y) as (y + 1.5 2^23) - 1.5 2^23 (exact for
   |y| < 2^22; here |y| <= 128): the same value as roundscale, on any vector port. */
#define KL_VN_{nm}(stmt) _Pragma("GCC unroll 8") for (int v = 0; v < N; ++v) {{ stmt; }}
/* e^-x in place, for x clamped to [-88, 87] (HEAD's exp of -x, bit for bit, without the
   negation): k = round(-x log2 e), s = x + k ln2 (two Cody-Waite steps: s = -r exactly),
   and the degree-7 polynomial in s with the odd coefficients negated (each Horner value
   is +-the one in r, exactly). */
static inline __attribute__((always_inline)) void kl_vn_expneg_{nm}(__m512* x, const int N) {{
  __m512 k[8], p[8];
  KL_VN_{nm}(x[v] = _mm512_max_ps(_mm512_min_ps(x[v], _mm512_set1_ps(87.0f)), _mm512_set1_ps(-88.0f)))
  KL_VN_{nm}(k[v] = _mm512_mul_ps(x[v], _mm512_set1_ps(-1.44269504088896341f)))
  KL_VN_{nm}(k[v] = _mm512_add_ps(k[v], _mm512_set1_ps(12582912.0f)))
  KL_VN_{nm}(k[v] = _mm512_sub_ps(k[v], _mm512_set1_ps(12582912.0f)))
  KL_VN_{nm}(x[v] = _mm512_fmadd_ps(k[v], _mm512_set1_ps(0.693359375f), x[v]))
  KL_VN_{nm}(x[v] = _mm512_fmadd_ps(k[v], _mm512_set1_ps(-2.12194440e-4f), x[v]))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(_mm512_set1_ps(-(1.0f / 5040.0f)), x[v], _mm512_set1_ps(1.0f / 720.0f)))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(-(1.0f / 120.0f))))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(1.0f / 24.0f)))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(-(1.0f / 6.0f))))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(0.5f)))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(-1.0f)))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(1.0f)))
  KL_VN_{nm}(x[v] = _mm512_scalef_ps(p[v], k[v]))
}}
/* e^{{-2|x|}} in place from x = -|x| in [-43.5, 0] (HEAD's exp of -2|x|, bit for bit,
   without the doubling): k from x and 2 log2 e, the reduction with ln2 / 2 gives r / 2
   exactly, and the polynomial in r / 2 with the coefficients scaled by 2^j gives each
   Horner value times 2^j, exactly (powers of two). */
static inline __attribute__((always_inline)) void kl_vn_exp2n_{nm}(__m512* x, const int N) {{
  __m512 k[8], p[8];
  KL_VN_{nm}(k[v] = _mm512_mul_ps(x[v], _mm512_set1_ps(2.0f * 1.44269504088896341f)))
  KL_VN_{nm}(k[v] = _mm512_add_ps(k[v], _mm512_set1_ps(12582912.0f)))
  KL_VN_{nm}(k[v] = _mm512_sub_ps(k[v], _mm512_set1_ps(12582912.0f)))
  KL_VN_{nm}(x[v] = _mm512_fnmadd_ps(k[v], _mm512_set1_ps(0.5f * 0.693359375f), x[v]))
  KL_VN_{nm}(x[v] = _mm512_fnmadd_ps(k[v], _mm512_set1_ps(0.5f * -2.12194440e-4f), x[v]))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(_mm512_set1_ps(128.0f * (1.0f / 5040.0f)), x[v],
                                      _mm512_set1_ps(64.0f * (1.0f / 720.0f))))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(32.0f * (1.0f / 120.0f))))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(16.0f * (1.0f / 24.0f))))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(8.0f * (1.0f / 6.0f))))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(4.0f * 0.5f)))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(2.0f * 1.0f)))
  KL_VN_{nm}(p[v] = _mm512_fmadd_ps(p[v], x[v], _mm512_set1_ps(1.0f)))
  KL_VN_{nm}(x[v] = _mm512_scalef_ps(p[v], k[v]))
}}
/* 1 / d in place for d >= 1: 14-bit estimate and one Newton step. */
static inline __attribute__((always_inline)) void kl_vn_rcp_{nm}(__m512* d, const int N) {{
  __m512 r[8];
  KL_VN_{nm}(r[v] = _mm512_rcp14_ps(d[v]))
  KL_VN_{nm}(d[v] = _mm512_fnmadd_ps(d[v], r[v], _mm512_set1_ps(2.0f)))
  KL_VN_{nm}(d[v] = _mm512_mul_ps(r[v], d[v]))
}}
static inline __attribute__((always_inline)) void kl_vn_sigmoid_{nm}(__m512* x, const int N) {{
  kl_vn_expneg_{nm}(x, N);
  KL_VN_{nm}(x[v] = _mm512_add_ps(_mm512_set1_ps(1.0f), x[v]))
  kl_vn_rcp_{nm}(x, N);
}}
/* tanh x = sign(x) (1 - t) / (1 + t), t = e^{{-2|x|}}; -|x| and the sign by one
   logic op each (no abs, no multiply by -2, no compare). */
static inline __attribute__((always_inline)) void kl_vn_tanh_{nm}(__m512* x, const int N) {{
  const __m512i sgn = _mm512_set1_epi32((int)0x80000000u);
  __m512 t[8], d[8];
  KL_VN_{nm}(t[v] = _mm512_castsi512_ps(_mm512_or_si512(sgn, _mm512_castps_si512(x[v]))))
  KL_VN_{nm}(t[v] = _mm512_max_ps(t[v], _mm512_set1_ps(-43.5f)))
  kl_vn_exp2n_{nm}(t, N);
  KL_VN_{nm}(d[v] = _mm512_add_ps(_mm512_set1_ps(1.0f), t[v]))
  kl_vn_rcp_{nm}(d, N);
  KL_VN_{nm}(t[v] = _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), t[v]), d[v]))
  KL_VN_{nm}(x[v] = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(t[v]),
                                                                   _mm512_castps_si512(x[v]), sgn, 0x78)))
}}
static inline __attribute__((always_inline)) void kl_vn_hsig_{nm}(__m512* x, const int N) {{
  KL_VN_{nm}(x[v] = _mm512_add_ps(_mm512_mul_ps(x[v], _mm512_set1_ps(0.2f)), _mm512_set1_ps(0.5f)))
  KL_VN_{nm}(x[v] = _mm512_min_ps(_mm512_max_ps(x[v], _mm512_setzero_ps()), _mm512_set1_ps(1.0f)))
}}
/* the layer's two activations on N vectors in place, and on one vector */
static inline __attribute__((always_inline)) void kl_vn_act_{nm}(__m512* x, const int N) {{ {act} }}
static inline __attribute__((always_inline)) void kl_vn_inner_{nm}(__m512* x, const int N) {{ {inner} }}
static inline __m512 kl_v_act_{nm}(__m512 x) {{ kl_vn_act_{nm}(&x, 1); return x; }}
static inline __m512 kl_v_inner_{nm}(__m512 x) {{ kl_vn_inner_{nm}(&x, 1); return x; }}
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
  /* two k per pass: fewer loop instructions among the FMAs (same sums, same order) */
#pragma GCC unroll 2
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

/* Panel rows per chunk of a K-chunked product: 32 KB of panel, reused from L1 by every
   row tile (measured: 5% faster LSTM forward than chunks of 64, same sums). */
#define KL_KC_{nm} 128
/* The products of rows [lo, hi) (src: row lo, row stride ld) with one packed panel Pb,
   K in chunks of KL_KC panel rows, into buf (64 floats per row, row lo first): one
   pass's float32 sums, chunk after chunk. */
static inline void kl_panel_mm_{nm}(int lo, int hi, int nt, int K, size_t ld, const float* src,
                                   const float* Pb, float* buf) {{
  for (int k0 = 0; k0 < K; k0 += KL_KC_{nm}) {{
    const int kc = K - k0 < KL_KC_{nm} ? K - k0 : KL_KC_{nm};
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {{
      rb = kl_tile_{nm}(r0, hi, nt);
      kl_lstm_mm_rb_{nm}(rb, kc, ld, src + (size_t)(r0 - lo) * ld + k0, Pb + (size_t)k0 * 64,
                         buf + (size_t)(r0 - lo) * 64, k0 > 0);
    }}
  }}
}}
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


def forward_common(nm, act, inner):
    """The opening ``#if``, the activations ``act``/``inner``, the thread team and the tile product."""
    acts = {k: v.format(nm=nm) for k, v in _V_ACT.items()}
    return (_V16_COMMON.format(nm=nm, act=acts[act], inner=acts[inner]) + _V16_THREADS.format(nm=nm)
            + _V16_MM.format(nm=nm))


def backward_common(nm, act, inner):
    """The opening ``#if``, the derivatives of ``act``/``inner``, the thread team and the tile product."""
    return (_V16B_COMMON.format(nm=nm, dact=_V_DACT[act], dinner=_V_DACT[inner]) + _V16_THREADS.format(nm=nm)
            + _V16_MM.format(nm=nm))
