"""Training callbacks of Keras 0.1.3.

The fit loop (``models.Model._fit``) drives them through a ``CallbackList``:
``_set_model(model)``, then ``_set_params({'batch_size', 'nb_epoch',
'nb_sample', 'verbose', 'do_validation', 'metrics'})``, then

* ``on_train_begin(logs)``;
* per epoch ``on_epoch_begin(epoch)``, and per batch ``on_batch_begin(batch,
  {'batch': index, 'size': n})`` / ``on_batch_end(batch, logs)`` where the
  end logs add ``'loss'`` (and ``'acc'``);
* ``on_epoch_end(epoch, logs)`` with ``'val_loss'`` (and ``'val_acc'``) when
  there is validation data;
* ``on_train_end(logs)``.

Quirk kept (golden README quirk 9): ``History`` averages EVERY key of the batch
logs, weighted by batch size, so ``history`` also has ``'batch'`` (the mean
batch index) and ``'size'`` (the mean batch size) entries.
"""

from __future__ import annotations

import json
import numbers
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import deque

import numpy as np

from keras_legacy.utils.generic_utils import Progbar


class CallbackList:
    """Calls every callback's hook in turn; warns when hooks slow the batches down."""

    def __init__(self, callbacks=[], queue_length=10):  # noqa: B006 (the 0.x signature)
        self.callbacks = list(callbacks)
        self.queue_length = queue_length
        self._delta_t_batch = 0.0
        self._delta_ts_batch_begin = deque([], maxlen=queue_length)
        self._delta_ts_batch_end = deque([], maxlen=queue_length)
        self._t_enter_batch = None

    def append(self, callback):
        self.callbacks.append(callback)

    def _set_params(self, params):
        for callback in self.callbacks:
            callback._set_params(params)

    def _set_model(self, model):
        for callback in self.callbacks:
            callback._set_model(model)

    def on_epoch_begin(self, epoch, logs={}):  # noqa: B006
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)
        self._delta_t_batch = 0.0
        self._delta_ts_batch_begin = deque([], maxlen=self.queue_length)
        self._delta_ts_batch_end = deque([], maxlen=self.queue_length)

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs={}):  # noqa: B006
        t0 = time.time()
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)
        self._delta_ts_batch_begin.append(time.time() - t0)
        self._warn_if_slow(self._delta_ts_batch_begin, "on_batch_begin")
        self._t_enter_batch = time.time()

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        if self._t_enter_batch is not None:
            self._delta_t_batch = time.time() - self._t_enter_batch
        t0 = time.time()
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)
        self._delta_ts_batch_end.append(time.time() - t0)
        self._warn_if_slow(self._delta_ts_batch_end, "on_batch_end")

    def _warn_if_slow(self, deltas, hook):
        if not deltas or max(deltas) <= 0.1:  # then median <= 0.1: no warning (skips a ~70 us np.median per hook)
            return
        median = float(np.median(deltas))
        if self._delta_t_batch > 0.0 and median > 0.95 * self._delta_t_batch and median > 0.1:
            warnings.warn(
                f"Method {hook}() is slow compared to the batch update ({median:f} s per batch). "
                "Check your callbacks.",
                stacklevel=3,
            )

    def on_train_begin(self, logs={}):  # noqa: B006
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs={}):  # noqa: B006
        for callback in self.callbacks:
            callback.on_train_end(logs)


class Callback:
    """Base class: stores ``params`` and ``model``; every hook does nothing."""

    def __init__(self):
        pass

    def _set_params(self, params):
        self.params = params

    def _set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs={}):  # noqa: B006
        pass

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        pass

    def on_batch_begin(self, batch, logs={}):  # noqa: B006
        pass

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        pass

    def on_train_begin(self, logs={}):  # noqa: B006
        pass

    def on_train_end(self, logs={}):  # noqa: B006
        pass


class _EpochAverager:
    """Batch-size-weighted sums of every batch-log key over one epoch."""

    def _reset_totals(self):
        self.seen = 0
        self.totals = {}

    def _add_batch(self, logs):
        batch_size = logs.get("size", 0)
        self.seen += batch_size
        for key, value in logs.items():
            self.totals[key] = self.totals.get(key, 0) + value * batch_size

    def _averages(self):
        return {key: total / self.seen for key, total in self.totals.items()} if self.seen else {}


class BaseLogger(_EpochAverager, Callback):
    """Prints ``Epoch <n>`` (0-based, as 0.1.x) and the progress bar of the metrics.

    ``params['verbose']``: 0 prints nothing, 1 the redrawn bar, 2 one line per
    epoch.  The values shown are the batch-size-weighted averages over the
    epoch of ``params['metrics']`` (``loss``, ``acc``), plus ``val_loss`` /
    ``val_acc`` at the end of the epoch.
    """

    def on_train_begin(self, logs={}):  # noqa: B006
        self.verbose = self.params["verbose"]

    def on_epoch_begin(self, epoch, logs={}):  # noqa: B006
        if self.verbose:
            print("Epoch %d" % epoch)
            self.progbar = Progbar(target=self.params["nb_sample"], verbose=self.verbose)
        self._reset_totals()
        self.log_values = []

    def on_batch_begin(self, batch, logs={}):  # noqa: B006
        if self.seen < self.params["nb_sample"]:
            self.log_values = []

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        self._add_batch(logs)
        for key in self.params["metrics"]:
            if key in logs:
                self.log_values.append((key, logs[key]))
        # the last batch is drawn by on_epoch_end, with the validation values
        if self.verbose and self.seen < self.params["nb_sample"]:
            self.progbar.update(self.seen, self.log_values)

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        for key in self.params["metrics"]:
            if key in logs:
                self.log_values.append((key, logs[key]))
        if self.verbose:
            self.progbar.update(self.seen, self.log_values)


