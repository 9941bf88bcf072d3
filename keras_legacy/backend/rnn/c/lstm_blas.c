
/* Rows of the state entering step t: h[t-1] itself when no row is masked,
   else a copy into hm with the masked rows zeroed. */
${masked_prev}
/* One row of step t: g[0:4H] = (x.W + b) + h~.U (the original's order; bb NULL: no bias),
   i, f, o = inner(.), c~ = act(.), c = f c_prev + i c~ into ct (cp NULL: c_prev taken as 0,
   as a masked or first step does), act(c) into g[4H:5H], h = o act(c) into ht.  Out of
   line, as the backward rows. */
__attribute__((noinline)) static void lstm_fwd_row_${nm}(int H, rnn_t_${nm}* __restrict g,
        const rnn_t_${nm}* __restrict xa, const rnn_t_${nm}* __restrict bb,
        const rnn_t_${nm}* __restrict a, const rnn_t_${nm}* __restrict cp,
        rnn_t_${nm}* __restrict ct, rnn_t_${nm}* __restrict ht) {
  typedef rnn_t_${nm} R;
  const int H4 = 4 * H;
  if (bb) {
    for (int k = 0; k < H4; ++k) g[k] = (xa[k] + bb[k]) + a[k];
  } else {
    for (int k = 0; k < H4; ++k) g[k] = xa[k] + a[k];
  }
  inner_${nm}(g, g, 3 * H);
  act_${nm}(g + 3 * H, g + 3 * H, H);
  if (cp) {
    for (int j = 0; j < H; ++j) ct[j] = g[H + j] * cp[j] + g[j] * g[3 * H + j];
  } else {
    for (int j = 0; j < H; ++j) ct[j] = g[H + j] * (R)0 + g[j] * g[3 * H + j];
  }
  act_${nm}(ct, g + 4 * H, H);
  for (int j = 0; j < H; ++j) ht[j] = g[2 * H + j] * g[4 * H + j];
}
${v16}
/* save != 0: c and G get every step (for the gradient); save == 0 (forward
   only): c and G are unused, the cell state lives in cbuf (2 rows of n*H) and
   the gates of one row in gs (5H). */
static void lstm_fwd_${nm}(int Tn, int n, int H, const rnn_t_${nm}* xp,
        const rnn_t_${nm}* bias, const npy_int8* mask, const rnn_t_${nm}* U, rnn_t_${nm}* h, rnn_t_${nm}* c, rnn_t_${nm}* G, int save,
        rnn_t_${nm}* hm, rnn_t_${nm}* A, rnn_t_${nm}* cbuf, rnn_t_${nm}* gs) {
${v16_dispatch}  typedef rnn_t_${nm} R;
  int H4 = 4 * H; const int H5 = 5 * H; char NN = 'N'; R one = 1, zero = 0;
  memset(A, 0, sizeof(R) * (size_t)n * H4);
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* m = mask + (size_t)t * n;
    const R* hprev = t ? h + (size_t)(t - 1) * n * H : NULL;
    R* cstep = save ? c + (size_t)t * n * H : cbuf + (size_t)(t & 1) * n * H;
    const R* cprev = !t ? NULL : (save ? c + (size_t)(t - 1) * n * H : cbuf + (size_t)((t - 1) & 1) * n * H);
    const R* xt = xp + (size_t)t * n * H4;
    if (hprev) {
      const R* hs = masked_prev_${nm}(n, H, m, hprev, hm);
      RNN_GEMM_${nm}(&NN, &NN, &H4, &n, &H, &one, U, &H4, hs, &H, &zero, A, &H4);
    }
    for (int b = 0; b < n; ++b)
      lstm_fwd_row_${nm}(H, save ? G + ((size_t)t * n + b) * H5 : gs, xt + (size_t)b * H4, bias,
                         A + (size_t)b * H4, cprev && m[b] ? cprev + (size_t)b * H : NULL,
                         cstep + (size_t)b * H, h + ((size_t)t * n + b) * H);
  }
}

/* One row of the backward step (kept out of line: gcc vectorises it here,
   not when inlined in the loop nest). */
__attribute__((noinline)) static void lstm_bwd_row_${nm}(int H, const rnn_t_${nm}* __restrict g,
        const rnn_t_${nm}* __restrict dht, rnn_t_${nm}* __restrict da,
        const rnn_t_${nm}* __restrict dhb, rnn_t_${nm}* __restrict dcb,
        const rnn_t_${nm}* __restrict cp) {
  typedef rnn_t_${nm} R;
  for (int j = 0; j < H; ++j) {
    R i = g[j], f = g[H + j], o = g[2 * H + j], gg = g[3 * H + j], tc = g[4 * H + j];
    R dhj = dht[j] + dhb[j];
    R dc = dcb[j] + dhj * o * dact_${nm}(tc);
    R cm = cp[j];
    da[j] = dc * gg * dinner_${nm}(i);
    da[H + j] = dc * cm * dinner_${nm}(f);
    da[2 * H + j] = dhj * tc * dinner_${nm}(o);
    da[3 * H + j] = dc * i * dact_${nm}(gg);
    dcb[j] = dc * f;
  }
}

static void lstm_bwd_${nm}(int Tn, int n, int H, int stop, const npy_int8* mask,
        const rnn_t_${nm}* U, const rnn_t_${nm}* c, const rnn_t_${nm}* G,
        const rnn_t_${nm}* dh, rnn_t_${nm}* dA, rnn_t_${nm}* dhn, rnn_t_${nm}* dcn,
        rnn_t_${nm}* zrow) {
${v16_bwd_dispatch}  typedef rnn_t_${nm} R;
  int H4 = 4 * H; const int H5 = 5 * H; char TT = 'T', NN = 'N'; R one = 1, zero = 0;
  if (stop > 0) memset(dA, 0, sizeof(R) * (size_t)stop * n * H4);
  memset(dhn, 0, sizeof(R) * (size_t)n * H);
  memset(dcn, 0, sizeof(R) * (size_t)n * H);
  memset(zrow, 0, sizeof(R) * H);
  for (int t = Tn - 1; t >= stop; --t) {
    const npy_int8* m = mask + (size_t)t * n;
    for (int b = 0; b < n; ++b) {
      const R* __restrict g = G + ((size_t)t * n + b) * H5;
      const R* __restrict dht = dh + ((size_t)t * n + b) * H;
      R* __restrict da = dA + ((size_t)t * n + b) * H4;
      const R* __restrict dhb = dhn + (size_t)b * H;
      R* __restrict dcb = dcn + (size_t)b * H;
      const R* __restrict cp = (t > 0 && m[b]) ? c + ((size_t)(t - 1) * n + b) * H : zrow;
      lstm_bwd_row_${nm}(H, g, dht, da, dhb, dcb, cp);
      if (!m[b]) memset(dcb, 0, sizeof(R) * H);
    }
    if (t > stop) {
      /* dh~ = dA_t . U^T, then masked: the state entering step t. */
      RNN_GEMM_${nm}(&TT, &NN, &H, &n, &H4, &one, U, &H4, dA + (size_t)t * n * H4, &H4,
                      &zero, dhn, &H);
      for (int b = 0; b < n; ++b)
        if (!m[b]) memset(dhn + (size_t)b * H, 0, sizeof(R) * H);
    }
  }
}
