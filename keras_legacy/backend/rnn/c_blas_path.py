"""The C text of the fused LSTM / GRU Ops' BLAS path (``keras_legacy.backend.rnn``).

Per-dtype helpers (activations and their derivatives as C expressions, the float32
polynomial ``exp``, a GEMM for builds without BLAS) and the templates of the forward and
backward recurrences, filled in per node by the Ops (``%(nm)s`` is the node's name).
The float32 AVX-512 kernels are in ``c_lstm_avx512`` (LSTM), ``c_gru_avx512`` (GRU) and
``c_vector`` (their shared parts).
"""

from __future__ import annotations

import pytensor

_C_ACT = {
    "tanh": "{F}(tanh)(x)",
    "sigmoid": "(({T})1 / (({T})1 + {F}(exp)(-x)))",
    "hard_sigmoid": "(x * ({T})0.2 + ({T})0.5 < 0 ? ({T})0 : (x * ({T})0.2 + ({T})0.5 > 1 ? ({T})1 : x * ({T})0.2 + ({T})0.5))",
    "linear": "x",
}
_C_DACT = {
    "tanh": "(({T})1 - y * y)",
    "sigmoid": "(y * (({T})1 - y))",
    "hard_sigmoid": "((y > 0 && y < 1) ? ({T})0.2 : ({T})0)",
    "linear": "(({T})1)",
}


_C_EXPF = r"""
static inline float kl_expf_NM(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  /* floor(y) as a truncation of y + 128 > 0: floorf would block vectorisation
     (it may raise 'inexact'); k off by one near an integer only widens |r| a little. */
  float k = (float)((int)(x * 1.44269504088896341f + 128.5f) - 128);
  float r = x - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union { int i; float f; } s;
  s.i = ((int)k + 127) << 23;
  return p * s.f;
}
static inline float kl_tanhf_NM(float x) {
  float a = x < 0 ? -x : x;
  float t = kl_expf_NM(-2.0f * a);
  float y = (1.0f - t) / (1.0f + t);
  return x < 0 ? -y : y;
}
"""


# Without a BLAS (``blas__ldflags`` empty) the Ops use these loops instead of
# ``[sd]gemm_`` (same Fortran calling convention, column-major, the two
# transposition cases the kernels use); PyTensor's NumPy-based stand-in does
# not link in this setting.
_C_NOBLAS_GEMM = r"""
#define KL_DEFINE_GEMM(NAME, R)                                                        \
static void NAME(const char* ta, const char* tb, const int* M, const int* N,           \
        const int* K, const R* alpha, const R* A, const int* lda, const R* B,          \
        const int* ldb, const R* beta, R* C, const int* ldc) {                         \
  (void)tb;                                                                            \
  for (int j = 0; j < *N; ++j) {                                                       \
    R* __restrict cj = C + (size_t)j * *ldc;                                           \
    const R* __restrict bj = B + (size_t)j * *ldb;                                     \
    if (*beta == 0) memset(cj, 0, sizeof(R) * *M);                                     \
    else if (*beta != 1) for (int i = 0; i < *M; ++i) cj[i] *= *beta;                  \
    if (*ta == 'N') {                                                                  \
      for (int l = 0; l < *K; ++l) {                                                   \
        const R* __restrict al = A + (size_t)l * *lda; R s = *alpha * bj[l];           \
        for (int i = 0; i < *M; ++i) cj[i] += al[i] * s;                               \
      }                                                                                \
    } else {                                                                           \
      for (int i = 0; i < *M; ++i) {                                                   \
        const R* __restrict ai = A + (size_t)i * *lda; R s = 0;                        \
        for (int l = 0; l < *K; ++l) s += ai[l] * bj[l];                               \
        cj[i] += *alpha * s;                                                           \
      }                                                                                \
    }                                                                                  \
  }                                                                                    \
}
KL_DEFINE_GEMM(kl_sgemm_noblas, float)
KL_DEFINE_GEMM(kl_dgemm_noblas, double)
"""


def has_blas():
    """Whether PyTensor's C backend links a BLAS (``blas__ldflags`` set)."""
    return bool(pytensor.config.blas__ldflags)


