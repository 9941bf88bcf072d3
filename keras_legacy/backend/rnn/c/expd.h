/* float64 exp, expm1-based tanh and their use by the gate loops of the BLAS path: branch-free
   (clamps and selects, no libm call), so gcc vectorises the loops over a row.  k = round(x / ln 2)
   by the 1.5 2^52 shift (exact for |k| < 2^51), r = x - k ln 2 in two Cody-Waite steps
   (|r| <= ln 2 / 2, k ln2_hi exact), e^r - 1 by its Taylor polynomial to r^12 (truncation
   < 2e-16 relative), 2^k from its exponent bits.  tanh |x| = -m / (2 + m), m = expm1(-2|x|):
   no cancellation near 0 (m = 2^k p + (2^k - 1) is p itself while k = 0).  Within a few ulp
   of libm's. */
/*@@ main @@*/
static inline double kl_expm1r_${nm}(double r) {
  double p = 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  return (p * r) * r + r;
}
/* x clamped to [-708, 709]: k, r and 2^k of x = k ln 2 + r */
static inline double kl_reduce_d_${nm}(double x, double* s) {
  x = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
  const double big = x * 1.4426950408889634074 + 6755399441055744.0;
  const double k = big - 6755399441055744.0;
  long long ki, si;
  __builtin_memcpy(&ki, &big, sizeof(ki));
  ki -= 0x4338000000000000LL;
  si = (ki + 1023) << 52;
  __builtin_memcpy(s, &si, sizeof(si));
  double r = x - k * 6.93147180369123816490e-01;
  return r - k * 1.90821492927058770002e-10;
}
static inline double kl_exp_d_${nm}(double x) {
  double s, r = kl_reduce_d_${nm}(x, &s);
  return s * kl_expm1r_${nm}(r) + s;
}
static inline double kl_tanh_d_${nm}(double x) {
  double a = x < 0 ? -x : x;
  a = a > 20.0 ? 20.0 : a;  /* tanh(20) rounds to 1 */
  double s, r = kl_reduce_d_${nm}(-2.0 * a, &s);
  const double m = s * kl_expm1r_${nm}(r) + (s - 1.0);
  const double y = -m / (2.0 + m);
  return x < 0 ? -y : y;
}
