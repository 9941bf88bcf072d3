"""keras_legacy: the Keras 0.x API (0.1.3 first, then 0.2.0) on PyTensor.

Import paths mirror the original ones: ``keras_legacy.models``,
``keras_legacy.layers.core``, ``keras_legacy.layers.recurrent`` and so on.
Importing this package imports nothing heavy.
"""

__version__ = "0.1.0"

#: The Keras release whose API and numbers this package reproduces first.
KERAS_API_VERSION = "0.1.3"
