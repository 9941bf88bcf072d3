"""Optimizer tests and sample/class weighting tests in the manner of the Keras 0.2.0 test suite."""
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from keras.utils.test_utils import get_test_data
from keras.optimizers import SGD, RMSprop, Adagrad, Adadelta, Adam
from keras.models import Sequential, Graph
from keras.layers.core import Dense, Activation
from keras.utils.np_utils import to_categorical

(X_train, y_train), (X_test, y_test) = get_test_data(nb_train=60, nb_test=20, input_shape=(6,),
                                                     classification=True, nb_class=2)
y_train = to_categorical(y_train)
y_test = to_categorical(y_test)


def get_model(input_dim, nb_hidden, output_dim):
    model = Sequential()
    model.add(Dense(nb_hidden, input_shape=(input_dim,)))
    model.add(Activation('relu'))
    model.add(Dense(output_dim))
    model.add(Activation('softmax'))
    return model


def _test_optimizer(optimizer, target=0.8):
    model = get_model(X_train.shape[1], 8, y_train.shape[1])
    model.compile(loss='categorical_crossentropy', optimizer=optimizer)
    history = model.fit(X_train, y_train, nb_epoch=6, batch_size=16, validation_data=(X_test, y_test), show_accuracy=True, verbose=0)
    return history.history['val_acc'][-1] >= target or history.history['loss'][-1] < history.history['loss'][0]


def test_sgd():
    assert _test_optimizer(SGD(lr=0.05, momentum=0.9, decay=1e-6, nesterov=True))


def test_rmsprop():
    assert _test_optimizer(RMSprop())


def test_adagrad():
    assert _test_optimizer(Adagrad())


def test_adadelta():
    assert _test_optimizer(Adadelta())


def test_adam():
    assert _test_optimizer(Adam())


def test_string_and_clip():
    for opt in ['sgd', 'rmsprop', 'adagrad', 'adadelta', 'adam']:
        model = get_model(6, 4, 2)
        model.compile(loss='categorical_crossentropy', optimizer=opt)
        model.train_on_batch(X_train[:10], y_train[:10])
    model = get_model(6, 4, 2)
    model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.1, clipnorm=0.5))
    model.fit(X_train, y_train, nb_epoch=1, verbose=0)


# --- loss weighting ---------------------------------------------------------------------------
nb_classes = 4
(Xw, yw), _ = get_test_data(nb_train=64, nb_test=4, input_shape=(6,), classification=True, nb_class=nb_classes)
Yw = to_categorical(yw, nb_classes)
high_weight = 5
weighted_class = 2
class_weight = dict([(i, 1) for i in range(nb_classes)])
class_weight[weighted_class] = high_weight
sample_weight = np.ones((yw.shape[0])) * 1
sample_weight[yw == weighted_class] = high_weight


def test_sequential_weighting():
    for weights in [dict(class_weight=class_weight), dict(sample_weight=sample_weight)]:
        model = get_model(6, 8, nb_classes)
        model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
        model.fit(Xw, Yw, batch_size=16, nb_epoch=1, verbose=0, **weights)
        model.train_on_batch(Xw[:16], Yw[:16], **weights if 'class_weight' in weights else dict(sample_weight=sample_weight[:16]))
        score = model.evaluate(Xw, Yw, verbose=0)
        assert np.isfinite(score)


def test_weights_change_the_loss():
    model = get_model(6, 8, nb_classes)
    model.compile(loss='categorical_crossentropy', optimizer='sgd')
    w = model.get_weights()
    plain = model.test_on_batch(Xw, Yw)
    model.set_weights(w)
    loss_w = model.train_on_batch(Xw, Yw, sample_weight=2 * np.ones(len(Xw)))
    # 0.2.0 divides by the sum of the weights: a uniform weight leaves the loss as it is
    assert plain > 0 and abs(loss_w - plain) < 1e-6 * plain, (loss_w, plain)
    model.set_weights(w)
    half = np.ones(len(Xw))
    half[len(Xw) // 2:] = 0
    assert abs(model.test_on_batch(Xw, Yw, sample_weight=half) - model.test_on_batch(Xw[:len(Xw) // 2], Yw[:len(Xw) // 2])) < 1e-9


def test_graph_weighting():
    graph = Graph()
    graph.add_input(name='input', input_shape=(6,))
    graph.add_node(Dense(8), name='d1', input='input')
    graph.add_node(Dense(nb_classes, activation='softmax'), name='d2', input='d1')
    graph.add_output(name='output', input='d2')
    graph.compile('rmsprop', {'output': 'categorical_crossentropy'})
    graph.fit({'input': Xw, 'output': Yw}, batch_size=16, nb_epoch=1, verbose=0,
              class_weight={'output': class_weight})
    graph.fit({'input': Xw, 'output': Yw}, batch_size=16, nb_epoch=1, verbose=0,
              sample_weight={'output': sample_weight})


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
