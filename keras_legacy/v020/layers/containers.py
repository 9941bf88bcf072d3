"""Keras 0.2.0 ``keras.layers.containers``."""

from keras_legacy.layers.containers import Graph, Sequential  # noqa: F401
