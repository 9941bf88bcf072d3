/* The float64 kernels' shared part (the kernel files include it inside their KL_F64_ISA
   guard): the thread team of vec/threads.h, the register-tile product of rows with a packed
   panel of KL_PW64 columns, and the packing of U into such panels.
   AVX-512F: tiles of up to 6 rows x 32 columns (4 zmm per row, 24 accumulators);
   AVX2 + FMA: up to 4 rows x 12 columns (3 ymm per row, 12 accumulators). */
#include <immintrin.h>
#include <stdlib.h>
#ifndef KV_PAUSE
#define KV_PAUSE() _mm_pause()
#endif
${threads}
#if defined(__AVX512F__)
#define KL_PW64_${nm} 32
#define KL_RB64_${nm} 6
#define KL_NV64_${nm} 4
typedef __m512d kl_vd_${nm};
#define KL_VLEN64_${nm} 8
#define kl_vload_${nm} _mm512_load_pd
#define kl_vstore_${nm} _mm512_store_pd
#define kl_vzero_${nm} _mm512_setzero_pd
#define kl_vset1_${nm} _mm512_set1_pd
#define kl_vfmadd_${nm} _mm512_fmadd_pd
#else
#define KL_PW64_${nm} 12
#define KL_RB64_${nm} 4
#define KL_NV64_${nm} 3
typedef __m256d kl_vd_${nm};
#define KL_VLEN64_${nm} 4
#define kl_vload_${nm} _mm256_load_pd
#define kl_vstore_${nm} _mm256_store_pd
#define kl_vzero_${nm} _mm256_setzero_pd
#define kl_vset1_${nm} _mm256_set1_pd
#define kl_vfmadd_${nm} _mm256_fmadd_pd
#endif

/* buf (RB x PW) = rows of src (RB x K, row stride ld) . the packed panel P (K x PW) */
static inline __attribute__((always_inline)) void kl_mm64_${nm}(const int RB, int K, size_t ld,
        const double* __restrict src, const double* __restrict P, double* __restrict buf, int acc_in) {
  enum { PW = KL_PW64_${nm}, NV = KL_NV64_${nm}, VL = KL_VLEN64_${nm} };
  kl_vd_${nm} acc[KL_RB64_${nm}][KL_NV64_${nm}];
#pragma GCC unroll 6
  for (int r = 0; r < RB; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) acc[r][q] = acc_in ? kl_vload_${nm}(buf + r * PW + q * VL) : kl_vzero_${nm}();
  }
#pragma GCC unroll 2
  for (int k = 0; k < K; ++k) {
    const double* pk = P + (size_t)k * PW;
    kl_vd_${nm} u[KL_NV64_${nm}];
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) u[q] = kl_vload_${nm}(pk + q * VL);
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {
      const kl_vd_${nm} hv = kl_vset1_${nm}(src[(size_t)r * ld + k]);
#pragma GCC unroll 4
      for (int q = 0; q < NV; ++q) acc[r][q] = kl_vfmadd_${nm}(hv, u[q], acc[r][q]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < RB; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < NV; ++q) kl_vstore_${nm}(buf + r * PW + q * VL, acc[r][q]);
  }
}
#define KL_MM64_${nm}(RB) __attribute__((noinline)) static void kl_mm64_##RB##_${nm}(int K, size_t ld, \
    const double* __restrict src, const double* __restrict P, double* __restrict buf, int acc_in) { \
  kl_mm64_${nm}(RB, K, ld, src, P, buf, acc_in); }
KL_MM64_${nm}(1) KL_MM64_${nm}(2) KL_MM64_${nm}(3) KL_MM64_${nm}(4)
#if KL_RB64_${nm} > 4
KL_MM64_${nm}(5) KL_MM64_${nm}(6)
#endif

/* rows of the tile starting at r0 of [0, hi): KL_RB64 (the last one what is left) on one
   thread; with several, the rows spread evenly over as few tiles */
static inline int kl_tile64_${nm}(int r0, int hi, int nt) {
  const int left = hi - r0, rb = KL_RB64_${nm};
  if (nt < 2) return left < rb ? left : rb;
  const int tiles = (left + rb - 1) / rb;
  return (left + tiles - 1) / tiles;
}

/* panel rows per chunk: 32 KB (AVX-512) or 12 KB (AVX2) of panel, reused from L1 by every
   row tile */
#define KL_KC64_${nm} 128
/* A[r, c] (row stride ldA) = src row r . panel column c, for rows [0, nr) and the ncol
   (<= PW) valid columns of the panel Pb (K x PW); buf: (nr rounded to 6) x PW */
static void kl_panel64_${nm}(int nr, int nt, int K, const double* src, const double* Pb,
        double* buf, double* A, size_t ldA, int ncol) {
  for (int k0 = 0; k0 < K; k0 += KL_KC64_${nm}) {
    const int kc = K - k0 < KL_KC64_${nm} ? K - k0 : KL_KC64_${nm};
    for (int r0 = 0, rb; r0 < nr; r0 += rb) {
      rb = kl_tile64_${nm}(r0, nr, nt);
      const double* s = src + (size_t)r0 * K + k0;
      const double* p = Pb + (size_t)k0 * KL_PW64_${nm};
      double* b = buf + (size_t)r0 * KL_PW64_${nm};
      switch (rb) {
#if KL_RB64_${nm} > 4
        case 6: kl_mm64_6_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        case 5: kl_mm64_5_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
#endif
        case 4: kl_mm64_4_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        case 3: kl_mm64_3_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        case 2: kl_mm64_2_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
        default: kl_mm64_1_${nm}(kc, (size_t)K, s, p, b, k0 > 0); break;
      }
    }
  }
  for (int r = 0; r < nr; ++r)
    memcpy(A + (size_t)r * ldA, buf + (size_t)r * KL_PW64_${nm}, sizeof(double) * ncol);
}

/* The panels of PW columns of U's columns [0, width) (K rows, row stride ld), zero past
   width: panels jb0, jb0 + step, ... */
static void kl_pack64_${nm}(int K, size_t ld, int width, const double* __restrict S,
        double* __restrict P, int jb0, int step) {
  const int PW = KL_PW64_${nm}, NB = (width + PW - 1) / PW;
  for (int jb = jb0; jb < NB; jb += step) {
    double* Pb = P + (size_t)jb * K * PW;
    for (int k = 0; k < K; ++k)
      for (int c = 0; c < PW; ++c) {
        const int u = jb * PW + c;
        Pb[(size_t)k * PW + c] = u < width ? S[(size_t)k * ld + u] : 0.0;
      }
  }
}
