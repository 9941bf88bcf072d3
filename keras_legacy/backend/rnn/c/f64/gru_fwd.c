/* GRU forward (float64, AVX-512F): U_zr (H, 2H of U) and U_h (H, H) packed once per call
   into panels of 32 columns (K rows x 32 doubles), shared out between the threads (one
   barrier); per step, thread k's rows [lo, hi): the products h~ . U_zr and (r * h~) . U_h
   panel by panel on register tiles (6 rows x 32 columns, K in chunks of KL_KC64 panel
   rows), written where the BLAS path's GEMM writes them (A), then the BLAS path's gate
   loops, unchanged.  Only the summation order of the products differs from the BLAS path
   (each element's sum in k order, the same for any thread count). */
#if defined(__AVX512F__)
#define KL_GRU64_${nm} 1
#include <immintrin.h>
#include <stdlib.h>
#ifndef KV_PAUSE
#define KV_PAUSE() _mm_pause()
#endif
${threads}
/* buf (RB x 32) = rows of src (RB x K, row stride ld) . the packed panel P (K x 32) */
static inline __attribute__((always_inline)) void kl_mm64_${nm}(const int RB, int K, size_t ld,
        const double* __restrict src, const double* __restrict P, double* __restrict buf, int acc_in) {
  __m512d acc[6][4];
#pragma GCC unroll 6
  for (int r = 0; r < RB; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) acc[r][q] = acc_in ? _mm512_load_pd(buf + r * 32 + q * 8) : _mm512_setzero_pd();
  }
