"""Project rules, checked on the source with ``ast`` (every module under ``keras_legacy/``).

* import floors: every module belongs to a floor of ``FLOORS`` (a module not
  classified fails) and imports keras_legacy modules of its own floor or lower
  ones only;
* no import cycle between keras_legacy modules;
* no keras_legacy import inside a function (nor ``importlib.import_module`` of a
  keras_legacy name anywhere): imports are declared at the top of the module;
* ``pytensor.scan`` / ``pytensor.function`` are called only in ``keras_legacy/backend/``
  (the one place for version-sensitive PyTensor things), with the exceptions below;
* ``h5py`` is imported only by ``keras_legacy/utils/io_utils.py``;
* no ``print(`` runs at import time;
* no ``assert`` statements (user errors are ValueError/TypeError with messages).
"""

from __future__ import annotations

import ast
import pathlib
import sys

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


#: The import floors, lowest first (the project's layout).  A module is in the floor of the
#: longest prefix (a folder ``x/`` or a file ``x.py``, relative to ``keras_legacy/``) matching it.
#: Sub-floors (3.1, 3.2) order modules inside a floor: the 0.2.0 layers subclass the 0.1.3 ones,
#: the 0.3 layers the 0.2.0 ones.
FLOORS = {
    # 0. PyTensor compatibility: the one version-sensitive module, BLAS, the parallel build, generic Ops
    "__init__.py": 0,
    "backend/": 0,
    # 1. the fused-RNN package (Ops, their C, kernel selection: tensors in, never a layer) and the
    #    leaf helpers of utils/ (0.x import paths)
    "backend/rnn/": 1,
    "backend/conv/": 1,  # the convolution / pooling Ops (C, Numba, JAX), tensors in, never a layer
    "utils/__init__.py": 1,
    "utils/np_utils.py": 1,
    "utils/generic_utils.py": 1,
    "utils/io_utils.py": 1,
    "utils/theano_utils.py": 1,
    "utils/test_utils.py": 1,
    "utils/limits.py": 1,  # bounded config reading and short_repr (used from floor 1 up)
    # 2. the math of the 0.x top-level modules, callbacks, and the leaf packages
    "activations.py": 2,
    "initializations.py": 2,
    "regularizers.py": 2,
    "constraints.py": 2,
    "objectives.py": 2,
    "optimizers.py": 2,
    "callbacks.py": 2,
    "preprocessing/": 2,
    "datasets/": 2,
    # 3. layers: the 0.1.3 layers, then the 0.2.0 and 0.3 styles of them
    "layers/": 3,
    "v020/layers/": 3.1,
    "v03/layers/": 3.2,
    # 4. what models need: config codecs, the layer registry, validation, training loops
    "engine/": 4,
    "utils/layer_utils.py": 4,  # 0.x path, re-exports engine.layer_registry
    # 5. the models
    "models.py": 5,
    "v020/graph_model.py": 5,  # the 0.2.0 Graph model, built by models.model_from_config
    # 6. the styles' entry points
    "v020/": 6,
    "v03/": 6,
    # 7. tools
    "run.py": 7,
    "py2compat.py": 7,  # the --py2 rewrite of keras_legacy.run
    "py2builtins.py": 7,
    "cli.py": 7,
    "export.py": 7,
    "export_conv.py": 7,
    "theano_alias/": 7,
    "examples/": 7,
}

#: Modules allowed a keras_legacy import inside a function, with the reason.
FUNCTION_IMPORTS_ALLOWED = {}


def floor_of(name):
    """The floor of the module at ``name`` (relative path), or None when no entry covers it."""
    best = None
    for prefix, floor in FLOORS.items():
        if (name == prefix or (prefix.endswith("/") and name.startswith(prefix))) and (
                best is None or len(prefix) > len(best[0])):
            best = (prefix, floor)
    return best[1] if best else None


def module_name(path):
    parts = list(pathlib.PurePosixPath(rel(path)).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["keras_legacy"] + parts)


MODULE_PATHS = {}  # dotted name -> relative path, filled below


def _resolve(dotted_name):
    """The relative path of the keras_legacy module ``dotted_name``, or None (a name inside a module)."""
    return MODULE_PATHS.get(dotted_name)


