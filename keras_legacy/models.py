"""Keras 0.1.3 models: ``Sequential`` and ``Graph`` with compile/fit/evaluate/predict.

``compile`` builds the symbolic losses and accuracies only; each PyTensor
function (train, test, predict) is compiled the first time it is needed, so
a model used only for ``predict`` never compiles a training graph.  The train
function returns the loss and the accuracy together (the original's
``_train`` and ``_train_with_acc`` shared their updates; here they are one
function), and so does the test function.

The loss is ``weighted_objective(loss)(y, y_pred, weights, mask)`` (the 0.1.3
masked-loss normalisation quirk included, see ``weighted_objective``) plus
the layers' regularizers; the layers' own updates (BatchNormalization's
running statistics) are applied with the optimizer's.

The 0.1.3 helper functions of ``keras.models`` live in
``keras_legacy.utils.training_utils`` (batching, weights, ``weighted_objective``)
and ``keras_legacy.utils.model_config`` (``model_from_json/yaml/config``);
they are re-exported here under their 0.1.3 import path.
"""

from __future__ import annotations

import functools
import inspect
import json
import pprint
import warnings

import numpy as np
import pytensor.tensor as T
import yaml

from keras_legacy import backend as K
from keras_legacy.layers import containers
from keras_legacy.utils import io_utils, layer_shapes, validation
from keras_legacy.utils.model_config import (  # noqa: F401  (re-exported: 0.1.3 keras.models names)
    _ConfigDumper,
    _json_default,
    get_function_name,
    model_from_config,
    model_from_json,
    model_from_yaml,
)
from keras_legacy.utils.training_utils import (  # noqa: F401  (re-exported: 0.1.3 keras.models names)
    _LastGoodState,
    batch_shuffle,
    make_batches,
    slice_X,
    standardize_weights,
    standardize_X,
    standardize_y,
    weighted_objective,
)

__all__ = [
    "standardize_y", "batch_shuffle", "make_batches", "standardize_X", "slice_X",
    "weighted_objective", "standardize_weights", "model_from_yaml", "model_from_json",
    "model_from_config", "get_function_name", "Model", "Sequential", "Graph",
]


