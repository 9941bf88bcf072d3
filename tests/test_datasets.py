"""keras_legacy.datasets against the outputs of the original 0.1.3/0.2.0 loaders (golden/datasets).

The tiny files in the releases' layouts are copied into a temporary cache folder
($KERAS_LEGACY_DATASETS); downloads are tested with file:// URLs and an HTTP
server on 127.0.0.1 only.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import pickle
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from keras_legacy.datasets import (
    cifar,
    cifar10,
    cifar100,
    data_utils,
    imdb,
    mnist,
    reuters,
)
from keras_legacy.datasets.data_utils import DamagedDatasetError, DatasetNotFoundError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def cache(tmp_path, monkeypatch, golden):
    """A cache folder holding copies of golden/datasets/files (what ~/.keras/datasets would hold)."""
    folder = tmp_path / "cache"
    shutil.copytree(golden / "datasets" / "files", folder)
    monkeypatch.setenv(data_utils.CACHE_ENV, str(folder))
    return folder


def _golden(golden, name):
    return np.load(golden / "datasets" / f"{name}.npz")


def _unflatten(flat, lengths):
    return [list(part) for part in np.split(flat, np.cumsum(lengths)[:-1])] if len(lengths) else []


def _check_sequences(golden, name, result):
    ref = _golden(golden, name)
    (X_train, y_train), (X_test, y_test) = result
    for X, y, part in ((X_train, y_train, "train"), (X_test, y_test, "test")):
        assert type(X) is list and type(y) is list
        assert all(type(x) is list and all(type(w) is int for w in x) for x in X)
        assert all(type(label) is int for label in y)
        assert X == _unflatten(ref[f"X_{part}_flat"], ref[f"X_{part}_len"])
        assert y == ref[f"y_{part}"].tolist()


SEQUENCE_CALLS = {
    "imdb_default": (imdb.load_data, {}),
    "imdb_args": (imdb.load_data, {"maxlen": 10, "nb_words": 20, "seed": 7, "skip_top": 5, "test_split": 0.25}),
    "imdb_nostart": (imdb.load_data, {"index_from": 2, "start_char": None, "test_split": 0.5}),
    "imdb_oov_none": (imdb.load_data, {"nb_words": 15, "oov_char": None}),
    "reuters_default": (reuters.load_data, {}),
    "reuters_args": (reuters.load_data, {"maxlen": 9, "nb_words": 25, "seed": 42, "skip_top": 3, "test_split": 0.3}),
}


@pytest.mark.parametrize("name", sorted(SEQUENCE_CALLS))
def test_sequence_loaders_match_the_release(cache, golden, name):
    loader, kwargs = SEQUENCE_CALLS[name]
    _check_sequences(golden, name, loader(**kwargs))


def test_sequence_loader_reseeds_the_global_rng(cache):
    imdb.load_data(seed=5)
    after_load = np.random.rand(3)
    imdb.load_data(seed=5)
    np.testing.assert_array_equal(np.random.rand(3), after_load)
    imdb.load_data(seed=6)
    assert not np.array_equal(np.random.rand(3), after_load)


def test_mnist_matches_the_release(cache, golden):
    ref = _golden(golden, "mnist_default")
    (X_train, y_train), (X_test, y_test) = mnist.load_data()
    for got, key in ((X_train, "X_train"), (y_train, "y_train"), (X_test, "X_test"), (y_test, "y_test")):
        assert got.dtype == np.uint8 and got.shape == ref[key].shape
        np.testing.assert_array_equal(got, ref[key])


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_the_release(cache, golden, label_mode):
    ref = _golden(golden, f"cifar100_{label_mode}")
    kwargs = {} if label_mode == "fine" else {"label_mode": label_mode}
    (X_train, y_train), (X_test, y_test) = cifar100.load_data(**kwargs)
    for got, key in ((X_train, "X_train"), (y_train, "y_train"), (X_test, "X_test"), (y_test, "y_test")):
        assert got.dtype == ref[key].dtype and got.shape == ref[key].shape
        np.testing.assert_array_equal(got, ref[key])


def test_cifar100_label_mode_is_checked(cache):
    with pytest.raises(ValueError, match='"fine" "coarse"'):
        cifar100.load_data(label_mode="medium")


def test_cifar10_matches_the_release(cache, golden):
    ref = _golden(golden, "cifar10_default")
    (X_train, y_train), (X_test, y_test) = cifar10.load_data()
    assert list(X_train.shape) == ref["X_train_shape"].tolist()
    assert list(y_train.shape) == ref["y_train_shape"].tolist()
    assert X_train.dtype == np.uint8 and y_train.dtype == np.uint8
    # every 10000-row block is one broadcast image (one-row batches, as 0.x assigned them)
    blocks = X_train.reshape(5, 10000, 3, 32, 32)
    np.testing.assert_array_equal(blocks, np.broadcast_to(ref["X_train_block_rows"][:, None], blocks.shape))
    np.testing.assert_array_equal(y_train.reshape(5, 10000), np.repeat(ref["y_train_block_rows"], 10000, axis=1))
    assert y_test.dtype == np.int64 and X_test.dtype == np.uint8
    np.testing.assert_array_equal(X_test, ref["X_test"])
    np.testing.assert_array_equal(y_test, ref["y_test"])
    assert (cache / "cifar-10-batches-py" / "data_batch_5").is_file()


def test_cifar_load_batch(cache, golden):
    ref = _golden(golden, "cifar10_default")
    cifar10.load_data()
    data, labels = cifar.load_batch(str(cache / "cifar-10-batches-py" / "test_batch"))
    np.testing.assert_array_equal(data, ref["X_test"])
    assert labels == ref["y_test"][:, 0].tolist()
    with pytest.raises(ValueError, match="'nope'"):
        cifar.load_batch(str(cache / "cifar-10-batches-py" / "test_batch"), label_key="nope")


@pytest.mark.parametrize("name", ["reuters_word_index", "reuters_word_index_latin1"])
def test_reuters_word_index(cache, golden, name):
    expected = json.loads((golden / "datasets" / f"{name}.json").read_text(encoding="utf-8"))["word_index"]
    index = reuters.get_word_index(path=f"{name}.pkl")
    assert index == expected and all(type(word) is str for word in index)
    if name.endswith("latin1"):
        assert "caf\xe9" in index


def test_default_cache_folder_is_home_keras_datasets(tmp_path, monkeypatch, golden):
    monkeypatch.delenv(data_utils.CACHE_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / ".keras" / "datasets"
    assert data_utils.cache_dir() == str(folder)
    folder.mkdir(parents=True)
    shutil.copy(golden / "datasets" / "files" / "mnist.pkl.gz", folder)
    np.testing.assert_array_equal(mnist.load_data()[1][1], _golden(golden, "mnist_default")["y_test"])


def test_existing_folder_wins_over_its_tarball(cache):
    stale = cache / "cifar-100-python"
    stale.mkdir()
    with pytest.raises(DatasetNotFoundError, match="train"):
        cifar100.load_data()
    assert sorted(os.listdir(stale)) == []


# ---------------------------------------------------------------- downloads


@pytest.fixture
def http_root(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served; '/short/NAME' promises more bytes than it sends."""
    served = tmp_path / "served"
    served.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/short/"):
                body = b"0123456789"
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_get_file_downloads_with_progress_bar(tmp_path, monkeypatch, capsys):
    source = tmp_path / "blob.bin"
    payload = bytes(range(256)) * 1000
    source.write_bytes(payload)
    monkeypatch.setenv(data_utils.CACHE_ENV, str(tmp_path / "cache"))
    origin = source.as_uri()
    path = data_utils.get_file("blob.bin", origin=origin)
    assert path == str(tmp_path / "cache" / "blob.bin")
    with open(path, "rb") as handle:
        assert handle.read() == payload
    out = capsys.readouterr().out
    assert f"Downloading data from {origin}" in out
    assert f"{len(payload)}/{len(payload)} [==============================]" in out
    source.unlink()  # cached now: no second download
    assert data_utils.get_file("blob.bin", origin=origin) == path
    assert "Downloading" not in capsys.readouterr().out


