"""A Keras 0.2.0 CNN script of the MNIST-example kind (output-first, input_shape=), on generated images."""
import sys

import numpy as np
from keras.layers.convolutional import Convolution2D, MaxPooling2D
from keras.layers.core import Activation, Dense, Dropout, Flatten
from keras.models import Sequential, model_from_json
from keras.optimizers import SGD
from keras.utils import np_utils

np.random.seed(1337)
X = np.random.rand(30, 1, 10, 10)
y = np_utils.to_categorical(np.random.randint(0, 3, 30), 3)

model = Sequential()
model.add(Convolution2D(6, 3, 3, border_mode='full', input_shape=(1, 10, 10)))
model.add(Activation('relu'))
model.add(Convolution2D(6, 3, 3))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(3))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.05, momentum=0.9))
model.fit(X, y, batch_size=10, nb_epoch=2, show_accuracy=True, verbose=1)

out = sys.argv[1]
model.save_weights(out + ".h5", overwrite=True)
again = model_from_json(model.to_json())
again.load_weights(out + ".h5")
W1, b1, W2, b2, W3, b3 = again.get_weights()
np.savez(out, X=X, predict=model.predict(X), reloaded=again.predict(X), W1=W1, b1=b1, W2=W2, b2=b2, W3=W3, b3=b3)