# --- the model mixin --------------------------------------------------------------------

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
            saved = self.optimizer.get_state() if kind == "train" and self.__dict__.get("_restore_state") else None
            functions[kind] = self._builders[kind]()
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

    def _train_updates(self, train_loss):
        for r in self.regularizers:
            train_loss = r(train_loss)
        updates = list(self.optimizer.get_updates(self.params, self.constraints, train_loss))
        updates += self._layer_updates()
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

    # -- loops --
    def _fit(self, f, ins, out_labels=(), batch_size=128, nb_epoch=100, verbose=1, callbacks=(),
             val_f=None, val_ins=None, shuffle=True, metrics=()):
        from keras_legacy import callbacks as cbks

        out_labels = list(out_labels)
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
        guard = _LastGoodState(getattr(self, "_train_state", None) or self.params)
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
                    raise validation.NonFiniteLossError(
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
        from keras_legacy.utils.generic_utils import Progbar

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
        return yaml.dump(self.get_config(), Dumper=_ConfigDumper, default_flow_style=False)

    def to_json(self):
        return json.dumps(self.get_config(), default=_json_default)


def _target_like(output, name):
    """A fresh symbolic input with the dtype and rank of ``output``."""
    return T.TensorType(dtype=output.dtype, shape=(None,) * output.ndim)(name)


def _weights_like(output, name):
    return T.TensorType(dtype=K.floatx(), shape=(None,) * output.ndim)(name)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _graphs_for_theano_mode(compile_fn):
    """Run ``compile`` inside ``K.graph_mode(theano_mode)``: the layers build their
    graphs for the backend the functions will be compiled with."""
    signature = inspect.signature(compile_fn)

    @functools.wraps(compile_fn)
    def compile(self, *args, **kwargs):
        theano_mode = signature.bind(self, *args, **kwargs).arguments.get("theano_mode")
        with K.graph_mode(theano_mode):
            return compile_fn(self, *args, **kwargs)

    return compile


class Sequential(Model, containers.Sequential):
    """A stack of layers with the 0.1.3 training API."""

    @_graphs_for_theano_mode
    def compile(self, optimizer, loss, class_mode="categorical", theano_mode=None, *, masked_mean=False):
        """Set the optimizer and loss; functions compile on first use (``mode=theano_mode``).

        ``masked_mean=True`` (a keras_legacy addition, off by default) replaces
        the 0.1.3 masked-loss normalisation quirk by the masked mean; see
        ``weighted_objective``.
        """
        from keras_legacy import objectives, optimizers

        if class_mode not in ("categorical", "binary"):
            raise ValueError(f"Invalid class_mode: {class_mode!r}. Expected one of: binary, categorical.")
        K.get_mode(theano_mode)  # validate now, not at the first fit
        self.optimizer = optimizers.get(optimizer)
        self.loss = objectives.get(loss)
        self.class_mode = class_mode
        self.theano_mode = theano_mode
        self._compile_args = {"optimizer": self.optimizer, "loss": loss, "class_mode": class_mode,
                              "theano_mode": theano_mode, "masked_mean": masked_mean}  # see __getstate__
        objective = weighted_objective(self.loss, masked_mean=masked_mean)

        X = _as_list(self.get_input(train=False))
        y_train = self.get_output(train=True)
        y_test = self.get_output(train=False)
        y = _target_like(y_test, "y")
        self._output_ndims = [y_test.ndim]
        weights = _weights_like(y_test, "sample_weight")
        mask = self.layers[-1].get_output_mask()
        train_loss = objective(y, y_train, weights, mask)
        test_loss = objective(y, y_test, weights, mask)

        def accuracy(y_pred):
            if class_mode == "categorical":
                return T.mean(T.eq(T.argmax(y, axis=-1), T.argmax(y_pred, axis=-1)))
            return T.mean(T.eq(y, K.round_half_away(y_pred)))

        ins = X + [y, weights]

        def build_train():
            loss, updates = self._train_updates(train_loss)
            return K.function(ins, [loss, accuracy(y_train)], updates=updates, mode=theano_mode)

        self._builders = {
            "train": build_train,
            "test": lambda: K.function(ins, [test_loss, accuracy(y_test)], mode=theano_mode),
            "predict": lambda: K.function(X, [y_test], mode=theano_mode),
        }
        self._reset_functions()

    # the 0.1.3 function attributes, as views of the shared compiled functions
    @property
    def _train(self):
        return lambda *ins: self._function("train")(*ins)[0]

    @property
    def _train_with_acc(self):
        return lambda *ins: self._function("train")(*ins)

    @property
    def _test(self):
        return lambda *ins: self._function("test")(*ins)[0]

    @property
    def _test_with_acc(self):
        return lambda *ins: self._function("test")(*ins)

    @property
    def _predict(self):
        return lambda *ins: self._function("predict")(*ins)[0]

    def _update_sources(self):
        return self.layers

    def _check_X(self, X, where, finite=True):
        """The input list, checked against the first layer(s) (rank, features, indices, values)."""
        X = standardize_X(X)
        inputs = _as_list(self.get_input(train=False))
        X = validation.check_inputs(X, validation.sequential_input_specs(self, inputs), where, finite)
        names = ["X"] if len(X) == 1 else [f"X[{k}]" for k in range(len(X))]
        validation.check_same_length(X, names, where)
        return X

    def _ins(self, X, y, class_weight=None, sample_weight=None, where="fit"):
        where = f"{type(self).__name__}.{where}"
        X = self._check_X(X, where)
        if y is None:
            raise TypeError(f"{where}: y (the targets) is None; pass a NumPy array with one row per sample.")
        y = standardize_y(y)
        ndims = getattr(self, "_output_ndims", [None])
        spec = validation.OutputSpec("y", ndims[0], layer_shapes.output_dim(self.layers[-1]))
        y = validation.check_target(y, spec, where)
        validation.check_same_length(X + [y], ["X" if len(X) == 1 else f"X[{k}]" for k in range(len(X))] + ["y"],
                                     where)
        w = standardize_weights(y, class_weight=class_weight, sample_weight=sample_weight)
        return X + [y, w]

    def train_on_batch(self, X, y, accuracy=False, class_weight=None, sample_weight=None):
        """One update on ``(X, y)``; returns the loss (and accuracy) before the update."""
        ins = self._ins(X, y, class_weight, sample_weight, where="train_on_batch")  # checked before compiling
        loss, acc = self._function("train")(*ins)
        return [loss[()], acc[()]] if accuracy else loss[()]

    def test_on_batch(self, X, y, accuracy=False, sample_weight=None):
        ins = self._ins(X, y, sample_weight=sample_weight, where="test_on_batch")
        loss, acc = self._function("test")(*ins)
        return [loss[()], acc[()]] if accuracy else loss[()]

    def predict_on_batch(self, X):
        X = self._check_X(X, "Sequential.predict_on_batch", finite=False)
        return self._function("predict")(*X)[0]

    def fit(self, X, y, batch_size=128, nb_epoch=100, verbose=1, callbacks=(), validation_split=0.0,
            validation_data=None, shuffle=True, show_accuracy=False, class_weight=None, sample_weight=None):
        X = standardize_X(X)
        y = standardize_y(y)
        if validation_split:  # before splitting, so the message speaks of the arrays as given
            validation.check_same_length(X + [y], [f"X[{k}]" for k in range(len(X))] + ["y"], "Sequential.fit")
        val_f = val_ins = None
        if validation_data is not None:
            if len(validation_data) == 2:
                X_val, y_val = validation_data
                sample_weight_val = None
            elif len(validation_data) == 3:
                X_val, y_val, sample_weight_val = validation_data
            else:
                raise ValueError(
                    "validation_data must be (X, y) or (X, y, sample_weight), "
                    f"got a sequence of {len(validation_data)} items."
                )
            val_ins = self._ins(X_val, y_val, sample_weight=sample_weight_val, where="fit (validation_data)")
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}.")
            split_at = int(len(X[0]) * (1 - validation_split))
            sample_weight_val = None
            if sample_weight is not None:
                sample_weight = standardize_weights(y, sample_weight=sample_weight)
                sample_weight, sample_weight_val = slice_X(sample_weight, 0, split_at), slice_X(sample_weight, split_at)
            X, X_val = slice_X(X, 0, split_at), slice_X(X, split_at)
            y, y_val = slice_X(y, 0, split_at), slice_X(y, split_at)
            val_ins = self._ins(X_val, y_val, sample_weight=sample_weight_val)
        ins = self._ins(X, y, class_weight=class_weight, sample_weight=sample_weight)
        if val_ins is not None:
            val_f = self._function("test")
        out_labels = ["loss", "acc"] if show_accuracy else ["loss"]
        return self._fit(self._function("train"), ins, out_labels=out_labels, batch_size=batch_size,
                         nb_epoch=nb_epoch, verbose=verbose, callbacks=callbacks, val_f=val_f,
                         val_ins=val_ins, shuffle=shuffle, metrics=["loss", "acc", "val_loss", "val_acc"])

    def predict(self, X, batch_size=128, verbose=0):
        X = self._check_X(X, "Sequential.predict", finite=False)
        return self._predict_loop(self._function("predict"), X, batch_size, verbose)[0]

    def predict_proba(self, X, batch_size=128, verbose=1):
        preds = self.predict(X, batch_size, verbose)
        if preds.min() < 0 or preds.max() > 1:
            warnings.warn("Network returning invalid probability values.", stacklevel=2)
        return preds

    def predict_classes(self, X, batch_size=128, verbose=1):
        proba = self.predict(X, batch_size=batch_size, verbose=verbose)
        if self.class_mode == "categorical":
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def evaluate(self, X, y, batch_size=128, show_accuracy=False, verbose=1, sample_weight=None):
        ins = self._ins(X, y, sample_weight=sample_weight, where="evaluate")
        outs = self._test_loop(self._function("test"), ins, batch_size, verbose)
        return outs if show_accuracy else outs[0]

    def save_weights(self, filepath, overwrite=False):
        """Write the 0.x HDF5 layout; never prompts (an existing file needs ``overwrite=True``)."""
        io_utils.save_sequential_weights(filepath, [layer.get_weights() for layer in self.layers], overwrite)

    def load_weights(self, filepath):
        """Read a 0.x HDF5 file; all or nothing: everything is checked before any weight is set."""
        found = io_utils.load_sequential_weights(filepath)
        before = [layer.get_weights() for layer in self.layers]
        io_utils.check_sequential_weights(found, [[np.shape(w) for w in ws] for ws in before])
        try:
            for layer, weights in zip(self.layers, found):
                layer.set_weights(weights)
        except BaseException:
            for layer, weights in zip(self.layers, before):
                layer.set_weights(weights)
            raise


