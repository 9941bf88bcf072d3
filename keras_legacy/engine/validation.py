"""Checks on the data given to a model, raising precise errors before any PyTensor graph runs.

The model entry points (``fit``/``predict``/``evaluate``/``*_on_batch``)
describe what each model input and target must look like (``sequential_input_specs``,
``graph_input_specs``, ``OutputSpec``) and call ``check_inputs`` and
``check_targets``.  Every error names where it happened, what was expected,
what came, and how to fix it.  (The layer-to-layer check of
``Layer.set_previous`` is ``keras_legacy.layers.checks.check_connection``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keras_legacy.engine import loop_args
from keras_legacy.layers import checks
from keras_legacy.layers.containers import Sequential as SequentialContainer


class NonFiniteLossError(FloatingPointError, ValueError):
    """``fit`` stopped because the training loss became NaN or infinite.

    Attributes: ``epoch``, ``batch`` (0-based, as the callbacks see them),
    ``loss`` (the value), ``history`` (the ``History`` of the epochs run).
    """

    def __init__(self, message, epoch, batch, loss, history=None):
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.loss = loss
        self.history = history


# --- what the model takes ---------------------------------------------------------------

@dataclass
class InputSpec:
    """One model input: its name, rank, whether it holds indices, and sizes the first layer fixes."""

    name: str
    ndim: int
    indices: bool = False
    feature_size: int | None = None   # last axis, for float inputs
    vocab_size: int | None = None     # exclusive upper bound of the indices (Embedding input_dim)
    layer: str = "the first layer"


@dataclass
class OutputSpec:
    """One model output (its targets): name, rank and, when known, the size of the last axis."""

    name: str
    ndim: int | None
    size: int | None = None


def _leaves(layer):
    """The layers that own the model's symbolic inputs, walking into containers and Merges."""
    if isinstance(layer, SequentialContainer):
        return _leaves(layer.layers[0]) if layer.layers else []
    if type(layer).__name__ == "Merge":
        return [leaf for sub in layer.layers for leaf in _leaves(sub)]
    return [layer]


def _spec_for(var, consumer, name):
    ndim = int(var.ndim)
    indices = str(var.dtype).startswith("int")
    if consumer is None:
        return InputSpec(name, ndim, indices)
    desc = checks.describe(consumer)
    if indices:
        vocab = getattr(consumer, "input_dim", None)
        return InputSpec(name, ndim, True, vocab_size=vocab if isinstance(vocab, int) else None, layer=desc)
    return InputSpec(name, ndim, False, feature_size=checks.expected_input_dim(consumer), layer=desc)


def sequential_input_specs(model, inputs):
    """Specs of a Sequential's inputs, ``inputs`` being its symbolic input list (in order)."""
    leaves = _leaves(model.layers[0]) if model.layers else []
    specs = []
    for k, var in enumerate(inputs):
        owner = next((leaf for leaf in leaves if leaf.__dict__.get("input") is var), None)
        specs.append(_spec_for(var, owner, "X" if len(inputs) == 1 else f"X[{k}]"))
    return specs


def graph_input_specs(graph):
    """Specs of a Graph's named inputs, in ``input_order``."""
    specs = []
    for name in graph.input_order:
        source = graph.inputs[name]
        consumer = None
        for node in graph.nodes.values():
            first = node.layers[0] if isinstance(node, SequentialContainer) and node.layers else node
            if getattr(first, "previous", None) is source:
                consumer = first
                break
        specs.append(_spec_for(source.input, consumer, repr(name)))
    return specs


# --- arrays ---------------------------------------------------------------------------------

def _as_array(x, what, where):
    if x is None:
        raise TypeError(f"{where}: {what} is None; pass a NumPy array.")
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        try:
            x = np.asarray(x)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{where}: {what} could not be read as a NumPy array ({exc}).") from None
    # 0.1.3 (allow_input_downcast) read numbers held as objects
    if getattr(getattr(x, "dtype", None), "kind", None) == "O":
        try:
            x = np.asarray(x, dtype="float64")
        except (TypeError, ValueError):
            pass  # refused below, by dtype
    return x


def _check_values(x, what, where, dtype_kind_hint="", finite=True):
    kind = np.dtype(x.dtype).kind
    if kind not in "biuf":
        raise TypeError(
            f"{where}: {what} has dtype {x.dtype}; expected numbers (float or int){dtype_kind_hint}. "
            "Convert it with np.asarray(..., dtype='float64') (or encode text/labels as numbers first)."
        )
    if len(x.shape) == 0 or x.shape[0] == 0:
        raise ValueError(
            f"{where}: {what} is empty (shape {tuple(x.shape)}); expected at least one sample "
            "along the first axis."
        )
    loop_args.check_extent(x, what, where)
    if finite and kind == "f" and isinstance(x, np.ndarray):
        finite = np.isfinite(x)
        if not finite.all():
            bad = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ValueError(
                f"{where}: {what} contains NaN or inf (first at index {bad}: {x[bad].item()!r}; "
                f"{int(np.size(finite) - np.count_nonzero(finite))} values in all). "
                "Clean or impute the data before training or predicting."
            )
    loop_args.check_fits_floatx(x, what, where)  # finite values only: NaN/inf are the check above's


