"""Run a Python 2 era script on Python 3: ``python -m keras_legacy.run --py2 SCRIPT``.

The script's own file is parsed and rewritten (an AST rewrite; modules it
imports are not touched) so that:

* ``a / b`` and ``a /= b`` are classic division: floor division when both
  operands are integers (Python ints, NumPy integer scalars and arrays,
  integer tensors), true division otherwise.  A script that does
  ``from __future__ import division`` keeps ``/`` as it is;
* ``d.keys()``/``values()``/``items()`` of a dict return lists, and
  ``iteritems``/``iterkeys``/``itervalues``/``has_key`` work on mappings and
  ``s.decode(...)`` on text (attribute reads only; an object's own attribute of
  that name always wins);
* ``print >>f, x`` becomes ``print(x, file=f)`` and a lone ``print`` prints an
  empty line;
* a class defining ``__div__``/``__rdiv__``/``__idiv__``, ``__nonzero__`` or
  ``next`` also gets ``__truediv__``/``__rtruediv__``/``__itruediv__``,
  ``__bool__`` or ``__next__``.

The script runs with the builtins of :mod:`keras_legacy.py2builtins`
(``xrange``, ``raw_input``, ``unicode``, ``cPickle``... and list-returning
``range``/``zip``/``map``/``filter``, ``re`` with the Python 2 ``re.split``).

Not covered: syntax Python 3 cannot parse (``print x``, ``except E, e``,
backticks, ``ur''``, ``0777``, ``10L``, ``<>``, ``exec code``, ``raise E, msg``,
tuple parameters): the run stops before it starts with :class:`Py2SyntaxError`
naming the file, the line and the change to make.  Also not covered: byte
strings (Python 2 ``str`` is bytes here only inside ``cPickle``), ``sys.maxint``
and other changed library attributes, ``sort(cmp=...)``, ``print(a, b)``
printing a tuple, the integer division of modules the script imports, and
``input()`` evaluating what is typed.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import types

from keras_legacy.py2builtins import HELPER_NAMES, script_builtins

_DICT_ATTRIBUTES = frozenset(
    {"iteritems", "iterkeys", "itervalues", "has_key", "keys", "values", "items", "decode"})
_CLASS_ALIASES = (
    ("__div__", "__truediv__"), ("__rdiv__", "__rtruediv__"), ("__idiv__", "__itruediv__"),
    ("__nonzero__", "__bool__"), ("next", "__next__"),
)


class Py2SyntaxError(SyntaxError):
    """A script uses Python 2 syntax that Python 3 cannot parse; the message says what to change."""

    def __init__(self, message, filename, lineno):
        super().__init__(message)
        self.report = message
        self.filename = filename
        self.lineno = lineno

    def __str__(self):
        return self.report


#: (pattern on the offending line, what to write instead)
_SYNTAX_HINTS = (
    (re.compile(r"^\s*print\s*>>"), "write print(..., file=stream) instead of print >>stream, ..."),
    (re.compile(r"^\s*print\b(?!\s*\()"), ("print is a function: write print(...) (with "
                                          "end=' ' for a trailing comma)")),
    (re.compile(r"^\s*except\b[^:]*,\s*\w+\s*:"), "write `except ExceptionType as name:`"),
    (re.compile(r"`"), "backticks: write repr(...)"),
    (re.compile(r"\b[uU][rR]['\"]"), "write r'...' (ur'' prefixes are gone; strings are unicode)"),
    (re.compile(r"(?<![\w.])0\d+\b"), "octal literal: write 0o777 instead of 0777"),
    (re.compile(r"\b\d+[lL]\b"), "long literal: drop the L (10L -> 10)"),
    (re.compile(r"<>"), "write != instead of <>"),
    (re.compile(r"^\s*exec\s+[^(=\s]"), "exec is a function: write exec(code, namespace)"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "write raise ExceptionType(message)"),
    (re.compile(r"(\bdef\s+\w+\s*\(.*\(|\blambda\s*\()"),
     "tuple parameters: take one parameter and unpack it in the body"),
)


def _hint(line, message):
    for pattern, advice in _SYNTAX_HINTS:
        if pattern.search(line):
            return advice
    if "tab" in message.lower():
        return "indentation mixes tabs and spaces: indent with spaces only"
    return "this is Python 2 syntax: rewrite it for Python 3"


def syntax_report(filename, source, error):
    """The message of :class:`Py2SyntaxError` for the SyntaxError ``error`` of ``source``."""
    lineno = error.lineno or 0
    lines = source.splitlines()
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else (error.text or "")
    return (
        f"{filename}, line {lineno}: Python 3 cannot parse this line ({error.msg}):\n"
        f"    {line.strip()}\n"
        f"  fix: {_hint(line, error.msg or '')}.\n"
        "--py2 covers Python 2 builtins, modules and classic division at run time, "
        "but not syntax; fix this line (and any like it) and run again."
    )


def _helper(kind):
    return ast.Name(id=HELPER_NAMES[kind], ctx=ast.Load())


def _is_print(node):
    return isinstance(node, ast.Name) and node.id == "print"


class Py2Rewriter(ast.NodeTransformer):
    """The rewrite of one script's AST (see the module docstring)."""

    def __init__(self, classic_division=True):
        self.classic_division = classic_division
        self._temps = 0

    def _temp(self):
        self._temps += 1
        return f"__py2_t{self._temps}__"

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if self.classic_division and isinstance(node.op, ast.Div):
            return ast.copy_location(
                ast.Call(func=_helper("div"), args=[node.left, node.right], keywords=[]), node)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if not (self.classic_division and isinstance(node.op, ast.Div)):
            return node
        target = node.target
        prelude = []
        if isinstance(target, ast.Attribute):
            holder = self._temp()
            prelude.append(ast.Assign(targets=[ast.Name(holder, ast.Store())], value=target.value))
            read = ast.Attribute(ast.Name(holder, ast.Load()), target.attr, ast.Load())
            write = ast.Attribute(ast.Name(holder, ast.Load()), target.attr, ast.Store())
        elif isinstance(target, ast.Subscript):
            holder, key = self._temp(), self._temp()
            prelude.append(ast.Assign(targets=[ast.Name(holder, ast.Store())], value=target.value))
            prelude.append(ast.Assign(targets=[ast.Name(key, ast.Store())], value=target.slice))
            read = ast.Subscript(ast.Name(holder, ast.Load()), ast.Name(key, ast.Load()), ast.Load())
            write = ast.Subscript(ast.Name(holder, ast.Load()), ast.Name(key, ast.Load()), ast.Store())
        else:
            read = ast.Name(target.id, ast.Load())
            write = ast.Name(target.id, ast.Store())
        value = ast.Call(func=_helper("idiv"), args=[read, node.value], keywords=[])
        statements = [*prelude, ast.Assign(targets=[write], value=value)]
        return [ast.copy_location(statement, node) for statement in statements]

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and node.attr in _DICT_ATTRIBUTES:
            return ast.copy_location(
                ast.Call(func=_helper("attr"), args=[node.value, ast.Constant(node.attr)],
                         keywords=[]), node)
        return node

    def visit_Expr(self, node):
        value = node.value
        if _is_print(value):
            node.value = ast.Call(func=ast.Name("print", ast.Load()), args=[], keywords=[])
            return ast.copy_location(node, value)
        stream, items = None, None
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.RShift) and _is_print(value.left):
            stream, items = value.right, []
        elif (isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[0], ast.BinOp)
              and isinstance(value.elts[0].op, ast.RShift) and _is_print(value.elts[0].left)):
            stream, items = value.elts[0].right, value.elts[1:]
        if stream is not None:
            node.value = ast.Call(func=ast.Name("print", ast.Load()), args=items,
                                  keywords=[ast.keyword("file", stream)])
            ast.copy_location(node.value, value)
        return self.generic_visit(node)

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        defined = {
            target.id for statement in node.body
            for target in (statement.targets if isinstance(statement, ast.Assign) else [])
            if isinstance(target, ast.Name)
        } | {statement.name for statement in node.body
             if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for old, new in _CLASS_ALIASES:
            if old in defined and new not in defined:
                alias = ast.Assign(targets=[ast.Name(new, ast.Store())],
                                   value=ast.Name(old, ast.Load()))
                node.body.append(ast.copy_location(alias, node.body[-1]))
        return node


def _future_division(tree):
    return any(
        isinstance(node, ast.ImportFrom) and node.module == "__future__"
        and any(alias.name == "division" for alias in node.names)
        for node in tree.body
    )


def read_source(path):
    """The text of ``path`` decoded as Python does (coding cookie, else UTF-8)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise Py2SyntaxError(
            f"{path}: cannot decode the file ({exc}). Add a coding line such as "
            "`# -*- coding: latin-1 -*-` at its top, or save it as UTF-8.", path, 0) from exc


def compile_py2(source, filename):
    """Parse ``source``, apply :class:`Py2Rewriter` and compile it (raises Py2SyntaxError)."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise Py2SyntaxError(syntax_report(filename, source, exc), filename, exc.lineno) from None
    tree = Py2Rewriter(classic_division=not _future_division(tree)).visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec", dont_inherit=True)


def run_path(path):
    """Run the Python 2 script ``path`` as ``__main__``; returns its globals.

    ``sys.argv`` and ``sys.path`` are the caller's business (see keras_legacy.run).
    """
    code = compile_py2(read_source(path), path)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = script_builtins()
    previous = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)  # noqa: S102 (running the script is the purpose)
    finally:
        if previous is not None:
            sys.modules["__main__"] = previous
    return module.__dict__
