"""The PyTensor compatibility layer: ``from keras_legacy import backend as K``."""

from keras_legacy.backend import numba_dot
from keras_legacy.backend.pytensor_compat import (  # noqa: F401
    DEFAULT_MODE_NAME,
    PYTENSOR_VERSION,
    RandomStreams,
    binary_crossentropy,
    categorical_crossentropy,
    check_jax_args,
    flatten,
    floatx,
    function,
    get_mode,
    grad,
    hard_sigmoid,
    is_jax_mode,
    on_numba_backend,
    relu,
    round_half_away,
    scan,
    sigmoid,
    softmax,
    softplus,
    stack,
    unbroadcast,
)

# PyTensor's Dot under Numba (a plain ``pytensor.function``) on the C mode's OpenBLAS
on_numba_backend(numba_dot.register)
