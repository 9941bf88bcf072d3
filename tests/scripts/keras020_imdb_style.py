"""A Keras 0.2.0 script in the 2015 style (cf. examples/imdb_lstm.py of that release), shrunk to run in seconds.

Run unchanged with: python -m keras_legacy.run --keras 0.2.0 keras020_imdb_style.py
"""
from __future__ import print_function

import numpy as np

np.random.seed(1337)  # for reproducibility

import theano
from keras.preprocessing import sequence
from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation
from keras.layers.embeddings import Embedding
from keras.layers.recurrent import LSTM

max_features = 30
maxlen = 8
batch_size = 8

print('Loading data...')
rng = np.random.RandomState(7)
X_train = [list(rng.randint(1, max_features, size=rng.randint(2, 12))) for _ in range(40)]
y_train = np.array([int(sum(x) % 2) for x in X_train])
X_train = sequence.pad_sequences(X_train, maxlen=maxlen)
print('X_train shape:', X_train.shape)

print('Build model...')
model = Sequential()
model.add(Embedding(max_features, 16, input_length=maxlen, mask_zero=True))
model.add(LSTM(8))  # try using a GRU instead, for fun
model.add(Dropout(0.5))
model.add(Dense(1))
model.add(Activation('sigmoid'))

model.compile(loss='binary_crossentropy', optimizer='adam', class_mode="binary")

print("Train...")
history = model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=2, show_accuracy=True, verbose=0)
score, acc = model.evaluate(X_train, y_train, batch_size=batch_size, show_accuracy=True, verbose=0)
print('floatX:', theano.config.floatX)
print('output_shape:', model.layers[1].output_shape)
print('Test score:', score)
print('Test accuracy:', acc)
print('history:', len(history.history['loss']))
print('json layers:', ' '.join(layer['name'] for layer in __import__('json').loads(model.to_json())['layers']))