class History(_EpochAverager, Callback):
    """Records ``epoch`` (a list of epoch indices) and ``history`` (key -> list).

    Every key of the batch logs is averaged over the epoch weighted by the
    batch size, including ``'batch'`` and ``'size'`` (the 0.x quirk); the epoch
    logs (``val_loss``, ``val_acc``) are appended as they come.
    """

    def on_train_begin(self, logs={}):  # noqa: B006
        self.epoch = []
        self.history = {}

    def on_epoch_begin(self, epoch, logs={}):  # noqa: B006
        self._reset_totals()

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        self._add_batch(logs)

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        self.epoch.append(epoch)
        for key, value in self._averages().items():
            self.history.setdefault(key, []).append(value)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)


class ModelCheckpoint(Callback):
    """Saves the weights (``model.save_weights(filepath, overwrite=True)``) after each epoch.

    With ``save_best_only`` only when ``logs[monitor]`` is lower than every
    earlier value (warns and skips when the epoch logs lack ``monitor``).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False):
        super().__init__()
        self.filepath = filepath
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.best = np.inf

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        if not self.save_best_only:
            if self.verbose > 0:
                print("Epoch %05d: saving model to %s" % (epoch, self.filepath))
            self.model.save_weights(self.filepath, overwrite=True)
            return
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", stacklevel=2)
        elif current < self.best:
            if self.verbose > 0:
                print(
                    "Epoch %05d: %s improved from %0.5f to %0.5f, saving model to %s"
                    % (epoch, self.monitor, self.best, current, self.filepath)
                )
            self.best = current
            self.model.save_weights(self.filepath, overwrite=True)
        elif self.verbose > 0:
            print("Epoch %05d: %s did not improve" % (epoch, self.monitor))


class EarlyStopping(Callback):
    """Sets ``model.stop_training = True`` after ``patience`` epochs without a new minimum of ``monitor``."""

    def __init__(self, monitor="val_loss", patience=0, verbose=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.best = np.inf
        self.wait = 0

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Early stopping requires {self.monitor} available!", stacklevel=2)
        elif current < self.best:
            self.best = current
            self.wait = 0
        else:
            if self.wait >= self.patience:
                if self.verbose > 0:
                    print("Epoch %05d: early stopping" % epoch)
                self.model.stop_training = True
            self.wait += 1


def _jsonable(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    return value


class RemoteMonitor(_EpochAverager, Callback):
    """POSTs the epoch averages to ``root + '/publish/epoch/end/'`` after each epoch.

    The body is the form field ``data`` holding a JSON object ``{"epoch": n,
    <batch-log averages>, <epoch logs>}``, as 0.x sent it.  When the server
    cannot be reached the callback warns (once) and training goes on.
    """

    def __init__(self, root="http://localhost:9000"):
        super().__init__()
        self.root = root
        self.timeout = 5.0
        self._warned = False
        self._reset_totals()

    def on_epoch_begin(self, epoch, logs={}):  # noqa: B006
        self._reset_totals()

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        self._add_batch(logs)

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006
        send = {"epoch": epoch}
        for key, value in self._averages().items():
            send[key] = _jsonable(value)
        for key, value in logs.items():
            send[key] = _jsonable(value)
        body = urllib.parse.urlencode({"data": json.dumps(send)}).encode("ascii")
        request = urllib.request.Request(self.root + "/publish/epoch/end/", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if not self._warned:
                warnings.warn(
                    f"RemoteMonitor: could not reach the server at {self.root} ({exc}); "
                    "training continues without it.",
                    stacklevel=2,
                )
                self._warned = True


class LearningRateScheduler(Callback):
    """Sets ``model.optimizer.lr`` to ``schedule(epoch)`` at the start of each epoch."""

    def __init__(self, schedule):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler expects a function epoch -> learning rate, got {type(schedule).__name__}."
            )
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs={}):  # noqa: B006
        lr = self.schedule(epoch)
        if isinstance(lr, np.ndarray) and lr.ndim == 0:
            lr = lr.item()
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool):
            raise TypeError(
                f"LearningRateScheduler: schedule({epoch}) must return a float, got {type(lr).__name__} {lr!r}."
            )
        shared_lr = self.model.optimizer.lr
        shared_lr.set_value(np.asarray(lr, dtype=shared_lr.get_value(borrow=True).dtype))
