"""Shape-inference tests in the manner of the Keras 0.2.0 test suite: output_shape vs the real output."""
from __future__ import print_function
import numpy as np
import theano

from keras.utils.theano_utils import ndim_tensor
from keras.layers.core import *
from keras.layers.recurrent import SimpleRNN, LSTM, GRU, JZS1
from keras.layers.embeddings import Embedding
from keras.layers.normalization import BatchNormalization
from keras.layers.noise import GaussianNoise
from keras.layers.advanced_activations import PReLU


def check_layer_output_shape(layer, input_data):
    ndim = len(input_data.shape)
    layer.input = ndim_tensor(ndim)
    layer.set_input_shape(input_data.shape[1:])
    expected_output_shape = layer.output_shape[1:]
    function = theano.function([layer.input], [layer.get_output()])
    output = function(input_data)[0]
    assert output.shape[1:] == expected_output_shape, (layer, output.shape, expected_output_shape)


def test_Reshape():
    input_data = np.random.random((2, 6))
    for dims in [(2, 3), (3, 2), (6,), (1, 6)]:
        check_layer_output_shape(Reshape(dims=dims), input_data)


def test_Permute():
    check_layer_output_shape(Permute(dims=(2, 3, 1)), np.random.random((2, 2, 3, 4)))


def test_Flatten():
    check_layer_output_shape(Flatten(), np.random.random((2, 2, 3)))
    layer = Flatten()
    layer.set_input_shape((2, 3))
    assert layer.output_shape == (None, 6)


def test_RepeatVector():
    check_layer_output_shape(RepeatVector(3), np.random.random((2, 4)))


def test_Dense():
    check_layer_output_shape(Dense(3), np.random.random((2, 4)))
    check_layer_output_shape(MaxoutDense(3), np.random.random((2, 4)))


def test_TimeDistributed():
    check_layer_output_shape(TimeDistributedDense(3), np.random.random((2, 5, 4)))
    check_layer_output_shape(TimeDistributedMerge(), np.random.random((2, 5, 4)))


def test_elementwise():
    for layer in [Dropout(0.5), Activation('tanh'), GaussianNoise(0.1), BatchNormalization(), PReLU(), ActivityRegularization()]:
        check_layer_output_shape(layer, np.random.random((2, 4)))


def test_recurrent():
    for cls in [SimpleRNN, LSTM, GRU, JZS1]:
        check_layer_output_shape(cls(3), np.random.random((2, 5, 4)))
        check_layer_output_shape(cls(3, return_sequences=True), np.random.random((2, 5, 4)))


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
