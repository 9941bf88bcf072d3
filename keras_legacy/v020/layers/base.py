"""The Keras 0.2.0 layer protocol on top of the 0.1.3 layer classes.

0.2.0 constructors take the output size first and learn the input size from
the previous layer (or ``input_shape=``/``input_dim=``); weights are created by
``build()`` once the input shape is known.  A 0.2.0 class is an ordinary
subclass of the 0.1.3 class with the same math (``class Dense(Layer020,
core.Dense)``): its constructor stores the settings with the method the 0.1.3
constructor uses (``_configure``), and ``build()`` draws the weights with the
0.1.3 class's ``_make_weights``, so they are drawn in the same order from the
same NumPy generator calls.
"""

from __future__ import annotations

from keras_legacy.layers.base import Layer
from keras_legacy.utils.theano_utils import ndim_tensor


class Layer020:
    """Mixin giving a 0.1.3 layer class the 0.2.0 ``build``/shape protocol.

    A subclass's constructor sets the layer up (``Layer.__init__`` and the
    settings, or the whole 0.1.3 constructor for a layer without weights) and
    then calls ``_init_020(kwargs, weights)``.  Layers with weights define
    ``_create_weights(input_shape)``; every layer may define
    ``compute_output_shape(input_shape)``, a pure function on tuples (the
    default: the input shape).
    """

    #: read by ``keras_legacy.layers.checks``: this layer checks its input shape itself
    infers_input_shape = True

    def _init_020(self, kwargs, weights=None):
        """The 0.2.0 state; ``kwargs`` are the constructor's ``**kwargs`` (0.2.0 takes ``input_shape`` there)."""
        input_shape = kwargs.pop("input_shape", None)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}; "
                "0.2.0 layers accept only 'input_shape' besides their own arguments."
            )
        self.initial_weights = weights
        self.built = False
        if input_shape is not None:
            self._set_batch_input_shape((None,) + tuple(input_shape), "the given input_shape (None prepended)")

    # --- shapes ---------------------------------------------------------------
    @property
    def input_shape(self):
        if hasattr(self, "previous"):
            return self.previous.output_shape
        if getattr(self, "_input_shape", None) is not None:
            return self._input_shape
        raise ValueError(
            f"{type(self).__name__} has no input shape yet: give the first layer of a model "
            "input_shape=... (or input_dim=...), or add it after another layer."
        )

    @property
    def output_shape(self):
        return self.compute_output_shape(self.input_shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def _check_ndim(self, input_shape, source):
        expected = getattr(self, "input_ndim", None)
        if expected is not None and len(input_shape) != expected:
            raise ValueError(
                f"{type(self).__name__} expects {expected}-D input "
                f"(nb_samples first), but {source} has shape {tuple(input_shape)}."
            )

    def set_input_shape(self, input_shape):
        """0.2.0: ``input_shape`` is the shape of one sample (no batch axis); the layer's
        ``input_shape`` becomes ``(None,) + input_shape`` and its weights are built."""
        if not isinstance(input_shape, (tuple, list)):
            raise TypeError(
                f"{type(self).__name__}.set_input_shape: expected the shape of one sample as a tuple of ints "
                f"(no batch axis, e.g. (32,) or (10, 64)), got {type(input_shape).__name__} {input_shape!r}."
            )
        self._set_batch_input_shape((None,) + tuple(input_shape), "the given input_shape (None prepended)")

    def _set_batch_input_shape(self, batch_input_shape, source="the given batch_input_shape"):
        """Set the full input shape (batch axis first) and build the weights."""
        batch_input_shape = tuple(batch_input_shape)
        self._check_ndim(batch_input_shape, source)
        self._input_shape = batch_input_shape
        self.build()
        if not hasattr(self, "input"):
            self.input = ndim_tensor(len(batch_input_shape))

    def set_previous(self, layer, connection_map=None):
        shape = getattr(layer, "output_shape", None)
        if shape is not None:
            self._check_ndim(shape, f"the previous layer ({type(layer).__name__}) output")
        Layer.set_previous(self, layer, connection_map)
        self.build()

    # --- weights ----------------------------------------------------------------
    def build(self):
        """Create the weights from the input shape; a layer without weights needs no shape (0.2.0's
        ``Layer.build`` did nothing), so ``build()`` on it works before the shape is known."""
        if self.built:
            return
        if type(self)._create_weights is not Layer020._create_weights:
            self._create_weights(self.input_shape)
        self.built = True
        if self.initial_weights is not None:
            self.set_weights(self.initial_weights)
            self.initial_weights = None

    def _create_weights(self, input_shape):
        """Draw the weights for inputs of ``input_shape`` (batch axis first); layers without weights: nothing."""

    # --- config -----------------------------------------------------------------
    def _config_input_shape(self):
        """Read by the 0.1.3 ``get_config`` of the layers built from a feature shape; replaced below."""
        return None

    def get_config(self):
        """The 0.1.3 config without its per-sample ``input_shape``, plus the 0.2.0 ``input_shape``:
        the tuple of one sample's shape, present once ``set_input_shape`` (or ``input_shape=``) gave it."""
        config = super().get_config()
        config.pop("input_shape", None)
        shape = self._given_input_shape()
        if shape is not None:
            config["input_shape"] = shape
        return config

    def _given_input_shape(self):
        """``input_shape`` as 0.2.0's config writes it (``_input_shape[1:]``, a tuple), or None."""
        shape = self.__dict__.get("_input_shape")
        return tuple(shape[1:]) if shape is not None else None

