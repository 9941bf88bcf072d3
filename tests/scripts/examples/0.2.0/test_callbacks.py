"""Callback tests in the manner of the Keras 0.2.0 test suite."""
from __future__ import print_function
import os
import tempfile
import numpy as np
np.random.seed(1337)

from keras import callbacks
from keras.models import Sequential
from keras.layers.core import Dense, Activation
from keras.utils.test_utils import get_test_data
from keras.utils import np_utils

(X_train, y_train), (X_test, y_test) = get_test_data(nb_train=40, nb_test=10, input_shape=(5,),
                                                     classification=True, nb_class=3)
y_test = np_utils.to_categorical(y_test)
y_train = np_utils.to_categorical(y_train)
tmp = tempfile.mkdtemp()


def build():
    model = Sequential()
    model.add(Dense(6, input_shape=(5,)))
    model.add(Activation('relu'))
    model.add(Dense(3))
    model.add(Activation('softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop')
    return model


def test_history():
    model = build()
    hist = model.fit(X_train, y_train, batch_size=10, nb_epoch=3, verbose=0, validation_data=(X_test, y_test), show_accuracy=True)
    assert isinstance(hist, callbacks.History)
    assert hist.epoch == [0, 1, 2]
    for key in ['loss', 'acc', 'val_loss', 'val_acc']:
        assert len(hist.history[key]) == 3


def test_model_checkpoint():
    model = build()
    filepath = os.path.join(tmp, 'checkpoint.h5')
    cbks = [callbacks.ModelCheckpoint(filepath, monitor='val_loss', save_best_only=True, verbose=1),
            callbacks.ModelCheckpoint(filepath + '.all', save_best_only=False)]
    model.fit(X_train, y_train, batch_size=10, nb_epoch=2, verbose=0, validation_data=(X_test, y_test), callbacks=cbks)
    assert os.path.exists(filepath) and os.path.exists(filepath + '.all')
    model2 = build()
    model2.load_weights(filepath + '.all')
    assert np.allclose(model2.predict(X_test), model.predict(X_test))


def test_early_stopping():
    model = build()
    cbk = callbacks.EarlyStopping(monitor='val_loss', patience=0, verbose=1)
    hist = model.fit(X_train, y_train, batch_size=10, nb_epoch=4, verbose=0, validation_split=0.2, callbacks=[cbk])
    assert 1 <= len(hist.epoch) <= 4


def test_custom_callback_and_lr_scheduler():
    class LossHistory(callbacks.Callback):
        def on_train_begin(self, logs={}):
            self.losses = []

        def on_batch_end(self, batch, logs={}):
            self.losses.append(logs.get('loss'))

    model = build()
    history = LossHistory()
    sched = callbacks.LearningRateScheduler(lambda epoch: 0.01 / (epoch + 1))
    model.fit(X_train, y_train, batch_size=10, nb_epoch=2, verbose=0, callbacks=[history, sched])
    assert len(history.losses) == 8
    assert abs(float(model.optimizer.lr.get_value()) - 0.005) < 1e-7


def test_remote_monitor_without_server():
    model = build()
    cbk = callbacks.RemoteMonitor(root='http://localhost:9')
    try:
        model.fit(X_train, y_train, batch_size=10, nb_epoch=1, verbose=0, callbacks=[cbk])
    except Exception as e:   # 0.1.3 let the connection error through
        print('RemoteMonitor:', type(e).__name__)


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
