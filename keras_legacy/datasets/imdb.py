"""``keras.datasets.imdb``: the IMDB sentiment reviews as word-id sequences (file ``imdb.pkl``)."""

from __future__ import annotations

from keras_legacy.datasets._sequences import split_sequences
from keras_legacy.datasets.data_utils import get_file, load_pickle

ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb.pkl"


def load_data(path="imdb.pkl", nb_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """``(X_train, y_train), (X_test, y_test)``: lists of word-id lists and 0/1 labels.

    The rules (shuffle, shift, ``maxlen``, ``nb_words``/``skip_top``/``oov_char``,
    ``test_split``) are those of :mod:`keras_legacy.datasets._sequences`.
    """
    path = get_file(path, origin=ORIGIN)
    data = load_pickle(path, ORIGIN)
    return split_sequences(path, data, nb_words=nb_words, skip_top=skip_top, maxlen=maxlen,
                           test_split=test_split, seed=seed, start_char=start_char,
                           oov_char=oov_char, index_from=index_from)
