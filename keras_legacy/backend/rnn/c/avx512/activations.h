/*@@ act tanh @@*/
kl_vn_tanh_${nm}(x, N);
/*@@ act sigmoid @@*/
kl_vn_sigmoid_${nm}(x, N);
/*@@ act hard_sigmoid @@*/
kl_vn_hsig_${nm}(x, N);
/*@@ act linear @@*/
(void)x; (void)N;
/*@@ dact tanh @@*/
_mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(y, y))
/*@@ dact sigmoid @@*/
_mm512_mul_ps(y, _mm512_sub_ps(_mm512_set1_ps(1.0f), y))
/*@@ dact hard_sigmoid @@*/
_mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ) & _mm512_cmp_ps_mask(y, _mm512_set1_ps(1.0f), _CMP_LT_OQ), _mm512_set1_ps(0.2f))
/*@@ dact linear @@*/
_mm512_set1_ps(1.0f)
