"""Recurrent-layer tests in the manner of the Keras 0.1.3 test suite (layer.input = theano.shared)."""
from __future__ import print_function
import numpy as np
import theano

from keras.layers import recurrent

nb_samples, timesteps, input_dim, output_dim = 3, 3, 10, 2


def _runner(layer_class):
    for ret_seq in [True, False]:
        layer = layer_class(input_dim, output_dim, return_sequences=ret_seq, weights=None, truncate_gradient=-1)
        layer.input = theano.shared(value=np.ones((nb_samples, timesteps, input_dim)))
        config = layer.get_config()
        assert config['name'] == layer_class.__name__
        assert config['output_dim'] == output_dim
        for train in [True, False]:
            out = layer.get_output(train).eval()
            if ret_seq:
                assert out.shape == (nb_samples, timesteps, output_dim)
            else:
                assert out.shape == (nb_samples, output_dim)
            mask = layer.get_output_mask(train)
        weights = layer.get_weights()
        layer.set_weights(weights)
        assert all(np.all(a == b) for a, b in zip(weights, layer.get_weights()))
        params = layer.get_params()
        assert len(params[0]) == len(weights)


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


def test_weights_passed():
    layer = recurrent.SimpleRNN(input_dim, 5, weights=[np.ones((input_dim, 5))])
    assert np.all(layer.get_weights()[0] == 1.0)
    layer.input = theano.shared(value=np.ones((nb_samples, timesteps, input_dim)))
    out = layer.get_output(False).eval()
    assert out.shape == (nb_samples, 5)
    full = recurrent.GRU(input_dim, 4)
    w = [np.full(p.shape, 0.1) for p in full.get_weights()]
    layer = recurrent.GRU(input_dim, 4, weights=w)
    assert all(np.allclose(a, 0.1) for a in layer.get_weights())


if __name__ == '__main__':
    test_simple()
    test_simple_deep()
    test_gru()
    test_lstm()
    test_jzs()
    test_weights_passed()
    print('Tests passed')
