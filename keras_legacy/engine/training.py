"""The training machinery shared by the 0.x models: lazily compiled functions, the loops, configs.

``Model`` is the mixin of every model class (``keras_legacy.models.Sequential``
and ``Graph``, the 0.2.0 ``Graph``): ``compile`` (in ``SequentialModel`` /
``GraphModel``) builds the symbolic losses and accuracies only; each PyTensor
function (train, test, predict) is compiled the first time it is needed, so
a model used only for ``predict`` never compiles a training graph.  The train
function returns the loss and the accuracy together (the original's
``_train`` and ``_train_with_acc`` shared their updates; here they are one
function), and so does the test function.

The loss is ``weighted_objective(loss)(y, y_pred, weights, mask)`` (the 0.1.3
masked-loss normalisation quirk included, see ``weighted_objective``) plus
the layers' regularizers; the layers' own updates (BatchNormalization's
running statistics) are applied with the optimizer's.
"""

from __future__ import annotations

import json
import pprint

import numpy as np
import pytensor.tensor as T
import yaml

from keras_legacy import backend as K
from keras_legacy import callbacks as cbks
from keras_legacy.engine import loop_args
from keras_legacy.engine.model_config import ConfigDumper, get_function_name, json_default
from keras_legacy.engine.training_utils import LastGoodState, batch_shuffle, make_batches, slice_X
from keras_legacy.engine.validation import NonFiniteLossError
from keras_legacy.utils.generic_utils import Progbar


