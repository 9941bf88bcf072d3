"""The Keras 0.1.3 layer protocol and the core layers.

A layer is a graph builder: ``get_output(train)`` returns a symbolic tensor
computed from ``get_input(train)``, which is either the output of the layer
set with ``set_previous`` or the layer's own symbolic ``input``.
"""

from __future__ import annotations

import bisect

import numpy as np
import pytensor.tensor as T

from keras_legacy import backend as K


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
        """Set the values of ``params`` from a list of arrays (count and shapes checked)."""
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(
                f"{type(self).__name__}.set_weights: expected {len(self.params)} arrays "
                f"(shapes {[tuple(p.get_value().shape) for p in self.params]}), got {len(weights)}."
            )
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
        """``(params, regularizers, constraints, updates)`` as the models collect them."""
        regularizers = []
        consts = []
        for attr in ("W_regularizer", "b_regularizer"):
            reg = getattr(self, attr, None)
            if reg is not None:
                reg.set_param(self.W if attr == "W_regularizer" else self.b)
                regularizers.append(reg)
        act_reg = getattr(self, "activity_regularizer", None)
        if act_reg is not None:
            act_reg.set_layer(self)
            regularizers.append(act_reg)
        constraints = getattr(self, "constraints", None)
        if constraints is not None:
            consts = list(constraints)
        else:
            consts = [None] * len(self.params)
        updates = list(getattr(self, "updates", []))
        return self.params, regularizers, consts, updates

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
