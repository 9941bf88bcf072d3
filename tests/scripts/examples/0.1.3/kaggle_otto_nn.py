"""Otto Group product classification with PReLU + BatchNormalization (Keras 0.1.3 constructors).

The competition's train.csv/test.csv are replaced by tiny generated ones; no pandas: the
CSV is read with the csv module and NumPy, and scaled by hand.
"""
from __future__ import absolute_import
from __future__ import print_function
import csv
import numpy as np

from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation
from keras.layers.normalization import BatchNormalization
from keras.layers.advanced_activations import PReLU
from keras.utils import np_utils

np.random.seed(1337)


def write_fake_otto(path, n, labels=True):
    rng = np.random.RandomState(len(path))
    with open(path, 'w') as f:
        w = csv.writer(f)
        w.writerow(['id'] + ['feat_%d' % i for i in range(1, 12)] + (['target'] if labels else []))
        for i in range(n):
            row = [i + 1] + list(rng.randint(0, 5, size=11))
            if labels:
                row.append('Class_%d' % (1 + i % 3))
            w.writerow(row)


def load_data(path, train=True):
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    if train:
        X = np.array([r[1:-1] for r in rows], dtype='float32')
        labels = [r[-1] for r in rows]
        return X, labels
    X = np.array([r[1:] for r in rows], dtype='float32')
    ids = [r[0] for r in rows]
    return X, ids


class Scaler(object):
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        self.std_ = X.std(axis=0)
        self.std_[self.std_ == 0] = 1.0
        return self

    def transform(self, X):
        return (X - self.mean_) / self.std_


def preprocess_data(X, scaler=None):
    if not scaler:
        scaler = Scaler().fit(X)
    X = scaler.transform(X)
    return X, scaler


def preprocess_labels(labels, encoder=None, categorical=True):
    classes = sorted(set(labels))
    y = np.array([classes.index(l) for l in labels]).astype(np.int32)
    if categorical:
        y = np_utils.to_categorical(y)
    return y, classes


def make_submission(y_prob, ids, classes, fname):
    with open(fname, 'w') as f:
        f.write('id,')
        f.write(','.join([str(i) for i in classes]))
        f.write('\n')
        for i, probs in zip(ids, y_prob):
            probas = ','.join([i] + [str(p) for p in probs.tolist()])
            f.write(probas)
            f.write('\n')
    print("Wrote submission to file {}.".format(fname))


write_fake_otto('train.csv', 24)
write_fake_otto('test.csv', 6, labels=False)

print("Loading data...")
X, labels = load_data('train.csv', train=True)
X, scaler = preprocess_data(X)
y, encoder = preprocess_labels(labels)

X_test, ids = load_data('test.csv', train=False)
X_test, _ = preprocess_data(X_test, scaler)

nb_classes = y.shape[1]
print(nb_classes, 'classes')
dims = X.shape[1]
print(dims, 'dims')

print("Building model...")
model = Sequential()
model.add(Dense(dims, 16, init='glorot_uniform'))
model.add(PReLU((16,)))
model.add(BatchNormalization((16,)))
model.add(Dropout(0.5))

model.add(Dense(16, 16, init='glorot_uniform'))
model.add(PReLU((16,)))
model.add(BatchNormalization((16,)))
model.add(Dropout(0.5))

model.add(Dense(16, nb_classes, init='glorot_uniform'))
model.add(Activation('softmax'))

model.compile(loss='categorical_crossentropy', optimizer="adam")

print("Training model...")
model.fit(X, y, nb_epoch=1, batch_size=8, validation_split=0.15)

print("Generating submission...")
proba = model.predict_proba(X_test)
make_submission(proba, ids, encoder, fname='keras-otto.csv')
assert proba.shape == (6, nb_classes)
