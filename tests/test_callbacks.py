"""keras_legacy.callbacks, driven by a stand-in of the 0.x fit loop."""

import http.server
import json
import re
import socket
import threading
import urllib.parse
import warnings

import numpy as np
import pytest

from keras_legacy import callbacks as cbks
from keras_legacy import optimizers


class FakeModel:
    def __init__(self):
        self.saved = []
        self.stop_training = False
        self.optimizer = optimizers.SGD(lr=0.1)

    def save_weights(self, filepath, overwrite=False):
        self.saved.append((filepath, overwrite))


def fake_fit(callbacks, epochs, nb_sample=10, batch_size=4, verbose=0, metrics=("loss", "acc"), model=None):
    """The 0.1.3 ``_fit`` protocol: ``epochs`` is a list of (batch_losses, batch_accs, epoch_logs)."""
    model = model or FakeModel()
    history = cbks.History()
    clist = cbks.CallbackList([cbks.BaseLogger()] + list(callbacks) + [history])
    clist._set_model(model)
    clist._set_params({"batch_size": batch_size, "nb_epoch": len(epochs), "nb_sample": nb_sample,
                       "verbose": verbose, "do_validation": False, "metrics": list(metrics)})
    clist.on_train_begin()
    sizes = [min(batch_size, nb_sample - s) for s in range(0, nb_sample, batch_size)]
    for epoch, (losses, accs, epoch_logs) in enumerate(epochs):
        clist.on_epoch_begin(epoch)
        for index, size in enumerate(sizes):
            batch_logs = {"batch": index, "size": size}
            clist.on_batch_begin(index, batch_logs)
            batch_logs["loss"] = losses[index]
            if accs is not None:
                batch_logs["acc"] = accs[index]
            clist.on_batch_end(index, batch_logs)
        clist.on_epoch_end(epoch, dict(epoch_logs))
        if model.stop_training:
            break
    clist.on_train_end()
    return history, model


