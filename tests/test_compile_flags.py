"""``backend/compile_flags.py``: C modules compile without debug information
(``-g0``) unless the user chose ``gcc__cxxflags``."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys

import pytensor

from keras_legacy.backend import compile_flags

ROOT = pathlib.Path(__file__).resolve().parents[1]

_CHILD = r"""
import pathlib, sys
import numpy as np
import pytensor, pytensor.tensor as T
from keras_legacy import backend as K
x = T.vector(dtype="float64")
f = K.function([x], [T.exp(x) * 3.0 + x])
v = np.array([0.5, -1.0, 2.0])
assert np.allclose(f(v)[0], np.exp(v) * 3.0 + v)
sos = [p for p in pathlib.Path(pytensor.config.compiledir).rglob("*.so")
       if p.parent.name.startswith("tmp")]
debug = [p.name for p in sos if b".debug_info" in p.read_bytes()]
print(repr(pytensor.config.gcc__cxxflags), len(sos), len(debug))
"""


def _child(tmp_path, extra_flags=""):
    flags = [f"base_compiledir={tmp_path}"] + ([extra_flags] if extra_flags else [])
    env = dict(os.environ, PYTENSOR_FLAGS=",".join(flags), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    cxxflags, n_so, n_debug = out.stdout.strip().splitlines()[-1].rsplit(" ", 2)
    return ast.literal_eval(cxxflags), int(n_so), int(n_debug)


def test_default_is_g0_in_this_process():
    user = "gcc__cxxflags" in os.environ.get("PYTENSOR_FLAGS", "")
    if user:
        assert compile_flags.configure_compile_flags() == "user"
    else:
        assert compile_flags.configure_compile_flags() == "keras_legacy"
        assert pytensor.config.gcc__cxxflags == "-g0"
        from pytensor.link.c.cmodule import GCC_compiler

        assert "-g0" in GCC_compiler.compile_args()


def test_modules_have_no_debug_info_and_user_flags_win(tmp_path):
    flags, n_so, n_debug = _child(tmp_path / "default")
    assert flags == "-g0"
    assert n_so >= 1 and n_debug == 0
    # the user's choice is kept: plain -O2 (PyTensor's -g stays, debug info is written)
    flags, n_so, n_debug = _child(tmp_path / "user", "gcc__cxxflags=-O2")
    assert flags == "-O2"
    assert n_so >= 1 and n_debug == n_so
