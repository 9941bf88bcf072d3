"""Export a Keras 0.x ``Sequential`` model to ONNX, exactly: ``to_onnx(model, path)``.

Supported layers: Embedding, Dense, TimeDistributedDense, Activation, Dropout,
RepeatVector, SimpleRNN, GRU, LSTM, and the convolutional layers and Flatten
(``keras_legacy.export_conv``).  Everything is written in float32 (what
ONNX Runtime's recurrent kernels compute in); the graph computes the 0.x
test-time function:

* Dense / TimeDistributedDense: ``act(X . W + b)`` (``MatMul``, ``Add``);
* Dropout at test time multiplies by ``1 - p`` (0.x dropout is not inverted),
  written as a ``Mul``;
* LSTM: ONNX ``LSTM`` with gate order i, o, f, c (Keras saves i, c, f, o; both
  from ``LSTM.GATES``),
  weights transposed to ``(gates*hidden, input)``, the bias in ``Wb`` and a
  zero ``Rb``, activations ``[inner, act, act]`` (``hard_sigmoid`` is
  ``HardSigmoid`` with alpha 0.2, beta 0.5 = ``clip(0.2 x + 0.5, 0, 1)``);
* GRU: ONNX ``GRU`` with gate order z, r, h (as Keras), ``linear_before_reset=0``
  (the reset gate multiplies ``h`` before ``U_h``, as in Keras 0.x) and
  activations ``[inner, act]`` (the 0.x default ``act`` is ``sigmoid``);
* SimpleRNN: ONNX ``RNN`` with activation ``[act]``.

Refused with a ValueError saying why: a mask reaching a recurrent layer
(``Embedding(mask_zero=True)`` or ``Masking``): 0.x *resets* the state after
a masked step and still computes the masked steps, which ONNX's
``sequence_lens`` (stop at the length) cannot express; a recurrent or
Activation function without an ONNX equivalent (e.g. ``softmax`` inside a
recurrent layer); any other layer class.

Needs the optional packages ``onnx`` (and ``onnxruntime`` to run the file):
``pip install "keras_legacy[onnx]"``.
"""

from __future__ import annotations

import numpy as np

from keras_legacy import export_conv
from keras_legacy.layers import recurrent

OPSET = 17
SUPPORTED_LAYERS = ("Embedding", "Dense", "TimeDistributedDense", "Activation", "Dropout",
                    "RepeatVector", "SimpleRNN", "GRU", "LSTM") + export_conv.CONV_LAYERS
RECURRENT = ("SimpleRNN", "GRU", "LSTM")

#: Keras activation name -> (ONNX RNN activation name, alpha, beta); None: no parameters.
RNN_ACTIVATIONS = {
    "tanh": ("Tanh", None, None),
    "sigmoid": ("Sigmoid", None, None),
    "hard_sigmoid": ("HardSigmoid", 0.2, 0.5),
    "relu": ("Relu", None, None),
    "softplus": ("Softplus", None, None),
    "linear": ("Affine", 1.0, 0.0),
}


def _require_onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise ImportError(
            "keras_legacy.export needs the 'onnx' package: pip install 'keras_legacy[onnx]' "
            "(or pip install onnx onnxruntime)."
        ) from exc
    return onnx, helper, numpy_helper


class _Graph:
    """Collects nodes and float32 initializers with unique names."""

    def __init__(self, helper, numpy_helper):
        self.helper = helper
        self.numpy_helper = numpy_helper
        self.nodes = []
        self.initializers = []
        self._count = 0

    def name(self, hint):
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array, hint, dtype=np.float32):
        name = self.name(hint)
        array = np.require(np.asarray(array, dtype=dtype), requirements="C")  # keeps 0-d scalars 0-d
        self.initializers.append(self.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type, inputs, hint, n_outputs=1, **attrs):
        outputs = [self.name(f"{hint}_{op_type}") for _ in range(n_outputs)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs, name=self.name(op_type), **attrs))
        return outputs[0] if n_outputs == 1 else outputs


def _layer_name(layer):
    config = layer.get_config()
    return config.get("name", type(layer).__name__), config


def _activation(g, x, name, hint, where):
    """Element-wise or softmax activation of a Dense/TDD/Activation output."""
    if name == "linear":
        return x
    if name in ("softmax", "time_distributed_softmax"):
        return g.op("Softmax", [x], hint, axis=-1)
    if name == "hard_sigmoid":
        return g.op("HardSigmoid", [x], hint, alpha=0.2, beta=0.5)
    ops = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "softplus": "Softplus"}
    if name not in ops:
        raise ValueError(
            f"to_onnx: {where} uses activation {name!r}, which has no ONNX export; "
            f"supported: linear, softmax, time_distributed_softmax, hard_sigmoid, {', '.join(ops)}."
        )
    return g.op(ops[name], [x], hint)


