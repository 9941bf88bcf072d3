"""The C text of the fused LSTM / GRU Ops, read from the ``.c``/``.h`` files of ``c/``.

The template mechanism is ``backend/ctemplate.py``'s (``string.Template`` fragments,
sections ``/*@@ <section> @@*/``): the slots filled per node are ``${nm}`` the node's
name, the C type, the activation pair, the kernel texts of the slots of the BLAS path.

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
* ``f64/``: the float64 LSTM and GRU forward kernels (AVX-512 or AVX2: U packed once per call, the
  products on register tiles (``mm.h``), the BLAS path's gate loops, the thread team of ``vec/``);
* ``<isa>/kv.h`` (``avx512``, ``avx2``, ``portable``): that vector type and its operations
  on one instruction set, and ``<isa>/mm.h``: its register-tile product.  ``isa.py`` says
  which one a module gets.
"""

from __future__ import annotations

from pathlib import Path

import pytensor

from keras_legacy.backend.ctemplate import CSource

C_DIR = Path(__file__).resolve().parent / "c"

#: The modules that put the files' fragments together (their glue is part of the C text).
ASSEMBLING_MODULES = ("csource.py", "ops_common.py", "ops_lstm.py", "ops_gru.py")

_SOURCE = CSource(C_DIR, ASSEMBLING_MODULES)

#: ``render(name, section=None, strip=False, **slots)``: a fragment of ``c/<name>``, its slots filled.
render = _SOURCE.render
#: Every file under ``c/``, sorted, then ``ASSEMBLING_MODULES``.
source_files = _SOURCE.source_files
#: A digest of the names and contents of ``source_files()``.
digest = _SOURCE.digest


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


#: The kernels (``isa.py``) with a float64 forward kernel of ``f64/``.
FLOAT64_KERNELS = ("avx512", "avx2")


def _float64_forward(kind, nm):
    """The float64 forward kernel ``f64/<kind>_fwd.c`` (AVX-512F or AVX2 + FMA, whichever the
    compiler targets, on ``f64/mm.h`` and the thread team) and its call at the top of
    ``<kind>_fwd_<nm>``."""
    common = render("f64/mm.h", nm=nm, threads=render("vec/threads.h", nm=nm))
    return {"v16": render(f"f64/{kind}_fwd.c", nm=nm, common=common),
            "v16_dispatch": render(f"f64/{kind}_fwd_dispatch.c", nm=nm)}


def lstm_forward_kernel(isa, dtype, act, inner, nm):
    """``{"v16": .., "v16_dispatch": ..}``: the float32 LSTM forward kernel of ``isa``
    (``LSTMForward``, ``LSTMForwardX``) and its call at the top of ``lstm_fwd_<nm>``;
    float64: the one of ``f64/`` (``isa`` in ``FLOAT64_KERNELS``); ``{}`` (the BLAS path)
    otherwise or for ``isa == "blas"``."""
    if dtype == "float64" and isa in FLOAT64_KERNELS:
        return _float64_forward("lstm", nm)
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
    call at the top of ``gru_fwd_<nm>``; float64: the one of ``f64/`` (``isa`` in
    ``FLOAT64_KERNELS``); ``{}`` otherwise, as above."""
    if dtype == "float64" and isa in FLOAT64_KERNELS:
        return _float64_forward("gru", nm)
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
