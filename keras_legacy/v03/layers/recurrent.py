"""Keras 0.3.x recurrent layers: ``go_backwards``, ``stateful`` and 0.3's *carry* masking.

Only what loading a 0.3 model needs: ``SimpleRNN``, ``GRU`` and ``LSTM`` with
the 0.3.0-0.3.2 constructors (``SimpleRNN``/``GRU`` activation ``'sigmoid'``;
0.3.3 changed it to ``'tanh'`` -- a 0.3.3 config stores the activation, so it
loads the same)::

    LSTM(output_dim, init='glorot_uniform', inner_init='orthogonal', forget_bias_init='one',
         activation='tanh', inner_activation='hard_sigmoid', weights=None,
         return_sequences=False, go_backwards=False, stateful=False,
         input_dim=None, input_length=None, input_shape=None, batch_input_shape=None)

The gate equations and the parameter order are those of 0.1.x/0.2.0 (shared
with ``keras_legacy.layers.recurrent``).  What differs is masking: at a masked
step the state and the output are *carried* (``switch(mask[t], new, old)``,
per sample), instead of 0.1.x's reset of the next step.  ``go_backwards=True``
runs over the reversed sequence and, as in 0.3, returns the outputs in the
order they were computed (not re-reversed).  ``stateful=True`` keeps the last
states between batches (shared variables of the full batch size, which must
be known: give ``batch_input_shape``); ``reset_states()`` zeroes them.
``truncate_gradient`` does not exist in 0.3.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy import backend as K
from keras_legacy.layers import recurrent as r013
from keras_legacy.utils.theano_utils import alloc_zeros_matrix, shared_zeros
from keras_legacy.v020.layers import recurrent as r020

_NEUTRAL_03_KWARGS = {"W_regularizer": None, "U_regularizer": None, "b_regularizer": None,
                      "dropout_W": 0.0, "dropout_U": 0.0}


class _Recurrent03:
    """0.3 constructor, carry masking, go_backwards and stateful over a shared layer."""

    def _init_03(self, output_dim, args, return_sequences, go_backwards, stateful, input_dim,
                 input_length, kwargs):
        for key, neutral in _NEUTRAL_03_KWARGS.items():  # 0.3.3 keys, accepted when unused
            if key in kwargs:
                value = kwargs.pop(key)
                if value != neutral and value is not None:
                    raise ValueError(
                        f"{type(self).__name__}: {key}={value!r} (a Keras 0.3.3 feature) is not "
                        f"supported; only {key}={neutral!r} loads."
                    )
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        self.go_backwards = go_backwards
        self.stateful = stateful
        args = dict(args, return_sequences=return_sequences, truncate_gradient=-1)
        self._init_recurrent(output_dim, args, input_dim, input_length, kwargs)
        if batch_input_shape is not None:
            self._batch_input_shape_arg = tuple(batch_input_shape)
            self._set_batch_input_shape(batch_input_shape)

    def set_input_shape(self, input_shape):
        """0.3: ``input_shape`` is the whole input shape, the batch axis first (0.2.0 took one sample's)."""
        self._set_batch_input_shape(input_shape)

    def build(self):
        was_built = self.built
        super().build()
        if self.stateful and not was_built:
            batch = self.input_shape[0]
            if batch is None:
                raise ValueError(
                    f"{type(self).__name__}(stateful=True) needs a fixed batch size: give the "
                    "first layer batch_input_shape=(batch_size, timesteps, input_dim)."
                )
            self.states = [shared_zeros((batch, self.output_dim)) for _ in range(self.n_states)]

    def reset_states(self):
        if not self.stateful:
            raise ValueError(f"{type(self).__name__}.reset_states() needs stateful=True.")
        for state in self.states:
            state.set_value(np.zeros_like(state.get_value()))

    def get_output(self, train=False):
        X = self.get_input(train)
        mask = self.get_input_mask(train)
        X = X.dimshuffle((1, 0, 2))
        sequences = self._input_projections(X)
        n_seq = len(sequences)
        if mask is not None:
            mask = T.specify_broadcastable(T.shape_padright(T.cast(mask, "int8")), -1)
            sequences.append(mask.dimshuffle(1, 0, 2))
        n_states = self.n_states
        keep = np.int8(1)  # the shared step multiplies h[t-1] by this: no reset in 0.3

        def step(*args):
            xs = args[:n_seq]
            pos = n_seq
            mask_t = None
            if mask is not None:
                mask_t = args[pos]
                pos += 1
            states = args[pos:pos + n_states]
            new = self._step(*xs, keep, *states, *args[pos + n_states:])
            new = list(new) if n_states > 1 else [new]
            if mask_t is not None:
                new = [T.switch(mask_t, n, old) for n, old in zip(new, states)]
            return new if n_states > 1 else new[0]

        if self.stateful:
            initial = list(self.states)
        else:
            initial = [K.unbroadcast(alloc_zeros_matrix(X.shape[1], self.output_dim), 1)
                       for _ in range(n_states)]
        outputs, _ = K.scan(step, sequences=sequences, outputs_info=initial,
                            non_sequences=self._recurrent_weights(), go_backwards=self.go_backwards)
        outputs = list(outputs) if n_states > 1 else [outputs]
        if self.stateful:
            self.updates = [(state, out[-1]) for state, out in zip(self.states, outputs)]
        h = outputs[0]
        if self.return_sequences:
            return h.dimshuffle((1, 0, 2))
        return h[-1]

    def get_config(self):
        config = super().get_config()
        config.pop("truncate_gradient", None)
        config.update(go_backwards=self.go_backwards, stateful=self.stateful)
        if getattr(self, "_batch_input_shape_arg", None) is not None:
            config["batch_input_shape"] = list(self._batch_input_shape_arg)
            config.pop("input_shape", None)
        return config


class SimpleRNN(_Recurrent03, r020.SimpleRNN):
    """0.3 SimpleRNN: ``h[t] = act(x[t].W + b + h[t-1].U)``, carried at masked steps."""

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal",
                 activation="sigmoid", weights=None, return_sequences=False, go_backwards=False,
                 stateful=False, input_dim=None, input_length=None, **kwargs):
        args = dict(init=init, inner_init=inner_init, activation=activation, weights=weights)
        self._init_03(output_dim, args, return_sequences, go_backwards, stateful, input_dim,
                      input_length, kwargs)


class GRU(_Recurrent03, r020.GRU):
    """0.3 GRU (same gates as 0.1.x: reset before the product), carried at masked steps."""

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal",
                 activation="sigmoid", inner_activation="hard_sigmoid", weights=None,
                 return_sequences=False, go_backwards=False, stateful=False, input_dim=None,
                 input_length=None, **kwargs):
        args = dict(init=init, inner_init=inner_init, activation=activation,
                    inner_activation=inner_activation, weights=weights)
        self._init_03(output_dim, args, return_sequences, go_backwards, stateful, input_dim,
                      input_length, kwargs)


class LSTM(_Recurrent03, r020.LSTM):
    """0.3 LSTM (same gates and i,c,f,o parameter order as 0.1.x), carried at masked steps."""

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal",
                 forget_bias_init="one", activation="tanh", inner_activation="hard_sigmoid",
                 weights=None, return_sequences=False, go_backwards=False, stateful=False,
                 input_dim=None, input_length=None, **kwargs):
        args = dict(init=init, inner_init=inner_init, forget_bias_init=forget_bias_init,
                    activation=activation, inner_activation=inner_activation, weights=weights)
        self._init_03(output_dim, args, return_sequences, go_backwards, stateful, input_dim,
                      input_length, kwargs)


Recurrent = r013.Recurrent
