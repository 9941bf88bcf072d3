"""Keras 0.2.0 advanced activations (input shape inferred; same math as 0.1.3)."""

from __future__ import annotations

from keras_legacy import initializations
from keras_legacy.layers import advanced_activations as a013
from keras_legacy.layers.base import Layer
from keras_legacy.v020.layers.base import Layer020


class LeakyReLU(Layer020, a013.LeakyReLU):
    def __init__(self, alpha=0.3, **kwargs):
        a013.LeakyReLU.__init__(self, alpha)
        self._init_020(kwargs)


class ThresholdedLinear(Layer020, a013.ThresholdedLinear):
    def __init__(self, theta=1.0, **kwargs):
        a013.ThresholdedLinear.__init__(self, theta)
        self._init_020(kwargs)


class ThresholdedReLU(Layer020, a013.ThresholdedReLu):
    """0.2.0 spelling of 0.1.3's ``ThresholdedReLu``."""

    def __init__(self, theta=1.0, **kwargs):
        a013.ThresholdedReLu.__init__(self, theta)
        self._init_020(kwargs)


class PReLU(Layer020, a013.PReLU):
    """0.2.0 ``PReLU(init='zero', weights=None)``: ``alphas`` of the per-sample input shape."""

    def __init__(self, init="zero", weights=None, **kwargs):
        Layer.__init__(self)
        self.init = initializations.get(init)
        self._init_020(kwargs, weights)

    def _create_weights(self, input_shape):
        self._make_weights(tuple(input_shape[1:]))


class ParametricSoftplus(Layer020, a013.ParametricSoftplus):
    """0.2.0 ``ParametricSoftplus(alpha_init=0.2, beta_init=5.0, weights=None)``."""

    def __init__(self, alpha_init=0.2, beta_init=5.0, weights=None, **kwargs):
        Layer.__init__(self)
        self.alpha_init = alpha_init
        self.beta_init = beta_init
        self._init_020(kwargs, weights)

    def _create_weights(self, input_shape):
        self._make_weights(tuple(input_shape[1:]))
