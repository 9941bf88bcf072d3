
#if ${guard} && !defined(KL_LSTM_NO_V16)
${kv}#define KL_LSTM_V16_${nm} 1
/* The activations work on N vectors at once (N a constant after inlining), one step of
   the formula for every vector before the next step: independent chains side by side in
   the instruction stream, so the core overlaps them (one vector alone waits on each
   step's latency).  k = round-to-nearest-even(y) as (y + 1.5 2^23) - 1.5 2^23 (exact for
   |y| < 2^22; here |y| <= 128): the same value as roundscale, on any vector port. */
#define KL_VN_${nm}(stmt) _Pragma("GCC unroll 8") for (int v = 0; v < N; ++v) { stmt; }
/* e^-x in place, for x clamped to [-88, 87] (HEAD's exp of -x, bit for bit, without the
   negation): k = round(-x log2 e), s = x + k ln2 (two Cody-Waite steps: s = -r exactly),
   and the degree-7 polynomial in s with the odd coefficients negated (each Horner value
   is +-the one in r, exactly). */
static inline __attribute__((always_inline)) void kl_vn_expneg_${nm}(kv16* x, const int N) {
  kv16 k[8], p[8];
  KL_VN_${nm}(x[v] = kv_max(kv_min(x[v], kv_set1(87.0f)), kv_set1(-88.0f)))
  KL_VN_${nm}(k[v] = kv_mul(x[v], kv_set1(-1.44269504088896341f)))
  KL_VN_${nm}(k[v] = kv_add(k[v], kv_set1(12582912.0f)))
  KL_VN_${nm}(k[v] = kv_sub(k[v], kv_set1(12582912.0f)))
  KL_VN_${nm}(x[v] = kv_fmadd(k[v], kv_set1(0.693359375f), x[v]))
  KL_VN_${nm}(x[v] = kv_fmadd(k[v], kv_set1(-2.12194440e-4f), x[v]))
  KL_VN_${nm}(p[v] = kv_fmadd(kv_set1(-(1.0f / 5040.0f)), x[v], kv_set1(1.0f / 720.0f)))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(-(1.0f / 120.0f))))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(1.0f / 24.0f)))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(-(1.0f / 6.0f))))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(0.5f)))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(-1.0f)))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(1.0f)))
  KL_VN_${nm}(x[v] = kv_scalef(p[v], k[v]))
}
/* e^{-2|x|} in place from x = -|x| in [-43.5, 0] (HEAD's exp of -2|x|, bit for bit,
   without the doubling): k from x and 2 log2 e, the reduction with ln2 / 2 gives r / 2
   exactly, and the polynomial in r / 2 with the coefficients scaled by 2^j gives each
   Horner value times 2^j, exactly (powers of two). */
static inline __attribute__((always_inline)) void kl_vn_exp2n_${nm}(kv16* x, const int N) {
  kv16 k[8], p[8];
  KL_VN_${nm}(k[v] = kv_mul(x[v], kv_set1(2.0f * 1.44269504088896341f)))
  KL_VN_${nm}(k[v] = kv_add(k[v], kv_set1(12582912.0f)))
  KL_VN_${nm}(k[v] = kv_sub(k[v], kv_set1(12582912.0f)))
  KL_VN_${nm}(x[v] = kv_fnmadd(k[v], kv_set1(0.5f * 0.693359375f), x[v]))
  KL_VN_${nm}(x[v] = kv_fnmadd(k[v], kv_set1(0.5f * -2.12194440e-4f), x[v]))
  KL_VN_${nm}(p[v] = kv_fmadd(kv_set1(128.0f * (1.0f / 5040.0f)), x[v],
                                      kv_set1(64.0f * (1.0f / 720.0f))))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(32.0f * (1.0f / 120.0f))))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(16.0f * (1.0f / 24.0f))))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(8.0f * (1.0f / 6.0f))))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(4.0f * 0.5f)))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(2.0f * 1.0f)))
  KL_VN_${nm}(p[v] = kv_fmadd(p[v], x[v], kv_set1(1.0f)))
  KL_VN_${nm}(x[v] = kv_scalef(p[v], k[v]))
}
/* 1 / d in place for d >= 1: 14-bit estimate and one Newton step. */
static inline __attribute__((always_inline)) void kl_vn_rcp_${nm}(kv16* d, const int N) {
  kv16 r[8];
  KL_VN_${nm}(r[v] = kv_rcp(d[v]))
  KL_VN_${nm}(d[v] = kv_fnmadd(d[v], r[v], kv_set1(2.0f)))
  KL_VN_${nm}(d[v] = kv_mul(r[v], d[v]))
}
static inline __attribute__((always_inline)) void kl_vn_sigmoid_${nm}(kv16* x, const int N) {
  kl_vn_expneg_${nm}(x, N);
  KL_VN_${nm}(x[v] = kv_add(kv_set1(1.0f), x[v]))
  kl_vn_rcp_${nm}(x, N);
}
/* tanh x = sign(x) (1 - t) / (1 + t), t = e^{-2|x|}; -|x| and the sign by one
   logic op each (no abs, no multiply by -2, no compare). */
static inline __attribute__((always_inline)) void kl_vn_tanh_${nm}(kv16* x, const int N) {
  kv16 t[8], d[8];
  KL_VN_${nm}(t[v] = kv_negabs(x[v]))
  KL_VN_${nm}(t[v] = kv_max(t[v], kv_set1(-43.5f)))
  kl_vn_exp2n_${nm}(t, N);
  KL_VN_${nm}(d[v] = kv_add(kv_set1(1.0f), t[v]))
  kl_vn_rcp_${nm}(d, N);
  KL_VN_${nm}(t[v] = kv_mul(kv_sub(kv_set1(1.0f), t[v]), d[v]))
  KL_VN_${nm}(x[v] = kv_signof(t[v], x[v]))
}
static inline __attribute__((always_inline)) void kl_vn_hsig_${nm}(kv16* x, const int N) {
  KL_VN_${nm}(x[v] = kv_add(kv_mul(x[v], kv_set1(0.2f)), kv_set1(0.5f)))
  KL_VN_${nm}(x[v] = kv_min(kv_max(x[v], kv_setzero()), kv_set1(1.0f)))
}
/* the layer's two activations on N vectors in place, and on one vector */
static inline __attribute__((always_inline)) void kl_vn_act_${nm}(kv16* x, const int N) { ${act} }
static inline __attribute__((always_inline)) void kl_vn_inner_${nm}(kv16* x, const int N) { ${inner} }
static inline kv16 kl_v_act_${nm}(kv16 x) { kl_vn_act_${nm}(&x, 1); return x; }
static inline kv16 kl_v_inner_${nm}(kv16 x) { kl_vn_inner_${nm}(&x, 1); return x; }
