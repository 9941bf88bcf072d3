"""Keras 0.2.0 recurrent layers: ``LSTM(output_dim, ..., input_dim=None, input_length=None)``.

The math is ``keras_legacy.layers.recurrent`` (0.1.x reset masking, the same
parameter order); these classes add the 0.2.0 constructors, lazy ``build()``
and ``output_shape``.
"""

from __future__ import annotations

from keras_legacy.layers import recurrent as r013
from keras_legacy.v020.layers._lazy import LazyLayer


class _Recurrent020(LazyLayer):
    input_ndim = 3
    _v013 = None  # the shared implementation
    _arg_names = ("init", "inner_init", "activation", "weights", "truncate_gradient",
                  "return_sequences")

    def _init_recurrent(self, output_dim, args, input_dim, input_length, kwargs):
        self.output_dim = output_dim
        self._build_args = args
        self._given_input_dim = input_dim
        self.input_length = input_length
        self.return_sequences = args["return_sequences"]
        weights = args.pop("weights")
        if input_dim is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length, input_dim)
        self._init_lazy(weights=weights, **kwargs)

    def _build_013(self, input_shape):
        self._v013.__init__(self, input_shape[2], self.output_dim, **self._build_args)
        if getattr(self, "_uses_pmat", False):
            self.params.append(self.Pmat)  # 0.2.0 trains and saves JZS1/JZS2's Pmat

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.output_dim)
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = self._v013.get_config(self)
        config["input_dim"] = self._given_input_dim
        config["input_length"] = self.input_length
        return self._v020_extra_config(config)


def _recurrent_020(base, doc):
    """Make the 0.2.0 class of the shared recurrent layer ``base``."""
    import inspect

    params = list(inspect.signature(base.__init__).parameters.values())[1:]
    names = [p.name for p in params if p.name not in ("input_dim", "output_dim")]
    defaults = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}

    def __init__(self, output_dim, *args, input_dim=None, input_length=None, **kwargs):
        if len(args) > len(names):
            raise TypeError(f"{base.__name__}() takes at most {len(names) + 1} positional arguments")
        values = dict(defaults)
        values.pop("output_dim", None)
        values.update(zip(names, args))
        for name in names:
            if name in kwargs:
                values[name] = kwargs.pop(name)
        _Recurrent020._init_recurrent(self, output_dim, values, input_dim, input_length, kwargs)

    sig_params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                  inspect.Parameter("output_dim", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    sig_params += [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=defaults[n])
                   for n in names]
    sig_params += [inspect.Parameter("input_dim", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
                   inspect.Parameter("input_length", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
                   inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
    __init__.__signature__ = inspect.Signature(sig_params)
    cls = type(base.__name__, (_Recurrent020, base), {
        "__init__": __init__, "_v013": base, "__doc__": doc + "\n\n" + (base.__doc__ or ""),
        "__module__": __name__,
    })
    return cls


SimpleRNN = _recurrent_020(r013.SimpleRNN, "0.2.0 SimpleRNN(output_dim, ..., input_dim=None, input_length=None).")
SimpleDeepRNN = _recurrent_020(r013.SimpleDeepRNN, "0.2.0 SimpleDeepRNN(output_dim, depth=3, ...).")
GRU = _recurrent_020(r013.GRU, "0.2.0 GRU(output_dim, ..., input_dim=None, input_length=None).")
LSTM = _recurrent_020(r013.LSTM, "0.2.0 LSTM(output_dim, ..., input_dim=None, input_length=None).")
JZS1 = _recurrent_020(r013.JZS1, "0.2.0 JZS1(output_dim, ...).")
JZS2 = _recurrent_020(r013.JZS2, "0.2.0 JZS2(output_dim, ...).")
JZS3 = _recurrent_020(r013.JZS3, "0.2.0 JZS3(output_dim, ...).")
Recurrent = r013.Recurrent
