
/* The backward step on RB rows x one block of 64 units (nu valid) of step t, from the
   tile buf = dA_(t+1) . U^T of these rows and units (rows with mn[r] == 0, or all rows
   when mn is NULL, take 0: the masked state entering step t+1).  Writes the 4 gate
   columns of dA_t for these units and the carried cell gradient dcn. */
__attribute__((noinline)) static void kl_lstm_bcell_${nm}(int RB, int H, int nu, int n, int pf,
        const npy_int8* __restrict m, const npy_int8* __restrict mn, const float* __restrict g,
        const float* __restrict dh, const float* __restrict cprev, float* __restrict dcn,
        float* __restrict da, const float* __restrict buf) {
  const int H4 = 4 * H, H5 = 5 * H;
  for (int r = 0; r < RB; ++r) {
    const float* gr = g + (size_t)r * H5;
    const int keep = mn && mn[r], carry = m[r] != 0, prev = cprev && carry;
    for (int u0 = 0; u0 < nu; u0 += 16) {
      const int w = nu - u0 < 16 ? nu - u0 : 16;
      const kvmask um = (kvmask)((1u << w) - 1u);
      const kv16 vi = kv_maskz_loadu(um, gr + u0), vf = kv_maskz_loadu(um, gr + H + u0);
      const kv16 vo = kv_maskz_loadu(um, gr + 2 * H + u0), vg = kv_maskz_loadu(um, gr + 3 * H + u0);
      const kv16 tc = kv_maskz_loadu(um, gr + 4 * H + u0);
      kv16 dhj = kv_maskz_loadu(um, dh + (size_t)r * H + u0);
      if (keep) dhj = kv_add(dhj, kv_load(buf + r * 64 + u0));
      float* dcr = dcn + (size_t)r * H + u0;
      const kv16 dc = kv_add(kv_maskz_loadu(um, dcr),
                                      kv_mul(kv_mul(dhj, vo), kl_v_dact_${nm}(tc)));
      const kv16 cm = prev ? kv_maskz_loadu(um, cprev + (size_t)r * H + u0) : kv_setzero();
      float* dar = da + (size_t)r * H4 + u0;
      kv_mask_storeu(dar, um, kv_mul(kv_mul(dc, vg), kl_v_dinner_${nm}(vi)));
      kv_mask_storeu(dar + H, um, kv_mul(kv_mul(dc, cm), kl_v_dinner_${nm}(vf)));
      kv_mask_storeu(dar + 2 * H, um, kv_mul(kv_mul(dhj, tc), kl_v_dinner_${nm}(vo)));
      kv_mask_storeu(dar + 3 * H, um, kv_mul(kv_mul(dc, vi), kl_v_dact_${nm}(vg)));
      kv_mask_storeu(dcr, um, carry ? kv_mul(dc, vf) : kv_setzero());
      if (pf) {
        /* the same tile of step t - 1 into L2: its inputs, and dA's lines for writing */
        const char* gp = (const char*)(gr - (size_t)n * H5 + u0);
#pragma GCC unroll 5
        for (int q = 0; q < 5; ++q) KV_PREFETCH_T1(gp + (size_t)q * H * 4);
        KV_PREFETCH_T1((const char*)(dh + ((size_t)r - n) * H + u0));
        if (cprev && pf > 1) KV_PREFETCH_T1((const char*)(cprev + ((size_t)r - n) * H + u0));
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) KV_PREFETCH_ET1((const char*)(dar - (size_t)n * H4 + (size_t)q * H));
      }
    }
  }
}

/* Arguments of a backward pass, shared by the threads. */
struct kl_bwd_${nm} {
  int Tn, n, H, stop;
  const npy_int8* mask;
  const float *U, *c, *G, *dh;
  float *dA, *dcn, *P, *bufs;
};

/* Thread k's rows of the backward pass: U^T packed into panels of 4H x 64 units (panels
   shared out), then the steps of its rows (independent of the other rows). */