def test_loader_downloads_over_http(tmp_path, monkeypatch, golden, http_root):
    served, base = http_root
    shutil.copy(golden / "datasets" / "files" / "imdb.pkl", served)
    shutil.copy(golden / "datasets" / "files" / "cifar-100-python.tar.gz", served)
    monkeypatch.setenv(data_utils.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(imdb, "ORIGIN", f"{base}/imdb.pkl")
    _check_sequences(golden, "imdb_default", imdb.load_data())
    monkeypatch.setattr(cifar100, "ORIGIN", f"{base}/cifar-100-python.tar.gz")
    ref = _golden(golden, "cifar100_fine")
    np.testing.assert_array_equal(cifar100.load_data()[0][0], ref["X_train"])
    assert sorted(os.listdir(tmp_path / "cache")) == ["cifar-100-python", "cifar-100-python.tar.gz", "imdb.pkl"]


def _assert_not_found(exc_info, fname, origin, cache_folder):
    message = str(exc_info.value)
    assert isinstance(exc_info.value, OSError)
    assert fname in message and origin in message and str(cache_folder) in message


def test_missing_file_without_network(tmp_path, monkeypatch, http_root):
    _, base = http_root
    cache_folder = tmp_path / "cache"
    monkeypatch.setenv(data_utils.CACHE_ENV, str(cache_folder))
    monkeypatch.setattr(mnist, "ORIGIN", f"{base}/mnist.pkl.gz")  # 404
    with pytest.raises(DatasetNotFoundError) as info:
        mnist.load_data()
    _assert_not_found(info, "mnist.pkl.gz", f"{base}/mnist.pkl.gz", cache_folder)
    unreachable = "http://127.0.0.1:9/cifar-10-python.tar.gz"
    monkeypatch.setattr(cifar10, "ORIGIN", unreachable)
    with pytest.raises(DatasetNotFoundError) as info:
        cifar10.load_data()
    _assert_not_found(info, "cifar-10-batches-py.tar.gz", unreachable, cache_folder)
    assert os.listdir(cache_folder) == []


def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch, http_root):
    _, base = http_root
    monkeypatch.setenv(data_utils.CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(DatasetNotFoundError, match="reuters.pkl"):
        data_utils.get_file("reuters.pkl", origin=f"{base}/short/reuters.pkl")
    assert os.listdir(tmp_path / "cache") == []


# ---------------------------------------------------------------- damaged files


def _truncate(path, keep):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


@pytest.mark.parametrize("fname, loader", [
    ("mnist.pkl.gz", mnist.load_data),
    ("imdb.pkl", imdb.load_data),
    ("reuters.pkl", reuters.load_data),
    ("reuters_word_index.pkl", reuters.get_word_index),
])
@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_pickle_is_reported(cache, fname, loader, keep):
    _truncate(cache / fname, keep)
    with pytest.raises(DamagedDatasetError) as info:
        loader()
    assert str(cache / fname) in str(info.value) and "Delete it" in str(info.value)


def test_foreign_file_is_reported(cache):
    (cache / "imdb.pkl").write_text("<html>Access denied</html>")
    with pytest.raises(DamagedDatasetError, match="imdb.pkl"):
        imdb.load_data()


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_tarball_is_reported_and_extracts_nothing(cache, keep):
    _truncate(cache / "cifar-10-batches-py.tar.gz", keep)
    with pytest.raises(DamagedDatasetError, match="cifar-10-batches-py.tar.gz"):
        cifar10.load_data()
    assert sorted(os.listdir(cache)) == sorted(
        name for name in os.listdir(cache) if not name.startswith(".extract-"))
    assert not (cache / "cifar-10-batches-py").exists()


def test_damaged_batch_inside_the_folder_is_reported(cache):
    cifar10.load_data()
    _truncate(cache / "cifar-10-batches-py" / "data_batch_3", 0.5)
    with pytest.raises(DamagedDatasetError, match="data_batch_3"):
        cifar10.load_data()


def test_cifar10_batch_of_wrong_size(cache, tmp_path):
    folder = cache / "cifar-10-batches-py"
    cifar10.load_data()
    batch = {"data": np.zeros((3, 3072), np.uint8), "labels": [0, 1, 2]}
    with open(folder / "data_batch_2", "wb") as handle:
        pickle.dump(batch, handle, protocol=2)
    with pytest.raises(ValueError, match="data_batch_2 holds 3 images"):
        cifar10.load_data()


# ---------------------------------------------------------------- make_reuters_dataset

SGM = """<REUTERS><TOPICS><D>oil</D></TOPICS><BODY>Oil prices rose, oil fell.</BODY></REUTERS>
<REUTERS><TOPICS></TOPICS><BODY>no topic here</BODY></REUTERS>
<REUTERS><TOPICS><D>cocoa</D><D>oil</D></TOPICS><BODY>cocoa crop</BODY></REUTERS>
<REUTERS><TOPICS><D>oil</D></TOPICS><BODY>oil oil banana</BODY></REUTERS>
<REUTERS><TOPICS><D>gold</D></TOPICS><BODY>gold</BODY></REUTERS>
<REUTERS><TOPICS><D>cocoa</D></TOPICS><BODY>Cocoa, prices!</BODY></REUTERS>
"""


def test_make_reuters_dataset_writes_loadable_files(tmp_path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "reut2-000.sgm").write_text(SGM, encoding="latin1")
    (raw / "README.txt").write_text("<TOPICS><D>ignored</D></TOPICS><BODY>x</BODY>")
    monkeypatch.chdir(tmp_path)
    reuters.make_reuters_dataset(path=str(raw), min_samples_per_topic=2)
    out = capsys.readouterr().out
    assert "Kept topics: 2" in out and "...index of oil : 1" in out
    with open(tmp_path / "datasets" / "data" / "reuters.pkl", "rb") as handle:
        assert handle.read(2) != b"\x80\x02"  # protocol 0, as 0.x wrote it
    X, labels = data_utils.load_pickle(
        str(tmp_path / "datasets" / "data" / "reuters.pkl"))
    index = data_utils.load_pickle(str(tmp_path / "datasets" / "data" / "reuters_word_index.pkl"))
    # wires kept: oil, cocoa (first topic of "cocoa, oil"), oil, cocoa; gold has 1 wire < 2
    assert labels == [0, 1, 0, 1]
    words = {v: k for k, v in index.items()}
    assert [[words[i] for i in x] for x in X] == [
        ["oil", "prices", "rose", "oil", "fell"], ["cocoa", "crop"],
        ["oil", "oil", "banana"], ["cocoa", "prices"]]
    # counts: oil 5, prices 2 (seen first), cocoa 2
    assert (index["oil"], index["prices"], index["cocoa"]) == (1, 2, 3)


def test_make_reuters_dataset_wants_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="sgm"):
        reuters.make_reuters_dataset(path=str(tmp_path / "nowhere"))


