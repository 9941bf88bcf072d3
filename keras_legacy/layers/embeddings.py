"""Embedding layers of Keras 0.1.3: ``Embedding`` and ``WordContextProduct``."""

from __future__ import annotations

import pytensor.tensor as T

from keras_legacy import activations, constraints, initializations, regularizers
from keras_legacy.layers.base import Layer


class Embedding(Layer):
    """Look up rows of ``W (input_dim, output_dim)``: ``(n, T)`` ints -> ``(n, T, output_dim)``.

    The output is ``W[X]`` for every id, 0 included (masked positions are not
    zeroed).  With ``mask_zero=True`` the output mask is ``X != 0``.  The
    0.1.3 config has no ``mask_zero`` key (a model rebuilt from it does not
    mask), as the original wrote it.
    """

    input_ndim = 2

    def __init__(self, input_dim, output_dim, init="uniform", W_regularizer=None,
                 activity_regularizer=None, W_constraint=None, mask_zero=False, weights=None):
        super().__init__()
        self.init = initializations.get(init)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.input = T.imatrix()
        self.mask_zero = mask_zero
        self.add_weight("W", (input_dim, output_dim), self.init)
        self.regularizers = []
        self.W_regularizer = regularizers.get(W_regularizer)
        if self.W_regularizer is not None:
            self.W_regularizer.set_param(self.W)
            self.regularizers.append(self.W_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if self.activity_regularizer is not None:
            self.activity_regularizer.set_layer(self)
            self.regularizers.append(self.activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.constraints = [self.W_constraint]
        if weights is not None:
            self.set_weights(weights)

    def get_output_mask(self, train=None):
        if not self.mask_zero:
            return None
        X = self.get_input(train)
        return T.cast(T.neq(X, 0), X.dtype)

    def get_output(self, train=False):
        X = self.get_input(train)
        return self.W[X]

    def get_config(self):
        return {"name": self.__class__.__name__,
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "init": initializations.name_of(self.init),
                "activity_regularizer": (self.activity_regularizer.get_config()
                                         if self.activity_regularizer is not None else None),
                "W_regularizer": (self.W_regularizer.get_config()
                                  if self.W_regularizer is not None else None),
                "W_constraint": (self.W_constraint.get_config()
                                 if self.W_constraint is not None else None)}


class WordContextProduct(Layer):
    """Skip-gram scorer: input ``(n, 2)`` int pairs ``(word, context)``; output ``(n, 1)``.

    ``activation(sum(W_w[word] * W_c[context], axis=1))``; params ``[W_w, W_c]``,
    both ``(input_dim, proj_dim)``.
    """

    input_ndim = 2

    def __init__(self, input_dim, proj_dim=128, init="uniform", activation="sigmoid", weights=None):
        super().__init__()
        self.input_dim = input_dim
        self.proj_dim = proj_dim
        self.init = initializations.get(init)
        self.activation = activations.get(activation)
        self.input = T.imatrix()
        self.add_weight("W_w", (input_dim, proj_dim), self.init)
        self.add_weight("W_c", (input_dim, proj_dim), self.init)
        if weights is not None:
            self.set_weights(weights)

    def get_output(self, train=False):
        X = self.get_input(train)
        w = self.W_w[X[:, 0]]
        c = self.W_c[X[:, 1]]
        dot = T.sum(w * c, axis=1)
        dot = T.reshape(dot, (X.shape[0], 1), ndim=2)
        return self.activation(dot)

    def get_config(self):
        return {"name": self.__class__.__name__,
                "input_dim": self.input_dim,
                "proj_dim": self.proj_dim,
                "init": initializations.name_of(self.init),
                "activation": activations.name_of(self.activation)}
