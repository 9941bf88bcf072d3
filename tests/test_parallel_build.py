"""The parallel C-module build of the default mode (``keras_legacy/backend/parallel_build.py``).

The cold-cache checks run in child processes with their own empty PyTensor compile folder
(the test session's cache is warm, so nothing would be built there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from keras_legacy import backend as K
from keras_legacy.backend import parallel_build as pb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_header_block_is_the_leading_includes_only():
    src = '#include <Python.h>\n\n#include "helper.h"\n  #include <math.h>\n' \
          "static int x;\n#include <vector>\n"
    assert pb._header_block(src) == ("#include <Python.h>", '#include "helper.h"',
                                     "#include <math.h>")
    assert pb._header_block("int x;\n#include <a.h>\n") == ()


def test_compile_jobs_from_environment(monkeypatch):
    monkeypatch.setenv(pb.JOBS_ENV, "3")
    assert pb.compile_jobs() == 3
    monkeypatch.setenv(pb.JOBS_ENV, "0")
    assert pb.compile_jobs() == 1
    monkeypatch.setenv(pb.JOBS_ENV, "many")
    with pytest.raises(ValueError, match="KERAS_LEGACY_COMPILE_JOBS must be a whole number.*'many'"):
        pb.compile_jobs()
    monkeypatch.delenv(pb.JOBS_ENV)
    assert pb.compile_jobs() >= 1


def test_default_mode_uses_the_parallel_linker():
    linker = K.get_mode(None).linker
    assert isinstance(linker, pb.ParallelCVMLinker)
    assert linker.use_cloop and linker.c_thunks and linker.allow_gc is False


CHILD = textwrap.dedent(r"""
    import json, sys
    import numpy as np
    import pytensor, pytensor.tensor as T
    import pytensor.utils as pu
    import pytensor.link.c.cmodule as cm
    from keras_legacy import backend as K
    from keras_legacy.backend import parallel_build as pb

    pb.PCH_MIN_GROUP = 2          # a small graph still exercises the precompiled header
    report = {"prebuilt": [], "late": [], "pch_used": 0}
    real_prebuild = pb.prebuild
    def prebuild(order, jobs_wanted=None):
        n = real_prebuild(order, jobs_wanted)
        report["prebuilt"].append(n)
        return n
    pb.prebuild = prebuild
    real_popen = pu.output_subprocess_Popen
    def popen(cmd, *a, **k):   # every compiler run: count those given a precompiled header
        if "-include" in cmd:
            report["pch_used"] += 1
        return real_popen(cmd, *a, **k)
    pu.output_subprocess_Popen = popen
    cm.output_subprocess_Popen = popen
    real_compile_str = cm.GCC_compiler.compile_str
    def compile_str(module_name, src_code, *a, **k):
        if k.get("py_module", True) and module_name not in ("cutils_ext", "lazylinker_ext"):
            report["late"].append(module_name)   # compiled by PyTensor's own sequential pass
        return real_compile_str(module_name, src_code, *a, **k)
    cm.GCC_compiler.compile_str = staticmethod(compile_str)

    x = T.dmatrix("x")
    outs = [T.exp(x).sum(axis=0), x.max(axis=1), T.dot(x, x.T), T.tanh(x) * 2.5 + x ** 2]
    f = K.function([x], outs)
    X = np.random.RandomState(0).randn(4, 3)
    ref = [np.exp(X).sum(axis=0), X.max(axis=1), X @ X.T, np.tanh(X) * 2.5 + X ** 2]
    report["max_err"] = max(float(np.max(np.abs(a - b))) for a, b in zip(f(X), ref))
    report["pch_files"] = sorted(
        name for _, _, files in __import__("os").walk(pytensor.config.compiledir)
        for name in files if name.endswith(".gch"))

    if sys.argv[1] == "cold":
        # A job whose precompiled header is unusable is still built (the plain command).
        y = T.dvector("y")
        g = pytensor.graph.fg.FunctionGraph([y], [T.cosh(y) * 3.0, T.argmax(y ** 3)])
        from pytensor.link.c.basic import get_module_cache
        jobs = pb._missing_modules(g.toposort(), get_module_cache())
        assert len(jobs) >= 1, "expected modules missing from the cache"
        jobs[0].pch = "/nonexistent/keras_legacy/headers.h"
        jobs[0].build()
        report["fallback_built"] = sorted(__import__("os").listdir(jobs[0].folder))
        report["fallback_library"] = jobs[0].library
    print("REPORT " + json.dumps(report))
""")


@pytest.fixture(scope="module")
def cold_then_warm(tmp_path_factory):
    """Two child processes on one empty compile folder: the first builds, the second reuses."""
    base = tmp_path_factory.mktemp("pt_cache")
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={base}",
               KERAS_LEGACY_COMPILE_JOBS="2", PYTHONPATH=ROOT)
    reports = []
    for phase in ("cold", "warm"):
        done = subprocess.run([sys.executable, "-c", CHILD, phase], env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        line = [ln for ln in done.stdout.splitlines() if ln.startswith("REPORT ")]
        assert line, done.stdout[-2000:]
        reports.append(json.loads(line[-1][len("REPORT "):]))
    return reports


def test_cold_compile_builds_every_module_before_the_usual_pass(cold_then_warm):
    cold, _ = cold_then_warm
    assert cold["max_err"] < 1e-12
    assert cold["prebuilt"] and cold["prebuilt"][0] >= 3, cold
    # PyTensor's own pass found each module in the cache: it compiled none itself.
    assert cold["late"] == [], cold
    assert cold["pch_used"] >= 2 and cold["pch_files"], cold


def test_unusable_precompiled_header_falls_back_to_the_plain_build(cold_then_warm):
    cold, _ = cold_then_warm
    assert cold["fallback_library"] in cold["fallback_built"]
    assert "mod.cpp" in cold["fallback_built"]


def test_warm_compile_builds_nothing(cold_then_warm):
    _, warm = cold_then_warm
    assert warm["max_err"] < 1e-12
    assert warm["prebuilt"] == [0] and warm["late"] == [] and warm["pch_used"] == 0, warm


BROKEN = textwrap.dedent(r"""
    import pytensor.tensor as T
    from pytensor.graph.basic import Apply
    from pytensor.link.c.op import COp
    from keras_legacy import backend as K

    class Broken(COp):
        __props__ = ("n",)
        def __init__(self, n):
            self.n = n
        def make_node(self, x):
            return Apply(self, [x], [x.type()])
        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0]
        def c_code_cache_version(self):
            return (1,)
        def c_code(self, node, name, inp, out, sub):
            return "this is not C %d;" % self.n

    x = T.dvector("x")
    try:
        K.function([x], [Broken(1)(x), Broken(2)(x)])
    except Exception as exc:
        print("RAISED", type(exc).__name__)
""")


def test_a_module_that_does_not_compile_is_reported_by_the_usual_pass(tmp_path):
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={tmp_path}",
               KERAS_LEGACY_COMPILE_JOBS="2", PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-c", BROKEN], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "RAISED CompileError" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
