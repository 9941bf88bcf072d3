"""Noise layers of Keras 0.1.3; both are the identity at test time and pass masks on.

* ``GaussianNoise(sigma)``: train ``X + N(0, sigma)``;
* ``GaussianDropout(p)``: train ``X * N(1, sqrt(p / (1 - p)))``.

The random streams are seeded with ``np.random.randint(10e6)`` in the
constructor, as the original did; the draws are NumPy's, not Theano's MRG.
"""

from __future__ import annotations

import numpy as np

from keras_legacy import backend as K
from keras_legacy.layers.base import MaskedLayer


class GaussianNoise(MaskedLayer):
    """Additive zero-centred Gaussian noise of standard deviation ``sigma`` (training only)."""

    def __init__(self, sigma):
        super().__init__()
        self.sigma = sigma
        self.srng = K.RandomStreams(seed=np.random.randint(10e6))

    def get_output(self, train=False):
        X = self.get_input(train)
        if not train or self.sigma == 0:
            return X
        return X + self.srng.normal(size=X.shape, avg=0.0, std=self.sigma, dtype=X.dtype)

    def get_config(self):
        return {"name": self.__class__.__name__, "sigma": self.sigma}


class GaussianDropout(MaskedLayer):
    """Multiplicative Gaussian noise ``N(1, sqrt(p / (1 - p)))`` (training only)."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        self.srng = K.RandomStreams(seed=np.random.randint(10e6))

    def get_output(self, train=False):
        X = self.get_input(train)
        if train:
            if self.p == 1:  # 0.1.3: ZeroDivisionError while building the training graph
                raise ValueError("GaussianDropout needs p < 1 (std = sqrt(p / (1 - p))), got p=1.")
            with np.errstate(invalid="ignore"):  # p outside [0, 1): a NaN std, as in 0.1.3
                std = float(np.sqrt(self.p / (1.0 - self.p)))
            X = X * self.srng.normal(size=X.shape, avg=1.0, std=std, dtype=X.dtype)
        return X

    def get_config(self):
        return {"name": self.__class__.__name__, "p": self.p}
