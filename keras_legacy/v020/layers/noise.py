"""Keras 0.2.0 noise layers (same math as 0.1.3, plus ``input_shape=``)."""

from __future__ import annotations

from keras_legacy.layers import noise as n013
from keras_legacy.v020.layers.base import Layer020


class GaussianNoise(Layer020, n013.GaussianNoise):
    def __init__(self, sigma, **kwargs):
        n013.GaussianNoise.__init__(self, sigma)
        self._init_020(kwargs)


class GaussianDropout(Layer020, n013.GaussianDropout):
    def __init__(self, p, **kwargs):
        n013.GaussianDropout.__init__(self, p)
        self._init_020(kwargs)