#pragma GCC unroll 2
  for (int k = 0; k < K; ++k) {
    const double* pk = P + (size_t)k * 32;
    __m512d u0 = _mm512_load_pd(pk), u1 = _mm512_load_pd(pk + 8);
    __m512d u2 = _mm512_load_pd(pk + 16), u3 = _mm512_load_pd(pk + 24);
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {
      __m512d hv = _mm512_set1_pd(src[(size_t)r * ld + k]);
      acc[r][0] = _mm512_fmadd_pd(hv, u0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_pd(hv, u1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_pd(hv, u2, acc[r][2]);
      acc[r][3] = _mm512_fmadd_pd(hv, u3, acc[r][3]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < RB; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) _mm512_store_pd(buf + r * 32 + q * 8, acc[r][q]);
  }
}
#define KL_MM64_${nm}(RB) __attribute__((noinline)) static void kl_mm64_##RB##_${nm}(int K, size_t ld, \
    const double* __restrict src, const double* __restrict P, double* __restrict buf, int acc_in) { \
  kl_mm64_${nm}(RB, K, ld, src, P, buf, acc_in); }
KL_MM64_${nm}(1) KL_MM64_${nm}(2) KL_MM64_${nm}(3) KL_MM64_${nm}(4) KL_MM64_${nm}(5) KL_MM64_${nm}(6)

/* panel rows per chunk: 32 KB of panel, reused from L1 by every row tile */
#define KL_KC64_${nm} 128
/* A[r, c0 + c] (row stride ldA) = src row r . panel column c, for rows [0, nr) and the
   ncol (<= 32) valid columns of the panel Pb (K x 32); buf: (nr rounded to 6) x 32 */
static void kl_panel64_${nm}(int nr, int nt, int K, const double* src, const double* Pb,
        double* buf, double* A, size_t ldA, int ncol) {
  for (int k0 = 0; k0 < K; k0 += KL_KC64_${nm}) {
    const int kc = K - k0 < KL_KC64_${nm} ? K - k0 : KL_KC64_${nm};
    for (int r0 = 0, rb; r0 < nr; r0 += rb) {
      rb = kl_tile_${nm}(r0, nr, nt);
      const double* s = src + (size_t)r0 * K + k0;
      const double* p = Pb + (size_t)k0 * 32;
      double* b = buf + (size_t)r0 * 32;
      switch (rb) {
        case 6: kl_mm64_6_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        case 5: kl_mm64_5_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        case 4: kl_mm64_4_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        case 3: kl_mm64_3_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        case 2: kl_mm64_2_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        default: kl_mm64_1_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
      }
    }
  }
  for (int r = 0; r < nr; ++r) memcpy(A + (size_t)r * ldA, buf + (size_t)r * 32, sizeof(double) * ncol);
}

/* Pack columns [c0, c0 + width) of U (K rows, row stride ld) into panels of 32 (zero past
   width): panels jb0, jb0 + step, ... */
static void kl_pack64_${nm}(int K, size_t ld, int width, const double* __restrict S,
        double* __restrict P, int jb0, int step) {
  const int NB = (width + 31) / 32;
  for (int jb = jb0; jb < NB; jb += step) {
    double* Pb = P + (size_t)jb * K * 32;
    for (int k = 0; k < K; ++k)
      for (int c = 0; c < 32; ++c) {
        const int u = jb * 32 + c;
        Pb[(size_t)k * 32 + c] = u < width ? S[(size_t)k * ld + u] : 0.0;
      }
  }
}

struct kl_gru64_${nm} {
  int Tn, n, H, save;
  const double *xp, *bias, *U;
  const npy_int8* mask;
  double *h, *G, *hm, *rh, *A, *gs;
  double *Pzr, *Ph, *bufs; size_t bufsz;
};

static void kl_gru64_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_gru64_${nm}* a = (const struct kl_gru64_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, save = a->save, nt = tm->nt;
  const int H3 = 3 * H, H2 = 2 * H, NZ = (H2 + 31) / 32, NH = (H + 31) / 32;
  const double* bias = a->bias;
  kl_pack64_${nm}(H, (size_t)H3, H2, a->U, a->Pzr, k, nt);
  kl_pack64_${nm}(H, (size_t)H3, H, a->U + H2, a->Ph, k, nt);
  kl_barrier_${nm}(tm);
  int lo, hi;
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  if (lo >= hi) return;
  const int nr = hi - lo;
  double* const buf = a->bufs + (size_t)k * a->bufsz;
  double* const A = a->A + (size_t)lo * H3;
  double* const hm = a->hm + (size_t)lo * H;
  double* const rh = a->rh + (size_t)lo * H;
  memset(A, 0, sizeof(double) * (size_t)nr * H3);
  memset(hm, 0, sizeof(double) * (size_t)nr * H);
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* m = a->mask + (size_t)t * n + lo;
    const double* hprev = t ? a->h + ((size_t)(t - 1) * n + lo) * H : NULL;
    const double* xt = a->xp + ((size_t)t * n + lo) * H3;
    double* Gt = save ? a->G + ((size_t)t * n + lo) * H3 : a->gs + (size_t)lo * H3;
    const double* hs = hprev ? masked_prev_${nm}(nr, H, m, hprev, hm) : hm;
    if (hprev)
      for (int jb = 0; jb < NZ; ++jb)
        kl_panel64_${nm}(nr, nt, H, hs, a->Pzr + (size_t)jb * H * 32, buf, A + jb * 32, (size_t)H3,
                         H2 - jb * 32 < 32 ? H2 - jb * 32 : 32);
    for (int b = 0; b < nr; ++b) {
      double* __restrict g = Gt + (size_t)b * H3;
      const double* __restrict ab = A + (size_t)b * H3;
      const double* __restrict xa = xt + (size_t)b * H3;
      if (bias) {
        const double* __restrict bb = bias;
        for (int j = 0; j < H2; ++j) g[j] = (xa[j] + bb[j]) + ab[j];
      } else {
        for (int j = 0; j < H2; ++j) g[j] = xa[j] + ab[j];
      }
      inner_${nm}(g, g, H2);
      const double* __restrict hb = hs + (size_t)b * H;
      double* __restrict rb = rh + (size_t)b * H;
      for (int j = 0; j < H; ++j) rb[j] = g[H + j] * hb[j];
    }
    if (hprev)
      for (int jb = 0; jb < NH; ++jb)
        kl_panel64_${nm}(nr, nt, H, rh, a->Ph + (size_t)jb * H * 32, buf, A + H2 + jb * 32, (size_t)H3,
                         H - jb * 32 < 32 ? H - jb * 32 : 32);
    for (int b = 0; b < nr; ++b) {
      double* __restrict g = Gt + (size_t)b * H3;
      const double* __restrict ab = A + (size_t)b * H3 + H2;
      const double* __restrict xa = xt + (size_t)b * H3 + H2;
      if (bias) {
        const double* __restrict bb = bias + H2;
        for (int j = 0; j < H; ++j) g[H2 + j] = (xa[j] + bb[j]) + ab[j];
      } else {
        for (int j = 0; j < H; ++j) g[H2 + j] = xa[j] + ab[j];
      }
      act_${nm}(g + H2, g + H2, H);
      const double* __restrict hb = hs + (size_t)b * H;
      double* __restrict ht = a->h + ((size_t)t * n + lo + b) * H;
      for (int j = 0; j < H; ++j) ht[j] = g[j] * hb[j] + (1.0 - g[j]) * g[H2 + j];
    }
  }
}

/* The whole GRU forward pass (gru_fwd's, its scratch arrays included).  Returns 0 (nothing
   written) if the panels cannot be allocated; the caller then runs the BLAS path. */
static int kl_gru64_fwd_${nm}(int Tn, int n, int H, const double* xp, const double* bias,
        const npy_int8* mask, const double* U, double* h, double* G, int save, double* hm,
        double* rh, double* A, double* gs) {
  const int NZ = (2 * H + 31) / 32, NH = (H + 31) / 32;
  const int nt = kl_threads_${nm}(n, (double)Tn * n * 3.0 * H * H);
  struct kl_gru64_${nm} a;
  memset(&a, 0, sizeof(a));
  a.bufsz = (size_t)(n + 5) / 6 * 6 * 32;
  if (posix_memalign((void**)&a.Pzr, 64, sizeof(double) * ((size_t)(NZ + NH) * H * 32 + nt * a.bufsz))) return 0;
  a.Ph = a.Pzr + (size_t)NZ * H * 32;
  a.bufs = a.Ph + (size_t)NH * H * 32;
  a.Tn = Tn; a.n = n; a.H = H; a.save = save; a.xp = xp; a.bias = bias; a.U = U; a.mask = mask;
  a.h = h; a.G = G; a.hm = hm; a.rh = rh; a.A = A; a.gs = gs;
  kl_run_${nm}(kl_gru64_rows_${nm}, &a, nt);
  free(a.Pzr);
  return 1;
}
#endif
