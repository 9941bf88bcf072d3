"""The fused Ops' C: read from the files of ``backend/rnn/c/``, their compiled-module version
follows those files (no stale module after an edit), and they ship with the package."""

import hashlib
import re
from pathlib import Path

from keras_legacy.backend import rnn
from keras_legacy.backend.rnn import csource, ops_common

PACKAGE = Path(rnn.__file__).resolve().parent
OPS = (rnn.LSTMForward("tanh", "hard_sigmoid"), rnn.LSTMForwardX("tanh", "hard_sigmoid"),
       rnn.GRUForward("sigmoid", "hard_sigmoid"), rnn.LSTMGrad("tanh", "hard_sigmoid"),
       rnn.GRUGrad("sigmoid", "hard_sigmoid"))


def test_cache_version_carries_a_digest_of_every_c_file():
    files = sorted(p for p in (PACKAGE / "c").rglob("*") if p.is_file())
    assert {p.suffix for p in files} == {".c", ".h"}
    digest = hashlib.sha256()
    for path in files + [PACKAGE / m for m in csource.ASSEMBLING_MODULES]:
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    expected = int(digest.hexdigest()[:12], 16)
    for op in OPS:
        assert op.c_code_cache_version()[:2] == (ops_common._C_VERSION, expected)


def test_no_c_text_in_the_python_modules():
    # the C lives in c/: no module of the package holds kernel text (intrinsics, loops over
    # pointers) or a %-template of it
    for path in PACKAGE.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"_mm\d*_|%\(nm\)s|typedef |#include|#define|PyArray_|PyErr_|malloc\(", text), path.name


def test_every_template_slot_is_filled():
    import pytensor.tensor as T
    m = T.matrix(dtype="int8")
    for dtype in ("float32", "float64"):
        for op in OPS:
            if isinstance(op, (rnn.LSTMGrad, rnn.GRUGrad)):
                node = op.make_node(m, T.matrix(dtype=dtype), *(T.tensor3(dtype=dtype) for _ in range(3)))
            elif isinstance(op, rnn.LSTMForwardX):
                node = op.make_node(T.tensor3(dtype=dtype), m, T.matrix(dtype=dtype), T.matrix(dtype=dtype),
                                    T.vector(dtype=dtype))
            else:
                node = op.make_node(T.tensor3(dtype=dtype), m, T.matrix(dtype=dtype))
            text = op.c_support_code_apply(node, "nm")
            assert "${" not in text and "@@" not in text
            assert "rnn_t_nm" in text


def test_pyproject_ships_the_c_files_as_package_data():
    import tomllib
    root = PACKAGE.parents[2]
    conf = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["keras_legacy.backend.rnn"]
    for path in (PACKAGE / "c").rglob("*"):
        if path.is_file():
            rel = path.relative_to(PACKAGE)
            assert any(rel.match(p) for p in patterns), rel


def test_backend_c_is_in_files_and_versioned():
    from keras_legacy.backend import fast_tanh, rows_ops

    text = (Path(fast_tanh.__file__).resolve().parent / "c" / "fast_tanh.h").read_text()
    assert "kl_fast_tanh" in text and fast_tanh.fast_tanh_scalar.c_support_code() == text
    assert fast_tanh.fast_tanh_scalar.c_code_cache_version()[1] == rows_ops.C_SOURCE.digest() != 0
    rows_c = (Path(fast_tanh.__file__).resolve().parent / "c" / "rows_inc.c").read_bytes()
    assert rows_ops.RowsInc().c_code_cache_version()[1] == rows_ops.C_SOURCE.digest()
    assert b"numpy.add.at" in rows_c
    for path in Path(fast_tanh.__file__).resolve().parent.glob("*.py"):
        assert not re.search(r"#define|static inline|PyArray_|Py_XDECREF", path.read_text()), path.name
