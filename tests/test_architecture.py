"""Project rules, checked on the source with ``ast`` (every module under ``keras_legacy/``).

* ``pytensor.scan`` / ``pytensor.function`` are called only in ``keras_legacy/backend/``
  (the one place for version-sensitive PyTensor things), with the exceptions below;
* ``h5py`` is imported only by ``keras_legacy/utils/io_utils.py``;
* no ``print(`` runs at import time;
* no ``assert`` statements (user errors are ValueError/TypeError with messages).
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_legacy"
MODULES = sorted(PACKAGE.rglob("*.py"))

#: Modules besides ``backend/`` allowed to call ``pytensor.function``/``scan``:
#: ``theano_alias`` is the ``import theano`` facade for 2015 scripts (``keras_legacy.run``);
#: forwarding ``theano.function`` to ``pytensor.function`` is its whole job.
COMPILE_ALLOWED = ("backend/", "theano_alias/")
H5PY_ALLOWED = ("utils/io_utils.py",)
FORBIDDEN_CALLS = {"pytensor.function", "pytensor.scan", "pytensor.scan.scan",
                   "pytensor.scan.basic.scan", "pytensor.compile.function.function"}
FORBIDDEN_IMPORTS = {("pytensor", "function"), ("pytensor", "scan"),
                     ("pytensor.scan", "scan"), ("pytensor.scan.basic", "scan"),
                     ("pytensor.compile.function", "function"), ("pytensor.compile", "function")}


def rel(path):
    return path.relative_to(PACKAGE).as_posix()


def parse(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def dotted(node):
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def compile_calls(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and dotted(node.func) in FORBIDDEN_CALLS:
            found.append(f"line {node.lineno}: {dotted(node.func)}(...)")
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (node.module, alias.name) in FORBIDDEN_IMPORTS:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    return found


def h5py_imports(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}" for a in node.names
                      if a.name == "h5py" or a.name.startswith("h5py.")]
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.module == "h5py" or node.module.startswith("h5py.")):
            found.append(f"line {node.lineno}")
    return found


def _is_main_guard(node):
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and dotted(node.test.left) == "__name__")


def import_time_prints(tree):
    """``print(...)`` calls executed when the module is imported (module and class
    bodies, outside functions and ``if __name__ == "__main__":``)."""
    found = []

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return
        if _is_main_guard(node):
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"line {node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def asserts(tree):
    return [f"line {n.lineno}" for n in ast.walk(tree) if isinstance(n, ast.Assert)]


def test_package_found():
    assert len(MODULES) > 10
    assert (PACKAGE / "layers" / "recurrent.py") in MODULES


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_compile_only_in_backend(path):
    if rel(path).startswith(COMPILE_ALLOWED):
        return
    assert compile_calls(parse(path)) == [], (
        f"{rel(path)} calls pytensor.function/scan directly; use K.function / K.scan")


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_h5py_only_in_io_utils(path):
    if rel(path) in H5PY_ALLOWED:
        return
    assert h5py_imports(parse(path)) == [], f"{rel(path)} imports h5py; use utils.io_utils"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_print_at_import(path):
    assert import_time_prints(parse(path)) == [], f"{rel(path)} prints at import time"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_assert_statements(path):
    assert asserts(parse(path)) == [], (
        f"{rel(path)} uses assert; raise ValueError/TypeError with a message instead")


def test_the_checks_detect_violations():
    """The detectors themselves: each flags a small offending source."""
    bad = ast.parse(
        "import pytensor\nimport h5py\nfrom pytensor import function\nprint('hi')\n"
        "class A:\n    print('x')\n"
        "def f():\n    print('fine')\n    assert f\n    return pytensor.scan(f)\n"
        "if __name__ == '__main__':\n    print('fine')\n"
    )
    assert compile_calls(bad) == ["line 3: from pytensor import function",
                                  "line 10: pytensor.scan(...)"]
    assert h5py_imports(bad) == ["line 2"]
    assert import_time_prints(bad) == ["line 4", "line 6"]
    assert asserts(bad) == ["line 9"]
