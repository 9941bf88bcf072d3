"""Keras 0.1.3 containers: ``Sequential`` (a stack of layers) and ``Graph``.

Both are layers themselves: they collect the ``(params, regularizers,
constraints, updates)`` of the layers they hold, in the order the layers were
added, and expose ``get_input``/``get_output`` like any layer, so they can be
nested (inside a ``Merge``, or a ``Sequential`` inside a ``Sequential``).
"""

from __future__ import annotations

import pytensor.tensor as T

from keras_legacy.layers.core import Layer, Merge, set_sublayer_weights, sublayer_weights
from keras_legacy.layers.layer_cycles import check_no_cycle
from keras_legacy.utils.theano_utils import ndim_tensor


class Sequential(Layer):
    """A linear stack of layers: each layer's input is the previous one's output.

    ``add(layer)`` connects ``layer`` to the current last layer with
    ``set_previous`` (the first layer keeps its own symbolic ``input``) and
    appends the layer's parameters, regularizers, constraints and updates.
    ``get_weights``/``set_weights`` are flat lists over all layers, in order.
    """

    def __init__(self, layers=()):
        Layer.__init__(self)
        self.layers = []
        self.regularizers = []
        self.constraints = []
        self.updates = []
        for layer in layers:
            self.add(layer)

    # --- building -------------------------------------------------------------
    def set_previous(self, layer, connection_map=None):
        if not self.layers:
            raise ValueError("Sequential.set_previous: the container is empty; add a layer first.")
        self.layers[0].set_previous(layer)

    def add(self, layer):
        if not isinstance(layer, Layer) and not all(hasattr(layer, a) for a in ("get_output", "get_params")):
            raise TypeError(
                f"Sequential.add expects a layer (a keras_legacy.layers.core.Layer), "
                f"got {type(layer).__name__}."
            )
        if layer is self or any(layer is known for known in self.layers):
            raise ValueError(f"Sequential.add: this {type(layer).__name__} is already in the model (or is the "
                             "model itself); a layer can appear once. Create a new layer for each position.")
        self.layers.append(layer)
        if len(self.layers) > 1:
            self.layers[-1].set_previous(self.layers[-2])
        params, regularizers, constraints, updates = layer.get_params()
        self.params += list(params)
        self.regularizers += list(regularizers)
        self.constraints += list(constraints)
        self.updates += list(updates)

    def get_params(self):
        return self.params, self.regularizers, self.constraints, self.updates

    # --- graph ----------------------------------------------------------------
    def _require_layers(self, what):
        if not self.layers:
            raise ValueError(f"Sequential.{what}: the model has no layers; call add(layer) first.")

    @property
    def output_shape(self):
        """The last layer's ``output_shape`` (0.2.0 layers have one)."""
        return self.layers[-1].output_shape

    def _output_layer(self):
        """The layer whose output is this container's (the last one), for the static shape checks."""
        return self.layers[-1] if self.layers else None

    def get_output(self, train=False):
        self._require_layers("get_output")
        return self.layers[-1].get_output(train)

    def get_output_mask(self, train=None):
        self._require_layers("get_output_mask")
        return self.layers[-1].get_output_mask(train)

    def supports_masked_input(self):
        return bool(self.layers) and self.layers[0].supports_masked_input()

    def set_input(self):
        """Give the first layer a symbolic input when it has none (matching its ndim)."""
        self._require_layers("set_input")
        first = self.layers[0]
        if hasattr(first, "input") or hasattr(first, "previous"):
            return
        ndim = getattr(first, "input_ndim", None) or 2
        first.input = ndim_tensor(ndim)

    def get_input(self, train=False):
        self._require_layers("get_input")
        first = self.layers[0]
        if not hasattr(first, "input") and not hasattr(first, "previous"):
            self.set_input()
        return first.get_input(train)

    @property
    def input(self):
        return self.get_input()

    # --- weights and config ---------------------------------------------------
    def get_weights(self):
        return sublayer_weights(self.layers)

    def set_weights(self, weights):
        set_sublayer_weights(self, weights, self.layers)

    def get_config(self):
        return {"name": self.__class__.__name__, "layers": [layer.get_config() for layer in self.layers]}


