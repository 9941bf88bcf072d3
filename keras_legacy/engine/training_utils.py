"""Keras 0.1.3 training helpers of ``keras.models``, and the NaN guard of ``fit``.

The NumPy helpers (``standardize_y``, ``batch_shuffle``, ``make_batches``,
``standardize_X``, ``slice_X``, ``standardize_weights``) and the symbolic
loss wrapper ``weighted_objective`` keep their 0.1.3 names; ``keras_legacy.models``
re-exports them, so ``from keras_legacy.models import slice_X`` works as
``from keras.models import slice_X`` did.  ``LastGoodState`` is the
snapshot of the training state that ``Model._fit`` restores when the loss
stops being finite.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy.engine.loop_args import check_batch_size

__all__ = [
    "standardize_y", "batch_shuffle", "make_batches", "standardize_X", "slice_X",
    "weighted_objective", "standardize_weights",
]


def standardize_y(y):
    """Targets as an array with at least 2 dimensions: ``(n,)`` becomes ``(n, 1)``."""
    if not hasattr(y, "shape"):
        y = np.asarray(y)
    if len(y.shape) == 1:
        y = np.reshape(y, (len(y), 1))
    return y


def batch_shuffle(index_array, batch_size):
    """Shuffle whole batches of ``index_array`` (the trailing partial batch stays last)."""
    index_array = np.asarray(index_array)
    batch_count = len(index_array) // batch_size
    full = index_array[: batch_count * batch_size].reshape((batch_count, batch_size))
    last = index_array[batch_count * batch_size:]
    np.random.shuffle(full)
    return np.append(full.flatten(), last)


def make_batches(size, batch_size):
    """``[(start, end), ...]`` covering ``range(size)`` in slices of ``batch_size``."""
    batch_size = check_batch_size(batch_size)
    nb_batch = int(np.ceil(size / float(batch_size)))
    return [(i * batch_size, min(size, (i + 1) * batch_size)) for i in range(nb_batch)]


def standardize_X(X):
    """The model inputs as a list (a single array becomes a one-element list)."""
    if isinstance(X, list):
        return X
    return [X]


def slice_X(X, start=None, stop=None):
    """Rows ``start:stop`` of ``X`` (or rows at the indices ``start``), list or array."""
    def take(x):
        if hasattr(start, "__len__"):
            return x[start]
        return x[start:stop]

    if isinstance(X, list):
        return [take(x) for x in X]
    return take(X)


def weighted_objective(fn, masked_mean=False, fixed_shapes=False):
    """Wrap the objective ``fn(y_true, y_pred)`` with sample weights and a mask.

    ``weights`` has the shape of ``y`` with a last axis of 1.  Entries of weight
    0 are removed first (``weights.nonzero()``).  Without a mask the result is
    ``sum(w * loss) / sum(w)``.  With a mask (e.g. a masked recurrent output
    with ``return_sequences=True``) Keras 0.1.3 returns

        ``sum(w * loss over ALL timesteps) / sum(mask * w)``

    i.e. masked timesteps stay in the numerator (the original's quirk, kept by
    default so the numbers match).  ``masked_mean=True`` gives the masked mean
    ``sum(mask * w * loss) / sum(mask * w)`` instead (what Keras 0.3 computes).

    ``fixed_shapes=True`` (models compiled for JAX, which traces fixed shapes only: the
    number of nonzero weights is data) computes the loss of every entry and keeps those of
    nonzero weight with ``switch``: the same sums, entries of weight 0 adding exact zeros.
    """
    if fixed_shapes:
        return _weighted_fixed_shapes(fn, masked_mean)

    def weighted(y_true, y_pred, weights, mask=None):
        kept = weights.nonzero()
        rows = kept[:-1]
        loss = fn(y_true[rows], y_pred[rows])
        w = weights[kept]
        if mask is None:
            return T.sum(w * loss) / T.sum(w)
        m = T.cast(mask[rows], w.dtype)
        if masked_mean:
            return T.sum(m * w * loss) / T.sum(m * w)
        return T.sum(w * loss) / T.sum(m * w)

    weighted.__name__ = f"weighted_{getattr(fn, '__name__', 'objective')}"
    return weighted


def _weighted_fixed_shapes(fn, masked_mean):
    """``weighted_objective`` without ``nonzero``: every entry's loss, those of weight 0 replaced by 0."""
    def weighted(y_true, y_pred, weights, mask=None):
        # the entries in nonzero()'s order (row-major), as 2-D (entries, values) like the original's
        w = weights.flatten()
        rows = (-1, y_true.shape[-1])
        loss = T.switch(T.neq(w, 0), fn(y_true.reshape(rows), y_pred.reshape(rows)), 0)
        if mask is None:
            return T.sum(w * loss) / T.sum(w)
        m = T.cast(mask.flatten(), w.dtype)
        if masked_mean:
            return T.sum(m * w * loss) / T.sum(m * w)
        return T.sum(w * loss) / T.sum(m * w)

    weighted.__name__ = f"weighted_{getattr(fn, '__name__', 'objective')}"
    return weighted


