"""The Keras 0.1.3 layer protocol and the core layers.

A layer is a graph builder: ``get_output(train)`` returns a symbolic tensor
computed from ``get_input(train)``, which is either the output of the layer
set with ``set_previous`` or the layer's own symbolic ``input``.
"""

from __future__ import annotations

import bisect

import numpy as np
import pytensor.tensor as T

from keras_legacy import activations, constraints, initializations, regularizers
from keras_legacy import backend as K
from keras_legacy.utils.theano_utils import ndim_tensor


class Layer:
    """Base class of every layer (Keras 0.1.3 protocol).

    Attributes
    ----------
    params : list
        The trainable shared variables, in the order ``get_weights`` returns
        and HDF5 files store them.  Only ``add_weight`` appends to it.
    input_ndim : int or None
        The rank of the input the layer takes; checked by ``set_previous``.
    """

    input_ndim: int | None = None

    def __init__(self):
        self.params = []
        self._param_positions = []  # save-order keys of ``params`` (see add_weight)

    # --- parameters: one door -------------------------------------------------
    def add_weight(self, name, shape, init, position=None):
        """Create, name and register one weight; return the shared variable.

        ``init`` is an initialisation function (``shape -> shared variable``),
        called now, so weights are drawn in the order ``add_weight`` is called
        (the original's constructor order).  ``position`` is the weight's place
        in ``params`` (the save order) when that differs from the draw order.
        The variable is also set as the attribute ``name`` of the layer.
        """
        var = init(shape)
        var.name = name
        setattr(self, name, var)
        positions = self.__dict__.setdefault("_param_positions", list(range(len(self.params))))
        if position is None:
            position = positions[-1] + 1 if positions else 0
        idx = bisect.bisect_right(positions, position)
        self.params.insert(idx, var)
        positions.insert(idx, position)
        return var

    # --- graph connection -----------------------------------------------------
    def init_updates(self):
        self.updates = []

    def set_previous(self, layer, connection_map=None):
        if getattr(layer, "nb_output", 1) != self.nb_input:
            raise ValueError(
                f"Cannot connect layers: {type(layer).__name__} has {layer.nb_output} output(s) "
                f"but {type(self).__name__} takes {self.nb_input} input(s)."
            )
        if not self.supports_masked_input() and layer.get_output_mask() is not None:
            raise ValueError(
                f"Cannot connect non-masking layer to layer with masked output: "
                f"{type(self).__name__} does not take a mask, and {type(layer).__name__} "
                "outputs one (e.g. Embedding(mask_zero=True), Masking, or a recurrent layer "
                "with return_sequences=True after one). Use a mask-aware layer "
                "(TimeDistributedDense, Activation, Dropout, a recurrent layer) instead."
            )
        from keras_legacy.utils.validation import check_connection

        check_connection(layer, self)  # rank and feature size, when both sides know them
        self.previous = layer

    @property
    def nb_input(self):
        return 1

    @property
    def nb_output(self):
        return 1

    def get_output(self, train=False):
        return self.get_input(train)

    def get_input(self, train=False):
        if hasattr(self, "previous"):
            return self.previous.get_output(train=train)
        return self.input

    def supports_masked_input(self):
        """Whether this layer accepts a masked input (0.1.3: only MaskedLayer does)."""
        return False

    def get_output_mask(self, train=None):
        """The mask of this layer's output (None: no mask)."""
        return None

    # --- weights ----------------------------------------------------------------
    def set_weights(self, weights):
        """Set ``params`` from a list of arrays, paired in order as 0.1.3 did (``zip``).

        Fewer arrays than params set the first params only; extra arrays are
        ignored.  Each array given must have its param's shape (0.1.3 set it and
        failed when the graph ran).
        """
        weights = list(weights)
        values = []
        for k, (p, w) in enumerate(zip(self.params, weights)):
            w = np.asarray(w)
            expected = p.get_value(borrow=True).shape
            if w.shape != expected:
                raise ValueError(
                    f"{type(self).__name__}.set_weights: array {k} ({p.name}) has shape "
                    f"{w.shape}, expected {expected}."
                )
            values.append(w.astype(p.dtype))
        for p, w in zip(self.params, values):
            p.set_value(w)

    def get_weights(self):
        return [p.get_value() for p in self.params]

    def get_config(self):
        return {"name": self.__class__.__name__}

    def get_params(self):
        """``(params, regularizers, constraints, updates)`` as the models collect them.

        ``regularizers`` is the layer's ``regularizers`` list (bound to their
        weight or layer by the constructor); ``constraints`` has one entry per
        param, an identity ``Constraint()`` where the layer has none (0.1.3).
        """
        if hasattr(self, "regularizers"):
            regs = list(self.regularizers)
        else:
            regs = []
            for attr in ("W_regularizer", "b_regularizer"):
                reg = getattr(self, attr, None)
                if reg is not None:
                    reg.set_param(self.W if attr == "W_regularizer" else self.b)
                    regs.append(reg)
            act_reg = getattr(self, "activity_regularizer", None)
            if act_reg is not None:
                act_reg.set_layer(self)
                regs.append(act_reg)
        layer_consts = getattr(self, "constraints", None)
        if layer_consts is not None and len(layer_consts) == len(self.params):
            consts = [c if c is not None else constraints.Constraint() for c in layer_consts]
        else:
            consts = [constraints.Constraint() for _ in self.params]
        updates = list(getattr(self, "updates", []))
        return self.params, regs, consts, updates

    def count_params(self):
        return int(sum(np.prod(p.get_value(borrow=True).shape) for p in self.params))

    def set_name(self, name):
        for p in self.params:
            p.name = f"{p.name}_{name}"


