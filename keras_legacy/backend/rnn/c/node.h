/* The C type and the GEMM of a node (the BLAS routine, or the plain-C one of noblas_gemm.h). */
/*@@ types @@*/
typedef ${T} rnn_t_${nm};
#define RNN_GEMM_${nm} ${gemm}
