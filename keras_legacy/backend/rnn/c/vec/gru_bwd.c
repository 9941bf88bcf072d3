
/* GRU backward (float32, vector kernel; the BLAS path's gru_bwd, same formulas and order;
   only the products' summation order differs).  One call packs U_zr^T (2H x 64 units) and
   U_h^T (H x 64 units) into panels (shared out between the threads, one barrier).  Thread k
   runs the steps of its rows, per row tile: (1) every unit's dA_z, dA_h and dmb = dht z
   from dht = dh_t + dhn; (2) per 64-unit block the tile product (dA_h . U_h^T) -> dA_r and
   dmb += (.) r; (3) per block the tile product (dA_zr . U_zr^T) -> dhn = mask_t (dmb + (.)),
   the gradient of the state entering step t.  Used for H > 32 (below, the 64-unit panels
   would be half padding). */

/* (1) RB rows x all units of step t: dA_z, dA_h and dmb */
__attribute__((noinline)) static void kl_gru_bcell1_${nm}(int RB, int H, const npy_int8* __restrict m,
        const float* __restrict g, const float* __restrict hprev, const float* __restrict dh,
        const float* __restrict dhn, float* __restrict dmb, float* __restrict da) {
  const int H3 = 3 * H;
  for (int r = 0; r < RB; ++r) {
    const float* gr = g + (size_t)r * H3;
    const int keep = hprev && m[r];
    for (int u0 = 0; u0 < H; u0 += 16) {
      const int w = H - u0 < 16 ? H - u0 : 16;
      const kvmask um = (kvmask)((1u << w) - 1u);
      const kv16 z = kv_maskz_loadu(um, gr + u0), hh = kv_maskz_loadu(um, gr + 2 * H + u0);
      const kv16 hp = keep ? kv_maskz_loadu(um, hprev + (size_t)r * H + u0) : kv_setzero();
      const kv16 dht = kv_add(kv_maskz_loadu(um, dh + (size_t)r * H + u0),
                              kv_maskz_loadu(um, dhn + (size_t)r * H + u0));
      float* dar = da + (size_t)r * H3 + u0;
      kv_mask_storeu(dar, um, kv_mul(kv_mul(dht, kv_sub(hp, hh)), kl_v_dinner_${nm}(z)));
      kv_mask_storeu(dar + 2 * H, um, kv_mul(kv_mul(dht, kv_sub(kv_set1(1.0f), z)), kl_v_dact_${nm}(hh)));
      kv_mask_storeu(dmb + (size_t)r * H + u0, um, kv_mul(dht, z));
    }
  }
}

/* (2) RB rows x one block of 64 units (nu valid), buf = dA_h . U_h^T: dA_r and dmb += buf r */
__attribute__((noinline)) static void kl_gru_bcell2_${nm}(int RB, int H, int nu, const npy_int8* __restrict m,
        const float* __restrict g, const float* __restrict hprev, float* __restrict dmb,
        float* __restrict da, const float* __restrict buf) {
  const int H3 = 3 * H;
  for (int r = 0; r < RB; ++r) {
    const int keep = m[r] != 0;
    for (int u0 = 0; u0 < nu; u0 += 16) {
      const int w = nu - u0 < 16 ? nu - u0 : 16;
      const kvmask um = (kvmask)((1u << w) - 1u);
      const kv16 rg = kv_maskz_loadu(um, g + (size_t)r * H3 + H + u0);
      const kv16 hp = keep ? kv_maskz_loadu(um, hprev + (size_t)r * H + u0) : kv_setzero();
      const kv16 db = kv_load(buf + r * 64 + u0);
      kv_mask_storeu(da + (size_t)r * H3 + H + u0, um, kv_mul(kv_mul(db, hp), kl_v_dinner_${nm}(rg)));
      float* dm = dmb + (size_t)r * H + u0;
      kv_mask_storeu(dm, um, kv_add(kv_maskz_loadu(um, dm), kv_mul(db, rg)));
    }
  }
}

/* (3) RB rows x one block of 64 units, buf = dA_zr . U_zr^T: dhn = mask (dmb + buf) */
__attribute__((noinline)) static void kl_gru_bcell3_${nm}(int RB, int H, int nu, const npy_int8* __restrict m,
        const float* __restrict dmb, float* __restrict dhn, const float* __restrict buf) {
  for (int r = 0; r < RB; ++r) {
    const int keep = m[r] != 0;
    for (int u0 = 0; u0 < nu; u0 += 16) {
      const int w = nu - u0 < 16 ? nu - u0 : 16;
      const kvmask um = (kvmask)((1u << w) - 1u);
      const kv16 v = keep ? kv_add(kv_maskz_loadu(um, dmb + (size_t)r * H + u0), kv_load(buf + r * 64 + u0))
                          : kv_setzero();
      kv_mask_storeu(dhn + (size_t)r * H + u0, um, v);
    }
  }
}

