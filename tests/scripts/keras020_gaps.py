"""Keras 0.2.0 names and behaviours scripts rely on; run with ``--keras 0.2.0``.

Usage: ``keras020_gaps.py OUT.json OUT.npz``.  What it finds goes to OUT.json
(shapes and types as their ``repr``); the TimeDistributedMerge model's data,
weights and prediction go to OUT.npz for a NumPy check.
"""
import json
import sys

import numpy as np

from keras import activations, callbacks, constraints, initializations, objectives, optimizers, regularizers
from keras import datasets, layers, models, preprocessing, utils
from keras.layers import containers
from keras.layers.core import Dense, Flatten, MaxoutDense, TimeDistributedDense, TimeDistributedMerge
from keras.layers.normalization import BatchNormalization
from keras.models import (Graph, Model, Sequential, batch_shuffle, get_function_name, make_batches, slice_X,
                          standardize_weights, standardize_X, standardize_y, weighted_objective)

json_path, npz_path = sys.argv[1], sys.argv[2]
out = {}
out["modules"] = {name: module.__name__ for name, module in [
    ("activations", activations), ("callbacks", callbacks), ("constraints", constraints),
    ("initializations", initializations), ("objectives", objectives), ("optimizers", optimizers),
    ("regularizers", regularizers), ("datasets", datasets), ("layers", layers), ("models", models),
    ("preprocessing", preprocessing), ("utils", utils)]}
out["regularizer"] = regularizers.l2(0.01).get_config()

# keras.models helpers of 0.2.0
out["make_batches"] = make_batches(5, 2)
out["slice_X"] = [a.tolist() for a in slice_X([np.arange(4), np.arange(4) * 10], 1, 3)]
out["standardize_y"] = repr(standardize_y([1, 2, 3]).shape)
out["standardize_X"] = len(standardize_X(np.zeros((2, 3))))
out["standardize_weights"] = standardize_weights(np.zeros((3, 2)), sample_weight=np.array([1.0, 2.0, 3.0])).tolist()
out["batch_shuffle"] = sorted(batch_shuffle(np.arange(6), 2).tolist())
out["get_function_name"] = get_function_name(objectives.mse)
out["weighted_objective"] = callable(weighted_objective(objectives.mse))
out["Model"] = [Model.__name__, issubclass(Sequential, Model), issubclass(Graph, Model)]

# the 0.2.0 Graph, container and model
container = containers.Graph()
container.add_input(name="input", input_shape=(32,))
container.add_node(Dense(4), name="dense", input="input")
container.add_output(name="output", input="dense")
graph = Graph()
graph.add_input(name="input", input_shape=(32,))
graph.add_node(Dense(4), name="dense", input="input")
graph.add_output(name="output", input="dense")
out["graph"] = [type(container).__module__, repr(container.nodes["dense"].output_shape),
                type(graph).__module__, repr(graph.nodes["dense"].output_shape),
                graph.get_config()["input_config"]]

# configs before the input size is known; tuple input_shape
out["configs"] = {layer.__class__.__name__: layer.get_config()
                  for layer in (Dense(3), TimeDistributedDense(3), MaxoutDense(3, nb_feature=2))}
out["bn_input_shape"] = repr(BatchNormalization(input_shape=(10, 10)).get_config()["input_shape"])

# set_input_shape takes one sample's shape
flat = Flatten()
flat.set_input_shape((2, 3))
out["flatten"] = [repr(flat.input_shape), repr(flat.output_shape)]

# TimeDistributedMerge in a model
np.random.seed(1)
X = np.random.RandomState(2).normal(size=(4, 3, 5))
model = Sequential()
model.add(TimeDistributedMerge(mode="ave", input_shape=(3, 5)))
model.add(Dense(2))
model.compile(loss="mse", optimizer="sgd")
out["tdm"] = [repr(model.layers[0].output_shape), model.layers[0].get_config()]
W, b = model.get_weights()
np.savez(npz_path, X=X, W=W, b=b, pred=model.predict(X))
with open(json_path, "w") as handle:
    json.dump(out, handle)
