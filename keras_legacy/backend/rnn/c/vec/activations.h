/*@@ act tanh @@*/
kl_vn_tanh_${nm}(x, N);
/*@@ act sigmoid @@*/
kl_vn_sigmoid_${nm}(x, N);
/*@@ act hard_sigmoid @@*/
kl_vn_hsig_${nm}(x, N);
/*@@ act linear @@*/
(void)x; (void)N;
/*@@ dact tanh @@*/
kv_sub(kv_set1(1.0f), kv_mul(y, y))
/*@@ dact sigmoid @@*/
kv_mul(y, kv_sub(kv_set1(1.0f), y))
/*@@ dact hard_sigmoid @@*/
kv_dhsig(y)
/*@@ dact linear @@*/
kv_set1(1.0f)
