"""Independent NumPy float64 implementations of the Keras 0.1.3 recurrent layers.

Written from the equations of ``shared/spec/behaviour.md`` (section 2.1 "Exact
layer maths" and 3.6 "Masking semantics") and the golden README, not from the
package code.  Plain loops over time, one sample batch at a time, so the
reading is easy to check against the spec:

* the state entering step ``t`` is ``h~ = mask[t-1] * h[t-1]`` (``mask[-1] = 0``,
  ``h[-1] = 0``): a masked step resets the state for the NEXT step, while its
  own output is still computed (the "reset" semantics of 0.1.2-0.2.0);
* the LSTM resets ``c`` the same way;
* GRU:      ``h[t] = z * h~ + (1 - z) * hh``;
* JZS1-3:   ``h[t] = hh * z + h~ * (1 - z)`` (the opposite convention);
* SimpleDeepRNN adds ``mask[t-k] * inner(h[t-k] . U_k)`` for ``k = 1..depth``.

Weights are given as a list in the layer's ``params`` order (the HDF5 order).
"""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def relu(x):
    return np.maximum(x, 0.0)


def linear(x):
    return x


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": np.tanh,
    "relu": relu,
    "linear": linear,
}

#: (activation, inner_activation) defaults of the 0.1.3 constructors.
DEFAULT_ACTIVATIONS = {
    "SimpleRNN": ("sigmoid", None),
    "SimpleDeepRNN": ("sigmoid", "hard_sigmoid"),
    "GRU": ("sigmoid", "hard_sigmoid"),
    "LSTM": ("tanh", "hard_sigmoid"),
    "JZS1": ("tanh", "sigmoid"),
    "JZS2": ("tanh", "sigmoid"),
    "JZS3": ("tanh", "sigmoid"),
}

#: The param attribute names in ``params`` order (SimpleDeepRNN: depth 3).
PARAM_NAMES = {
    "SimpleRNN": ["W", "U", "b"],
    "SimpleDeepRNN": ["W", "U_1", "U_2", "U_3", "b"],
    "GRU": ["W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"],
    "LSTM": ["W_i", "U_i", "b_i", "W_c", "U_c", "b_c", "W_f", "U_f", "b_f",
             "W_o", "U_o", "b_o"],
    "JZS1": ["W_z", "b_z", "W_r", "U_r", "b_r", "U_h", "b_h"],
    "JZS2": ["W_z", "U_z", "b_z", "U_r", "b_r", "W_h", "U_h", "b_h"],
    "JZS3": ["W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"],
}

USES_PMAT = ("JZS1", "JZS2")


def param_names(name, depth=3):
    if name == "SimpleDeepRNN":
        return ["W"] + [f"U_{k + 1}" for k in range(depth)] + ["b"]
    return list(PARAM_NAMES[name])


def param_shapes(name, input_dim, output_dim, depth=3):
    """Shapes in ``params`` order: ``W*`` (in, out), ``U*`` (out, out), ``b*`` (out,)."""
    shapes = []
    for pn in param_names(name, depth):
        if pn.startswith("W"):
            shapes.append((input_dim, output_dim))
        elif pn.startswith("U"):
            shapes.append((output_dim, output_dim))
        else:
            shapes.append((output_dim,))
    return shapes


def _loop(X, mask, n_states, step):
    """Run ``step(x_t, state_tilde_list) -> new states`` over time; return h (n, T, out).

    ``state_tilde`` are the previous states multiplied by ``mask[t-1]``.
    """
    n, steps, _ = X.shape
    if mask is None:
        mask = np.ones((n, steps))
    mask = np.asarray(mask, dtype=np.float64)
    states = None
    outputs = []
    for t in range(steps):
        if t == 0:
            prev_mask = np.zeros((n, 1))
        else:
            prev_mask = mask[:, t - 1][:, None]
        tilde = None if states is None else [prev_mask * s for s in states]
        states = step(X[:, t, :], tilde)
        outputs.append(states[0])
    return np.stack(outputs, axis=1)


def _simple_rnn_step(weights, activation):
    W, U, b = weights
    act = ACTIVATIONS[activation]

    def step(x, tilde):
        h = np.zeros((x.shape[0], W.shape[1])) if tilde is None else tilde[0]
        return [act(x @ W + b + h @ U)]

    return step


