"""A layer returns one graph whatever will compile it.

LSTM/GRU outputs hold the fused Ops (``Recurrent.fast_path`` True, the default) in every
mode: the C backend, a plain ``pytensor.function`` (PyTensor's default, Numba),
``FAST_COMPILE`` (Python linker: the Ops' ``perform``) and JAX; there is no global
graph mode any more.  The numbers of every mode are checked against the golden files
in tests/test_recurrent_golden.py and tests/test_rnn_backends.py; here: the graph
itself, and a model compiled with another ``theano_mode`` running the fused Ops.
"""

import io
from contextlib import redirect_stdout

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy.backend import pytensor_compat
from keras_legacy.layers.core import Dense
from keras_legacy.layers.recurrent import GRU, LSTM
from keras_legacy.models import Sequential


def _op_names(function):
    return {type(node.op).__name__ for node in function.maker.fgraph.apply_nodes}


def _output(layer_cls, fast_path=True):
    np.random.seed(0)
    layer = layer_cls(3, 4, return_sequences=True)
    layer.fast_path = fast_path
    X = T.tensor3("X")
    layer.input = X
    return X, layer.get_output()


def test_no_global_graph_mode():
    assert not hasattr(K, "graph_mode") and not hasattr(K, "graphs_for_c_backend")
    assert not hasattr(pytensor_compat, "graph_mode")


@pytest.mark.parametrize("layer_cls", [LSTM, GRU])
def test_dprint_of_a_layer_output_names_the_fused_op(layer_cls):
    _, out = _output(layer_cls)
    text = io.StringIO()
    with redirect_stdout(text):
        pytensor.dprint(out)
    assert f"{layer_cls.__name__}Forward" in text.getvalue()
    assert "Scan" not in text.getvalue()
    _, scan_out = _output(layer_cls, fast_path=False)
    text = io.StringIO()
    with redirect_stdout(text):
        pytensor.dprint(scan_out)
    assert "Scan" in text.getvalue() and "Forward" not in text.getvalue()


@pytest.mark.parametrize("layer_cls", [LSTM, GRU])
def test_the_same_graph_runs_in_every_mode(layer_cls):
    """One graph, compiled by several modes: the fused Ops stay (no Scan), same numbers."""
    X, out = _output(layer_cls)
    x = np.random.RandomState(1).randn(2, 5, 3)
    fns = {"C": K.function([X], out), "plain": pytensor.function([X], out),
           "FAST_COMPILE": pytensor.function([X], out, mode="FAST_COMPILE")}
    ref = fns["C"](x)
    assert np.abs(ref).max() > 1e-3
    for mode, f in fns.items():
        assert f"{layer_cls.__name__}Forward" in _op_names(f), mode
        assert "Scan" not in _op_names(f), mode
        np.testing.assert_allclose(f(x), ref, rtol=1e-10, atol=1e-12, err_msg=mode)


@pytest.mark.parametrize("layer_cls", [LSTM, GRU])
def test_model_in_fast_compile_runs_the_fused_op(layer_cls):
    """``theano_mode`` chooses the compiler only: the Python linker runs the fused Ops'
    ``perform``, with the numbers of the C backend."""
    def model(theano_mode):
        np.random.seed(0)
        m = Sequential()
        m.add(layer_cls(3, 4))
        m.add(Dense(4, 2))
        m.compile("rmsprop", "mse", theano_mode=theano_mode)
        return m

    X = np.random.RandomState(1).randn(4, 5, 3)
    c_model, py_model = model(None), model("FAST_COMPILE")
    py_ops = _op_names(py_model._function("predict"))
    assert f"{layer_cls.__name__}Forward" in py_ops and "Scan" not in py_ops
    np.testing.assert_allclose(py_model.predict(X), c_model.predict(X), rtol=1e-10, atol=1e-12)
