
/* The cell update of RB rows x 16 units (um: the valid units) from the product in buf. */
__attribute__((noinline)) static void kl_lstm_cell_${nm}(int RB, int H, kvmask um,
        const float* __restrict xa, int xrs, int xqs, const float* __restrict bias, const npy_int8* m, int first,
        const float* __restrict cprev, float* __restrict ct, float* __restrict ht,
        float* __restrict g, const float* __restrict buf) {
  const int H5 = 5 * H;
  /* two rows at a time (one row for an odd last one): the activations of their gates
     side by side (kl_vn_*), each element computed exactly as alone */
  for (int r = 0; r < RB; r += 2) {
    const int two = r + 1 < RB;
    kv16 s[6], a[2], cc[2];
#pragma GCC unroll 2
    for (int e = 0; e < 2; ++e) {
      const float* xr = xa + (size_t)(r + e) * xrs;
      const float* br = buf + (r + e) * 64;
      kv16 pre[4];
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) {
        /* the original's order: (x.W + b) + h~.U (a lone row: its partner's lanes are 0) */
        kv16 v = kv_maskz_loadu(e && !two ? 0 : um, xr + q * xqs);
        if (bias) v = kv_add(v, kv_maskz_loadu(um, bias + q * H));
        pre[q] = kv_add(v, e && !two ? kv_setzero() : kv_load(br + q * 16));
      }
      s[3 * e] = pre[0]; s[3 * e + 1] = pre[1]; s[3 * e + 2] = pre[2]; a[e] = pre[3];
    }
    kl_vn_inner_${nm}(s, 6);
    kl_vn_act_${nm}(a, 2);
#pragma GCC unroll 2
    for (int e = 0; e < 2; ++e) {
      const int use = (!first && m[r + (e && two)]);
      kv16 cp = use ? kv_maskz_loadu(e && !two ? 0 : um, cprev + (size_t)(r + e) * H) : kv_setzero();
      cc[e] = kv_fmadd(s[3 * e + 1], cp, kv_mul(s[3 * e], a[e]));
    }
    kv16 tc[2] = {cc[0], cc[1]};
    kl_vn_act_${nm}(tc, 2);
#pragma GCC unroll 2
    for (int e = 0; e < 1 + two; ++e) {
      kv_mask_storeu(ct + (size_t)(r + e) * H, um, cc[e]);
      kv_mask_storeu(ht + (size_t)(r + e) * H, um, kv_mul(s[3 * e + 2], tc[e]));
      if (g) {
        float* gr = g + (size_t)(r + e) * H5;
        kv_mask_storeu(gr, um, s[3 * e]);
        kv_mask_storeu(gr + H, um, s[3 * e + 1]);
        kv_mask_storeu(gr + 2 * H, um, s[3 * e + 2]);
        kv_mask_storeu(gr + 3 * H, um, a[e]);
        kv_mask_storeu(gr + 4 * H, um, tc[e]);
      }
    }
  }
}

/* Pack the K rows of a (K, 4H) gate matrix S into NB panels of K x 64 (16 units x 4 gates,
   zero-padded past H); panels jb0, jb0 + step, ... (threads share the packing). */
static void kl_lstm_pack_${nm}(int K, int H, const float* __restrict S, float* __restrict P,
        int jb0, int step) {
  const int H4 = 4 * H, NB = (H + 15) / 16;
  for (int jb = jb0; jb < NB; jb += step) {
    float* Pb = P + (size_t)jb * K * 64;
    const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
    const kvmask um = (kvmask)((1u << nu) - 1u);
    for (int k = 0; k < K; ++k) {
      const float* sk = S + (size_t)k * H4 + j0;
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) kv_store(Pb + (size_t)k * 64 + q * 16, kv_maskz_loadu(um, sk + q * H));
    }
  }
}

/* Arguments of a forward pass (LSTMForward: X = xp (T, n, 4H), I = 0; LSTMForwardX: X the
   layer's input with strides sx0, sx1 and W (I, 4H)), shared by the threads. */
struct kl_fwd_${nm} {
  int Tn, n, H, I, save;
  const float* X; size_t sx0, sx1;
  const float *W, *bias, *U;
  const npy_int8* mask;
  float *h, *c, *G, *hm, *cbuf;
  float *P, *PW, *bufs; size_t bufsz;
};

/* Thread k's rows of LSTMForward: U packed (panels shared out), then the recurrence of its
   rows; the rows of a batch are independent, so no step waits for another thread. */
