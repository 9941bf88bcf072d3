"""``theano.tensor``: everything of ``pytensor.tensor`` plus the Theano-only names.

Added or changed with respect to ``pytensor.tensor``:

* ``nnet`` (``T.nnet.sigmoid``, ``softmax``, ``hard_sigmoid``, ``relu``,
  ``categorical_crossentropy``, ``binary_crossentropy``, ``softplus``) and
  ``shared_randomstreams``;
* ``unbroadcast(x, *axes)``, ``addbroadcast(x, *axes)``,
  ``patternbroadcast(x, pattern)``;
* ``abs_``; ``stack(a, b, ...)`` (Theano <= 0.7 varargs; a list works too);
* ``flatten(x, outdim=1)`` (PyTensor renamed the keyword to ``ndim``);
* ``round(x)`` rounds half away from zero, Theano's default (PyTensor's
  default is half to even).
"""

from __future__ import annotations

import pytensor.tensor as _pt
from pytensor.tensor import *  # noqa: F401,F403

from keras_legacy import backend as _K
from keras_legacy.theano_alias.tensor import nnet, shared_randomstreams  # noqa: F401

abs_ = _pt.abs


def unbroadcast(x, *axes):
    """Theano's ``T.unbroadcast``: forget that ``axes`` have length 1."""
    return _K.unbroadcast(_pt.as_tensor_variable(x), *axes)


def addbroadcast(x, *axes):
    """Theano's ``T.addbroadcast``: declare that ``axes`` have length 1."""
    return _pt.specify_broadcastable(_pt.as_tensor_variable(x), *axes)


def patternbroadcast(x, broadcastable):
    """Theano's ``T.patternbroadcast``: make the static length-1 axes exactly ``broadcastable``."""
    x = _pt.as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(
            f"patternbroadcast: the pattern {tuple(broadcastable)} has {len(broadcastable)} entries, "
            f"the variable has {x.ndim} dimensions."
        )
    add = [i for i, b in enumerate(broadcastable) if b]
    drop = [i for i, b in enumerate(broadcastable) if not b]
    if drop:  # first: the reshape in unbroadcast infers static lengths from the other axes
        x = _K.unbroadcast(x, *drop)
    if add:
        x = _pt.specify_broadcastable(x, *add)
    return x


def stack(*tensors, axis=0):
    """``T.stack(a, b, ...)`` (Theano <= 0.7) and ``T.stack([a, b], axis=0)`` (later)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return _pt.stack(list(tensors[0]), axis=axis)
    return _pt.stack(list(tensors), axis=axis)


def flatten(x, outdim=1):
    """``T.flatten(x, outdim)``."""
    return _K.flatten(_pt.as_tensor_variable(x), outdim)


def round(x, mode="half_away_from_zero"):  # noqa: A001  (Theano's name)
    """``T.round``: Theano's default rounds half away from zero."""
    if mode in (None, "half_away_from_zero"):
        return _K.round_half_away(x)
    return _pt.round(x, mode=mode)


def __getattr__(name):
    return getattr(_pt, name)
