/* The 16-float vector of the kernels in c/vec/ (kv16, kvmask, kv_*) on AVX2 + FMA: two ymm
   registers; a mask is the 16-bit lane set, turned into two lane masks for the masked loads
   and stores.  The same formulas as AVX-512; the reciprocal estimate has 12 bits (rcp_ps)
   where AVX-512's has 14, the Newton step after it brings either to ~1 ulp. */
/*@@ guard @@*/
defined(__AVX2__) && defined(__FMA__)
/*@@ kv @@*/
#include <immintrin.h>
#ifndef KL_KV_DEFINED
#define KL_KV_DEFINED 1
typedef struct { __m256 lo, hi; } kv16;
typedef unsigned short kvmask;
#define KV_AI static inline __attribute__((always_inline))
KV_AI kv16 kv_pair(__m256 lo, __m256 hi) { kv16 r; r.lo = lo; r.hi = hi; return r; }
KV_AI kv16 kv_set1(float x) { const __m256 v = _mm256_set1_ps(x); return kv_pair(v, v); }
KV_AI kv16 kv_setzero(void) { const __m256 v = _mm256_setzero_ps(); return kv_pair(v, v); }
#define KV_BIN(name, op) KV_AI kv16 name(kv16 a, kv16 b) { return kv_pair(op(a.lo, b.lo), op(a.hi, b.hi)); }
KV_BIN(kv_add, _mm256_add_ps)
KV_BIN(kv_sub, _mm256_sub_ps)
KV_BIN(kv_mul, _mm256_mul_ps)
KV_BIN(kv_min, _mm256_min_ps)
KV_BIN(kv_max, _mm256_max_ps)
/* a b + c and c - a b, one rounding each */
KV_AI kv16 kv_fmadd(kv16 a, kv16 b, kv16 c) {
  return kv_pair(_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi));
}
KV_AI kv16 kv_fnmadd(kv16 a, kv16 b, kv16 c) {
  return kv_pair(_mm256_fnmadd_ps(a.lo, b.lo, c.lo), _mm256_fnmadd_ps(a.hi, b.hi, c.hi));
}
/* p 32-byte aligned (the kernels' buffers are 64-byte aligned, 16-float offsets) */
KV_AI kv16 kv_load(const float* p) { return kv_pair(_mm256_load_ps(p), _mm256_load_ps(p + 8)); }
KV_AI void kv_store(float* p, kv16 v) { _mm256_store_ps(p, v.lo); _mm256_store_ps(p + 8, v.hi); }
/* lanes of m as two lane masks (all bits set where the lane is in m) */
KV_AI void kv_lanes(kvmask m, __m256i* lo, __m256i* hi) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  *lo = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(m & 0xFF), bit), bit);
  *hi = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(m >> 8), bit), bit);
}
/* lanes outside m read as 0 and are never touched in memory */
KV_AI kv16 kv_maskz_loadu(kvmask m, const float* p) {
  if (m == 0xFFFF) return kv_pair(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
  __m256i lo, hi;
  kv_lanes(m, &lo, &hi);
  return kv_pair(_mm256_maskload_ps(p, lo), _mm256_maskload_ps(p + 8, hi));
}
KV_AI void kv_mask_storeu(float* p, kvmask m, kv16 v) {
  if (m == 0xFFFF) { _mm256_storeu_ps(p, v.lo); _mm256_storeu_ps(p + 8, v.hi); return; }
  __m256i lo, hi;
  kv_lanes(m, &lo, &hi);
  _mm256_maskstore_ps(p, lo, v.lo);
  _mm256_maskstore_ps(p + 8, hi, v.hi);
}
/* p 2^k for integral k in [-126, 127] (the exp's range): the power of two built from its
   exponent bits, one exact-or-once-rounded product as AVX-512's scalef */
KV_AI __m256 kv_scalef8(__m256 p, __m256 k) {
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
KV_AI kv16 kv_scalef(kv16 p, kv16 k) { return kv_pair(kv_scalef8(p.lo, k.lo), kv_scalef8(p.hi, k.hi)); }
/* 12-bit estimate of 1 / d */
KV_AI kv16 kv_rcp(kv16 d) { return kv_pair(_mm256_rcp_ps(d.lo), _mm256_rcp_ps(d.hi)); }
/* -|x|: the sign bit set */
KV_AI kv16 kv_negabs(kv16 x) {
  const __m256 s = _mm256_set1_ps(-0.0f);
  return kv_pair(_mm256_or_ps(x.lo, s), _mm256_or_ps(x.hi, s));
}
/* t (>= 0) with the sign of x */
KV_AI kv16 kv_signof(kv16 t, kv16 x) {
  const __m256 s = _mm256_set1_ps(-0.0f);
  return kv_pair(_mm256_xor_ps(t.lo, _mm256_and_ps(x.lo, s)), _mm256_xor_ps(t.hi, _mm256_and_ps(x.hi, s)));
}
/* hard_sigmoid's derivative from its output: 0.2 where 0 < y < 1, else 0 */
KV_AI __m256 kv_dhsig8(__m256 y) {
  const __m256 in = _mm256_and_ps(_mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ),
                                  _mm256_cmp_ps(y, _mm256_set1_ps(1.0f), _CMP_LT_OQ));
  return _mm256_and_ps(in, _mm256_set1_ps(0.2f));
}
KV_AI kv16 kv_dhsig(kv16 y) { return kv_pair(kv_dhsig8(y.lo), kv_dhsig8(y.hi)); }
#define KV_PREFETCH_T1(p) _mm_prefetch((p), _MM_HINT_T1)
#define KV_PREFETCH_ET1(p) __builtin_prefetch((p), 1, 2)
#define KV_PAUSE() _mm_pause()
#endif
