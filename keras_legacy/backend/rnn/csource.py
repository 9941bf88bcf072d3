"""The C text of the fused LSTM / GRU Ops, read from the ``.c``/``.h`` files of ``c/``.

One template mechanism for all of it: a file (or a section of one) is a
``string.Template``; ``${name}`` slots are filled per node -- ``${nm}`` the node's
name (every C symbol ends in it, so two nodes never clash in one module), the C type,
the activation pair, the kernel texts of the slots of the BLAS path.  A file may hold
several fragments, each after a line ``/*@@ <section> @@*/``; the text before the
first such line is the file's own documentation and is not emitted.

``digest()`` (part of the Ops' ``c_code_cache_version``) hashes every file under
``c/`` and the modules assembling them: an edit of any of them recompiles the Ops.

Files (``c/``):

* ``node.h``: a node's C type and GEMM; ``activations.h``: the scalar activations and their derivatives (sections
  ``act <name>``, ``dact <name>``); ``expf.h``, ``expd.h``: the float32 and float64 polynomial ``exp``/``tanh``;
  ``noblas_gemm.h``: the products of builds without a BLAS;
* ``masked_prev.c``, ``lstm_blas.c``, ``lstm_fwdx_blas.c``, ``gru_blas.c``: the
  recurrences of the BLAS path (every dtype), with slots for a vector kernel;
* ``vec/``: the float32 vector kernels, written once on a 16-float vector type ``kv16``
  (``vector.h``: the activations; ``threads.h``: the thread team; ``lstm_fwd.c``,
  ``lstm_bwd.c``, ``gru_fwd.c``, ``gru_bwd.c``: the kernels);
* ``<isa>/kv.h`` (``avx512``, ``avx2``, ``portable``): that vector type and its operations
  on one instruction set, and ``<isa>/mm.h``: its register-tile product.  ``isa.py`` says
  which one a module gets.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from string import Template

import pytensor

C_DIR = Path(__file__).resolve().parent / "c"

_SECTION = re.compile(r"^/\*@@ (.+?) @@\*/\n", re.M)


@functools.cache
def _sections(name: str) -> dict[str | None, str]:
    """The fragments of ``c/<name>``: ``{section: text}``, ``{None: text}`` without sections."""
    text = (C_DIR / name).read_text()
    marks = list(_SECTION.finditer(text))
    if not marks:
        return {None: text}
    out = {}
    for k, mark in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        out[mark.group(1)] = text[mark.end():end]
    return out


def render(name: str, section: str | None = None, strip: bool = False, **params) -> str:
    """The fragment ``section`` of ``c/<name>`` with its ``${...}`` slots filled from
    ``params`` (a slot without a value is a KeyError: no C goes out half-filled)."""
    try:
        text = _sections(name)[section]
    except KeyError:
        raise KeyError(f"no C fragment {section!r} in {C_DIR / name}") from None
    if strip:
        text = text.rstrip("\n")
    return Template(text).substitute(params)


#: The modules that put the files' fragments together (their glue is part of the C text).
ASSEMBLING_MODULES = ("csource.py", "ops_common.py", "ops_lstm.py", "ops_gru.py")


def source_files() -> tuple[Path, ...]:
    """Every file under ``c/``, sorted, then ``ASSEMBLING_MODULES``."""
    return (tuple(sorted(p for p in C_DIR.rglob("*") if p.is_file()))
            + tuple(C_DIR.parent / m for m in ASSEMBLING_MODULES))


def digest() -> int:
    """A digest of the names and contents of ``source_files()`` (0 if none is readable)."""
    h = hashlib.sha256()
    files = source_files()
    if not files:
        return 0
    for path in files:
        h.update(path.relative_to(C_DIR.parent).as_posix().encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:  # no source (e.g. a bytecode-only install): the name alone
            pass
    return int(h.hexdigest()[:12], 16)


def has_blas():
    """Whether PyTensor's C backend links a BLAS (``blas__ldflags`` set)."""
    return bool(pytensor.config.blas__ldflags)


# --- the BLAS path -------------------------------------------------------------

def noblas_gemm():
    """The plain-C ``[sd]gemm_`` stand-ins of builds without a BLAS (``blas__ldflags`` empty)."""
    return render("noblas_gemm.h")


def helpers(dtype, act, inner, nm):
    """The node's type, its GEMM, and the scalar activations ``act_<nm>``/``inner_<nm>``
    (in place on a row) with their derivatives ``dact_<nm>``/``dinner_<nm>`` from outputs.

    float32 builds ``tanh``/``sigmoid`` on the branch-free polynomial ``exp`` of
    ``expf.h``, float64 on the few-ulp ``exp``/``tanh`` of ``expd.h`` (gcc vectorises both).
    """
    ctype = {"float32": "float", "float64": "double"}[dtype]
    prec = "s" if dtype == "float32" else "d"
    gemm = f"{prec}gemm_" if has_blas() else f"kl_{prec}gemm_noblas"
    lines = [render("node.h", "types", strip=True, T=ctype, nm=nm, gemm=gemm)]
    if dtype == "float32":
        lines.append(render("expf.h", nm=nm))
        fns = {"tanh": f"kl_tanhf_{nm}", "exp": f"kl_expf_{nm}"}
    else:
        lines.append(render("expd.h", "main", nm=nm))
        fns = {"tanh": f"kl_tanh_d_{nm}", "exp": f"kl_exp_d_{nm}"}
    for tag, kind in (("act", act), ("inner", inner)):
        lines.append(render("activations.h", "row", strip=True, tag=tag, nm=nm, T=ctype,
                            expr=render("activations.h", f"act {kind}", strip=True, T=ctype, **fns)))
        lines.append(render("activations.h", "deriv", strip=True, tag=tag, nm=nm, T=ctype,
                            expr=render("activations.h", f"dact {kind}", strip=True, T=ctype)))
    return "\n".join(lines) + "\n"