/* Pack K columns (from column c0) of the rows of U (H, 3H) as K x 64-unit panels of U^T. */
static void kl_gru_packT_${nm}(int H, int K, int c0, const float* __restrict U, float* __restrict P,
        int jb0, int step) {
  const int H3 = 3 * H, NB = (H + 63) / 64;
  for (int jb = jb0; jb < NB; jb += step) {
    float* Pb = P + (size_t)jb * K * 64;
    const int j0 = jb * 64, nu = H - j0 < 64 ? H - j0 : 64;
    const float* Ub = U + (size_t)j0 * H3 + c0;
    for (int kk = 0; kk < K; ++kk) {
      float* pk = Pb + (size_t)kk * 64;
      for (int u = 0; u < nu; ++u) pk[u] = Ub[(size_t)u * H3 + kk];
      for (int u = nu; u < 64; ++u) pk[u] = 0.0f;
    }
  }
}

struct kl_gbwd_${nm} {
  int Tn, n, H, stop;
  const npy_int8* mask;
  const float *U, *h, *G, *dh;
  float *dA, *dhn, *dmb, *Pzr, *Ph, *bufs;
};

static void kl_gru_bwd_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_gbwd_${nm}* a = (const struct kl_gbwd_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, stop = a->stop, nt = tm->nt;
  const int H3 = 3 * H, NB = (H + 63) / 64;
  float* buf = a->bufs + (size_t)k * 6 * 64;
  int lo, hi;
  kl_gru_packT_${nm}(H, 2 * H, 0, a->U, a->Pzr, k, nt);
  kl_gru_packT_${nm}(H, H, 2 * H, a->U, a->Ph, k, nt);
  kl_barrier_${nm}(tm);
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  for (int t = Tn - 1; t >= stop && lo < hi; --t) {
    const npy_int8* mt = a->mask + (size_t)t * n;
    for (int r0 = lo, rb; r0 < hi; r0 += rb) {
      rb = kl_tile_${nm}(r0, hi, nt);
      const float* g = a->G + ((size_t)t * n + r0) * H3;
      const float* hprev = t > 0 ? a->h + ((size_t)(t - 1) * n + r0) * H : NULL;
      float* da = a->dA + ((size_t)t * n + r0) * H3;
      float* dmb = a->dmb + (size_t)r0 * H;
      float* dhn = a->dhn + (size_t)r0 * H;
      kl_gru_bcell1_${nm}(rb, H, mt + r0, g, hprev, a->dh + ((size_t)t * n + r0) * H, dhn, dmb, da);
      if (t == 0) {
        /* r only acts through r * h~, and h~ = 0 at t = 0: its gradient is 0 there */
        for (int r = 0; r < rb; ++r) memset(da + (size_t)r * H3 + H, 0, sizeof(float) * H);
        continue;
      }
      for (int jb = 0; jb < NB; ++jb) {
        const int j0 = jb * 64, nu = H - j0 < 64 ? H - j0 : 64;
        kl_lstm_mm_rb_${nm}(rb, H, (size_t)H3, da + 2 * H, a->Ph + (size_t)jb * H * 64, buf, 0);
        kl_gru_bcell2_${nm}(rb, H, nu, mt + r0, g + j0, hprev + j0, dmb + j0, da + j0, buf);
      }
      if (t > stop) {
        for (int jb = 0; jb < NB; ++jb) {
          const int j0 = jb * 64, nu = H - j0 < 64 ? H - j0 : 64;
          kl_lstm_mm_rb_${nm}(rb, 2 * H, (size_t)H3, da, a->Pzr + (size_t)jb * 2 * H * 64, buf, 0);
          kl_gru_bcell3_${nm}(rb, H, nu, mt + r0, dmb + j0, dhn + j0, buf);
        }
      }
    }
  }
}

/* The whole GRU backward pass (gru_bwd's).  Returns 0 (nothing written) if the packing
   buffer cannot be allocated; the caller then runs the BLAS path. */
static int kl_gru_bwd_v16_${nm}(int Tn, int n, int H, int stop, const npy_int8* mask, const float* U,
        const float* h, const float* G, const float* dh, float* dA, float* dhn, float* dmb) {
  const int NB = (H + 63) / 64;
  const int nt = kl_threads_${nm}(n, (double)(Tn - stop) * n * 3.0 * H * H);
  struct kl_gbwd_${nm} a;
  if (posix_memalign((void**)&a.Pzr, 64, sizeof(float) * ((size_t)NB * 3 * H * 64 + (size_t)nt * 6 * 64))) return 0;
  a.Ph = a.Pzr + (size_t)NB * 2 * H * 64;
  a.bufs = a.Ph + (size_t)NB * H * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.stop = stop; a.mask = mask; a.U = U; a.h = h; a.G = G; a.dh = dh;
  a.dA = dA; a.dhn = dhn; a.dmb = dmb;
  if (stop > 0) memset(dA, 0, sizeof(float) * (size_t)stop * n * 3 * H);
  memset(dhn, 0, sizeof(float) * (size_t)n * H);
  kl_run_${nm}(kl_gru_bwd_rows_${nm}, &a, nt);
  free(a.Pzr);
  return 1;
}
#endif
