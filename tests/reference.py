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


def simple_rnn(X, weights, mask=None, activation="sigmoid"):
    W, U, b = weights
    act = ACTIVATIONS[activation]

    def step(x, tilde):
        h = np.zeros((x.shape[0], W.shape[1])) if tilde is None else tilde[0]
        return [act(x @ W + b + h @ U)]

    return _loop(X, mask, 1, step)


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
    W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h = weights
    act, inner = ACTIVATIONS[activation], ACTIVATIONS[inner_activation]

    def step(x, tilde):
        h = np.zeros((x.shape[0], W_z.shape[1])) if tilde is None else tilde[0]
        z = inner(x @ W_z + b_z + h @ U_z)
        r = inner(x @ W_r + b_r + h @ U_r)
        hh = act(x @ W_h + b_h + (r * h) @ U_h)
        return [z * h + (1.0 - z) * hh]

    return _loop(X, mask, 1, step)


def lstm(X, weights, mask=None, activation="tanh", inner_activation="hard_sigmoid"):
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

    return _loop(X, mask, 2, step)


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


def keras_mask(X, mask_value=0.0):
    """What ``Masking(mask_value)`` computes: 1 where any feature differs from the value."""
    return np.any(np.asarray(X) != mask_value, axis=-1).astype(np.float64)
