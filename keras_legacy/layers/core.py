"""The core layers of Keras 0.1.3 (``keras.layers.core``).

``Layer`` and ``MaskedLayer`` (the layer protocol) live in
``keras_legacy.layers.base`` and are exported here under their 0.1.3 path.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as T

from keras_legacy import activations, constraints, initializations, regularizers
from keras_legacy import backend as K
from keras_legacy.layers.base import (  # noqa: F401  (Layer, MaskedLayer: 0.1.3 keras.layers.core names)
    Layer,
    MaskedLayer,
    _bind_regularizers,
    _collect_params,
    _config_of,
    _resolve_regularizers,
    set_sublayer_weights,
    sublayer_weights,
)
from keras_legacy.utils.theano_utils import ndim_tensor


class Masking(MaskedLayer):
    """Mask timesteps whose every feature equals ``mask_value``.

    Output: ``X * any(X != mask_value, axis=-1)[..., None]``; output mask:
    ``any(X != mask_value, axis=-1)`` (1 where a timestep is kept).
    """

    def __init__(self, mask_value=0.0):
        super().__init__()
        self.mask_value = mask_value
        self.input = T.tensor3()

    def get_output_mask(self, train=False):
        X = self.get_input(train)
        return T.any(T.neq(X, self.mask_value), axis=-1)

    def get_output(self, train=False):
        X = self.get_input(train)
        keep = T.any(T.neq(X, self.mask_value), axis=-1)
        return X * T.shape_padright(T.cast(keep, X.dtype))

    def get_config(self):
        return {"name": self.__class__.__name__, "mask_value": self.mask_value}



class Merge(Layer):
    """Merge the outputs of several layers (containers): ``sum``, ``mul``, ``concat`` or ``ave``.

    ``concat`` joins along the last axis; ``ave`` is the sum divided by the
    number of layers.  The merged layers' masks are dropped.  The weights are
    the sub-layers' weights, concatenated in order.
    """

    MODES = ("sum", "mul", "concat", "ave")

    def __init__(self, layers, mode="sum"):
        super().__init__()
        layers = list(layers)
        if len(layers) < 2:
            raise ValueError(
                f"Merge needs two or more input layers (or containers) to merge, got {len(layers)}."
            )
        self.layers = layers
        self.mode = mode
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(layers)

    def get_params(self):
        # Recomputed: sub-layer updates (BatchNormalization) appear once their train graph exists.
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(self.layers)
        return self.params, self.regularizers, self.constraints, self.updates

    def get_output(self, train=False):
        if self.mode not in self.MODES:  # 0.1.3 constructed the Merge and failed here
            raise ValueError(f"Invalid merge mode: {self.mode!r}. Expected one of: {', '.join(self.MODES)}.")
        outputs = [layer.get_output(train) for layer in self.layers]
        if self.mode == "concat":
            return T.concatenate(outputs, axis=-1)
        result = outputs[0]
        for out in outputs[1:]:
            result = result * out if self.mode == "mul" else result + out
        if self.mode == "ave":
            result = result / len(self.layers)
        return result

    def get_input(self, train=False):
        res = []
        for layer in self.layers:
            inputs = layer.get_input(train)
            for x in (inputs if isinstance(inputs, list) else [inputs]):
                if not any(x is y for y in res):
                    res.append(x)
        return res

    @property
    def input(self):
        return self.get_input()

    def supports_masked_input(self):
        return False

    def get_output_mask(self, train=None):
        return None

    def get_weights(self):
        return sublayer_weights(self.layers)

    def set_weights(self, weights):
        set_sublayer_weights(self, weights, self.layers)

    def get_config(self):
        return {"name": self.__class__.__name__,
                "layers": [layer.get_config() for layer in self.layers],
                "mode": self.mode}


class Dropout(MaskedLayer):
    """Dropout, not inverted: train ``X * Bernoulli(1 - p)``, test ``X * (1 - p)``; p=0: identity."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        self.srng = K.RandomStreams(seed=np.random.randint(10e6))

    def get_output(self, train=False):
        X = self.get_input(train)
        if self.p > 0.0:
            retain_prob = 1.0 - self.p
            if train:
                X = X * self.srng.binomial(X.shape, p=retain_prob, dtype=X.dtype)
            else:
                X = X * np.asarray(retain_prob, dtype=X.dtype)
        return X

    def get_config(self):
        return {"name": self.__class__.__name__, "p": self.p}


class Activation(MaskedLayer):
    """``activation(X)``; ``target`` and ``beta`` are stored (and saved) but unused, as in 0.1.3."""

    def __init__(self, activation, target=0, beta=0.1):
        super().__init__()
        self.activation = activations.get(activation)
        self.target = target
        self.beta = beta

    def get_output(self, train=False):
        return self.activation(self.get_input(train))

    def get_config(self):
        return {"name": self.__class__.__name__,
                "activation": activations.name_of(self.activation),
                "target": self.target, "beta": self.beta}


