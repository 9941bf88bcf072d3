"""A Keras 0.1.3-era script (Python 3 syntax), run unchanged by `python -m keras_legacy.run`.

Usage: keras013_lstm.py OUT.npz
Writes the data, the trained weights and the predictions to OUT.npz.
"""
from __future__ import print_function

import sys

import numpy as np
import theano
import theano.tensor as T
from keras.layers.core import Activation, Dense
from keras.layers.recurrent import LSTM
from keras.models import Sequential

np.random.seed(1337)
floatX = theano.config.floatX

# plain Theano, as 2015 scripts mixed it in
x = T.matrix('x')
sig = theano.function([x], T.nnet.sigmoid(x))
print("sigmoid(0) =", float(sig(np.zeros((1, 1), dtype=floatX))[0, 0]))

w = theano.shared(np.asarray([1.0, -2.0], dtype=floatX), name='w')
v = T.vector('v')
cost = T.sum(T.nnet.sigmoid(v * w))
step = theano.function([v], cost, updates=[(w, w - 0.5 * T.grad(cost, w))])
step(np.ones(2, dtype=floatX))
print("w after one step =", " ".join("%.12f" % a for a in w.get_value()))

seq = T.vector('seq')
partial, _ = theano.scan(lambda a, acc: acc + a, sequences=seq,
                         outputs_info=T.constant(np.asarray(0.0, dtype=floatX)))
cumsum = theano.function([seq], partial)
print("cumsum =", " ".join("%g" % a for a in cumsum(np.arange(1, 5).astype(floatX))))

# a tiny Keras 0.1.3 model
X = np.random.randn(6, 4, 3).astype(floatX)
y = (X.sum(axis=(1, 2)) > 0).astype('int32')

model = Sequential()
model.add(LSTM(3, 5))
model.add(Dense(5, 1))
model.add(Activation('sigmoid'))
model.compile(loss='binary_crossentropy', optimizer='rmsprop', class_mode='binary')
model.fit(X, y, batch_size=3, nb_epoch=2, verbose=0)
pred = model.predict(X, verbose=0)
print("prediction sum = %.12f" % float(pred.sum()))

out = {"X": X, "pred": pred}
for k, a in enumerate(model.get_weights()):
    out["weight_%d" % k] = a
np.savez(sys.argv[1], **out)
print("argv:", sys.argv[1:])
