"""``theano.tensor.nnet``: the functions Keras 0.x-era code called, with Theano's formulas.

The whole module was removed from PyTensor; these come from keras_legacy's
backend (``hard_sigmoid`` = ``clip(0.2 x + 0.5, 0, 1)``, ``relu`` =
``0.5 (x + |x|)``, ``softmax`` row-wise over the last axis, Theano's
crossentropies).
"""

from keras_legacy.backend import (  # noqa: F401
    binary_crossentropy,
    categorical_crossentropy,
    hard_sigmoid,
    relu,
    sigmoid,
    softmax,
    softplus,
)
