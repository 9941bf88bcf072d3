"""Static output ranks and feature sizes of 0.x layers, and the connection check of ``set_previous``.

0.1.3 layers have no ``output_shape``; what a layer outputs is read here from
its class and constructor arguments (``output_dim``, ``return_sequences``,
``dims``...).  Each function answers ``None`` when it cannot tell (a
``Flatten`` output size, a custom layer): callers then skip the check rather
than guess.  0.2.0 layers (``keras_legacy.v020``) answer through their own
``output_shape``.  A container (``Sequential``, ``Graph``) answers for the
layer its ``_output_layer()`` names (None when it has no single output layer),
so this module needs no container class.
"""

from __future__ import annotations

#: layers whose output has the rank and the last axis of their input
PASS_THROUGH = frozenset({
    "Layer", "Activation", "Dropout", "GaussianNoise", "GaussianDropout", "Masking",
    "LeakyReLU", "PReLU", "ParametricSoftplus", "ThresholdedLinear", "ThresholdedReLu",
    "BatchNormalization", "ActivityRegularization",
})

#: layers whose output is 2-D ``(nb_samples, output_dim)``
_OUT_2D = frozenset({"Dense", "MaxoutDense"})
#: layers whose output is 3-D ``(nb_samples, timesteps, output_dim)``
_OUT_3D = frozenset({"TimeDistributedDense", "Embedding", "RepeatVector", "Convolution1D", "UpSample1D"})
#: layers whose output is 4-D ``(nb_samples, channels, rows, cols)``
_OUT_4D = frozenset({"Convolution2D", "UpSample2D", "ZeroPadding2D"})
#: layers whose output has their input's rank (the batch axis included)
_KEEP_RANK = frozenset({"MaxPooling1D", "MaxPooling2D"})
#: layers whose output's last axis is their input's last axis
_KEEP_LAST = frozenset({"RepeatVector", "MaxPooling1D", "UpSample1D"})
#: layers whose output has their input's channels (axis 1 of an image batch)
_KEEP_CHANNELS = frozenset({"MaxPooling2D", "UpSample2D", "ZeroPadding2D"})
#: layers whose ``output_dim`` is the size of the last output axis
_OUTPUT_DIM = frozenset({
    "Dense", "MaxoutDense", "TimeDistributedDense", "Embedding",
    "SimpleRNN", "SimpleDeepRNN", "GRU", "LSTM", "JZS1", "JZS2", "JZS3",
})
#: layers whose ``input_dim`` is the size of the last input axis (floats in)
_INPUT_DIM = frozenset({
    "Dense", "MaxoutDense", "TimeDistributedDense", "Convolution1D",
    "SimpleRNN", "SimpleDeepRNN", "GRU", "LSTM", "JZS1", "JZS2", "JZS3",
})


def _name(layer):
    return type(layer).__name__


def infers_input_shape(layer):
    """A 0.2.0-style layer (shape inference and its own ndim checks)."""
    return getattr(type(layer), "infers_input_shape", False)


def _is_recurrent(layer):
    return hasattr(layer, "return_sequences") and getattr(layer, "input_ndim", None) == 3


def _static_shape(layer):
    """The 0.2.0 ``output_shape`` when the layer has one and it is known, else None."""
    if not infers_input_shape(layer) and not hasattr(type(layer), "output_shape"):
        return None
    try:
        shape = layer.output_shape
    except Exception:  # an unbuilt 0.2.0 layer, or a container that cannot tell
        return None
    return tuple(shape) if isinstance(shape, (list, tuple)) else None


def _previous(layer):
    return getattr(layer, "previous", None)


def _container_output(layer):
    """``(True, inner)`` for a container (``inner``: its single output layer or None), else ``(False, None)``."""
    source = getattr(layer, "_output_layer", None)
    if source is None:
        return False, None
    return True, source()


