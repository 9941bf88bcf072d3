# As in Keras 0.2.0: import the submodules (keras_legacy.v020.layers.core, .recurrent, ...).
