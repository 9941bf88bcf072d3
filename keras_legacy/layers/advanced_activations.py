"""Advanced activation layers of Keras 0.1.3 (all pass masks on).

* ``LeakyReLU(alpha)``: ``(X + |X|) / 2 + alpha * (X - |X|) / 2``;
* ``PReLU(input_shape)``: the same with learned ``alphas`` of shape ``input_shape``;
* ``ParametricSoftplus(input_shape)``: ``alphas * softplus(betas * X)``;
* ``ThresholdedLinear(theta)``: ``X`` where ``|X| >= theta``, else 0;
* ``ThresholdedReLu(theta)`` (0.1.3 spelling; ``ThresholdedReLU`` is an alias):
  ``X`` where ``X > theta``, else 0.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy import backend as K
from keras_legacy import initializations
from keras_legacy.layers.base import MaskedLayer
from keras_legacy.utils.theano_utils import ndim_tensor, sharedX


def _half(x):
    return np.asarray(0.5, dtype=x.dtype)


class LeakyReLU(MaskedLayer):
    def __init__(self, alpha=0.3):
        super().__init__()
        self.alpha = alpha

    def get_output(self, train=False):
        X = self.get_input(train)
        return (X + abs(X)) * _half(X) + self.alpha * ((X - abs(X)) * _half(X))

    def get_config(self):
        return {"name": self.__class__.__name__, "alpha": self.alpha}


class PReLU(MaskedLayer):
    """Parametric ReLU; params ``[alphas]`` of shape ``input_shape`` (``init``, default zeros)."""

    def __init__(self, input_shape, init="zero", weights=None):
        super().__init__()
        self.init = initializations.get(init)
        self.input_shape = tuple(input_shape)
        self.input_ndim = len(self.input_shape) + 1
        self.input = ndim_tensor(self.input_ndim)
        self._make_weights(self.input_shape)
        if weights is not None:
            self.set_weights(weights)

    def _make_weights(self, feature_shape):
        """The weights for inputs of per-sample shape ``feature_shape``; shared with the 0.2.0 class."""
        self.add_weight("alphas", feature_shape, self.init)

    def get_output(self, train=False):
        X = self.get_input(train)
        pos = (X + abs(X)) * _half(X)
        neg = self.alphas * ((X - abs(X)) * _half(X))
        return pos + neg

    def get_config(self):
        return {"name": self.__class__.__name__,
                "input_shape": self._config_input_shape(),
                "init": initializations.name_of(self.init)}


class ParametricSoftplus(MaskedLayer):
    """``alphas * softplus(betas * X)``; params ``[alphas, betas]`` filled with the inits."""

    def __init__(self, input_shape, alpha_init=0.2, beta_init=5.0, weights=None):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.alpha_init = alpha_init
        self.beta_init = beta_init
        self.input_ndim = len(self.input_shape) + 1
        self.input = ndim_tensor(self.input_ndim)
        self._make_weights(self.input_shape)
        if weights is not None:
            self.set_weights(weights)

    def _make_weights(self, feature_shape):
        """The weights for inputs of per-sample shape ``feature_shape``; shared with the 0.2.0 class."""
        self.add_weight("alphas", feature_shape, lambda shape: sharedX(self.alpha_init * np.ones(shape)))
        self.add_weight("betas", feature_shape, lambda shape: sharedX(self.beta_init * np.ones(shape)))

    def get_output(self, train=False):
        X = self.get_input(train)
        return K.softplus(self.betas * X) * self.alphas

    def get_config(self):
        return {"name": self.__class__.__name__,
                "input_shape": self._config_input_shape(),
                "alpha_init": self.alpha_init,
                "beta_init": self.beta_init}


class ThresholdedLinear(MaskedLayer):
    def __init__(self, theta=1.0):
        super().__init__()
        self.theta = theta

    def get_output(self, train=False):
        X = self.get_input(train)
        return T.switch(T.lt(abs(X), self.theta), T.zeros_like(X), X)

    def get_config(self):
        return {"name": self.__class__.__name__, "theta": self.theta}


class ThresholdedReLu(MaskedLayer):
    def __init__(self, theta=1.0):
        super().__init__()
        self.theta = theta

    def get_output(self, train=False):
        X = self.get_input(train)
        return T.switch(T.gt(X, self.theta), X, T.zeros_like(X))

    def get_config(self):
        return {"name": self.__class__.__name__, "theta": self.theta}


#: The 0.2.0 spelling.
ThresholdedReLU = ThresholdedReLu
