"""The PyTensor compatibility layer: ``from keras_legacy import backend as K``."""

from keras_legacy.backend.pytensor_compat import (  # noqa: F401
    DEFAULT_MODE_NAME,
    PYTENSOR_VERSION,
    RandomStreams,
    binary_crossentropy,
    categorical_crossentropy,
    flatten,
    floatx,
    function,
    get_mode,
    grad,
    hard_sigmoid,
    is_jax_mode,
    relu,
    round_half_away,
    scan,
    sigmoid,
    softmax,
    softplus,
    stack,
    unbroadcast,
)
