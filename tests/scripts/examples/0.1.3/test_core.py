"""Core/embedding/noise/normalization layer tests in the manner of the Keras 0.1.3 test suite."""
from __future__ import print_function
import numpy as np
import theano

from keras.layers import core, embeddings, noise, normalization, advanced_activations

input_shape = (3, 4)
ones = np.ones(input_shape)


def _runner(layer, input_value=ones, check_identity=False):
    assert isinstance(layer, core.Layer)
    conf = layer.get_config()
    assert type(conf) == dict and conf['name'] == layer.__class__.__name__
    params = layer.get_params()
    assert hasattr(params, '__iter__')
    layer.input = theano.shared(value=input_value)
    outs = []
    for train in [True, False]:
        out = layer.get_output(train).eval()
        assert np.all(np.isfinite(out))
        outs.append(out)
    if check_identity:
        assert np.allclose(outs[1], input_value)
    weights = layer.get_weights()
    layer.set_weights(weights)
    return outs


def test_input_output():
    layer = core.Layer()
    layer.input = theano.shared(value=ones)
    for train in [True, False]:
        assert np.all(layer.get_output(train).eval() == ones)


def test_connections():
    layer1 = core.Layer()
    layer2 = core.Layer()
    layer2.set_previous(layer1)
    layer1.input = theano.shared(value=ones)
    assert np.all(layer2.get_output().eval() == ones)
    assert layer2.get_input() is not None


def test_base():
    _runner(core.Layer(), check_identity=True)


def test_masked():
    _runner(core.MaskedLayer(), check_identity=True)


def test_masking():
    layer = core.Masking(mask_value=0.)
    X = np.ones((2, 3, 4))
    X[:, 0] = 0
    layer.input = theano.shared(value=X)
    mask = layer.get_output_mask(False).eval()
    assert mask.tolist() == [[0, 1, 1], [0, 1, 1]]
    _runner(core.Masking(), input_value=X)


def test_dropout():
    out_train, out_test = _runner(core.Dropout(0.5))
    assert set(np.unique(out_train)) <= {0.0, 1.0}   # 0.1.3 drops at training time
    assert np.allclose(out_test, 0.5)                # and scales by the retain probability at test time


def test_activation():
    for name in ['linear', 'relu', 'tanh', 'sigmoid', 'softmax', 'hard_sigmoid', 'softplus']:
        _runner(core.Activation(name))
    out = _runner(core.Activation('linear'), check_identity=True)


def test_reshape():
    out = _runner(core.Reshape(2, 2))
    assert out[1].shape == (3, 2, 2)


def test_permute():
    layer = core.Permute((2, 1))
    layer.input = theano.shared(value=np.ones((2, 3, 4)))
    assert layer.get_output().eval().shape == (2, 4, 3)
    assert layer.get_config()['dims'] == (2, 1)


def test_flatten():
    layer = core.Flatten()
    layer.input = theano.shared(value=np.ones((2, 3, 4)))
    assert layer.get_output().eval().shape == (2, 12)


def test_repeat_vector():
    out = _runner(core.RepeatVector(5))
    assert out[1].shape == (3, 5, 4)


def test_dense():
    layer = core.Dense(4, 2)
    out = _runner(layer)
    W, b = layer.get_weights()
    assert np.allclose(out[1], ones.dot(W) + b)
    layer.set_weights([np.ones((4, 2)), np.zeros(2)])
    assert np.allclose(layer.get_output().eval(), 4.0)


def test_act_reg():
    _runner(core.ActivityRegularization(0.5, 0.5), check_identity=True)


def test_time_dist_dense():
    layer = core.TimeDistributedDense(4, 2)
    out = _runner(layer, input_value=np.ones((2, 3, 4)))
    assert out[1].shape == (2, 3, 2)


def test_maxout_dense():
    out = _runner(core.MaxoutDense(4, 2, nb_feature=3))
    assert out[1].shape == (3, 2)


def test_autoencoder():
    enc = core.Dense(4, 2)
    dec = core.Dense(2, 4)
    layer = core.AutoEncoder(encoder=enc, decoder=dec, output_reconstruction=True)
    source = core.Layer()
    source.input = theano.shared(value=ones)
    layer.set_previous(source)   # AutoEncoder.input is read-only (the encoder's input)
    for train in [True, False]:
        assert layer.get_output(train).eval().shape == (3, 4)
    assert layer.get_config()['name'] == 'AutoEncoder'
    layer.set_weights(layer.get_weights())


def test_noise():
    out = _runner(noise.GaussianNoise(0.5), check_identity=True)
    out = _runner(noise.GaussianDropout(0.5), check_identity=True)


def test_embedding():
    layer = embeddings.Embedding(10, 3, mask_zero=True)
    X = np.array([[1, 2, 0], [3, 0, 0]], dtype='int32')
    out = _runner(layer, input_value=X)
    W = layer.get_weights()[0]
    assert np.allclose(out[1], W[X])
    layer.input = theano.shared(value=X)
    assert layer.get_output_mask().eval().tolist() == [[1, 1, 0], [1, 0, 0]]
    wcp = embeddings.WordContextProduct(10, proj_dim=3)
    out = _runner(wcp, input_value=np.array([[1, 2], [3, 4]], dtype='int32'))
    assert out[1].shape == (2, 1)


def test_advanced_activations():
    _runner(advanced_activations.LeakyReLU(alpha=0.3))
    _runner(advanced_activations.PReLU(input_shape[1:]))
    _runner(advanced_activations.ParametricSoftplus(input_shape[1:]))
    _runner(advanced_activations.ThresholdedLinear(theta=0.5))
    _runner(advanced_activations.ThresholdedReLu(theta=0.5))


def test_batchnorm():
    for mode in [0, 1]:
        layer = normalization.BatchNormalization(input_shape[1:], mode=mode)
        X = np.random.RandomState(0).normal(size=input_shape)
        out_train, out_test = _runner(layer, input_value=X)
        conf = layer.get_config()
        assert conf['mode'] == mode and conf['epsilon'] == 1e-6
    layer = normalization.BatchNormalization((10, 10), mode=3)   # constructed; fails only when built


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
