"""save_weights/load_weights: the exact 0.x HDF5 layout, read back with raw h5py; validation; no prompts.

Nothing here compiles a PyTensor function: weights move through get/set_weights only.
"""

import os

import h5py
import numpy as np
import pytest

from keras_legacy.layers.core import Activation, Dense
from keras_legacy.layers.recurrent import LSTM
from keras_legacy.models import Graph, Sequential
from keras_legacy.utils.io_utils import WeightsFileExistsError


def _seq(seed=0):
    np.random.seed(seed)
    model = Sequential()
    model.add(LSTM(3, 2, return_sequences=False))   # 12 arrays: exercises param_10 / param_11
    model.add(Activation("tanh"))                    # 0 arrays
    model.add(Dense(2, 4))
    return model


def _graph(seed=0):
    np.random.seed(seed)
    graph = Graph()
    graph.add_input("a", ndim=2)
    graph.add_input("b", ndim=2)
    graph.add_node(Dense(3, 2), "da", input="a")
    graph.add_node(Dense(5, 2), "db", input="b")
    graph.add_node(Dense(4, 1), "out", inputs=["da", "db"], merge_mode="concat", create_output=True)
    return graph


def _distinct(model):
    """Give every weight distinct values, so any permutation is visible."""
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    return model.get_weights()


def test_sequential_layout_read_with_raw_h5py(tmp_path):
    model = _seq()
    weights = _distinct(model)
    path = tmp_path / "w.h5"
    model.save_weights(str(path))
    with h5py.File(path, "r") as f:
        assert set(f.keys()) == {"layer_0", "layer_1", "layer_2"}
        assert int(f.attrs["nb_layers"]) == 3
        assert [int(f[f"layer_{k}"].attrs["nb_params"]) for k in range(3)] == [12, 0, 2]
        flat = [f["layer_0"][f"param_{n}"][()] for n in range(12)] + \
               [f["layer_2"][f"param_{n}"][()] for n in range(2)]
        assert all(f["layer_0"][f"param_{n}"].dtype == np.float64 for n in range(12))
    assert len(flat) == len(weights)
    for got, want in zip(flat, weights):
        np.testing.assert_array_equal(got, want)
    # LSTM order i, c, f, o: param_10 is U_o (out, out), param_9 is W_o (in, out)
    assert flat[9].shape == (3, 2) and flat[10].shape == (2, 2) and flat[11].shape == (2,)
    assert [p.name for p in model.layers[0].params][9:] == ["W_o", "U_o", "b_o"]


def test_sequential_round_trip_into_a_fresh_model(tmp_path):
    source = _seq(0)
    weights = _distinct(source)
    path = tmp_path / "w.h5"
    source.save_weights(str(path))
    target = _seq(1)
    assert not np.allclose(target.get_weights()[0], weights[0])
    target.load_weights(str(path))
    for got, want in zip(target.get_weights(), weights):
        np.testing.assert_array_equal(got, want)


def test_graph_layout_and_round_trip(tmp_path):
    source = _graph(0)
    weights = _distinct(source)
    path = tmp_path / "g.h5"
    source.save_weights(str(path))
    with h5py.File(path, "r") as f:
        assert list(f.keys()) == ["graph"]
        assert "nb_layers" not in f.attrs
        assert int(f["graph"].attrs["nb_params"]) == 6
        for n, w in enumerate(weights):
            np.testing.assert_array_equal(f["graph"][f"param_{n}"][()], w)
    target = _graph(1)
    target.load_weights(str(path))
    for got, want in zip(target.get_weights(), weights):
        np.testing.assert_array_equal(got, want)


def test_existing_file_raises_without_prompting(tmp_path, monkeypatch):
    model = _seq()
    path = tmp_path / "w.h5"
    path.write_bytes(b"keep me")

    def no_input(*args, **kwargs):
        raise AssertionError("save_weights must not read stdin")

    monkeypatch.setattr("builtins.input", no_input)
    with pytest.raises(ValueError, match="already exists and overwrite=False"):
        model.save_weights(str(path))
    with pytest.raises(FileExistsError):
        model.save_weights(str(path))
    assert issubclass(WeightsFileExistsError, ValueError)
    assert path.read_bytes() == b"keep me"
    model.save_weights(str(path), overwrite=True)
    with h5py.File(path, "r") as f:
        assert int(f.attrs["nb_layers"]) == 3
    assert sorted(os.listdir(tmp_path)) == ["w.h5"]  # no temporary file left behind


def _write_layout(path, layers):
    with h5py.File(path, "w") as f:
        f.attrs["nb_layers"] = len(layers)
        for k, arrays in enumerate(layers):
            g = f.create_group(f"layer_{k}")
            g.attrs["nb_params"] = len(arrays)
            for n, a in enumerate(arrays):
                g.create_dataset(f"param_{n}", data=a)


def test_load_validates_everything_before_setting_any_weight(tmp_path):
    model = _seq()
    before = model.get_weights()
    good = [[w.copy() + 1 for w in layer.get_weights()] for layer in model.layers]

    wrong_count = tmp_path / "count.h5"
    _write_layout(wrong_count, good[:2])
    with pytest.raises(ValueError, match="holds 2 layers .* model has 3 layers"):
        model.load_weights(str(wrong_count))

    wrong_arrays = tmp_path / "arrays.h5"
    _write_layout(wrong_arrays, [good[0], good[1], good[2][:1]])
    with pytest.raises(ValueError, match="layer 2 .* holds 1 arrays but the model expects 2"):
        model.load_weights(str(wrong_arrays))

    wrong_shape = tmp_path / "shape.h5"
    bad = [list(good[0]), good[1], [good[2][0], np.zeros(5)]]
    _write_layout(wrong_shape, bad)
    with pytest.raises(ValueError, match=r"layer 2 .*param_1 has shape \(5,\), the model expects \(4,\)"):
        model.load_weights(str(wrong_shape))

    # the first layer's arrays were fine in every file, yet nothing was set
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_load_names_the_wrong_kind_of_file(tmp_path):
    seq_path, graph_path = tmp_path / "s.h5", tmp_path / "g.h5"
    _seq().save_weights(str(seq_path))
    _graph().save_weights(str(graph_path))
    with pytest.raises(ValueError, match="'graph' group: load it into a Graph"):
        _seq().load_weights(str(graph_path))
    with pytest.raises(ValueError, match="'nb_layers': load it into a Sequential"):
        _graph().load_weights(str(seq_path))
    with pytest.raises(ValueError, match="no such file"):
        _seq().load_weights(str(tmp_path / "missing.h5"))


def test_golden_weight_file_reads_by_integer_index(golden):
    """The original's file (12 LSTM arrays) is read by index, not by h5py's name order."""
    from keras_legacy.utils.io_utils import load_sequential_weights

    d = golden / "model_imdb_like"
    layers = load_sequential_weights(str(d / "weights.h5"))
    final = np.load(d / "final.npz")
    assert [len(arrays) for arrays in layers] == [1, 12, 0, 2, 0]
    for k, arrays in enumerate(layers):
        for n, a in enumerate(arrays):
            np.testing.assert_array_equal(a, final[f"layer_{k}_param_{n}"])
