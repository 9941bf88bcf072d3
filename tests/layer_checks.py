"""A declarative check of one layer, used by the layer tests.

``check_layer(layer, input_array, expected_output, ...)`` compiles the layer's
output once and checks, in order:

1. the output on ``input_array`` against ``expected_output`` (an array, or a
   callable ``(weights, input_array) -> array``: an independent NumPy
   computation from the layer's current weights);
2. the params: count, order and shapes (``param_shapes``), and that
   ``get_weights`` returns them in that order;
3. the ``set_weights``/``get_weights`` round trip with fresh random arrays
   (exact), and, with a callable ``expected_output``, the output again with
   those new weights (so a wrong weight order or transpose is caught);
4. ``set_weights`` pairs arrays and params in order as 0.1.3 did (extra arrays
   ignored, a short list sets the first params); a wrong shape raises ValueError;
5. ``get_config()`` is JSON-serialisable, names the class, and has exactly
   the keys ``config_keys`` (the 0.1.3 keys).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras_legacy import backend as K
from keras_legacy.layers.core import MaskedLayer

ATOL = 1e-10


def compile_layer(layer, train=False, inputs=None, updates=None):
    """A compiled function of ``layer.get_output(train)`` from its symbolic input(s)."""
    if inputs is None:
        inputs = layer.input
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    output = layer.get_output(train)
    return K.function(inputs, output, updates=updates)


def _call(fn, input_array):
    if isinstance(input_array, (list, tuple)):
        return fn(*input_array)
    return fn(input_array)


def check_layer(layer, input_array, expected_output, *, param_shapes=(), config_keys=None,
                train=False, fn=None, inputs=None, atol=ATOL, rng_seed=0):
    """Run the standard checks on ``layer``; return the compiled function."""
    if fn is None:
        fn = compile_layer(layer, train=train, inputs=inputs)

    # 1. output
    expected = expected_output(layer.get_weights(), input_array) if callable(expected_output) \
        else expected_output
    out = _call(fn, input_array)
    assert out.shape == np.shape(expected), (out.shape, np.shape(expected))
    np.testing.assert_allclose(out, expected, rtol=0, atol=atol)

    # 2. params: count, order, shapes
    param_shapes = [tuple(s) for s in param_shapes]
    assert [tuple(p.get_value().shape) for p in layer.params] == param_shapes
    weights = layer.get_weights()
    assert [w.shape for w in weights] == param_shapes
    for w, p in zip(weights, layer.params):
        np.testing.assert_array_equal(w, p.get_value())

    # 3. round trip with new values
    rng = np.random.RandomState(rng_seed)
    new = [rng.normal(0.0, 0.5, size=s) for s in param_shapes]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    if callable(expected_output) and param_shapes:
        out = _call(fn, input_array)
        np.testing.assert_allclose(out, expected_output(layer.get_weights(), input_array),
                                   rtol=0, atol=atol)

    # 4. set_weights with another count (0.1.3 zip), then with wrong shapes
    layer.set_weights(new + [np.zeros(2)])
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    if param_shapes:
        layer.set_weights([new[0] + 1.0])
        for got, want in zip(layer.get_weights(), [new[0] + 1.0] + new[1:]):
            np.testing.assert_array_equal(got, want)
        layer.set_weights(new)
    if param_shapes:
        wrong = [np.zeros(tuple(d + 1 for d in s)) for s in param_shapes]
        with pytest.raises(ValueError):
            layer.set_weights(wrong)
        for got, want in zip(layer.get_weights(), new):  # nothing half-applied
            np.testing.assert_array_equal(got, want)

    # 5. config
    config = layer.get_config()
    text = json.dumps(config)
    assert json.loads(text)["name"] == type(layer).__name__
    if config_keys is not None:
        assert set(config) == set(config_keys), sorted(set(config) ^ set(config_keys))
    return fn


class FixedInput(MaskedLayer):
    """A masked 'previous layer' whose output and mask are given tensors.

    Lets the test take the gradient with respect to the Masking layer's OUTPUT
    (what the golden ``grad_X`` is) while the recurrent layers still receive the
    Masking layer's mask.
    """

    def __init__(self, output, mask):
        super().__init__()
        self._output = output
        self._mask = mask

    def get_output(self, train=False):
        return self._output

    def get_output_mask(self, train=False):
        return self._mask
