"""Regularizer and constraint tests in the manner of the Keras 0.1.3 test suite."""
from __future__ import print_function
import numpy as np
np.random.seed(1337)
import theano

from keras.models import Sequential
from keras.layers.core import Dense, Activation, ActivityRegularization
from keras.utils import np_utils
from keras.utils.test_utils import get_test_data
from keras import regularizers
from keras import constraints
from keras.constraints import maxnorm, nonneg, identity, unitnorm

nb_classes = 4
(X_train, y_train), (X_test, y_test) = get_test_data(nb_train=30, nb_test=10, input_shape=(6,),
                                                     classification=True, nb_class=nb_classes)
Y_train = np_utils.to_categorical(y_train, nb_classes)
Y_test = np_utils.to_categorical(y_test, nb_classes)


def create_model(weight_reg=None, activity_reg=None):
    model = Sequential()
    model.add(Dense(6, 8, W_regularizer=weight_reg, activity_regularizer=activity_reg))
    model.add(Activation('relu'))
    model.add(Dense(8, nb_classes))
    model.add(Activation('softmax'))
    return model


def test_W_reg():
    for reg in [regularizers.identity(), regularizers.l1(), regularizers.l2(), regularizers.l1l2()]:
        model = create_model(weight_reg=reg)
        model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
        model.fit(X_train, Y_train, batch_size=10, nb_epoch=1, verbose=0)
        model.evaluate(X_test, Y_test, verbose=0)


def test_A_reg():
    for reg in [regularizers.activity_l1(), regularizers.activity_l2()]:
        model = create_model(activity_reg=reg)
        model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
        model.fit(X_train, Y_train, batch_size=10, nb_epoch=1, verbose=0)
        model.evaluate(X_test, Y_test, verbose=0)


def test_activity_regularization_layer():
    model = Sequential()
    model.add(Dense(6, nb_classes))
    model.add(ActivityRegularization(l1=0.01, l2=0.01))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='sgd')
    model.fit(X_train, Y_train, batch_size=10, nb_epoch=1, verbose=0)


test_values = [0.1, 0.5, 3, 8, 1e-7]
example_array = np.random.random((100, 100)) * 100. - 50.
example_array[0, 0] = 0.


def test_maxnorm():
    for m in test_values:
        norm_instance = maxnorm(m)
        normed = norm_instance(theano.shared(example_array))
        assert np.all(normed.eval() < m)
    x = np.array([[0, 0, 0], [1.0, 0, 0], [3, 0, 0], [3, 3, 3]]).T
    x_normed_target = np.array([[0, 0, 0], [1.0, 0, 0], [2.0, 0, 0], [2. / np.sqrt(3), 2. / np.sqrt(3), 2. / np.sqrt(3)]]).T
    x_normed_actual = maxnorm(2.0)(theano.shared(x)).eval()
    assert np.allclose(x_normed_actual, x_normed_target)


def test_nonneg():
    normed = nonneg()(theano.shared(example_array))
    assert np.all(np.min(normed.eval(), axis=1) == 0.)


def test_identity():
    normed = identity()(example_array)
    assert np.all(normed == example_array)
    normed = identity()(theano.shared(example_array))
    assert np.all(normed.eval() == example_array)


def test_unitnorm():
    normed = unitnorm()(theano.shared(example_array))
    norm_of_normed = np.sqrt(np.sum(normed.eval() ** 2, axis=1))
    difference = norm_of_normed - 1.
    assert np.all(np.abs(difference) < 1e-5)


def test_constraints_in_model():
    model = Sequential()
    model.add(Dense(6, 8, W_constraint=maxnorm(1), b_constraint=nonneg()))
    model.add(Dense(8, nb_classes, W_constraint=unitnorm()))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='sgd')
    model.fit(X_train, Y_train, batch_size=10, nb_epoch=1, verbose=0)
    W, b = model.layers[0].get_weights()
    assert np.all(np.sqrt((W ** 2).sum(axis=0)) <= 1 + 1e-6)
    assert np.all(b >= 0)
    W2 = model.layers[1].get_weights()[0]
    assert np.allclose(np.sqrt((W2 ** 2).sum(axis=1)), 1.0)
    assert constraints.get('maxnorm').__class__.__name__ == 'MaxNorm'


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
