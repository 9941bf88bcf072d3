# Keras 0.3.x layers (recurrent only; the rest are keras_legacy.v020's).
