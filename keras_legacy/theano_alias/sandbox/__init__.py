"""``theano.sandbox``: only ``rng_mrg`` survives (as keras_legacy's random streams)."""

from keras_legacy.theano_alias.sandbox import rng_mrg  # noqa: F401
