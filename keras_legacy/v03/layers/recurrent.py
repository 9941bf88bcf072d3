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
be known: give ``batch_input_shape``); ``reset_states()`` zeroes them.  Each
``get_output`` sets ``state_updates``, the ``(state, last state)`` pairs of the
graph it built; a model applies them in ``predict``, ``evaluate`` and ``fit``
(0.3 compiled them into ``_predict``, ``_test`` and ``_train``), so consecutive
batches continue one sequence.
``truncate_gradient`` does not exist in 0.3.

Each class is a subclass of the 0.2.0 class (``Recurrent03`` adds the 0.3
arguments); the recurrence is the loop of ``keras_legacy.layers.recurrent_loop``
with its ``CARRY`` masking policy: the fused LSTM/GRU Ops where they apply (not
stateful; with an input mask they run over each sample's valid steps,
``recurrent_loop.carry_compacted``), ``scan`` otherwise.
"""

from __future__ import annotations

import numpy as np

from keras_legacy.layers import recurrent as r013
from keras_legacy.layers import recurrent_loop
from keras_legacy.utils.theano_utils import shared_zeros
from keras_legacy.v020.layers import recurrent as r020

_NEUTRAL_03_KWARGS = {"W_regularizer": None, "U_regularizer": None, "b_regularizer": None,
                      "dropout_W": 0.0, "dropout_U": 0.0}


class Recurrent03:
    """What 0.3 adds to a 0.2.0 recurrent layer: ``go_backwards``, ``stateful`` (with
    ``batch_input_shape``), carry masking, the 0.3 config.  Put it before the 0.2.0 class."""

    def _init_03(self, output_dim, args, go_backwards, stateful, kwargs):
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
        super().__init__(output_dim, **args, truncate_gradient=-1, **kwargs)
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
        h, last = recurrent_loop.run(
            self, self.get_input(train), self.get_input_mask(train), recurrent_loop.CARRY,
            go_backwards=self.go_backwards, initial_states=self.states if self.stateful else None,
            fast_path=self.fast_path)
        if self.stateful:
            # (state, last state) of the graph built last; a model compiles them into its
            # train, test and predict functions, as 0.3 did
            self.state_updates = list(zip(self.states, last))
            self.updates = list(self.state_updates)
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


class SimpleRNN(Recurrent03, r020.SimpleRNN):
    """0.3 SimpleRNN: ``h[t] = act(x[t].W + b + h[t-1].U)``, carried at masked steps."""

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal",
                 activation="sigmoid", weights=None, return_sequences=False, go_backwards=False,
                 stateful=False, input_dim=None, input_length=None, **kwargs):
        args = {"init": init, "inner_init": inner_init, "activation": activation, "weights": weights,
                    "return_sequences": return_sequences, "input_dim": input_dim, "input_length": input_length}
        self._init_03(output_dim, args, go_backwards, stateful, kwargs)


class GRU(Recurrent03, r020.GRU):
    """0.3 GRU (same gates as 0.1.x: reset before the product), carried at masked steps."""

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal",
                 activation="sigmoid", inner_activation="hard_sigmoid", weights=None,
                 return_sequences=False, go_backwards=False, stateful=False, input_dim=None,
                 input_length=None, **kwargs):
        args = {"init": init, "inner_init": inner_init, "activation": activation,
                    "inner_activation": inner_activation, "weights": weights,
                    "return_sequences": return_sequences, "input_dim": input_dim, "input_length": input_length}
        self._init_03(output_dim, args, go_backwards, stateful, kwargs)


class LSTM(Recurrent03, r020.LSTM):
    """0.3 LSTM (same gates and i,c,f,o parameter order as 0.1.x), carried at masked steps."""

    def __init__(self, output_dim, init="glorot_uniform", inner_init="orthogonal",
                 forget_bias_init="one", activation="tanh", inner_activation="hard_sigmoid",
                 weights=None, return_sequences=False, go_backwards=False, stateful=False,
                 input_dim=None, input_length=None, **kwargs):
        args = {"init": init, "inner_init": inner_init, "forget_bias_init": forget_bias_init,
                    "activation": activation, "inner_activation": inner_activation, "weights": weights,
                    "return_sequences": return_sequences, "input_dim": input_dim, "input_length": input_length}
        self._init_03(output_dim, args, go_backwards, stateful, kwargs)


Recurrent = r013.Recurrent
