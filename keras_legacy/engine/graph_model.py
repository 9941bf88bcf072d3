"""What a ``Graph`` model does: compile, fit, evaluate, predict, weight files (Keras 0.1.3).

``GraphModel`` is a mixin over a ``Graph`` container: ``keras_legacy.models.Graph``
mixes it with the 0.1.3 container, ``keras_legacy.v020.models.Graph`` with the
0.2.0 one (inputs declared with ``input_shape``).
"""

from __future__ import annotations

import numpy as np

from keras_legacy import backend as K
from keras_legacy import objectives, optimizers
from keras_legacy.engine import loop_args, validation
from keras_legacy.engine.training import Model, target_like, weights_like
from keras_legacy.engine.training_utils import (
    slice_X,
    standardize_weights,
    standardize_y,
    weighted_objective,
)
from keras_legacy.layers.checks import output_dim
from keras_legacy.utils import io_utils


class GraphModel(Model):
    """The 0.1.3 training API of a graph of layers with named inputs and outputs (mixed into a ``Graph`` container)."""

    def compile(self, optimizer, loss, theano_mode=None, *, masked_mean=False,
                data_parallel=False):
        """``loss`` maps each output name to an objective; the total loss is their sum
        (``masked_mean``, ``data_parallel``: see ``SequentialModel.compile``)."""
        if not isinstance(loss, dict):
            raise TypeError("Graph.compile: loss must be a dict {output name: objective}, "
                            f"got {type(loss).__name__}.")
        missing = [name for name in self.output_order if name not in loss]
        if missing:
            raise ValueError(f"Graph.compile: no loss for output(s) {missing}; outputs are {self.output_order}.")
        fixed_shapes = K.check_jax_args(theano_mode, data_parallel)  # JAX: no nonzero() in the loss
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.theano_mode = theano_mode
        self._compile_args = {"optimizer": self.optimizer, "loss": loss, "theano_mode": theano_mode,
                              "masked_mean": masked_mean, "data_parallel": data_parallel}  # see Model.__getstate__
        ys, ys_test, weights, output_ndims = [], [], [], []
        self._output_ndims = output_ndims
        train_loss = 0.0
        test_loss = 0.0
        for name in self.output_order:
            output = self.outputs[name]
            objective = weighted_objective(objectives.get(loss[name]), masked_mean=masked_mean,
                                           fixed_shapes=fixed_shapes)
            y_train = output.get_output(True)
            y_test = output.get_output(False)
            y = target_like(y_test, name)
            output_ndims.append(y_test.ndim)
            w = weights_like(y_test, f"{name}_sample_weight")
            mask = output.get_output_mask()
            train_loss = train_loss + objective(y, y_train, w, mask)
            test_loss = test_loss + objective(y, y_test, w, mask)
            ys.append(y)
            ys_test.append(y_test)
            weights.append(w)
        X = [self.inputs[name].input for name in self.input_order]
        ins = X + ys + weights
        state_updates = self._state_updates()  # those of the test-mode graph, as 0.3 compiled them
        mode = {"mode": theano_mode, "data_parallel": data_parallel}

        def build_train():
            loss_, updates = self._train_updates(train_loss, state_updates)
            return K.function(ins, [loss_], updates=updates, **mode)

        self._builders = {
            "train": build_train,
            "test": lambda: K.function(ins, [test_loss], updates=state_updates, **mode),
            "predict": lambda: K.function(X, ys_test, updates=state_updates, **mode),
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
                                     validation.OutputSpec(repr(name), ndim, output_dim(self.outputs[name])),
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
            split_at = loop_args.validation_split_point(len(ins[0]), validation_split, "Graph.fit")
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
        weights = io_utils.load_graph_weights(filepath, [np.shape(w) for w in self.get_weights()])
        io_utils.check_weights(weights, [np.shape(w) for w in self.get_weights()], "group 'graph'")
        self.set_weights(weights)
