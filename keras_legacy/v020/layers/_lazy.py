"""The Keras 0.2.0 layer protocol on top of the shared layer implementations.

0.2.0 constructors take the output size first and learn the input size from
the previous layer (or ``input_shape=``/``input_dim=``); weights are created by
``build()`` once the input shape is known.  A 0.2.0 class here is a subclass
of the 0.1.3 class with the same math: ``build()`` runs the 0.1.3 constructor
with the inferred input size, so the weights are drawn in the same order and
every equation is shared.
"""

from __future__ import annotations

import sys

from keras_legacy.layers.core import Layer
from keras_legacy.utils.theano_utils import ndim_tensor

class LazyLayer:
    """Mixin giving a 0.1.3 layer class the 0.2.0 ``build``/shape protocol.

    Subclasses set ``_build_args`` (the 0.1.3 constructor's keyword arguments
    except the input size) in ``__init__`` and define ``_build_013(input_shape)``
    and ``compute_output_shape(input_shape)``, a pure function on tuples.
    """

    input_ndim: int | None = None

    def _init_lazy(self, weights=None, input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}; "
                "0.2.0 layers accept only 'input_shape' besides their own arguments."
            )
        Layer.__init__(self)
        self.initial_weights = weights
        self.built = False
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        if input_shape is not None:
            self.set_input_shape((None,) + tuple(input_shape))

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
        if self.input_ndim is not None and len(input_shape) != self.input_ndim:
            raise ValueError(
                f"{type(self).__name__} expects {self.input_ndim}-D input "
                f"(nb_samples first), but {source} has shape {tuple(input_shape)}."
            )

    def set_input_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_ndim(input_shape, "the given input_shape (with the batch axis)")
        self._input_shape = input_shape
        self.build()
        if not hasattr(self, "input"):
            self.input = ndim_tensor(len(input_shape))

    def set_previous(self, layer, connection_map=None):
        shape = getattr(layer, "output_shape", None)
        if shape is not None:
            self._check_ndim(shape, f"the previous layer ({type(layer).__name__}) output")
        Layer.set_previous(self, layer, connection_map)
        self.build()

    # --- weights ----------------------------------------------------------------
    def build(self):
        if self.built:
            return
        previous = getattr(self, "previous", None)
        input_shape = self.input_shape
        self._build_013(input_shape)
        if previous is not None:
            self.previous = previous
        self.built = True
        if self.initial_weights is not None:
            self.set_weights(self.initial_weights)
            self.initial_weights = None

    def _build_013(self, input_shape):
        """Run the shared (0.1.3) constructor; parameterless layers need nothing."""

    def _v020_extra_config(self, config):
        if self._input_shape_arg is not None:
            config["input_shape"] = list(self._input_shape_arg)
        return config


def shapeless_020(base, compute_output_shape=None, doc=None):
    """The 0.2.0 class of a layer without weights: the 0.1.3 constructor plus ``input_shape=``."""

    def __init__(self, *args, input_shape=None, **kwargs):
        base.__init__(self, *args, **kwargs)
        self._init_lazy(input_shape=input_shape)

    def get_config(self):
        return self._v020_extra_config(base.get_config(self))

    # the calling module (keras_legacy.v020.layers.*) holds the class: pickle finds it there
    namespace = {"__init__": __init__, "get_config": get_config, "__module__": sys._getframe(1).f_globals["__name__"],
                 "__doc__": doc or base.__doc__, "input_ndim": base.input_ndim}
    if compute_output_shape is not None:
        namespace["compute_output_shape"] = compute_output_shape
    return type(base.__name__, (LazyLayer, base), namespace)


class FeatureShaped(LazyLayer):
    """For 0.1.3 classes whose constructor takes the per-sample ``input_shape``.

    Their 0.1.3 code stores it as ``self.input_shape`` while 0.2.0 reads
    ``input_shape`` (batch axis included) from the previous layer; while the
    shared constructor runs, ``input_shape`` is the per-sample shape.
    """

    _v013 = None
    input_ndim = None

    def _init_feature_shaped(self, args, weights, input_shape):
        self._build_args = args
        self._init_lazy(weights=weights, input_shape=input_shape)

    @property
    def input_shape(self):
        if getattr(self, "_building", False):
            return self._feature_shape
        return LazyLayer.input_shape.fget(self)

    @input_shape.setter
    def input_shape(self, value):
        self._feature_shape = tuple(value)

    def _build_013(self, input_shape):
        self._building = True
        try:
            self._v013.__init__(self, input_shape[1:], **self._build_args)
        finally:
            self._building = False

    def get_config(self):
        config = self._v013.get_config(self)
        config.pop("input_shape", None)
        return self._v020_extra_config(config)
