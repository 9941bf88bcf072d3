"""Functions compiled for PyTensor's JAX backend: static shapes per batch, optional data parallelism.

JAX traces a function for fixed array shapes, and PyTensor's JAX backend refuses graphs
whose shapes are computed at run time (an ``Alloc`` or a slice sized by ``x.shape[0]``),
which is what a model's graph does: its inputs have no static shapes.  ``JaxFunction``
compiles the same graph once per distinct set of input shapes: the inputs are replaced by
inputs of those static shapes, and every shared variable (weights, optimizer
accumulators, recurrent states) by itself with its current value's shape
(``specify_shape``); PyTensor's rewrites then turn every computed shape into a constant.
A model's ``fit`` therefore compiles two functions at most per epoch layout (the full
batches, and the last shorter one), each once; the values are the graph's, unchanged.

Data parallelism (``data_parallel``): the compiled function is jitted with the batch
inputs sharded over their first axis across the devices of a one-axis ``jax.sharding.Mesh``
and everything else (the shared variables, the outputs, the updated shared values)
replicated; XLA splits the computation and sums the gradients of the shards (an
all-reduce).  A batch whose size the device count does not divide runs unsplit on the
default device (same numbers).  Inputs are built with
``jax.make_array_from_callback``, which also works when ``jax.distributed.initialize`` has
joined several processes into one set of devices.

jax is an optional extra (``pip install keras_legacy[jax]``); it is imported when the first
function is compiled, not with this module.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytensor
import pytensor.tensor as T
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import graph_inputs
from pytensor.link.jax.linker import JAXLinker
from pytensor.tensor.type import TensorType

JAX_DISPATCH = "pytensor.link.jax.dispatch"

#: ``jax`` and ``jax.sharding``, bound by ``_bind_jax``.
jax = sharding = None


def _bind_jax():
    """Import jax and PyTensor's JAX backend (which registers the Ops' implementations)."""
    global jax, sharding
    if jax is None:
        try:
            jax = importlib.import_module("jax")
        except ImportError as exc:
            raise ImportError(
                "theano_mode='JAX' needs jax, which is not installed: pip install 'keras_legacy[jax]' "
                "(CPU), or jax with a CUDA/TPU plugin for an accelerator."
            ) from exc
        sharding = importlib.import_module("jax.sharding")
        importlib.import_module(JAX_DISPATCH)


def is_jax_mode(mode):
    """Whether the PyTensor ``Mode`` links with the JAX backend."""
    return isinstance(getattr(mode, "linker", None), JAXLinker)


def _needs_x64(variables):
    return any(getattr(v.type, "dtype", "") in ("float64", "complex128") for v in variables)


def enable_x64():
    """Let JAX compute in 64 bits (``jax_enable_x64``): without it float64 arrays are
    silently computed in float32.  PyTensor's JAX backend sets the flag from ``floatX`` when
    it loads; a graph with 64-bit values needs it whatever ``floatX`` said then."""
    _bind_jax()
    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


def resolve_devices(data_parallel):
    """The devices of ``data_parallel``: ``True`` every device of ``jax.devices()`` (all the
    processes' after ``jax.distributed.initialize``), an int ``n`` the first ``n``, or a
    sequence of jax devices."""
    _bind_jax()
    available = jax.devices()
    if data_parallel is True:
        return list(available)
    if isinstance(data_parallel, (int, np.integer)) and not isinstance(data_parallel, bool):
        if not 1 <= data_parallel <= len(available):
            raise ValueError(
                f"data_parallel={data_parallel}: jax sees {len(available)} device(s) ({available}); ask for "
                f"1..{len(available)} devices, or True for all of them.")
        return list(available[: int(data_parallel)])
    if isinstance(data_parallel, (list, tuple)) and data_parallel:
        return list(data_parallel)
    raise TypeError(
        "data_parallel must be False, True (every device of jax.devices()), a number of devices or a list "
        f"of jax devices, got {data_parallel!r}.")


class ShardedJAXLinker(JAXLinker):
    """PyTensor's JAX linker, jitting with the function's inputs flagged in ``split`` sharded
    over their first axis across ``devices`` and everything else (the other inputs, the
    shared variables, which follow the inputs) replicated.  ``jitted`` is the jitted
    function, ``last_inputs`` the arrays (with their shardings) of the last call."""

    def __init__(self, devices, split, *args, **kwargs):
        self.devices = list(devices)
        self.split = list(split)
        super().__init__(*args, **kwargs)

    def jit_compile(self, fn):
        mesh = sharding.Mesh(np.array(self.devices), ("batch",))
        split = sharding.NamedSharding(mesh, sharding.PartitionSpec("batch"))
        whole = sharding.NamedSharding(mesh, sharding.PartitionSpec())
        inputs = self.fgraph.inputs
        flags = self.split + [False] * (len(inputs) - len(self.split))
        in_shardings = [split if flag else whole for flag in flags]
        jit_fn = jax.jit(fn, in_shardings=in_shardings, out_shardings=whole)

        def place(value, where):
            value = np.asarray(value) if not isinstance(value, jax.Array) else value
            return jax.make_array_from_callback(np.shape(value), where, lambda index: value[index])

        def run(*args):
            placed = [place(a, s) for a, s in zip(args, in_shardings)]
            self.last_inputs = placed
            return jit_fn(*placed)

        self.jitted = jit_fn
        return run


class JaxFunction:
    """A function of ``inputs`` compiled by PyTensor's JAX backend once per distinct set of
    input (and shared-variable) shapes; called like the ``pytensor.function`` it stands for.

    ``functions`` maps each shape key (the inputs' shapes, the shared variables' shapes) to
    its compiled function; ``maker`` and the other attributes of a compiled function are
    those of the one called last."""

    def __init__(self, inputs, outputs, updates=(), mode=None, name=None, data_parallel=False, **kwargs):
        _bind_jax()
        self.inputs = list(inputs)
        self.outputs = outputs
        self.updates = list(updates)
        self.mode = mode
        self.name = name
        self.kwargs = kwargs
        self.devices = resolve_devices(data_parallel) if data_parallel else None
        self.functions = {}
        self._last = None
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        self.updates += _default_updates(outs + [v for _, v in self.updates], self.updates)
        self._graph = outs + [v for _, v in self.updates]
        self._shared = [v for v in graph_inputs(self._graph + [k for k, _ in self.updates])
                        if isinstance(v, SharedVariable) and isinstance(v.type, TensorType)]
        if _needs_x64(self.inputs + self._graph + self._shared):
            enable_x64()

    def _key(self, args):
        return (tuple(np.shape(a) for a in args),
                tuple(v.get_value(borrow=True).shape for v in self._shared))

    def __call__(self, *args):
        if len(args) != len(self.inputs):
            raise TypeError(f"this function takes {len(self.inputs)} inputs, got {len(args)}.")
        key = self._key(args)
        f = self.functions.get(key)
        if f is None:
            f = self.functions[key] = self._compile(*key)
        self._last = f
        outs = f(*args)
        for v, _ in self.updates:  # JAX wrote jax Arrays: the shared values stay NumPy arrays
            value = v.container.storage[0]
            if not isinstance(value, np.ndarray) and isinstance(v.type, TensorType):
                v.container.storage[0] = np.array(value)
        if isinstance(outs, (list, tuple)):
            return [np.asarray(o) for o in outs]
        return np.asarray(outs)

    def _mode(self, input_shapes):
        if self.devices is None or len(self.devices) == 1:
            return self.mode
        split = [len(s) > 0 for s in input_shapes]  # the batch inputs: every input with a first axis
        batch_sizes = {s[0] for s in input_shapes if len(s)}
        if len(batch_sizes) != 1 or next(iter(batch_sizes)) % len(self.devices):
            return self.mode  # not split: the whole batch on one device (same numbers)
        linker = ShardedJAXLinker(self.devices, split)
        return pytensor.compile.mode.Mode(linker=linker, optimizer=self.mode.provided_optimizer)

    def _compile(self, input_shapes, shared_shapes):
        static, replace = [], {}
        for v, shape in zip(self.inputs, input_shapes):
            if isinstance(v.type, TensorType):
                if len(shape) != v.type.ndim:
                    raise ValueError(
                        f"input {v.name or v} takes arrays of {v.type.ndim} dimension(s), got one of shape "
                        f"{shape}: pass arrays of that rank.")
                s = T.tensor(name=v.name, dtype=v.type.dtype, shape=shape)
                replace[v] = s
                static.append(s)
            else:
                static.append(v)
        for v, shape in zip(self._shared, shared_shapes):
            replace[v] = T.specify_shape(v, shape)
        graph = graph_replace(self._graph, replace, strict=False) if replace else self._graph
        n_out = len(graph) - len(self.updates)
        outputs = graph[:n_out]
        if not isinstance(self.outputs, (list, tuple)):
            outputs = outputs[0]
        updates = [(k, new) for (k, _), new in zip(self.updates, graph[n_out:])]
        try:
            with warnings.catch_warnings():
                # the JAX linker copies shared random generators into the compiled function
                # (their JAX keys advance there); said once in the docs, not at each shape
                warnings.filterwarnings("ignore", message="The RandomType SharedVariables")
                return pytensor.function(static, outputs, updates=updates, mode=self._mode(input_shapes),
                                         name=self.name, **self.kwargs)
        except NotImplementedError as exc:
            shapes = ", ".join(str(s) for s in input_shapes)
            raise ValueError(
                f"theano_mode='JAX': the graph cannot be compiled by JAX for inputs of shapes {shapes} "
                f"({exc}). JAX traces fixed shapes: values whose shape depends on the data (e.g. "
                "nonzero(), boolean indexing) cannot be traced. Compute with fixed shapes (e.g. "
                "switch(cond, x, 0) instead of x[cond.nonzero()]) or use another mode (None, 'NUMBA', "
                "'FAST_COMPILE')."
            ) from exc

    def __getattr__(self, name):
        last = self.__dict__.get("_last")
        if last is None:
            raise AttributeError(
                f"{name!r}: this JAX function has not been compiled yet (it compiles for the shapes of "
                "its first call).")
        return getattr(last, name)


def _default_updates(graph, updates):
    """``(shared, default_update)`` of the shared variables of ``graph`` that have one and no
    update in ``updates`` (random generators): made explicit so that they are rebuilt with
    the graph's static shapes (``pytensor.function`` would add the original, dynamic ones)."""
    found, done = [], {k for k, _ in updates}
    pending = list(graph)
    while pending:
        new = [v for v in graph_inputs(pending) if isinstance(v, SharedVariable) and v not in done
               and getattr(v, "default_update", None) is not None]
        done.update(new)
        found += [(v, v.default_update) for v in new]
        pending = [v.default_update for v in new]
    return found
