"""What a Python 2 script finds at run time under ``python -m keras_legacy.run --py2``.

:func:`script_builtins` returns the builtins dictionary given to the script's
own code only (its functions and classes keep it; library code keeps the real
builtins):

* the Python 2 names ``xrange``, ``raw_input``, ``unicode``, ``basestring``,
  ``long``, ``reduce``, ``unichr``, ``intern``, ``file``, ``cmp``, ``execfile``;
* ``range``, ``zip``, ``map`` and ``filter`` returning lists, and ``round``
  returning a float rounded half away from zero (the Python 2 results);
* ``__import__`` that serves the Python 2 module names ``cPickle``,
  ``cStringIO``, ``StringIO``, ``Queue``, ``__builtin__``, ``ConfigParser``,
  ``urllib2`` and the Python 2 parts of ``itertools`` (``izip``, ``imap``,
  ``ifilter``, ``izip_longest``) and ``string`` (``letters``, ``lowercase``,
  ``uppercase``, ``join``, ``split``...), and when the ``six`` package is not
  installed, the Python 3 side of ``six`` / ``six.moves`` (``range``,
  ``cPickle``, ``zip``...); nothing is put into ``sys.modules``;
* the helpers that the rewritten code calls (:func:`classic_div`,
  :func:`classic_idiv`, :func:`py2_attribute`; see :mod:`keras_legacy.py2compat`).

Classic division (``a / b`` on two integers floors) counts as integers: Python
``int`` (and ``bool``), NumPy integer scalars, and anything with an integer
``dtype`` (NumPy integer arrays, integer PyTensor/Theano variables), as
Python 2 NumPy and Theano floored them too.  Everything else divides truly.
"""

from __future__ import annotations

import builtins
import configparser
import decimal
import functools
import importlib.util
import io
import itertools
import math
import operator
import pickle
import queue
import re
import string
import sys
import types
import urllib.request

import numpy as np

HELPER_NAMES = {
    "div": "__py2_div__",
    "idiv": "__py2_idiv__",
    "attr": "__py2_attr__",
}


def _is_integral(value):
    if isinstance(value, (int, np.integer)):
        return True
    dtype = getattr(value, "dtype", None)
    if dtype is None or isinstance(value, (float, complex)):
        return False
    try:
        return np.dtype(dtype).kind in "iu"
    except TypeError:
        return False


def classic_div(a, b):
    """Python 2 ``a / b``: ``a // b`` when both are integers, else ``a / b``."""
    if _is_integral(a) and _is_integral(b):
        return a // b
    return a / b


def classic_idiv(a, b):
    """Python 2 ``a /= b`` (in place where the object supports it)."""
    if _is_integral(a) and _is_integral(b):
        return operator.ifloordiv(a, b)
    return operator.itruediv(a, b)


_DICT_ITERATORS = {"iteritems": "items", "iterkeys": "keys", "itervalues": "values"}
_DICT_LISTS = ("items", "keys", "values")


def py2_attribute(obj, name):
    """``obj.name`` with the Python 2 meaning of a few dict and str methods.

    An attribute the object really has is returned as is, except that a
    ``dict``'s ``keys``/``values``/``items`` return lists.  Missing
    ``iteritems``/``iterkeys``/``itervalues``/``has_key`` of a mapping and a
    missing ``decode`` of a ``str`` are supplied.
    """
    if name in _DICT_LISTS and isinstance(obj, dict):
        method = getattr(obj, name)
        return functools.wraps(method)(lambda: list(method()))
    try:
        return getattr(obj, name)
    except AttributeError:
        if name in _DICT_ITERATORS and hasattr(obj, "keys"):
            method = getattr(obj, _DICT_ITERATORS[name])
            return lambda: iter(method())
        if name == "has_key" and hasattr(obj, "keys"):
            return obj.__contains__
        if name == "decode" and isinstance(obj, str):
            return lambda *args, **kwargs: obj
        raise


def _py2_range(*args):
    return list(range(*args))


def _py2_zip(*iterables):
    return list(zip(*iterables))


def _py2_map(function, *iterables):
    if function is None:
        return list(zip(*iterables)) if len(iterables) > 1 else list(iterables[0])
    return list(map(function, *iterables))


def _py2_filter(function, iterable):
    kept = [item for item in iterable if (function(item) if function is not None else item)]
    if isinstance(iterable, str):
        return "".join(kept)
    if isinstance(iterable, tuple):
        return tuple(kept)
    return kept


_ROUND_CONTEXT = decimal.Context(prec=1200, rounding=decimal.ROUND_HALF_UP)


def _py2_round(number, ndigits=0):
    """Python 2 ``round``: a float, halves away from zero, on the exact value of the float."""
    if not isinstance(number, (int, float, np.integer, np.floating)):
        return round(number, ndigits)
    number = float(number)
    ndigits = int(ndigits)
    if math.isinf(number) or math.isnan(number) or ndigits > 400:
        return number
    quantum = decimal.Decimal(1).scaleb(-ndigits)
    exact = decimal.Decimal(number)
    return float(exact.quantize(quantum, context=_ROUND_CONTEXT))


def _cmp(a, b):
    return (a > b) - (a < b)


def _execfile(path, globals=None, locals=None):
    with open(path, "rb") as handle:
        source = handle.read()
    if globals is None:
        caller = sys._getframe(1)
        globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
    exec(compile(source, path, "exec"), globals, locals)  # noqa: S102 (execfile runs a file)


