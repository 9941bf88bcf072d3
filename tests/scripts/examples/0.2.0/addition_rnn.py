# -*- coding: utf-8 -*-
"""Learning to add numbers given as strings, 2015 style (Keras 0.2.0 constructors), shrunk.

Encoder JZS1 -> RepeatVector -> decoder JZS1 (return_sequences) -> TimeDistributedDense,
then the same with LSTM; input_shape=(None, nb_chars): any number of timesteps.
Python 2 habits: xrange, integer division. Run with --py2.
"""
from __future__ import print_function
import numpy as np
from keras.models import Sequential
from keras.layers.core import Activation, Dense, RepeatVector, TimeDistributedDense
from keras.layers import recurrent


class CharacterTable(object):
    def __init__(self, chars, maxlen):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))
        self.maxlen = maxlen

    def encode(self, C, maxlen=None):
        maxlen = maxlen if maxlen else self.maxlen
        X = np.zeros((maxlen, len(self.chars)))
        for i, c in enumerate(C):
            X[i, self.char_indices[c]] = 1
        return X

    def decode(self, X, calc_argmax=True):
        if calc_argmax:
            X = X.argmax(axis=-1)
        return ''.join(self.indices_char[x] for x in X)


TRAINING_SIZE = 60
DIGITS = 2
INVERT = True
MAXLEN = DIGITS + 1 + DIGITS
chars = '0123456789+ '
ctable = CharacterTable(chars, MAXLEN)
HIDDEN_SIZE = 16
BATCH_SIZE = 16
LAYERS = 1

questions, expected, seen = [], [], set()
np.random.seed(1337)
while len(questions) < TRAINING_SIZE:
    f = lambda: int(''.join(np.random.choice(list('0123456789')) for i in xrange(np.random.randint(1, DIGITS + 1))))
    a, b = f(), f()
    key = tuple(sorted((a, b)))
    if key in seen:
        continue
    seen.add(key)
    q = '{}+{}'.format(a, b)
    query = q + ' ' * (MAXLEN - len(q))
    ans = str(a + b)
    ans += ' ' * (DIGITS + 1 - len(ans))
    if INVERT:
        query = query[::-1]
    questions.append(query)
    expected.append(ans)

X = np.zeros((len(questions), MAXLEN, len(chars)), dtype=np.bool)
y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype=np.bool)
for i, sentence in enumerate(questions):
    X[i] = ctable.encode(sentence, maxlen=MAXLEN)
for i, sentence in enumerate(expected):
    y[i] = ctable.encode(sentence, maxlen=DIGITS + 1)

split_at = len(X) - len(X) / 10   # integer division under Python 2
(X_train, X_val) = (X[:split_at], X[split_at:])
(y_train, y_val) = (y[:split_at], y[split_at:])

for RNN in (recurrent.JZS1, recurrent.LSTM):
    model = Sequential()
    model.add(RNN(HIDDEN_SIZE, input_shape=(None, len(chars))))
    model.add(RepeatVector(DIGITS + 1))
    for _ in xrange(LAYERS):
        model.add(RNN(HIDDEN_SIZE, return_sequences=True))
    if RNN is recurrent.JZS1:
        model.add(TimeDistributedDense(len(chars)))
    else:
        model.add(TimeDistributedDense(len(chars)))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='adam')
    for iteration in xrange(1, 2):
        model.fit(X_train, y_train, batch_size=BATCH_SIZE, nb_epoch=1, validation_data=(X_val, y_val), show_accuracy=True, verbose=2)
        for i in xrange(2):
            ind = np.random.randint(0, len(X_val))
            rowX, rowy = X_val[np.array([ind])], y_val[np.array([ind])]
            preds = model.predict_classes(rowX, verbose=0)
            q = ctable.decode(rowX[0])
            correct = ctable.decode(rowy[0])
            guess = ctable.decode(preds[0], calc_argmax=False)
            print('Q', q[::-1] if INVERT else q, 'T', correct, 'G', guess)
    proba = model.predict(X_val, verbose=0)
    assert proba.shape == (len(X_val), DIGITS + 1, len(chars)), proba.shape
    assert np.allclose(proba.sum(axis=-1), 1.0)