class MaskedLayer(Layer):
    """A layer that takes a mask and, by default, passes it on unchanged."""

    def supports_masked_input(self):
        return True

    def get_input_mask(self, train=False):
        if hasattr(self, "previous"):
            return self.previous.get_output_mask(train)
        return None

    def get_output_mask(self, train=False):
        return self.get_input_mask(train)


class Masking(MaskedLayer):
    """Mask timesteps whose every feature equals ``mask_value``.

    Output: ``X * any(X != mask_value, axis=-1)[..., None]``; output mask:
    ``any(X != mask_value, axis=-1)`` (1 where a timestep is kept).
    """

    def __init__(self, mask_value=0.0):
        super().__init__()
        self.mask_value = mask_value
        self.input = T.tensor3()

    def get_output_mask(self, train=False):
        X = self.get_input(train)
        return T.any(T.neq(X, self.mask_value), axis=-1)

    def get_output(self, train=False):
        X = self.get_input(train)
        keep = T.any(T.neq(X, self.mask_value), axis=-1)
        return X * T.shape_padright(T.cast(keep, X.dtype))

    def get_config(self):
        return {"name": self.__class__.__name__, "mask_value": self.mask_value}


# --- helpers shared by the layers below ---------------------------------------------

def _config_of(obj):
    """A regularizer's or constraint's nested config dict, or None."""
    return obj.get_config() if obj is not None else None


def _set_regularizers(layer, W_regularizer=None, b_regularizer=None, activity_regularizer=None):
    """Resolve and bind the regularizers as the 0.1.3 constructors did.

    Sets the attributes ``W_regularizer``/``b_regularizer``/``activity_regularizer``
    and the list ``layer.regularizers`` (W, b, activity, those given).
    """
    layer.regularizers = []
    for attr, value, weight in (("W_regularizer", W_regularizer, "W"),
                                ("b_regularizer", b_regularizer, "b")):
        reg = regularizers.get(value)
        setattr(layer, attr, reg)
        if reg is not None:
            reg.set_param(getattr(layer, weight))
            layer.regularizers.append(reg)
    reg = regularizers.get(activity_regularizer)
    layer.activity_regularizer = reg
    if reg is not None:
        reg.set_layer(layer)
        layer.regularizers.append(reg)


def _collect_params(layers):
    """``(params, regularizers, constraints, updates)`` of several layers, params de-duplicated."""
    params, regs, consts, updates = [], [], [], []
    for layer in layers:
        p_list, r_list, c_list, u_list = layer.get_params()
        regs += list(r_list)
        updates += list(u_list)
        for p, c in zip(p_list, c_list):
            if not any(p is q for q in params):
                params.append(p)
                consts.append(c)
    return params, regs, consts, updates


def sublayer_weights(sublayers):
    """The weights of ``sublayers``, concatenated in order (Merge, AutoEncoder, Sequential)."""
    return [w for sub in sublayers for w in sub.get_weights()]


