"""Everything about PyTensor that is version-sensitive or replaces a Theano name.

Keras 0.x called ``theano.function``, ``theano.scan``, ``T.nnet.*``,
``T.unbroadcast`` and ``MRG_RandomStreams``.  PyTensor 3.x renamed, removed or
changed each of them; this module is the one place that knows how:

* compile mode: the C backend (``CVM``) by default, where a C++ compiler is
  configured; ``theano_mode=`` (a mode name or a ``Mode``) overrides it;
* ``scan``: PyTensor 3.x deprecates the ``(outputs, updates)`` return value
  (``return_updates``); we ask for it explicitly and hide the warning;
* the removed ``T.nnet`` functions (hard_sigmoid, relu, softmax,
  categorical/binary crossentropy) with Theano's formulas;
* ``unbroadcast`` (the ``Unbroadcast`` Op was removed);
* the Numba and JAX dispatch of PyTensor's backends (``on_numba_backend``,
  ``on_jax_backend``): where Ops register their implementations, and when;
* ``round`` with Theano's default (half away from zero);
* random streams for Dropout / noise layers (Theano's MRG generator does not
  exist in PyTensor; draws come from NumPy's PCG64).

The layers themselves use ``pytensor.tensor`` directly, like the original used
``theano.tensor``.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import sys
import warnings

import numpy as np
import pytensor
import pytensor.tensor as T
from pytensor.compile.mode import Mode
from pytensor.compile.mode import get_mode as _pt_get_mode
from pytensor.graph.replace import graph_replace
from pytensor.tensor.special import softmax as _pt_softmax

from keras_legacy.backend import rows_ops
from keras_legacy.backend.blas import configure_blas as _configure_blas
from keras_legacy.backend.jax_function import JaxFunction, is_jax_mode, resolve_devices
from keras_legacy.backend.parallel_build import ParallelCVMLinker

#: The row-increment Ops behind the gradient of ``W[idx]`` (a Python ``numpy.add.at``
#: for matrices): PyTensor 3.0.x uses ``AdvancedIncSubtensor1`` (a vector idx),
#: 3.3 removed it and uses ``AdvancedIncSubtensor`` with ``idx_list == (0,)``.
AdvancedIncSubtensor1 = getattr(T.subtensor, "AdvancedIncSubtensor1", None)
AdvancedIncSubtensor = T.subtensor.AdvancedIncSubtensor
rows_ops.register_rewrites(
    ([(AdvancedIncSubtensor1, rows_ops.rows_inc)] if AdvancedIncSubtensor1 is not None else [])
    + [(AdvancedIncSubtensor, rows_ops.rows_inc_nd)]
)

PYTENSOR_VERSION = pytensor.__version__

# Link the C backend to the pip-installed OpenBLAS unless the user chose a BLAS.
BLAS_SOURCE = _configure_blas()

#: The mode every keras_legacy compile uses unless ``theano_mode`` says otherwise.
DEFAULT_MODE_NAME = "CVM" if pytensor.config.cxx else "NUMBA"


def floatx() -> str:
    """The float dtype of new weights and constants (``pytensor.config.floatX``)."""
    return pytensor.config.floatX


def _default_mode() -> Mode:
    """``CVM`` tuned for keras_legacy's training loops (``DEFAULT_MODE_NAME`` when not CVM).

    * ``allow_gc=False``: the intermediate arrays of a call stay allocated for the
      next one and the C Ops write into them again (same shapes batch after
      batch): no fresh multi-MB buffers each call, whose first-touch page faults
      cost ~2 ms of a ~10 ms LSTM training step (docs/performance.md, round 4).
      The price is memory: one call's intermediates stay held per function.
    * the rewrite ``rows_inc`` (``keras_legacy.backend.rows_ops``): the gradient of
      an embedding lookup runs in C instead of ``numpy.add.at`` (same sums);
    * the linker builds the graph's missing C modules in parallel before the
      usual thunk pass (``keras_legacy.backend.parallel_build``): same modules,
      same cache, the compilers run side by side.
    """
    if DEFAULT_MODE_NAME != "CVM":
        return _pt_get_mode(DEFAULT_MODE_NAME)
    rewrites = _pt_get_mode("CVM").including(rows_ops.TAG).provided_optimizer
    return Mode(linker=ParallelCVMLinker(allow_gc=False, use_cloop=True), optimizer=rewrites)


def get_mode(theano_mode=None) -> Mode:
    """Map the 0.x ``theano_mode`` argument onto a PyTensor ``Mode``.

    ``None`` gives the C backend (``CVM``, see ``_default_mode``); a string is a PyTensor mode name
    (``"FAST_RUN"``, ``"FAST_COMPILE"``, ``"NUMBA"``, ``"JAX"``, ...); a
    ``Mode`` instance is used as given.
    """
    if theano_mode is None:
        return _default_mode()
    if isinstance(theano_mode, Mode):
        return theano_mode
    if isinstance(theano_mode, str):
        try:
            return _pt_get_mode(theano_mode)
        except Exception as exc:  # PyTensor raises a bare Exception/KeyError
            raise ValueError(
                f"Unknown theano_mode {theano_mode!r}: expected None (the C backend), "
                "a PyTensor mode name such as 'CVM', 'FAST_RUN', 'FAST_COMPILE', "
                "'NUMBA' or 'JAX', or a pytensor.compile.mode.Mode instance."
            ) from exc
    raise TypeError(
        f"theano_mode must be None, a mode name or a pytensor Mode, got {type(theano_mode).__name__}."
    )


def function(inputs, outputs, updates=None, mode=None, givens=None, name=None, data_parallel=False):
    """``theano.function`` as Keras 0.x called it (``allow_input_downcast=True``).

    In a JAX mode the function compiles once per distinct set of input shapes
    (``jax_function.JaxFunction``: JAX traces static shapes); ``data_parallel`` (JAX
    modes only: True, a number of devices or a list of jax devices) shards each batch
    over the devices."""
    mode = get_mode(mode)
    if is_jax_mode(mode):
        if givens:
            outputs, updates = _apply_givens(outputs, updates, givens)
        return JaxFunction(inputs, outputs, updates=list(updates or []), mode=mode, name=name,
                           data_parallel=data_parallel, allow_input_downcast=True, on_unused_input="ignore")
    if data_parallel:
        raise ValueError(
            f"data_parallel={data_parallel!r} needs theano_mode='JAX' (data-parallel training runs on "
            "jax.sharding); the mode given links with "
            f"{type(mode.linker).__name__}.")
    return pytensor.function(
        inputs,
        outputs,
        updates=list(updates or []),
        givens=givens,
        mode=mode,
        allow_input_downcast=True,
        on_unused_input="ignore",
        name=name,
    )


def check_jax_args(theano_mode, data_parallel=False):
    """Check ``compile``'s ``theano_mode`` and ``data_parallel``; return whether the mode is a
    JAX mode (whose graphs need fixed shapes: no ``nonzero`` in the loss)."""
    mode = get_mode(theano_mode)
    jax_mode = is_jax_mode(mode)
    if data_parallel is not False and data_parallel is not None:
        if not jax_mode:
            raise ValueError(
                f"data_parallel={data_parallel!r} needs theano_mode='JAX' (data-parallel training runs on "
                f"jax.sharding); got theano_mode={theano_mode!r}. Pass theano_mode='JAX', or leave "
                "data_parallel out.")
        resolve_devices(data_parallel)
    return jax_mode


def _apply_givens(outputs, updates, givens):
    """``outputs`` and the update values with ``givens`` substituted (what ``givens=`` does)."""
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    updates = list(updates or [])
    pairs = givens.items() if isinstance(givens, dict) else givens
    replaced = graph_replace(outs + [v for _, v in updates], dict(pairs), strict=False)
    new_outs = replaced[: len(outs)] if isinstance(outputs, (list, tuple)) else replaced[0]
    return new_outs, [(k, v) for (k, _), v in zip(updates, replaced[len(outs):])]


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, strict=False, name=None):
    """``theano.scan``: returns ``(outputs, updates)`` on every PyTensor 3.x.

    ``truncate_gradient=k > 0`` keeps Theano's meaning (back-propagation through
    the last ``k`` steps only) but is not passed to PyTensor's scan: its
    ``scan_pushout_add`` rewrite mis-sizes the truncated gradient of some steps
    (GRU, JZS*) and the compiled function fails, in every backend.  The same
    gradient is obtained inside one ordinary scan by ``zero_grad`` gates (see
    ``_truncated_scan``), so a plain ``pytensor.function`` works too.
    """
    if truncate_gradient is not None and truncate_gradient > 0 and not go_backwards:
        return _truncated_scan(fn, sequences, outputs_info, non_sequences, n_steps,
                               truncate_gradient, strict, name)
    return _plain_scan(fn, sequences, outputs_info, non_sequences, n_steps,
                       truncate_gradient, go_backwards, strict, name)


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _truncated_scan(fn, sequences, outputs_info, non_sequences, n_steps, k, strict, name):
    """Scan whose gradient flows only through the last ``k`` steps.

    Step ``t`` (0-based, ``n`` steps, ``start = n - k``) sees each state tap
    ``h[t-j]`` through ``switch(t - j < start, zero_grad(h), h)`` and emits, for
    every output, a copy ``switch(t < start, zero_grad(y), y)`` that the caller
    gets instead of the output itself.  Forward values are unchanged; no
    gradient reaches a step before ``start`` nor any input it read.
    """
    from pytensor.gradient import zero_grad

    seqs = [s if isinstance(s, dict) else {"input": s, "taps": [0]} for s in _as_list(sequences)]
    outs = _as_list(outputs_info)
    non_seqs = _as_list(non_sequences)
    if n_steps is None:
        lengths = []
        for s in seqs:
            taps = s.get("taps") or [0]
            lengths.append(s["input"].shape[0] - (max(taps) - min(min(taps), 0)))
        n_steps = lengths[0]
        for length in lengths[1:]:
            n_steps = T.minimum(n_steps, length)
    start = T.as_tensor_variable(n_steps) - k

    state_taps = []
    for o in outs:
        if o is None:
            state_taps.append([])
        elif isinstance(o, dict):
            state_taps.append(list(o.get("taps") or [-1]) if o.get("initial") is not None else [])
        else:
            state_taps.append([-1])
    n_seq_args = sum(len(s.get("taps") or [0]) for s in seqs)

    def step(t, *args):
        start_inner = args[-1]
        seq_args = list(args[:n_seq_args])
        pos = n_seq_args
        state_args = []
        for taps in state_taps:
            for tap in taps:
                h = args[pos]
                state_args.append(T.switch(T.lt(t + tap, start_inner), zero_grad(h), h))
                pos += 1
        result = _as_list(fn(*seq_args, *state_args, *args[pos:-1]))
        visible = [T.switch(T.lt(t, start_inner), zero_grad(y), y) for y in result]
        return result + visible

    outputs, updates = _plain_scan(
        step,
        [T.arange(n_steps)] + seqs,
        outs + [None] * len(outs),
        non_seqs + [start],
        n_steps,
        -1,
        False,
        strict,
        name,
    )
    outputs = _as_list(outputs)
    visible = outputs[len(outs):]
    return (visible[0] if len(visible) == 1 else visible), updates


def _plain_scan(fn, sequences, outputs_info, non_sequences, n_steps, truncate_gradient,
                go_backwards, strict, name):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ss]can return signature.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="pytensor.scan")
        return pytensor.scan(
            fn,
            sequences=sequences,
            outputs_info=outputs_info,
            non_sequences=_as_list(non_sequences),
            n_steps=n_steps,
            truncate_gradient=truncate_gradient,
            go_backwards=go_backwards,
            strict=strict,
            name=name,
            return_updates=True,
        )


def grad(cost, wrt, **kwargs):
    return pytensor.grad(cost, wrt, **kwargs)


def unbroadcast(x, *axes):
    """Drop the static length of ``axes`` (Theano's ``T.unbroadcast``).

    Scan needs an initial state whose type matches the step's output; an
    ``alloc(0, n, 1)`` is typed ``(?, 1)`` while ``dot(h, U)`` is ``(?, ?)``.
    Reshaping with ``-1`` on the axis yields an unknown length.
    """
    for axis in axes:
        axis = axis % x.ndim
        if x.type.shape[axis] is None:
            continue
        shape = [x.shape[i] for i in range(x.ndim)]
        shape[axis] = -1
        x = T.reshape(x, shape, ndim=x.ndim)
    return x


def _const(value, like):
    return np.asarray(value, dtype=like.dtype)


# --- the removed T.nnet functions, with Theano's formulas -----------------------

def sigmoid(x):
    return T.sigmoid(x)


def hard_sigmoid(x):
    """Theano's ``T.nnet.hard_sigmoid``: ``clip(0.2 * x + 0.5, 0, 1)`` in x's dtype.

    Written ``clip(0.2 * x, -0.5, 0.5) + 0.5`` (the same function): g++ contracts
    ``0.2 * x + 0.5`` into one FMA, which gives ``-2.8e-17`` instead of Theano's
    exact 0 at ``x = -2.5``, so the clip's gradient there was 0 instead of
    Theano's 0.2 (golden ``activations.npz``).  With the clip between the product
    and the sum, no FMA is formed and the values are Theano's, rounding included.
    """
    x = T.as_tensor_variable(x)
    half = _const(0.5, x)
    return T.clip(x * _const(0.2, x), -half, half) + half


def relu(x, alpha=0):
    """Theano's ``T.nnet.relu``: ``0.5 * (x + |x|)`` (gradient 0.5 at 0)."""
    x = T.as_tensor_variable(x)
    if alpha == 0:
        return _const(0.5, x) * (x + abs(x))
    f1 = _const(0.5 * (1 + alpha), x)
    f2 = _const(0.5 * (1 - alpha), x)
    return f1 * x + f2 * abs(x)


def softmax(x):
    """Theano's ``T.nnet.softmax``: row-wise over the last axis of a matrix."""
    return _pt_softmax(x, axis=-1)


def softplus(x):
    return T.softplus(x)


def categorical_crossentropy(coding_dist, true_dist):
    """Theano's ``T.nnet.categorical_crossentropy(predictions, targets)``."""
    if true_dist.ndim == coding_dist.ndim:
        return -T.sum(true_dist * T.log(coding_dist), axis=coding_dist.ndim - 1)
    if true_dist.ndim == coding_dist.ndim - 1:
        return -T.log(coding_dist[T.arange(coding_dist.shape[0]), true_dist])
    raise TypeError("categorical_crossentropy: true_dist must be one-hot (same ndim) or an index vector.")


def binary_crossentropy(output, target):
    """Theano's ``T.nnet.binary_crossentropy(output, target)``, elementwise."""
    return -(target * T.log(output) + (1.0 - target) * T.log(1.0 - output))


def round_half_away(x):
    """Theano's ``T.round`` default (half away from zero); PyTensor rounds half to even."""
    return T.sign(x) * T.floor(abs(x) + _const(0.5, T.as_tensor_variable(x)))


def flatten(x, outdim=1):
    """Theano's ``T.flatten(x, outdim)``; PyTensor renamed the keyword to ``ndim``."""
    return T.flatten(x, ndim=outdim)


def stack(*tensors):
    """Theano <= 0.7 ``T.stack(a, b, ...)``."""
    return T.stack(list(tensors), axis=0)


# --- random numbers -------------------------------------------------------------

class RandomStreams:
    """Stand-in for Theano's ``MRG_RandomStreams`` as Keras 0.x used it.

    Each draw owns a shared NumPy ``Generator`` whose state advances on every
    call of a compiled function (a ``default_update``, as in Theano), so a plain
    ``pytensor.function`` gets fresh noise each call too.  The streams are not
    Theano's MRG31k3p: masks differ from the original's, distributions do not.
    """

    def __init__(self, seed=None):
        if seed is None:
            seed = np.random.randint(10_000_000)
        self._seed_gen = np.random.default_rng(int(seed))

    def _draw(self, rv_fn, *args, size, dtype=None):
        rng = pytensor.shared(np.random.default_rng(self._seed_gen.integers(2**31)))
        kwargs = {"size": size, "rng": rng}
        if dtype is not None:
            kwargs["dtype"] = dtype
        next_rng, value = rv_fn(*args, **kwargs).owner.outputs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rng.default_update = next_rng
        return value

    def uniform(self, size, low=0.0, high=1.0, dtype=None):
        dtype = dtype or floatx()
        return T.cast(self._draw(T.random.uniform, low, high, size=size), dtype)

    def normal(self, size, avg=0.0, std=1.0, dtype=None):
        dtype = dtype or floatx()
        return T.cast(self._draw(T.random.normal, avg, std, size=size), dtype)

    def binomial(self, size, n=1, p=0.5, dtype="int64"):
        """Bernoulli draws as MRG did them: ``cast(uniform(size) < p, dtype)``."""
        if n != 1:
            raise ValueError("RandomStreams.binomial supports n=1 only, as MRG_RandomStreams did.")
        u = self._draw(T.random.uniform, 0.0, 1.0, size=size)
        return T.cast(T.lt(u, p), dtype)


# --- C Ops: BLAS headers and flags, the gradient method's name --------------------------

try:  # PyTensor >= 3.1
    from pytensor.tensor.blas.c_code.blas_headers import blas_header_text
except ImportError:  # PyTensor 3.0.x
    from pytensor.tensor.blas_headers import blas_header_text  # noqa: F401  (re-exported)
from pytensor.tensor.blas import ldflags as blas_ldflags  # noqa: E402, F401  (re-exported)


class ShapeOp:
    """Mixin of an Op whose output shapes are ``output_shapes(node, input_shapes)``.

    PyTensor >= 3.3 calls ``infer_shape(node, input_shapes)`` (and warns about an
    ``fgraph`` parameter), 3.0-3.2 ``infer_shape(fgraph, node, input_shapes)``: both reach
    ``output_shapes``.  Put it before the Op base class.
    """

    def infer_shape(self, *args):
        node, input_shapes = args[-2:]
        return self.output_shapes(node, input_shapes)


class VJPOp:
    """Mixin of an Op whose gradient is ``vjp(inputs, outputs, output_grads)``.

    PyTensor >= 3.3 asks an Op for ``pullback``, 3.0-3.2 for ``L_op`` (same arguments):
    both call ``vjp``.  Put it before the Op base class.
    """

    def vjp(self, inputs, outputs, output_grads):
        raise NotImplementedError(f"{type(self).__name__} defines no gradient (vjp)")

    def L_op(self, inputs, outputs, output_grads):
        return self.vjp(inputs, outputs, output_grads)

    def pullback(self, inputs, outputs, cotangents):
        return self.vjp(inputs, outputs, cotangents)


# --- the Numba and JAX backends: registering Op implementations ----------------------
# PyTensor turns each node into a function through ``numba_funcify`` / ``jax_funcify``
# (single dispatch on the Op's type).  Their modules import numba / jax, ~0.3-1 s each, and
# PyTensor loads them only when a function is compiled for that backend.  Implementations
# are registered then (an import hook), so ``import keras_legacy`` pays for neither.

NUMBA_DISPATCH = "pytensor.link.numba.dispatch"
JAX_DISPATCH = "pytensor.link.jax.dispatch"


class _RunAfterLoader(importlib.abc.Loader):
    """The module's own loader, then ``callbacks(module)``."""

    def __init__(self, loader, callbacks):
        self._loader = loader
        self._callbacks = callbacks

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        for callback in self._callbacks:
            callback(module)

    def __getattr__(self, name):  # get_source, is_package, resource readers: the original's
        return getattr(self._loader, name)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of the modules that have pending callbacks."""

    def __init__(self):
        self.pending = {}

    def find_spec(self, name, path=None, target=None):
        if name not in self.pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _RunAfterLoader(spec.loader, self.pending.pop(name))
        return spec


_AFTER_IMPORT = _AfterImport()


def after_import(module_name, callback):
    """Call ``callback(module)`` once the module ``module_name`` is imported: now if it is
    already, else right after its code has run (before the import returns)."""
    module = sys.modules.get(module_name)
    if module is not None:
        callback(module)
        return
    if _AFTER_IMPORT not in sys.meta_path:
        sys.meta_path.insert(0, _AFTER_IMPORT)
    _AFTER_IMPORT.pending.setdefault(module_name, []).append(callback)


def _numba_register(dispatch_module):
    """``register(op_type)`` of PyTensor's Numba dispatch: a decorator of
    ``funcify(op, node, **kw) -> (njit function, cache version int)``.

    PyTensor >= 3.2 keys its on-disk cache of compiled graphs by the Ops' props when the
    funcify is registered through ``register_funcify_default_op_cache_key``; 3.0.x has the
    ``numba_funcify`` single dispatch only (the graphs are then not cached on disk)."""
    basic = sys.modules.get(f"{NUMBA_DISPATCH}.basic")
    register = getattr(basic, "register_funcify_default_op_cache_key", None)
    if register is not None:
        return register

    def register_legacy(op_type):
        def decorator(funcify):
            @functools.wraps(funcify)
            def without_version(*args, **kwargs):
                return funcify(*args, **kwargs)[0]

            dispatch_module.numba_funcify.register(op_type)(without_version)
            return funcify

        return decorator

    return register_legacy


def numba_funcify_now(op_type):
    """The Numba funcify PyTensor has for ``op_type`` now, as ``funcify(op, node, **kw) ->
    (function, version)`` (the form ``_numba_register`` takes), or None if it has none
    registered for that type itself.  Call it once the Numba backend has loaded."""
    basic = sys.modules.get(f"{NUMBA_DISPATCH}.basic")
    if basic is None:
        return None
    keyed = getattr(basic, "numba_funcify_default_op_cache_key", None)
    if keyed is not None and op_type in keyed.registry:
        return keyed.registry[op_type]
    legacy = basic.numba_funcify
    if op_type not in legacy.registry:
        return None
    plain = legacy.registry[op_type]

    def with_version(op, node=None, **kwargs):
        return plain(op, node=node, **kwargs), 0

    return with_version


def on_numba_backend(register_all):
    """``register_all(register)`` when PyTensor's Numba backend loads (``_numba_register``)."""
    after_import(NUMBA_DISPATCH, lambda module: register_all(_numba_register(module)))


#: Whether jax is installed (the optional extra ``jax``); found without importing it.
HAS_JAX = importlib.util.find_spec("jax") is not None


def jax_funcify_calling(impl):
    """A ``jax_funcify`` entry whose function of the node's inputs is ``impl(op, *inputs)``."""
    def funcify(op, node=None, **kwargs):
        def jax_op(*inputs):
            return impl(op, *inputs)

        return jax_op

    return funcify


def on_jax_backend(register_all):
    """``register_all(register)`` when PyTensor's JAX backend loads; ``register(op_type)`` is
    a decorator of ``funcify(op, node, **kw) -> function of the node's inputs``."""
    after_import(JAX_DISPATCH, lambda module: register_all(module.jax_funcify.register))