def standardize_weights(y, sample_weight=None, class_weight=None):
    """Per-sample (or per-timestep) weights shaped ``y.shape[:-1] + (1,)``.

    ``sample_weight`` wins over ``class_weight``; ``class_weight`` maps a class
    index (the argmax of a one-hot ``y``, or ``y`` itself for one column) to a
    weight, per timestep for 3-D targets.  Without either (or with a
    ``class_weight`` that is not a dict), all weights are 1.
    """
    target_shape = tuple(y.shape[:-1]) + (1,)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight)
        if int(np.prod(sample_weight.shape)) != int(np.prod(target_shape)):
            raise ValueError(
                f"sample_weight has shape {sample_weight.shape}, but targets of shape {tuple(y.shape)} "
                f"need one weight per sample{' and timestep' if len(y.shape) > 2 else ''}: "
                f"shape {target_shape[:-1]}."
            )
        return np.reshape(sample_weight, target_shape)
    if isinstance(class_weight, dict):
        if len(y.shape) > 3:
            raise ValueError(f"class_weight supports 2-D and 3-D targets, got shape {tuple(y.shape)}.")
        flat = np.reshape(y, (-1, y.shape[-1]))
        classes = flat.argmax(axis=1) if flat.shape[1] > 1 else np.reshape(flat, (flat.shape[0],))
        try:
            weights = np.asarray([class_weight[c] for c in classes.tolist()])
        except KeyError as exc:
            raise ValueError(
                f"class_weight has no entry for class {exc.args[0]!r}; it covers {sorted(class_weight)}."
            ) from None
        return np.reshape(weights, target_shape)
    return np.ones(target_shape)  # 0.1.3 ignored a class_weight that is not a dict (e.g. 'auto')


class LastGoodState:
    """The training state (weights, optimizer accumulators, running statistics) of the last good step.

    Two snapshots roll batch by batch, copied into preallocated buffers (one
    memcpy of the state per batch): the state before the current batch and
    the state before the previous one.  The train function reports the loss of
    the weights *before* its update, so when batch ``b`` reports a non-finite
    loss the weights it started from (made by batch ``b - 1``'s update) are
    already bad; the last weights known to give a finite loss are those from
    before batch ``b - 1``, and ``restore`` puts them back.  On the first batch
    of ``fit`` it restores the initial state.
    """

    def __init__(self, variables):
        self.variables = list(variables)
        self.current = None   # the state before the running batch
        self.previous = None  # the state before the last batch whose loss was finite

    def _copy(self, into):
        values = [v.get_value(borrow=True) for v in self.variables]
        if into is None:
            return [np.array(x, copy=True) for x in values]
        for buf, x in zip(into, values):
            np.copyto(buf, x)
        return into

    def before_batch(self):
        self.current = self._copy(self.current)

    def good(self):
        if self.previous is None:
            self.previous = [np.array(x, copy=True) for x in self.current]
        else:  # swap buffers: the state before this (good) batch becomes the previous one
            self.previous, self.current = self.current, self.previous

    def restore(self):
        """Put back the last good state; return a description of it for the message."""
        if self.previous is None:
            state, what = self.current, "the weights it had before fit started"
        else:
            state, what = self.previous, "the weights from before the previous batch (its loss was finite)"
        for v, x in zip(self.variables, state):
            v.set_value(np.array(x, copy=True))
        return what
