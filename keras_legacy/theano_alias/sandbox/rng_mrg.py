"""``theano.sandbox.rng_mrg.MRG_RandomStreams``, as keras_legacy's ``K.RandomStreams``.

PyTensor has no MRG31k3p generator: the draws have the same distributions as
Theano's, not the same bits.
"""

from keras_legacy.backend import RandomStreams as MRG_RandomStreams  # noqa: F401
