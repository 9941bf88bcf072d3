/* float64 tanh for FastTanh (keras_legacy/backend/fast_tanh.py): branch-free, no library call, so the
   element loop vectorises.  tanh|x| = -m / (2 + m), m = expm1(-2|x|) (no cancellation near 0); expm1 by
   Cody-Waite reduction -2|x| = k ln 2 + r, |r| <= ln 2 / 2, and the Taylor polynomial of expm1(r) to r^13;
   2^k from the exponent bits; |x| clipped at 20 (tanh(20) is 1 in float64); NaN passes through. */
#ifndef KL_FAST_TANH_DEFINED
#define KL_FAST_TANH_DEFINED
#include <math.h>
#include <stdint.h>
#include <string.h>
static inline double kl_fast_tanh(double x)
{
    double a = fabs(x);
    a = (a > 20.0) ? 20.0 : a;                 /* NaN compares false: kept */
    const double y = -2.0 * a;                 /* in [-40, 0] */
    const double shifter = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    const double t = y * 1.4426950408889634 + shifter;
    const double kf = t - shifter;
    const double r = (y - kf * 6.93147180369123816490e-01) - kf * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
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
    p = p * r + 1.0;
    p = p * r;                                 /* expm1(r) */
    int64_t bits;
    memcpy(&bits, &t, sizeof bits);            /* k in the low bits of t */
    bits = (int64_t)((uint64_t)(bits + 1023) << 52);
    double s;
    memcpy(&s, &bits, sizeof s);               /* 2^k, k in [-58, 0] */
    const double m = s * p + (s - 1.0);        /* expm1(y) */
    return copysign(-m / (2.0 + m), x);
}
#endif