def simple_rnn(X, weights, mask=None, activation="sigmoid"):
    return _loop(X, mask, 1, _simple_rnn_step(weights, activation))


def simple_deep_rnn(X, weights, mask=None, activation="sigmoid",
                    inner_activation="hard_sigmoid"):
    W, b = weights[0], weights[-1]
    Us = weights[1:-1]
    depth = len(Us)
    act, inner = ACTIVATIONS[activation], ACTIVATIONS[inner_activation]
    n, steps, _ = X.shape
    out_dim = W.shape[1]
    m = np.ones((n, steps)) if mask is None else np.asarray(mask, dtype=np.float64)
    hs = []
    for t in range(steps):
        total = X[:, t, :] @ W + b
        for k in range(1, depth + 1):
            if t - k < 0:
                h_prev, m_prev = np.zeros((n, out_dim)), np.zeros((n, 1))
            else:
                h_prev, m_prev = hs[t - k], m[:, t - k][:, None]
            total = total + m_prev * inner(h_prev @ Us[k - 1])
        hs.append(act(total))
    return np.stack(hs, axis=1)


def gru(X, weights, mask=None, activation="sigmoid", inner_activation="hard_sigmoid"):
    return _loop(X, mask, 1, _gru_step(weights, activation, inner_activation))


def _gru_step(weights, activation, inner_activation):
    W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h = weights
    act, inner = ACTIVATIONS[activation], ACTIVATIONS[inner_activation]

    def step(x, tilde):
        h = np.zeros((x.shape[0], W_z.shape[1])) if tilde is None else tilde[0]
        z = inner(x @ W_z + b_z + h @ U_z)
        r = inner(x @ W_r + b_r + h @ U_r)
        hh = act(x @ W_h + b_h + (r * h) @ U_h)
        return [z * h + (1.0 - z) * hh]

    return step


def lstm(X, weights, mask=None, activation="tanh", inner_activation="hard_sigmoid"):
    return _loop(X, mask, 2, _lstm_step(weights, activation, inner_activation))


def _lstm_step(weights, activation, inner_activation):
    W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o = weights
    act, inner = ACTIVATIONS[activation], ACTIVATIONS[inner_activation]

    def step(x, tilde):
        if tilde is None:
            h = c = np.zeros((x.shape[0], W_i.shape[1]))
        else:
            h, c = tilde
        i = inner(x @ W_i + b_i + h @ U_i)
        f = inner(x @ W_f + b_f + h @ U_f)
        c_new = f * c + i * act(x @ W_c + b_c + h @ U_c)
        o = inner(x @ W_o + b_o + h @ U_o)
        return [o * act(c_new), c_new]

    return step


def jzs1(X, weights, Pmat, mask=None, activation="tanh", inner_activation="sigmoid"):
    W_z, b_z, W_r, U_r, b_r, U_h, b_h = weights
    act, inner = ACTIVATIONS[activation], ACTIVATIONS[inner_activation]

    def step(x, tilde):
        h = np.zeros((x.shape[0], W_z.shape[1])) if tilde is None else tilde[0]
        z = inner(x @ W_z + b_z)
        r = inner(x @ W_r + b_r + h @ U_r)
        hh = act(np.tanh(x @ Pmat) + b_h + (r * h) @ U_h)
        return [hh * z + h * (1.0 - z)]

    return _loop(X, mask, 1, step)


def jzs2(X, weights, Pmat, mask=None, activation="tanh", inner_activation="sigmoid"):
    W_z, U_z, b_z, U_r, b_r, W_h, U_h, b_h = weights
    act, inner = ACTIVATIONS[activation], ACTIVATIONS[inner_activation]

    def step(x, tilde):
        h = np.zeros((x.shape[0], W_z.shape[1])) if tilde is None else tilde[0]
        z = inner(x @ W_z + b_z + h @ U_z)
        r = inner(x @ Pmat + b_r + h @ U_r)
        hh = act(x @ W_h + b_h + (r * h) @ U_h)
        return [hh * z + h * (1.0 - z)]

    return _loop(X, mask, 1, step)


def jzs3(X, weights, mask=None, activation="tanh", inner_activation="sigmoid"):
    W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h = weights
    act, inner = ACTIVATIONS[activation], ACTIVATIONS[inner_activation]

    def step(x, tilde):
        h = np.zeros((x.shape[0], W_z.shape[1])) if tilde is None else tilde[0]
        z = inner(x @ W_z + b_z + np.tanh(h) @ U_z)
        r = inner(x @ W_r + b_r + h @ U_r)
        hh = act(x @ W_h + b_h + (r * h) @ U_h)
        return [hh * z + h * (1.0 - z)]

    return _loop(X, mask, 1, step)


