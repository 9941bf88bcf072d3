"""The Keras 0.2.0 API: output-first constructors with shape inference.

Choose the style by import path::

    from keras_legacy.layers.recurrent import LSTM        # 0.1.3: LSTM(input_dim, output_dim)
    from keras_legacy.v020.layers.recurrent import LSTM   # 0.2.0: LSTM(output_dim, input_dim=None, ...)

Both styles share one implementation of every layer's math.
"""
