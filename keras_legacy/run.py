"""Run a script written for Keras 0.x unchanged: ``python -m keras_legacy.run SCRIPT [ARGS...]``.

::

    python -m keras_legacy.run [--keras 0.1.3|0.2.0] [--py2] SCRIPT [ARGS...]

The script runs as ``__main__`` with ``sys.argv == [SCRIPT, *ARGS]`` and with
two import aliases in place:

* ``import keras...`` gives ``keras_legacy...`` (``--keras 0.1.3``, the
  default) or the 0.2.0 style ``keras_legacy.v020...`` (``--keras 0.2.0``;
  modules the 0.2.0 style does not redefine come from ``keras_legacy``);
* ``import theano...`` gives :mod:`keras_legacy.theano_alias`, a Theano facade
  over PyTensor (``theano.function``, ``theano.scan``, ``theano.shared``,
  ``theano.config.floatX``, ``theano.tensor`` with ``T.nnet``...).

No alias is installed unless asked for: importing ``keras_legacy`` (or this
module) changes nothing; :func:`install_aliases` or this command does.  The
aliased names are the very same module objects (``keras.layers.core.Dense is
keras_legacy.layers.core.Dense``), except the top package ``keras`` of the
0.2.0 style: a package of its own named ``keras`` holding what
``keras_legacy.v020`` holds, whose submodules are found through the aliases
(``from keras import regularizers`` gives ``keras_legacy.regularizers``;
``from keras import models`` gives ``keras_legacy.v020.models``).

``--py2`` runs a Python 2 era script with its habits (``xrange``, ``cPickle``,
classic integer division in the script's own code...); see
:mod:`keras_legacy.py2compat` for what it covers and what it cannot.

``THEANO_FLAGS=floatX=float32`` (how 2015 scripts chose float32) is honoured
when PyTensor has not been imported yet and ``PYTENSOR_FLAGS`` does not set
``floatX`` itself.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

from keras_legacy import py2compat

#: ``--keras`` value -> the packages that ``keras`` resolves to, first match wins.
KERAS_STYLES = {
    "0.1.3": ("keras_legacy",),
    "0.2.0": ("keras_legacy.v020", "keras_legacy"),
}
DEFAULT_KERAS = "0.1.3"
THEANO_TARGET = "keras_legacy.theano_alias"


def _package_exists(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already imported module under a second name.

    ``module_from_spec`` overwrites ``__spec__`` of whatever ``create_module``
    returns; ``exec_module`` puts the module's own spec back, so the module
    keeps its real identity (relative imports, reload, pickling).
    """

    def __init__(self, target):
        self.target = target
        self._real_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module):
        if self._real_spec is not None:
            module.__spec__ = self._real_spec


class _StyleRootLoader(importlib.abc.Loader):
    """Makes the top package ``keras`` of a style that falls back to ``keras_legacy`` (0.2.0).

    ``from keras import X`` looks for ``<package name>.X`` when the package has no
    attribute ``X``; were ``keras`` the module ``keras_legacy.v020`` itself, that would
    be ``keras_legacy.v020.regularizers``, which does not exist.  This package is named
    ``keras``: ``keras.X`` goes through :class:`AliasFinder`, which tries each base of
    the style in turn.  It starts with the attributes of the style's own package.
    """

    def __init__(self, target, keras_version):
        self.target = target
        self.keras_version = keras_version

    def create_module(self, spec):
        return None  # a plain module named after the spec (``keras``), a package with no folder

    def exec_module(self, module):
        real = importlib.import_module(self.target)
        for name, value in vars(real).items():
            if not name.startswith("__"):
                setattr(module, name, value)
        module.__doc__ = real.__doc__
        module.__keras_legacy_style__ = self.keras_version


def _is_alias_module(module):
    """A module the aliases put in ``sys.modules`` (a keras_legacy module or a style's ``keras`` package)."""
    return (getattr(module, "__name__", "").startswith("keras_legacy")
            or getattr(module, "__keras_legacy_style__", None) is not None)


class AliasFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder mapping ``keras`` and ``theano`` onto keras_legacy modules."""

    def __init__(self, keras_version=DEFAULT_KERAS):
        if keras_version not in KERAS_STYLES:
            raise ValueError(
                f"Unknown Keras version {keras_version!r}: expected one of {', '.join(KERAS_STYLES)}."
            )
        self.keras_version = keras_version
        self.roots = {"keras": KERAS_STYLES[keras_version], "theano": (THEANO_TARGET,)}

    def resolve(self, fullname):
        """The keras_legacy module name for ``fullname`` (None if it is not aliased)."""
        root, _, rest = fullname.partition(".")
        if root not in self.roots:
            return None
        parts = rest.split(".") if rest else []
        for base in self.roots[root]:
            candidate = ".".join([base, *parts])
            if _package_exists(candidate):
                return candidate
            if base != self.roots[root][-1] and self._claims(base, parts):
                # A package of the 0.2.0 style owns its whole subtree: do not mix in
                # a 0.1.3 module of the same name (its constructors differ).
                break
        return self._missing(fullname, root)

    @staticmethod
    def _claims(base, parts):
        return any(_package_exists(".".join([base, *parts[:i]])) for i in range(1, len(parts)))

    def _missing(self, fullname, root):
        if root == "theano":
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: keras_legacy's Theano facade provides theano, "
                "theano.tensor, theano.tensor.nnet, theano.tensor.shared_randomstreams, "
                "theano.sandbox.rng_mrg, theano.printing and theano.gradient only.",
                name=fullname,
            )
        targets = " or ".join(
            ".".join([base, *fullname.split(".")[1:]]) for base in self.roots[root]
        )
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: keras_legacy (Keras {self.keras_version} style) "
            f"has no {targets}.",
            name=fullname,
        )

    def find_spec(self, fullname, path=None, target=None):
        target_name = self.resolve(fullname)
        if target_name is None:
            return None
        if fullname in self.roots and len(self.roots[fullname]) > 1:
            loader = _StyleRootLoader(target_name, self.keras_version)
            return importlib.util.spec_from_loader(fullname, loader, is_package=True)
        loader = _AliasLoader(target_name)
        spec = importlib.util.spec_from_loader(
            fullname, loader, is_package=_is_package(target_name)
        )
        return spec


def _is_package(name):
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def installed_finder():
    """The :class:`AliasFinder` in ``sys.meta_path``, or None."""
    for finder in sys.meta_path:
        if isinstance(finder, AliasFinder):
            return finder
    return None


def install_aliases(keras_version=DEFAULT_KERAS):
    """Make ``import keras...`` and ``import theano...`` resolve to keras_legacy.

    ``keras_version`` is ``'0.1.3'`` (``keras_legacy``) or ``'0.2.0'``
    (``keras_legacy.v020``, which must exist).  Returns the finder.
    """
    if keras_version not in KERAS_STYLES:
        raise ValueError(
            f"Unknown Keras version {keras_version!r}: expected one of {', '.join(KERAS_STYLES)}."
        )
    first = KERAS_STYLES[keras_version][0]
    if not _package_exists(first):
        raise ModuleNotFoundError(
            f"--keras {keras_version} needs the package {first}, which this keras_legacy "
            f"does not have yet. Use --keras {DEFAULT_KERAS} (the 0.1.3 constructors).",
            name=first,
        )
    current = installed_finder()
    if current is not None:
        if current.keras_version == keras_version:
            return current
        uninstall_aliases()
    for root in ("keras", "theano"):
        module = sys.modules.get(root)
        if module is not None and not _is_alias_module(module):
            raise ImportError(
                f"A real {root!r} package ({getattr(module, '__file__', '?')}) is already imported; "
                "install the keras_legacy aliases before importing it, or run the script with "
                "python -m keras_legacy.run."
            )
    finder = AliasFinder(keras_version)
    sys.meta_path.insert(0, finder)
    return finder


def uninstall_aliases():
    """Remove the finder and forget the ``keras``/``theano`` aliases in ``sys.modules``."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AliasFinder)]
    for name in list(sys.modules):
        if name.partition(".")[0] in ("keras", "theano"):
            if _is_alias_module(sys.modules[name]):
                del sys.modules[name]


def _theano_flags_to_pytensor(environ):
    """Carry ``floatX`` from ``THEANO_FLAGS`` into ``PYTENSOR_FLAGS`` (before PyTensor is imported)."""
    theano_flags = environ.get("THEANO_FLAGS", "")
    pytensor_flags = environ.get("PYTENSOR_FLAGS", "")
    if not theano_flags or "pytensor" in sys.modules or "floatX" in pytensor_flags:
        return
    for item in theano_flags.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "floatX" and value.strip():
            environ["PYTENSOR_FLAGS"] = ",".join(
                f for f in (pytensor_flags, f"floatX={value.strip()}") if f
            )


def run_script(script, args=(), keras_version=DEFAULT_KERAS, py2=False):
    """Run ``script`` as ``__main__`` with the aliases installed and ``sys.argv = [script, *args]``.

    ``py2=True`` runs it through :func:`keras_legacy.py2compat.run_path`.
    """
    if not os.path.isfile(script):
        raise FileNotFoundError(f"keras_legacy.run: no such script {script!r}.")
    _theano_flags_to_pytensor(os.environ)
    install_aliases(keras_version)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    if py2:
        return py2compat.run_path(script)
    return runpy.run_path(script, run_name="__main__")


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m keras_legacy.run",
        description="Run a Keras 0.x script unchanged on keras_legacy "
        "(import keras -> keras_legacy, import theano -> a PyTensor facade).",
    )
    parser.add_argument(
        "--keras",
        default=DEFAULT_KERAS,
        choices=sorted(KERAS_STYLES),
        help=f"the constructor style the script was written for (default {DEFAULT_KERAS})",
    )
    parser.add_argument(
        "--py2",
        action="store_true",
        help="run a Python 2 era script: xrange, cPickle, classic integer division... "
        "(its own code only; Python 2 syntax is reported, not run)",
    )
    parser.add_argument("script", help="the script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    return parser


def main(argv=None):
    options = _parser().parse_args(argv)
    if not os.path.isfile(options.script):
        sys.exit(f"keras_legacy.run: no such script {options.script!r}.")
    _theano_flags_to_pytensor(os.environ)
    try:
        install_aliases(options.keras)
    except (ImportError, ValueError) as exc:
        sys.exit(f"keras_legacy.run: {exc}")
    try:
        run_script(options.script, options.args, options.keras, py2=options.py2)
    except py2compat.Py2SyntaxError as exc:
        sys.exit(f"keras_legacy.run --py2: {exc}")
    return 0


if __name__ == "__main__":
    main()