def output_ndim(layer):
    """The rank of ``layer``'s output (the batch axis included), or None."""
    shape = _static_shape(layer)
    if shape is not None:
        return len(shape)
    is_container, inner = _container_output(layer)
    if is_container:
        return output_ndim(inner) if inner is not None else None
    name = _name(layer)
    if name == "Merge":
        ndims = {output_ndim(sub) for sub in layer.layers}
        return ndims.pop() if len(ndims) == 1 else None
    if _is_recurrent(layer):
        return 3 if layer.return_sequences else 2
    if name in _OUT_2D:  # T.dot over the last axis: the rank of the input (2 for a first layer)
        previous = _previous(layer)
        return output_ndim(previous) if previous is not None else 2
    if name == "Flatten":
        return 2
    if name in _OUT_3D:
        return 3
    if name in _OUT_4D:
        return 4
    if name in _KEEP_RANK:
        previous = _previous(layer)
        return output_ndim(previous) if previous is not None else layer.input_ndim
    if name in ("Reshape", "Permute"):
        return len(layer.dims) + 1
    if name in PASS_THROUGH:
        previous = _previous(layer)
        if previous is not None:
            return output_ndim(previous)
        var = layer.__dict__.get("input")
        return getattr(var, "ndim", None)
    return None


def output_dim(layer):
    """The size of the last axis of ``layer``'s output, or None."""
    shape = _static_shape(layer)
    if shape is not None:
        return shape[-1] if shape else None
    is_container, inner = _container_output(layer)
    if is_container:
        return output_dim(inner) if inner is not None else None
    name = _name(layer)
    if name == "Merge":
        dims = [output_dim(sub) for sub in layer.layers]
        if any(d is None for d in dims):
            return None
        return sum(dims) if layer.mode == "concat" else dims[0]
    if name in _OUTPUT_DIM:
        return getattr(layer, "output_dim", None)
    if name == "Convolution1D":
        return getattr(layer, "nb_filter", None)
    if name in PASS_THROUGH or name in _KEEP_LAST:
        previous = _previous(layer)
        return output_dim(previous) if previous is not None else None
    return None


def output_channels(layer):
    """The size of axis 1 of ``layer``'s 4-D output (an image batch's channels), or None."""
    shape = _static_shape(layer)
    if shape is not None:
        return shape[1] if len(shape) == 4 else None
    is_container, inner = _container_output(layer)
    if is_container:
        return output_channels(inner) if inner is not None else None
    name = _name(layer)
    if name == "Convolution2D":
        return getattr(layer, "nb_filter", None)
    if name in PASS_THROUGH or name in _KEEP_CHANNELS:
        previous = _previous(layer)
        return output_channels(previous) if previous is not None else None
    return None


def _may_output_indices(layer):
    """False when ``layer``'s output is floats for sure (a known layer that computes), else True."""
    is_container, inner = _container_output(layer)
    if is_container:
        return inner is None or _may_output_indices(inner)
    name = _name(layer)
    if name == "Merge":
        return any(_may_output_indices(sub) for sub in layer.layers)
    if name in PASS_THROUGH:  # an identity Layer (a Graph input), Activation('linear')... keep the dtype
        previous = _previous(layer)
        return _may_output_indices(previous) if previous is not None else takes_indices(layer)
    return output_ndim(layer) is None


def takes_indices(layer):
    """Whether the layer's own input is an integer index tensor (Embedding, WordContextProduct)."""
    var = layer.__dict__.get("input")
    return str(getattr(var, "dtype", "")).startswith("int")


def expected_input_dim(layer):
    """The size of the last input axis the layer was built for (float inputs), or None."""
    if infers_input_shape(layer) or takes_indices(layer):
        return None
    if _name(layer) in _INPUT_DIM:
        return getattr(layer, "input_dim", None)
    shape = getattr(layer, "input_shape", None)  # 0.1.3 BatchNormalization/PReLU: the feature shape
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[-1], int):
        return shape[-1]
    return None