class Model:
    """Training loops, configs and lazily compiled functions shared by both models."""

    # -- lazy compiled functions --
    def _reset_functions(self):
        self._functions = {}

    def _function(self, kind):
        if not hasattr(self, "_builders") and "_compile_args" in self.__dict__:
            self._compile_again()
        if not hasattr(self, "_builders"):
            raise ValueError(f"{type(self).__name__}: call compile(optimizer, loss) before training or predicting.")
        functions = self.__dict__.setdefault("_functions", {})
        if kind not in functions:
            if kind == "train":
                loop_args.check_truncate_gradients(self)
            saved = self.optimizer.get_state() if kind == "train" and self.__dict__.get("_restore_state") else None
            f = self._builders[kind]()
            batches = sorted({u[0].get_value(borrow=True).shape[0] for u in self._state_updates()})
            functions[kind] = FixedBatch(f, batches) if batches else f
            if saved is not None:
                self._restore_optimizer_state(saved)
        return functions[kind]

    # -- pickling and copying --
    def __getstate__(self):
        """The model without its compiled functions and their builders (closures over the
        symbolic graph, which do not pickle).  A loaded (or ``copy.deepcopy``-ed) model
        runs ``compile`` again with the stored arguments on first use; the shared
        variables (weights, running statistics, the optimizer's ``lr``, ``iterations``
        and accumulators) travel with their values."""
        state = dict(self.__dict__)
        for key in ("_builders", "_functions", "_train_state"):
            state.pop(key, None)
        if "train" in self.__dict__.get("_functions", {}):
            state["_restore_state"] = True  # the optimizer's accumulators hold trained values
        return state

    def _compile_again(self):
        args = self.__dict__["_compile_args"]
        restore = self.__dict__.get("_restore_state", False)
        self.compile(**args)
        self._restore_state = restore

    def _restore_optimizer_state(self, saved):
        """Put the accumulators a rebuilt train function made back to their pickled values
        (``get_updates`` makes new, zero ones; ``iterations`` is kept by the optimizer)."""
        del self.__dict__["_restore_state"]
        if len(saved) == len(self.optimizer.get_state()):
            self.optimizer.set_state(saved)

    def _train_updates(self, train_loss, state_updates=()):
        for r in self.regularizers:
            train_loss = r(train_loss)
        updates = list(self.optimizer.get_updates(self.params, self.constraints, train_loss))
        updates += self._layer_updates()
        updates += [u for u in state_updates if not any(u[0] is v[0] for v in updates)]
        # everything a training step changes: restored by fit when the loss stops being finite
        self._train_state = [u[0] for u in updates]
        return train_loss, updates

    def _layer_updates(self):
        """The layers' own updates, collected now: some (BatchNormalization's running
        statistics) exist only once the train-mode graph has been built."""
        updates = []
        for layer in self._update_sources():
            for update in layer.get_params()[3]:
                if not any(update[0] is u[0] for u in updates):
                    updates.append(update)
        return updates

    def _state_updates(self):
        """The ``(state, last state)`` pairs of the stateful layers (Keras 0.3 ``stateful=True``),
        nested containers included, from the graphs built last.  ``compile`` reads them after
        building the test-mode outputs and applies them in predict, test and train, as 0.3 did."""
        updates, seen, pending = [], set(), list(self._update_sources())
        while pending:
            layer = pending.pop(0)
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            updates += [u for u in getattr(layer, "state_updates", ()) if not any(u[0] is v[0] for v in updates)]
            nodes = getattr(layer, "nodes", None)
            pending += list(getattr(layer, "layers", ())) + (list(nodes.values()) if isinstance(nodes, dict) else [])
        return updates

    # -- loops --
    def _fit(self, f, ins, out_labels=(), batch_size=128, nb_epoch=100, verbose=1, callbacks=(),
             val_f=None, val_ins=None, shuffle=True, metrics=()):
        out_labels = list(out_labels)
        batch_size, nb_epoch = loop_args.check_fit_args(batch_size, nb_epoch, f"{type(self).__name__}.fit")
        do_validation = val_f is not None and val_ins is not None
        nb_train_sample = len(ins[0])
        if do_validation and verbose:
            print(f"Train on {nb_train_sample} samples, validate on {len(val_ins[0])} samples")
        index_array = np.arange(nb_train_sample)

        history = cbks.History()
        callback_list = [history] + ([cbks.BaseLogger()] if verbose else []) + list(callbacks)
        callback_list = cbks.CallbackList(callback_list)
        callback_list._set_model(self)
        callback_list._set_params({
            "batch_size": batch_size, "nb_epoch": nb_epoch, "nb_sample": nb_train_sample,
            "verbose": verbose, "do_validation": do_validation, "metrics": list(metrics),
        })
        callback_list.on_train_begin()
        self.stop_training = False
        guard = LastGoodState(getattr(self, "_train_state", None) or self.params)
        for epoch in range(nb_epoch):
            callback_list.on_epoch_begin(epoch)
            if shuffle == "batch":
                index_array = batch_shuffle(index_array, batch_size)
            elif shuffle:
                np.random.shuffle(index_array)
            batches = make_batches(nb_train_sample, batch_size)
            epoch_logs = {}
            for batch_index, (start, end) in enumerate(batches):
                batch_ids = index_array[start:end]
                try:
                    ins_batch = slice_X(ins, batch_ids)
                except TypeError as exc:
                    raise TypeError(
                        "fit: could not index the training data with a shuffled index array; "
                        "with data that supports only slices (e.g. HDF5 datasets) pass shuffle='batch' "
                        f"or shuffle=False. ({exc})"
                    ) from exc
                batch_logs = {"batch": batch_index, "size": len(batch_ids)}
                callback_list.on_batch_begin(batch_index, batch_logs)
                guard.before_batch()
                outs = f(*ins_batch)
                loss = float(outs[0])
                if not np.isfinite(loss):
                    restored = guard.restore()
                    raise NonFiniteLossError(
                        f"fit: the training loss became {loss} at epoch {epoch} (0-based; epoch {epoch + 1} of "
                        f"{nb_epoch}), batch {batch_index} (samples {start}..{end - 1} of the shuffled order). "
                        f"Training stopped; the model holds {restored}. Lower the learning rate, clip "
                        "gradients (clipnorm=/clipvalue=), or check the targets and the loss.",
                        epoch=epoch, batch=batch_index, loss=loss, history=history,
                    )
                guard.good()
                for label, value in zip(out_labels, outs):
                    batch_logs[label] = float(value)
                callback_list.on_batch_end(batch_index, batch_logs)
                if batch_index == len(batches) - 1 and do_validation:
                    val_outs = self._test_loop(val_f, val_ins, batch_size=batch_size, verbose=0)
                    if not isinstance(val_outs, list):
                        val_outs = [val_outs]
                    for label, value in zip(out_labels, val_outs):
                        epoch_logs["val_" + label] = value
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return history

    def _progbar(self, target, verbose):
        if verbose != 1:
            return None
        return Progbar(target=target)

    def _predict_loop(self, f, ins, batch_size=128, verbose=0):
        """Batched ``f`` over ``ins``; returns the list of concatenated outputs."""
        nb_sample = len(ins[0])
        outs = []
        progbar = self._progbar(nb_sample, verbose)
        for start, end in make_batches(nb_sample, batch_size):
            batch_outs = f(*slice_X(ins, start, end))
            if not isinstance(batch_outs, (list, tuple)):
                batch_outs = [batch_outs]
            if not outs:
                outs = [np.zeros((nb_sample,) + tuple(o.shape[1:]), dtype=o.dtype) for o in batch_outs]
            for out, batch_out in zip(outs, batch_outs):
                out[start:end] = batch_out
            if progbar is not None:
                progbar.update(end)
        return outs

    def _test_loop(self, f, ins, batch_size=128, verbose=0):
        """Batch-size-weighted average of each output of ``f``; a scalar for one output."""
        nb_sample = len(ins[0])
        totals = []
        progbar = self._progbar(nb_sample, verbose)
        for start, end in make_batches(nb_sample, batch_size):
            batch_outs = f(*slice_X(ins, start, end))
            if not isinstance(batch_outs, (list, tuple)):
                batch_outs = [batch_outs]
            if not totals:
                totals = [0.0] * len(batch_outs)
            for i, value in enumerate(batch_outs):
                totals[i] += float(value) * (end - start)
            if progbar is not None:
                progbar.update(end)
        means = [t / nb_sample for t in totals]
        return means[0] if len(means) == 1 else means

    # -- configs --
    def get_config(self, verbose=0):
        config = super().get_config()
        for attr in ("class_mode", "theano_mode"):
            if hasattr(self, attr):
                config[attr] = getattr(self, attr)
        if hasattr(self, "optimizer"):
            config["optimizer"] = self.optimizer.get_config()
        if hasattr(self, "loss"):
            if isinstance(self.loss, dict):
                config["loss"] = {k: get_function_name(v) for k, v in self.loss.items()}
            else:
                config["loss"] = get_function_name(self.loss)
        if verbose:
            pprint.PrettyPrinter(indent=4).pprint(config)
        return config

    def to_yaml(self):
        return yaml.dump(self.get_config(), Dumper=ConfigDumper, default_flow_style=False)

    def to_json(self):
        return json.dumps(self.get_config(), default=json_default)


