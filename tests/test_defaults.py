"""The 0.1.3 recurrent constructors have the signatures of ``shared/spec/keras-0.1.3-api.md``.

The table below is written out from the spec (parameter order, names and defaults);
``REQUIRED`` marks a parameter without a default.
"""

from __future__ import annotations

import inspect

import pytest

from keras_legacy.layers import recurrent

REQUIRED = inspect.Parameter.empty

_GATED_TAIL = [("weights", None), ("truncate_gradient", -1), ("return_sequences", False)]

SIGNATURES = {
    "SimpleRNN": [
        ("input_dim", REQUIRED), ("output_dim", REQUIRED), ("init", "glorot_uniform"),
        ("inner_init", "orthogonal"), ("activation", "sigmoid"), *_GATED_TAIL,
    ],
    "SimpleDeepRNN": [
        ("input_dim", REQUIRED), ("output_dim", REQUIRED), ("depth", 3),
        ("init", "glorot_uniform"), ("inner_init", "orthogonal"), ("activation", "sigmoid"),
        ("inner_activation", "hard_sigmoid"), *_GATED_TAIL,
    ],
    "GRU": [
        ("input_dim", REQUIRED), ("output_dim", 128), ("init", "glorot_uniform"),
        ("inner_init", "orthogonal"), ("activation", "sigmoid"),
        ("inner_activation", "hard_sigmoid"), *_GATED_TAIL,
    ],
    "LSTM": [
        ("input_dim", REQUIRED), ("output_dim", 128), ("init", "glorot_uniform"),
        ("inner_init", "orthogonal"), ("forget_bias_init", "one"), ("activation", "tanh"),
        ("inner_activation", "hard_sigmoid"), *_GATED_TAIL,
    ],
    **{name: [
        ("input_dim", REQUIRED), ("output_dim", 128), ("init", "glorot_uniform"),
        ("inner_init", "orthogonal"), ("activation", "tanh"), ("inner_activation", "sigmoid"),
        *_GATED_TAIL,
    ] for name in ("JZS1", "JZS2", "JZS3")},
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_constructor_signature(name):
    cls = getattr(recurrent, name)
    params = list(inspect.signature(cls.__init__).parameters.values())
    assert params[0].name == "self"
    got = [(p.name, p.default) for p in params[1:]]
    assert got == SIGNATURES[name]
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params[1:])


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_defaults_reach_the_config(name):
    """A layer built with only the required arguments reports the defaults in get_config."""
    required = [n for n, d in SIGNATURES[name] if d is REQUIRED]
    args = {"input_dim": 3, "output_dim": 2}
    layer = getattr(recurrent, name)(*[args[n] for n in required])
    config = layer.get_config()
    assert config["name"] == name
    for param, default in SIGNATURES[name]:
        if param in ("weights",):
            assert param not in config
        elif default is not REQUIRED:
            assert config[param] == default, param
    if "output_dim" not in required:
        assert layer.output_dim == 128
