"""``get_test_data`` of Keras 0.1.3: random train/test sets from the global NumPy RNG."""

from __future__ import annotations

import numpy as np


def get_test_data(nb_train=1000, nb_test=500, input_shape=(10,), output_shape=(2,),
                  classification=True, nb_class=2):
    """Return ``(X_train, y_train), (X_test, y_test)``.

    Classification: ``y`` are integer classes drawn uniformly from
    ``[0, nb_class)`` and each ``X[i]`` is drawn from ``N(y[i], 1)`` (so the
    classes are separable on average).  Regression: a location ``u_i ~ U(0, 1)``
    per sample, ``X[i] ~ N(u_i, 1)`` of ``input_shape`` and ``y[i] ~ N(u_i, 1)``
    of ``output_shape``.  Draws use ``np.random`` in this order: all labels (or
    locations) first, then per sample X[i] (and y[i]).
    """
    input_shape = tuple(input_shape)
    output_shape = tuple(output_shape)
    nb_sample = nb_train + nb_test
    X = np.zeros((nb_sample,) + input_shape)
    if classification:
        y = np.random.randint(0, nb_class, size=(nb_sample,))
        for i in range(nb_sample):
            X[i] = np.random.normal(loc=y[i], scale=1.0, size=input_shape)
    else:
        locations = np.random.random((nb_sample,))
        y = np.zeros((nb_sample,) + output_shape)
        for i in range(nb_sample):
            X[i] = np.random.normal(loc=locations[i], scale=1.0, size=input_shape)
            y[i] = np.random.normal(loc=locations[i], scale=1.0, size=output_shape)
    return (X[:nb_train], y[:nb_train]), (X[nb_train:], y[nb_train:])
