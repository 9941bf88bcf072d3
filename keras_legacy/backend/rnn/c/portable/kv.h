/* The 16-float vector of the kernels in c/vec/ (kv16, kvmask, kv_*) in plain C with GCC
   vector extensions (gcc and clang): the compiler maps it onto whatever vector unit it
   targets (NEON on ARM, SSE/AVX on x86).  The same formulas as AVX-512; the reciprocal is
   an exact division, a * b + c two roundings (within the kernels' 1e-5); the tile product
   fuses where the target has an FMA. */
/*@@ guard @@*/
1
/*@@ kv @@*/
#ifndef KL_KV_DEFINED
#define KL_KV_DEFINED 1
typedef float kv16 __attribute__((vector_size(64)));
typedef int kv16i __attribute__((vector_size(64)));
typedef unsigned short kvmask;
#define KV_AI static inline __attribute__((always_inline))
KV_AI kv16 kv_set1(float x) {
  kv16 r;
  for (int i = 0; i < 16; ++i) r[i] = x;
  return r;
}
KV_AI kv16i kv_set1i(int x) {
  kv16i r;
  for (int i = 0; i < 16; ++i) r[i] = x;
  return r;
}
KV_AI kv16 kv_setzero(void) { return kv_set1(0.0f); }
KV_AI kv16 kv_add(kv16 a, kv16 b) { return a + b; }
KV_AI kv16 kv_sub(kv16 a, kv16 b) { return a - b; }
KV_AI kv16 kv_mul(kv16 a, kv16 b) { return a * b; }
KV_AI kv16 kv_min(kv16 a, kv16 b) { return a < b ? a : b; }
KV_AI kv16 kv_max(kv16 a, kv16 b) { return a > b ? a : b; }
/* a b + c and c - a b in two roundings: the module is built with -ffp-contract=off, so the
   compiler fuses no product and sum (a fusion it chose differently in two specialisations of
   the same code would give different bits for the same row, e.g. on 1 and 2 threads).  The
   tile product (mm.h) fuses explicitly where the target has an FMA (KV_FUSED). */
KV_AI kv16 kv_fmadd(kv16 a, kv16 b, kv16 c) { return a * b + c; }
KV_AI kv16 kv_fnmadd(kv16 a, kv16 b, kv16 c) { return c - a * b; }
/* __FP_FAST_FMAF: the target has a fused multiply-add (x86 with FMA, ARMv8, ...) */
#if defined(__FP_FAST_FMAF)
#define KV_FUSED 1
#else
#define KV_FUSED 0
#endif
KV_AI kv16 kv_load(const float* p) {
  kv16 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
KV_AI void kv_store(float* p, kv16 v) { __builtin_memcpy(p, &v, sizeof(v)); }
/* lanes outside m read as 0 and are never touched in memory */
KV_AI kv16 kv_maskz_loadu(kvmask m, const float* p) {
  if (m == 0xFFFF) return kv_load(p);
  kv16 r = kv_setzero();
  for (int i = 0; i < 16; ++i)
    if ((m >> i) & 1) r[i] = p[i];
  return r;
}
KV_AI void kv_mask_storeu(float* p, kvmask m, kv16 v) {
  if (m == 0xFFFF) { kv_store(p, v); return; }
  for (int i = 0; i < 16; ++i)
    if ((m >> i) & 1) p[i] = v[i];
}
/* p 2^k for integral k in [-126, 127] (the exp's range): the power of two from its exponent bits */
KV_AI kv16 kv_scalef(kv16 p, kv16 k) {
  const kv16i e = (__builtin_convertvector(k, kv16i) + kv_set1i(127)) << kv_set1i(23);
  return p * (kv16)e;
}
/* 1 / d, exactly rounded (the Newton step after it changes nothing) */
KV_AI kv16 kv_rcp(kv16 d) { return kv_set1(1.0f) / d; }
/* -|x|: the sign bit set */
KV_AI kv16 kv_negabs(kv16 x) { return (kv16)((kv16i)x | kv_set1i((int)0x80000000u)); }
/* t (>= 0) with the sign of x */
KV_AI kv16 kv_signof(kv16 t, kv16 x) { return (kv16)((kv16i)t ^ ((kv16i)x & kv_set1i((int)0x80000000u))); }
/* hard_sigmoid's derivative from its output: 0.2 where 0 < y < 1, else 0 */
KV_AI kv16 kv_dhsig(kv16 y) {
  const kv16i in = (y > kv_setzero()) & (y < kv_set1(1.0f));
  return (kv16)(in & (kv16i)kv_set1(0.2f));
}
#define KV_PREFETCH_T1(p) __builtin_prefetch((p), 0, 2)
#define KV_PREFETCH_ET1(p) __builtin_prefetch((p), 1, 2)
#if defined(__x86_64__) || defined(__i386__)
#define KV_PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define KV_PAUSE() __asm__ __volatile__("yield")
#else
#define KV_PAUSE() ((void)0)
#endif
#endif
