"""Keras 0.2.0 advanced activations (input shape inferred; same math as 0.1.3)."""

from __future__ import annotations

from keras_legacy.layers import advanced_activations as a013
from keras_legacy.v020.layers._lazy import FeatureShaped, shapeless_020

LeakyReLU = shapeless_020(a013.LeakyReLU)
ThresholdedLinear = shapeless_020(a013.ThresholdedLinear)
ThresholdedReLU = shapeless_020(a013.ThresholdedReLu)  # renamed in 0.2.0
ThresholdedReLU.__name__ = "ThresholdedReLU"


class PReLU(FeatureShaped, a013.PReLU):
    """0.2.0 ``PReLU(init='zero', weights=None)``."""

    _v013 = a013.PReLU

    def __init__(self, init="zero", weights=None, input_shape=None):
        self._init_feature_shaped(dict(init=init), weights, input_shape)


class ParametricSoftplus(FeatureShaped, a013.ParametricSoftplus):
    """0.2.0 ``ParametricSoftplus(alpha_init=0.2, beta_init=5.0, weights=None)``."""

    _v013 = a013.ParametricSoftplus

    def __init__(self, alpha_init=0.2, beta_init=5.0, weights=None, input_shape=None):
        self._init_feature_shaped(dict(alpha_init=alpha_init, beta_init=beta_init), weights,
                                  input_shape)
