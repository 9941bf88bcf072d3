"""Core-layer tests in the manner of the Keras 0.2.0 test suite (output-first constructors)."""
from __future__ import print_function
import numpy as np
import theano

from keras.layers import core, embeddings, noise, normalization, advanced_activations

input_shape = (3, 4)
ones = np.ones(input_shape)


def _runner(layer, input_value=ones):
    assert isinstance(layer, core.Layer)
    layer.build()
    conf = layer.get_config()
    assert type(conf) == dict and conf['name'] == layer.__class__.__name__
    param = layer.get_params()
    assert hasattr(param, '__iter__')
    layer.input = theano.shared(value=input_value)
    outs = [layer.get_output(train).eval() for train in [True, False]]
    layer.set_weights(layer.get_weights())
    return outs


def test_base():
    layer = core.Layer()
    layer.input = theano.shared(value=ones)
    assert np.all(layer.get_output().eval() == ones)
    layer = core.Layer(input_shape=(4,))
    assert layer.input_shape == (None, 4) and layer.output_shape == (None, 4)


def test_dense():
    layer = core.Dense(2, input_shape=(4,))
    out = _runner(layer)
    W, b = layer.get_weights()
    assert np.allclose(out[1], ones.dot(W) + b)
    assert layer.get_config()['output_dim'] == 2
    unbuilt = core.Dense(5)
    assert unbuilt.get_config()['output_dim'] == 5
    layer = core.Dense(2, input_dim=4)
    assert layer.input_shape == (None, 4)


def test_others():
    outs = _runner(core.Dropout(0.5, input_shape=(4,)))
    assert np.allclose(outs[1], 0.5)   # not inverted: the test-time output is scaled by 1 - p
    _runner(core.Activation('relu', input_shape=(4,)))
    _runner(core.ActivityRegularization(0.1, 0.1))
    outs = _runner(core.Reshape((2, 2), input_shape=(4,)))
    assert outs[1].shape == (3, 2, 2)
    outs = _runner(core.RepeatVector(5, input_shape=(4,)))
    assert outs[1].shape == (3, 5, 4)
    outs = _runner(core.MaxoutDense(2, nb_feature=3, input_shape=(4,)))
    assert outs[1].shape == (3, 2)
    outs = _runner(core.TimeDistributedDense(2, input_shape=(5, 4)), input_value=np.ones((2, 5, 4)))
    assert outs[1].shape == (2, 5, 2)
    outs = _runner(core.Permute((2, 1), input_shape=(5, 4)), input_value=np.ones((2, 5, 4)))
    assert outs[1].shape == (2, 4, 5)
    outs = _runner(core.Flatten(input_shape=(5, 4)), input_value=np.ones((2, 5, 4)))
    assert outs[1].shape == (2, 20)
    for mode, expected in [('sum', 5.0), ('ave', 1.0)]:
        outs = _runner(core.TimeDistributedMerge(mode=mode, input_shape=(5, 4)), input_value=np.ones((2, 5, 4)))
        assert np.allclose(outs[1], expected) and outs[1].shape == (2, 4)
    _runner(noise.GaussianNoise(0.1, input_shape=(4,)))
    _runner(noise.GaussianDropout(0.1, input_shape=(4,)))
    _runner(advanced_activations.LeakyReLU(input_shape=(4,)))
    _runner(advanced_activations.PReLU(input_shape=(4,)))
    _runner(advanced_activations.ParametricSoftplus(input_shape=(4,)))
    _runner(advanced_activations.ThresholdedLinear(input_shape=(4,)))
    _runner(advanced_activations.ThresholdedReLU(input_shape=(4,)))
    bn = normalization.BatchNormalization(input_shape=(4,), momentum=0.5)
    _runner(bn, input_value=np.random.RandomState(0).normal(size=(3, 4)))
    assert bn.get_config()['momentum'] == 0.5 and bn.get_config()['input_shape'] == (4,)


def test_embedding():
    layer = embeddings.Embedding(10, 3, input_length=4, mask_zero=True)
    X = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], dtype='int32')
    outs = _runner(layer, input_value=X)
    assert np.allclose(outs[1], layer.get_weights()[0][X])
    assert layer.output_shape == (None, 4, 3)
    layer.input = theano.shared(value=X)
    assert layer.get_output_mask().eval().tolist() == [[1, 1, 0, 0], [1, 0, 0, 0]]
    wcp = embeddings.WordContextProduct(10, proj_dim=3)
    outs = _runner(wcp, input_value=np.array([[1, 2], [3, 4]], dtype='int32'))
    assert outs[1].shape == (2, 1)


if __name__ == '__main__':
    for name, fn in sorted(list(globals().items())):
        if name.startswith('test_') and callable(fn):
            fn()
    print('Tests passed')
