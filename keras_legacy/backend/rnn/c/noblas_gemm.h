
#define KL_DEFINE_GEMM(NAME, R)                                                        \
static void NAME(const char* ta, const char* tb, const int* M, const int* N,           \
        const int* K, const R* alpha, const R* A, const int* lda, const R* B,          \
        const int* ldb, const R* beta, R* C, const int* ldc) {                         \
  (void)tb;                                                                            \
  for (int j = 0; j < *N; ++j) {                                                       \
    R* __restrict cj = C + (size_t)j * *ldc;                                           \
    const R* __restrict bj = B + (size_t)j * *ldb;                                     \
    if (*beta == 0) memset(cj, 0, sizeof(R) * *M);                                     \
    else if (*beta != 1) for (int i = 0; i < *M; ++i) cj[i] *= *beta;                  \
    if (*ta == 'N') {                                                                  \
      for (int l = 0; l < *K; ++l) {                                                   \
        const R* __restrict al = A + (size_t)l * *lda; R s = *alpha * bj[l];           \
        for (int i = 0; i < *M; ++i) cj[i] += al[i] * s;                               \
      }                                                                                \
    } else {                                                                           \
      for (int i = 0; i < *M; ++i) {                                                   \
        const R* __restrict ai = A + (size_t)i * *lda; R s = 0;                        \
        for (int l = 0; l < *K; ++l) s += ai[l] * bj[l];                               \
        cj[i] += *alpha * s;                                                           \
      }                                                                                \
    }                                                                                  \
  }                                                                                    \
}
KL_DEFINE_GEMM(kl_sgemm_noblas, float)
KL_DEFINE_GEMM(kl_dgemm_noblas, double)
