
${masked_prev}
/* One row of step t's first half: g[0:2H] = inner((x.W + b) + h~.U_zr) (the original's
   order; bb NULL: no bias), then r * h~ into rb.  Out of line, as the backward rows. */
__attribute__((noinline)) static void gru_zr_row_${nm}(int H, rnn_t_${nm}* __restrict g,
        const rnn_t_${nm}* __restrict xa, const rnn_t_${nm}* __restrict bb,
        const rnn_t_${nm}* __restrict a, const rnn_t_${nm}* __restrict hb, rnn_t_${nm}* __restrict rb) {
  const int H2 = 2 * H;
  if (bb) {
    for (int k = 0; k < H2; ++k) g[k] = (xa[k] + bb[k]) + a[k];
  } else {
    for (int k = 0; k < H2; ++k) g[k] = xa[k] + a[k];
  }
  inner_${nm}(g, g, H2);
  for (int j = 0; j < H; ++j) rb[j] = g[H + j] * hb[j];
}

/* One row of step t's second half (xa, bb, a: the h columns): g[2H:3H] = act((x.W + b) +
   (r * h~).U_h), then h = z h~ + (1 - z) h~' into ht. */
__attribute__((noinline)) static void gru_h_row_${nm}(int H, rnn_t_${nm}* __restrict g,
        const rnn_t_${nm}* __restrict xa, const rnn_t_${nm}* __restrict bb,
        const rnn_t_${nm}* __restrict a, const rnn_t_${nm}* __restrict hb, rnn_t_${nm}* __restrict ht) {
  typedef rnn_t_${nm} R;
  const int H2 = 2 * H;
  if (bb) {
    for (int j = 0; j < H; ++j) g[H2 + j] = (xa[j] + bb[j]) + a[j];
  } else {
    for (int j = 0; j < H; ++j) g[H2 + j] = xa[j] + a[j];
  }
  act_${nm}(g + H2, g + H2, H);
  for (int j = 0; j < H; ++j) ht[j] = g[j] * hb[j] + ((R)1 - g[j]) * g[H2 + j];
}
${v16}
/* save == 0 (forward only): G is unused, the gates of one step live in gs (n*3H). */
static void gru_fwd_${nm}(int Tn, int n, int H, const rnn_t_${nm}* xp,
        const rnn_t_${nm}* bias, const npy_int8* mask, const rnn_t_${nm}* U, rnn_t_${nm}* h, rnn_t_${nm}* G, int save,
        rnn_t_${nm}* hm, rnn_t_${nm}* rh, rnn_t_${nm}* A, rnn_t_${nm}* gs) {
${v16_dispatch}  typedef rnn_t_${nm} R;
  int H3 = 3 * H, H2 = 2 * H; char NN = 'N'; R one = 1, zero = 0;
  memset(A, 0, sizeof(R) * (size_t)n * H3);
  memset(hm, 0, sizeof(R) * (size_t)n * H);
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* m = mask + (size_t)t * n;
    const R* hprev = t ? h + (size_t)(t - 1) * n * H : NULL;
    const R* xt = xp + (size_t)t * n * H3;
    R* Gt = save ? G + (size_t)t * n * H3 : gs;
    const R* hs = hprev ? masked_prev_${nm}(n, H, m, hprev, hm) : hm;
    if (hprev) RNN_GEMM_${nm}(&NN, &NN, &H2, &n, &H, &one, U, &H3, hs, &H, &zero, A, &H3);
    for (int b = 0; b < n; ++b)
      gru_zr_row_${nm}(H, Gt + (size_t)b * H3, xt + (size_t)b * H3, bias, A + (size_t)b * H3,
                       hs + (size_t)b * H, rh + (size_t)b * H);
    if (hprev) RNN_GEMM_${nm}(&NN, &NN, &H, &n, &H, &one, U + H2, &H3, rh, &H, &zero, A + H2, &H3);
    for (int b = 0; b < n; ++b)
      gru_h_row_${nm}(H, Gt + (size_t)b * H3, xt + (size_t)b * H3 + H2, bias ? bias + H2 : NULL,
                      A + (size_t)b * H3 + H2, hs + (size_t)b * H, h + ((size_t)t * n + b) * H);
  }
}

