"""The word-id sequence logic shared by ``imdb.load_data`` and ``reuters.load_data`` (0.x rules).

In this order:

1. ``np.random.seed(seed)`` then shuffle the sequences, ``np.random.seed(seed)``
   again then shuffle the labels: one permutation for both.  Like 0.x this
   reseeds NumPy's global random generator.
2. Shift: ``[start_char] + [w + index_from ...]``; with ``start_char=None`` only
   the shift, and only when ``index_from`` is truthy.
3. ``maxlen``: keep the sequences with ``len(x) < maxlen`` (start char included).
4. ``nb_words`` (when falsy: the largest id left, which is itself then out of
   range) and ``skip_top``: an id ``w`` with ``w >= nb_words or w < skip_top``
   becomes ``oov_char``.  With ``oov_char=None`` the 0.x loop keeps ONLY such
   ids and drops the others.
5. ``cut = int(len(X) * (1 - test_split))``: train is ``[:cut]``, test ``[cut:]``.

Sequences and labels are returned as Python lists, as in 0.x.
"""

from __future__ import annotations

import numpy as np


def _check_pair(path, data):
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ValueError(
            f"{path} should hold a pickled pair (sequences, labels), got {type(data).__name__}."
        )
    sequences, labels = data
    if len(sequences) != len(labels):
        raise ValueError(
            f"{path} holds {len(sequences)} sequences but {len(labels)} labels; they must match."
        )
    return list(sequences), list(labels)


def split_sequences(path, data, nb_words=None, skip_top=0, maxlen=None, test_split=0.2,
                    seed=113, start_char=1, oov_char=2, index_from=3):
    """``(X_train, y_train), (X_test, y_test)`` from the unpickled ``(X, labels)`` of ``path``."""
    X, labels = _check_pair(path, data)

    np.random.seed(seed)
    np.random.shuffle(X)
    np.random.seed(seed)
    np.random.shuffle(labels)

    if start_char is not None:
        X = [[start_char] + [w + index_from for w in x] for x in X]
    elif index_from:
        X = [[w + index_from for w in x] for x in X]

    if maxlen:
        kept = [(x, y) for x, y in zip(X, labels) if len(x) < maxlen]
        X = [x for x, _ in kept]
        labels = [y for _, y in kept]

    if not nb_words:
        if not X or not all(X):
            raise ValueError(
                f"nb_words=None takes the largest word id, but {path} leaves "
                + ("no sequences" if not X else "an empty sequence")
                + " after maxlen; pass nb_words explicitly."
            )
        nb_words = max(max(x) for x in X)

    def out_of_range(w):
        return w >= nb_words or w < skip_top

    if oov_char is not None:
        X = [[oov_char if out_of_range(w) else w for w in x] for x in X]
    else:
        X = [[w for w in x if out_of_range(w)] for x in X]

    cut = int(len(X) * (1 - test_split))
    return (X[:cut], labels[:cut]), (X[cut:], labels[cut:])