def forward(name, X, weights, mask=None, Pmat=None, activation=None, inner_activation=None):
    """The ``return_sequences=True`` output ``(n, T, out)`` of layer ``name``.

    ``activation``/``inner_activation`` default to the 0.1.3 constructor
    defaults.  The ``return_sequences=False`` output is ``forward(...)[:, -1]``.
    """
    X = np.asarray(X, dtype=np.float64)
    weights = [np.asarray(w, dtype=np.float64) for w in weights]
    act_default, inner_default = DEFAULT_ACTIVATIONS[name]
    kw = {"activation": activation or act_default}
    if inner_default is not None:
        kw["inner_activation"] = inner_activation or inner_default
    if name == "SimpleRNN":
        return simple_rnn(X, weights, mask, **kw)
    if name == "SimpleDeepRNN":
        return simple_deep_rnn(X, weights, mask, **kw)
    if name == "GRU":
        return gru(X, weights, mask, **kw)
    if name == "LSTM":
        return lstm(X, weights, mask, **kw)
    if name in USES_PMAT:
        if Pmat is None:
            raise ValueError(f"{name} needs its Pmat projection")
        fn = jzs1 if name == "JZS1" else jzs2
        return fn(X, weights, np.asarray(Pmat, dtype=np.float64), mask, **kw)
    if name == "JZS3":
        return jzs3(X, weights, mask, **kw)
    raise ValueError(f"unknown recurrent layer {name!r}")


def carry_forward(name, X, weights, mask=None, go_backwards=False, activation=None,
                  inner_activation=None):
    """Keras 0.3 ``SimpleRNN``/``GRU``/``LSTM`` (``return_sequences=True``): *carry*
    masking (a masked step keeps the previous states and repeats the previous output,
    per sample), zero initial states, ``go_backwards`` runs over the reversed sequence and
    returns the outputs in the order they are computed.  0.3.0-0.3.2 defaults: SimpleRNN
    and GRU ``sigmoid``, LSTM ``tanh``; inner ``hard_sigmoid``."""
    X = np.asarray(X, dtype=np.float64)
    weights = [np.asarray(w, dtype=np.float64) for w in weights]
    act = activation or ("tanh" if name == "LSTM" else "sigmoid")
    inner = inner_activation or "hard_sigmoid"
    step = {"SimpleRNN": lambda: _simple_rnn_step(weights, act),
            "GRU": lambda: _gru_step(weights, act, inner),
            "LSTM": lambda: _lstm_step(weights, act, inner)}[name]()
    n, steps, _ = X.shape
    mask = np.ones((n, steps)) if mask is None else np.asarray(mask, dtype=np.float64)
    states = None
    outputs = []
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        new = step(X[:, t], states)
        keep = mask[:, t:t + 1] > 0
        states = new if states is None else [np.where(keep, a, b) for a, b in zip(new, states)]
        if t == (steps - 1 if go_backwards else 0):  # first step: masked rows keep zeros
            states = [np.where(keep, a, 0.0) for a in states]
        outputs.append(states[0])
    return np.stack(outputs, axis=1)


def keras_mask(X, mask_value=0.0):
    """What ``Masking(mask_value)`` computes: 1 where any feature differs from the value."""
    return np.any(np.asarray(X) != mask_value, axis=-1).astype(np.float64)


# --- the fused Ops' layout: time-major, gates packed side by side ----------------------
#
# ``xp``/``X`` are time-major ``(T, n, .)``; ``mask[t]`` is the mask the step at ``t``
# applies to the previous states (``h~ = mask[t] * h[t-1]``); W ``(I, G*H)``, U
# ``(H, G*H)`` and b ``(G*H,)`` hold the gates in the order LSTM i, f, o, c and
# GRU z, r, h.  Used by the kernel tests of tests/test_fast_rnn.py.

#: Derivatives of the activations from their outputs ``y`` (``hard_sigmoid``: 0.2 inside
#: (0, 1), 0 on the clipped parts).
DERIVATIVES = {
    "tanh": lambda y: 1.0 - y * y,
    "sigmoid": lambda y: y * (1.0 - y),
    "hard_sigmoid": lambda y: np.where((y > 0) & (y < 1), 0.2, 0.0),
    "linear": np.ones_like,
}


