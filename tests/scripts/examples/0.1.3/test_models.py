"""Model tests in the manner of the Keras 0.1.3 test suite: Sequential, Merge, Graph, weights on disk."""
from __future__ import print_function
import os
import tempfile
import numpy as np
np.random.seed(1337)

from keras.models import Sequential, Graph, model_from_json, model_from_yaml
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
    model.add(Dense(input_dim, nb_hidden))
    model.add(Activation('relu'))
    model.add(Dense(nb_hidden, nb_class))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=nb_epoch, show_accuracy=True, verbose=1, validation_data=(X_test, y_test))
    model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=nb_epoch, show_accuracy=False, verbose=2, validation_split=0.1)
    model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=nb_epoch, verbose=0, shuffle=False)
    model.train_on_batch(X_train[:32], y_train[:32])
    loss = model.evaluate(X_test, y_test, verbose=0)
    print_layer_shapes(model, input_shapes=(2, input_dim))
    classes = model.predict_classes(X_test, verbose=0)
    probas = model.predict_proba(X_test, verbose=0)
    assert classes.shape == (20,) and probas.shape == (20, nb_class)
    assert np.all(classes == probas.argmax(axis=-1))
    fname = os.path.join(tmp, 'test_sequential_temp.h5')
    model.save_weights(fname, overwrite=True)
    model.save_weights(fname, overwrite=True)
    model2 = Sequential()
    model2.add(Dense(input_dim, nb_hidden))
    model2.add(Activation('relu'))
    model2.add(Dense(nb_hidden, nb_class))
    model2.add(Activation('softmax'))
    model2.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    model2.load_weights(fname)
    nloss = model2.evaluate(X_test, y_test, verbose=0)
    assert loss == nloss
    model3 = model_from_json(model.to_json())
    model3.set_weights(model.get_weights())
    assert np.allclose(model3.predict(X_test), probas)
    model4 = model_from_yaml(model.to_yaml())
    assert len(model4.layers) == 4


def test_merge_sum():
    left = Sequential()
    left.add(Dense(input_dim, nb_hidden))
    left.add(Activation('relu'))
    right = Sequential()
    right.add(Dense(input_dim, nb_hidden))
    right.add(Activation('relu'))
    model = Sequential()
    model.add(Merge([left, right], mode='sum'))
    model.add(Dense(nb_hidden, nb_class))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    model.fit([X_train, X_train], y_train, batch_size=batch_size, nb_epoch=nb_epoch, show_accuracy=True, verbose=0, validation_data=([X_test, X_test], y_test))
    model.fit([X_train, X_train], y_train, batch_size=batch_size, nb_epoch=nb_epoch, verbose=0, validation_split=0.1)
    loss = model.evaluate([X_train, X_train], y_train, verbose=0)
    model.predict([X_test, X_test], verbose=0)
    model.predict_classes([X_test, X_test], verbose=0)
    fname = os.path.join(tmp, 'test_merge_sum_temp.h5')
    model.save_weights(fname, overwrite=True)
    model.load_weights(fname)
    nloss = model.evaluate([X_train, X_train], y_train, verbose=0)
    assert loss == nloss


def test_merge_concat():
    left = Sequential()
    left.add(Dense(input_dim, nb_hidden))
    right = Sequential()
    right.add(Dense(input_dim, nb_hidden))
    model = Sequential()
    model.add(Merge([left, right], mode='concat'))
    model.add(Dense(nb_hidden * 2, nb_class))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    model.fit([X_train, X_train], y_train, batch_size=batch_size, nb_epoch=nb_epoch, verbose=0)
    out = model.predict([X_test, X_test])
    assert out.shape == (20, nb_class)
    config = model.get_config(verbose=0)
    assert config['layers'][0]['name'] == 'Merge'


def test_graph():
    graph = Graph()
    graph.add_input(name='input1', ndim=2)
    graph.add_input(name='input2', ndim=2)
    graph.add_node(Dense(input_dim, 4), name='dense1', input='input1')
    graph.add_node(Dense(input_dim, 4), name='dense2', input='input2')
    graph.add_node(Dense(4, 1), name='dense3', input='dense1')
    graph.add_node(Dense(8, 1), name='dense4', inputs=['dense1', 'dense2'], merge_mode='concat')
    graph.add_output(name='output1', input='dense3')
    graph.add_output(name='output2', inputs=['dense3', 'dense4'], merge_mode='sum')
    graph.compile('rmsprop', {'output1': 'mse', 'output2': 'mse'})
    y1 = np.random.random((40, 1))
    y2 = np.random.random((40, 1))
    history = graph.fit({'input1': X_train, 'input2': X_train, 'output1': y1, 'output2': y2}, nb_epoch=2, batch_size=16, verbose=0)
    assert len(history.history['loss']) == 2
    out = graph.predict({'input1': X_test, 'input2': X_test})
    assert type(out) == dict and out['output1'].shape == (20, 1) and out['output2'].shape == (20, 1)
    loss = graph.test_on_batch({'input1': X_test, 'input2': X_test, 'output1': y1[:20], 'output2': y2[:20]})
    graph.train_on_batch({'input1': X_test, 'input2': X_test, 'output1': y1[:20], 'output2': y2[:20]})
    loss = graph.evaluate({'input1': X_test, 'input2': X_test, 'output1': y1[:20], 'output2': y2[:20]})
    fname = os.path.join(tmp, 'test_graph_temp.h5')
    graph.save_weights(fname, overwrite=True)
    graph.load_weights(fname)
    assert graph.evaluate({'input1': X_test, 'input2': X_test, 'output1': y1[:20], 'output2': y2[:20]}) == loss
    out = graph.predict({'input1': X_test, 'input2': X_test})
    graph2 = model_from_json(graph.to_json())
    graph2.set_weights(graph.get_weights())
    graph2.compile('rmsprop', {'output1': 'mse', 'output2': 'mse'})
    out2 = graph2.predict({'input1': X_test, 'input2': X_test})
    assert np.allclose(out2['output2'], out['output2'])


if __name__ == '__main__':
    test_sequential()
    test_merge_sum()
    test_merge_concat()
    test_graph()
    print('Tests passed')
