"""Container tests in the manner of the Keras 0.2.0 test suite: nesting, recursion, masking loss, constraints."""
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from keras.models import Sequential, Graph
from keras.layers.core import Dense, Activation, Merge, Flatten, Masking, TimeDistributedDense
from keras.layers.embeddings import Embedding
from keras.constraints import unitnorm
from keras.utils.test_utils import get_test_data

(X_train, y_train), (X_test, y_test) = get_test_data(nb_train=30, nb_test=10, input_shape=(6,),
                                                     classification=False, output_shape=(2,))


def test_nested_sequential():
    inner = Sequential()
    inner.add(Dense(4, input_shape=(6,)))
    inner.add(Activation('relu'))
    middle = Sequential()
    middle.add(inner)
    middle.add(Dense(3))
    model = Sequential()
    model.add(middle)
    model.add(Dense(2))
    model.compile(loss='mse', optimizer='rmsprop')
    model.fit(X_train, y_train, nb_epoch=1, batch_size=10, verbose=0)
    assert model.predict(X_test).shape == (10, 2)
    assert model.output_shape == (None, 2)


def test_merge_overlap_and_recursivity():
    left = Sequential()
    left.add(Dense(4, input_shape=(6,)))
    model = Sequential()
    model.add(Merge([left, left], mode='sum'))
    model.add(Dense(2))
    model.compile(loss='mse', optimizer='rmsprop')
    model.fit(X_train, y_train, nb_epoch=1, batch_size=10, verbose=0)
    out = model.predict(X_test)
    righter = Sequential()
    righter.add(Dense(4, input_shape=(6,)))
    right = Sequential()
    right.add(Dense(4, input_shape=(6,)))
    intermediate = Sequential()
    intermediate.add(Merge([right, righter], mode='sum'))
    intermediate.add(Dense(4))
    model = Sequential()
    model.add(Merge([left, intermediate], mode='sum'))
    model.add(Dense(2))
    model.compile(loss='mse', optimizer='rmsprop')
    model.fit([X_train, X_train, X_train], y_train, nb_epoch=1, batch_size=10, verbose=0)
    assert model.predict([X_test, X_test, X_test]).shape == (10, 2)


def test_graph_in_sequential_and_sequential_in_graph():
    seq = Sequential()
    seq.add(Dense(4, input_shape=(6,)))
    graph = Graph()
    graph.add_input(name='input1', input_shape=(6,))
    graph.add_node(seq, name='seq', input='input1')
    graph.add_node(Dense(2), name='dense', input='seq', create_output=True)
    graph.compile('rmsprop', {'dense': 'mse'})
    graph.fit({'input1': X_train, 'dense': y_train}, nb_epoch=1, verbose=0)
    assert graph.predict({'input1': X_test})['dense'].shape == (10, 2)

    inner = Graph()
    inner.add_input(name='input1', input_shape=(4,))
    inner.add_node(Dense(3), name='d', input='input1')
    inner.add_output(name='output1', input='d')
    model = Sequential()
    model.add(Dense(4, input_shape=(6,)))
    model.add(inner)
    model.add(Dense(2))
    model.compile(loss='mse', optimizer='rmsprop')
    model.fit(X_train, y_train, nb_epoch=1, batch_size=10, verbose=0)
    assert model.predict(X_test).shape == (10, 2)


def test_masking_loss():
    X = np.array([[[1], [1]], [[0], [0]]])
    model = Sequential()
    model.add(Masking(mask_value=0, input_shape=(2, 1)))
    model.add(TimeDistributedDense(1, init='one'))
    model.compile(loss='mse', optimizer='sgd')
    y = model.predict(X)
    history = model.fit(X, 4 * y, nb_epoch=1, batch_size=2, verbose=1)
    # squared errors (1 - 4)**2 on both steps of the first sample, the second sample masked:
    # 0.x divides the sum over ALL steps by the number of unmasked steps: (9 + 9 + 0 + 0) / 2
    assert np.allclose(y.ravel(), [1, 1, 0, 0])
    assert history.history['loss'][0] == 9.0, history.history['loss']


def test_embedding_unitnorm_constraint():
    lookup = Sequential()
    lookup.add(Embedding(3, 2, weights=[np.array([[0.1, 1.0], [1.0, 0.5], [-0.3, 0.2]])], W_constraint=unitnorm(), input_length=1))
    lookup.add(Flatten())
    lookup.add(Dense(1))
    lookup.add(Activation('sigmoid'))
    lookup.compile(loss='binary_crossentropy', optimizer='sgd', class_mode='binary')
    lookup.train_on_batch(np.array([[1], [2]], dtype='int32'), np.array([[1], [0]], dtype='int32'))
    norm = np.linalg.norm(lookup.params[0].get_value(), axis=1)
    assert np.allclose(norm, np.ones_like(norm))


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