def _rnn_activations(names, where):
    acts, alphas, betas = [], [], []
    for name in names:
        if name not in RNN_ACTIVATIONS:
            raise ValueError(
                f"to_onnx: {where} uses activation {name!r} inside the recurrence; ONNX recurrent ops "
                f"accept only {', '.join(RNN_ACTIVATIONS)} (as Keras names), so the export cannot be exact."
            )
        op, alpha, beta = RNN_ACTIVATIONS[name]
        acts.append(op)
        if alpha is not None:
            alphas.append(alpha)
        if beta is not None:
            betas.append(beta)
    attrs = {"activations": acts}
    if alphas:
        attrs["activation_alpha"] = alphas
    if betas:
        attrs["activation_beta"] = betas
    return attrs


def _recurrent(g, x, layer_name, config, weights, where):
    """Batch-major (n, T, d) in; (n, T, h) or (n, h) out, as Keras 0.x."""
    if layer_name in ("LSTM", "GRU"):
        # weights: (W_g, U_g, b_g) per gate in GATES.saved order; ONNX packs GATES.onnx order
        gates = recurrent.LSTM.GATES if layer_name == "LSTM" else recurrent.GRU.GATES
        by_gate = {g: weights[3 * k: 3 * k + 3] for k, g in enumerate(gates.saved)}
        Ws, Us, bs = ([by_gate[g][j] for g in gates.onnx] for j in range(3))
        acts = [config["inner_activation"], config["activation"]]
        if layer_name == "LSTM":
            acts.append(config["activation"])
    else:  # SimpleRNN
        W, U, b = weights
        Ws, Us, bs = (W,), (U,), (b,)
        acts = [config["activation"]]
    hidden = Us[0].shape[0]
    W = np.concatenate([w.T for w in Ws], axis=0)[None]          # (1, gates*h, d)
    R = np.concatenate([u.T for u in Us], axis=0)[None]          # (1, gates*h, h)
    B = np.concatenate([*bs, np.zeros(len(bs) * hidden)])[None]  # (1, 2*gates*h): Wb then Rb = 0
    attrs = _rnn_activations(acts, where)
    attrs["hidden_size"] = hidden
    if layer_name == "GRU":
        attrs["linear_before_reset"] = 0
    hint = layer_name.lower()
    x_tm = g.op("Transpose", [x], hint, perm=[1, 0, 2])           # (T, n, d)
    if config.get("stateful", False):
        raise ValueError(f"to_onnx: {where} is stateful=True; its state carries over between predict calls, "
                         "which an ONNX model cannot do. Export a copy built with stateful=False.")
    if config.get("go_backwards", False):  # 0.3: scan the reversed input; outputs stay in scan order
        x_tm = g.op("Slice", [x_tm] + [g.const(np.array([v]), f"{hint}_rev", np.int64)
                                       for v in (-1, np.iinfo(np.int64).min, 0, -1)], hint)
    inputs = [x_tm, g.const(W, f"{hint}_W"), g.const(R, f"{hint}_R"), g.const(B, f"{hint}_B")]
    op_type = {"LSTM": "LSTM", "GRU": "GRU", "SimpleRNN": "RNN"}[layer_name]
    n_outputs = 3 if layer_name == "LSTM" else 2
    outputs = g.op(op_type, inputs, hint, n_outputs=n_outputs, **attrs)
    Y, Y_h = outputs[0], outputs[1]
    if config.get("return_sequences", False):
        y = g.op("Squeeze", [Y, g.const(np.array([1]), "axes", np.int64)], hint)     # (T, n, h)
        return g.op("Transpose", [y], hint, perm=[1, 0, 2]), 3
    return g.op("Squeeze", [Y_h, g.const(np.array([0]), "axes", np.int64)], hint), 2  # (n, h)


def _input_spec(layer_name, weights, where):
    """(ONNX element type name, shape) of the model input, from the first layer."""
    conv = export_conv.input_spec(layer_name, None, weights)
    if conv is not None:
        return conv
    if layer_name == "Embedding":
        return "INT32", ["batch", "time"], 3
    if layer_name in RECURRENT or layer_name == "TimeDistributedDense":
        return "FLOAT", ["batch", "time", int(weights[0].shape[0])], 3
    if layer_name == "Dense":
        return "FLOAT", ["batch", int(weights[0].shape[0])], 2
    raise ValueError(
        f"to_onnx: {where} is a {layer_name}, which does not tell the input size; the first layer "
        "must be Embedding, Dense, TimeDistributedDense, Convolution1D/2D or a recurrent layer."
    )