# ---------------------------------------------------------------- through keras_legacy.run

ALIAS_SCRIPT = """
import keras.datasets.imdb
from keras.datasets import mnist, cifar100, reuters
from keras.datasets.data_utils import get_file
import keras_legacy.datasets.mnist
assert mnist is keras_legacy.datasets.mnist and keras.datasets.imdb.load_data is keras_legacy.datasets.imdb.load_data
(X, y), _ = mnist.load_data()
(Xi, yi), _ = keras.datasets.imdb.load_data(nb_words=20)
print(X.shape, int(y.sum()), len(Xi), get_file("mnist.pkl.gz", "x").endswith("mnist.pkl.gz"))
"""


@pytest.mark.parametrize("version", ["0.1.3", "0.2.0"])
def test_keras_datasets_resolve_through_run(cache, tmp_path, golden, version):
    script = tmp_path / "use_datasets.py"
    script.write_text(ALIAS_SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", "keras_legacy.run", "--keras", version, str(script)],
                            check=False, capture_output=True, text=True, env=env, cwd=str(tmp_path),
                            timeout=120)
    assert result.returncode == 0, result.stderr
    y_train = _golden(golden, "mnist_default")["y_train"]
    assert result.stdout.split() == ["(5,", "28,", "28)", str(int(y_train.sum())), "9", "True"]
