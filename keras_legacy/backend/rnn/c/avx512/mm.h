
/* buf (RB x 64) = rows of hs (RB x K, row stride ld) . the unit block's packed panel P (K x 64):
   24 accumulators in registers (kept out of line so that nothing else competes for them). */
static inline __attribute__((always_inline)) void kl_lstm_mm_${nm}(const int RB, int H, size_t ld,
        const float* __restrict hs, const float* __restrict P, float* __restrict buf, int acc_in) {
  __m512 acc[6][4];
  /* acc_in: continue the sums already in buf (a K-chunked product: the same float32
     sums in the same order as one pass) */
  if (acc_in) {
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) acc[r][q] = _mm512_load_ps(buf + r * 64 + q * 16);
    }
  } else {
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) acc[r][q] = _mm512_setzero_ps();
    }
  }
  /* two k per pass: fewer loop instructions among the FMAs (same sums, same order) */
#pragma GCC unroll 2
  for (int k = 0; k < H; ++k) {
    const float* pk = P + (size_t)k * 64;
    __m512 u0 = _mm512_load_ps(pk), u1 = _mm512_load_ps(pk + 16);
    __m512 u2 = _mm512_load_ps(pk + 32), u3 = _mm512_load_ps(pk + 48);
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {
      __m512 hv = _mm512_set1_ps(hs[(size_t)r * ld + k]);
      acc[r][0] = _mm512_fmadd_ps(hv, u0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(hv, u1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(hv, u2, acc[r][2]);
      acc[r][3] = _mm512_fmadd_ps(hv, u3, acc[r][3]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < RB; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) _mm512_store_ps(buf + r * 64 + q * 16, acc[r][q]);
  }
}
#define KL_LSTM_MM_${nm}(RB) __attribute__((noinline)) static void kl_lstm_mm##RB##_${nm}(int H, size_t ld, \
    const float* __restrict hs, const float* __restrict P, float* __restrict buf, int acc_in) { \
  kl_lstm_mm_${nm}(RB, H, ld, hs, P, buf, acc_in); }
KL_LSTM_MM_${nm}(1) KL_LSTM_MM_${nm}(2) KL_LSTM_MM_${nm}(3) KL_LSTM_MM_${nm}(4) KL_LSTM_MM_${nm}(5) KL_LSTM_MM_${nm}(6)
/* the same for any RB in 1..6 */
static inline void kl_lstm_mm_rb_${nm}(int rb, int K, size_t ld, const float* hs, const float* P,
        float* buf, int acc_in) {
  switch (rb) {
    case 6: kl_lstm_mm6_${nm}(K, ld, hs, P, buf, acc_in); break;
    case 5: kl_lstm_mm5_${nm}(K, ld, hs, P, buf, acc_in); break;
    case 4: kl_lstm_mm4_${nm}(K, ld, hs, P, buf, acc_in); break;
    case 3: kl_lstm_mm3_${nm}(K, ld, hs, P, buf, acc_in); break;
    case 2: kl_lstm_mm2_${nm}(K, ld, hs, P, buf, acc_in); break;
    default: kl_lstm_mm1_${nm}(K, ld, hs, P, buf, acc_in); break;
  }
}

/* Panel rows per chunk of a K-chunked product: 32 KB of panel, reused from L1 by every
   row tile (measured: 5% faster LSTM forward than chunks of 64, same sums). */
#define KL_KC_${nm} 128
/* The products of rows [lo, hi) (src: row lo, row stride ld) with one packed panel Pb,
   K in chunks of KL_KC panel rows, into buf (64 floats per row, row lo first): one
   pass's float32 sums, chunk after chunk. */
static inline void kl_panel_mm_${nm}(int lo, int hi, int nt, int K, size_t ld, const float* src,
                                   const float* Pb, float* buf) {
  for (int k0 = 0; k0 < K; k0 += KL_KC_${nm}) {
    const int kc = K - k0 < KL_KC_${nm} ? K - k0 : KL_KC_${nm};
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {
      rb = kl_tile_${nm}(r0, hi, nt);
      kl_lstm_mm_rb_${nm}(rb, kc, ld, src + (size_t)(r0 - lo) * ld + k0, Pb + (size_t)k0 * 64,
                         buf + (size_t)(r0 - lo) * 64, k0 > 0);
    }
  }
}