def lstm_blas(nm, v16="", v16_dispatch="", v16_bwd_dispatch=""):
    """The LSTM forward and backward recurrences of the BLAS path, the vector kernels' slots filled."""
    return render("lstm_blas.c", nm=nm, masked_prev=render("masked_prev.c", nm=nm), v16=v16,
                  v16_dispatch=v16_dispatch, v16_bwd_dispatch=v16_bwd_dispatch)


def lstm_fwdx_blas(nm):
    """``lstm_fwdx_<nm>``: LSTMForwardX's entry (the vector kernel, else the input product then the BLAS path)."""
    return render("lstm_fwdx_blas.c", nm=nm)


def gru_blas(nm, v16="", v16_dispatch="", v16_bwd_dispatch=""):
    """The GRU forward and backward recurrences of the BLAS path, the vector kernels' slots filled."""
    return render("gru_blas.c", nm=nm, masked_prev=render("masked_prev.c", nm=nm), v16=v16,
                  v16_dispatch=v16_dispatch, v16_bwd_dispatch=v16_bwd_dispatch)


# --- the float32 vector kernels ------------------------------------------------

def _vector(isa, nm, head, **slots):
    """``vec/<head>`` on ``isa``'s vector type, then the thread team and ``isa``'s tile product."""
    return (render(f"vec/{head}", nm=nm, guard=render(f"{isa}/kv.h", "guard", strip=True),
                   kv=render(f"{isa}/kv.h", "kv"), **slots)
            + render("vec/threads.h", nm=nm) + render(f"{isa}/mm.h", nm=nm))


def _forward_common(isa, nm, act, inner):
    acts = {k: render("vec/activations.h", f"act {k}", strip=True, nm=nm) for k in (act, inner)}
    return _vector(isa, nm, "vector.h", act=acts[act], inner=acts[inner])


def _backward_common(isa, nm, act, inner):
    dacts = {k: render("vec/activations.h", f"dact {k}", strip=True) for k in (act, inner)}
    return _vector(isa, nm, "vector_bwd.h", dact=dacts[act], dinner=dacts[inner])


def lstm_forward_kernel(isa, dtype, act, inner, nm):
    """``{"v16": .., "v16_dispatch": ..}``: the float32 LSTM forward kernel of ``isa``
    (``LSTMForward``, ``LSTMForwardX``) and its call at the top of ``lstm_fwd_<nm>``;
    ``{}`` (the BLAS path) for float64 or ``isa == "blas"``."""
    if dtype != "float32" or isa == "blas":
        return {}
    return {"v16": _forward_common(isa, nm, act, inner) + render("vec/lstm_fwd.c", nm=nm),
            "v16_dispatch": render("vec/lstm_fwd_dispatch.c", nm=nm)}


def lstm_backward_kernel(isa, dtype, act, inner, nm):
    """``{"v16": .., "v16_bwd_dispatch": ..}``: the float32 LSTM backward kernel of ``isa``
    and its call at the top of ``lstm_bwd_<nm>``; ``{}`` as above."""
    if dtype != "float32" or isa == "blas":
        return {}
    return {"v16": _backward_common(isa, nm, act, inner) + render("vec/lstm_bwd.c", nm=nm),
            "v16_bwd_dispatch": render("vec/lstm_bwd_dispatch.c", nm=nm)}


def gru_forward_kernel(isa, dtype, act, inner, nm):
    """``{"v16": .., "v16_dispatch": ..}``: the float32 GRU forward kernel of ``isa`` and its
    call at the top of ``gru_fwd_<nm>``; ``{}`` as above."""
    if dtype != "float32" or isa == "blas":
        return {}
    return {"v16": _forward_common(isa, nm, act, inner) + render("vec/gru_fwd.c", nm=nm),
            "v16_dispatch": render("vec/gru_fwd_dispatch.c", nm=nm)}


def gru_backward_kernel(isa, dtype, act, inner, nm):
    """``{"v16": .., "v16_bwd_dispatch": ..}``: the float32 GRU backward kernel of ``isa`` and
    its call at the top of ``gru_bwd_<nm>``; ``{}`` as above."""
    if dtype != "float32" or isa == "blas":
        return {}
    return {"v16": _backward_common(isa, nm, act, inner) + render("vec/gru_bwd.c", nm=nm),
            "v16_bwd_dispatch": render("vec/gru_bwd_dispatch.c", nm=nm)}