def set_sublayer_weights(layer, weights, sublayers):
    """Set ``sublayers``' weights from one flat list, in order; shapes are checked first.

    As in 0.1.3, each sub-layer takes the next ``len(sub.params)`` arrays: a short
    list leaves the last params unchanged, extra arrays are ignored.  A sub-layer
    that refuses its arrays (a 0.2.0 ``BatchNormalization`` takes exactly four)
    leaves every sub-layer as it was.
    """
    weights = list(weights)
    before = [sub.get_weights() for sub in sublayers]
    current = [w for ws in before for w in ws]
    for k, (w, c) in enumerate(zip(weights, current)):
        if np.shape(w) != c.shape:
            raise ValueError(
                f"{type(layer).__name__}.set_weights: array {k} has shape {np.shape(w)}, "
                f"expected {c.shape}."
            )
    try:
        for sub, old in zip(sublayers, before):
            sub.set_weights(weights[:len(old)])
            weights = weights[len(old):]
    except BaseException:
        for sub, old in zip(sublayers, before):
            sub.set_weights(old)
        raise


class Merge(Layer):
    """Merge the outputs of several layers (containers): ``sum``, ``mul``, ``concat`` or ``ave``.

    ``concat`` joins along the last axis; ``ave`` is the sum divided by the
    number of layers.  The merged layers' masks are dropped.  The weights are
    the sub-layers' weights, concatenated in order.
    """

    MODES = ("sum", "mul", "concat", "ave")

    def __init__(self, layers, mode="sum"):
        super().__init__()
        layers = list(layers)
        if len(layers) < 2:
            raise ValueError(
                f"Merge needs two or more input layers (or containers) to merge, got {len(layers)}."
            )
        self.layers = layers
        self.mode = mode
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(layers)

    def get_params(self):
        # Recomputed: sub-layer updates (BatchNormalization) appear once their train graph exists.
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(self.layers)
        return self.params, self.regularizers, self.constraints, self.updates

    def get_output(self, train=False):
        if self.mode not in self.MODES:  # 0.1.3 constructed the Merge and failed here
            raise ValueError(f"Invalid merge mode: {self.mode!r}. Expected one of: {', '.join(self.MODES)}.")
        outputs = [layer.get_output(train) for layer in self.layers]
        if self.mode == "concat":
            return T.concatenate(outputs, axis=-1)
        result = outputs[0]
        for out in outputs[1:]:
            result = result * out if self.mode == "mul" else result + out
        if self.mode == "ave":
            result = result / len(self.layers)
        return result

    def get_input(self, train=False):
        res = []
        for layer in self.layers:
            inputs = layer.get_input(train)
            for x in (inputs if isinstance(inputs, list) else [inputs]):
                if not any(x is y for y in res):
                    res.append(x)
        return res

    @property
    def input(self):
        return self.get_input()

    def supports_masked_input(self):
        return False

    def get_output_mask(self, train=None):
        return None

    def get_weights(self):
        return sublayer_weights(self.layers)

    def set_weights(self, weights):
        set_sublayer_weights(self, weights, self.layers)

    def get_config(self):
        return {"name": self.__class__.__name__,
                "layers": [layer.get_config() for layer in self.layers],
                "mode": self.mode}


class Dropout(MaskedLayer):
    """Dropout, not inverted: train ``X * Bernoulli(1 - p)``, test ``X * (1 - p)``; p=0: identity."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        self.srng = K.RandomStreams(seed=np.random.randint(10e6))

    def get_output(self, train=False):
        X = self.get_input(train)
        if self.p > 0.0:
            retain_prob = 1.0 - self.p
            if train:
                X = X * self.srng.binomial(X.shape, p=retain_prob, dtype=X.dtype)
            else:
                X = X * np.asarray(retain_prob, dtype=X.dtype)
        return X

    def get_config(self):
        return {"name": self.__class__.__name__, "p": self.p}


class Activation(MaskedLayer):
    """``activation(X)``; ``target`` and ``beta`` are stored (and saved) but unused, as in 0.1.3."""

    def __init__(self, activation, target=0, beta=0.1):
        super().__init__()
        self.activation = activations.get(activation)
        self.target = target
        self.beta = beta

    def get_output(self, train=False):
        return self.activation(self.get_input(train))

    def get_config(self):
        return {"name": self.__class__.__name__,
                "activation": activations.name_of(self.activation),
                "target": self.target, "beta": self.beta}


class Reshape(Layer):
    """Reshape each sample: output shape ``(nb_samples,) + dims`` (0.1.3 form ``Reshape(*dims)``)."""

    def __init__(self, *dims):
        super().__init__()
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
            raise TypeError(
                f"Reshape takes the dimensions as separate arguments in Keras 0.1.3: "
                f"Reshape(*{tuple(dims[0])!r}), not Reshape({tuple(dims[0])!r})."
            )
        self.dims = tuple(dims)

    def get_output(self, train=False):
        X = self.get_input(train)
        return T.reshape(X, (X.shape[0],) + self.dims, ndim=len(self.dims) + 1)

    def get_config(self):
        return {"name": self.__class__.__name__, "dims": self.dims}


class Permute(Layer):
    """Permute the non-batch axes: ``dims`` are 1-based input axes, e.g. ``(2, 1)`` swaps them."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)
        self.input_ndim = len(self.dims) + 1
        self.input = ndim_tensor(self.input_ndim)

    def get_output(self, train=False):
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):  # 0.1.3 failed here, in dimshuffle
            raise ValueError(
                f"Permute dims must be a permutation of 1..{len(self.dims)} (the batch axis 0 "
                f"stays first), got {self.dims}."
            )
        return self.get_input(train).dimshuffle((0,) + self.dims)

    def get_config(self):
        return {"name": self.__class__.__name__, "dims": self.dims}


