
#ifdef KL_LSTM_V16_${nm}
  if (Tn > 0 && n > 0 && H > 0 && kl_gru_fwd_v16_${nm}(Tn, n, H, xp, bias, mask, U, h, G, save, hm)) return;
#endif
