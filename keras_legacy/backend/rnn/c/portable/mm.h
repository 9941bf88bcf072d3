
/* buf (RB x 64) = rows of hs (RB x K, row stride ld) . the unit block's packed panel P (K x 64):
   the 64 columns in four passes of 16, each with 6 x 2 accumulators of 8 floats (GCC vector
   extensions: NEON, SSE or AVX registers, whatever the compiler targets); k ascending, one
   FMA per term where the target fuses. */
typedef float kl_v8_${nm} __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) kl_v8_${nm} kl_ld8_${nm}(const float* p) {
  kl_v8_${nm} v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
/* acc + h u, in one rounding where the target fuses (see kv_fmadd), else two */
static inline __attribute__((always_inline)) kl_v8_${nm} kl_fma8_${nm}(kl_v8_${nm} h, kl_v8_${nm} u,
        kl_v8_${nm} acc) {
#if KV_FUSED
  kl_v8_${nm} r;
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) r[i] = __builtin_fmaf(h[i], u[i], acc[i]);
  return r;
#else
  return acc + h * u;
#endif
}
static inline __attribute__((always_inline)) void kl_lstm_mm_${nm}(const int RB, int H, size_t ld,
        const float* __restrict hs, const float* __restrict P, float* __restrict buf, int acc_in) {
  for (int q = 0; q < 4; ++q) {
    kl_v8_${nm} acc[6][2];
    float* bq = buf + q * 16;
    const kl_v8_${nm} zero = {0, 0, 0, 0, 0, 0, 0, 0};
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {
      acc[r][0] = acc_in ? kl_ld8_${nm}(bq + r * 64) : zero;
      acc[r][1] = acc_in ? kl_ld8_${nm}(bq + r * 64 + 8) : zero;
    }
#pragma GCC unroll 2
    for (int k = 0; k < H; ++k) {
      const float* pk = P + (size_t)k * 64 + q * 16;
      const kl_v8_${nm} u0 = kl_ld8_${nm}(pk), u1 = kl_ld8_${nm}(pk + 8);
#pragma GCC unroll 6
      for (int r = 0; r < RB; ++r) {
        const float h = hs[(size_t)r * ld + k];
        const kl_v8_${nm} hv = {h, h, h, h, h, h, h, h};
        acc[r][0] = kl_fma8_${nm}(hv, u0, acc[r][0]);
        acc[r][1] = kl_fma8_${nm}(hv, u1, acc[r][1]);
      }
    }
#pragma GCC unroll 6
    for (int r = 0; r < RB; ++r) {
      __builtin_memcpy(bq + r * 64, &acc[r][0], sizeof(acc[r][0]));
      __builtin_memcpy(bq + r * 64 + 8, &acc[r][1], sizeof(acc[r][1]));
    }
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