def _c_helpers(dtype, act, inner, nm):
    ctype = {"float32": "float", "float64": "double"}[dtype]
    prec = "s" if dtype == "float32" else "d"
    gemm = f"{prec}gemm_" if has_blas() else f"kl_{prec}gemm_noblas"
    lines = [f"typedef {ctype} rnn_t_{nm};", f"#define RNN_GEMM_{nm} {gemm}"]
    if dtype == "float32":
        # float32: a branch-free exp (Cody-Waite reduction, degree-7 polynomial,
        # < 2 ulp) that gcc vectorises; tanh and sigmoid are built on it.
        # float64 keeps libm (the golden results need 1e-10).
        lines.append(_C_EXPF.replace("NM", nm))
        tanh_fn, exp_fn = f"kl_tanhf_{nm}", f"kl_expf_{nm}"
    else:
        tanh_fn, exp_fn = "tanh", "exp"

    def expr(table, kind):
        return table[kind].replace("{T}", ctype).replace("{F}(tanh)", tanh_fn).replace(
            "{F}(exp)", exp_fn)

    for tag, kind in (("act", act), ("inner", inner)):
        lines.append(
            f"static inline void {tag}_{nm}(const {ctype}* s, {ctype}* d, int len) {{\n"
            f"  for (int k = 0; k < len; ++k) {{ {ctype} x = s[k]; d[k] = {expr(_C_ACT, kind)}; }}\n}}")
        lines.append(
            f"static inline {ctype} d{tag}_{nm}({ctype} y) {{ return {expr(_C_DACT, kind)}; }}")
    return "\n".join(lines) + "\n"


#: Shared by the LSTM and GRU templates: the rows of the state entering step t, h[t-1]
#: itself when no row is masked, else a copy into hm with the masked rows zeroed.
_C_MASKED_PREV = r"""static const rnn_t_%(nm)s* masked_prev_%(nm)s(int n, int H, const npy_int8* m,
        const rnn_t_%(nm)s* hprev, rnn_t_%(nm)s* hm) {
  int all = 1;
  for (int b = 0; b < n; ++b) all &= (m[b] != 0);
  if (all) return hprev;
  for (int b = 0; b < n; ++b) {
    if (m[b]) memcpy(hm + (size_t)b * H, hprev + (size_t)b * H, sizeof(rnn_t_%(nm)s) * H);
    else memset(hm + (size_t)b * H, 0, sizeof(rnn_t_%(nm)s) * H);
  }
  return hm;
}
"""

