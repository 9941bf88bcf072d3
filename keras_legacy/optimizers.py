"""Optimizers of Keras 0.1.3 (symbolic update rules over shared variables).

``get_updates(params, constraints, loss)`` returns the list of
``(shared_variable, new_value)`` pairs a training function applies after
computing the loss, so a ``train_on_batch`` call returns the loss BEFORE its
update.  The rules, with ``g`` the gradient and every accumulator starting at 0:

* SGD: ``lr_t = lr / (1 + decay * iterations)`` (iterations counted from 0
  before the update, incremented by the same function); ``v = momentum * m -
  lr_t * g``; ``m <- v``; ``p <- p + v`` or, with Nesterov, ``p <- p +
  momentum * v - lr_t * g``.
* RMSprop: ``a <- rho * a + (1 - rho) * g**2``; ``p <- p - lr * g / sqrt(a + eps)``
  (the NEW ``a``, eps inside the square root).
* Adagrad: ``a <- a + g**2``; ``p <- p - lr * g / sqrt(a + eps)``.
* Adadelta: ``a <- rho * a + (1 - rho) * g**2``; ``u = g * sqrt(d + eps) /
  sqrt(a + eps)`` with the NEW ``a`` and the OLD delta accumulator ``d``;
  ``p <- p - lr * u``; ``d <- rho * d + (1 - rho) * u**2``.
* Adam: ``t = iterations + 1``; ``lr_t = lr * sqrt(1 - beta_2**t) / (1 -
  beta_1**t)``; ``m <- beta_1 * m + (1 - beta_1) * g``; ``v <- beta_2 * v +
  (1 - beta_2) * g**2``; ``p <- p - lr_t * m / (sqrt(v) + eps)``.

Gradient clipping (``Optimizer(clipnorm=c)``): when the global norm ``n =
sqrt(sum_i sum(g_i**2))`` is ``>= c`` every gradient is scaled by ``c / n``.
``clipvalue=v`` (a 0.2.0 addition) clips each gradient element to ``[-v, v]``
after that.  A constraint (an entry of ``constraints``, aligned with
``params``; ``None`` for none) is applied to the new parameter value.

The learning rate and the other hyperparameters that 0.x kept as shared
scalars (``lr``; SGD's ``momentum`` and ``decay``; RMSprop's and Adadelta's
``rho``) are shared scalars of ``floatX`` here too, so
``LearningRateScheduler`` can ``set_value`` them; ``get_config`` reads them
back as Python floats (float32 round-trips when ``floatX`` is float32, as in
the original's files).  ``epsilon`` and Adam's betas stay Python floats.
"""

from __future__ import annotations

import numbers

import numpy as np
import pytensor
import pytensor.tensor as T

from keras_legacy import backend as K
from keras_legacy.utils.generic_utils import get_from_module
from keras_legacy.utils.limits import short_repr


def _shared_scalar(value, name=None):
    return pytensor.shared(np.asarray(value, dtype=K.floatx()), name=name)


def _shared_zeros_like(p, name=None):
    value = p.get_value(borrow=True)
    return pytensor.shared(np.zeros(value.shape, dtype=value.dtype), name=name)


def clip_norm(g, c, n):
    """``g * c / n`` where the norm ``n >= c`` (for ``c > 0``), else ``g``."""
    if c > 0:
        return T.switch(T.ge(n, c), g * c / n, g)
    return g


def kl_divergence(p, p_hat):
    """Elementwise ``p_hat - p + p * log(p / p_hat)``."""
    return p_hat - p + p * T.log(p / p_hat)