def _check_masks(layers):
    masked_by = None
    for k, layer in enumerate(layers):
        name, _ = _layer_name(layer)
        if name == "Masking":
            masked_by = f"layer {k} (Masking)"
        elif name == "Embedding" and getattr(layer, "mask_zero", False):
            masked_by = f"layer {k} (Embedding with mask_zero=True)"
        elif name in RECURRENT and masked_by is not None:
            raise ValueError(
                f"to_onnx: the mask of {masked_by} reaches layer {k} ({name}). Keras 0.1.x/0.2.0 "
                "recurrent layers RESET their state to zero after a masked step and still compute the "
                "masked steps; ONNX's sequence_lens stops at the length instead, so the export could "
                "not be exact. Export a model without the mask (mask_zero=False, no Masking) if the "
                "inputs have no padding."
            )


def to_onnx(model, path=None):
    """Write ``model`` (a 0.x ``Sequential``) as an ONNX file at ``path``; return the ``ModelProto``.

    The ONNX model has one input ``input`` (int32 ``(batch, time)`` ids for an
    Embedding first layer, otherwise float32 with the first layer's input
    size) and one float32 output ``output``; ``batch`` and ``time`` are
    dynamic.  Its result equals ``model.predict`` up to float32 rounding.
    """
    onnx, helper, numpy_helper = _require_onnx()
    layers = getattr(model, "layers", None)
    if not layers:
        raise TypeError(
            f"to_onnx: expected a Sequential model with layers, got {type(model).__name__}"
            + (" without layers." if layers is not None else ".")
        )
    _check_masks(layers)
    g = _Graph(helper, numpy_helper)
    first_name, _ = _layer_name(layers[0])
    elem_type, in_shape, ndim = _input_spec(first_name, layers[0].get_weights(), "layer 0")
    x = "input"
    for k, layer in enumerate(layers):
        name, config = _layer_name(layer)
        where = f"layer {k} ({name})"
        if name not in SUPPORTED_LAYERS:
            raise ValueError(
                f"to_onnx: {where} is not supported; supported layers: {', '.join(SUPPORTED_LAYERS)}."
            )
        weights = [np.asarray(w) for w in layer.get_weights()]
        hint = f"layer{k}"
        if name == "Embedding":
            if k != 0:
                raise ValueError(f"to_onnx: {where}: an Embedding must be the first layer.")
            x = g.op("Gather", [g.const(weights[0], f"{hint}_W"), x], hint, axis=0)
        elif name in ("Dense", "TimeDistributedDense"):
            W, b = weights
            x = g.op("Add", [g.op("MatMul", [x, g.const(W, f"{hint}_W")], hint), g.const(b, f"{hint}_b")], hint)
            x = _activation(g, x, config.get("activation", "linear"), hint, where)
        elif name == "Activation":
            x = _activation(g, x, config["activation"], hint, where)
        elif name == "Dropout":
            p = float(config["p"])
            if p > 0.0:
                x = g.op("Mul", [x, g.const(np.array(1.0 - p), f"{hint}_retain")], hint)
        elif name in export_conv.CONV_LAYERS:
            x, ndim = export_conv.convolutional(
                g, x, name, layer, config, weights, ndim, where,
                lambda y, act, hint=hint, where=where: _activation(g, y, act, hint, where))
        elif name == "RepeatVector":
            if ndim != 2:
                raise ValueError(f"to_onnx: {where} needs a 2-D input, got {ndim}-D.")
            x = g.op("Unsqueeze", [x, g.const(np.array([1]), "axes", np.int64)], hint)
            x = g.op("Expand", [x, g.const(np.array([1, int(config["n"]), 1]), f"{hint}_shape", np.int64)], hint)
            ndim = 3
        else:  # recurrent
            if ndim != 3:
                raise ValueError(f"to_onnx: {where} needs a 3-D (samples, time, features) input, got {ndim}-D.")
            x, ndim = _recurrent(g, x, name, config, weights, where)
    g.nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    graph = helper.make_graph(
        g.nodes,
        "keras_legacy_sequential",
        [helper.make_tensor_value_info("input", getattr(onnx.TensorProto, elem_type), in_shape)],
        [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, [None] * ndim)],
        initializer=g.initializers,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="keras_legacy")
    onnx.checker.check_model(proto)
    if path is not None:
        onnx.save(proto, str(path))
    return proto
