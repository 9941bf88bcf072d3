#ifdef KL_LSTM64_${nm}
  if (Tn > 0 && n > 0 && H > 0 && kl_lstm64_fwd_${nm}(Tn, n, H, xp, bias, mask, U, h, c, G, save, hm, A, cbuf)) return;
#endif
