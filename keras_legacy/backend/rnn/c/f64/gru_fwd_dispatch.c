#ifdef KL_GRU64_${nm}
  if (Tn > 0 && n > 0 && H > 0 && kl_gru64_fwd_${nm}(Tn, n, H, xp, bias, mask, U, h, G, save, hm, rh, A, gs)) return;
#endif
