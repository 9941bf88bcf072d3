"""The Keras 0.3.x recurrent features needed to load 0.3 models.

``keras_legacy.v03.layers.recurrent`` has ``SimpleRNN``, ``GRU`` and ``LSTM``
with ``go_backwards``, ``stateful``/``reset_states()`` and 0.3's carry
masking.  Selected only through this import path (or by loading a config
written by 0.3.x); the other layers of a 0.3 model are the 0.2.0 ones.
"""
