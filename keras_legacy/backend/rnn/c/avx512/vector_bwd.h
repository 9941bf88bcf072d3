
#if defined(__AVX512F__) && !defined(KL_LSTM_NO_V16)
#include <immintrin.h>
#define KL_LSTM_V16B_${nm} 1
static inline __m512 kl_v_dact_${nm}(__m512 y) { return ${dact}; }
static inline __m512 kl_v_dinner_${nm}(__m512 y) { return ${dinner}; }
