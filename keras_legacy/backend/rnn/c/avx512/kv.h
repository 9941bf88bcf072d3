/* The 16-float vector of the kernels in c/vec/ (kv16, kvmask, kv_*) on AVX-512F: one zmm
   register, every operation one intrinsic. */
/*@@ guard @@*/
defined(__AVX512F__)
/*@@ kv @@*/
#include <immintrin.h>
#ifndef KL_KV_DEFINED
#define KL_KV_DEFINED 1
typedef __m512 kv16;
typedef __mmask16 kvmask;
#define kv_set1 _mm512_set1_ps
#define kv_setzero _mm512_setzero_ps
#define kv_add _mm512_add_ps
#define kv_sub _mm512_sub_ps
#define kv_mul _mm512_mul_ps
#define kv_min _mm512_min_ps
#define kv_max _mm512_max_ps
#define kv_fmadd _mm512_fmadd_ps
#define kv_fnmadd _mm512_fnmadd_ps
#define kv_load _mm512_load_ps
#define kv_store _mm512_store_ps
#define kv_maskz_loadu _mm512_maskz_loadu_ps
#define kv_mask_storeu _mm512_mask_storeu_ps
#define kv_scalef _mm512_scalef_ps
/* 14-bit estimate of 1 / d */
#define kv_rcp _mm512_rcp14_ps
/* -|x|: the sign bit set */
static inline __attribute__((always_inline)) kv16 kv_negabs(kv16 x) {
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_set1_epi32((int)0x80000000u), _mm512_castps_si512(x)));
}
/* t (>= 0) with the sign of x: t ^ (x & sign bit) */
static inline __attribute__((always_inline)) kv16 kv_signof(kv16 t, kv16 x) {
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(t), _mm512_castps_si512(x),
                                                       _mm512_set1_epi32((int)0x80000000u), 0x78));
}
/* hard_sigmoid's derivative from its output: 0.2 where 0 < y < 1, else 0 */
static inline __attribute__((always_inline)) kv16 kv_dhsig(kv16 y) {
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ)
                             & _mm512_cmp_ps_mask(y, _mm512_set1_ps(1.0f), _CMP_LT_OQ), _mm512_set1_ps(0.2f));
}
#define KV_PREFETCH_T1(p) _mm_prefetch((p), _MM_HINT_T1)
#define KV_PREFETCH_ET1(p) _mm_prefetch((p), _MM_HINT_ET1)
#define KV_PAUSE() _mm_pause()
#endif