class Flatten(Layer):
    """``(nb_samples, d1, d2, ...) -> (nb_samples, d1 * d2 * ...)``."""

    def get_output(self, train=False):
        X = self.get_input(train)
        size = T.prod(X.shape) // X.shape[0]
        return T.reshape(X, (X.shape[0], size), ndim=2)


class RepeatVector(Layer):
    """``(nb_samples, dim) -> (nb_samples, n, dim)``: the input repeated ``n`` times."""

    input_ndim = 2

    def __init__(self, n):
        super().__init__()
        self.n = n
        self.input = T.matrix()

    def get_output(self, train=False):
        X = self.get_input(train)
        copies = T.alloc(X, self.n, X.shape[0], X.shape[1])
        return copies.dimshuffle(1, 0, 2)

    def get_config(self):
        return {"name": self.__class__.__name__, "n": self.n}


def _build_dense(layer, input_var, input_dim, output_dim, init, activation, weights,
                 W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint):
    """The 0.1.3 Dense/TimeDistributedDense constructor body (draws W, then b = zeros)."""
    layer.init = initializations.get(init)
    layer.activation = activations.get(activation)
    layer.input_dim = input_dim
    layer.output_dim = output_dim
    layer.input = input_var
    layer.add_weight("W", (input_dim, output_dim), layer.init)
    layer.add_weight("b", (output_dim,), initializations.zero)
    _set_regularizers(layer, W_regularizer, b_regularizer, activity_regularizer)
    layer.W_constraint = constraints.get(W_constraint)
    layer.b_constraint = constraints.get(b_constraint)
    layer.constraints = [layer.W_constraint, layer.b_constraint]
    if weights is not None:
        layer.set_weights(weights)


def _dense_config(layer, extra=()):
    config = {"name": layer.__class__.__name__,
              "input_dim": layer.input_dim,
              "output_dim": layer.output_dim,
              "init": initializations.name_of(layer.init)}
    if hasattr(layer, "activation"):
        config["activation"] = activations.name_of(layer.activation)
    for key in extra:
        config[key] = getattr(layer, key)
    config.update({"W_regularizer": _config_of(layer.W_regularizer),
                   "b_regularizer": _config_of(layer.b_regularizer),
                   "activity_regularizer": _config_of(layer.activity_regularizer),
                   "W_constraint": _config_of(layer.W_constraint),
                   "b_constraint": _config_of(layer.b_constraint)})
    return config


class Dense(Layer):
    """Fully connected: ``activation(X . W + b)``, W ``(input_dim, output_dim)``, b zeros.

    params ``[W, b]``; ``name`` renames them ``<name>_W`` and ``<name>_b``.
    """

    input_ndim = 2

    def __init__(self, input_dim, output_dim, init="glorot_uniform", activation="linear",
                 weights=None, name=None, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None):
        super().__init__()
        _build_dense(self, T.matrix(), input_dim, output_dim, init, activation, weights,
                     W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint)
        if name is not None:
            self.set_name(name)

    def set_name(self, name):
        self.W.name = f"{name}_W"
        self.b.name = f"{name}_b"

    def get_output(self, train=False):
        X = self.get_input(train)
        return self.activation(T.dot(X, self.W) + self.b)

    def get_config(self):
        return _dense_config(self)


