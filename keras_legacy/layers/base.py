"""The Keras 0.1.3 layer protocol: ``Layer``, ``MaskedLayer`` and the helpers layers share.

A layer is a graph builder: ``get_output(train)`` returns a symbolic tensor
computed from ``get_input(train)``, which is either the output of the layer
set with ``set_previous`` or the layer's own symbolic ``input``.
``keras_legacy.layers.core`` exports ``Layer`` and ``MaskedLayer`` under their
0.1.3 import path.
"""

from __future__ import annotations

import bisect

import numpy as np

from keras_legacy import backend as K
from keras_legacy import constraints, regularizers
from keras_legacy.layers.checks import check_connection
from keras_legacy.utils.limits import check_weight_shape


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
        ``shape`` is checked first (whole sizes >= 1 that fit in memory).
        """
        shape = check_weight_shape(shape, type(self).__name__, name, np.dtype(K.floatx()).itemsize)
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

    def _config_input_shape(self):
        """The ``input_shape`` a config of a layer built from a feature shape writes (0.1.3: the attribute)."""
        return self.input_shape

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



# --- helpers shared by the layers ----------------------------------------------------

def _config_of(obj):
    """A regularizer's or constraint's nested config dict, or None."""
    return obj.get_config() if obj is not None else None


def _resolve_regularizers(layer, W_regularizer=None, b_regularizer=None, activity_regularizer=None):
    """Set ``W_regularizer``/``b_regularizer``/``activity_regularizer`` (resolved by name or config)."""
    layer.W_regularizer = regularizers.get(W_regularizer)
    layer.b_regularizer = regularizers.get(b_regularizer)
    layer.activity_regularizer = regularizers.get(activity_regularizer)


def _bind_regularizers(layer):
    """Bind the resolved regularizers to ``layer.W``/``layer.b``/the layer, as the 0.1.3 constructors did.

    Sets the list ``layer.regularizers`` (W, b, activity, those given).
    """
    layer.regularizers = []
    for attr, weight in (("W_regularizer", "W"), ("b_regularizer", "b")):
        reg = getattr(layer, attr)
        if reg is not None:
            reg.set_param(getattr(layer, weight))
            layer.regularizers.append(reg)
    reg = layer.activity_regularizer
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