class Reshape(Layer):
    """Reshape each sample: output shape ``(nb_samples,) + dims`` (0.1.3 form ``Reshape(*dims)``)."""

    def __init__(self, *dims):
        super().__init__()
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
            raise TypeError(
                f"Reshape takes the dimensions as separate arguments in Keras 0.1.3: "
                f"Reshape(*{tuple(dims[0])!r}), not Reshape({tuple(dims[0])!r})."
            )
        self.dims = tuple(dims)

    def get_output(self, train=False):
        X = self.get_input(train)
        return T.reshape(X, (X.shape[0],) + self.dims, ndim=len(self.dims) + 1)

    def get_config(self):
        return {"name": self.__class__.__name__, "dims": self.dims}


class Permute(Layer):
    """Permute the non-batch axes: ``dims`` are 1-based input axes, e.g. ``(2, 1)`` swaps them."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)
        self.input_ndim = len(self.dims) + 1
        self.input = ndim_tensor(self.input_ndim)

    def get_output(self, train=False):
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):  # 0.1.3 failed here, in dimshuffle
            raise ValueError(
                f"Permute dims must be a permutation of 1..{len(self.dims)} (the batch axis 0 "
                f"stays first), got {self.dims}."
            )
        return self.get_input(train).dimshuffle((0,) + self.dims)

    def get_config(self):
        return {"name": self.__class__.__name__, "dims": self.dims}


class Flatten(Layer):
    """``(nb_samples, d1, d2, ...) -> (nb_samples, d1 * d2 * ...)``."""

    def get_output(self, train=False):
        X = self.get_input(train)
        size = T.prod(X.shape) // X.shape[0]
        return T.reshape(X, (X.shape[0], size), ndim=2)


class RepeatVector(Layer):
    """``(nb_samples, dim) -> (nb_samples, n, dim)``: the input repeated ``n`` times."""

    input_ndim = 2

    def __init__(self, n):
        super().__init__()
        self.n = n
        self.input = T.matrix()

    def get_output(self, train=False):
        X = self.get_input(train)
        copies = T.alloc(X, self.n, X.shape[0], X.shape[1])
        return copies.dimshuffle(1, 0, 2)

    def get_config(self):
        return {"name": self.__class__.__name__, "n": self.n}


class _DenseFamily(Layer):
    """What Dense, TimeDistributedDense and MaxoutDense share: the settings and the weight creation.

    ``_configure`` stores the settings (no weight drawn); ``_make_weights(input_dim)``
    draws ``W`` then ``b`` (zeros) and binds the regularizers.  The 0.1.3
    constructors call both; the 0.2.0 classes call ``_make_weights`` from ``build()``
    once the input size is known.
    """

    #: MaxoutDense has no activation (nor the attribute)
    _has_activation = True

    def _configure(self, output_dim, init, activation, W_regularizer, b_regularizer, activity_regularizer,
                   W_constraint, b_constraint):
        self.init = initializations.get(init)
        if self._has_activation:
            self.activation = activations.get(activation)
        self.output_dim = output_dim
        _resolve_regularizers(self, W_regularizer, b_regularizer, activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.constraints = [self.W_constraint, self.b_constraint]

    def _weight_shapes(self, input_dim):
        return (input_dim, self.output_dim), (self.output_dim,)

    def _make_weights(self, input_dim):
        self.input_dim = input_dim
        W_shape, b_shape = self._weight_shapes(input_dim)
        self.add_weight("W", W_shape, self.init)
        self.add_weight("b", b_shape, initializations.zero)
        _bind_regularizers(self)


def _dense_config(layer, extra=()):
    config = {"name": layer.__class__.__name__,
              "input_dim": layer.input_dim,
              "output_dim": layer.output_dim,
              "init": initializations.name_of(layer.init)}
    if hasattr(layer, "activation"):
        config["activation"] = activations.name_of(layer.activation)
    for key in extra:
        config[key] = getattr(layer, key)
    config.update({"W_regularizer": _config_of(layer.W_regularizer),
                   "b_regularizer": _config_of(layer.b_regularizer),
                   "activity_regularizer": _config_of(layer.activity_regularizer),
                   "W_constraint": _config_of(layer.W_constraint),
                   "b_constraint": _config_of(layer.b_constraint)})
    return config


class Dense(_DenseFamily):
    """Fully connected: ``activation(X . W + b)``, W ``(input_dim, output_dim)``, b zeros.

    params ``[W, b]``; ``name`` renames them ``<name>_W`` and ``<name>_b``.
    """

    input_ndim = 2

    def __init__(self, input_dim, output_dim, init="glorot_uniform", activation="linear",
                 weights=None, name=None, W_regularizer=None, b_regularizer=None,
                 activity_regularizer=None, W_constraint=None, b_constraint=None):
        super().__init__()
        self._configure(output_dim, init, activation, W_regularizer, b_regularizer, activity_regularizer,
                        W_constraint, b_constraint)
        self.input = T.matrix()
        self._make_weights(input_dim)
        if weights is not None:
            self.set_weights(weights)
        if name is not None:
            self.set_name(name)

    def set_name(self, name):
        self.W.name = f"{name}_W"
        self.b.name = f"{name}_b"

    def get_output(self, train=False):
        X = self.get_input(train)
        return self.activation(T.dot(X, self.W) + self.b)

    def get_config(self):
        return _dense_config(self)


class ActivityRegularization(Layer):
    """Identity on the output; adds ``ActivityRegularizer(l1, l2)`` of its output to the loss."""

    def __init__(self, l1=0.0, l2=0.0):
        super().__init__()
        self.l1 = l1
        self.l2 = l2
        self.activity_regularizer = regularizers.ActivityRegularizer(l1=l1, l2=l2)
        self.activity_regularizer.set_layer(self)
        self.regularizers = [self.activity_regularizer]

    def get_output(self, train=False):
        return self.get_input(train)

    def get_config(self):
        return {"name": self.__class__.__name__, "l1": self.l1, "l2": self.l2}


class TimeDistributedDense(MaskedLayer, _DenseFamily):
    """Dense applied at every timestep: ``(n, T, input_dim) -> (n, T, output_dim)``.

    ``activation(X[:, t] . W + b)`` for each t (the 0.1.3 code scanned over
    time; one ``dot`` over the 3-D input gives the same values).  Passes the
    input mask on.  params ``[W, b]``.
    """

    input_ndim = 3

    def __init__(self, input_dim, output_dim, init="glorot_uniform", activation="linear",
                 weights=None, W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None):
        super().__init__()
        self._configure(output_dim, init, activation, W_regularizer, b_regularizer, activity_regularizer,
                        W_constraint, b_constraint)
        self.input = T.tensor3()
        self._make_weights(input_dim)
        if weights is not None:
            self.set_weights(weights)

    def get_output(self, train=False):
        X = self.get_input(train)
        return self.activation(T.dot(X, self.W) + self.b)

    def get_config(self):
        return _dense_config(self)


class AutoEncoder(Layer):
    """``decoder(encoder(X))``; with ``output_reconstruction=False`` the test output is the code.

    The weights are the encoder's then the decoder's.
    """

    def __init__(self, encoder, decoder, output_reconstruction=True, weights=None):
        super().__init__()
        self.output_reconstruction = output_reconstruction
        self.encoder = encoder
        self.decoder = decoder
        self.decoder.set_previous(self.encoder)
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(
            [encoder, decoder])
        if weights is not None:
            self.set_weights(weights)

    def get_params(self):
        self.params, self.regularizers, self.constraints, self.updates = _collect_params(
            [self.encoder, self.decoder])
        return self.params, self.regularizers, self.constraints, self.updates

    def set_previous(self, node, connection_map=None):
        self.encoder.set_previous(node)

    def get_weights(self):
        return sublayer_weights([self.encoder, self.decoder])

    def set_weights(self, weights):
        set_sublayer_weights(self, weights, [self.encoder, self.decoder])

    def get_input(self, train=False):
        return self.encoder.get_input(train)

    @property
    def input(self):
        return self.encoder.input

    def _get_hidden(self, train=False):
        return self.encoder.get_output(train)

    def get_output(self, train=False):
        if not train and not self.output_reconstruction:
            return self.encoder.get_output(train)
        return self.decoder.get_output(train)

    def get_config(self):
        return {"name": self.__class__.__name__,
                "encoder_config": self.encoder.get_config(),
                "decoder_config": self.decoder.get_config(),
                "output_reconstruction": self.output_reconstruction}


class MaxoutDense(_DenseFamily):
    """Maxout: ``max_k (X . W[k] + b[k])``.

    W is ``(nb_feature, input_dim, output_dim)``, b ``(nb_feature, output_dim)``.
    """

    input_ndim = 2
    _has_activation = False

    def __init__(self, input_dim, output_dim, nb_feature=4, init="glorot_uniform", weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None):
        super().__init__()
        self.nb_feature = nb_feature
        self._configure(output_dim, init, None, W_regularizer, b_regularizer, activity_regularizer,
                        W_constraint, b_constraint)
        self.input = T.matrix()
        self._make_weights(input_dim)
        if weights is not None:
            self.set_weights(weights)

    def _weight_shapes(self, input_dim):
        return (self.nb_feature, input_dim, self.output_dim), (self.nb_feature, self.output_dim)

    def get_output(self, train=False):
        X = self.get_input(train)
        # Theano's T.dot of X and a 3-D W: X's last axis with W's axis 1, e.g. (n, in) x (f, in, out)
        # -> (n, f, out); a 3-D X gives (n, T, f, out), whose max over axis 1 is (n, f, out) (0.1.3).
        output = T.tensordot(X, self.W, axes=[[X.ndim - 1], [1]]) + self.b
        return T.max(output, axis=1)

    def get_config(self):
        return _dense_config(self, extra=("nb_feature",))
