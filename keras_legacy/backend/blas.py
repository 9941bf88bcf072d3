"""Point PyTensor's C backend at a BLAS that pip installed, and say what is linked.

PyTensor installed by pip finds no BLAS on most machines (``blas__ldflags``
stays empty, matrix products fall back to slow paths).  The pip wheel
``scipy-openblas32`` ships OpenBLAS as ``libscipy_openblas.so`` whose symbols
carry a ``scipy_`` prefix (``scipy_sgemm_``).  PyTensor's C code calls the plain
Fortran names (``sgemm_``), so the flags we set rename them with the
preprocessor (``-Dsgemm_=scipy_sgemm_``), link the library and record its
directory as the run path.

``configure_blas()`` runs when the backend is imported and changes nothing
when the user chose ``blas__ldflags`` (``PYTENSOR_FLAGS`` or ``.pytensorrc``)
or set it in code before importing keras_legacy.  ``blas_report()`` tells what
is linked and whether the library is really loaded in this process.
"""

from __future__ import annotations

import ctypes
import os

import pytensor

#: Fortran BLAS routines PyTensor's headers declare (without precision prefix).
_ROUTINES = (
    "gemm gemv ger dot axpy scal copy swap nrm2 asum symm symv syr syrk trmm trmv "
    "trsm trsv gbmv rot rotg rotm rotmg sbmv spmv spr tbmv tbsv tpmv tpsv"
).split()

_state = {"source": None}

#: The prefix of every symbol of the pip OpenBLAS (``scipy_sgemm_``, ``scipy_cblas_sgemm``).
SYMBOL_PREFIX = "scipy_"

#: OpenBLAS's idle worker threads spin for 2^N cycles before they sleep (N = 28 by
#: default, ~0.1 s): right after a GEMM they hold a core that the float32 LSTM kernels'
#: own threads need (measured, 2 threads: LSTM training step 64,100,128,256 89.8 ms with
#: the default, 58.8 ms with 20).  2^20 cycles (~0.4 ms) still keeps them awake between
#: the per-step GEMMs of a recurrence (GRU rows unchanged).  Set before the library loads
#: (OpenBLAS reads it once; ``import scipy_openblas32`` loads it); a value the user exported wins.
THREAD_TIMEOUT = "20"


def _param():
    return type(pytensor.config).__dict__["blas__ldflags"]


def _user_choice():
    """The value the user gave (flags, rc file or code), or None."""
    try:
        return pytensor.config.fetch_val_for_key("blas__ldflags")
    except KeyError:
        pass
    param = _param()
    if hasattr(param, "val") and param.val:
        return param.val
    return None


def scipy_openblas_flags():
    """``blas__ldflags`` for the pip ``scipy-openblas32`` wheel, or None if absent."""
    try:
        import scipy_openblas32 as sob
    except ImportError:
        return None
    lib_dir = sob.get_lib_dir()
    lib = sob.get_library()
    if not os.path.exists(os.path.join(lib_dir, f"lib{lib}.so")):
        return None
    renames = " ".join(f"-D{p}{r}_={SYMBOL_PREFIX}{p}{r}_" for p in "sd" for r in _ROUTINES)
    return f"-L{lib_dir} -l{lib} -Wl,-rpath,{lib_dir} {renames}"


def configure_blas():
    """Set ``blas__ldflags`` to the pip OpenBLAS unless the user chose one."""
    if _state["source"] is not None:
        return _state["source"]
    if _user_choice() is not None:
        _state["source"] = "user"
        return "user"
    # before `import scipy_openblas32`, which loads the library (OpenBLAS reads it then)
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", THREAD_TIMEOUT)
    flags = scipy_openblas_flags()
    if flags is None:
        _state["source"] = "pytensor-default"
        return _state["source"]
    pytensor.config.blas__ldflags = flags
    _state["source"] = "scipy-openblas32"
    return _state["source"]


def pip_openblas_path():
    """The pip OpenBLAS's path when the C backend links it (``configure_blas`` chose it),
    else None."""
    if configure_blas() != "scipy-openblas32":
        return None
    import scipy_openblas32 as sob

    return os.path.join(sob.get_lib_dir(), f"lib{sob.get_library()}.so")


def _loaded_libraries():
    try:
        with open("/proc/self/maps") as fh:
            return {line.split()[-1] for line in fh if ".so" in line}
    except OSError:
        return set()


def blas_report():
    """What BLAS the C backend links, and whether this process has it loaded.

    Keys: ``source`` (``user``, ``scipy-openblas32`` or ``pytensor-default``),
    ``ldflags`` (abridged), ``library`` (the pip OpenBLAS path or None),
    ``loaded`` (the library is mapped in this process; true only after a
    compiled function used it), ``corename`` (the OpenBLAS kernel, e.g.
    ``SkylakeX`` or ``Haswell``; ``OPENBLAS_CORETYPE`` overrides it),
    ``coretype_env`` and ``threads``.
    """
    configure_blas()
    flags = pytensor.config.blas__ldflags
    report = {
        "source": _state["source"],
        "ldflags": " ".join(t for t in flags.split() if not t.startswith("-D")),
        "library": None,
        "loaded": False,
        "corename": None,
        "coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        "threads": None,
    }
    try:
        import scipy_openblas32 as sob
    except ImportError:
        return report
    path = os.path.join(sob.get_lib_dir(), f"lib{sob.get_library()}.so")
    if f"-l{sob.get_library()}" not in flags:
        return report
    report["library"] = path
    report["loaded"] = os.path.realpath(path) in {os.path.realpath(p) for p in _loaded_libraries()}
    if report["loaded"]:
        lib = ctypes.CDLL(path)
        lib.scipy_openblas_get_corename.restype = ctypes.c_char_p
        report["corename"] = lib.scipy_openblas_get_corename().decode()
        report["threads"] = lib.scipy_openblas_get_num_threads()
    return report


def _pip_openblas():
    """The pip OpenBLAS (``scipy_openblas32``) as a ``ctypes`` library."""
    import scipy_openblas32 as sob

    return ctypes.CDLL(os.path.join(sob.get_lib_dir(), f"lib{sob.get_library()}.so"))


def set_num_threads(n):
    """Set the pip OpenBLAS thread count (for benchmarks; tests use the env var)."""
    _pip_openblas().scipy_openblas_set_num_threads(int(n))


def get_num_threads():
    """The pip OpenBLAS thread count now (what the float32 LSTM kernels also use)."""
    return int(_pip_openblas().scipy_openblas_get_num_threads())