def _binary_stream(file):
    """The byte stream under a text-mode file (Python 2 pickled to files opened with 'w'/'r')."""
    if isinstance(file, io.TextIOBase) and hasattr(file, "buffer"):
        if file.writable():
            file.flush()
        return file.buffer
    return file


def _pickle_dump(obj, file, protocol=None, **kwargs):
    stream = _binary_stream(file)
    pickle.dump(obj, stream, protocol, **kwargs)
    stream.flush()


def _pickle_load(file, **kwargs):
    kwargs.setdefault("encoding", "latin1")
    return pickle.load(_binary_stream(file), **kwargs)


def _pickle_loads(data, **kwargs):
    kwargs.setdefault("encoding", "latin1")
    if isinstance(data, str):
        data = data.encode("latin1")
    return pickle.loads(data, **kwargs)


def _py2_re_split(pattern, string, maxsplit=0, flags=0):
    """``re.split`` of Python 2: only non-empty matches split the string.

    Python 3.7 made empty matches split too, so the 2015 idiom
    ``re.split('(\\W+)?', sentence)`` yields every character with ``None`` groups
    between them instead of the words and separators Python 2 gave.
    """
    compiled = re.compile(pattern, flags) if not isinstance(pattern, re.Pattern) else pattern
    pieces, last, done = [], 0, 0
    for match in compiled.finditer(string):
        if match.start() == match.end():
            continue
        if maxsplit and done >= maxsplit:
            break
        pieces.append(string[last:match.start()])
        pieces.extend(match.groups())
        last = match.end()
        done += 1
    pieces.append(string[last:])
    return pieces


def _string_io(initial=None):
    if isinstance(initial, (bytes, bytearray)):
        return io.BytesIO(initial)
    return io.StringIO(initial)


def _module(name, source=None, **names):
    module = types.ModuleType(name)
    if source is not None:
        module.__dict__.update(
            (key, value) for key, value in vars(source).items() if not key.startswith("__"))
    module.__dict__.update(names)
    return module


def _alias_modules():
    return {
        "cPickle": _module("cPickle", pickle, dump=_pickle_dump, load=_pickle_load,
                           loads=_pickle_loads),
        "cStringIO": _module("cStringIO", StringIO=_string_io, InputType=io.StringIO,
                             OutputType=io.StringIO),
        "StringIO": _module("StringIO", StringIO=_string_io),
        "Queue": queue,
        "re": _module("re", re, split=_py2_re_split),
        "__builtin__": builtins,
        "ConfigParser": configparser,
        "urllib2": urllib.request,
        "itertools": _module("itertools", itertools, izip=zip, imap=map, ifilter=filter,
                             ifilterfalse=itertools.filterfalse,
                             izip_longest=itertools.zip_longest),
        "string": _module("string", string, letters=string.ascii_letters,
                          lowercase=string.ascii_lowercase, uppercase=string.ascii_uppercase,
                          maketrans=str.maketrans, join=lambda words, sep=" ": sep.join(words),
                          split=lambda s, sep=None, maxsplit=-1: s.split(sep, maxsplit),
                          strip=lambda s, chars=None: s.strip(chars),
                          lower=str.lower, upper=str.upper,
                          replace=lambda s, old, new, count=-1: s.replace(old, new, count),
                          atoi=int, atof=float),
    }


def _six_modules(cpickle):
    """``six``, ``six.moves`` and ``six.moves.cPickle`` for scripts, when six is not installed.

    The Python 3 side of six (what a script written for both gets on Python 3).
    """
    moves = _module(
        "six.moves", cPickle=cpickle, range=range, xrange=range, zip=zip, map=map,
        filter=filter, input=input, reduce=functools.reduce, zip_longest=itertools.zip_longest,
        queue=queue, configparser=configparser, cStringIO=io.StringIO, StringIO=io.StringIO)
    six = _module(
        "six", moves=moves, PY2=False, PY3=True, string_types=(str,), integer_types=(int,),
        text_type=str, binary_type=bytes, class_types=(type,),
        iteritems=lambda d, **kw: iter(d.items(**kw)), iterkeys=lambda d, **kw: iter(d.keys(**kw)),
        itervalues=lambda d, **kw: iter(d.values(**kw)), b=lambda s: s.encode("latin1"),
        u=lambda s: s, print_=print, next=next)
    return {"six": six, "six.moves": moves, "six.moves.cPickle": cpickle}


def _six_installed():
    try:
        return importlib.util.find_spec("six") is not None
    except ValueError:
        return False


def _make_import(aliases):
    real_import = builtins.__import__

    def script_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name in aliases:
            if fromlist or "." not in name:
                return aliases[name]
            return aliases[name.partition(".")[0]]
        return real_import(name, globals, locals, fromlist, level)

    return script_import


def script_builtins():
    """A fresh builtins dictionary for one Python 2 script (see the module docstring)."""
    names = dict(vars(builtins))
    names.update(
        xrange=range, raw_input=input, unicode=str, basestring=str, long=int,
        reduce=functools.reduce, unichr=chr, intern=sys.intern, file=open, cmp=_cmp,
        execfile=_execfile, range=_py2_range, zip=_py2_zip, map=_py2_map,
        filter=_py2_filter, round=_py2_round,
    )
    aliases = _alias_modules()
    if not _six_installed():
        aliases.update(_six_modules(aliases["cPickle"]))
    names["__import__"] = _make_import(aliases)
    names[HELPER_NAMES["div"]] = classic_div
    names[HELPER_NAMES["idiv"]] = classic_idiv
    names[HELPER_NAMES["attr"]] = py2_attribute
    return names
