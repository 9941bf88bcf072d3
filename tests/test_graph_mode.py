"""Layers build their graphs for the backend a model is compiled with (``theano_mode``)."""

import numpy as np
import pytest

from keras_legacy import backend as K
from keras_legacy.layers.core import Dense
from keras_legacy.layers.recurrent import GRU, LSTM
from keras_legacy.models import Sequential


def _op_names(function):
    return {type(node.op).__name__ for node in function.maker.fgraph.apply_nodes}


def _model(layer_cls, theano_mode):
    np.random.seed(0)
    model = Sequential()
    model.add(layer_cls(3, 4))
    model.add(Dense(4, 2))
    model.compile("rmsprop", "mse", theano_mode=theano_mode)
    return model


@pytest.mark.parametrize("layer_cls", [LSTM, GRU])
def test_non_c_modes_get_scan_and_the_same_numbers(layer_cls):
    X = np.random.RandomState(1).randn(4, 5, 3)
    c_model = _model(layer_cls, None)
    py_model = _model(layer_cls, "FAST_COMPILE")
    c_ops = _op_names(c_model._function("predict"))
    py_ops = _op_names(py_model._function("predict"))
    if K.graphs_for_c_backend():
        assert f"{layer_cls.__name__}Forward" in c_ops and "Scan" not in c_ops
    assert "Scan" in py_ops and f"{layer_cls.__name__}Forward" not in py_ops
    np.testing.assert_allclose(py_model.predict(X), c_model.predict(X), rtol=1e-10, atol=1e-12)


def test_graph_mode_context_is_scoped():
    default = K.graphs_for_c_backend()
    with K.graph_mode("FAST_COMPILE"):
        assert not K.graphs_for_c_backend()
        with K.graph_mode("NUMBA"):
            assert not K.graphs_for_c_backend()
    assert K.graphs_for_c_backend() == default
    with pytest.raises(ValueError, match="Unknown theano_mode"):
        with K.graph_mode("NO_SUCH_MODE"):
            pass
