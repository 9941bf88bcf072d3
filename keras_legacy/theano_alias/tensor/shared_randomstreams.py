"""``theano.tensor.shared_randomstreams.RandomStreams``, as keras_legacy's ``K.RandomStreams``."""

from keras_legacy.backend import RandomStreams  # noqa: F401