_LSTM_FWD = r"""
/* Rows of the state entering step t: h[t-1] itself when no row is masked,
   else a copy into hm with the masked rows zeroed. */
""" + _C_MASKED_PREV + r"""%(v16)s
/* save != 0: c and G get every step (for the gradient); save == 0 (forward
   only): c and G are unused, the cell state lives in cbuf (2 rows of n*H) and
   the gates of one row in gs (5H). */
static void lstm_fwd_%(nm)s(int Tn, int n, int H, const rnn_t_%(nm)s* xp,
        const rnn_t_%(nm)s* bias, const npy_int8* mask, const rnn_t_%(nm)s* U, rnn_t_%(nm)s* h, rnn_t_%(nm)s* c, rnn_t_%(nm)s* G, int save,
        rnn_t_%(nm)s* hm, rnn_t_%(nm)s* A, rnn_t_%(nm)s* cbuf, rnn_t_%(nm)s* gs) {
%(v16_dispatch)s  typedef rnn_t_%(nm)s R;
  int H4 = 4 * H; const int H5 = 5 * H; char NN = 'N'; R one = 1, zero = 0;
  memset(A, 0, sizeof(R) * (size_t)n * H4);
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* m = mask + (size_t)t * n;
    const R* hprev = t ? h + (size_t)(t - 1) * n * H : NULL;
    R* cstep = save ? c + (size_t)t * n * H : cbuf + (size_t)(t & 1) * n * H;
    const R* cprev = !t ? NULL : (save ? c + (size_t)(t - 1) * n * H : cbuf + (size_t)((t - 1) & 1) * n * H);
    const R* xt = xp + (size_t)t * n * H4;
    if (hprev) {
      const R* hs = masked_prev_%(nm)s(n, H, m, hprev, hm);
      RNN_GEMM_%(nm)s(&NN, &NN, &H4, &n, &H, &one, U, &H4, hs, &H, &zero, A, &H4);
    }
    for (int b = 0; b < n; ++b) {
      const R* __restrict a = A + (size_t)b * H4;
      const R* __restrict xa = xt + (size_t)b * H4;
      R* __restrict g = save ? G + ((size_t)t * n + b) * H5 : gs;
      R* __restrict ct = cstep + (size_t)b * H;
      R* __restrict ht = h + ((size_t)t * n + b) * H;
      /* the original's order: (x.W + b) + h~.U */
      if (bias) {
        const R* __restrict bb = bias;
        for (int k = 0; k < H4; ++k) g[k] = (xa[k] + bb[k]) + a[k];
      } else {
        for (int k = 0; k < H4; ++k) g[k] = xa[k] + a[k];
      }
      inner_%(nm)s(g, g, 3 * H);
      act_%(nm)s(g + 3 * H, g + 3 * H, H);
      if (cprev && m[b]) {
        const R* __restrict cp = cprev + (size_t)b * H;
        for (int j = 0; j < H; ++j) ct[j] = g[H + j] * cp[j] + g[j] * g[3 * H + j];
      } else {
        for (int j = 0; j < H; ++j) ct[j] = g[H + j] * (R)0 + g[j] * g[3 * H + j];
      }
      act_%(nm)s(ct, g + 4 * H, H);
      for (int j = 0; j < H; ++j) ht[j] = g[2 * H + j] * g[4 * H + j];
    }
  }
}

/* One row of the backward step (kept out of line: gcc vectorises it here,
   not when inlined in the loop nest). */
__attribute__((noinline)) static void lstm_bwd_row_%(nm)s(int H, const rnn_t_%(nm)s* __restrict g,
        const rnn_t_%(nm)s* __restrict dht, rnn_t_%(nm)s* __restrict da,
        const rnn_t_%(nm)s* __restrict dhb, rnn_t_%(nm)s* __restrict dcb,
        const rnn_t_%(nm)s* __restrict cp) {
  typedef rnn_t_%(nm)s R;
  for (int j = 0; j < H; ++j) {
    R i = g[j], f = g[H + j], o = g[2 * H + j], gg = g[3 * H + j], tc = g[4 * H + j];
    R dhj = dht[j] + dhb[j];
    R dc = dcb[j] + dhj * o * dact_%(nm)s(tc);
    R cm = cp[j];
    da[j] = dc * gg * dinner_%(nm)s(i);
    da[H + j] = dc * cm * dinner_%(nm)s(f);
    da[2 * H + j] = dhj * tc * dinner_%(nm)s(o);
    da[3 * H + j] = dc * i * dact_%(nm)s(gg);
    dcb[j] = dc * f;
  }
}

static void lstm_bwd_%(nm)s(int Tn, int n, int H, int stop, const npy_int8* mask,
        const rnn_t_%(nm)s* U, const rnn_t_%(nm)s* c, const rnn_t_%(nm)s* G,
        const rnn_t_%(nm)s* dh, rnn_t_%(nm)s* dA, rnn_t_%(nm)s* dhn, rnn_t_%(nm)s* dcn,
        rnn_t_%(nm)s* zrow) {
%(v16_bwd_dispatch)s  typedef rnn_t_%(nm)s R;
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
      lstm_bwd_row_%(nm)s(H, g, dht, da, dhb, dcb, cp);
      if (!m[b]) memset(dcb, 0, sizeof(R) * H);
    }
    if (t > stop) {
      /* dh~ = dA_t . U^T, then masked: the state entering step t. */
      RNN_GEMM_%(nm)s(&TT, &NN, &H, &n, &H4, &one, U, &H4, dA + (size_t)t * n * H4, &H4,
                      &zero, dhn, &H);
      for (int b = 0; b < n; ++b)
        if (!m[b]) memset(dhn + (size_t)b * H, 0, sizeof(R) * H);
    }
  }
}
"""