static void kl_lstm_bwd_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_bwd_${nm}* a = (const struct kl_bwd_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, stop = a->stop, nt = tm->nt;
  const int H4 = 4 * H, H5 = 5 * H, NB = (H + 63) / 64;
  const float* P = a->P;
  float* buf = a->bufs + (size_t)k * 6 * 64;
  int lo, hi;
  for (int jb = k; jb < NB; jb += nt) {
    float* Pb = a->P + (size_t)jb * H4 * 64;
    const int j0 = jb * 64, nu = H - j0 < 64 ? H - j0 : 64;
    const float* Ub = a->U + (size_t)j0 * H4;
    /* k outer: the 64 rows of U being read stay in L1, the panel is written in order */
    for (int kk = 0; kk < H4; ++kk) {
      float* pk = Pb + (size_t)kk * 64;
      for (int u = 0; u < nu; ++u) pk[u] = Ub[(size_t)u * H4 + kk];
      for (int u = nu; u < 64; ++u) pk[u] = 0.0f;
    }
  }
  kl_barrier_${nm}(tm);
  const float* const G_ = a->G;
  const float* const c_ = a->c;
  float* const dA_ = a->dA;
  float* const dcn_ = a->dcn;
  const float* const dh_ = a->dh;
  const npy_int8* const mask_ = a->mask;
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  for (int t = Tn - 1; t >= stop && lo < hi; --t) {
    const npy_int8* mt = mask_ + (size_t)t * n;
    const npy_int8* mn = t + 1 < Tn ? mask_ + (size_t)(t + 1) * n : NULL;
    const float* dAn = mn ? dA_ + (size_t)(t + 1) * n * H4 : NULL;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {
      rb = kl_tile_${nm}(r0, hi, nt);
      int any = 0;
      if (mn) for (int r = 0; r < rb; ++r) any |= mn[r0 + r] != 0;
      for (int jb = 0; jb < NB; ++jb) {
        const int j0 = jb * 64, nu = H - j0 < 64 ? H - j0 : 64;
        if (any) {
          const float* ar = dAn + (size_t)r0 * H4;
          const float* Pb = P + (size_t)jb * H4 * 64;
          kl_lstm_mm_rb_${nm}(rb, H4, (size_t)H4, ar, Pb, buf, 0);
        }
        kl_lstm_bcell_${nm}(rb, H, nu, n, (t > stop) + (t > stop + 1), mt + r0, any ? mn + r0 : NULL,
                           G_ + ((size_t)t * n + r0) * H5 + j0,
                           dh_ + ((size_t)t * n + r0) * H + j0,
                           t > 0 ? c_ + ((size_t)(t - 1) * n + r0) * H + j0 : NULL,
                           dcn_ + (size_t)r0 * H + j0, dA_ + ((size_t)t * n + r0) * H4 + j0, buf);
      }
    }
  }
}

/* The whole backward pass (the BLAS path's lstm_bwd).  Returns 0 (nothing written) if
   the packing buffer cannot be allocated, then the caller runs the BLAS path. */
static int kl_lstm_bwd_v16_${nm}(int Tn, int n, int H, int stop, const npy_int8* mask,
        const float* U, const float* c, const float* G, const float* dh, float* dA, float* dcn) {
  const int H4 = 4 * H, NB = (H + 63) / 64;
  const int nt = kl_threads_${nm}(n, (double)(Tn - stop) * n * 4.0 * H * H);
  struct kl_bwd_${nm} a;
  if (posix_memalign((void**)&a.P, 64, sizeof(float) * ((size_t)NB * H4 * 64 + (size_t)nt * 6 * 64))) return 0;
  a.bufs = a.P + (size_t)NB * H4 * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.stop = stop; a.mask = mask; a.U = U; a.c = c; a.G = G; a.dh = dh;
  a.dA = dA; a.dcn = dcn;
  if (stop > 0) memset(dA, 0, sizeof(float) * (size_t)stop * n * H4);
  memset(dcn, 0, sizeof(float) * (size_t)n * H);
  kl_run_${nm}(kl_lstm_bwd_rows_${nm}, &a, nt);
  free(a.P);
  return 1;
}
#endif
