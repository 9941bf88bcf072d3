"""keras_legacy.preprocessing.sequence and .text."""

import random

import numpy as np
import pytest

from keras_legacy.preprocessing import sequence, text

# --- pad_sequences -------------------------------------------------------------
SEQS = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]


def test_pad_sequences_defaults_pre():
    x = sequence.pad_sequences(SEQS)
    assert x.dtype == np.int32 and x.shape == (3, 5)
    np.testing.assert_array_equal(x, [[0, 0, 1, 2, 3], [0, 0, 0, 0, 4], [5, 6, 7, 8, 9]])


def test_pad_sequences_modes():
    x = sequence.pad_sequences(SEQS, maxlen=3, padding="post", truncating="post")
    np.testing.assert_array_equal(x, [[1, 2, 3], [4, 0, 0], [5, 6, 7]])
    x = sequence.pad_sequences(SEQS, maxlen=3)  # truncating='pre' keeps the end
    np.testing.assert_array_equal(x, [[1, 2, 3], [0, 0, 4], [7, 8, 9]])
    x = sequence.pad_sequences(SEQS, maxlen=4, padding="post", truncating="pre", value=-1, dtype="float32")
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, [[1, 2, 3, -1], [4, -1, -1, -1], [6, 7, 8, 9]])


def test_pad_sequences_empty_and_errors():
    x = sequence.pad_sequences([[], [1, 2]], maxlen=3)
    np.testing.assert_array_equal(x, [[0, 0, 0], [0, 1, 2]])
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        sequence.pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="truncating must be"):
        sequence.pad_sequences(SEQS, truncating="x")


def test_make_sampling_table():
    table = sequence.make_sampling_table(1000, sampling_factor=1e-3)
    r = np.arange(1000).astype(float)
    r[0] = 1
    f = 1e-3 * (r * (np.log(r) + 0.577) + 0.5 - 1 / (12 * r))
    np.testing.assert_allclose(table, np.minimum(1.0, np.sqrt(f)), rtol=1e-14)
    assert table.shape == (1000,) and table[0] < table[-1] <= 1.0
    assert np.all(np.diff(table[1:]) >= 0)


def test_skipgrams_positive_couples():
    seq = [1, 2, 0, 3]
    couples, labels = sequence.skipgrams(seq, vocabulary_size=5, window_size=1, negative_samples=0.0,
                                         shuffle=False)
    # index 0 is skipped both as word and as context
    assert couples == [[1, 2], [2, 1]]
    assert labels == [1, 1]


def test_skipgrams_window_negatives_and_shuffle():
    seq = [1, 2, 3, 4]
    random.seed(0)
    couples, labels = sequence.skipgrams(seq, vocabulary_size=10, window_size=2, shuffle=False)
    positives = [c for c, lab in zip(couples, labels) if lab == 1]
    expected = [[1, 2], [1, 3], [2, 1], [2, 3], [2, 4], [3, 1], [3, 2], [3, 4], [4, 2], [4, 3]]
    assert positives == expected
    negatives = [c for c, lab in zip(couples, labels) if lab == 0]
    assert len(negatives) == len(expected)
    assert sorted(c[0] for c in negatives) == sorted(c[0] for c in expected)
    assert all(1 <= c[1] <= 9 for c in negatives)

    random.seed(1)
    sc, sl = sequence.skipgrams(seq, vocabulary_size=10, window_size=2, categorical=True)
    assert len(sc) == 20 and all(lab in ([0, 1], [1, 0]) for lab in sl)
    # shuffling keeps each couple with its label: every positive couple is in the positive list
    for c, lab in zip(sc, sl):
        if lab == [0, 1]:
            assert c in expected


def test_skipgrams_sampling_table_drops_words():
    table = np.zeros(5)  # keep-probability 0 for every word
    random.seed(0)
    couples, labels = sequence.skipgrams([1, 2, 3], vocabulary_size=5, sampling_table=table)
    assert couples == [] and labels == []


# --- text ----------------------------------------------------------------------
def test_base_filter_and_word_sequence():
    f = text.base_filter()
    assert "'" not in f and "!" in f and "\t" in f and "\n" in f
    assert text.text_to_word_sequence("Hello, World! It's\tme.") == ["hello", "world", "it's", "me"]
    assert text.text_to_word_sequence("A-B", lower=False) == ["A", "B"]
    assert text.text_to_word_sequence("a,b", split=",", filters="") == ["a", "b"]


