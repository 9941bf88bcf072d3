"""Recurrent-layer tests in the manner of the Keras 0.2.0 test suite (output-first, input_shape=)."""
from __future__ import print_function
import numpy as np
import theano

from keras.layers import recurrent
from keras import regularizers

nb_samples, timesteps, input_dim, output_dim = 3, 3, 10, 2


def _runner(layer_class):
    for ret_seq in [True, False]:
        layer = layer_class(output_dim, return_sequences=ret_seq, weights=None, input_shape=(timesteps, input_dim))
        layer.input = theano.shared(value=np.ones((nb_samples, timesteps, input_dim)))
        config = layer.get_config()
        assert config['name'] == layer_class.__name__ and config['input_shape'] == (timesteps, input_dim)
        for train in [True, False]:
            out = layer.get_output(train).eval()
            if ret_seq:
                assert out.shape == (nb_samples, timesteps, output_dim)
                assert layer.output_shape == (None, timesteps, output_dim)
            else:
                assert out.shape == (nb_samples, output_dim)
                assert layer.output_shape == (None, output_dim)
            mask = layer.get_output_mask(train)
        weights = layer.get_weights()
        layer.set_weights(weights)
        assert layer.count_params() == sum(w.size for w in weights)
    layer = layer_class(output_dim, input_dim=input_dim, input_length=timesteps)
    assert layer.input_shape == (None, timesteps, input_dim)


def test_simple():
    _runner(recurrent.SimpleRNN)


def test_simple_deep():
    _runner(recurrent.SimpleDeepRNN)


def test_gru():
    _runner(recurrent.GRU)


def test_lstm():
    _runner(recurrent.LSTM)


def test_jzs():
    _runner(recurrent.JZS1)
    _runner(recurrent.JZS2)
    _runner(recurrent.JZS3)


def test_from_config():
    layer = recurrent.LSTM(output_dim, input_shape=(timesteps, input_dim), return_sequences=True)
    config = layer.get_config()
    name = config.pop('name')
    clone = recurrent.LSTM(**config)
    assert clone.output_shape == layer.output_shape


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
