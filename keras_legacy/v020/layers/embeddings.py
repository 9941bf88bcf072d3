"""Keras 0.2.0 ``Embedding(input_dim, output_dim, init, input_length=None, ...)``."""

from __future__ import annotations

from keras_legacy.layers import embeddings as e013
from keras_legacy.v020.layers.base import Layer020


class Embedding(Layer020, e013.Embedding):
    """Same lookup as 0.1.3 (``W[X]``; mask ``X != 0`` with ``mask_zero``), 0.2.0 config keys.

    The input size is given, so ``W`` is drawn by the constructor, as 0.2.0 did.
    As the 0.2.0 original, the config always carries ``input_shape: (input_dim,)``
    (a harmless bug of that release; a tuple, as every 0.2.0 ``input_shape``);
    the output shape uses ``input_length``.
    """

    input_ndim = 2

    def __init__(self, input_dim, output_dim, init="uniform", input_length=None, W_regularizer=None,
                 activity_regularizer=None, W_constraint=None, mask_zero=False, weights=None, **kwargs):
        kwargs.pop("input_shape", None)  # the shape comes from input_length
        e013.Embedding.__init__(self, input_dim, output_dim, init=init, W_regularizer=W_regularizer,
                                activity_regularizer=activity_regularizer, W_constraint=W_constraint,
                                mask_zero=mask_zero)
        self.input_length = input_length
        self._init_020(kwargs)
        self.built = True
        if weights is not None:
            self.set_weights(weights)
        self._input_shape = (None, input_length)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.input_length, self.output_dim)

    @property
    def output_shape(self):
        return (None, self.input_length, self.output_dim)

    def get_config(self):
        config = e013.Embedding.get_config(self)
        config.update(input_shape=(self.input_dim,), input_length=self.input_length,
                      mask_zero=self.mask_zero)
        return config


class WordContextProduct(Layer020, e013.WordContextProduct):
    """The 0.1.3 skip-gram scorer with the 0.2.0 layer protocol (``build``, ``input_shape=``,
    ``output_shape == (nb_samples, 1)``); its weights are drawn by the constructor, as in 0.2.0."""

    def __init__(self, input_dim, proj_dim=128, init="uniform", activation="sigmoid", weights=None,
                 **kwargs):
        e013.WordContextProduct.__init__(self, input_dim, proj_dim=proj_dim, init=init,
                                         activation=activation, weights=weights)
        self._init_020(kwargs)
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)