def test_one_hot_hashing():
    idx = text.one_hot("the cat the dog", 7)
    assert len(idx) == 4 and idx[0] == idx[2]
    assert all(1 <= i <= 6 for i in idx)
    assert idx == [abs(hash(w)) % 6 + 1 for w in ["the", "cat", "the", "dog"]]
    # what 0.1.3's arithmetic gave for n < 2: n=1 divides by zero, n=0 takes hash % -1 + 1 == 1
    assert text.one_hot("", 1) == []
    with pytest.raises(ValueError, match="n must be at least 2"):
        text.one_hot("the cat", 1)
    assert text.one_hot("the cat", 0) == [1, 1]


TEXTS = ["The cat sat on the mat.", "The dog ate the cat!", "A bird"]


def test_tokenizer_fit_and_sequences():
    tok = text.Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert tok.document_count == 3
    assert tok.word_counts["the"] == 4 and tok.word_counts["cat"] == 2
    assert tok.word_docs["the"] == 2
    # ranked by count, ties in first-seen order
    assert tok.word_index["the"] == 1 and tok.word_index["cat"] == 2
    assert [w for w, _ in sorted(tok.word_index.items(), key=lambda kv: kv[1])] == [
        "the", "cat", "sat", "on", "mat", "dog", "ate", "a", "bird"]
    assert tok.index_docs[1] == 2 and tok.index_docs[2] == 2 and tok.index_docs[9] == 1
    assert tok.texts_to_sequences(["the cat and a dog"]) == [[1, 2, 8, 6]]
    gen = tok.texts_to_sequences_generator(["bird", "unknown"])
    assert next(gen) == [9] and next(gen) == []

    small = text.Tokenizer(nb_words=3)
    small.fit_on_texts(TEXTS)
    assert small.texts_to_sequences(["the cat sat"]) == [[1, 2]]


def test_tokenizer_matrices():
    tok = text.Tokenizer()
    tok.fit_on_texts(TEXTS)
    seqs = [[1, 2, 1], [3]]
    n = len(tok.word_index) + 1
    binary = tok.sequences_to_matrix(seqs, mode="binary")
    assert binary.shape == (2, n)
    expected = np.zeros((2, n))
    expected[0, [1, 2]] = 1
    expected[1, 3] = 1
    np.testing.assert_array_equal(binary, expected)
    count = tok.sequences_to_matrix(seqs, mode="count")
    assert count[0, 1] == 2 and count[0, 2] == 1 and count.sum() == 4
    freq = tok.sequences_to_matrix(seqs, mode="freq")
    np.testing.assert_allclose(freq[0, [1, 2]], [2 / 3, 1 / 3])
    tfidf = tok.sequences_to_matrix(seqs, mode="tfidf")
    df1 = 1 + np.log(1 + 2 / 4)  # index 1 ("the") in 2 of 3 documents
    np.testing.assert_allclose(tfidf[0, 1], np.log(2 / 3) / df1)
    np.testing.assert_allclose(tfidf[1, 3], np.log(1.0) / (1 + np.log(1 + 1 / 4)))
    np.testing.assert_array_equal(tok.texts_to_matrix(["the cat the"], mode="count")[0, :3], [0, 2, 1])
    with pytest.raises(ValueError, match="Unknown vectorization mode: 'bm25'"):
        tok.sequences_to_matrix(seqs, mode="bm25")


def test_tokenizer_nb_words_and_errors():
    tok = text.Tokenizer(nb_words=3)
    # indices >= nb_words are skipped (0.x raised IndexError)
    np.testing.assert_array_equal(tok.sequences_to_matrix([[1, 5, 2]], mode="count"), [[0, 1, 1]])
    with pytest.raises(ValueError, match="before using tfidf"):
        tok.sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="Specify a dimension"):
        text.Tokenizer().sequences_to_matrix([[1]])
    seq_tok = text.Tokenizer(nb_words=4)
    seq_tok.fit_on_sequences([[1, 2, 2], [2, 3]])
    assert seq_tok.document_count == 2 and seq_tok.index_docs == {1: 1, 2: 2, 3: 1}
    got = seq_tok.sequences_to_matrix([[2]], mode="tfidf")
    np.testing.assert_allclose(got[0, 2], 0.0)
