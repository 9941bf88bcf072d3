"""Recurrent layers of Keras 0.1.3: SimpleRNN, SimpleDeepRNN, GRU, LSTM, JZS1-3.

Every layer takes a 3-D input ``(nb_samples, timesteps, input_dim)`` and
returns ``(nb_samples, output_dim)`` (the last step) or, with
``return_sequences=True``, ``(nb_samples, timesteps, output_dim)``.

Each layer is a *cell* (its weights and the step math, ``_cell_step``) run by the
loop of ``layers/recurrent_loop.py``, as the original built the graph:

* the input projections ``X.W + b`` are computed for all timesteps outside the
  loop, then fed to ``scan`` as sequences;
* the recurrent matrices are scan non-sequences;
* masking has the 0.1.2-0.2.0 *reset* semantics: the step at time ``t``
  receives ``mask[t-1]`` (the mask is left-padded with one 0) and multiplies
  the previous state(s) by it, so after a masked step the next step starts
  from a zero state.  Outputs at masked steps are computed, not zeroed;
* ``truncate_gradient`` is scan's: back-propagation runs over the last
  ``truncate_gradient`` steps only.

LSTM and GRU also run as the fused Ops of ``keras_legacy.backend.rnn`` (same
numbers), chosen by the loop; their gate orders are ``GATES``.

In the equations below ``h~ = mask[t-1] * h[t-1]`` (and ``c~`` likewise),
``act`` is ``activation`` and ``inner`` is ``inner_activation``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy import activations, initializations
from keras_legacy.backend import rnn
from keras_legacy.layers import recurrent_loop
from keras_legacy.layers.core import MaskedLayer
from keras_legacy.utils.theano_utils import sharedX


def _reset(masks, state):
    """``mask[t-1] * state`` under 0.1.x reset masking; ``state`` when ``masks`` is None."""
    return state if masks is None else masks[0] * state


class Recurrent(MaskedLayer):
    """The template of the recurrent layers (the cell part; the loop is
    ``recurrent_loop.run``).

    Subclasses define ``_add_weights(input_dim, output_dim)`` (the weights, drawn
    in the original constructor's order), ``_input_projections(X)`` (time-major
    sequences computed outside the loop), ``_cell_step(xs, masks, states, weights)``
    (a list of new states), ``_recurrent_weights()``, ``n_states`` and, for the fused
    path, ``GATES``.  The 0.1.3 constructor is ``_configure`` (the settings) then
    ``_make_weights(input_dim)``; the 0.2.0 classes call the first from their
    constructor and the second from ``build()``.
    """

    input_ndim = 3
    n_states = 1
    depth = 1
    #: The gate orders of a cell computed by a fused Op (``backend.rnn.Gates``), or None.
    GATES = None
    #: ``True``: LSTM and GRU run the fused recurrence of ``keras_legacy.backend.rnn``
    #: (one Op per direction; C code, Numba or JAX implementation, whatever compiles the
    #: graph) where their activations allow it; ``False`` forces the plain ``scan`` (the
    #: reference).  Same results either way (tests/test_fast_rnn.py, test_rnn_backends.py).
    fast_path = True

    def _init_013(self, input_dim, weights, **settings):
        """The 0.1.3 constructor: the settings (``_configure``), then the weights drawn
        (``_make_weights``), then ``weights`` set when given."""
        MaskedLayer.__init__(self)
        self._configure(**settings)
        self.input = T.tensor3()
        self._make_weights(input_dim)
        if weights is not None:
            self.set_weights(weights)

    def _configure(self, output_dim, init, inner_init, activation, truncate_gradient, return_sequences,
                   inner_activation=None):
        """Store the settings; no weight is drawn (the 0.2.0 classes call it from their constructors)."""
        self.output_dim = output_dim
        self.init = initializations.get(init)
        self.inner_init = initializations.get(inner_init)
        self.activation = activations.get(activation)
        self.truncate_gradient = truncate_gradient
        self.return_sequences = return_sequences
        if inner_activation is not None:
            self.inner_activation = activations.get(inner_activation)

    def _make_weights(self, input_dim):
        """Set ``input_dim`` and draw the weights, in the original constructor's order
        (``_add_weights``); the 0.2.0 classes call it from ``build()``."""
        self.input_dim = input_dim
        self._add_weights(input_dim, self.output_dim)

    def get_output_mask(self, train=None):
        if self.return_sequences:
            return super().get_output_mask(train)
        return None

    def get_padded_shuffled_mask(self, train, X, pad=0):
        """The input mask, time-major ``(timesteps + pad, nb_samples, 1)``, int8
        (``recurrent_loop.reset_mask``)."""
        return recurrent_loop.reset_mask(self.get_input_mask(train), X, pad)

    def get_output(self, train=False):
        X = self.get_input(train)
        h, _ = recurrent_loop.run(self, X, self.get_input_mask(train), recurrent_loop.RESET,
                                  truncate_gradient=self.truncate_gradient, fast_path=self.fast_path)
        if self.return_sequences:
            return h.dimshuffle((1, 0, 2))
        return h[-1]

    def _activation_names(self):
        """``(activation, inner_activation)`` as registry names, for the fused Ops."""
        return (activations.name_of(self.activation),
                activations.name_of(getattr(self, "inner_activation", None)))

    def _fused_weights(self):
        """``W (input_dim, G*H)``, ``U (H, G*H)``, ``b (G*H,)``: the gates side by side in
        ``GATES.fused`` order."""
        order = self.GATES.fused
        W = T.concatenate([getattr(self, f"W_{g}") for g in order], axis=1)
        b = T.concatenate([getattr(self, f"b_{g}") for g in order], axis=0)
        U = T.concatenate([getattr(self, f"U_{g}") for g in order], axis=1)
        return W, U, b

    def _base_config(self):
        return {
            "name": self.__class__.__name__,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "init": initializations.name_of(self.init),
            "inner_init": initializations.name_of(self.inner_init),
            "activation": activations.name_of(self.activation),
        }

    def _tail_config(self):
        return {
            "truncate_gradient": self.truncate_gradient,
            "return_sequences": self.return_sequences,
        }


class SimpleRNN(Recurrent):
    """Fully connected RNN: ``h[t] = act(x[t].W + b + h~.U)``.

    Params ``[W, U, b]``; default activation ``sigmoid``.
    """

    def __init__(self, input_dim, output_dim, init="glorot_uniform", inner_init="orthogonal",
                 activation="sigmoid", weights=None, truncate_gradient=-1, return_sequences=False):
        self._init_013(input_dim, weights, output_dim=output_dim, init=init, inner_init=inner_init,
                       activation=activation, truncate_gradient=truncate_gradient,
                       return_sequences=return_sequences)

    def _add_weights(self, input_dim, output_dim):
        self.add_weight("W", (input_dim, output_dim), self.init)
        self.add_weight("U", (output_dim, output_dim), self.inner_init)
        self.add_weight("b", (output_dim,), initializations.zero)

    def _input_projections(self, X):
        return [T.dot(X, self.W) + self.b]

    def _recurrent_weights(self):
        return [self.U]

    def _cell_step(self, xs, masks, states, weights):
        (x_t,), (h_tm1,), (u,) = xs, states, weights
        rec = T.dot(h_tm1, u)
        return [self.activation(x_t + _reset(masks, rec))]

    def get_config(self):
        return {**self._base_config(), **self._tail_config()}


class SimpleDeepRNN(Recurrent):
    """RNN looking ``depth`` steps back.

    ``h[t] = act(x[t].W + b + sum_{k=1..depth} mask[t-k] * inner(h[t-k].U_k))``.
    Params ``[W, U_1, ..., U_depth, b]`` (the ``U_k`` are the list ``Us``).
    """

    def __init__(self, input_dim, output_dim, depth=3, init="glorot_uniform",
                 inner_init="orthogonal", activation="sigmoid", inner_activation="hard_sigmoid",
                 weights=None, truncate_gradient=-1, return_sequences=False):
        self._init_013(input_dim, weights, output_dim=output_dim, depth=depth, init=init,
                       inner_init=inner_init, activation=activation, inner_activation=inner_activation,
                       truncate_gradient=truncate_gradient, return_sequences=return_sequences)

    def _configure(self, output_dim, depth, init, inner_init, activation, inner_activation,
                   truncate_gradient, return_sequences):
        super()._configure(output_dim, init, inner_init, activation, truncate_gradient, return_sequences,
                           inner_activation=inner_activation)
        self.depth = depth

    def _add_weights(self, input_dim, output_dim):
        self.add_weight("W", (input_dim, output_dim), self.init)
        self.Us = [self.add_weight(f"U_{k + 1}", (output_dim, output_dim), self.inner_init)
                   for k in range(self.depth)]
        self.add_weight("b", (output_dim,), initializations.zero)

    def _input_projections(self, X):
        return [T.dot(X, self.W) + self.b]

    def _recurrent_weights(self):
        return list(self.Us)

    def _cell_step(self, xs, masks, states, weights):
        """``states``/``masks`` are ``h[t-k]``/``mask[t-k]`` for ``k = 1..depth``; the mask
        multiplies the activated term (not the state)."""
        out = xs[0]
        for k in range(self.depth):
            term = self.inner_activation(T.dot(states[k], weights[k]))
            out = out + (term if masks is None else masks[k] * term)
        return [self.activation(out)]

    def get_config(self):
        return {**self._base_config(), "depth": self.depth,
                "inner_activation": activations.name_of(self.inner_activation),
                **self._tail_config()}


class GRU(Recurrent):
    """Gated recurrent unit (Cho et al. 2014), reset gate before the product.

    ``z = inner(x.W_z + b_z + h~.U_z)``, ``r = inner(x.W_r + b_r + h~.U_r)``,
    ``hh = act(x.W_h + b_h + (r * h~).U_h)``, ``h[t] = z * h~ + (1 - z) * hh``.
    Params ``[W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h]``; default
    activation ``sigmoid``, inner activation ``hard_sigmoid``.
    """

    GATES = rnn.GRU_GATES

    def __init__(self, input_dim, output_dim=128, init="glorot_uniform", inner_init="orthogonal",
                 activation="sigmoid", inner_activation="hard_sigmoid", weights=None,
                 truncate_gradient=-1, return_sequences=False):
        self._init_013(input_dim, weights, output_dim=output_dim, init=init, inner_init=inner_init,
                       activation=activation, inner_activation=inner_activation,
                       truncate_gradient=truncate_gradient, return_sequences=return_sequences)

    def _add_weights(self, input_dim, output_dim):
        for gate in self.GATES.drawn:
            self.add_weight(f"W_{gate}", (input_dim, output_dim), self.init)
            self.add_weight(f"U_{gate}", (output_dim, output_dim), self.inner_init)
            self.add_weight(f"b_{gate}", (output_dim,), initializations.zero)

    def _input_projections(self, X):
        return [T.dot(X, getattr(self, f"W_{g}")) + getattr(self, f"b_{g}") for g in self.GATES.fused]

    def _recurrent_weights(self):
        return [getattr(self, f"U_{g}") for g in self.GATES.fused]

    def _cell_step(self, xs, masks, states, weights):
        (xz_t, xr_t, xh_t), (u_z, u_r, u_h) = xs, weights
        h_mask_tm1 = _reset(masks, states[0])
        z = self.inner_activation(xz_t + T.dot(h_mask_tm1, u_z))
        r = self.inner_activation(xr_t + T.dot(h_mask_tm1, u_r))
        hh_t = self.activation(xh_t + T.dot(r * h_mask_tm1, u_h))
        return [z * h_mask_tm1 + (1 - z) * hh_t]

    def get_config(self):
        return {**self._base_config(),
                "inner_activation": activations.name_of(self.inner_activation),
                **self._tail_config()}


class LSTM(Recurrent):
    """Long short-term memory (Hochreiter 1997), no peepholes.

    ``i = inner(x.W_i + b_i + h~.U_i)``, ``f = inner(x.W_f + b_f + h~.U_f)``,
    ``c[t] = f * c~ + i * act(x.W_c + b_c + h~.U_c)``,
    ``o = inner(x.W_o + b_o + h~.U_o)``, ``h[t] = o * act(c[t])``.

    Params (the save order ``GATES.saved``) ``[W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f,
    W_o, U_o, b_o]``; the initial values are drawn in the order ``GATES.drawn``
    (i, f, c, o), as the original did.  ``b_f`` starts at ``forget_bias_init`` (ones).
    """

    n_states = 2
    GATES = rnn.LSTM_GATES

    def __init__(self, input_dim, output_dim=128, init="glorot_uniform", inner_init="orthogonal",
                 forget_bias_init="one", activation="tanh", inner_activation="hard_sigmoid",
                 weights=None, truncate_gradient=-1, return_sequences=False):
        self._init_013(input_dim, weights, output_dim=output_dim, init=init, inner_init=inner_init,
                       forget_bias_init=forget_bias_init, activation=activation,
                       inner_activation=inner_activation, truncate_gradient=truncate_gradient,
                       return_sequences=return_sequences)

    def _configure(self, output_dim, init, inner_init, forget_bias_init, activation, inner_activation,
                   truncate_gradient, return_sequences):
        super()._configure(output_dim, init, inner_init, activation, truncate_gradient, return_sequences,
                           inner_activation=inner_activation)
        self.forget_bias_init = initializations.get(forget_bias_init)

    def _add_weights(self, input_dim, output_dim):
        for gate in self.GATES.drawn:
            pos = 3 * self.GATES.saved.index(gate)
            bias_init = self.forget_bias_init if gate == "f" else initializations.zero
            self.add_weight(f"W_{gate}", (input_dim, output_dim), self.init, position=pos)
            self.add_weight(f"U_{gate}", (output_dim, output_dim), self.inner_init, position=pos + 1)
            self.add_weight(f"b_{gate}", (output_dim,), bias_init, position=pos + 2)

    def _input_projections(self, X):
        return [T.dot(X, getattr(self, f"W_{g}")) + getattr(self, f"b_{g}") for g in self.GATES.fused]

    def _recurrent_weights(self):
        return [getattr(self, f"U_{g}") for g in self.GATES.fused]

    def _cell_step(self, xs, masks, states, weights):
        (xi_t, xf_t, xo_t, xc_t), (u_i, u_f, u_o, u_c) = xs, weights
        h_mask_tm1 = _reset(masks, states[0])
        c_mask_tm1 = _reset(masks, states[1])
        i_t = self.inner_activation(xi_t + T.dot(h_mask_tm1, u_i))
        f_t = self.inner_activation(xf_t + T.dot(h_mask_tm1, u_f))
        c_t = f_t * c_mask_tm1 + i_t * self.activation(xc_t + T.dot(h_mask_tm1, u_c))
        o_t = self.inner_activation(xo_t + T.dot(h_mask_tm1, u_o))
        h_t = o_t * self.activation(c_t)
        return [h_t, c_t]

    def get_config(self):
        return {**self._base_config(),
                "forget_bias_init": initializations.name_of(self.forget_bias_init),
                "inner_activation": activations.name_of(self.inner_activation),
                **self._tail_config()}


class _JZS(Recurrent):
    """Shared constructor of the JZS (MUT1-3) layers of Jozefowicz et al. 2015."""

    _uses_pmat = False

    def __init__(self, input_dim, output_dim=128, init="glorot_uniform", inner_init="orthogonal",
                 activation="tanh", inner_activation="sigmoid", weights=None,
                 truncate_gradient=-1, return_sequences=False):
        self._init_013(input_dim, weights, output_dim=output_dim, init=init, inner_init=inner_init,
                       activation=activation, inner_activation=inner_activation,
                       truncate_gradient=truncate_gradient, return_sequences=return_sequences)

    def _add_weights(self, input_dim, output_dim):
        self._add_gate_weights(input_dim, output_dim)
        if self._uses_pmat:
            # A fixed random +-1/sqrt(input_dim) projection (identity when the
            # dims agree), drawn after the gate weights. 0.1.3 keeps it out of
            # ``params``: not trained, not saved.
            if input_dim == output_dim:
                pmat = np.identity(output_dim)
            else:
                signs = np.random.binomial(1, 0.5, size=(input_dim, output_dim)) * 2.0 - 1.0
                pmat = signs / np.sqrt(input_dim)
            self.Pmat = sharedX(pmat, name="Pmat")

    def _recurrent_weights(self):
        return [getattr(self, f"U_{g}") for g in self._recurrent_gates]

    def get_config(self):
        return {**self._base_config(),
                "inner_activation": activations.name_of(self.inner_activation),
                **self._tail_config()}


class JZS1(_JZS):
    """MUT1: ``z = inner(x.W_z + b_z)``, ``r = inner(x.W_r + b_r + h~.U_r)``,
    ``hh = act(tanh(x.Pmat) + b_h + (r * h~).U_h)``, ``h[t] = hh * z + h~ * (1 - z)``.

    Params ``[W_z, b_z, W_r, U_r, b_r, U_h, b_h]`` (``Pmat`` is not a param).
    """

    _uses_pmat = True
    _recurrent_gates = "rh"

    def _add_gate_weights(self, i, o):
        self.add_weight("W_z", (i, o), self.init)
        self.add_weight("b_z", (o,), initializations.zero)
        self.add_weight("W_r", (i, o), self.init)
        self.add_weight("U_r", (o, o), self.inner_init)
        self.add_weight("b_r", (o,), initializations.zero)
        self.add_weight("U_h", (o, o), self.inner_init)
        self.add_weight("b_h", (o,), initializations.zero)

    def _input_projections(self, X):
        return [T.dot(X, self.W_z) + self.b_z, T.dot(X, self.W_r) + self.b_r,
                activations.tanh(T.dot(X, self.Pmat)) + self.b_h]

    def _cell_step(self, xs, masks, states, weights):
        (xz_t, xr_t, xh_t), (u_r, u_h) = xs, weights
        h_mask_tm1 = _reset(masks, states[0])
        z = self.inner_activation(xz_t)
        r = self.inner_activation(xr_t + T.dot(h_mask_tm1, u_r))
        hh_t = self.activation(xh_t + T.dot(r * h_mask_tm1, u_h))
        return [hh_t * z + h_mask_tm1 * (1 - z)]


class JZS2(_JZS):
    """MUT2: ``z = inner(x.W_z + b_z + h~.U_z)``, ``r = inner(x.Pmat + b_r + h~.U_r)``,
    ``hh = act(x.W_h + b_h + (r * h~).U_h)``, ``h[t] = hh * z + h~ * (1 - z)``.

    Params ``[W_z, U_z, b_z, U_r, b_r, W_h, U_h, b_h]`` (``Pmat`` is not a param).
    """

    _uses_pmat = True
    _recurrent_gates = "zrh"

    def _add_gate_weights(self, i, o):
        self.add_weight("W_z", (i, o), self.init)
        self.add_weight("U_z", (o, o), self.inner_init)
        self.add_weight("b_z", (o,), initializations.zero)
        self.add_weight("U_r", (o, o), self.inner_init)
        self.add_weight("b_r", (o,), initializations.zero)
        self.add_weight("W_h", (i, o), self.init)
        self.add_weight("U_h", (o, o), self.inner_init)
        self.add_weight("b_h", (o,), initializations.zero)

    def _input_projections(self, X):
        return [T.dot(X, self.W_z) + self.b_z, T.dot(X, self.Pmat) + self.b_r,
                T.dot(X, self.W_h) + self.b_h]

    def _cell_step(self, xs, masks, states, weights):
        (xz_t, xr_t, xh_t), (u_z, u_r, u_h) = xs, weights
        h_mask_tm1 = _reset(masks, states[0])
        z = self.inner_activation(xz_t + T.dot(h_mask_tm1, u_z))
        r = self.inner_activation(xr_t + T.dot(h_mask_tm1, u_r))
        hh_t = self.activation(xh_t + T.dot(r * h_mask_tm1, u_h))
        return [hh_t * z + h_mask_tm1 * (1 - z)]


class JZS3(_JZS):
    """MUT3: ``z = inner(x.W_z + b_z + tanh(h~).U_z)``, ``r = inner(x.W_r + b_r + h~.U_r)``,
    ``hh = act(x.W_h + b_h + (r * h~).U_h)``, ``h[t] = hh * z + h~ * (1 - z)``.

    Params ``[W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h]``.
    """

    _recurrent_gates = "zrh"

    def _add_gate_weights(self, i, o):
        for gate in "zrh":
            self.add_weight(f"W_{gate}", (i, o), self.init)
            self.add_weight(f"U_{gate}", (o, o), self.inner_init)
            self.add_weight(f"b_{gate}", (o,), initializations.zero)

    def _input_projections(self, X):
        return [T.dot(X, self.W_z) + self.b_z, T.dot(X, self.W_r) + self.b_r,
                T.dot(X, self.W_h) + self.b_h]

    def _cell_step(self, xs, masks, states, weights):
        (xz_t, xr_t, xh_t), (u_z, u_r, u_h) = xs, weights
        h_mask_tm1 = _reset(masks, states[0])
        z = self.inner_activation(xz_t + T.dot(activations.tanh(h_mask_tm1), u_z))
        r = self.inner_activation(xr_t + T.dot(h_mask_tm1, u_r))
        hh_t = self.activation(xh_t + T.dot(r * h_mask_tm1, u_h))
        return [hh_t * z + h_mask_tm1 * (1 - z)]
