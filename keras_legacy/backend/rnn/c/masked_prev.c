static const rnn_t_${nm}* masked_prev_${nm}(int n, int H, const npy_int8* m,
        const rnn_t_${nm}* hprev, rnn_t_${nm}* hm) {
  int all = 1;
  for (int b = 0; b < n; ++b) all &= (m[b] != 0);
  if (all) return hprev;
  for (int b = 0; b < n; ++b) {
    if (m[b]) memcpy(hm + (size_t)b * H, hprev + (size_t)b * H, sizeof(rnn_t_${nm}) * H);
    else memset(hm + (size_t)b * H, 0, sizeof(rnn_t_${nm}) * H);
  }
  return hm;
}
