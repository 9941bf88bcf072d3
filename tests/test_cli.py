"""keras-legacy inspect / convert and the version sniffer, on the golden 0.1.3 and 0.2.0 files."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from keras_legacy import cli
from keras_legacy.engine.version_sniff import sniff_version
from keras_legacy.engine.weight_names import weight_names

MODELS_013 = ["model_imdb_like", "model_masked_loss", "model_seq2seq_like"]
MODELS_020 = ["port020/model_imdb_like", "port020/model_seq2seq_like", "port020/model_batchnorm"]


def _config(golden, model, ext="json"):
    return cli.load_config(str(golden / model / f"config.{ext}"))


@pytest.mark.parametrize("model", MODELS_013 + ["model_graph"])
def test_sniff_013(golden, model):
    guess = sniff_version(_config(golden, model))
    assert guess.version == "0.1.x"
    assert guess.certain
    assert guess.reasons()


@pytest.mark.parametrize("model", MODELS_020)
def test_sniff_020(golden, model):
    guess = sniff_version(_config(golden, model))
    assert guess.version == "0.2.0"
    assert guess.certain


@pytest.mark.parametrize("model", MODELS_013 + MODELS_020)
def test_yaml_and_json_configs_agree(golden, model):
    from_yaml = json.loads(json.dumps(_config(golden, model, "yaml")))  # tuples -> lists
    assert from_yaml == _config(golden, model, "json")


def test_sniff_03x_and_edge_cases():
    lstm_03 = {"name": "Sequential", "layers": [
        {"name": "LSTM", "output_dim": 3, "input_dim": 2, "input_length": None, "go_backwards": False,
         "stateful": False, "trainable": True}]}
    assert sniff_version(lstm_03).version == "0.3.x"
    plain = {"name": "Sequential", "layers": [{"name": "Activation", "activation": "tanh"}]}
    guess = sniff_version(plain)
    assert guess.version == "0.1.x" and not guess.certain
    # 0.1.3's BatchNormalization stores input_shape: that alone is 0.1.x, not 0.2.0.
    bn_013 = {"name": "Sequential", "layers": [
        {"name": "BatchNormalization", "input_shape": [4], "epsilon": 1e-6, "mode": 0, "momentum": 0.9}]}
    assert sniff_version(bn_013).version == "0.1.x"
    bn_plain = {"name": "Sequential", "layers": [
        {"name": "BatchNormalization", "epsilon": 1e-6, "mode": 0, "momentum": 0.9}]}
    assert sniff_version(bn_plain, [[np.zeros(4)] * 4]).version == "0.2.0"
    assert sniff_version(bn_plain, [[np.zeros(4)] * 2]).version == "0.1.x"
    assert sniff_version(None).version == "unknown"
    with pytest.raises(TypeError, match="config must be a dict"):
        sniff_version("Sequential")


@pytest.mark.parametrize("model", MODELS_013 + MODELS_020)
def test_convert_without_config_equals_final_npz(golden, model, tmp_path):
    out = tmp_path / "w.npz"
    keys = cli.convert(str(golden / model / "weights.h5"), str(out))
    final = np.load(golden / model / "final.npz", allow_pickle=False)
    got = np.load(out, allow_pickle=False)
    assert sorted(keys) == sorted(final.files)
    for key in final.files:
        assert got[key].dtype == final[key].dtype
        np.testing.assert_array_equal(got[key], final[key])


def test_convert_graph_without_config(golden, tmp_path):
    out = tmp_path / "g.npz"
    keys = cli.convert(str(golden / "model_graph" / "weights.h5"), str(out))
    final = np.load(golden / "model_graph" / "final.npz", allow_pickle=False)
    assert keys == [f"param_{n}" for n in range(6)] == sorted(final.files, key=lambda k: int(k[6:]))
    got = np.load(out)
    for key in keys:
        np.testing.assert_array_equal(got[key], final[key])


def test_convert_with_config_names(golden, tmp_path):
    model = golden / "model_imdb_like"
    out = tmp_path / "named.npz"
    keys = cli.convert(str(model / "weights.h5"), str(out), _config(golden, "model_imdb_like"))
    lstm = ["W_i", "U_i", "b_i", "W_c", "U_c", "b_c", "W_f", "U_f", "b_f", "W_o", "U_o", "b_o"]
    assert keys == ["layer_0_Embedding_W"] + [f"layer_1_LSTM_{w}" for w in lstm] + \
        ["layer_3_Dense_W", "layer_3_Dense_b"]
    final = np.load(model / "final.npz")
    got = np.load(out)
    np.testing.assert_array_equal(got["layer_1_LSTM_W_c"], final["layer_1_param_3"])
    np.testing.assert_array_equal(got["layer_1_LSTM_b_o"], final["layer_1_param_11"])
    np.testing.assert_array_equal(got["layer_3_Dense_W"], final["layer_3_param_0"])
    # GRU from a YAML config (0.x YAML carries !!python/tuple only for tuples; parsed here)
    keys = cli.convert(str(golden / "model_seq2seq_like" / "weights.h5"), str(tmp_path / "s.npz"),
                       _config(golden, "model_seq2seq_like", "yaml"))
    assert keys[:3] == ["layer_0_GRU_W_z", "layer_0_GRU_U_z", "layer_0_GRU_b_z"]
    assert keys[-2:] == ["layer_3_TimeDistributedDense_W", "layer_3_TimeDistributedDense_b"]


def test_convert_graph_with_config(golden, tmp_path):
    keys = cli.convert(str(golden / "model_graph" / "weights.h5"), str(tmp_path / "g.npz"),
                       _config(golden, "model_graph"))
    assert keys == ["d1_Dense_W", "d1_Dense_b", "d2_Dense_W", "d2_Dense_b", "dout_Dense_W", "dout_Dense_b"]
    got = np.load(tmp_path / "g.npz")
    final = np.load(golden / "model_graph" / "final.npz")
    np.testing.assert_array_equal(got["d2_Dense_W"], final["param_2"])


def test_batchnorm_names_by_version(golden, tmp_path):
    keys = cli.convert(str(golden / "port020/model_batchnorm/weights.h5"), str(tmp_path / "b.npz"),
                       _config(golden, "port020/model_batchnorm"))
    assert [k for k in keys if k.startswith("layer_1_")] == [
        "layer_1_BatchNormalization_gamma", "layer_1_BatchNormalization_beta",
        "layer_1_BatchNormalization_running_mean", "layer_1_BatchNormalization_running_std"]
    assert weight_names({"name": "BatchNormalization"}, 2) == ["gamma", "beta"]
    assert weight_names({"name": "SimpleDeepRNN", "depth": 3}, 5) == ["W", "Us_0", "Us_1", "Us_2", "b"]
    assert weight_names({"name": "JZS1"}, 7)[-1] == "b_h"
    assert weight_names({"name": "JZS1"}, 8)[-1] == "Pmat"
    assert weight_names({"name": "Mystery"}, 2) == ["param_0", "param_1"]
    assert weight_names({"name": "Dense"}, 3) == ["param_0", "param_1", "param_2"]


def test_inspect_text(golden):
    text = cli.inspect_text(str(golden / "port020/model_imdb_like/weights.h5"),
                            _config(golden, "port020/model_imdb_like"))
    lines = text.splitlines()
    assert "Sequential weights, 5 layers, 15 arrays" in lines[0]
    assert lines[1] == "Keras version: 0.2.0"
    assert "layer 1  LSTM: 12 arrays" in lines
    row = next(line for line in lines if line.strip().startswith("W_i"))
    assert row.split() == ["W_i", "(8,", "6)", "float64"]
    assert "layer 2  Dropout: 0 arrays" in lines
    bare = cli.inspect_text(str(golden / "model_imdb_like/weights.h5"))
    assert "Keras version: unknown (not certain)" in bare
    assert "layer 1: 12 arrays" in bare.splitlines()


def test_mismatched_config_is_refused(golden, tmp_path):
    with pytest.raises(ValueError, match="Sequential model but .* holds Graph weights"):
        cli.convert(str(golden / "model_graph/weights.h5"), str(tmp_path / "x.npz"),
                    _config(golden, "model_imdb_like"))
    with pytest.raises(ValueError, match="has 4 layers but .* holds 5 layer groups"):
        cli.inspect_text(str(golden / "model_imdb_like/weights.h5"), _config(golden, "model_masked_loss"))


def test_bad_files(tmp_path):
    not_h5 = tmp_path / "x.h5"
    not_h5.write_bytes(b"not hdf5")
    with pytest.raises((ValueError, OSError)):
        cli.read_weights(str(not_h5))
    with pytest.raises(ValueError, match="no such file"):
        cli.read_weights(str(tmp_path / "missing.h5"))
    bad_json = tmp_path / "c.json"
    bad_json.write_text("{not json")
    with pytest.raises(ValueError, match="is not JSON"):
        cli.load_config(str(bad_json))


def test_command_line(golden, tmp_path):
    """The console entry point, in a subprocess (as `keras-legacy inspect/convert` runs)."""
    env_cmd = [sys.executable, "-c", "import sys; from keras_legacy.cli import main; sys.exit(main())"]
    model = golden / "port020" / "model_seq2seq_like"
    run = subprocess.run(env_cmd + ["inspect", str(model / "weights.h5"), "--config", str(model / "config.json")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Keras version: 0.2.0" in run.stdout
    assert "layer 3  TimeDistributedDense: 2 arrays" in run.stdout
    out = tmp_path / "out.npz"
    run = subprocess.run(env_cmd + ["convert", str(model / "weights.h5"), str(out)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"wrote 20 arrays to {out}"
    np.testing.assert_array_equal(np.load(out)["layer_2_param_8"],
                                  np.load(model / "final.npz")["layer_2_param_8"])
    run = subprocess.run(env_cmd + ["inspect", str(tmp_path / "nope.h5")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 1
    assert "no such file" in run.stderr


def test_yaml_tuple_tag(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: Sequential\nlayers:\n- name: Reshape\n  dims: !!python/tuple [2, 3]\n")
    config = cli.load_config(str(path))
    assert config["layers"][0]["dims"] == (2, 3)
    assert json.loads(json.dumps(config["layers"][0]))["dims"] == [2, 3]