class Optimizer:
    """Base class: gradients with optional clipping, state handling, config.

    Keyword arguments (``clipnorm``, ``clipvalue``, ...) are stored as
    attributes, as in 0.x.
    """

    def __init__(self, **kwargs):
        for key in ("clipnorm", "clipvalue"):
            if key in kwargs and kwargs[key] is not None and not isinstance(kwargs[key], numbers.Real):
                raise TypeError(
                    f"{type(self).__name__}: {key} must be a number (0 disables it), "
                    f"got {type(kwargs[key]).__name__} {short_repr(kwargs[key])}."
                )
        self.__dict__.update(kwargs)
        self.updates = []
        self._state = []

    def __getstate__(self):
        """Pickled without ``updates`` (symbolic graphs that ``get_updates`` rebuilds);
        the shared hyperparameters and state keep their values."""
        state = dict(self.__dict__)
        state["updates"] = []
        return state

    # --- state -------------------------------------------------------------
    def _new_state(self, var):
        self._state.append(var)
        return var

    def get_state(self):
        """Values of the optimizer's own shared state (iterations, accumulators).

        In creation order: ``iterations`` (SGD, Adam) first, then each
        parameter's accumulators in ``params`` order.
        """
        return [v.get_value() for v in self._state]

    def set_state(self, value_list):
        if len(value_list) != len(self._state):
            raise ValueError(
                f"{type(self).__name__}.set_state: expected {len(self._state)} arrays "
                f"(the values get_state() returns), got {len(value_list)}."
            )
        for var, value in zip(self._state, value_list):
            current = var.get_value(borrow=True)
            value = np.asarray(value, dtype=current.dtype)
            if value.shape != current.shape:
                raise ValueError(
                    f"{type(self).__name__}.set_state: state variable {var.name!r} has shape "
                    f"{current.shape}, got an array of shape {value.shape}."
                )
            var.set_value(value)

    # --- gradients and updates ----------------------------------------------
    def get_gradients(self, loss, params):
        grads = T.grad(loss, params)
        clipnorm = getattr(self, "clipnorm", 0)
        if clipnorm and clipnorm > 0:
            norm = T.sqrt(sum(T.sum(T.sqr(g)) for g in grads))
            grads = [clip_norm(g, clipnorm, norm) for g in grads]
        clipvalue = getattr(self, "clipvalue", 0)
        if clipvalue and clipvalue > 0:
            grads = [T.clip(g, -clipvalue, clipvalue) for g in grads]
        return grads

    def get_updates(self, params, constraints, loss):
        raise NotImplementedError(f"{type(self).__name__} does not define get_updates.")

    def _begin_updates(self, params, constraints):
        """Reset the update list and state; check ``constraints`` against ``params``."""
        params = list(params)
        if constraints is None:
            constraints = [None] * len(params)
        constraints = list(constraints)
        if len(constraints) != len(params):
            raise ValueError(
                f"{type(self).__name__}.get_updates: constraints must be a list aligned with "
                f"params ({len(params)} entries, None for no constraint), got {len(constraints)}."
            )
        for c in constraints:
            if c is not None and not callable(c):
                raise TypeError(
                    f"{type(self).__name__}.get_updates: a constraint must be None or a callable "
                    f"applied to the new parameter value, got {type(c).__name__}."
                )
        self.updates = []
        self._state = [v for v in self._state if v is getattr(self, "iterations", None)]
        return params, constraints

    def _param_update(self, p, new_p, constraint):
        if constraint is not None:
            new_p = constraint(new_p)
        self.updates.append((p, new_p))

    def get_config(self):
        return {"name": type(self).__name__}


class SGD(Optimizer):
    def __init__(self, lr=0.01, momentum=0.0, decay=0.0, nesterov=False, *args, **kwargs):
        super().__init__(**kwargs)
        self.iterations = self._new_state(_shared_scalar(0, "iterations"))
        self.lr = _shared_scalar(lr, "lr")
        self.momentum = _shared_scalar(momentum, "momentum")
        self.decay = _shared_scalar(decay, "decay")
        self.nesterov = bool(nesterov)

    def get_updates(self, params, constraints, loss):
        params, constraints = self._begin_updates(params, constraints)
        grads = self.get_gradients(loss, params)
        lr_t = self.lr * (1.0 / (1.0 + self.decay * self.iterations))
        self.updates.append((self.iterations, self.iterations + 1.0))
        for p, g, c in zip(params, grads, constraints):
            m = self._new_state(_shared_zeros_like(p, f"{p.name}_momentum" if p.name else None))
            v = self.momentum * m - lr_t * g
            self.updates.append((m, v))
            if self.nesterov:
                new_p = p + self.momentum * v - lr_t * g
            else:
                new_p = p + v
            self._param_update(p, new_p, c)
        return self.updates

    def get_config(self):
        # The 0.1.3 original raised AttributeError here (decay was a Python
        # float); fixed as in 0.2.0 (docs/differences.md).
        return {
            "name": type(self).__name__,
            "lr": float(self.lr.get_value()),
            "momentum": float(self.momentum.get_value()),
            "decay": float(self.decay.get_value()),
            "nesterov": self.nesterov,
        }


class RMSprop(Optimizer):
    def __init__(self, lr=0.001, rho=0.9, epsilon=1e-6, *args, **kwargs):
        super().__init__(**kwargs)
        self.lr = _shared_scalar(lr, "lr")
        self.rho = _shared_scalar(rho, "rho")
        self.epsilon = epsilon

    def get_updates(self, params, constraints, loss):
        params, constraints = self._begin_updates(params, constraints)
        grads = self.get_gradients(loss, params)
        for p, g, c in zip(params, grads, constraints):
            a = self._new_state(_shared_zeros_like(p, f"{p.name}_accumulator" if p.name else None))
            new_a = self.rho * a + (1.0 - self.rho) * T.sqr(g)
            self.updates.append((a, new_a))
            self._param_update(p, p - self.lr * g / T.sqrt(new_a + self.epsilon), c)
        return self.updates

    def get_config(self):
        return {
            "name": type(self).__name__,
            "lr": float(self.lr.get_value()),
            "rho": float(self.rho.get_value()),
            "epsilon": self.epsilon,
        }


