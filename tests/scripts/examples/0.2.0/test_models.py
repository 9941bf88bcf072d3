"""Model tests in the manner of the Keras 0.2.0 test suite: Sequential, Merge, Graph (input_shape=), weights."""
from __future__ import print_function
import os
import tempfile
import numpy as np
np.random.seed(1337)

from keras.models import Sequential, Graph, model_from_json, model_from_yaml
from keras.models import slice_X, make_batches, standardize_y, batch_shuffle
from keras.layers.core import Dense, Activation, Merge, Dropout
from keras.utils import np_utils
from keras.utils.test_utils import get_test_data
from keras.utils.layer_utils import print_layer_shapes

input_dim = 8
nb_hidden = 6
nb_class = 3
batch_size = 8
nb_epoch = 1
(X_train, y_train), (X_test, y_test) = get_test_data(nb_train=40, nb_test=20, input_shape=(input_dim,),
                                                     classification=True, nb_class=nb_class)
y_train = np_utils.to_categorical(y_train)
y_test = np_utils.to_categorical(y_test)
tmp = tempfile.mkdtemp()


def test_sequential():
    model = Sequential()
    model.add(Dense(nb_hidden, input_shape=(input_dim,)))
    model.add(Activation('relu'))
    model.add(Dense(nb_class))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=nb_epoch, show_accuracy=True, verbose=1, validation_data=(X_test, y_test))
    model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=nb_epoch, show_accuracy=False, verbose=2, validation_split=0.1)
    model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=nb_epoch, verbose=0, shuffle=False)
    model.train_on_batch(X_train[:32], y_train[:32])
    loss = model.evaluate(X_test, y_test, verbose=0)
    print_layer_shapes(model, input_shapes=(2, input_dim))
    model.predict_on_batch(X_test)
    classes = model.predict_classes(X_test, verbose=0)
    probas = model.predict_proba(X_test, verbose=0)
    assert np.all(classes == probas.argmax(axis=-1))
    fname = os.path.join(tmp, 'test_sequential_temp.h5')
    model.save_weights(fname, overwrite=True)
    model2 = model_from_json(model.to_json())
    model2.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    model2.load_weights(fname)
    assert model2.evaluate(X_test, y_test, verbose=0) == loss
    model3 = model_from_yaml(model.to_yaml())
    assert model3.layers[0].output_shape == (None, nb_hidden)
    assert model.count_params() == (input_dim + 1) * nb_hidden + (nb_hidden + 1) * nb_class
    assert model.output_shape == (None, nb_class)


def test_merge():
    for mode, out_dim in [('sum', nb_hidden), ('concat', 2 * nb_hidden), ('mul', nb_hidden), ('ave', nb_hidden)]:
        left = Sequential()
        left.add(Dense(nb_hidden, input_shape=(input_dim,)))
        left.add(Activation('relu'))
        right = Sequential()
        right.add(Dense(nb_hidden, input_shape=(input_dim,)))
        right.add(Activation('relu'))
        model = Sequential()
        model.add(Merge([left, right], mode=mode))
        assert model.output_shape == (None, out_dim)
        model.add(Dense(nb_class))
        model.add(Activation('softmax'))
        model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
        model.fit([X_train, X_train], y_train, batch_size=batch_size, nb_epoch=nb_epoch, show_accuracy=True, verbose=0, validation_data=([X_test, X_test], y_test))
        loss = model.evaluate([X_test, X_test], y_test, verbose=0)
        fname = os.path.join(tmp, 'test_merge_temp.h5')
        model.save_weights(fname, overwrite=True)
        model.load_weights(fname)
        assert model.evaluate([X_test, X_test], y_test, verbose=0) == loss


def test_graph_1_in_2_out_and_2_in_1_out():
    graph = Graph()
    graph.add_input(name='input1', input_shape=(input_dim,))
    graph.add_node(Dense(4), name='dense1', input='input1')
    graph.add_node(Dense(4), name='dense2', input='input1')
    graph.add_node(Dense(1), name='dense3', input='dense1')
    graph.add_output(name='output1', input='dense2')
    graph.add_output(name='output2', input='dense3')
    graph.compile('rmsprop', {'output1': 'mse', 'output2': 'mse'})
    y1 = np.random.random((40, 4))
    y2 = np.random.random((40, 1))
    history = graph.fit({'input1': X_train, 'output1': y1, 'output2': y2}, nb_epoch=2, verbose=0)
    assert len(history.history['loss']) == 2 and 'val_loss' not in history.history
    out = graph.predict({'input1': X_test})
    assert out['output1'].shape == (20, 4) and out['output2'].shape == (20, 1)
    loss = graph.evaluate({'input1': X_test, 'output1': y1[:20], 'output2': y2[:20]})
    graph.save_weights(os.path.join(tmp, 'graph.h5'), overwrite=True)
    graph2 = model_from_json(graph.to_json())
    graph2.compile('rmsprop', {'output1': 'mse', 'output2': 'mse'})
    graph2.load_weights(os.path.join(tmp, 'graph.h5'))
    assert graph2.evaluate({'input1': X_test, 'output1': y1[:20], 'output2': y2[:20]}) == loss

    graph = Graph()
    graph.add_input(name='input1', input_shape=(input_dim,))
    graph.add_input(name='input2', input_shape=(input_dim,))
    graph.add_node(Dense(4), name='dense1', input='input1')
    graph.add_node(Dense(4), name='dense2', input='input2')
    graph.add_node(Dense(1), name='dense3', inputs=['dense1', 'dense2'], merge_mode='concat')
    graph.add_node(Dense(1), name='dense4', inputs=['dense1', 'dense2'], merge_mode='sum')
    graph.add_output(name='output1', inputs=['dense3', 'dense4'], merge_mode='sum')
    graph.compile('rmsprop', {'output1': 'mse'})
    graph.fit({'input1': X_train, 'input2': X_train, 'output1': y2}, nb_epoch=1, validation_split=0.2, verbose=0)
    graph.fit({'input1': X_train, 'input2': X_train, 'output1': y2}, nb_epoch=1,
              validation_data={'input1': X_test, 'input2': X_test, 'output1': y2[:20]}, verbose=0)
    loss = graph.train_on_batch({'input1': X_test, 'input2': X_test, 'output1': y2[:20]})
    loss = graph.test_on_batch({'input1': X_test, 'input2': X_test, 'output1': y2[:20]})
    out = graph.predict_on_batch({'input1': X_test, 'input2': X_test})
    assert graph.output_shape == (None, 1)
    assert graph.count_params() == 2 * (input_dim + 1) * 4 + (8 + 1) + (4 + 1)


def test_helpers():
    assert make_batches(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert np.all(slice_X([X_train, X_train], 0, 3)[1] == X_train[:3])
    assert np.all(slice_X(X_train, [1, 2]) == X_train[[1, 2]])
    assert standardize_y(np.array([1, 2])).shape == (2, 1)
    assert sorted(batch_shuffle(np.arange(8), 4).tolist()) == list(range(8))


if __name__ == '__main__':
    test_sequential()
    test_merge()
    test_graph_1_in_2_out_and_2_in_1_out()
    test_helpers()
    print('Tests passed')
