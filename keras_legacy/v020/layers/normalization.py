"""Keras 0.2.0 ``BatchNormalization(epsilon=1e-6, mode=0, momentum=0.9, weights=None)``.

Same math as 0.1.3 (mode 0 normalises with the running statistics in training
and at test time); the input shape is inferred, and the weights are FOUR
arrays ``[gamma, beta, running_mean, running_std]`` (0.1.x saved two).
"""

from __future__ import annotations

import numpy as np

from keras_legacy.layers import normalization as n013
from keras_legacy.layers.base import Layer
from keras_legacy.v020.layers.base import Layer020


class BatchNormalization(Layer020, n013.BatchNormalization):
    config_has_momentum = True

    def __init__(self, epsilon=1e-6, mode=0, momentum=0.9, weights=None, **kwargs):
        Layer.__init__(self)
        self._configure(epsilon, mode, momentum)
        self._init_020(kwargs, weights)

    def _create_weights(self, input_shape):
        self._make_weights(tuple(input_shape[1:]))

    def get_weights(self):
        return super().get_weights() + [self.running_mean.get_value(), self.running_std.get_value()]

    def set_weights(self, weights):
        weights = list(weights)
        if len(weights) != 4:
            raise ValueError(
                f"BatchNormalization (0.2.0).set_weights: expected 4 arrays "
                f"[gamma, beta, running_mean, running_std], got {len(weights)}."
            )
        shapes = [tuple(p.get_value(borrow=True).shape)
                  for p in self.params + [self.running_mean, self.running_std]]
        for k, (w, shape) in enumerate(zip(weights, shapes)):
            if np.shape(w) != shape:
                raise ValueError(
                    f"BatchNormalization (0.2.0).set_weights: array {k} has shape {np.shape(w)}, "
                    f"expected {shape}."
                )
        super().set_weights(weights[:2])
        for var, w in zip((self.running_mean, self.running_std), weights[2:]):
            var.set_value(np.asarray(w).astype(var.dtype))
