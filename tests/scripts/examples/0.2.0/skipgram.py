"""Skip-gram word embeddings trained with WordContextProduct (Keras 0.2.0 constructors), shrunk.

Python 2 habits (cPickle to a file opened with 'w', xrange, iteritems). Run with --py2.
"""
from __future__ import absolute_import
from __future__ import print_function
import numpy as np
import os, re
import cPickle

from keras.models import Sequential
from keras.layers.embeddings import WordContextProduct, Embedding
from keras.preprocessing import sequence
from keras.preprocessing import text
from keras.optimizers import SGD, RMSprop, Adagrad
from keras.utils import np_utils, generic_utils

max_features = 20
skip_top = 0
dim_proj = 8
train_model = True
save = True
load_model = True
tokenizer_fname = "tokenizer.pkl"
model_load_fname = "skipgram_model.pkl"
model_save_fname = "skipgram_model.pkl"
nb_epoch = 1

html_tags = re.compile(r'<.*?>')
to_replace = [('&#x27;', "'")]
hex_tags = re.compile(r'&.*?;')


def clean_comment(comment):
    c = str(comment)
    c = html_tags.sub(' ', c)
    for tag, char in to_replace:
        c = c.replace(tag, char)
    c = hex_tags.sub(' ', c)
    return c

COMMENTS = [
    "the cat sat on the mat and the dog sat on the log",
    "a dog and a cat are friends <i>sometimes</i>",
    "the mat is red and the log is brown &amp; old",
    "friends sat on the red mat",
] * 3


def text_generator():
    for comment in COMMENTS:
        yield clean_comment(comment)

print("Fit tokenizer...")
tokenizer = text.Tokenizer(nb_words=max_features)
tokenizer.fit_on_texts(text_generator())
if save:
    print("Save tokenizer...")
    cPickle.dump(tokenizer, open(tokenizer_fname, "w"))

print("Build model...")
model = Sequential()
model.add(WordContextProduct(max_features, proj_dim=dim_proj, init="uniform"))
model.compile(loss='mse', optimizer='rmsprop')

sampling_table = sequence.make_sampling_table(max_features)

for e in xrange(nb_epoch):
    print('-' * 40)
    print('Epoch', e)
    print('-' * 40)
    progbar = generic_utils.Progbar(tokenizer.document_count)
    samples_seen = 0
    losses = []
    for i, seq in enumerate(tokenizer.texts_to_sequences_generator(text_generator())):
        couples, labels = sequence.skipgrams(seq, max_features, window_size=4, negative_samples=1., sampling_table=sampling_table)
        if couples:
            X = np.array(couples, dtype="int32")
            loss = model.train_on_batch(X, labels)
            losses.append(loss)
            if len(losses) % 2 == 0:
                progbar.update(i, values=[("loss", np.mean(losses))])
                losses = []
            samples_seen += len(labels)
    print('Samples seen:', samples_seen)
print("Training completed!")

if save:
    print("Saving model...")
    if not os.path.exists('.'):
        os.makedirs('.')
    cPickle.dump(model, open(model_save_fname, "w"))

if load_model:
    print('Load tokenizer...')
    tokenizer = cPickle.load(open(tokenizer_fname))
    print('Load model...')
    model = cPickle.load(open(model_load_fname))

word_index = tokenizer.word_index
reverse_word_index = dict([(v, k) for k, v in word_index.iteritems()])
weights = model.layers[0].get_weights()[0]
norm_weights = np_utils.normalize(weights)


def embed_word(w):
    i = word_index.get(w)
    if (not i) or (i < skip_top) or (i >= max_features):
        return None
    return norm_weights[i]


def closest_to_point(point, nb_closest=3):
    proximities = np.dot(norm_weights, point)
    tups = list(zip(list(range(len(proximities))), proximities))
    tups.sort(key=lambda x: x[1], reverse=True)
    return [(reverse_word_index.get(t[0]), t[1]) for t in tups[:nb_closest]]


def closest_to_word(w, nb_closest=3):
    i = word_index.get(w)
    if (not i) or (i < skip_top) or (i >= max_features):
        return []
    return closest_to_point(norm_weights[i].T, nb_closest)

for w in ["cat", "dog"]:
    res = closest_to_word(w)
    print('====', w)
    for r in res:
        print(r)
loss = model.train_on_batch(np.array([[1, 2], [3, 4]], dtype="int32"), [1, 0])
assert np.isfinite(loss)
