"""A Theano-compatible facade over PyTensor, for running Keras 0.x-era scripts.

``python -m keras_legacy.run SCRIPT`` makes ``import theano`` resolve to this
package (see :mod:`keras_legacy.run`); nothing else installs that alias.  It
holds the Theano names that 2015 scripts used:

* ``theano.shared``, ``theano.function`` (Theano's signature; the default mode
  is keras_legacy's C mode, ``K.get_mode(None)``), ``theano.scan`` (returns
  ``(outputs, updates)``), ``theano.grad``;
* ``theano.config`` (``floatX`` reads and writes ``pytensor.config.floatX``;
  ``device`` is always ``'cpu'``);
* ``theano.tensor`` (all of ``pytensor.tensor`` plus the Theano-only names,
  ``theano.tensor.nnet`` and ``theano.tensor.shared_randomstreams``);
* ``theano.sandbox.rng_mrg.MRG_RandomStreams``, ``theano.printing``,
  ``theano.gradient``.
"""

from __future__ import annotations

import pytensor
from pytensor.compile.mode import Mode

from keras_legacy import backend as K
from keras_legacy.theano_alias import gradient, printing, sandbox, tensor  # noqa: F401
from keras_legacy.theano_alias.config import config  # noqa: F401

__version__ = "0.7.0-keras_legacy"

#: Theano mode names that meant "the C backend with the default optimisations".
_THEANO_C_MODE_NAMES = ("FAST_RUN",)


def _mode(mode):
    if mode is None or (isinstance(mode, str) and mode in _THEANO_C_MODE_NAMES):
        return K.get_mode(None)
    if isinstance(mode, (str, Mode)):
        return K.get_mode(mode)
    raise TypeError(
        f"theano.function: mode must be None, a mode name or a Mode, got {type(mode).__name__}."
    )


def function(inputs, outputs=None, mode=None, updates=None, givens=None,
             no_default_updates=False, accept_inplace=False, name=None,
             rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input=None):
    """``theano.function`` with Theano's signature.

    ``mode=None`` (and Theano's ``'FAST_RUN'``, which was the C backend) give
    keras_legacy's C mode; any other PyTensor mode name or ``Mode`` is used as
    given.
    """
    if isinstance(updates, dict):
        updates = list(updates.items())
    kwargs = {"no_default_updates": no_default_updates} if no_default_updates else {}
    return pytensor.function(
        inputs,
        outputs,
        mode=_mode(mode),
        updates=updates,
        givens=givens,
        accept_inplace=accept_inplace,
        name=name,
        rebuild_strict=rebuild_strict,
        allow_input_downcast=allow_input_downcast,
        profile=profile,
        on_unused_input=on_unused_input,
        **kwargs,
    )


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False, broadcastable=None):
    """``theano.shared``; ``broadcastable=(True, False)`` becomes a static shape ``(1, None)``."""
    kwargs = {"borrow": borrow}
    if broadcastable is not None:
        kwargs["shape"] = tuple(1 if b else None for b in broadcastable)
    return pytensor.shared(value, name=name, strict=strict, allow_downcast=allow_downcast, **kwargs)


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, mode=None, name=None, profile=False,
         allow_gc=None, strict=False):
    """``theano.scan``: returns ``(outputs, updates)``.

    ``mode``, ``profile`` and ``allow_gc`` are accepted and ignored: the loop
    is compiled with the mode of the ``theano.function`` that contains it.
    """
    return K.scan(
        fn,
        sequences=sequences,
        outputs_info=outputs_info,
        non_sequences=non_sequences,
        n_steps=n_steps,
        truncate_gradient=truncate_gradient,
        go_backwards=go_backwards,
        strict=strict,
        name=name,
    )


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", **kwargs):
    """``theano.grad`` (= ``T.grad``)."""
    return pytensor.grad(cost, wrt, consider_constant=consider_constant,
                         disconnected_inputs=disconnected_inputs, **kwargs)


def dot(x, y):
    """``theano.dot``."""
    return tensor.dot(x, y)
