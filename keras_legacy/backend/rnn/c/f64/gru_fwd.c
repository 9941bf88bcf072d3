/* GRU forward (float64, AVX-512F or AVX2 + FMA): U_zr (H, 2H of U) and U_h (H, H) packed
   once per call into panels of KL_PW64 columns (mm.h), shared out between the threads (one
   barrier); per step, thread k's rows [lo, hi): the products h~ . U_zr and (r * h~) . U_h
   panel by panel on register tiles (K in chunks of KL_KC64 panel rows), written where the
   BLAS path's GEMM writes them (A), then the BLAS path's gate rows (gru_zr_row,
   gru_h_row).  Only the summation order of the products differs from the BLAS path (each
   element's sum in k order, the same for any thread count). */
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define KL_GRU64_${nm} 1
${common}
struct kl_gru64_${nm} {
  int Tn, n, H, save;
  const double *xp, *bias, *U;
  const npy_int8* mask;
  double *h, *G, *hm, *rh, *A, *gs;
  double *Pzr, *Ph, *bufs; size_t bufsz;
};

static void kl_gru64_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_gru64_${nm}* a = (const struct kl_gru64_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, save = a->save, nt = tm->nt;
  const int PW = KL_PW64_${nm};
  const int H3 = 3 * H, H2 = 2 * H, NZ = (H2 + PW - 1) / PW, NH = (H + PW - 1) / PW;
  const double* bias = a->bias;
  kl_pack64_${nm}(H, (size_t)H3, H2, a->U, a->Pzr, k, nt);
  kl_pack64_${nm}(H, (size_t)H3, H, a->U + H2, a->Ph, k, nt);
  kl_barrier_${nm}(tm);
  int lo, hi;
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  if (lo >= hi) return;
  const int nr = hi - lo;
  double* const buf = a->bufs + (size_t)k * a->bufsz;
  double* const A = a->A + (size_t)lo * H3;
  double* const hm = a->hm + (size_t)lo * H;
  double* const rh = a->rh + (size_t)lo * H;
  memset(A, 0, sizeof(double) * (size_t)nr * H3);
  memset(hm, 0, sizeof(double) * (size_t)nr * H);
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* m = a->mask + (size_t)t * n + lo;
    const double* hprev = t ? a->h + ((size_t)(t - 1) * n + lo) * H : NULL;
    const double* xt = a->xp + ((size_t)t * n + lo) * H3;
    double* Gt = save ? a->G + ((size_t)t * n + lo) * H3 : a->gs + (size_t)lo * H3;
    const double* hs = hprev ? masked_prev_${nm}(nr, H, m, hprev, hm) : hm;
    if (hprev)
      for (int jb = 0; jb < NZ; ++jb)
        kl_panel64_${nm}(nr, nt, H, hs, a->Pzr + (size_t)jb * H * PW, buf, A + jb * PW, (size_t)H3,
                         H2 - jb * PW < PW ? H2 - jb * PW : PW);
    for (int b = 0; b < nr; ++b)
      gru_zr_row_${nm}(H, Gt + (size_t)b * H3, xt + (size_t)b * H3, bias, A + (size_t)b * H3,
                       hs + (size_t)b * H, rh + (size_t)b * H);
    if (hprev)
      for (int jb = 0; jb < NH; ++jb)
        kl_panel64_${nm}(nr, nt, H, rh, a->Ph + (size_t)jb * H * PW, buf, A + H2 + jb * PW, (size_t)H3,
                         H - jb * PW < PW ? H - jb * PW : PW);
    for (int b = 0; b < nr; ++b)
      gru_h_row_${nm}(H, Gt + (size_t)b * H3, xt + (size_t)b * H3 + H2, bias ? bias + H2 : NULL,
                      A + (size_t)b * H3 + H2, hs + (size_t)b * H, a->h + ((size_t)t * n + lo + b) * H);
  }
}

/* The whole GRU forward pass (gru_fwd's, its scratch arrays included).  Returns 0 (nothing
   written) if the panels cannot be allocated; the caller then runs the BLAS path. */
static int kl_gru64_fwd_${nm}(int Tn, int n, int H, const double* xp, const double* bias,
        const npy_int8* mask, const double* U, double* h, double* G, int save, double* hm,
        double* rh, double* A, double* gs) {
  const int PW = KL_PW64_${nm}, NZ = (2 * H + PW - 1) / PW, NH = (H + PW - 1) / PW;
  const int nt = kl_threads_${nm}(n, (double)Tn * n * 3.0 * H * H);
  struct kl_gru64_${nm} a;
  memset(&a, 0, sizeof(a));
  /* per thread: the tile buffer, (n rounded to 6) x PW, a multiple of 8 doubles (64 bytes) */
  a.bufsz = ((size_t)(n + 5) / 6 * 6 * PW + 7) / 8 * 8;
  /* the panels: a multiple of 4 doubles each (PW is), so every block stays 32-byte aligned */
  if (posix_memalign((void**)&a.Pzr, 64, sizeof(double) * ((size_t)(NZ + NH) * H * PW + nt * a.bufsz))) return 0;
  a.Ph = a.Pzr + (size_t)NZ * H * PW;
  a.bufs = a.Ph + (size_t)NH * H * PW;
  a.Tn = Tn; a.n = n; a.H = H; a.save = save; a.xp = xp; a.bias = bias; a.U = U; a.mask = mask;
  a.h = h; a.G = G; a.hm = hm; a.rh = rh; a.A = A; a.gs = gs;
  kl_run_${nm}(kl_gru64_rows_${nm}, &a, nt);
  free(a.Pzr);
  return 1;
}
#endif
