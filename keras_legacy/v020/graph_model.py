"""The Keras 0.2.0 ``Graph`` model: the 0.2.0 ``Graph`` container with the training API.

``keras_legacy.v020.models`` exports it; ``keras_legacy.models.model_from_config``
builds it for 0.2.0 and 0.3.x Graph configs.
"""

from __future__ import annotations

from keras_legacy.engine.graph_model import GraphModel
from keras_legacy.v020.layers import containers


class Graph(GraphModel, containers.Graph):
    """The 0.2.0 Graph: inputs declared with ``input_shape``; merges with ``concat_axis``."""