class Graph(Model, containers.Graph):
    """A graph of layers with named inputs and outputs and the 0.1.3 training API."""

    @_graphs_for_theano_mode
    def compile(self, optimizer, loss, theano_mode=None, *, masked_mean=False):
        """``loss`` maps each output name to an objective; the total loss is their sum."""
        from keras_legacy import objectives, optimizers

        if not isinstance(loss, dict):
            raise TypeError(f"Graph.compile: loss must be a dict {{output name: objective}}, got {type(loss).__name__}.")
        missing = [name for name in self.output_order if name not in loss]
        if missing:
            raise ValueError(f"Graph.compile: no loss for output(s) {missing}; outputs are {self.output_order}.")
        K.get_mode(theano_mode)
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.theano_mode = theano_mode
        self._compile_args = {"optimizer": self.optimizer, "loss": loss, "theano_mode": theano_mode,
                              "masked_mean": masked_mean}  # see __getstate__
        ys, ys_test, weights, output_ndims = [], [], [], []
        self._output_ndims = output_ndims
        train_loss = 0.0
        test_loss = 0.0
        for name in self.output_order:
            output = self.outputs[name]
            objective = weighted_objective(objectives.get(loss[name]), masked_mean=masked_mean)
            y_train = output.get_output(True)
            y_test = output.get_output(False)
            y = _target_like(y_test, name)
            output_ndims.append(y_test.ndim)
            w = _weights_like(y_test, f"{name}_sample_weight")
            mask = output.get_output_mask()
            train_loss = train_loss + objective(y, y_train, w, mask)
            test_loss = test_loss + objective(y, y_test, w, mask)
            ys.append(y)
            ys_test.append(y_test)
            weights.append(w)
        X = [self.inputs[name].input for name in self.input_order]
        ins = X + ys + weights

        def build_train():
            loss_, updates = self._train_updates(train_loss)
            return K.function(ins, [loss_], updates=updates, mode=theano_mode)

        self._builders = {
            "train": build_train,
            "test": lambda: K.function(ins, [test_loss], mode=theano_mode),
            "predict": lambda: K.function(X, ys_test, mode=theano_mode),
        }
        self._reset_functions()

    @property
    def _train(self):
        return lambda *ins: self._function("train")(*ins)[0]

    @property
    def _test(self):
        return lambda *ins: self._function("test")(*ins)[0]

    @property
    def _predict(self):
        return lambda *ins: self._function("predict")(*ins)

    def _update_sources(self):
        return [self.nodes[c["name"]] for c in self.node_config]

    def _data(self, data, names, what):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"Graph.{what}: the data dict lacks {missing}; it needs {list(names)}.")
        return [data[n] for n in names]

    def _check_X(self, data, what, finite=True):
        where = f"Graph.{what}"
        if not isinstance(data, dict):
            raise TypeError(
                f"{where}: expected a dict {{input/output name: array}} with keys "
                f"{self.input_order + self.output_order}, got {type(data).__name__}."
            )
        X = validation.check_inputs(self._data(data, self.input_order, what), validation.graph_input_specs(self),
                                    where, finite)
        validation.check_same_length(X, [repr(n) for n in self.input_order], where)
        return X

    def _ins(self, data, what, class_weight=None, sample_weight=None):
        class_weight = class_weight or {}
        sample_weight = sample_weight or {}
        X = self._check_X(data, what)
        ndims = getattr(self, "_output_ndims", None) or [None] * len(self.output_order)
        y = [validation.check_target(standardize_y(v),
                                     validation.OutputSpec(repr(name), ndim, layer_shapes.output_dim(self.outputs[name])),
                                     f"Graph.{what}")
             for name, ndim, v in zip(self.output_order, ndims, self._data(data, self.output_order, what))]
        validation.check_same_length(X + y, [repr(n) for n in self.input_order + self.output_order], f"Graph.{what}")
        w = [standardize_weights(y_k, sample_weight=sample_weight.get(name), class_weight=class_weight.get(name))
             for name, y_k in zip(self.output_order, y)]
        return X + y + w

    def train_on_batch(self, data, class_weight=None, sample_weight=None):
        ins = self._ins(data, "train_on_batch", class_weight, sample_weight)
        return self._function("train")(*ins)[0][()]

    def test_on_batch(self, data, sample_weight=None):
        ins = self._ins(data, "test_on_batch", sample_weight=sample_weight)
        return self._function("test")(*ins)[0][()]

    def predict_on_batch(self, data):
        X = self._check_X(data, "predict_on_batch", finite=False)
        outs = self._function("predict")(*X)
        return dict(zip(self.output_order, outs))

    def fit(self, data, batch_size=128, nb_epoch=100, verbose=1, callbacks=(), validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None):
        ins = self._ins(data, "fit", class_weight, sample_weight)
        val_ins = None
        if validation_data is not None:
            val_ins = self._ins(validation_data, "fit (validation_data)")
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}.")
            split_at = int(len(ins[0]) * (1 - validation_split))
            # the validation part keeps its sample weights; class weights apply to training only
            val_ins = slice_X(self._ins(data, "fit", sample_weight=sample_weight), split_at)
            ins = slice_X(ins, 0, split_at)
        val_f = self._function("test") if val_ins is not None else None
        return self._fit(self._function("train"), ins, out_labels=["loss"], batch_size=batch_size,
                         nb_epoch=nb_epoch, verbose=verbose, callbacks=callbacks, val_f=val_f,
                         val_ins=val_ins, shuffle=shuffle, metrics=["loss", "val_loss"])

    def evaluate(self, data, batch_size=128, verbose=0, sample_weight=None):
        ins = self._ins(data, "evaluate", sample_weight=sample_weight)
        return self._test_loop(self._function("test"), ins, batch_size, verbose)

    def predict(self, data, batch_size=128, verbose=0):
        X = self._check_X(data, "predict", finite=False)
        outs = self._predict_loop(self._function("predict"), X, batch_size, verbose)
        return dict(zip(self.output_order, outs))

    def save_weights(self, filepath, overwrite=False):
        io_utils.save_graph_weights(filepath, self.get_weights(), overwrite)

    def load_weights(self, filepath):
        weights = io_utils.load_graph_weights(filepath)
        io_utils.check_weights(weights, [np.shape(w) for w in self.get_weights()], "group 'graph'")
        self.set_weights(weights)