class Adagrad(Optimizer):
    def __init__(self, lr=0.01, epsilon=1e-6, *args, **kwargs):
        super().__init__(**kwargs)
        self.lr = _shared_scalar(lr, "lr")
        self.epsilon = epsilon

    def get_updates(self, params, constraints, loss):
        params, constraints = self._begin_updates(params, constraints)
        grads = self.get_gradients(loss, params)
        for p, g, c in zip(params, grads, constraints):
            a = self._new_state(_shared_zeros_like(p, f"{p.name}_accumulator" if p.name else None))
            new_a = a + T.sqr(g)
            self.updates.append((a, new_a))
            self._param_update(p, p - self.lr * g / T.sqrt(new_a + self.epsilon), c)
        return self.updates

    def get_config(self):
        return {"name": type(self).__name__, "lr": float(self.lr.get_value()), "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Zeiler 2012, with the 0.x ordering (new accumulator, OLD delta accumulator)."""

    def __init__(self, lr=1.0, rho=0.95, epsilon=1e-6, *args, **kwargs):
        super().__init__(**kwargs)
        self.lr = _shared_scalar(lr, "lr")
        self.rho = _shared_scalar(rho, "rho")
        self.epsilon = epsilon

    def get_updates(self, params, constraints, loss):
        params, constraints = self._begin_updates(params, constraints)
        grads = self.get_gradients(loss, params)
        for p, g, c in zip(params, grads, constraints):
            a = self._new_state(_shared_zeros_like(p, f"{p.name}_accumulator" if p.name else None))
            d = self._new_state(_shared_zeros_like(p, f"{p.name}_delta_accumulator" if p.name else None))
            new_a = self.rho * a + (1.0 - self.rho) * T.sqr(g)
            self.updates.append((a, new_a))
            step = g * T.sqrt(d + self.epsilon) / T.sqrt(new_a + self.epsilon)
            self._param_update(p, p - self.lr * step, c)
            self.updates.append((d, self.rho * d + (1.0 - self.rho) * T.sqr(step)))
        return self.updates

    def get_config(self):
        return {
            "name": type(self).__name__,
            "lr": float(self.lr.get_value()),
            "rho": float(self.rho.get_value()),
            "epsilon": self.epsilon,
        }


class Adam(Optimizer):
    """Kingma & Ba (2014), with 0.x's bias correction folded into ``lr_t``."""

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, *args, **kwargs):
        super().__init__(**kwargs)
        self.iterations = self._new_state(_shared_scalar(0, "iterations"))
        self.lr = _shared_scalar(lr, "lr")
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def get_updates(self, params, constraints, loss):
        params, constraints = self._begin_updates(params, constraints)
        grads = self.get_gradients(loss, params)
        t = self.iterations + 1.0
        lr_t = self.lr * T.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        self.updates.append((self.iterations, t))
        for p, g, c in zip(params, grads, constraints):
            m = self._new_state(_shared_zeros_like(p, f"{p.name}_m" if p.name else None))
            v = self._new_state(_shared_zeros_like(p, f"{p.name}_v" if p.name else None))
            m_t = self.beta_1 * m + (1.0 - self.beta_1) * g
            v_t = self.beta_2 * v + (1.0 - self.beta_2) * T.sqr(g)
            self.updates.append((m, m_t))
            self.updates.append((v, v_t))
            self._param_update(p, p - lr_t * m_t / (T.sqrt(v_t) + self.epsilon), c)
        return self.updates

    def get_config(self):
        return {
            "name": type(self).__name__,
            "lr": float(self.lr.get_value()),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


# 0.x aliases
sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam

#: Every name ``get`` resolves.
OPTIMIZERS = {
    "SGD": SGD,
    "RMSprop": RMSprop,
    "Adagrad": Adagrad,
    "Adadelta": Adadelta,
    "Adam": Adam,
    "sgd": sgd,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
    "adadelta": adadelta,
    "adam": adam,
}


def get(identifier, kwargs=None):
    """An optimizer instance: a name is instantiated with ``kwargs``; an instance is returned.

    ``kwargs`` may be a ``get_config()`` dict: its ``"name"`` entry is ignored.
    """
    if isinstance(identifier, str):
        kwargs = {k: v for k, v in (kwargs or {}).items() if k != "name"}
        return get_from_module(identifier, OPTIMIZERS, "optimizer", instantiate=True, kwargs=kwargs)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier(**(kwargs or {}))
    if isinstance(identifier, Optimizer) or callable(getattr(identifier, "get_updates", None)):
        return identifier  # 0.1.3 used any object it was given as the optimizer
    raise TypeError(
        "optimizer must be a name (one of " + ", ".join(sorted(OPTIMIZERS)) + ") or an Optimizer "
        f"instance, got {type(identifier).__name__}."
    )