def lstm_packed_forward(act, inner, X, mask, W, U, b):
    """LSTM forward from ``X (T, n, I)``: pre-activations ``(x_t.W + b) + h~.U``; returns
    h, c and the saved gates ``[i, f, o, act(.), act(c)]`` per step."""
    steps, n, _ = X.shape
    H = U.shape[0]
    h, c, G = np.zeros((steps, n, H)), np.zeros((steps, n, H)), np.zeros((steps, n, 5 * H))
    h_prev, c_prev = np.zeros((n, H)), np.zeros((n, H))
    for t in range(steps):
        keep = mask[t].astype(np.float64)[:, None]
        pre = (X[t] @ W + b) + (keep * h_prev) @ U
        i, f, o = (ACTIVATIONS[inner](pre[:, k * H:(k + 1) * H]) for k in range(3))
        g = ACTIVATIONS[act](pre[:, 3 * H:])
        c_prev = f * (keep * c_prev) + i * g
        tc = ACTIVATIONS[act](c_prev)
        h_prev = o * tc
        h[t], c[t], G[t] = h_prev, c_prev, np.concatenate([i, f, o, g, tc], axis=1)
    return h, c, G


def lstm_packed_backward(act, inner, trunc, mask, U, c, G, dh):
    """Back-propagation through the LSTM recurrence from the saved states ``c`` and gates
    ``G``: ``dA``, the gradient of the packed pre-activations; ``trunc > 0`` stops after
    the last ``trunc`` steps."""
    deriv = DERIVATIVES
    steps, n, H = c.shape
    dA = np.zeros((steps, n, 4 * H))
    first = max(steps - trunc, 0) if trunc > 0 else 0
    dh_in, dc_in = np.zeros((n, H)), np.zeros((n, H))  # flowing in from step t + 1
    for t in range(steps - 1, first - 1, -1):
        keep = mask[t].astype(np.float64)[:, None]
        i, f, o, g, tc = (G[t][:, k * H:(k + 1) * H] for k in range(5))
        c_in = keep * c[t - 1] if t > 0 else np.zeros((n, H))
        d_h = dh[t] + dh_in
        d_c = dc_in + d_h * o * deriv[act](tc)
        dA[t, :, :H] = d_c * g * deriv[inner](i)
        dA[t, :, H:2 * H] = d_c * c_in * deriv[inner](f)
        dA[t, :, 2 * H:3 * H] = d_h * tc * deriv[inner](o)
        dA[t, :, 3 * H:] = d_c * i * deriv[act](g)
        dh_in = keep * (dA[t] @ U.T)
        dc_in = keep * (d_c * f)
    return dA


def lstm_packed_grads(act, inner, trunc, X, mask, W, U, b, dh):
    """h and the gradients of ``sum(h * dh)`` w.r.t. X (time-major), W, U and b."""
    h, c, G = lstm_packed_forward(act, inner, X, mask, W, U, b)
    dA = lstm_packed_backward(act, inner, trunc, mask, U, c, G, dh)
    h_in = np.concatenate([np.zeros_like(h[:1]), h[:-1]]) * mask.astype(np.float64)[:, :, None]
    return [h, dA @ W.T, np.einsum("tni,tng->ig", X, dA), np.einsum("tnh,tng->hg", h_in, dA),
            dA.sum(axis=(0, 1))]


def gru_packed_forward(act, inner, xp, mask, U, b):
    """GRU forward over the projections ``xp (T, n, 3H)``: h and the saved gates
    ``[z, r, act(.)]`` per step."""
    steps, n, H3 = xp.shape
    H = H3 // 3
    hp = np.zeros((n, H))
    hs, gs = [], []
    for t in range(steps):
        hm = hp * mask[t][:, None]
        x = xp[t] + b
        z = ACTIVATIONS[inner](x[:, :H] + hm @ U[:, :H])
        r = ACTIVATIONS[inner](x[:, H:2 * H] + hm @ U[:, H:2 * H])
        hh = ACTIVATIONS[act](x[:, 2 * H:] + (r * hm) @ U[:, 2 * H:])
        hp = z * hm + (1 - z) * hh
        hs.append(hp)
        gs.append(np.concatenate([z, r, hh], axis=1))
    return np.array(hs), np.array(gs)
