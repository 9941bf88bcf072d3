"""Weight and activity regularizers of Keras 0.1.3.

A regularizer is called with the loss expression and returns the loss plus
its penalty:

* ``WeightRegularizer(l1, l2)``, bound to one weight ``p`` by ``set_param``:
  ``loss + l1 * sum(|p|) + l2 * sum(p ** 2)``;
* ``ActivityRegularizer(l1, l2)``, bound to a layer by ``set_layer``, with
  ``y = layer.get_output(train=True)``:
  ``loss + l1 * sum(mean(|y|, axis=0)) + l2 * sum(mean(y ** 2, axis=0))``,
  i.e. the penalty summed over the features and averaged over the batch
  (the 0.1.x formula: for any rank it equals the sum over all elements
  divided by the batch size).

``get_config()`` gives ``{"name": <class name>, "l1": ..., "l2": ...}``, the
nested dict a 0.x JSON config stores.
"""

from __future__ import annotations

import pytensor.tensor as T

from keras_legacy.utils.generic_utils import get_from_module
from keras_legacy.utils.limits import short_repr


class Regularizer:
    """The identity regularizer: returns the loss unchanged."""

    def set_param(self, p):
        self.p = p

    def set_layer(self, layer):
        self.layer = layer

    def __call__(self, loss):
        return loss

    def get_config(self):
        return {"name": self.__class__.__name__}


class WeightRegularizer(Regularizer):
    """``loss + l1 * sum(|p|) + l2 * sum(p ** 2)`` for the weight set with ``set_param``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = l1
        self.l2 = l2

    def __call__(self, loss):
        p = getattr(self, "p", None)
        if p is None:
            raise ValueError(
                "WeightRegularizer has no weight: call set_param(p) first (a layer does "
                "this when it is given the regularizer, e.g. Dense(..., W_regularizer=l2(0.01)))."
            )
        loss = loss + T.sum(abs(p)) * self.l1
        loss = loss + T.sum(p ** 2) * self.l2
        return loss

    def get_config(self):
        return {"name": self.__class__.__name__, "l1": self.l1, "l2": self.l2}


class ActivityRegularizer(Regularizer):
    """``loss + l1 * sum(mean(|y|, 0)) + l2 * sum(mean(y ** 2, 0))``, ``y`` the layer's train output."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = l1
        self.l2 = l2

    def __call__(self, loss):
        layer = getattr(self, "layer", None)
        if layer is None:
            raise ValueError(
                "ActivityRegularizer has no layer: call set_layer(layer) first (a layer does "
                "this when it is given activity_regularizer=...)."
            )
        output = layer.get_output(True)
        loss = loss + self.l1 * T.sum(T.mean(abs(output), axis=0))
        loss = loss + self.l2 * T.sum(T.mean(output ** 2, axis=0))
        return loss

    def get_config(self):
        return {"name": self.__class__.__name__, "l1": self.l1, "l2": self.l2}


def l1(l=0.01):
    return WeightRegularizer(l1=l)


def l2(l=0.01):
    return WeightRegularizer(l2=l)


def l1l2(l1=0.01, l2=0.01):
    return WeightRegularizer(l1=l1, l2=l2)


def activity_l1(l=0.01):
    return ActivityRegularizer(l1=l)


def activity_l2(l=0.01):
    return ActivityRegularizer(l2=l)


def activity_l1l2(l1=0.01, l2=0.01):
    return ActivityRegularizer(l1=l1, l2=l2)


identity = Regularizer

_REGISTRY = {
    "Regularizer": Regularizer,
    "WeightRegularizer": WeightRegularizer,
    "ActivityRegularizer": ActivityRegularizer,
    "l1": l1,
    "l2": l2,
    "l1l2": l1l2,
    "activity_l1": activity_l1,
    "activity_l2": activity_l2,
    "activity_l1l2": activity_l1l2,
    "identity": identity,
}


def get(identifier, kwargs=None):
    """A regularizer from a name (called with ``kwargs``), a config dict, or an instance.

    ``None`` stays ``None`` (no regularizer).  A dict is a ``get_config()``
    result such as ``{"name": "WeightRegularizer", "l1": 0.0, "l2": 0.01}``.
    """
    if isinstance(identifier, dict):
        kwargs = {k: v for k, v in identifier.items() if k != "name"}
        identifier = identifier.get("name")
        if not isinstance(identifier, str):
            raise ValueError(f"A regularizer config needs a 'name' string, got {short_repr(identifier)}.")
    return get_from_module(identifier, _REGISTRY, "regularizer", instantiate=True, kwargs=kwargs)
