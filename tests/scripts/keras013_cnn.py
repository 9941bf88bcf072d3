"""A Keras 0.1.3 CNN script of the MNIST-example kind (input-first constructors), on generated images."""
import sys

import numpy as np
from keras.layers.convolutional import Convolution2D, MaxPooling2D
from keras.layers.core import Activation, Dense, Dropout, Flatten
from keras.models import Sequential
from keras.optimizers import SGD
from keras.utils import np_utils

np.random.seed(1337)
X = np.random.rand(30, 1, 10, 10)
y = np_utils.to_categorical(np.random.randint(0, 3, 30), 3)

model = Sequential()
model.add(Convolution2D(6, 1, 3, 3, border_mode='full'))
model.add(Activation('relu'))
model.add(Convolution2D(6, 6, 3, 3))
model.add(Activation('relu'))
model.add(MaxPooling2D(poolsize=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(6 * 5 * 5, 3))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.05, momentum=0.9))
model.fit(X, y, batch_size=10, nb_epoch=2, show_accuracy=True, verbose=1)

out = sys.argv[1]
model.save_weights(out + ".h5", overwrite=True)
again = Sequential()  # 0.1.3 scripts rebuilt the model in code (to_json() raised after compile)
for layer in [Convolution2D(6, 1, 3, 3, border_mode='full'), Activation('relu'), Convolution2D(6, 6, 3, 3),
              Activation('relu'), MaxPooling2D(poolsize=(2, 2)), Dropout(0.25), Flatten(),
              Dense(6 * 5 * 5, 3), Activation('softmax')]:
    again.add(layer)
again.compile(loss='categorical_crossentropy', optimizer='sgd')
again.load_weights(out + ".h5")
W1, b1, W2, b2, W3, b3 = again.get_weights()
np.savez(out, X=X, predict=model.predict(X), reloaded=again.predict(X), W1=W1, b1=b1, W2=W2, b2=b2, W3=W3, b3=b3)