def keras_imports(tree, this):
    """``[(line, target relative path, inside_function)]`` of the keras_legacy modules ``tree`` imports.

    ``from a.b import c`` names the module ``a.b.c`` when that is a module, else ``a.b``;
    relative imports are resolved against ``this`` (a dotted module name).
    """
    found = []

    def add(line, dotted, in_function):
        target = _resolve(dotted)
        if target is not None:
            found.append((line, target, in_function))

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "keras_legacy":
                        add(child.lineno, alias.name, in_function)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = this.split(".")
                    package = package[: len(package) - child.level + (1 if this in _PACKAGES else 0)]
                    base = ".".join(package + ([base] if base else []))
                if base.split(".")[0] == "keras_legacy":
                    for alias in child.names:
                        if f"{base}.{alias.name}" in MODULE_PATHS:
                            add(child.lineno, f"{base}.{alias.name}", in_function)
                        else:
                            add(child.lineno, base, in_function)
            elif isinstance(child, ast.Call) and dotted(child.func) in ("importlib.import_module", "__import__"):
                arg = child.args[0] if child.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                        and arg.value.split(".")[0] == "keras_legacy":
                    found.append((child.lineno, MODULE_PATHS.get(arg.value, arg.value), True))
            visit(child, inner)

    visit(tree, False)
    return found


_PACKAGES = set()
for _path in MODULES:
    MODULE_PATHS[module_name(_path)] = rel(_path)
    if _path.name == "__init__.py":
        _PACKAGES.add(module_name(_path))
IMPORTS = {rel(path): keras_imports(parse(path), module_name(path)) for path in MODULES}


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


# --- floors, cycles, function-level imports --------------------------------------------------

#: The most lines a module may have ("modules under ~600 lines").
MAX_LINES = 620


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_every_module_has_a_floor(path):
    assert floor_of(rel(path)) is not None, (
        f"{rel(path)} is in no floor of FLOORS; add the module (or its folder) to the table")


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_upward_import(path):
    name = rel(path)
    here = floor_of(name)
    upward = [f"line {line}: {target} (floor {floor_of(target)})" for line, target, _ in IMPORTS[name]
              if floor_of(target) is not None and here is not None and floor_of(target) > here]
    assert upward == [], f"{name} (floor {here}) imports from a higher floor: {upward}"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_import_inside_functions(path):
    name = rel(path)
    if name in FUNCTION_IMPORTS_ALLOWED:
        return
    inside = [f"line {line}: {target}" for line, target, in_function in IMPORTS[name] if in_function]
    assert inside == [], (
        f"{name} imports keras_legacy modules inside functions (or through importlib): {inside}; "
        "import at the top of the module (a cycle is broken by moving code down a floor)")


def find_cycles(graph):
    """The strongly connected components of more than one module (or a module importing itself)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def test_no_import_cycle():
    graph = {name: {target for _, target, _ in imports}
             for name, imports in IMPORTS.items()}
    assert find_cycles(graph) == [], "import cycles between keras_legacy modules"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_module_size(path):
    name = rel(path)
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by what it holds (at most ~600)"


def test_allowances_name_existing_modules():
    names = {rel(path) for path in MODULES}
    stale = sorted(FUNCTION_IMPORTS_ALLOWED)
    stale = [n for n in stale if n not in names]
    assert stale == [], f"allowances for modules that no longer exist: {stale}; remove them"


def test_floor_and_import_detectors():
    """The floor table and the import scanner on small cases."""
    assert floor_of("backend/pytensor_compat.py") == 0
    assert floor_of("backend/rnn/ops.py") == 1
    assert floor_of("backend/conv/ops.py") == 1
    assert floor_of("utils/np_utils.py") == 1
    assert floor_of("utils/layer_utils.py") == 4
    assert floor_of("layers/convolutional.py") == 3
    assert floor_of("v020/layers/convolutional.py") == 3.1
    assert floor_of("v020/models.py") == 6
    assert floor_of("preprocessing/image.py") == 2
    assert floor_of("datasets/mnist.py") == 2
    assert floor_of("utils/new_module.py") is None
    assert floor_of("somewhere.py") is None
    tree = ast.parse(
        "from keras_legacy.layers import core\nfrom keras_legacy import backend as K\n"
        "from . import checks\n"
        "def f():\n    from keras_legacy.models import Sequential\n    import numpy\n"
        "    return importlib.import_module('keras_legacy.engine.validation')\n"
    )
    found = keras_imports(tree, "keras_legacy.layers.containers")
    assert found == [(1, "layers/core.py", False), (2, "backend/__init__.py", False),
                     (3, "layers/checks.py", False), (5, "models.py", True),
                     (7, "engine/validation.py", True)]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
