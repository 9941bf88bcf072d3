"""Batch normalization of Keras 0.1.3.

``BatchNormalization(input_shape, epsilon=1e-6, mode=0, momentum=0.9)``,
params ``[gamma, beta]`` of shape ``input_shape`` (gamma drawn from
``uniform(+-0.05)``, beta zeros): the only two arrays 0.1.3 saves.

* mode 0 normalises with the *running* statistics, in training and at test
  time alike:  ``gamma * (X - rm) / (rs + epsilon) + beta``.
  ``rm`` (zeros) and ``rs`` (ones) are shared variables updated once per
  training batch through ``self.updates``::

      m   = mean(X, axis=0)
      std = sqrt(mean((X - m) ** 2 + epsilon, axis=0))
      rm <- momentum * rm + (1 - momentum) * m
      rs <- momentum * rs + (1 - momentum) * std

  computed from the train-mode input.  ``get_output(train=True)`` (and
  ``init_updates()``) build that list; a model collects ``layer.updates``
  after building its training graph.  The running statistics are not
  saved (as in 0.1.3).
* mode 1 normalises each sample over its last axis:
  ``gamma * (X - mean(X, -1)) / (std(X, -1) + epsilon) + beta`` (biased std).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy import initializations
from keras_legacy.layers.base import Layer
from keras_legacy.utils.theano_utils import ndim_tensor, shared_ones, shared_zeros


class BatchNormalization(Layer):
    """Normalise the features (mode 0: running statistics; mode 1: per sample)."""

    MODES = (0, 1)
    #: whether ``get_config`` writes ``momentum`` (0.2.0 does; 0.1.3 did not)
    config_has_momentum = False

    def __init__(self, input_shape, epsilon=1e-6, mode=0, momentum=0.9, weights=None):
        super().__init__()
        self._configure(epsilon, mode, momentum)
        self.input_shape = tuple(input_shape)
        self.input_ndim = len(self.input_shape) + 1
        self.input = ndim_tensor(self.input_ndim)
        self._make_weights(self.input_shape)
        if weights is not None:
            self.set_weights(weights)

    def _configure(self, epsilon, mode, momentum):
        """The settings (no weight drawn); shared with the 0.2.0 class.  Any ``mode`` is taken
        (0.1.3 constructed the layer and failed when its output was built)."""
        self.init = initializations.get("uniform")
        self.epsilon = epsilon
        self.mode = mode
        self.momentum = momentum

    def _make_weights(self, feature_shape):
        """Draw gamma, then beta (zeros); the running statistics start at 0 and 1."""
        self.add_weight("gamma", feature_shape, self.init)
        self.add_weight("beta", feature_shape, initializations.zero)
        self.running_mean = shared_zeros(feature_shape, name="running_mean")
        self.running_std = shared_ones(feature_shape, name="running_std")
        self.updates = []

    def _const(self, value, like):
        return np.asarray(value, dtype=like.dtype)

    def init_updates(self):
        """Build ``self.updates`` (the running-statistics updates) from the train-mode input."""
        X = self.get_input(train=True)
        eps = self._const(self.epsilon, X)
        mom = self._const(self.momentum, X)
        one_minus = self._const(1.0 - self.momentum, X)
        m = T.mean(X, axis=0)
        std = T.sqrt(T.mean((X - m) ** 2 + eps, axis=0))
        self.updates = [
            (self.running_mean, mom * self.running_mean + one_minus * m),
            (self.running_std, mom * self.running_std + one_minus * std),
        ]

    def get_output(self, train=False):
        if self.mode not in self.MODES:  # 0.1.3 constructed the layer and failed here
            raise ValueError(
                f"BatchNormalization mode must be 0 (running statistics) or 1 (per sample), got "
                f"{self.mode!r}: the layer has no output in that mode. Build it with mode=0 or mode=1."
            )
        X = self.get_input(train)
        eps = self._const(self.epsilon, X)
        if self.mode == 0:
            if train:
                self.init_updates()
            X_normed = (X - self.running_mean) / (self.running_std + eps)
        else:
            m = T.mean(X, axis=-1, keepdims=True)
            std = T.sqrt(T.mean((X - m) ** 2, axis=-1, keepdims=True))
            X_normed = (X - m) / (std + eps)
        return self.gamma * X_normed + self.beta

    def get_config(self):
        config = {"name": self.__class__.__name__,
                  "input_shape": self._config_input_shape(),
                  "epsilon": self.epsilon,
                  "mode": self.mode}
        if self.config_has_momentum:
            config["momentum"] = self.momentum
        return config