def describe(layer):
    """``Dense(input_dim=4, output_dim=3)``-style short description for messages."""
    parts = []
    for attr in ("input_dim", "output_dim"):
        value = getattr(layer, attr, None)
        if isinstance(value, int):
            parts.append(f"{attr}={value}")
    if _is_recurrent(layer):
        parts.append(f"return_sequences={layer.return_sequences}")
    return f"{_name(layer)}({', '.join(parts)})"


def check_connection(previous, layer):
    """Raise ValueError when ``layer`` cannot take ``previous``'s output (rank or feature size)."""
    if infers_input_shape(layer):
        return  # 0.2.0 layers check their input shape themselves and infer their sizes
    expected_ndim = getattr(layer, "input_ndim", None)
    got_ndim = output_ndim(previous)
    this, prev = describe(layer), describe(previous)
    if expected_ndim is not None and got_ndim is not None and expected_ndim != got_ndim \
            and not _runs_on_rank(layer, got_ndim, expected_ndim):
        hint = ""
        if got_ndim == 3 and expected_ndim == 2:
            hint = " A recurrent layer before it needs return_sequences=False."
        elif got_ndim == 2 and expected_ndim == 3:
            hint = " Use RepeatVector(n) to turn a 2-D output into n timesteps, or return_sequences=True."
        raise ValueError(
            f"Cannot connect {this} after {prev}: {type(layer).__name__} takes a {expected_ndim}-D input "
            f"(nb_samples first), but {type(previous).__name__} outputs a {got_ndim}-D tensor.{hint}"
        )
    if takes_indices(layer) and got_ndim is not None and not _may_output_indices(previous):
        raise ValueError(
            f"Cannot connect {this} after {prev}: {type(layer).__name__} looks up integer indices, but "
            f"{type(previous).__name__} outputs floats. Make {type(layer).__name__} the first layer of the model."
        )
    expected_dim = expected_input_dim(layer)
    got_dim = output_dim(previous)
    if expected_dim is not None and got_dim is not None and expected_dim != got_dim:
        raise ValueError(
            f"Cannot connect {this} after {prev}: {type(layer).__name__} was built for {expected_dim} "
            f"input features (input_dim={expected_dim}), but {type(previous).__name__} outputs "
            f"{got_dim} features per sample. Build {type(layer).__name__} with input_dim={got_dim}."
        )
    stack_size = getattr(layer, "stack_size", None) if _name(layer) == "Convolution2D" else None
    got_channels = output_channels(previous) if isinstance(stack_size, int) else None
    if got_channels is not None and got_channels != stack_size:
        raise ValueError(
            f"Cannot connect Convolution2D(nb_filter={layer.nb_filter}, stack_size={stack_size}) after "
            f"{prev}: it was built for {stack_size} input channels (axis 1), but {type(previous).__name__} "
            f"outputs {got_channels}. Build Convolution2D with stack_size={got_channels}."
        )


def _runs_on_rank(layer, got_ndim, expected_ndim):
    """Whether the 0.1.3 layer built its graph and ran on a ``got_ndim``-D input anyway.

    ``Dense`` and ``MaxoutDense`` apply ``T.dot`` over the last axis of an input of
    any rank (the leading axes stay: ``LSTM(return_sequences=True)`` then ``Dense``
    gives ``(n, T, output_dim)``); ``MaxPooling2D`` pools the two last axes of an
    input of any rank >= 2 (Theano's ``max_pool_2d``); the layers built from an ``input_shape``
    (BatchNormalization, PReLU, ParametricSoftplus...) broadcast their parameters
    over extra leading axes.  Every other rank mismatch failed in the release while
    its graph was built (``dimshuffle``/``alloc`` of the wrong rank).
    """
    if _name(layer) in ("Dense", "MaxoutDense", "MaxPooling2D"):
        return got_ndim >= 2
    shape = getattr(layer, "input_shape", None)
    return isinstance(shape, (list, tuple)) and got_ndim > expected_ndim
