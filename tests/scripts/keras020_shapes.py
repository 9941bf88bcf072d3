"""A Keras 0.2.0-style script (output-first constructors, shape inference), for --keras 0.2.0."""
from keras.layers.core import Dense
from keras.layers.recurrent import LSTM
from keras.models import Sequential

model = Sequential()
model.add(LSTM(4, input_dim=3))
model.add(Dense(2))
print(LSTM.__module__)
print(" ".join("x".join(str(d) for d in w.shape) for w in model.get_weights()))
