
static int lstm_fwdx_${nm}(int Tn, int n, int H, int I, const rnn_t_${nm}* X, size_t sx0,
        size_t sx1, const rnn_t_${nm}* W, const rnn_t_${nm}* bias, const npy_int8* mask,
        const rnn_t_${nm}* U, rnn_t_${nm}* h, rnn_t_${nm}* c, rnn_t_${nm}* G, int save,
        rnn_t_${nm}* hm, rnn_t_${nm}* A, rnn_t_${nm}* cbuf, rnn_t_${nm}* gs) {
  typedef rnn_t_${nm} R;
#ifdef KL_LSTM_V16_${nm}
  if (kl_lstm_fwdx_v16_${nm}(Tn, n, H, I, X, sx0, sx1, W, bias, mask, U, h, c, G, save, hm, cbuf)) return 1;
#endif
  int H4 = 4 * H, ld = n > 1 ? (int)sx1 : I; char NN = 'N'; R one = 1, zero = 0;
  R* xp = (R*)malloc(sizeof(R) * ((size_t)Tn * n * H4 + 1));
  if (!xp) return 0;
  for (int t = 0; t < Tn; ++t)
    RNN_GEMM_${nm}(&NN, &NN, &H4, &n, &I, &one, W, &H4, X + (size_t)t * sx0, &ld, &zero,
                    xp + (size_t)t * n * H4, &H4);
  lstm_fwd_${nm}(Tn, n, H, xp, bias, mask, U, h, c, G, save, hm, A, cbuf, gs);
  free(xp);
  return 1;
}