class Graph(Layer):
    """A directed acyclic graph of layers with named inputs, nodes and outputs (0.1.3).

    Parameters are collected in node insertion order; a shared variable used
    by several nodes is counted once.
    """

    def __init__(self):
        Layer.__init__(self)
        self.namespace = set()
        self.nodes = {}
        self.inputs = {}
        self.input_order = []
        self.outputs = {}
        self.output_order = []
        self.input_config = []
        self.node_config = []
        self.output_config = []
        self.regularizers = []
        self.constraints = []
        self.updates = []

    @property
    def nb_input(self):
        return len(self.inputs)

    @property
    def nb_output(self):
        return len(self.outputs)

    def get_params(self):
        return self.params, self.regularizers, self.constraints, self.updates

    # --- connection -------------------------------------------------------------
    def set_previous(self, layer, connection_map=None):
        """Feed this graph's inputs from ``layer``'s output(s).

        ``connection_map`` maps this graph's input names to ``layer``'s output
        names when either side has more than one.
        """
        connection_map = connection_map or {}
        if self.nb_input != layer.nb_output:
            raise ValueError(
                f"Graph.set_previous: this graph has {self.nb_input} input(s) but "
                f"{type(layer).__name__} has {layer.nb_output} output(s)."
            )
        if self.nb_input == 1:
            self.inputs[self.input_order[0]].set_previous(layer)
            return
        if not connection_map:
            raise ValueError(
                "Graph.set_previous: with several inputs, pass connection_map={graph input name: "
                "previous layer's output name}."
            )
        if not isinstance(layer, Graph):
            raise TypeError("Graph.set_previous with a connection_map needs a Graph as previous layer.")
        for name, out_name in connection_map.items():
            if name not in self.inputs:
                raise ValueError(f"Graph.set_previous: unknown input {name!r}; inputs are {self.input_order}.")
            if out_name not in layer.outputs:
                raise ValueError(
                    f"Graph.set_previous: unknown output {out_name!r}; outputs are {layer.output_order}."
                )
            self.inputs[name].set_previous(layer.outputs[out_name])

    def get_input(self, train=False):
        if len(self.inputs) == 1 and len(self.outputs) == 1:
            return self.inputs[self.input_order[0]].get_input(train)
        return {name: self.inputs[name].get_input(train) for name in self.input_order}

    @property
    def input(self):
        return self.get_input()

    def _output_layer(self):
        """The node of the single output, for the static shape checks (None with several outputs)."""
        return self.outputs[self.output_order[0]] if len(self.output_order) == 1 else None

    def get_output(self, train=False):
        if len(self.inputs) == 1 and len(self.outputs) == 1:
            return self.outputs[self.output_order[0]].get_output(train)
        return {name: self.outputs[name].get_output(train) for name in self.output_order}

    # --- building -------------------------------------------------------------
    def _claim(self, name, what):
        if not isinstance(name, str):
            raise TypeError(f"Graph.{what}: the name must be a string, got {type(name).__name__}.")
        if name in self.namespace:
            raise ValueError(f"Graph.{what}: the name {name!r} is already used in this graph.")
        self.namespace.add(name)

    def add_input(self, name, ndim=2, dtype="float"):
        if dtype != "float" and ndim != 2:  # 0.1.3: any dtype but 'float' is an int matrix
            raise ValueError(
                f"Graph.add_input: dtype='int' inputs are 2-D index matrices (for Embedding); got ndim={ndim}."
            )
        self._claim(name, "add_input")
        layer = Layer()
        layer.input = ndim_tensor(ndim) if dtype == "float" else T.imatrix()
        layer.input.name = name
        self.inputs[name] = layer
        self.input_order.append(name)
        self.input_config.append({"name": name, "ndim": ndim, "dtype": dtype})

    def _source(self, name, what):
        if name in self.nodes:
            return self.nodes[name]
        if name in self.inputs:
            return self.inputs[name]
        raise ValueError(
            f"Graph.{what}: unknown input {name!r}; known inputs and nodes are "
            f"{self.input_order + list(self.nodes)}."
        )

    def _merged(self, names, merge_mode, what):
        return Merge([self._source(n, what) for n in names], mode=merge_mode)

    def add_node(self, layer, name, input=None, inputs=(), merge_mode="concat", create_output=False):
        inputs = list(inputs or [])
        if input is None and not inputs:
            raise ValueError(f"Graph.add_node({name!r}): give input='name' or inputs=['a', 'b'].")
        if not inputs:  # given both, 0.1.3 connected input= and then inputs=: inputs= wins
            previous = self._source(input, f"add_node({name!r})")
        elif len(inputs) == 1:
            previous = self._source(inputs[0], f"add_node({name!r})")
        else:
            previous = self._merged(inputs, merge_mode, f"add_node({name!r})")
        check_no_cycle(layer, previous, f"Graph.add_node({name!r})")
        self._claim(name, "add_node")
        layer.set_previous(previous)
        self.nodes[name] = layer
        self.node_config.append({"name": name, "input": input, "inputs": inputs, "merge_mode": merge_mode})
        params, regularizers, constraints, updates = layer.get_params()
        for p, c in zip(params, constraints):
            if not any(p is q for q in self.params):
                self.params.append(p)
                self.constraints.append(c)
        self.regularizers += list(regularizers)
        self.updates += list(updates)
        if create_output:
            self.add_output(name, input=name)

    def add_output(self, name, input=None, inputs=(), merge_mode="concat"):
        inputs = list(inputs or [])
        if name in self.output_order:
            raise ValueError(f"Graph.add_output: the output {name!r} already exists.")
        if input is not None and not inputs:  # given both, inputs= wins (0.1.3)
            self.outputs[name] = self._source(input, f"add_output({name!r})")  # a node or an input
        elif inputs:
            for n in inputs:
                if n not in self.nodes:
                    raise ValueError(
                        f"Graph.add_output({name!r}): unknown node {n!r}; nodes are {list(self.nodes)}."
                    )
            self.outputs[name] = self._merged(inputs, merge_mode, f"add_output({name!r})")
        else:
            raise ValueError(f"Graph.add_output({name!r}): give input='node' or inputs=['a', 'b'].")
        self.output_order.append(name)
        self.output_config.append({"name": name, "input": input, "inputs": inputs, "merge_mode": merge_mode})

    def get_config(self):
        return {
            "name": self.__class__.__name__,
            "input_config": [dict(c) for c in self.input_config],
            "node_config": [dict(c, inputs=list(c["inputs"])) for c in self.node_config],
            "output_config": [dict(c, inputs=list(c["inputs"])) for c in self.output_config],
            "input_order": list(self.input_order),
            "output_order": list(self.output_order),
            "nodes": {c["name"]: self.nodes[c["name"]].get_config() for c in self.node_config},
        }
