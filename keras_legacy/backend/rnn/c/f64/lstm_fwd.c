/* LSTM forward (float64, AVX-512F or AVX2 + FMA): U (H, 4H) packed once per call into
   panels of KL_PW64 columns (mm.h), shared out between the threads (one barrier); per
   step, thread k's rows [lo, hi): h~ . U panel by panel on register tiles (mm.h), written
   where the BLAS path's GEMM writes it (A), then the BLAS path's gate row (lstm_fwd_row).
   Only the summation order of the product differs from the BLAS path (each element's sum
   in k order, the same for any thread count). */
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define KL_LSTM64_${nm} 1
${common}
struct kl_lstm64_${nm} {
  int Tn, n, H, save;
  const double *xp, *bias, *U;
  const npy_int8* mask;
  double *h, *c, *G, *hm, *A, *cbuf;
  double *P, *bufs; size_t bufsz;
};

static void kl_lstm64_rows_${nm}(void* vp, int k, struct kl_team_${nm}* tm) {
  const struct kl_lstm64_${nm}* a = (const struct kl_lstm64_${nm}*)vp;
  const int Tn = a->Tn, n = a->n, H = a->H, save = a->save, nt = tm->nt;
  const int PW = KL_PW64_${nm};
  const int H4 = 4 * H, H5 = 5 * H, NP = (H4 + PW - 1) / PW;
  const double* bias = a->bias;
  kl_pack64_${nm}(H, (size_t)H4, H4, a->U, a->P, k, nt);
  kl_barrier_${nm}(tm);
  int lo, hi;
  kl_rows_${nm}(n, k, nt, &lo, &hi);
  if (lo >= hi) return;
  const int nr = hi - lo;
  /* per thread: the tile buffer ((n rounded to 6) x PW), then one row of gates (5H) */
  double* const buf = a->bufs + (size_t)k * a->bufsz;
  double* const gs = buf + (size_t)(n + 5) / 6 * 6 * PW;
  double* const A = a->A + (size_t)lo * H4;
  double* const hm = a->hm + (size_t)lo * H;
  memset(A, 0, sizeof(double) * (size_t)nr * H4);
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* m = a->mask + (size_t)t * n + lo;
    const double* hprev = t ? a->h + ((size_t)(t - 1) * n + lo) * H : NULL;
    double* cstep = save ? a->c + ((size_t)t * n + lo) * H : a->cbuf + ((size_t)(t & 1) * n + lo) * H;
    const double* cprev = !t ? NULL
        : (save ? a->c + ((size_t)(t - 1) * n + lo) * H : a->cbuf + ((size_t)((t - 1) & 1) * n + lo) * H);
    const double* xt = a->xp + ((size_t)t * n + lo) * H4;
    if (hprev) {
      const double* hs = masked_prev_${nm}(nr, H, m, hprev, hm);
      for (int jb = 0; jb < NP; ++jb)
        kl_panel64_${nm}(nr, nt, H, hs, a->P + (size_t)jb * H * PW, buf, A + jb * PW, (size_t)H4,
                         H4 - jb * PW < PW ? H4 - jb * PW : PW);
    }
    for (int b = 0; b < nr; ++b)
      lstm_fwd_row_${nm}(H, save ? a->G + ((size_t)t * n + lo + b) * H5 : gs, xt + (size_t)b * H4, bias,
                         A + (size_t)b * H4, cprev && m[b] ? cprev + (size_t)b * H : NULL,
                         cstep + (size_t)b * H, a->h + ((size_t)t * n + lo + b) * H);
  }
}

/* The whole LSTM forward pass (lstm_fwd's, its scratch arrays included).  Returns 0
   (nothing written) if the panels cannot be allocated; the caller then runs the BLAS path. */
static int kl_lstm64_fwd_${nm}(int Tn, int n, int H, const double* xp, const double* bias,
        const npy_int8* mask, const double* U, double* h, double* c, double* G, int save,
        double* hm, double* A, double* cbuf) {
  const int PW = KL_PW64_${nm}, NP = (4 * H + PW - 1) / PW;
  const int nt = kl_threads_${nm}(n, (double)Tn * n * 4.0 * H * H);
  struct kl_lstm64_${nm} a;
  memset(&a, 0, sizeof(a));
  /* a multiple of 8 doubles per thread, the panels a multiple of 4: blocks stay aligned */
  a.bufsz = ((size_t)(n + 5) / 6 * 6 * PW + 5 * (size_t)H + 7) / 8 * 8;
  if (posix_memalign((void**)&a.P, 64, sizeof(double) * ((size_t)NP * H * PW + nt * a.bufsz))) return 0;
  a.bufs = a.P + (size_t)NP * H * PW;
  a.Tn = Tn; a.n = n; a.H = H; a.save = save; a.xp = xp; a.bias = bias; a.U = U; a.mask = mask;
  a.h = h; a.c = c; a.G = G; a.hm = hm; a.A = A; a.cbuf = cbuf;
  kl_run_${nm}(kl_lstm64_rows_${nm}, &a, nt);
  free(a.P);
  return 1;
}
#endif
