"""Keras 0.2.0 ``keras.layers.containers``: ``Sequential`` as in 0.1.3, ``Graph`` with 0.2.0 inputs.

0.2.0's ``Graph.add_input(name, input_shape, dtype='float')`` takes the
per-sample shape (0.1.x took ``ndim``); ``add_node``/``add_output`` take
``concat_axis`` (and ``add_node`` ``create_output``), stored in the config.
"""

from __future__ import annotations

from keras_legacy.layers import containers as c013
from keras_legacy.layers.containers import Sequential  # noqa: F401  (the 0.2.0 name)
from keras_legacy.v020.layers.core import Merge


class Graph(c013.Graph):
    """The 0.2.0 Graph: inputs declared with ``input_shape``; merges with ``concat_axis``."""

    _concat_axis = -1

    def add_input(self, name, input_shape=None, dtype="float", ndim=None):
        if input_shape is None:  # a 0.1.x call: add_input(name, ndim=2)
            return super().add_input(name, ndim=ndim or 2, dtype=dtype)
        input_shape = tuple(input_shape)
        super().add_input(name, ndim=len(input_shape) + 1, dtype=dtype)
        self.inputs[name].output_shape = (None,) + input_shape
        self.input_config[-1] = {"name": name, "input_shape": list(input_shape), "dtype": dtype}

    def _merged(self, names, merge_mode, what):
        return Merge([self._source(n, what) for n in names], mode=merge_mode,
                     concat_axis=self._concat_axis)

    def add_node(self, layer, name, input=None, inputs=(), merge_mode="concat", concat_axis=-1,
                 create_output=False):
        self._concat_axis = concat_axis
        super().add_node(layer, name, input=input, inputs=inputs, merge_mode=merge_mode)
        self.node_config[-1].update(concat_axis=concat_axis, create_output=create_output)
        if create_output:
            self.add_output(name, input=name)

    def add_output(self, name, input=None, inputs=(), merge_mode="concat", concat_axis=-1):
        self._concat_axis = concat_axis
        super().add_output(name, input=input, inputs=inputs, merge_mode=merge_mode)
        self.output_config[-1]["concat_axis"] = concat_axis

    @property
    def output_shape(self):
        """0.2.0: the output's ``output_shape``; with several outputs a dict {output name: shape}."""
        if len(self.output_order) == 1:
            return self.outputs[self.output_order[0]].output_shape
        return {name: layer.output_shape for name, layer in self.outputs.items()}
