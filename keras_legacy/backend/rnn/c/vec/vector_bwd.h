
#if ${guard} && !defined(KL_LSTM_NO_V16)
${kv}#define KL_LSTM_V16B_${nm} 1
static inline kv16 kl_v_dact_${nm}(kv16 y) { return ${dact}; }
static inline kv16 kl_v_dinner_${nm}(kv16 y) { return ${dinner}; }
