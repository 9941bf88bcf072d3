
/* GRU forward (float32, AVX-512): U_zr (H, 2H of U) packed into panels of 32 units x
   [z, r] (64 columns: z of units 0-15, 16-31, then r of the same), U_h into panels of 64
   units; both once per call (panels shared out between the threads, one barrier).  Per
   step, thread k's rows [lo, hi): for each z,r panel the products of all row tiles (K in
   chunks of KL_KC panel rows, reused from L1), then z, r = inner((x.W + b) + h~.U_zr) on the
   tiles and r * h~ for these units; then for each h panel the products of (r * h~) . U_h,
   h~' = act((x.W + b) + (r * h~).U_h) and h = z h~ + (1 - z) h~'.  The original's math and
   order (reset gate applied before the product); only the summation order of the products
   and last-bit roundings of the activations differ from the BLAS path. */

/* Pack the K rows of S (row stride ld) into panels of 64 columns: column c of panel jb
   is gate c / w (gate q starts at S + q H), unit jb w + (c mod w) (0 past H). */
static void kl_gru_pack_${nm}(int K, int H, size_t ld, int w, const float* __restrict S,
        float* __restrict P, int jb0, int step) {
  const int NB = (H + w - 1) / w;
  for (int jb = jb0; jb < NB; jb += step) {
    float* Pb = P + (size_t)jb * K * 64;
    for (int k = 0; k < K; ++k)
      for (int c = 0; c < 64; ++c) {
        const int q = c / w, u = jb * w + c % w;
        Pb[(size_t)k * 64 + c] = u < H ? S[(size_t)k * ld + (size_t)q * H + u] : 0.0f;
      }
  }
}

struct kl_gru_${nm} {
  int Tn, n, H, save;
  const float *xp, *bias, *U;
  const npy_int8* mask;
  float *h, *G, *hm;
  float *Pzr, *Ph, *bufs; size_t bufsz;
};

static inline kvmask kl_um_${nm}(int H, int u0) {
  const int nu = H - u0;
  return nu >= 16 ? (kvmask)0xFFFF : nu <= 0 ? (kvmask)0 : (kvmask)((1u << nu) - 1u);
}