# The forward pass from the layer's input (``LSTMForwardX``): the float32 AVX-512
# kernel folds the input product into its tiles; otherwise the input product goes
# to a temporary (T, n, 4H) array, one GEMM per step reading X in place, and the
# BLAS path above runs on it.  Returns 0 if that array cannot be allocated.
_LSTM_FWDX = r"""
static int lstm_fwdx_%(nm)s(int Tn, int n, int H, int I, const rnn_t_%(nm)s* X, size_t sx0,
        size_t sx1, const rnn_t_%(nm)s* W, const rnn_t_%(nm)s* bias, const npy_int8* mask,
        const rnn_t_%(nm)s* U, rnn_t_%(nm)s* h, rnn_t_%(nm)s* c, rnn_t_%(nm)s* G, int save,
        rnn_t_%(nm)s* hm, rnn_t_%(nm)s* A, rnn_t_%(nm)s* cbuf, rnn_t_%(nm)s* gs) {
  typedef rnn_t_%(nm)s R;
#ifdef KL_LSTM_V16_%(nm)s
  if (kl_lstm_fwdx_v16_%(nm)s(Tn, n, H, I, X, sx0, sx1, W, bias, mask, U, h, c, G, save, hm, cbuf)) return 1;
#endif
  int H4 = 4 * H, ld = n > 1 ? (int)sx1 : I; char NN = 'N'; R one = 1, zero = 0;
  R* xp = (R*)malloc(sizeof(R) * ((size_t)Tn * n * H4 + 1));
  if (!xp) return 0;
  for (int t = 0; t < Tn; ++t)
    RNN_GEMM_%(nm)s(&NN, &NN, &H4, &n, &I, &one, W, &H4, X + (size_t)t * sx0, &ld, &zero,
                    xp + (size_t)t * n * H4, &H4);
  lstm_fwd_%(nm)s(Tn, n, H, xp, bias, mask, U, h, c, G, save, hm, A, cbuf, gs);
  free(xp);
  return 1;
}
"""

