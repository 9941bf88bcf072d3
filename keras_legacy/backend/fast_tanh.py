"""``tanh`` as an elementwise Op whose C code the compiler can vectorise.

PyTensor's scalar ``Tanh`` compiles to one libm ``tanh`` call per element (50-120 ns
each on the benchmark host, most of a SimpleRNN scan step's time).  ``FastTanh`` is
that Op with another C body: ``tanh(|x|) = -m / (2 + m)`` with ``m = expm1(-2|x|)``
(no cancellation near 0), ``expm1`` by Cody-Waite reduction ``-2|x| = k ln 2 + r``
(``|r| <= ln 2 / 2``) and the Taylor polynomial of ``expm1(r)`` to ``r^13`` (truncation
< 1e-17 relative), ``2^k`` from the exponent bits, the sign put back with
``copysign``; ``|x|`` is clipped at 20 (``tanh(20)`` is 1 in float64), NaN passes
through.  No branch and no library call, so the element loop vectorises.  float32 and
float16 inputs are computed in double and rounded once.  Within a few ulp of libm
(``tests/test_backend.py``).

Every other backend uses the base class's implementation (``nfunc_spec``: NumPy's,
Numba's and JAX's ``tanh``); the gradient is ``gz * (1 - y**2)`` with ``y`` the output.
"""

from __future__ import annotations

import hashlib

import pytensor.scalar.basic as ps
from pytensor.tensor.elemwise import Elemwise

_SUPPORT = r"""
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
"""
_DIGEST = hashlib.sha256(_SUPPORT.encode()).hexdigest()[:16]


class FastTanh(ps.Tanh):
    """Scalar ``tanh`` with a branch-free C body (see the module docstring)."""

    def c_support_code(self, **kwargs):
        return _SUPPORT

    def c_code(self, node, name, inputs, outputs, sub):
        (x,) = inputs
        (z,) = outputs
        if node.inputs[0].type in ps.complex_types:
            raise NotImplementedError("FastTanh: complex inputs are not supported")
        cast = node.outputs[0].type.dtype_specs()[1]
        return f"{z} = ({cast})kl_fast_tanh((double){x});"

    def c_code_cache_version(self):
        return (1, _DIGEST)

    def pullback(self, inputs, outputs, gout):
        (x,) = inputs
        (gz,) = gout
        if outputs[0].type in ps.discrete_types or x.type in ps.complex_types:
            return super().pullback(inputs, outputs, gout)
        return (gz * (1 - ps.sqr(outputs[0])),)


fast_tanh_scalar = FastTanh(ps.upgrade_to_float, name="fast_tanh")
#: Elementwise ``tanh`` (same values as ``pytensor.tensor.tanh`` to a few ulp).
fast_tanh = Elemwise(fast_tanh_scalar, name="fast_tanh")
