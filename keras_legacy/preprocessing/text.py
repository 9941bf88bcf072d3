"""Text preprocessing of Keras 0.1.3: word splitting, hashing trick and ``Tokenizer``."""

from __future__ import annotations

import string

import numpy as np


def base_filter():
    """The characters removed by default: ASCII punctuation except the apostrophe, plus tab and newline."""
    return string.punctuation.replace("'", "") + "\t\n"


def text_to_word_sequence(text, filters=base_filter(), lower=True, split=" "):
    """Lower-case (optionally), turn every ``filters`` character into ``split``, split, drop empties."""
    if lower:
        text = text.lower()
    text = text.translate({ord(c): split for c in filters})
    return [word for word in text.split(split) if word]


def one_hot(text, n, filters=base_filter(), lower=True, split=" "):
    """The hashing trick: each word to ``abs(hash(word)) % (n - 1) + 1`` (an index in ``[1, n-1]``).

    Python 3 salts ``str`` hashes per process (``PYTHONHASHSEED``), so the
    indices are stable within one process only.
    """
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    if n == 1 and words:  # 0.1.3: ZeroDivisionError (hash % 0)
        raise ValueError(f"one_hot: n must be at least 2 (indices lie in [1, n-1]), got {n}.")
    return [abs(hash(w)) % (n - 1) + 1 for w in words]


class Tokenizer:
    """Word counts and a frequency-ranked word index (1 = most frequent; 0 is never used).

    ``nb_words``: when set, words of index ``>= nb_words`` are dropped by
    ``texts_to_sequences`` and the matrices have ``nb_words`` columns;
    otherwise ``len(word_index) + 1`` columns.
    """

    def __init__(self, nb_words=None, filters=base_filter(), lower=True, split=" "):
        self.word_counts = {}
        self.word_docs = {}
        self.filters = filters
        self.split = split
        self.lower = lower
        self.nb_words = nb_words
        self.document_count = 0
        self.word_index = {}
        self.index_docs = {}

    def _words(self, text):
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Count words (``word_counts``) and documents per word (``word_docs``), then rank.

        Counts accumulate over calls; ``document_count`` is the number of texts
        of the LAST call (as in 0.x).  Ties in count keep first-seen order.
        """
        self.document_count = 0
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for w in words:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in dict.fromkeys(words):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        self.word_index = {w: i for i, (w, _) in enumerate(ranked, start=1)}
        self.index_docs = {self.word_index[w]: c for w, c in self.word_docs.items()}

    def fit_on_sequences(self, sequences):
        """Document frequencies (``index_docs``) from sequences of indices (for tfidf)."""
        self.document_count = len(sequences)
        self.index_docs = {}
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] = self.index_docs.get(i, 0) + 1

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Yield, per text, the indices of its known words (those below ``nb_words`` if set)."""
        nb_words = self.nb_words
        for text in texts:
            vect = []
            for w in self._words(text):
                i = self.word_index.get(w)
                if i is not None and not (nb_words and i >= nb_words):
                    vect.append(i)
            yield vect

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A ``(len(sequences), nb_words)`` float64 matrix; row ``i``, column ``j`` for index ``j``:

        * ``binary``: 1 if ``j`` occurs; ``count``: its count ``c``;
        * ``freq``: ``c / len(seq)``;
        * ``tfidf`` (0.x formula): ``log(c / len(seq)) / (1 + log(1 + index_docs[j] /
          (1 + document_count)))``.

        Indices ``>= nb_words`` are skipped (0.x crashed on them with an IndexError).
        """
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(
                f"Unknown vectorization mode: {mode!r}. Expected one of: binary, count, freq, tfidf."
            )
        if self.nb_words:
            nb_words = self.nb_words
        elif self.word_index:
            nb_words = len(self.word_index) + 1
        else:
            raise ValueError("Specify a dimension (nb_words argument), or fit on some text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data (fit_on_texts or fit_on_sequences) "
                             "before using tfidf mode.")

        X = np.zeros((len(sequences), nb_words))
        for i, seq in enumerate(sequences):
            counts = {}
            for j in seq:
                if j >= nb_words:
                    continue
                counts[j] = counts.get(j, 0.0) + 1.0
            for j, c in counts.items():
                if mode == "count":
                    X[i, j] = c
                elif mode == "freq":
                    X[i, j] = c / len(seq)
                elif mode == "binary":
                    X[i, j] = 1.0
                else:
                    tf = np.log(c / len(seq))
                    df = 1.0 + np.log(1.0 + self.index_docs.get(j, 0) / (1.0 + self.document_count))
                    X[i, j] = tf / df
        return X
