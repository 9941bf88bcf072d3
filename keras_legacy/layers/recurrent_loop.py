"""The loop of the recurrent layers: one function running a cell over the time axis.

A *cell* is the step math of a recurrent layer and its weights (the layers of
``layers/recurrent.py`` are their own cells).  It provides:

* ``_input_projections(X)``: the time-major sequences computed outside the loop
  (``X.W + b`` per gate);
* ``_cell_step(xs, masks, states, weights)``: the new state(s) (a list) from the
  step's projections ``xs``, the previous states and ``_recurrent_weights()``.
  ``masks`` are the reset masks of 0.1.x (``mask[t-1], ..., mask[t-depth]``, each
  ``(n, 1)`` int8); the cell applies them where the 0.1.x step equations put them.
  ``masks`` is None under carry masking: no reset;
* ``n_states`` (LSTM: 2), ``depth`` (how many past states a step reads; SimpleDeepRNN);
* for the fused path: ``GATES`` (a ``backend.rnn.Gates``, None when no fused Op
  computes the cell), ``_fused_weights()`` (``W, U, b`` packed in ``GATES.fused``
  order) and ``_activation_names()``.

The loop owns what is not step math:

* the masking policy: ``RESET`` (0.1.x-0.2.0: the step at ``t`` multiplies the
  previous states by ``mask[t-1]``, so a step after a masked one starts from zero;
  masked steps are computed) or ``CARRY`` (0.3: at a masked step the states and the
  output are carried over, ``switch(mask[t], new, old)`` per sample);
* the direction (``go_backwards``: the reversed sequence, outputs in the order they
  are computed), ``truncate_gradient`` (scan's), the initial states (zeros, or the
  shared variables of a stateful layer);
* the choice between ``scan`` and the fused Ops of ``keras_legacy.backend.rnn``: the
  fused Ops compute zero-initial-state reset masking, which is also carry masking
  when no mask is given.  Carry masking with a mask runs the same Ops on compacted
  sequences (``carry_compacted``): a step with mask 0 changes nothing, so the states
  after each valid step are those of the recurrence over the valid steps alone.

What stays on ``scan`` (``run`` picks it): cells without ``GATES`` (SimpleRNN,
SimpleDeepRNN, JZS1-3: no fused Op computes their step), activations the fused Ops
do not support (``rnn.supports``), ``fast_path=False``, and under carry masking with
a mask: ``truncate_gradient > 0`` (scan truncates over the original steps, the
compacted recurrence would count valid steps only) and initial states (a stateful
layer: the Ops start from zero states and return no final cell state).
"""

from __future__ import annotations

import pytensor.tensor as T

from keras_legacy import backend as K
from keras_legacy.backend import rnn
from keras_legacy.utils.theano_utils import alloc_zeros_matrix

RESET = "reset"
CARRY = "carry"


def reset_mask(mask, X, pad):
    """The mask of reset masking, time-major ``(timesteps + pad, n, 1)`` int8.

    ``mask`` is the input mask ``(n, timesteps)`` (None: every step kept, ones);
    ``X`` the batch-major input.  ``pad`` zeros are prepended along time: with
    ``pad=1`` the step at ``t`` reads ``mask[t-1]``.
    """
    if mask is None:
        mask = T.ones_like(X.sum(axis=-1))
    mask = T.shape_padright(mask)
    mask = T.specify_broadcastable(mask, -1)
    mask = mask.dimshuffle(1, 0, 2)
    if pad > 0:
        padding = T.zeros((pad, mask.shape[1], 1), dtype=mask.dtype)
        padding = T.specify_broadcastable(padding, -1)
        mask = T.concatenate([padding, mask], axis=0)
    return T.cast(mask, "int8")


def _fusable(cell, fast_path):
    """Whether a fused Op computes ``cell``'s step (its ``GATES`` and activations)."""
    if getattr(cell, "GATES", None) is None or not rnn.enabled(fast_path):
        return False
    return rnn.supports(*cell._activation_names())


def _fused(cell, Xt, step_mask, truncate_gradient):
    """The fused Op's hidden states ``(T, n, H)`` (``_fusable(cell, ...)`` holds)."""
    act, inner = cell._activation_names()
    W, U, b = cell._fused_weights()
    return rnn.recurrence(cell.GATES, Xt, step_mask, W, U, b, act, inner, truncate_gradient)


def carry_compacted(Xt, mask, go_backwards, recurrence):
    """Carry-masked outputs ``(T, n, H)`` of a zero-initial-state recurrence, computed by
    running ``recurrence`` (a function of a time-major input ``(T, n, D)`` returning the
    hidden states ``(T, n, H)`` of an unmasked run) over compacted sequences.

    Under carry masking (``switch(mask[t], new, old)``; a step is valid where
    ``int8(mask) != 0``) a masked step keeps the states and repeats the previous output,
    so the states after each valid step are those of the recurrence over the valid
    steps alone.  Per sample the valid steps are gathered to the front, in order (the
    masked ones after them: computed, never read); the output at step ``t`` is then
    the compacted output number ``count(valid steps <= t) - 1``, or zeros (the initial
    output) before the first valid step.  Both gathers are flat row gathers whose
    gradients are row increments.  ``go_backwards`` runs over the reversed sequence
    (outputs in computed order, as scan's).
    """
    steps, n = Xt.shape[0], Xt.shape[1]
    valid = T.neq(T.cast(mask, "int8"), 0).T  # (T, n)
    if go_backwards:
        Xt, valid = Xt[::-1], valid[::-1]
    valid = T.cast(valid, "int64")
    # unique keys per sample: valid steps first in time order, then the masked ones
    order = T.argsort((1 - valid) * steps + T.arange(steps).dimshuffle(0, "x"), axis=0)
    cols = T.arange(n).dimshuffle("x", 0)
    rows_in = (order * n + cols).flatten()
    compact = Xt.reshape((steps * n, Xt.shape[2]))[rows_in].reshape((steps, n, Xt.shape[2]))
    h = recurrence(compact)
    # row k * n + j of [zeros; h] is sample j's output after k valid steps
    padded = T.concatenate([T.zeros_like(h[:1]), h], axis=0)
    rows_out = (T.cumsum(valid, axis=0) * n + cols).flatten()
    return padded.reshape(((steps + 1) * n, h.shape[2]))[rows_out].reshape((steps, n, h.shape[2]))