def check_input(x, spec, where, finite=True):
    """Check one input array against its spec; returns it (as an array where it was a list).

    ``finite=False`` (predict) lets NaN/inf through: 0.1.3 predicted NaN rows for them.
    """
    what = f"input {spec.name}"
    x = _as_array(x, what, where)
    _check_values(x, what, where, finite=finite)
    if len(x.shape) != spec.ndim:
        size = spec.feature_size if spec.feature_size is not None else "input_dim"
        layout = {2: f"(nb_samples, {size})", 3: f"(nb_samples, timesteps, {size})"}.get(
            spec.ndim, f"{spec.ndim} axes, nb_samples first")
        if spec.indices:
            layout = "(nb_samples, sequence_length) of integer indices"
        raise ValueError(
            f"{where}: {what} has shape {tuple(x.shape)} ({len(x.shape)}-D), but {spec.layer} takes "
            f"{spec.ndim}-D arrays {layout}. Reshape the data (e.g. X[:, None] adds an axis, "
            "X.reshape(len(X), -1) flattens) or change the first layer."
        )
    if spec.feature_size is not None and x.shape[-1] != spec.feature_size:
        raise ValueError(
            f"{where}: {what} has shape {tuple(x.shape)}: {x.shape[-1]} features per "
            f"{'timestep' if spec.ndim == 3 else 'sample'}, but {spec.layer} was built for "
            f"input_dim={spec.feature_size}. Pass data with {spec.feature_size} features or build the "
            f"first layer with input_dim={x.shape[-1]}."
        )
    if spec.indices and isinstance(x, np.ndarray):
        _check_indices(x, spec, what, where)
    return x


def _check_indices(x, spec, what, where):
    """Indices the lookup ``W[X]`` cannot take.  As in 0.1.3 (``allow_input_downcast``),
    float indices are truncated to integers and a negative index counts from the last
    row of ``W``; an index outside ``[-input_dim, input_dim)`` failed there at run time."""
    if x.dtype.kind == "f":
        x = np.trunc(x)
    low, high = x.min(), x.max()
    if spec.vocab_size is not None and low < -spec.vocab_size:
        raise ValueError(
            f"{where}: {what} holds the index {int(low)} but {spec.layer} has input_dim={spec.vocab_size} "
            f"(valid indices are 0..{spec.vocab_size - 1}; a negative index counts from the last row, "
            f"down to -{spec.vocab_size})."
        )
    if spec.vocab_size is not None and high >= spec.vocab_size:
        raise ValueError(
            f"{where}: {what} holds the index {int(high)} but {spec.layer} has input_dim={spec.vocab_size} "
            f"(valid indices are 0..{spec.vocab_size - 1}). Build the Embedding with input_dim={int(high) + 1} "
            "or larger, or map rare words to an index below input_dim."
        )


def check_inputs(X, specs, where, finite=True):
    """Check the list of model inputs ``X`` against ``specs``; returns the (array) list."""
    if len(X) != len(specs):
        raise ValueError(
            f"{where}: the model takes {len(specs)} input array(s) ({', '.join(s.name for s in specs)}), "
            f"got {len(X)}. Pass one NumPy array per input "
            "(a Python list is read as a list of inputs, not as rows)."
        )
    return [check_input(x, spec, where, finite) for x, spec in zip(X, specs)]


def check_target(y, spec, where):
    """Check one (standardized, at least 2-D) target array against the model output it trains."""
    what = f"target {spec.name}"
    y = _as_array(y, what, where)
    _check_values(y, what, where)
    if spec.ndim is not None and len(y.shape) != spec.ndim:
        raise ValueError(
            f"{where}: {what} has shape {tuple(y.shape)} ({len(y.shape)}-D), but the model output is "
            f"{spec.ndim}-D. Give targets shaped like the output (nb_samples"
            f"{', timesteps' if spec.ndim == 3 else ''}, {spec.size if spec.size is not None else 'output_dim'})."
        )
    if spec.size is not None and y.shape[-1] != spec.size:
        hint = ""
        if y.shape[-1] == 1 and spec.size > 1:
            hint = " For class labels use keras_legacy.utils.np_utils.to_categorical(y, nb_classes)."
        raise ValueError(
            f"{where}: {what} has shape {tuple(y.shape)} but the model outputs {spec.size} values per "
            f"{'timestep' if spec.ndim == 3 else 'sample'}.{hint}"
        )
    return y


def check_same_length(arrays, names, where):
    """All arrays must have the same number of samples (first axis)."""
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        listing = ", ".join(f"{n}: {length}" for n, length in zip(names, lengths))
        raise ValueError(
            f"{where}: the arrays have different numbers of samples ({listing}); inputs and targets "
            "need one row per sample, in the same order."
        )