class FixedBatch:
    """A compiled function of a model with stateful layers (Keras 0.3 ``stateful=True``): their
    states have one row per sample of a fixed batch, so a batch of another size is refused
    with a ValueError before anything runs (0.3 failed inside Theano).  Other attributes are
    the compiled function's."""

    def __init__(self, f, batches):
        self.f = f
        self.batches = batches

    def __call__(self, *ins):
        sizes = sorted({len(x) for x in ins})
        if len(self.batches) > 1:
            raise ValueError(
                f"the stateful layers (stateful=True) of this model have different batch sizes "
                f"{self.batches} (their batch_input_shape): no batch fits them all; give them one batch size."
            )
        if sizes != self.batches:
            size = self.batches[0]
            raise ValueError(
                f"a stateful layer (stateful=True) takes batches of exactly {size} samples (its "
                f"batch_input_shape), got a batch of {' and '.join(map(str, sizes))}: pass batch_size={size} "
                f"to fit/evaluate/predict and a number of samples that is a multiple of {size}."
            )
        return self.f(*ins)

    def __getattr__(self, name):
        return getattr(self.f, name)


def target_like(output, name):
    """A fresh symbolic input with the dtype and rank of ``output``."""
    return T.TensorType(dtype=output.dtype, shape=(None,) * output.ndim)(name)


def weights_like(output, name):
    return T.TensorType(dtype=K.floatx(), shape=(None,) * output.ndim)(name)


def as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]