def _zero_states(cell, Xt):
    n, H = Xt.shape[1], cell.output_dim
    if cell.depth == 1:
        return [K.unbroadcast(alloc_zeros_matrix(n, H), 1) for _ in range(cell.n_states)]
    initial = K.unbroadcast(alloc_zeros_matrix(cell.depth, n, H), 0, 2)
    return [{"initial": initial, "taps": [-(k + 1) for k in range(cell.depth)]}]


def run(cell, X, mask, policy=RESET, go_backwards=False, truncate_gradient=-1,
        initial_states=None, fast_path=True):
    """Run ``cell`` over ``X`` (batch-major ``(n, timesteps, input_dim)``).

    ``mask`` is the input mask ``(n, timesteps)`` or None.  Returns ``(h, last)``:
    ``h`` the time-major outputs ``(timesteps, n, output_dim)`` in the order they are
    computed, ``last`` the list of the final states when ``initial_states`` (a list of
    ``(n, output_dim)`` tensors, e.g. a stateful layer's shared variables) is given,
    else None.
    """
    if policy not in (RESET, CARRY):
        raise ValueError(f"masking policy must be {RESET!r} (0.1.x) or {CARRY!r} (0.3), got {policy!r}")
    depth = cell.depth
    if policy == RESET and go_backwards:
        raise ValueError("go_backwards=True is a Keras 0.3 feature: it runs with carry masking "
                         f"(policy={CARRY!r}), not with 0.1.x reset masking")
    if depth > 1 and (policy != RESET or initial_states is not None):
        raise ValueError(f"{type(cell).__name__} (depth={depth}) runs with 0.1.x reset "
                         "masking and zero initial states only")
    Xt = X.dimshuffle((1, 0, 2))
    if initial_states is None and _fusable(cell, fast_path):
        if policy == RESET or mask is None:
            fx = Xt[::-1] if go_backwards else Xt
            step_mask = reset_mask(mask, X, pad=1)[: Xt.shape[0], :, 0]
            return _fused(cell, fx, step_mask, truncate_gradient), None
        if truncate_gradient is None or truncate_gradient <= 0:
            # carry masking with a mask: the fused Op over each sample's valid steps
            def unmasked(Xc):
                return _fused(cell, Xc, T.ones((Xc.shape[0], Xc.shape[1]), dtype="int8"), -1)

            return carry_compacted(Xt, mask, go_backwards, unmasked), None

    sequences = cell._input_projections(Xt)
    n_seq = len(sequences)
    n_masks = 0
    # Reset masking without a mask multiplies by ones, and at t = 0 zero states by 0:
    # a depth-1 cell from zero states skips the masks (same numbers, a smaller step).
    # SimpleDeepRNN keeps them: its padding masks zero inner(0 . U_k) for t < depth.
    reset = policy == RESET and (mask is not None or depth > 1 or initial_states is not None)
    if reset:
        padded = reset_mask(mask, X, pad=depth)
        if depth == 1:
            sequences.append(padded[: Xt.shape[0]])
        else:  # taps 0, -1, ..., -(depth-1): the step at t reads mask[t-1], ..., mask[t-depth]
            sequences.append({"input": padded[: Xt.shape[0] + depth - 1],
                                  "taps": [-k for k in range(depth)]})
        n_masks = depth
    elif mask is not None:
        sequences.append(T.specify_broadcastable(T.shape_padright(T.cast(mask, "int8")), -1)
                         .dimshuffle(1, 0, 2))
        n_masks = 1
    n_prev = cell.n_states * depth

    def step(*args):
        xs = args[:n_seq]
        masks = args[n_seq:n_seq + n_masks]
        states = args[n_seq + n_masks:n_seq + n_masks + n_prev]
        weights = args[n_seq + n_masks + n_prev:]
        new = cell._cell_step(xs, masks if reset else None, states, weights)
        if policy == CARRY and n_masks:
            new = [T.switch(masks[0], s, old) for s, old in zip(new, states)]
        return new if len(new) > 1 else new[0]

    initial = list(initial_states) if initial_states is not None else _zero_states(cell, Xt)
    outputs, _ = K.scan(step, sequences=sequences, outputs_info=initial,
                        non_sequences=cell._recurrent_weights(), go_backwards=go_backwards,
                        truncate_gradient=truncate_gradient)
    outputs = list(outputs) if cell.n_states > 1 else [outputs]
    last = [out[-1] for out in outputs] if initial_states is not None else None
    return outputs[0], last
