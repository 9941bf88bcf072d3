#ifdef KL_LSTM_V16B_${nm}
  /* H <= 32: the 64-unit panels would be half padding; BLAS is as fast there */
  if (H > 32 && kl_gru_bwd_v16_${nm}(Tn, n, H, stop, mask, U, h, G, dh, dA, dhn, dhm)) return;
#endif
