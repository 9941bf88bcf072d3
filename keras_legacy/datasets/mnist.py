"""``keras.datasets.mnist``: the MNIST digits (file ``mnist.pkl.gz``)."""

from __future__ import annotations

from keras_legacy.datasets.data_utils import get_file, load_pickle

ORIGIN = "https://s3.amazonaws.com/img-datasets/mnist.pkl.gz"


def load_data(path="mnist.pkl.gz"):
    """``(X_train, y_train), (X_test, y_test)`` as pickled: X uint8 (n, 28, 28), y uint8 (n,)."""
    path = get_file(path, origin=ORIGIN)
    data = load_pickle(path, ORIGIN)
    if not (isinstance(data, (tuple, list)) and len(data) == 2
            and all(isinstance(part, (tuple, list)) and len(part) == 2 for part in data)):
        raise ValueError(
            f"{path} should hold ((X_train, y_train), (X_test, y_test)); "
            f"got a {type(data).__name__} of another layout."
        )
    return data