def test_history_quirk_keys_match_golden_layout(golden):
    hist_golden = json.loads((golden / "model_masked_loss" / "history.json").read_text())
    losses = [[1.0, 2.0, 4.0], [0.5, 0.5, 2.0]]
    accs = [[0.25, 0.5, 1.0], [0.0, 1.0, 0.5]]
    hist, _ = fake_fit([], [(losses[0], accs[0], {}), (losses[1], accs[1], {})])
    assert hist.epoch == [0, 1]
    assert sorted(hist.history) == sorted(hist_golden) == ["acc", "batch", "loss", "size"]
    # batch sizes 4, 4, 2 over 10 samples, exactly as in the golden file
    np.testing.assert_allclose(hist.history["batch"], hist_golden["batch"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(hist.history["size"], hist_golden["size"], rtol=0, atol=1e-15)
    w = np.array([4, 4, 2]) / 10
    np.testing.assert_allclose(hist.history["loss"], [np.dot(w, losses[0]), np.dot(w, losses[1])])
    np.testing.assert_allclose(hist.history["acc"], [np.dot(w, accs[0]), np.dot(w, accs[1])])


def test_history_appends_epoch_logs():
    hist, _ = fake_fit([], [([1, 1, 1], None, {"val_loss": 0.7}), ([1, 1, 1], None, {"val_loss": 0.6})])
    assert hist.history["val_loss"] == [0.7, 0.6]
    assert "acc" not in hist.history


def test_baselogger_verbose1_output(capsys):
    fake_fit([], [([1.0, 2.0, 4.0], [0.25, 0.5, 1.0], {"val_loss": 0.125})], verbose=1,
             metrics=("loss", "acc", "val_loss"))
    out = capsys.readouterr().out
    assert out.startswith("Epoch 0\n")
    frames = out.split("\r")
    assert frames[1].startswith(" 4/10 [===========>..................] - ETA: ")
    assert frames[1].rstrip("\b ").endswith("- loss: 1.0000 - acc: 0.2500")
    final = frames[-1]
    assert final.endswith("\n")
    # epoch averages weighted by batch size, then the validation value
    assert re.fullmatch(r"10/10 \[=+\] - \d+s - loss: 2\.0000 - acc: 0\.5000 - val_loss: 0\.1250 *\n", final), final


def test_baselogger_verbose2_one_line_per_epoch(capsys):
    fake_fit([], [([1.0, 2.0, 4.0], None, {}), ([0.0, 0.0, 1.0], None, {})], verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 0" and lines[2] == "Epoch 1"
    assert re.fullmatch(r"\d+s - loss: 2\.0000", lines[1])
    assert re.fullmatch(r"\d+s - loss: 0\.2000", lines[3])
    assert len(lines) == 4


def test_baselogger_verbose0_silent(capsys):
    fake_fit([], [([1.0, 2.0, 4.0], None, {})], verbose=0)
    assert capsys.readouterr().out == ""


def test_model_checkpoint(capsys):
    ckpt = cbks.ModelCheckpoint("/tmp/w.h5", verbose=1)
    _, model = fake_fit([ckpt], [([1, 1, 1], None, {"val_loss": 1.0})] * 2)
    assert model.saved == [("/tmp/w.h5", True)] * 2
    assert "Epoch 00001: saving model to /tmp/w.h5" in capsys.readouterr().out

    best = cbks.ModelCheckpoint("best.h5", monitor="val_loss", save_best_only=True)
    epochs = [([1, 1, 1], None, {"val_loss": v}) for v in (0.9, 0.95, 0.8, 0.8)]
    _, model = fake_fit([best], epochs)
    assert len(model.saved) == 2 and best.best == 0.8

    missing = cbks.ModelCheckpoint("x.h5", monitor="val_acc", save_best_only=True)
    with pytest.warns(UserWarning, match="val_acc available"):
        _, model = fake_fit([missing], [([1, 1, 1], None, {"val_loss": 1.0})])
    assert model.saved == []


def test_early_stopping():
    stop = cbks.EarlyStopping(monitor="val_loss", patience=1)
    epochs = [([1, 1, 1], None, {"val_loss": v}) for v in (1.0, 0.5, 0.6, 0.7, 0.8, 0.9)]
    hist, model = fake_fit([stop], epochs)
    # best at epoch 1; epoch 2 waits (patience 1); epoch 3 stops
    assert model.stop_training is True
    assert hist.epoch == [0, 1, 2, 3]

    stop0 = cbks.EarlyStopping(patience=0)
    hist, model = fake_fit([stop0], epochs)
    assert hist.epoch == [0, 1, 2]

    with pytest.warns(UserWarning, match="requires val_acc"):
        fake_fit([cbks.EarlyStopping(monitor="val_acc")], epochs[:1])


def test_learning_rate_scheduler():
    seen = []
    model = FakeModel()

    class Spy(cbks.Callback):
        def on_epoch_begin(self, epoch, logs={}):
            seen.append(float(self.model.optimizer.lr.get_value()))

    sched = cbks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    fake_fit([sched, Spy()], [([1, 1, 1], None, {})] * 3, model=model)
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.1 / 3])
    assert model.optimizer.get_config()["lr"] == pytest.approx(0.1 / 3)

    with pytest.raises(TypeError, match="must return a float"):
        fake_fit([cbks.LearningRateScheduler(lambda e: "fast")], [([1, 1, 1], None, {})])
    with pytest.raises(TypeError):
        cbks.LearningRateScheduler(0.1)


def test_remote_monitor_posts_epoch_json():
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        mon = cbks.RemoteMonitor(root=f"http://127.0.0.1:{server.server_port}")
        fake_fit([mon], [([1.0, 2.0, 4.0], None, {"val_loss": np.float64(0.5)})])
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 1
    path, body = received[0]
    assert path == "/publish/epoch/end/"
    data = json.loads(urllib.parse.parse_qs(body)["data"][0])
    assert data == {"epoch": 0, "batch": 0.8, "size": 3.6, "loss": 2.0, "val_loss": 0.5}


def test_remote_monitor_without_server_warns_once():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    mon = cbks.RemoteMonitor(root=f"http://127.0.0.1:{port}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist, _ = fake_fit([mon], [([1, 1, 1], None, {})] * 3)
    msgs = [str(w.message) for w in caught if "RemoteMonitor" in str(w.message)]
    assert len(msgs) == 1
    assert hist.epoch == [0, 1, 2]  # training went on


def test_callback_list_dispatch_order():
    calls = []

    class Rec(cbks.Callback):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def on_train_begin(self, logs={}):
            calls.append((self.tag, "train_begin", self.params["nb_epoch"]))

        def on_batch_end(self, batch, logs={}):
            calls.append((self.tag, "batch_end", batch, logs["size"]))

    clist = cbks.CallbackList([Rec("a")])
    clist.append(Rec("b"))
    clist._set_model(object())
    clist._set_params({"nb_epoch": 1, "nb_sample": 2, "verbose": 0, "batch_size": 2,
                       "do_validation": False, "metrics": ["loss"]})
    clist.on_train_begin()
    clist.on_epoch_begin(0)
    clist.on_batch_begin(0, {"batch": 0, "size": 2})
    clist.on_batch_end(0, {"batch": 0, "size": 2, "loss": 1.0})
    assert calls == [("a", "train_begin", 1), ("b", "train_begin", 1), ("a", "batch_end", 0, 2),
                     ("b", "batch_end", 0, 2)]


def test_slow_batch_end_hook_warns_and_fast_one_does_not():
    import time

    class Slow(cbks.Callback):
        def on_batch_end(self, batch, logs={}):  # noqa: B006
            time.sleep(0.12)

    for callback, expect in ((Slow(), True), (cbks.Callback(), False)):
        cl = cbks.CallbackList([callback])
        cl.on_epoch_begin(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cl.on_batch_begin(0, {})
            cl.on_batch_end(0, {})
        slow = [w for w in caught if "on_batch_end() is slow" in str(w.message)]
        assert bool(slow) is expect
