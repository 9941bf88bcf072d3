"""Keras 0.1.3 ``keras.models``: ``Sequential`` and ``Graph`` with compile/fit/evaluate/predict.

A model class is a container of ``keras_legacy.layers.containers`` with the
training API of ``keras_legacy.engine`` mixed in (``SequentialModel``,
``GraphModel``; the loops and lazily compiled functions are
``keras_legacy.engine.training.Model``).

``model_from_json``/``model_from_yaml``/``model_from_config`` load configs
written by any 0.x release: the release is sniffed from the config's keys,
and 0.2.0/0.3.x configs rebuild with those styles' layers and the 0.2.0
``Graph`` (``keras_legacy.v020.graph_model``).  The 0.1.3 helper functions of
``keras.models`` (batching, sample weights, ``weighted_objective``) live in
``keras_legacy.engine.training_utils`` and are exported here under their
0.1.3 import path.
"""

from __future__ import annotations

from keras_legacy.engine import model_config
from keras_legacy.engine.graph_model import GraphModel
from keras_legacy.engine.model_config import get_function_name
from keras_legacy.engine.sequential_model import SequentialModel
from keras_legacy.engine.training import Model
from keras_legacy.engine.training_utils import (
    batch_shuffle,
    make_batches,
    slice_X,
    standardize_weights,
    standardize_X,
    standardize_y,
    weighted_objective,
)
from keras_legacy.engine.validation import NonFiniteLossError
from keras_legacy.layers import containers
from keras_legacy.v020.graph_model import Graph as _Graph020

__all__ = [
    "standardize_y", "batch_shuffle", "make_batches", "standardize_X", "slice_X",
    "weighted_objective", "standardize_weights", "model_from_yaml", "model_from_json",
    "model_from_config", "get_function_name", "Model", "Sequential", "Graph", "NonFiniteLossError",
]


class Sequential(SequentialModel, containers.Sequential):
    """A stack of layers with the 0.1.3 training API."""


class Graph(GraphModel, containers.Graph):
    """A graph of layers with named inputs and outputs and the 0.1.3 training API."""


def model_from_config(config, custom_layers=None, custom_objects=None):
    """Rebuild a model from ``get_config()``; compile it when the config has an optimizer.

    ``custom_layers`` (or ``custom_objects``, the 0.3.x name) maps extra names
    to layer classes, and to functions used by name in the config
    (``activation``, ``init``, the loss...).  See
    ``keras_legacy.engine.model_config.build_model``.
    """
    return model_config.build_model(config, custom_layers, custom_objects, Sequential, Graph, _Graph020)


def model_from_yaml(yaml_string, custom_layers=None, custom_objects=None):
    """Rebuild a model from ``to_yaml()`` output; only plain YAML (and ``!!python/tuple``) is read."""
    config = model_config.parse_yaml(yaml_string)
    custom = model_config.merge_custom(custom_layers, custom_objects, "model_from_yaml")
    return model_config.build_model(config, custom, None, Sequential, Graph, _Graph020)


def model_from_json(json_string, custom_layers=None, custom_objects=None):
    """Rebuild a model from ``to_json()`` output (``custom_objects`` is the 0.3.x name of ``custom_layers``)."""
    config = model_config.parse_json(json_string)
    custom = model_config.merge_custom(custom_layers, custom_objects, "model_from_json")
    return model_config.build_model(config, custom, None, Sequential, Graph, _Graph020)
