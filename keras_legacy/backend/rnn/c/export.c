/* A standalone shared library of the fused Ops' recurrences (backend/rnn/clib.py builds it
   for PyTensor's Numba backend): the headers the C Ops get from PyTensor's module, then per
   kernel the Op's own support code (node name ${nm}) and an exported entry taking plain
   pointers; the caller allocates the outputs, the entry its scratch (as ops.c does).
   Each entry returns 1, or 0 when its scratch could not be allocated. */
/*@@ prelude @@*/
#include <stdlib.h>
#include <string.h>
#include <math.h>
typedef signed char npy_int8;
#ifdef __cplusplus
#define KL_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define KL_EXPORT __attribute__((visibility("default")))
#endif
/*@@ lstm_forward @@*/
KL_EXPORT int ${sym}(int Tn, int n, int H, const rnn_t_${nm}* xp, const rnn_t_${nm}* bias,
        const npy_int8* mask, const rnn_t_${nm}* U, rnn_t_${nm}* h, rnn_t_${nm}* c, rnn_t_${nm}* G, int save) {
  rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * 7 + 5 * (size_t)H + 1));
  if (!scratch) return 0;
  lstm_fwd_${nm}(Tn, n, H, xp, bias, mask, U, h, c, G, save, scratch, scratch + (size_t)n * H,
                 scratch + (size_t)n * H * 5, scratch + (size_t)n * H * 7);
  free(scratch);
  return 1;
}
/*@@ lstm_forwardx @@*/
KL_EXPORT int ${sym}(int Tn, int n, int H, int I, const rnn_t_${nm}* X, long sx0, long sx1,
        const rnn_t_${nm}* W, const rnn_t_${nm}* bias, const npy_int8* mask, const rnn_t_${nm}* U,
        rnn_t_${nm}* h, rnn_t_${nm}* c, rnn_t_${nm}* G, int save) {
  rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * 7 + 5 * (size_t)H + 1));
  if (!scratch) return 0;
  int ok = lstm_fwdx_${nm}(Tn, n, H, I, X, (size_t)sx0, (size_t)sx1, W, bias, mask, U, h, c, G, save,
                           scratch, scratch + (size_t)n * H, scratch + (size_t)n * H * 5,
                           scratch + (size_t)n * H * 7);
  free(scratch);
  return ok;
}
/*@@ gru_forward @@*/
KL_EXPORT int ${sym}(int Tn, int n, int H, const rnn_t_${nm}* xp, const rnn_t_${nm}* bias,
        const npy_int8* mask, const rnn_t_${nm}* U, rnn_t_${nm}* h, rnn_t_${nm}* G, int save) {
  rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * 8 + 1));
  if (!scratch) return 0;
  gru_fwd_${nm}(Tn, n, H, xp, bias, mask, U, h, G, save, scratch, scratch + (size_t)n * H,
                scratch + (size_t)n * H * 2, scratch + (size_t)n * H * 5);
  free(scratch);
  return 1;
}
/*@@ lstm_grad @@*/
KL_EXPORT int ${sym}(int Tn, int n, int H, int stop, const npy_int8* mask, const rnn_t_${nm}* U,
        const rnn_t_${nm}* c, const rnn_t_${nm}* G, const rnn_t_${nm}* dh, rnn_t_${nm}* dA) {
  rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * 2 + H + 1));
  if (!scratch) return 0;
  lstm_bwd_${nm}(Tn, n, H, stop, mask, U, c, G, dh, dA, scratch, scratch + (size_t)n * H,
                 scratch + (size_t)n * H * 2);
  free(scratch);
  return 1;
}
/*@@ gru_grad @@*/
KL_EXPORT int ${sym}(int Tn, int n, int H, int stop, const npy_int8* mask, const rnn_t_${nm}* U,
        const rnn_t_${nm}* h, const rnn_t_${nm}* G, const rnn_t_${nm}* dh, rnn_t_${nm}* dA) {
  rnn_t_${nm}* scratch = (rnn_t_${nm}*)malloc(sizeof(rnn_t_${nm}) * ((size_t)n * H * 3 + H + 1));
  if (!scratch) return 0;
  gru_bwd_${nm}(Tn, n, H, stop, mask, U, h, G, dh, dA, scratch, scratch + (size_t)n * H,
                scratch + (size_t)n * H * 2, scratch + (size_t)n * H * 3);
  free(scratch);
  return 1;
}
