"""The fused Ops' C recurrences as standalone shared libraries, for the Numba backend.

A plain ``pytensor.function`` compiles with Numba, which cannot run a ``COp``'s C.  So
that its fused LSTM/GRU nodes run the same code as the C mode (the same kernels, the
same bits), ``entry`` compiles the Op's own C text -- its ``c_support_code`` and
``c_support_code_apply`` for a node named after the kernel, with the same compiler
flags (PyTensor's, the Op's: BLAS, ISA) -- plus an exported entry of ``c/export.c``
into a shared library, loads it into the process (``llvmlite``), and returns the entry
as a Numba ``ExternalFunction`` that nopython code calls with plain pointers.

One library per kernel (``KINDS``), dtype, activation pair and float32 ISA; it is cached
on disk under PyTensor's compile folder (``kl_rnn_lib/``), named by a digest of its C
text and its command line, and its entry symbol carries that digest too: a different C,
ISA or flag builds and loads a different library, never a stale one.

``entry`` returns None when no library can be built (no C compiler, a compiler error,
llvmlite missing): the caller then runs its nopython fallback (``numba_impl``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import warnings
from pathlib import Path

import pytensor
import pytensor.tensor as T
from pytensor.link.c.cmodule import GCC_compiler

from keras_legacy.backend.rnn import csource
from keras_legacy.backend.rnn.ops_gru import GRUForward, GRUGrad
from keras_legacy.backend.rnn.ops_lstm import LSTMForward, LSTMForwardX, LSTMGrad

#: The exported entries: ``c/export.c`` section -> the Op type whose C it wraps.
KINDS = {"lstm_forward": LSTMForward, "lstm_forwardx": LSTMForwardX, "lstm_grad": LSTMGrad,
         "gru_forward": GRUForward, "gru_grad": GRUGrad}

#: Library paths / failures per (kind, dtype, act, inner, isa) in this process.
_LOADED = {}
_FAILED = set()


def _node(kind, dtype):
    """A node of ``kind``'s Op type with inputs of ``dtype`` (its C text depends on the dtype only)."""
    f, m = (lambda: T.tensor3(dtype=dtype)), T.matrix(dtype="int8")
    if kind in ("lstm_grad", "gru_grad"):
        return [m, T.matrix(dtype=dtype), f(), f(), f()]
    if kind == "lstm_forwardx":
        return [f(), m, T.matrix(dtype=dtype), T.matrix(dtype=dtype), T.vector(dtype=dtype)]
    return [f(), m, T.matrix(dtype=dtype), T.vector(dtype=dtype)]


def _op(kind, act, inner):
    """The Op whose C the library holds (``truncate`` and ``save_gates`` are call arguments)."""
    return KINDS[kind](act, inner)


def source_and_flags(kind, dtype, act, inner):
    """``(C text with the entry named ${sym}, compiler flags, libraries, library folders)``."""
    op = _op(kind, act, inner)
    node = op.make_node(*_node(kind, dtype))
    nm = kind
    text = (csource.render("export.c", "prelude") + op.c_support_code() + "\n"
            + op.c_support_code_apply(node, nm) + "\n" + csource.render("export.c", kind, nm=nm, sym="${sym}"))
    flags = (["-O3", "-fno-math-errno", "-Wno-unused-label", "-Wno-unused-variable", "-Wno-write-strings"]
             + GCC_compiler.compile_args() + list(op.c_compile_args()))
    return text, flags, list(op.c_libraries()), list(op.c_lib_dirs())


def _build(kind, dtype, act, inner):
    """``(library path, entry symbol)``, compiled now unless already in the disk cache."""
    text, flags, libs, lib_dirs = source_and_flags(kind, dtype, act, inner)
    cxx = pytensor.config.cxx
    if not cxx:
        raise OSError("no C++ compiler configured (pytensor.config.cxx is empty)")
    key = hashlib.sha256("\0".join([text, cxx, *flags, *libs, *lib_dirs]).encode()).hexdigest()[:20]
    sym = f"kl_{kind}_{key}"
    folder = Path(pytensor.config.compiledir) / "kl_rnn_lib"
    path = folder / f"{sym}.so"
    if path.exists():
        return path, sym
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        src = Path(tmp) / f"{sym}.cpp"
        src.write_text(text.replace("${sym}", sym))
        out = Path(tmp) / f"{sym}.so"
        cmd = ([cxx, "-shared", *flags, *(f"-L{d}" for d in lib_dirs), "-o", str(out), str(src)]
               + [f"-l{lib}" for lib in libs])
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise OSError(f"compiling the fused RNN library {sym} failed:\n{res.stderr[-2000:]}")
        os.replace(out, path)  # atomic: another process building the same library is harmless
    return path, sym


def entry(kind, dtype, act, inner, isa_name):
    """``(ExternalFunction, version int)`` of the exported entry ``kind``, or None (fallback)."""
    key = (kind, str(dtype), act, inner, isa_name)
    if key in _FAILED:
        return None
    if key not in _LOADED:
        try:
            import llvmlite.binding as llvm

            path, sym = _build(kind, str(dtype), act, inner)
            llvm.load_library_permanently(str(path))
        except (OSError, ImportError, RuntimeError) as err:
            _FAILED.add(key)
            warnings.warn(f"fused RNN: the C library for Numba is unavailable ({err}); "
                          "the Numba kernels run instead", RuntimeWarning, stacklevel=2)
            return None
        _LOADED[key] = sym
    sym = _LOADED[key]
    return _external(kind, sym), int(sym.rsplit("_", 1)[1][:15], 16)


def _external(kind, sym):
    from numba import types

    i32, p, i64 = types.int32, types.voidptr, types.int64
    args = {"lstm_forward": (i32, i32, i32, p, p, p, p, p, p, p, i32),
            "lstm_forwardx": (i32, i32, i32, i32, p, i64, i64, p, p, p, p, p, p, p, i32),
            "gru_forward": (i32, i32, i32, p, p, p, p, p, p, i32),
            "lstm_grad": (i32, i32, i32, i32, p, p, p, p, p, p),
            "gru_grad": (i32, i32, i32, i32, p, p, p, p, p, p)}[kind]
    return types.ExternalFunction(sym, i32(*args))
