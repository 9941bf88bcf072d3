"""Which float32 kernel the fused LSTM / GRU Ops compile: chosen by what the CPU has, or forced.

Kernels, best first (``KERNELS``):

* ``avx512``: the 16-lane AVX-512F kernels (x86-64 with ``avx512f``);
* ``avx2``: the same kernels on pairs of 8-lane AVX2 + FMA registers (x86-64 with
  ``avx2`` and ``fma``: Haswell and later, AMD Zen);
* ``portable``: the same kernels in plain C with GCC vector extensions, which the
  compiler maps onto the vector unit it targets (any CPU, ARM included);
* ``blas``: no vector kernel, the BLAS path only (one GEMM per step, then the gate loop).

The environment variable ``KERAS_LEGACY_RNN_ISA`` (``avx512``, ``avx2``, ``portable`` or
``blas``) forces one; it is read here only, when an Op's C is generated (so a change takes
effect for the functions compiled after it).  A forced kernel this CPU cannot run is a
``ValueError`` naming what is missing.  float64 runs the BLAS path, but for the LSTM
and GRU forward with ``avx512`` or ``avx2`` (``c/f64/``).

``KERAS_LEGACY_HIDE_CPU_FLAGS`` (flags as ``/proc/cpuinfo`` names them, separated by commas
or spaces) makes this module treat them as absent: ``avx512f`` runs everything as on an
AVX2-only CPU (the AVX2 kernel is then the default and the AVX-512 tests skip), for
checking on an AVX-512 machine what such a CPU would do.  The kernels themselves are
built as for that CPU (the AVX2 one without AVX-512 instructions).

The kernel is part of the Ops' compile-cache version (``ops_common``), so modules built
for different kernels never replace each other.
"""

from __future__ import annotations

import functools
import os
import platform

#: The variable forcing a kernel.
ENV_VAR = "KERAS_LEGACY_RNN_ISA"

#: The variable naming CPU flags to treat as absent.
HIDE_VAR = "KERAS_LEGACY_HIDE_CPU_FLAGS"

#: Every kernel, best first.
KERNELS = ("avx512", "avx2", "portable", "blas")

#: The CPU flags (as /proc/cpuinfo names them) each x86 kernel needs.
_NEEDS = {"avx512": ("avx512f", "avx2", "fma"), "avx2": ("avx2", "fma")}

_X86 = ("x86_64", "amd64", "i386", "i686")


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The instruction-set flags of this CPU (empty off x86), less those ``HIDE_VAR`` names."""
    hidden = os.environ.get(HIDE_VAR, "").replace(",", " ").lower().split()
    return _cpuinfo_flags() - frozenset(hidden)


@functools.cache
def _cpuinfo_flags() -> frozenset[str]:
    """The flags ``/proc/cpuinfo`` lists (empty off x86)."""
    if platform.machine().lower() not in _X86:
        return frozenset()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def missing(kernel: str) -> tuple[str, ...]:
    """The CPU flags ``kernel`` needs and this CPU lacks (``()``: it can run here)."""
    return tuple(f for f in _NEEDS.get(kernel, ()) if f not in cpu_flags())


def available() -> tuple[str, ...]:
    """The kernels this CPU runs, best first (``portable`` and ``blas`` always)."""
    return tuple(k for k in KERNELS if not missing(k))


def selected() -> str:
    """The kernel the float32 Ops compile now: ``KERAS_LEGACY_RNN_ISA`` if set, else the
    best of ``available()``."""
    forced = os.environ.get(ENV_VAR, "").strip().lower()
    if not forced:
        return available()[0]
    if forced not in KERNELS:
        raise ValueError(f"{ENV_VAR}={forced!r} is not a kernel; expected one of {', '.join(KERNELS)} "
                         f"(or leave it unset for the best this CPU runs)")
    lacks = missing(forced)
    if lacks:
        raise ValueError(f"{ENV_VAR}={forced!r}, but this CPU lacks {', '.join(lacks)}; it runs "
                         f"{', '.join(available())}: choose one of those or unset {ENV_VAR}")
    return forced


def compile_args(kernel: str) -> list[str]:
    """Extra compiler flags for ``kernel``: the AVX2 kernel on a CPU with AVX-512 is built
    without AVX-512 instructions (what an AVX2-only CPU would run); the portable one without
    implicit multiply-add fusion."""
    if kernel == "avx2" and "avx512f" in _cpuinfo_flags():
        return ["-mno-avx512f"]
    if kernel == "portable":
        # no multiply-add fusion in the portable kernel (c/portable/kv.h): a row's values do
        # not depend on how the compiler specialised the code around it
        return ["-ffp-contract=off"]
    return []
