"""``keras.datasets.reuters``: Reuters newswires by topic as word-id sequences.

``load_data`` reads ``reuters.pkl`` and ``get_word_index`` ``reuters_word_index.pkl``
(Python 2 pickles; byte-string words come back as ``str`` decoded as Latin-1,
as the real index holds non-ASCII words).  ``make_reuters_dataset`` builds both
files from the Reuters-21578 ``.sgm`` files.
"""

from __future__ import annotations

import os
import pickle

from keras_legacy.datasets._sequences import split_sequences
from keras_legacy.datasets.data_utils import get_file, load_pickle
from keras_legacy.preprocessing.text import Tokenizer

ORIGIN = "https://s3.amazonaws.com/text-datasets/reuters.pkl"
WORD_INDEX_ORIGIN = "https://s3.amazonaws.com/text-datasets/reuters_word_index.pkl"
DEFAULT_SGM_PATH = os.path.join("datasets", "temp", "reuters21578")
SANITY_WORDS = ("banana", "oil", "chocolate", "barrel", "cash", "flower", "tree")


def _wires(text):
    """``(topic, body)`` for every ``<TOPICS>`` of an .sgm text, the 0.x way.

    The topic is the text between ``<TOPICS>`` and the next ``</`` with the
    ``<D>`` tags removed, i.e. the FIRST topic of a multi-topic wire; a wire with
    no topic is skipped.  The body is what follows the next ``<BODY>`` up to
    ``</BODY>``.
    """
    tag, body_tag, body_end = "<TOPICS>", "<BODY>", "</BODY>"
    while tag in text:
        text = text[text.find(tag) + len(tag):]
        topics = text[:text.find("</")]
        if not topics:
            continue
        topic = topics.replace("<D>", "").replace("</D>", "")
        body = text[text.find(body_tag) + len(body_tag):]
        yield topic, body[:body.find(body_end)]


def make_reuters_dataset(path=DEFAULT_SGM_PATH, min_samples_per_topic=15):
    """Write ``datasets/data/reuters.pkl`` and ``reuters_word_index.pkl`` from Reuters-21578.

    Reads every file of ``path`` whose name contains ``sgm``; keeps the topics
    with at least ``min_samples_per_topic`` wires, numbers them in order of first
    appearance, and turns the bodies into word-id sequences with a
    :class:`~keras_legacy.preprocessing.text.Tokenizer` fitted on them.  Both
    files are protocol-0 pickles, as 0.x wrote them; ``datasets/data`` (relative
    to the working directory) is created when missing.
    """
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"make_reuters_dataset: {path!r} is not a folder; pass the folder holding the "
            "Reuters-21578 .sgm files (reut2-000.sgm ...)."
        )
    wire_topics, wire_bodies, topic_counts = [], [], {}
    for fname in sorted(os.listdir(path)):
        if "sgm" not in fname:
            continue
        with open(os.path.join(path, fname), encoding="latin1") as handle:
            for topic, body in _wires(handle.read()):
                wire_topics.append(topic)
                wire_bodies.append(body)
                topic_counts[topic] = topic_counts.get(topic, 0) + 1

    kept_topics = set()
    for topic, count in sorted(topic_counts.items(), key=lambda item: item[1]):
        print(topic + ": " + str(count))
        if count >= min_samples_per_topic:
            kept_topics.add(topic)
    print("-")
    print("Kept topics:", len(kept_topics))

    topic_indexes, labels, kept_wires = {}, [], []
    for topic, body in zip(wire_topics, wire_bodies):
        if topic in kept_topics:
            labels.append(topic_indexes.setdefault(topic, len(topic_indexes)))
            kept_wires.append(body)

    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(kept_wires)
    X = tokenizer.texts_to_sequences(kept_wires)
    print("Sanity check:")
    for word in SANITY_WORDS:
        print("...index of", word, ":", tokenizer.word_index.get(word))

    out_dir = os.path.join("datasets", "data")
    os.makedirs(out_dir, exist_ok=True)
    print("-")
    print("Saving...")
    with open(os.path.join(out_dir, "reuters.pkl"), "wb") as handle:
        pickle.dump((X, labels), handle, protocol=0)
    with open(os.path.join(out_dir, "reuters_word_index.pkl"), "wb") as handle:
        pickle.dump(dict(tokenizer.word_index), handle, protocol=0)


def load_data(path="reuters.pkl", nb_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """``(X_train, y_train), (X_test, y_test)``: lists of word-id lists and topic ids.

    The rules are those of :mod:`keras_legacy.datasets._sequences` (as imdb).
    """
    path = get_file(path, origin=ORIGIN)
    data = load_pickle(path, ORIGIN)
    return split_sequences(path, data, nb_words=nb_words, skip_top=skip_top, maxlen=maxlen,
                           test_split=test_split, seed=seed, start_char=start_char,
                           oov_char=oov_char, index_from=index_from)


def get_word_index(path="reuters_word_index.pkl"):
    """The dict {word: id} that ``load_data``'s ids refer to (before ``index_from``)."""
    path = get_file(path, origin=WORD_INDEX_ORIGIN)
    index = load_pickle(path, WORD_INDEX_ORIGIN)
    if not isinstance(index, dict):
        raise TypeError(f"{path} should hold a pickled dict {{word: id}}, got {type(index).__name__}.")
    return index
