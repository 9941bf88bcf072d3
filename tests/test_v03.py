"""The Keras 0.3.x recurrent features: carry masking, go_backwards, stateful, 0.3 configs."""

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import ancestors
from pytensor.scan.op import Scan

import reference
from keras_legacy import backend as K
from keras_legacy.backend import rnn
from keras_legacy.backend.rnn import jax_impl
from keras_legacy.layers.containers import Sequential as SequentialContainer
from keras_legacy.layers.core import Masking, Merge
from keras_legacy.models import Sequential, model_from_config
from keras_legacy.v020.graph_model import Graph
from keras_legacy.v03.layers import recurrent as r03


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(3)
    X = rng.randn(3, 5, 2)
    X[0, 3:] = 0.0  # post-padding
    X[1, 0] = 0.0   # pre-padding
    X[2, 2] = 0.0   # a zero step in the middle
    mask = (np.abs(X).sum(axis=-1) > 0).astype(float)
    return X, mask


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_carry_masking_against_numpy(kind, go_backwards, data):
    X, mask = data
    layer = getattr(r03, kind)(4, input_shape=(5, 2), return_sequences=True, go_backwards=go_backwards)
    masking = Masking(0.0)
    masking.input = T.tensor3()
    layer.set_previous(masking)
    rng = np.random.RandomState(11)
    weights = [rng.randn(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    out = K.function([masking.input], layer.get_output())(X)
    expected = reference.carry_forward(kind, weights=weights, X=X, mask=mask, go_backwards=go_backwards)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    # carry: a masked step repeats the previous output (0.1.x would reset the next step instead)
    if not go_backwards:
        np.testing.assert_array_equal(out[0, 4], out[0, 2])


def test_stateful_keeps_states_between_batches_and_resets(data):
    X, _ = data
    X = X + 0.1  # no masked steps
    layer = r03.LSTM(3, batch_input_shape=(3, 5, 2), stateful=True)
    rng = np.random.RandomState(5)
    weights = [rng.randn(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    f = K.function([layer.input], layer.get_output(), updates=layer.updates)
    first = f(X[:, :2])
    second = f(X[:, 2:])
    full = reference.carry_forward("LSTM", X, weights)
    np.testing.assert_allclose(first, full[:, 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(second, full[:, -1], rtol=1e-10, atol=1e-12)
    layer.reset_states()
    np.testing.assert_array_equal(f(X[:, :2]), first)


@pytest.fixture(scope="module")
def stateful_models(data):
    """A Sequential and a Graph around one stateful LSTM each (batch 3), compiled once;
    the weights and the 10-step sequence the NumPy reference runs in one go."""
    X, _ = data
    rng = np.random.RandomState(21)
    X = np.concatenate([X + 0.1, rng.randn(3, 5, 2)], axis=1)  # (3, 10, 2), no masked step
    seq = Sequential()
    seq.add(r03.LSTM(4, batch_input_shape=(3, 5, 2), stateful=True, return_sequences=True))
    weights = [rng.randn(*w.shape) * 0.5 for w in seq.layers[0].get_weights()]
    seq.layers[0].set_weights(weights)
    seq.compile("sgd", "mse")
    graph = Graph()
    graph.add_input("x", input_shape=(5, 2))
    graph.add_node(r03.LSTM(4, batch_input_shape=(3, 5, 2), stateful=True, return_sequences=True),
                   name="rnn", input="x")
    graph.add_output("y", input="rnn")
    graph.nodes["rnn"].set_weights(weights)
    graph.compile("sgd", {"y": "mse"})
    return seq, graph, X, weights


def test_stateful_model_predict_carries_the_state_between_calls(stateful_models):
    """0.3 compiled ``_predict`` (and ``_test``, ``_train``) with the state updates: predict on
    the first half then on the second equals one pass over the whole sequence."""
    seq, graph, X, weights = stateful_models
    full = reference.carry_forward("LSTM", X, weights)
    runs = [(seq.layers[0], lambda x: seq.predict(x, batch_size=3)),
            (graph.nodes["rnn"], lambda x: graph.predict({"x": x}, batch_size=3)["y"])]
    for layer, predict in runs:
        layer.reset_states()
        first, second = predict(X[:, :5]), predict(X[:, 5:])
        np.testing.assert_allclose(first, full[:, :5], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(second, full[:, 5:], rtol=1e-10, atol=1e-12)
        assert np.abs(second - reference.carry_forward("LSTM", X[:, 5:], weights)).max() > 1e-3
        np.testing.assert_allclose(layer.states[0].get_value(), full[:, -1], rtol=1e-10, atol=1e-12)
        layer.reset_states()
        assert all(np.all(state.get_value() == 0) for state in layer.states)
        np.testing.assert_allclose(predict(X[:, :5]), full[:, :5], rtol=1e-10, atol=1e-12)
        layer.reset_states()


def test_stateful_model_evaluate_and_fit_move_the_state(stateful_models):
    """``evaluate`` (0.3 ``_test``) and ``fit`` (``_train``) apply the state updates too."""
    seq, _, X, weights = stateful_models
    layer = seq.layers[0]
    full = reference.carry_forward("LSTM", X, weights)
    layer.reset_states()
    seq.evaluate(X[:, :5], np.zeros((3, 5, 4)), batch_size=3, verbose=0)
    np.testing.assert_allclose(layer.states[0].get_value(), full[:, 4], rtol=1e-10, atol=1e-12)
    layer.reset_states()
    before = layer.get_weights()
    seq.train_on_batch(X[:, :5], np.zeros((3, 5, 4)))
    np.testing.assert_allclose(layer.states[0].get_value(), full[:, 4], rtol=1e-10, atol=1e-12)
    layer.set_weights(before)
    layer.reset_states()


def test_stateful_model_refuses_another_batch_size(stateful_models):
    """The states have one row per sample of the batch: another batch size is a ValueError
    before anything runs (0.3 failed inside Theano); the states do not move."""
    seq, graph, X, _ = stateful_models
    layer = seq.layers[0]
    layer.reset_states()
    for call in (lambda: seq.predict(X[:2, :5], batch_size=3), lambda: seq.predict_on_batch(X[:2, :5]),
                 lambda: seq.train_on_batch(X[:2, :5], np.zeros((2, 5, 4))),
                 lambda: seq.fit(X[:, :5], np.zeros((3, 5, 4)), batch_size=2, nb_epoch=1, verbose=0),
                 lambda: graph.evaluate({"x": X[:2, :5], "y": np.zeros((2, 5, 4))})):
        with pytest.raises(ValueError, match=r"exactly 3 samples .* batch_size=3"):
            call()
    assert all(np.all(state.get_value() == 0) for state in layer.states)


def test_stateful_layer_inside_a_merge_carries_its_state():
    """The state updates of a stateful layer nested in containers are found too."""
    rng = np.random.RandomState(8)
    a = SequentialContainer([r03.GRU(3, batch_input_shape=(2, 3, 2), stateful=True)])
    b = SequentialContainer([r03.GRU(3, batch_input_shape=(2, 3, 2))])
    model = Sequential()
    model.add(Merge([a, b], mode="sum"))
    wa, wb = ([rng.randn(*w.shape) * 0.5 for w in branch.get_weights()] for branch in (a, b))
    a.set_weights(wa)
    b.set_weights(wb)
    model.compile("sgd", "mse")
    X = rng.randn(2, 6, 2)
    model.predict([X[:, :3], X[:, :3]], batch_size=2)
    second = model.predict([X[:, 3:], X[:, 3:]], batch_size=2)
    expected = (reference.carry_forward("GRU", X, wa)[:, -1]
                + reference.carry_forward("GRU", X[:, 3:], wb)[:, -1])
    np.testing.assert_allclose(second, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_without_a_mask_the_fused_path_carries(kind, data):
    """Without an input mask carry masking is a plain recurrence: the loop runs the fused
    Ops (forwards and backwards) with the same numbers as the NumPy 0.3 reference;
    ``fast_path=False`` selects scan."""
    X, _ = data
    X = X + 0.1
    Xv = T.tensor3()
    outs, fused = [], []
    rng = np.random.RandomState(12)
    weights = None
    for go_backwards in (False, True):
        for fast in (True, False):
            layer = getattr(r03, kind)(4, input_shape=(5, 2), return_sequences=True,
                                       go_backwards=go_backwards)
            layer.fast_path = fast
            weights = weights or [rng.randn(*w.shape) * 0.5 for w in layer.get_weights()]
            layer.set_weights(weights)
            layer.input = Xv
            out = layer.get_output()
            f = K.function([Xv], out)
            fused.append(any(isinstance(nd.op, (rnn.LSTMForward, rnn.GRUForward))
                             for nd in f.maker.fgraph.toposort()))
            outs.append((go_backwards, f(X)))
    assert fused == [True, False, True, False]
    for go_backwards, out in outs:
        expected = reference.carry_forward(kind, X, weights, go_backwards=go_backwards)
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def _carry_layers(kind, Xv, Mv, fast, weights, input_shape=(7, 3), **kwargs):
    layer = getattr(r03, kind)(4, input_shape=input_shape, **kwargs)
    layer.fast_path = fast
    layer.set_weights(weights or [np.random.RandomState(31).randn(*w.shape) * 0.5
                                  for w in layer.get_weights()])
    layer.input = Xv
    layer.get_input_mask = lambda train=None: Mv
    return layer


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_masked_carry_runs_the_fused_op_with_the_numbers_of_scan(kind):
    """With a mask, carry masking runs the fused Op over each sample's valid steps
    (``recurrent_loop.carry_compacted``): outputs and the gradients w.r.t. X and every
    weight equal the scan graph's (``fast_path=False``) in float64, forwards and
    backwards, last output and sequences, on masks with leading, trailing and interior
    zeros and an all-zero row; one compiled function per layer kind."""
    rng = np.random.RandomState(30)
    X = rng.randn(6, 7, 3)
    M = (rng.rand(6, 7) > 0.4).astype(float)
    M[0], M[1] = 0.0, 1.0          # all masked; none masked
    M[2, :3], M[3, -3:] = 0.0, 0.0  # leading; trailing
    M[4] = [1, 1, 0, 0, 0, 1, 1]   # interior
    Xv, Mv = T.tensor3(), T.matrix()
    outputs, weights, structure = [], None, []
    for go_backwards in (False, True):
        for return_sequences in (False, True):
            R = rng.randn(*((6, 7, 4) if return_sequences else (6, 4)))
            for fast in (True, False):
                layer = _carry_layers(kind, Xv, Mv, fast, weights, go_backwards=go_backwards,
                                      return_sequences=return_sequences)
                weights = weights or layer.get_weights()
                out = layer.get_output()
                nodes = [v.owner for v in ancestors([out]) if v.owner is not None]
                structure.append((fast, any(isinstance(nd.op, (rnn.LSTMForward, rnn.LSTMForwardX,
                                                               rnn.GRUForward)) for nd in nodes),
                                  any(isinstance(nd.op, Scan) for nd in nodes)))
                outputs += [out] + K.grad((out * R).sum(), [Xv] + layer.params)
    assert all(s == (True, True, False) or s == (False, False, True) for s in structure)
    values = K.function([Xv, Mv], outputs)(X, M)
    per_layer = len(outputs) // 8
    for k in range(0, 8, 2):
        fused = values[k * per_layer:(k + 1) * per_layer]
        scan = values[(k + 1) * per_layer:(k + 2) * per_layer]
        for a, b in zip(fused, scan):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    go_backwards_seq = values[6 * per_layer]
    np.testing.assert_allclose(go_backwards_seq,
                               reference.carry_forward(kind, X, weights, mask=M, go_backwards=True),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(values[0][0], 0.0)  # an all-masked sample keeps the zero state


@pytest.mark.parametrize("mode", ["plain", "JAX"])
def test_masked_carry_on_the_fused_op_in_other_modes(mode):
    """The compacted carry graph (argsort, row gathers, the fused GRU) compiles under a
    plain ``pytensor.function`` (Numba) and ``JAX`` with the C mode's numbers."""
    if mode == "JAX":
        if not jax_impl.AVAILABLE:
            pytest.skip("jax is not installed (optional extra `jax`)")
        jax_impl.bind_jax()
    rng = np.random.RandomState(32)
    X = rng.randn(3, 5, 2)
    M = np.array([[0, 1, 1, 0, 1], [0, 0, 0, 0, 0], [1, 1, 0, 1, 0]], dtype=float)
    Xv = T.tensor("X", dtype="float64", shape=X.shape)
    Mv = T.tensor("M", dtype="float64", shape=M.shape)
    layer = _carry_layers("GRU", Xv, Mv, True, None, input_shape=(5, 2), go_backwards=True,
                          return_sequences=True)
    out = layer.get_output()
    outputs = [out] + K.grad((out * rng.randn(3, 5, 4)).sum(), layer.params + [Xv])
    # JAX traces static shapes: the weights' too (the gradient of the packed weights splits them)
    outputs = graph_replace(outputs, {p: T.specify_shape(p, p.get_value().shape) for p in layer.params})
    want = K.function([Xv, Mv], outputs)(X, M)
    f = pytensor.function([Xv, Mv], outputs, **({} if mode == "plain" else {"mode": mode}))
    got = f(X, M)
    np.testing.assert_allclose(got[0], reference.carry_forward("GRU", X, layer.get_weights(), mask=M,
                                                               go_backwards=True),
                               rtol=1e-10, atol=1e-12)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-13)


def test_masked_carry_stays_on_scan_when_the_fused_op_cannot_be_exact():
    """A stateful layer (its initial states are the shared variables) runs scan under a
    mask: the fused Ops start from zero states and return no final cell state."""
    Xv, Mv = T.tensor3(), T.matrix()
    layer = r03.LSTM(4, batch_input_shape=(6, 7, 3), stateful=True)
    layer.input = Xv
    layer.get_input_mask = lambda train=None: Mv
    nodes = [v.owner for v in ancestors([layer.get_output()]) if v.owner is not None]
    assert any(isinstance(nd.op, Scan) for nd in nodes)
    assert not any(isinstance(nd.op, (rnn.LSTMForward, rnn.LSTMForwardX)) for nd in nodes)


def test_stateful_needs_a_batch_size():
    with pytest.raises(ValueError, match="batch_input_shape"):
        r03.GRU(3, input_shape=(5, 2), stateful=True)
    with pytest.raises(ValueError, match="stateful=True"):
        r03.GRU(3, input_shape=(5, 2)).reset_states()


def test_0_3_config_loads_with_the_0_3_layers():
    config = {"name": "Sequential", "class_mode": "categorical", "loss": "mse", "optimizer": None,
              "layers": [
                  {"name": "LSTM", "output_dim": 3, "init": "glorot_uniform", "inner_init": "orthogonal",
                   "forget_bias_init": "one", "activation": "tanh", "inner_activation": "hard_sigmoid",
                   "return_sequences": False, "go_backwards": True, "stateful": False,
                   "input_dim": 2, "input_length": 4, "trainable": True, "cache_enabled": True,
                   "custom_name": "lstm", "batch_input_shape": [None, 4, 2]},
                  {"name": "Dense", "output_dim": 1, "init": "glorot_uniform", "activation": "linear",
                   "W_regularizer": None, "b_regularizer": None, "activity_regularizer": None,
                   "W_constraint": None, "b_constraint": None, "input_dim": None,
                   "trainable": True, "cache_enabled": True, "custom_name": "dense"}]}
    model = model_from_config(config)
    lstm, dense = model.layers
    assert isinstance(lstm, r03.LSTM) and lstm.go_backwards
    assert [w.shape for w in dense.get_weights()] == [(3, 1), (1,)]
    bad = {**config, "layers": [dict(config["layers"][0], dropout_U=0.5)]}
    with pytest.raises(ValueError, match="dropout_U"):
        model_from_config(bad)