__attribute__((noinline)) static void gru_bwd_row1_${nm}(int H, const rnn_t_${nm}* __restrict g,
        const rnn_t_${nm}* __restrict hp, const rnn_t_${nm}* __restrict dht,
        rnn_t_${nm}* __restrict da, rnn_t_${nm}* __restrict dmb, const rnn_t_${nm}* __restrict dnb) {
  typedef rnn_t_${nm} R;
  const int H2 = 2 * H;
  for (int j = 0; j < H; ++j) {
    R z = g[j], hh = g[H2 + j], hmj = hp[j];
    R dhj = dht[j] + dnb[j];
    da[j] = dhj * (hmj - hh) * dinner_${nm}(z);
    da[H2 + j] = dhj * ((R)1 - z) * dact_${nm}(hh);
    dmb[j] = dhj * z;
  }
}

__attribute__((noinline)) static void gru_bwd_row2_${nm}(int H, const rnn_t_${nm}* __restrict g,
        const rnn_t_${nm}* __restrict hp, const rnn_t_${nm}* __restrict db,
        rnn_t_${nm}* __restrict da, rnn_t_${nm}* __restrict dmb) {
  typedef rnn_t_${nm} R;
  for (int j = 0; j < H; ++j) {
    R hmj = hp[j];
    da[H + j] = db[j] * hmj * dinner_${nm}(g[H + j]);
    dmb[j] += db[j] * g[H + j];
  }
}

static void gru_bwd_${nm}(int Tn, int n, int H, int stop, const npy_int8* mask,
        const rnn_t_${nm}* U, const rnn_t_${nm}* h, const rnn_t_${nm}* G,
        const rnn_t_${nm}* dh, rnn_t_${nm}* dA, rnn_t_${nm}* dhn, rnn_t_${nm}* dhm,
        rnn_t_${nm}* drh, rnn_t_${nm}* zrow) {
${v16_bwd_dispatch}  typedef rnn_t_${nm} R;
  int H3 = 3 * H, H2 = 2 * H; char TT = 'T', NN = 'N'; R one = 1, zero = 0;
  if (stop > 0) memset(dA, 0, sizeof(R) * (size_t)stop * n * H3);
  memset(dhn, 0, sizeof(R) * (size_t)n * H);
  memset(zrow, 0, sizeof(R) * H);
  for (int t = Tn - 1; t >= stop; --t) {
    const npy_int8* m = mask + (size_t)t * n;
    R* dAt = dA + (size_t)t * n * H3;
    for (int b = 0; b < n; ++b) {
      const R* __restrict g = G + ((size_t)t * n + b) * H3;
      const R* __restrict hp = (t > 0 && m[b]) ? h + ((size_t)(t - 1) * n + b) * H : zrow;
      const R* __restrict dht = dh + ((size_t)t * n + b) * H;
      R* __restrict da = dAt + (size_t)b * H3;
      R* __restrict dmb = dhm + (size_t)b * H;
      const R* __restrict dnb = dhn + (size_t)b * H;
      gru_bwd_row1_${nm}(H, g, hp, dht, da, dmb, dnb);
    }
    /* r only acts through r * h~, and h~ = 0 at t = 0: its gradient is 0 there. */
    if (t == 0) {
      for (int b = 0; b < n; ++b) memset(dAt + (size_t)b * H3 + H, 0, sizeof(R) * H);
      continue;
    }
    /* d(r * h~) = dA_h . U_h^T */
    RNN_GEMM_${nm}(&TT, &NN, &H, &n, &H, &one, U + H2, &H3, dAt + H2, &H3, &zero, drh, &H);
    for (int b = 0; b < n; ++b) {
      const R* __restrict g = G + ((size_t)t * n + b) * H3;
      const R* __restrict hp = m[b] ? h + ((size_t)(t - 1) * n + b) * H : zrow;
      const R* __restrict db = drh + (size_t)b * H;
      R* __restrict da = dAt + (size_t)b * H3;
      R* __restrict dmb = dhm + (size_t)b * H;
      gru_bwd_row2_${nm}(H, g, hp, db, da, dmb);
    }
    if (t > stop) {
      RNN_GEMM_${nm}(&TT, &NN, &H, &n, &H2, &one, U, &H3, dAt, &H3, &one, dhm, &H);
      for (int b = 0; b < n; ++b) {
        if (m[b]) memcpy(dhn + (size_t)b * H, dhm + (size_t)b * H, sizeof(R) * H);
        else memset(dhn + (size_t)b * H, 0, sizeof(R) * H);
      }
    }
  }
}
