# As in Keras 0.x: import the submodules (keras_legacy.layers.core, .recurrent, ...).
