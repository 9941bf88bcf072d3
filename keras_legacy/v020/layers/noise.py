"""Keras 0.2.0 noise layers (same math as 0.1.3, plus ``input_shape=``)."""

from keras_legacy.layers import noise as n013
from keras_legacy.v020.layers._lazy import shapeless_020

GaussianNoise = shapeless_020(n013.GaussianNoise)
GaussianDropout = shapeless_020(n013.GaussianDropout)
