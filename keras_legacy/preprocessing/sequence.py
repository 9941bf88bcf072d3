"""Sequence preprocessing of Keras 0.1.3: ``pad_sequences``, ``make_sampling_table``, ``skipgrams``."""

from __future__ import annotations

import random

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or cut) each sequence to ``maxlen`` and stack them into a 2-D array.

    ``maxlen`` defaults to the longest sequence.  ``truncating='pre'`` keeps
    the LAST ``maxlen`` items, ``'post'`` the first.  ``padding='pre'`` fills
    with ``value`` in front (the layout reset-masking recurrent layers expect),
    ``'post'`` after.  The result has ``dtype``.  Empty sequences become rows
    of ``value`` (the 0.1.3 original crashed on them with ``padding='pre'``).
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post', got {padding!r}.")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post', got {truncating!r}.")
    lengths = [len(s) for s in sequences]
    nb_samples = len(sequences)
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    x = (np.ones((nb_samples, maxlen)) * value).astype(dtype)
    for idx, seq in enumerate(sequences):
        if maxlen == 0 or len(seq) == 0:
            continue
        trunc = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        trunc = np.asarray(trunc)
        if padding == "post":
            x[idx, : len(trunc)] = trunc
        else:
            x[idx, maxlen - len(trunc):] = trunc
    return x


def make_sampling_table(size, sampling_factor=1e-5):
    """Keep-probabilities ``p[r] = min(1, sqrt(sampling_factor / freq(r)))`` for word ranks ``r``.

    ``1 / freq(r)`` is estimated, for a Zipf vocabulary, as ``r (log r +
    gamma) + 1/2 - 1/(12 r)`` with ``gamma = 0.577`` (rank 0, the padding
    index, is treated as rank 1).  Used as ``skipgrams(sampling_table=...)``.
    """
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1.0, shuffle=True,
              categorical=False, sampling_table=None):
    """Skip-gram couples ``[word, context]`` with labels 1, plus random negative couples with label 0.

    Index 0 is never used (it is the padding index).  Each word ``w_i`` is
    skipped when ``sampling_table[w_i] < random.random()``.  Positive couples
    pair ``w_i`` with every non-zero word within ``window_size`` positions.
    ``int(len(positives) * negative_samples)`` negatives pair the (shuffled)
    positive words, cyclically, with random ids in ``[1, vocabulary_size - 1]``.
    ``categorical`` labels are ``[0, 1]`` (positive) / ``[1, 0]`` (negative).
    Randomness comes from Python's ``random`` module, as in 0.x.
    """
    couples = []
    labels = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        start = max(0, i - window_size)
        end = min(len(sequence), i + window_size + 1)
        for j in range(start, end):
            if j == i:
                continue
            wj = sequence[j]
            if not wj:
                continue
            couples.append([wi, wj])
            labels.append([0, 1] if categorical else 1)

    if negative_samples > 0:
        nb_negative = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)] for i in range(nb_negative)]
        labels += [[1, 0] if categorical else 0] * nb_negative

    if shuffle:
        order = list(range(len(couples)))
        random.shuffle(order)
        couples = [couples[k] for k in order]
        labels = [labels[k] for k in order]
    return couples, labels