_GRU_FWD = r"""
""" + _C_MASKED_PREV + r"""%(v16)s
/* save == 0 (forward only): G is unused, the gates of one step live in gs (n*3H). */
static void gru_fwd_%(nm)s(int Tn, int n, int H, const rnn_t_%(nm)s* xp,
        const rnn_t_%(nm)s* bias, const npy_int8* mask, const rnn_t_%(nm)s* U, rnn_t_%(nm)s* h, rnn_t_%(nm)s* G, int save,
        rnn_t_%(nm)s* hm, rnn_t_%(nm)s* rh, rnn_t_%(nm)s* A, rnn_t_%(nm)s* gs) {
%(v16_dispatch)s  typedef rnn_t_%(nm)s R;
  int H3 = 3 * H, H2 = 2 * H; char NN = 'N'; R one = 1, zero = 0;
  memset(A, 0, sizeof(R) * (size_t)n * H3);
  memset(hm, 0, sizeof(R) * (size_t)n * H);
  for (int t = 0; t < Tn; ++t) {
    const npy_int8* m = mask + (size_t)t * n;
    const R* hprev = t ? h + (size_t)(t - 1) * n * H : NULL;
    const R* xt = xp + (size_t)t * n * H3;
    R* Gt = save ? G + (size_t)t * n * H3 : gs;
    const R* hs = hprev ? masked_prev_%(nm)s(n, H, m, hprev, hm) : hm;
    if (hprev) RNN_GEMM_%(nm)s(&NN, &NN, &H2, &n, &H, &one, U, &H3, hs, &H, &zero, A, &H3);
    for (int b = 0; b < n; ++b) {
      R* __restrict g = Gt + (size_t)b * H3;
      const R* __restrict a = A + (size_t)b * H3;
      const R* __restrict xa = xt + (size_t)b * H3;
      if (bias) {
        const R* __restrict bb = bias;
        for (int k = 0; k < H2; ++k) g[k] = (xa[k] + bb[k]) + a[k];
      } else {
        for (int k = 0; k < H2; ++k) g[k] = xa[k] + a[k];
      }
      inner_%(nm)s(g, g, H2);
      const R* __restrict hb = hs + (size_t)b * H;
      R* __restrict rb = rh + (size_t)b * H;
      for (int j = 0; j < H; ++j) rb[j] = g[H + j] * hb[j];
    }
    if (hprev) RNN_GEMM_%(nm)s(&NN, &NN, &H, &n, &H, &one, U + H2, &H3, rh, &H, &zero, A + H2, &H3);
    for (int b = 0; b < n; ++b) {
      R* __restrict g = Gt + (size_t)b * H3;
      const R* __restrict a = A + (size_t)b * H3 + H2;
      const R* __restrict xa = xt + (size_t)b * H3 + H2;
      if (bias) {
        const R* __restrict bb = bias + H2;
        for (int j = 0; j < H; ++j) g[H2 + j] = (xa[j] + bb[j]) + a[j];
      } else {
        for (int j = 0; j < H; ++j) g[H2 + j] = xa[j] + a[j];
      }
      act_%(nm)s(g + H2, g + H2, H);
      const R* __restrict hb = hs + (size_t)b * H;
      R* __restrict ht = h + ((size_t)t * n + b) * H;
      for (int j = 0; j < H; ++j) ht[j] = g[j] * hb[j] + ((R)1 - g[j]) * g[H2 + j];
    }
  }
}

__attribute__((noinline)) static void gru_bwd_row1_%(nm)s(int H, const rnn_t_%(nm)s* __restrict g,
        const rnn_t_%(nm)s* __restrict hp, const rnn_t_%(nm)s* __restrict dht,
        rnn_t_%(nm)s* __restrict da, rnn_t_%(nm)s* __restrict dmb, const rnn_t_%(nm)s* __restrict dnb) {
  typedef rnn_t_%(nm)s R;
  const int H2 = 2 * H;
  for (int j = 0; j < H; ++j) {
    R z = g[j], hh = g[H2 + j], hmj = hp[j];
    R dhj = dht[j] + dnb[j];
    da[j] = dhj * (hmj - hh) * dinner_%(nm)s(z);
    da[H2 + j] = dhj * ((R)1 - z) * dact_%(nm)s(hh);
    dmb[j] = dhj * z;
  }
}

__attribute__((noinline)) static void gru_bwd_row2_%(nm)s(int H, const rnn_t_%(nm)s* __restrict g,
        const rnn_t_%(nm)s* __restrict hp, const rnn_t_%(nm)s* __restrict db,
        rnn_t_%(nm)s* __restrict da, rnn_t_%(nm)s* __restrict dmb) {
  typedef rnn_t_%(nm)s R;
  for (int j = 0; j < H; ++j) {
    R hmj = hp[j];
    da[H + j] = db[j] * hmj * dinner_%(nm)s(g[H + j]);
    dmb[j] += db[j] * g[H + j];
  }
}

static void gru_bwd_%(nm)s(int Tn, int n, int H, int stop, const npy_int8* mask,
        const rnn_t_%(nm)s* U, const rnn_t_%(nm)s* h, const rnn_t_%(nm)s* G,
        const rnn_t_%(nm)s* dh, rnn_t_%(nm)s* dA, rnn_t_%(nm)s* dhn, rnn_t_%(nm)s* dhm,
        rnn_t_%(nm)s* drh, rnn_t_%(nm)s* zrow) {
  typedef rnn_t_%(nm)s R;
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
      gru_bwd_row1_%(nm)s(H, g, hp, dht, da, dmb, dnb);
    }
    /* r only acts through r * h~, and h~ = 0 at t = 0: its gradient is 0 there. */
    if (t == 0) {
      for (int b = 0; b < n; ++b) memset(dAt + (size_t)b * H3 + H, 0, sizeof(R) * H);
      continue;
    }
    /* d(r * h~) = dA_h . U_h^T */
    RNN_GEMM_%(nm)s(&TT, &NN, &H, &n, &H, &one, U + H2, &H3, dAt + H2, &H3, &zero, drh, &H);
    for (int b = 0; b < n; ++b) {
      const R* __restrict g = G + ((size_t)t * n + b) * H3;
      const R* __restrict hp = m[b] ? h + ((size_t)(t - 1) * n + b) * H : zrow;
      const R* __restrict db = drh + (size_t)b * H;
      R* __restrict da = dAt + (size_t)b * H3;
      R* __restrict dmb = dhm + (size_t)b * H;
      gru_bwd_row2_%(nm)s(H, g, hp, db, da, dmb);
    }
    if (t > stop) {
      RNN_GEMM_%(nm)s(&TT, &NN, &H, &n, &H2, &one, U, &H3, dAt, &H3, &one, dhm, &H);
      for (int b = 0; b < n; ++b) {
        if (m[b]) memcpy(dhn + (size_t)b * H, dhm + (size_t)b * H, sizeof(R) * H);
        else memset(dhn + (size_t)b * H, 0, sizeof(R) * H);
      }
    }
  }
}
"""
