"""A plain ``pytensor.function`` (PyTensor's Numba backend) runs the fused Ops' own C kernels,
built as a shared library (``backend/rnn/clib.py``, called from ``numba_c.py``): the same
bits as the C mode for what the kernels compute, the Numba kernels when no library can be
built, and freed intermediates kept between calls (``numba_c.keep_freed_memory``).

One graph holds an LSTM and a GRU on the same input (float32, H = 40: the vector kernels
of both passes on x86), their outputs and the gradients w.r.t. all weights and X."""

from __future__ import annotations

import warnings

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy.backend.rnn import clib, numba_c
from keras_legacy.layers import recurrent

N, STEPS, INP, H = 4, 6, 5, 40


@pytest.fixture(scope="module")
def graph():
    rng = np.random.RandomState(3)
    X = T.tensor3(dtype="float32")
    outs, params = [], []
    with pytensor.config.change_flags(floatX="float32"):
        for name in ("LSTM", "GRU"):
            layer = getattr(recurrent, name)(INP, H, return_sequences=True)
            layer.fast_path = True
            layer.input = X
            outs.append(layer.get_output())
            params += layer.params
    cost = sum((o * rng.normal(size=(N, STEPS, H)).astype("float32")).sum() for o in outs)
    grads = T.grad(cost, params + [X])
    x = rng.normal(size=(N, STEPS, INP)).astype("float32")
    c_mode = K.function([X], outs + grads)(x)
    return X, outs, grads, x, c_mode


def _close(got, want, tol):
    for a, b in zip(got, want):
        scale = max(1.0, float(np.abs(b).max()))
        assert np.abs(np.asarray(a) - b).max() <= tol * scale


def test_plain_function_runs_the_c_kernels(graph):
    X, outs, grads, x, c_mode = graph
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = pytensor.function([X], outs + grads)
        got = f(x)
    assert not [w for w in caught if "object mode" in str(w.message)]  # every Op has a Numba implementation
    assert type(f.maker.linker).__name__ == "NumbaLinker"
    # the library of each kernel the graph uses is loaded (no fallback)
    kinds = {key[0] for key in clib._LOADED}
    assert {"lstm_forwardx", "lstm_grad", "gru_forward", "gru_grad"} <= kinds, kinds
    # the recurrences' outputs: the C mode's bits (the same compiled kernels)
    for a, b in zip(got[:2], c_mode[:2]):
        assert np.array_equal(a, b)
    # gradients: the same dA; the weight products go through Numba's BLAS call
    _close(got[2:], c_mode[2:], 1e-6)


def test_without_a_library_the_numba_kernels_run(graph, monkeypatch):
    X, outs, grads, x, c_mode = graph

    def no_compiler(*args):
        raise OSError("no C++ compiler (test)")

    monkeypatch.setattr(clib, "_build", no_compiler)
    monkeypatch.setattr(clib, "_LOADED", {})
    monkeypatch.setattr(clib, "_FAILED", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = pytensor.function([X], outs + grads)
    assert any("the Numba kernels run instead" in str(w.message) for w in caught)
    assert clib._FAILED and not clib._LOADED
    _close(f(x), c_mode, 1e-5)


def test_entry_point_symbols_name_their_c(monkeypatch):
    # two activation pairs: two libraries, two symbols; the same pair again: the cached one
    a = clib.entry("gru_forward", "float64", "tanh", "sigmoid", "blas")
    b = clib.entry("gru_forward", "float64", "tanh", "hard_sigmoid", "blas")
    assert a is not None and b is not None
    assert a[0].symbol != b[0].symbol and a[1] != b[1]
    assert clib.entry("gru_forward", "float64", "tanh", "sigmoid", "blas")[0].symbol == a[0].symbol


def test_keep_freed_memory_opt_out(monkeypatch):
    monkeypatch.delattr(numba_c.keep_freed_memory, "done", raising=False)
    monkeypatch.setenv("KERAS_LEGACY_KEEP_FREED_MEMORY", "0")
    assert numba_c.keep_freed_memory() is False
    monkeypatch.delattr(numba_c.keep_freed_memory, "done")
    monkeypatch.delenv("KERAS_LEGACY_KEEP_FREED_MEMORY")
    applied = numba_c.keep_freed_memory()
    assert applied is True or not numba_c.sys.platform.startswith("linux")