static void kl_lstm_fwd_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_fwd_${nm}* a = (const struct kl_fwd_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, save = a->save, nt = tm->nt;
  const int H4 = 4 * H, H5 = 5 * H, NB = (H + 15) / 16;
  const float* P = a->P;
  float* buf = a->bufs + (size_t)k * a->bufsz;
  int lo, hi;
  kl_lstm_pack_${nm}(H, H, a->U, a->P, k, nt);
  kl_barrier_${nm}(tm);
  float* const G_ = a->G;
  const float* const X_ = a->X;
  float* const c_ = a->c;
  float* const cbuf_ = a->cbuf;
  float* const h_ = a->h;
  float* const hm_ = a->hm;
  const npy_int8* const mask_ = a->mask;
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  for (int t = 0; t < Tn && lo < hi; ++t) {
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_${nm}(hi - lo, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    float* cstep = save ? c_ + (size_t)t * n * H : cbuf_ + (size_t)(t & 1) * n * H;
    const float* cprev = !t ? cstep : (save ? c_ + (size_t)(t - 1) * n * H : cbuf_ + (size_t)((t - 1) & 1) * n * H);
    const float* xt = X_ + (size_t)t * n * H4;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {
      rb = kl_tile_${nm}(r0, hi, nt);
      for (int jb = 0; jb < NB; ++jb) {
        const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
        const kvmask um = (kvmask)((1u << nu) - 1u);
        const float* hr = hs ? hs + (size_t)(r0 - lo) * H : NULL;
        const float* Pb = P + (size_t)jb * H * 64;
        const float* xa = xt + (size_t)r0 * H4 + j0;
        const float* bb = a->bias ? a->bias + j0 : NULL;
        const float* cp = cprev + (size_t)r0 * H + j0;
        float* ctp = cstep + (size_t)r0 * H + j0;
        float* htp = h_ + ((size_t)t * n + r0) * H + j0;
        float* gp = save ? G_ + ((size_t)t * n + r0) * H5 + j0 : NULL;
        if (hr) {
          kl_lstm_mm_rb_${nm}(rb, H, (size_t)H, hr, Pb, buf, 0);
        } else {
          memset(buf, 0, sizeof(float) * 6 * 64);
        }
        kl_lstm_cell_${nm}(rb, H, um, xa, H4, H, bb, mt + r0, !t, cp, ctp, htp, gp, buf);
      }
    }
  }
}

/* The whole forward pass; returns 0 (nothing written) if the packing buffer
   cannot be allocated, then the caller runs the BLAS path. */
static int kl_lstm_fwd_v16_${nm}(int Tn, int n, int H, const float* xp, const float* bias,
        const npy_int8* mask, const float* U, float* h, float* c, float* G, int save,
        float* hm, float* cbuf) {
  const int NB = (H + 15) / 16;
  const int nt = kl_threads_${nm}(n, (double)Tn * n * 4.0 * H * H);
  struct kl_fwd_${nm} a;
  memset(&a, 0, sizeof(a));
  a.bufsz = 6 * 64;
  if (posix_memalign((void**)&a.P, 64, sizeof(float) * ((size_t)NB * H * 64 + nt * a.bufsz))) return 0;
  a.bufs = a.P + (size_t)NB * H * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.save = save; a.X = xp; a.bias = bias; a.U = U; a.mask = mask;
  a.h = h; a.c = c; a.G = G; a.hm = hm; a.cbuf = cbuf;
  kl_run_${nm}(kl_lstm_fwd_rows_${nm}, &a, nt);
  free(a.P);
  return 1;
}

/* Thread k's rows of LSTMForwardX: per step and tile, the input product x_t . W (W packed
   once like U; x rows read in place with strides sx0 (steps) and sx1 (rows), in floats)
   goes to one tile buffer and h~ . U to another; the cell adds them in the original's
   order (x.W + b) + h~.U. */
static void kl_lstm_fwdx_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_fwd_${nm}* a = (const struct kl_fwd_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, I = a->I, save = a->save, nt = tm->nt;
  const int H5 = 5 * H, NB = (H + 15) / 16;
  const size_t sx0 = a->sx0, sx1 = a->sx1;
  const float* bias = a->bias;
  const float* P = a->P;
  const float* PW = a->PW;
  float* bufx = a->bufs + (size_t)k * a->bufsz;
  float* buf = bufx + a->bufsz / 2;
  int lo, hi;
  kl_lstm_pack_${nm}(H, H, a->U, a->P, k, nt);
  kl_lstm_pack_${nm}(I, H, a->W, a->PW, k, nt);
  kl_barrier_${nm}(tm);
  float* const G_ = a->G;
  const float* const X_ = a->X;
  float* const c_ = a->c;
  float* const cbuf_ = a->cbuf;
  float* const h_ = a->h;
  float* const hm_ = a->hm;
  const npy_int8* const mask_ = a->mask;
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  if (lo >= hi) return;
  /* Forward only (save == 0): per step and unit block, the products of every row tile,
     K in chunks of KL_KC rows of the panel (reused from L1 by all row tiles), then the
     cell of every row tile.  With saved gates this order is slower (measured: the writes
     of G spread over all rows), so save == 1 walks row tiles outside, unit blocks inside. */
  const int KC = KL_KC_${nm};
  for (int t = 0; t < Tn && !save; ++t) {
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_${nm}(hi - lo, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    float* cstep = cbuf_ + (size_t)(t & 1) * n * H;
    const float* cprev = !t ? cstep : cbuf_ + (size_t)((t - 1) & 1) * n * H;
    const float* xt = X_ + (size_t)t * sx0;
    for (int jb = 0; jb < NB; ++jb) {
      const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
      const kvmask um = (kvmask)((1u << nu) - 1u);
      const float* PWb = PW + (size_t)jb * I * 64;
      const float* PUb = P + (size_t)jb * H * 64;
      kl_panel_mm_${nm}(lo, hi, nt, I, sx1, xt + (size_t)lo * sx1, PWb, bufx);
      /* the cell of a row tile right after its last product chunk: its gate math runs
         while the next tile's products start (out-of-order overlap), same results */
#define KL_FWDX_CELL_${nm}(r0, rb) \
        kl_lstm_cell_${nm}(rb, H, um, bufx + (size_t)((r0) - lo) * 64, 64, 16, \
                          bias ? bias + j0 : NULL, mt + (r0), !t, \
                          cprev + (size_t)(r0) * H + j0, cstep + (size_t)(r0) * H + j0, \
                          h_ + ((size_t)t * n + (r0)) * H + j0, NULL, buf + (size_t)((r0) - lo) * 64)
      if (hs) {
        for (int k0 = 0; k0 < H; k0 += KC) {
          const int kc = H - k0 < KC ? H - k0 : KC, last = k0 + kc >= H;
          for (int r0 = lo, rb; r0 < hi; r0 += rb) {
            rb = kl_tile_${nm}(r0, hi, nt);
            kl_lstm_mm_rb_${nm}(rb, kc, (size_t)H, hs + (size_t)(r0 - lo) * H + k0,
                               PUb + (size_t)k0 * 64, buf + (size_t)(r0 - lo) * 64, k0 > 0);
            if (last) KL_FWDX_CELL_${nm}(r0, rb);
          }
        }
      } else {
        memset(buf, 0, sizeof(float) * (size_t)(hi - lo) * 64);
        for (int r0 = lo, rb; r0 < hi; r0 += rb) {
          rb = kl_tile_${nm}(r0, hi, nt);
          KL_FWDX_CELL_${nm}(r0, rb);
        }
      }
#undef KL_FWDX_CELL_${nm}
    }
  }
  for (int t = 0; t < Tn && save; ++t) {
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_${nm}(hi - lo, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    float* cstep = c_ + (size_t)t * n * H;
    const float* cprev = !t ? cstep : c_ + (size_t)(t - 1) * n * H;
    const float* xt = X_ + (size_t)t * sx0;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {
      rb = kl_tile_${nm}(r0, hi, nt);
      const float* xr = xt + (size_t)r0 * sx1;
      for (int jb = 0; jb < NB; ++jb) {
        const int j0 = jb * 16, nu = H - j0 < 16 ? H - j0 : 16;
        const kvmask um = (kvmask)((1u << nu) - 1u);
        kl_lstm_mm_rb_${nm}(rb, I, sx1, xr, PW + (size_t)jb * I * 64, bufx, 0);
        if (hs) kl_lstm_mm_rb_${nm}(rb, H, (size_t)H, hs + (size_t)(r0 - lo) * H, P + (size_t)jb * H * 64, buf, 0);
        else memset(buf, 0, sizeof(float) * 6 * 64);
        kl_lstm_cell_${nm}(rb, H, um, bufx, 64, 16, bias ? bias + j0 : NULL, mt + r0, !t,
                          cprev + (size_t)r0 * H + j0, cstep + (size_t)r0 * H + j0,
                          h_ + ((size_t)t * n + r0) * H + j0,
                          G_ + ((size_t)t * n + r0) * H5 + j0, buf);
      }
    }
  }
}

/* The forward pass from the layer's input (LSTMForwardX).  Returns 0 as above. */
static int kl_lstm_fwdx_v16_${nm}(int Tn, int n, int H, int I, const float* X, size_t sx0,
        size_t sx1, const float* W, const float* bias, const npy_int8* mask, const float* U,
        float* h, float* c, float* G, int save, float* hm, float* cbuf) {
  const int NB = (H + 15) / 16;
  const int nt = kl_threads_${nm}(n, (double)Tn * n * 4.0 * H * (H + I));
  struct kl_fwd_${nm} a;
  memset(&a, 0, sizeof(a));
  a.bufsz = 2 * ((size_t)(n + 5) / 6 * 6) * 64;  /* two tile buffers of the rows of a thread */
  if (posix_memalign((void**)&a.P, 64, sizeof(float) * ((size_t)NB * (H + I) * 64 + nt * a.bufsz))) return 0;
  a.PW = a.P + (size_t)NB * H * 64;
  a.bufs = a.PW + (size_t)NB * I * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.I = I; a.save = save; a.X = X; a.sx0 = sx0; a.sx1 = sx1;
  a.W = W; a.bias = bias; a.U = U; a.mask = mask; a.h = h; a.c = c; a.G = G; a.hm = hm; a.cbuf = cbuf;
  kl_run_${nm}(kl_lstm_fwdx_rows_${nm}, &a, nt);
  free(a.P);
  return 1;
}
#endif
