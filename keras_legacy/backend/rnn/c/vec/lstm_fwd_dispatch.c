
#ifdef KL_LSTM_V16_${nm}
  if (kl_lstm_fwd_v16_${nm}(Tn, n, H, xp, bias, mask, U, h, c, G, save, hm, cbuf)) return;
#endif
