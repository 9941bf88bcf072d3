/* The float64 kernels' shared part (AVX-512F; the kernel files include it inside their
   __AVX512F__ guard): the thread team of vec/threads.h, the register-tile product of rows
   with a packed panel of 32 columns, and the packing of U into such panels. */
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