static void kl_gru_fwd_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_gru_${nm}* a = (const struct kl_gru_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, save = a->save, nt = tm->nt;
  const int H3 = 3 * H, NZ = (H + 31) / 32, NH = (H + 63) / 64;
  const float* bias = a->bias;
  int lo, hi;
  kl_gru_pack_${nm}(H, H, (size_t)H3, 32, a->U, a->Pzr, k, nt);
  kl_gru_pack_${nm}(H, H, (size_t)H3, 64, a->U + 2 * H, a->Ph, k, nt);
  kl_barrier_${nm}(tm);
  const float* const Pzr = a->Pzr;
  const float* const Ph = a->Ph;
  const float* const xp_ = a->xp;
  float* const h_ = a->h;
  float* const G_ = a->G;
  float* const hm_ = a->hm;
  const npy_int8* const mask_ = a->mask;
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  if (lo >= hi) return;
  const int nr = hi - lo;
  /* per thread: the tile buffers of its rows (nr x 64), z (nr x H), r * h~ (nr x H) */
  float* const buf = a->bufs + (size_t)k * a->bufsz;
  float* const zb = buf + (size_t)((nr + 5) / 6 * 6) * 64;
  float* const rh = zb + (size_t)nr * H;
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* mt = mask_ + (size_t)t * n;
    const float* hs = t ? masked_prev_${nm}(nr, H, mt + lo, h_ + ((size_t)(t - 1) * n + lo) * H,
                                          hm_ + (size_t)lo * H) : NULL;
    const float* xt = xp_ + ((size_t)t * n + lo) * H3;
    float* Gt = save ? G_ + ((size_t)t * n + lo) * H3 : NULL;
    float* ht = h_ + ((size_t)t * n + lo) * H;
    /* z, r */
    for (int jb = 0; jb < NZ; ++jb) {
      const int j0 = jb * 32;
      if (hs) kl_panel_mm_${nm}(lo, hi, nt, H, (size_t)H, hs, Pzr + (size_t)jb * H * 64, buf);
      for (int r = 0; r < nr; ++r) {
        const float* xr = xt + (size_t)r * H3;
        const float* br = buf + (size_t)r * 64;
        /* the four vectors' activations side by side (kl_vn_*), each exactly as alone */
        kv16 v[4];
        kvmask um[4];
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
          const int gate = q >> 1, u0 = j0 + (q & 1) * 16;
          const size_t col = (size_t)gate * H + u0;
          um[q] = kl_um_${nm}(H, u0);
          /* the original's order: (x.W + b) + h~.U */
          v[q] = kv_maskz_loadu(um[q], xr + col);
          if (bias) v[q] = kv_add(v[q], kv_maskz_loadu(um[q], bias + col));
          v[q] = kv_add(v[q], hs ? kv_load(br + q * 16) : kv_setzero());
        }
        kl_vn_inner_${nm}(v, 4);
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
          const int gate = q >> 1, u0 = j0 + (q & 1) * 16;
          if (!um[q]) continue;
          const size_t col = (size_t)gate * H + u0;
          if (Gt) kv_mask_storeu(Gt + (size_t)r * H3 + col, um[q], v[q]);
          if (!gate) kv_mask_storeu(zb + (size_t)r * H + u0, um[q], v[q]);
          else if (hs)
            kv_mask_storeu(rh + (size_t)r * H + u0, um[q],
                                  kv_mul(v[q], kv_maskz_loadu(um[q], hs + (size_t)r * H + u0)));
        }
      }
    }
    /* h~' and the new state */
    for (int jb = 0; jb < NH; ++jb) {
      const int j0 = jb * 64;
      if (hs) kl_panel_mm_${nm}(lo, hi, nt, H, (size_t)H, rh, Ph + (size_t)jb * H * 64, buf);
      for (int r = 0; r < nr; ++r) {
        const float* xr = xt + (size_t)r * H3 + 2 * H;
        const float* br = buf + (size_t)r * 64;
        kv16 v[4];
        kvmask um[4];
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
          const int u0 = j0 + q * 16;
          um[q] = kl_um_${nm}(H, u0);
          v[q] = kv_maskz_loadu(um[q], xr + u0);
          if (bias) v[q] = kv_add(v[q], kv_maskz_loadu(um[q], bias + 2 * H + u0));
          v[q] = kv_add(v[q], hs ? kv_load(br + q * 16) : kv_setzero());
        }
        kl_vn_act_${nm}(v, 4);
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
          const int u0 = j0 + q * 16;
          if (!um[q]) continue;
          const kv16 hh = v[q];
          if (Gt) kv_mask_storeu(Gt + (size_t)r * H3 + 2 * H + u0, um[q], hh);
          const kv16 z = kv_maskz_loadu(um[q], zb + (size_t)r * H + u0);
          const kv16 hp = hs ? kv_maskz_loadu(um[q], hs + (size_t)r * H + u0) : kv_setzero();
          const kv16 y = kv_fmadd(z, hp, kv_mul(kv_sub(kv_set1(1.0f), z), hh));
          kv_mask_storeu(ht + (size_t)r * H + u0, um[q], y);
        }
      }
    }
  }
}

/* The whole GRU forward pass (gru_fwd's).  Returns 0 (nothing written) if the buffers
   cannot be allocated; the caller then runs the BLAS path. */
static int kl_gru_fwd_v16_${nm}(int Tn, int n, int H, const float* xp, const float* bias,
        const npy_int8* mask, const float* U, float* h, float* G, int save, float* hm) {
  const int NZ = (H + 31) / 32, NH = (H + 63) / 64;
  const int nt = kl_threads_${nm}(n, (double)Tn * n * 3.0 * H * H);
  struct kl_gru_${nm} a;
  memset(&a, 0, sizeof(a));
  /* per thread: tile buffers for all rows (rounded to 6) x 64, z and r * h~ (n x H each);
     rounded to 16 floats to keep every thread's block 64-byte aligned */
  a.bufsz = (((size_t)(n + 5) / 6 * 6) * 64 + 2 * (size_t)n * H + 15) / 16 * 16;
  if (posix_memalign((void**)&a.Pzr, 64, sizeof(float) * ((size_t)(NZ + NH) * H * 64 + nt * a.bufsz))) return 0;
  a.Ph = a.Pzr + (size_t)NZ * H * 64;
  a.bufs = a.Ph + (size_t)NH * H * 64;
  a.Tn = Tn; a.n = n; a.H = H; a.save = save; a.xp = xp; a.bias = bias; a.U = U; a.mask = mask;
  a.h = h; a.G = G; a.hm = hm;
  kl_run_${nm}(kl_gru_fwd_rows_${nm}, &a, nt);
  free(a.Pzr);
  return 1;
}
#endif
