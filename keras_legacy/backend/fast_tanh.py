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

import pytensor.scalar.basic as ps
from pytensor.tensor.elemwise import Elemwise

from keras_legacy.backend.ctemplate import BACKEND_C

#: The C body, read as text from ``c/fast_tanh.h`` (shipped as package data).
_SUPPORT = BACKEND_C.render("fast_tanh.h")


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
        return (2, BACKEND_C.digest())

    def pullback(self, inputs, outputs, gout):
        (x,) = inputs
        (gz,) = gout
        if outputs[0].type in ps.discrete_types or x.type in ps.complex_types:
            return super().pullback(inputs, outputs, gout)
        return (gz * (1 - ps.sqr(outputs[0])),)


fast_tanh_scalar = FastTanh(ps.upgrade_to_float, name="fast_tanh")
#: Elementwise ``tanh`` (same values as ``pytensor.tensor.tanh`` to a few ulp).
fast_tanh = Elemwise(fast_tanh_scalar, name="fast_tanh")