class ActivityRegularization(Layer):
    """Identity on the output; adds ``ActivityRegularizer(l1, l2)`` of its output to the loss."""

    def __init__(self, l1=0.0, l2=0.0):
        super().__init__()
        self.l1 = l1
        self.l2 = l2
        self.activity_regularizer = regularizers.ActivityRegularizer(l1=l1, l2=l2)
        self.activity_regularizer.set_layer(self)
        self.regularizers = [self.activity_regularizer]

    def get_output(self, train=False):
        return self.get_input(train)

    def get_config(self):
        return {"name": self.__class__.__name__, "l1": self.l1, "l2": self.l2}


class TimeDistributedDense(MaskedLayer):
    """Dense applied at every timestep: ``(n, T, input_dim) -> (n, T, output_dim)``.

    ``activation(X[:, t] . W + b)`` for each t (the 0.1.3 code scanned over
    time; one ``dot`` over the 3-D input gives the same values).  Passes the
    input mask on.  params ``[W, b]``.
    """

    input_ndim = 3

    def __init__(self, input_dim, output_dim, init="glorot_uniform", activation="linear",
                 weights=None, W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None):
        super().__init__()
        _build_dense(self, T.tensor3(), input_dim, output_dim, init, activation, weights,
                     W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint)

    def get_output(self, train=False):
        X = self.get_input(train)
        return self.activation(T.dot(X, self.W) + self.b)

    def get_config(self):
        return _dense_config(self)


class AutoEncoder(Layer):
    """``decoder(encoder(X))``; with ``output_reconstruction=False`` the test output is the code.

    The weights are the encoder's then the decoder's.
    """

    def __init__(self, encoder, decoder, output_reconstruction=True, weights=None):
        super().__init__()
        self.output_reconstruction = output_reconstruction
        self.encoder = encoder
        self.decoder = decoder
        self.decoder.set_previous(self.encoder)
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(
            [encoder, decoder])
        if weights is not None:
            self.set_weights(weights)

    def get_params(self):
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(
            [self.encoder, self.decoder])
        return self.params, self.regularizers, self.constraints, self.updates

    def set_previous(self, node, connection_map=None):
        self.encoder.set_previous(node)

    def get_weights(self):
        return sublayer_weights([self.encoder, self.decoder])

    def set_weights(self, weights):
        set_sublayer_weights(self, weights, [self.encoder, self.decoder])

    def get_input(self, train=False):
        return self.encoder.get_input(train)

    @property
    def input(self):
        return self.encoder.input

    def _get_hidden(self, train=False):
        return self.encoder.get_output(train)

    def get_output(self, train=False):
        if not train and not self.output_reconstruction:
            return self.encoder.get_output(train)
        return self.decoder.get_output(train)

    def get_config(self):
        return {"name": self.__class__.__name__,
                "encoder_config": self.encoder.get_config(),
                "decoder_config": self.decoder.get_config(),
                "output_reconstruction": self.output_reconstruction}


class MaxoutDense(Layer):
    """Maxout: ``max_k (X . W[k] + b[k])``, W ``(nb_feature, input_dim, output_dim)``, b ``(nb_feature, output_dim)``."""

    input_ndim = 2

    def __init__(self, input_dim, output_dim, nb_feature=4, init="glorot_uniform", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None):
        super().__init__()
        self.init = initializations.get(init)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.nb_feature = nb_feature
        self.input = T.matrix()
        self.add_weight("W", (nb_feature, input_dim, output_dim), self.init)
        self.add_weight("b", (nb_feature, output_dim), initializations.zero)
        _set_regularizers(self, W_regularizer, b_regularizer, activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.constraints = [self.W_constraint, self.b_constraint]
        if weights is not None:
            self.set_weights(weights)

    def get_output(self, train=False):
        X = self.get_input(train)
        # Theano's T.dot of X and a 3-D W: X's last axis with W's axis 1, e.g. (n, in) x (f, in, out)
        # -> (n, f, out); a 3-D X gives (n, T, f, out), whose max over axis 1 is (n, f, out) (0.1.3).
        output = T.tensordot(X, self.W, axes=[[X.ndim - 1], [1]]) + self.b
        return T.max(output, axis=1)

    def get_config(self):
        return _dense_config(self, extra=("nb_feature",))
