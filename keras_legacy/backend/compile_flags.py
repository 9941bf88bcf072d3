"""Compiler flags for PyTensor's C modules: no debug information.

PyTensor always passes ``-g`` to g++; the debug information costs 10-20% of
each module's compile time (measured: an ``Embedding -> LSTM -> Dense``
model's cold compile, 59 modules, 27.7 s -> 23.8 s) and nothing at run time.
``configure_compile_flags()`` runs when the backend is imported and sets
``gcc__cxxflags = "-g0"`` (a later ``-g0`` cancels ``-g``) unless the user
chose ``gcc__cxxflags`` (``PYTENSOR_FLAGS``, ``.pytensorrc``, or in code before
importing keras_legacy); the generated code and its results are unchanged.
"""

from __future__ import annotations

import pytensor

_state = {"source": None}

#: What keras_legacy adds when the user set no ``gcc__cxxflags``.
FLAGS = "-g0"


def _user_choice():
    """The ``gcc__cxxflags`` the user gave (flags, rc file or code), or None."""
    try:
        return pytensor.config.fetch_val_for_key("gcc__cxxflags")
    except KeyError:
        pass
    value = pytensor.config.gcc__cxxflags
    return value or None


def configure_compile_flags():
    """Set ``gcc__cxxflags`` to ``FLAGS`` unless the user chose flags; returns the source."""
    if _state["source"] is None:
        if _user_choice() is not None:
            _state["source"] = "user"
        else:
            pytensor.config.gcc__cxxflags = FLAGS
            _state["source"] = "keras_legacy"
    return _state["source"]
