"""What a ``Sequential`` model does: compile, fit, evaluate, predict, weight files (Keras 0.1.3).

``SequentialModel`` is a mixin over a ``Sequential`` container
(``keras_legacy.models.Sequential`` is ``SequentialModel`` +
``keras_legacy.layers.containers.Sequential``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytensor.tensor as T

from keras_legacy import backend as K
from keras_legacy import objectives, optimizers
from keras_legacy.engine import loop_args, validation
from keras_legacy.engine.training import Model, as_list, target_like, weights_like
from keras_legacy.engine.training_utils import (
    slice_X,
    standardize_weights,
    standardize_X,
    standardize_y,
    weighted_objective,
)
from keras_legacy.layers.checks import output_dim
from keras_legacy.utils import io_utils


class SequentialModel(Model):
    """The 0.1.3 training API of a stack of layers (mixed into a ``Sequential`` container)."""

    def compile(self, optimizer, loss, class_mode="categorical", theano_mode=None, *, masked_mean=False,
                data_parallel=False):
        """Set the optimizer and loss; functions compile on first use (``mode=theano_mode``).

        ``masked_mean=True`` (a keras_legacy addition, off by default) replaces
        the 0.1.3 masked-loss normalisation quirk by the masked mean; see
        ``weighted_objective``.  ``data_parallel`` (a keras_legacy addition, with
        ``theano_mode="JAX"`` only): ``True`` splits each batch over every device of
        ``jax.devices()``, an int ``n`` over the first ``n``, a list over those devices
        (``keras_legacy.backend.jax_function``).
        """
        if class_mode not in ("categorical", "binary"):
            raise ValueError(f"Invalid class_mode: {class_mode!r}. Expected one of: binary, categorical.")
        fixed_shapes = K.check_jax_args(theano_mode, data_parallel)  # validate now, not at the first fit
        self.optimizer = optimizers.get(optimizer)
        self.loss = objectives.get(loss)
        self.class_mode = class_mode
        self.theano_mode = theano_mode
        self._compile_args = {"optimizer": self.optimizer, "loss": loss, "class_mode": class_mode,
                              "theano_mode": theano_mode, "masked_mean": masked_mean,
                              "data_parallel": data_parallel}  # see Model.__getstate__
        objective = weighted_objective(self.loss, masked_mean=masked_mean, fixed_shapes=fixed_shapes)
        mode = {"mode": theano_mode, "data_parallel": data_parallel}

        X = as_list(self.get_input(train=False))
        y_train = self.get_output(train=True)
        y_test = self.get_output(train=False)
        state_updates = self._state_updates()  # those of the test-mode graph, as 0.3 compiled them
        y = target_like(y_test, "y")
        self._output_ndims = [y_test.ndim]
        weights = weights_like(y_test, "sample_weight")
        mask = self.layers[-1].get_output_mask()
        train_loss = objective(y, y_train, weights, mask)
        test_loss = objective(y, y_test, weights, mask)

        def accuracy(y_pred):
            if class_mode == "categorical":
                return T.mean(T.eq(T.argmax(y, axis=-1), T.argmax(y_pred, axis=-1)))
            return T.mean(T.eq(y, K.round_half_away(y_pred)))

        ins = X + [y, weights]

        def build_train():
            loss, updates = self._train_updates(train_loss, state_updates)
            return K.function(ins, [loss, accuracy(y_train)], updates=updates, **mode)

        self._builders = {
            "train": build_train,
            "test": lambda: K.function(ins, [test_loss, accuracy(y_test)], updates=state_updates, **mode),
            "predict": lambda: K.function(X, [y_test], updates=state_updates, **mode),
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
        inputs = as_list(self.get_input(train=False))
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
        spec = validation.OutputSpec("y", ndims[0], output_dim(self.layers[-1]))
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
            split_at = loop_args.validation_split_point(len(X[0]), validation_split, "Sequential.fit")
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
        before = [layer.get_weights() for layer in self.layers]
        found = io_utils.load_sequential_weights(filepath, [[np.shape(w) for w in ws] for ws in before])
        io_utils.check_sequential_weights(found, [[np.shape(w) for w in ws] for ws in before])
        try:
            for layer, weights in zip(self.layers, found):
                layer.set_weights(weights)
        except BaseException:
            for layer, weights in zip(self.layers, before):
                layer.set_weights(weights)
            raise
