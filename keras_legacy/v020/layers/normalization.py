"""Keras 0.2.0 ``BatchNormalization(epsilon=1e-6, mode=0, momentum=0.9, weights=None)``.

Same math as 0.1.3 (mode 0 normalises with the running statistics in training
and at test time); the input shape is inferred, and the weights are FOUR
arrays ``[gamma, beta, running_mean, running_std]`` (0.1.x saved two).
"""

from __future__ import annotations

import numpy as np

from keras_legacy.layers import normalization as n013
from keras_legacy.v020.layers._lazy import LazyLayer


class BatchNormalization(LazyLayer, n013.BatchNormalization):
    input_ndim = None

    def __init__(self, epsilon=1e-6, mode=0, momentum=0.9, weights=None, input_shape=None):
        self._bn_args = dict(epsilon=epsilon, mode=mode, momentum=momentum)
        self._init_lazy(weights=weights, input_shape=input_shape)

    # 0.1.3's constructor stores the feature shape as ``input_shape``; keep it apart
    # from the 0.2.0 ``input_shape`` property (with the batch axis).
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
            n013.BatchNormalization.__init__(self, input_shape[1:], **self._bn_args)
        finally:
            self._building = False

    def get_weights(self):
        return super().get_weights() + [self.running_mean.get_value(), self.running_std.get_value()]

    def set_weights(self, weights):
        weights = list(weights)
        if len(weights) != 4:
            raise ValueError(
                f"BatchNormalization (0.2.0).set_weights: expected 4 arrays "
                f"[gamma, beta, running_mean, running_std], got {len(weights)}."
            )
        super().set_weights(weights[:2])
        for var, w in zip((self.running_mean, self.running_std), weights[2:]):
            w = np.asarray(w)
            if w.shape != var.get_value(borrow=True).shape:
                raise ValueError(
                    f"BatchNormalization (0.2.0).set_weights: {var.name} has shape {w.shape}, "
                    f"expected {var.get_value(borrow=True).shape}."
                )
            var.set_value(w.astype(var.dtype))

    def get_config(self):
        config = {"name": "BatchNormalization", **self._bn_args}
        return self._v020_extra_config(config)
