"""The rest of the recurrent family: training-step speed of the layers that are not plain
0.1.x LSTM/GRU, against a peer, CPU, float32, 1 thread by default.

Run: ``OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_family.py [--quick]``
(PyTorch optional: its rows read ``nan`` without it).

Rows (training step = forward + gradients w.r.t. every weight and the input of
``sum(out * R)``, ``return_sequences=True``, at bench_rnn's small shape):

* ``SimpleRNN`` (0.1.3, tanh, i.e. ``backend.fast_tanh``; scan) against PyTorch's
  ``nn.RNN(nonlinearity="tanh")``, and with its default ``sigmoid``;
* ``SimpleDeepRNN`` (depth 3; scan) against the same ``nn.RNN`` (it has no PyTorch
  peer; it reads three past states per step);
* ``JZS1`` (tanh/sigmoid; scan) against our fused ``GRU`` of the same size (PyTorch has
  no MUT1; the GRU is the nearest cell: three gates, two recurrent products);
* ``LSTM03-mask``: a 0.3 LSTM with a carry mask (post-padding, every sample a different
  length), the fused Op on compacted sequences against the same layer on ``scan``
  (``fast_path=False``) and against PyTorch's ``nn.LSTM`` unmasked;
* ``LSTM03-stateful``: a 0.3 stateful LSTM (scan: the fused Ops take no initial state),
  the state updates applied each call, against ``nn.LSTM`` given the previous states.

Before timing, each case asserts the compiled graph's structure (Scan or the fused
Ops, as the row says) and its numbers: SimpleRNN against ``nn.RNN`` with the same
weights; the others against PyTensor's Python linker on the same graph, or (masked
LSTM) the scan graph.  Times are the minimum over rounds of the mean of a few calls
(ms), the rounds of all sides alternating.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from timing import min_times as _min_times  # noqa: E402  (benchmarks/timing.py, beside this script)

BATCH, STEPS, INP, HIDDEN = 32, 200, 64, 64


def _close(got, want, what, tol=1e-4):
    for a, b in zip(got, want):
        a, b = np.asarray(a), np.asarray(b)
        scale = max(1.0, float(np.abs(b).max()))
        err = float(np.abs(a - b).max())
        if not err <= tol * scale:
            raise AssertionError(f"{what}: max difference {err:.3g} > {tol} * {scale:.3g}")


def _ops(f):
    return [type(nd.op).__name__ for nd in f.maker.fgraph.toposort()]


def _expect(f, what, scan, fused=()):
    ops = _ops(f)
    has_scan = any("Scan" in o for o in ops)
    if has_scan != scan or not all(name in ops for name in fused):
        raise AssertionError(f"{what}: expected scan={scan} and the Ops {fused}, got {ops}")


class Ours:
    """A layer's training step compiled in the default (C) mode."""

    def __init__(self, layer, mask=None, stateful=False, seed=0):
        import pytensor.tensor as T

        from keras_legacy import backend as K

        rng = np.random.RandomState(seed)
        self.layer = layer
        self.X = T.tensor3(dtype="float32")
        self.M = T.matrix(dtype="float32")
        layer.input = self.X
        if mask is not None:
            layer.get_input_mask = lambda train=None: self.M
        out = layer.get_output()
        R = rng.normal(size=(BATCH, STEPS, HIDDEN)).astype("float32")
        self.outs = [out] + K.grad((out * R).sum(), layer.params + [self.X])
        self.inputs = [self.X] + ([self.M] if mask is not None else [])
        self.updates = list(getattr(layer, "state_updates", [])) if stateful else []
        self.f = K.function(self.inputs, self.outs, updates=self.updates)
        self.values = [rng.normal(size=(BATCH, STEPS, INP)).astype("float32")]
        if mask is not None:
            self.values.append(mask)

    def __call__(self):
        return self.f(*self.values)

    def python_reference(self):
        """The same graph under PyTensor's Python linker (``perform``), no rewrites."""
        import pytensor
        from pytensor.compile.mode import Mode

        ref = pytensor.function(self.inputs, self.outs, mode=Mode(linker="py", optimizer="fast_compile"))
        return ref(*self.values)


def _layer013(name, **kwargs):
    import pytensor

    from keras_legacy.layers import recurrent

    with pytensor.config.change_flags(floatX="float32"):
        layer = getattr(recurrent, name)(INP, HIDDEN, return_sequences=True, **kwargs)
    return layer


def _layer03(fast, stateful=False):
    import pytensor

    from keras_legacy.v03.layers import recurrent as r03

    with pytensor.config.change_flags(floatX="float32"):
        shape = {"batch_input_shape": (BATCH, STEPS, INP)} if stateful else {"input_shape": (STEPS, INP)}
        layer = r03.LSTM(HIDDEN, activation="tanh", inner_activation="sigmoid", return_sequences=True,
                         stateful=stateful, **shape)
    layer.fast_path = fast
    return layer


def torch_step(module, x, R, states=None):
    """A PyTorch training step of ``module`` on ``x``; with ``states`` (a list holding the
    previous states, updated) the stateful variant."""
    def step():
        module.zero_grad(set_to_none=True)
        x.grad = None
        if states is None:
            out, _ = module(x)
        else:
            out, last = module(x, states[0])
            states[0] = tuple(s.detach() for s in last)
        (out * R).sum().backward()
        return out

    return step


def simple_rnn_rows(torch, rounds):
    layer = _layer013("SimpleRNN", activation="tanh")
    ours = Ours(layer)
    _expect(ours.f, "SimpleRNN", scan=True)
    W, U, b = (p.get_value() for p in layer.params)
    rows = []
    if torch is not None:
        rnn = torch.nn.RNN(INP, HIDDEN, nonlinearity="tanh", batch_first=True)
        with torch.no_grad():  # h = tanh(x.W + b + h.U): W_ih = W^T, W_hh = U^T, one bias
            rnn.weight_ih_l0.copy_(torch.from_numpy(W.T))
            rnn.weight_hh_l0.copy_(torch.from_numpy(U.T))
            rnn.bias_ih_l0.copy_(torch.from_numpy(b))
            rnn.bias_hh_l0.zero_()
        x = torch.from_numpy(ours.values[0]).requires_grad_(True)
        R = torch.from_numpy(np.random.RandomState(0).normal(size=(BATCH, STEPS, HIDDEN)).astype("float32"))
        peer = torch_step(rnn, x, R)
        got, out = ours(), peer().detach().numpy()
        want = [out, rnn.weight_ih_l0.grad.numpy().T, rnn.weight_hh_l0.grad.numpy().T,
                rnn.bias_ih_l0.grad.numpy(), x.grad.numpy()]
        _close(got, want, "SimpleRNN vs nn.RNN (output, dW, dU, db, dX)")
        ms = _min_times([ours, peer], rounds)
        rows.append(("SimpleRNN", "scan", "torch nn.RNN", ms[0], ms[1]))
    else:
        rows.append(("SimpleRNN", "scan", "torch nn.RNN", _min_times([ours], rounds)[0], float("nan")))
    sig = Ours(_layer013("SimpleRNN", activation="sigmoid"))
    _expect(sig.f, "SimpleRNN(sigmoid)", scan=True)
    _close(sig(), sig.python_reference(), "SimpleRNN(sigmoid) vs the Python linker")
    fns = [sig] + ([peer] if torch is not None else [])
    ms = _min_times(fns, rounds) + [float("nan")]
    rows.append(("SimpleRNN(sigmoid, the 0.1.3 default)", "scan", "torch nn.RNN (tanh)", ms[0], ms[1]))
    deep = Ours(_layer013("SimpleDeepRNN", activation="tanh", inner_activation="sigmoid"))
    _expect(deep.f, "SimpleDeepRNN", scan=True)
    _close(deep(), deep.python_reference(), "SimpleDeepRNN vs the Python linker")
    fns = [deep] + ([peer] if torch is not None else [])
    ms = _min_times(fns, rounds) + [float("nan")]
    rows.append(("SimpleDeepRNN(depth=3)", "scan", "torch nn.RNN", ms[0], ms[1]))
    return rows


def jzs1_rows(rounds):
    jzs = Ours(_layer013("JZS1"))
    _expect(jzs.f, "JZS1", scan=True)
    _close(jzs(), jzs.python_reference(), "JZS1 vs the Python linker")
    gru = _layer013("GRU", activation="tanh", inner_activation="sigmoid")
    gru.fast_path = True
    ours_gru = Ours(gru)
    _expect(ours_gru.f, "GRU", scan=False, fused=("GRUForward", "GRUGrad"))
    ms = _min_times([jzs, ours_gru], rounds)
    return [("JZS1", "scan", "our fused GRU", ms[0], ms[1])]


def lstm03_rows(torch, rounds):
    lengths = np.random.RandomState(1).randint(STEPS // 2, STEPS + 1, size=BATCH)
    mask = (np.arange(STEPS)[None, :] < lengths[:, None]).astype("float32")
    fused = Ours(_layer03(True), mask=mask)
    _expect(fused.f, "LSTM03 masked, fused", scan=False, fused=("LSTMForwardX", "LSTMGrad"))
    scan_layer = _layer03(False)
    scan_layer.set_weights(fused.layer.get_weights())
    scan = Ours(scan_layer, mask=mask)
    _expect(scan.f, "LSTM03 masked, scan", scan=True)
    _close(fused(), scan(), "LSTM03 masked: fused vs scan")
    rows = []
    peer = None
    if torch is not None:
        lstm = torch.nn.LSTM(INP, HIDDEN, batch_first=True)
        x = torch.randn(BATCH, STEPS, INP, requires_grad=True)
        R = torch.randn(BATCH, STEPS, HIDDEN)
        peer = torch_step(lstm, x, R)
    fns = [fused, scan] + ([peer] if peer else [])
    ms = _min_times(fns, rounds) + [float("nan")]
    rows.append(("LSTM03 carry mask", "fused (compacted)", "torch nn.LSTM", ms[0], ms[2]))
    rows.append(("LSTM03 carry mask", "scan (fast_path=False)", "torch nn.LSTM", ms[1], ms[2]))

    stateful = Ours(_layer03(True, stateful=True), stateful=True)
    _expect(stateful.f, "LSTM03 stateful", scan=True)
    first = stateful.python_reference()
    got = stateful()  # the states start at zero in both calls above
    _close(got, first, "LSTM03 stateful vs the Python linker")
    fns = [stateful]
    if torch is not None:
        states = [(torch.zeros(1, BATCH, HIDDEN), torch.zeros(1, BATCH, HIDDEN))]
        fns.append(torch_step(lstm, x, R, states))
    ms = _min_times(fns, rounds) + [float("nan")]
    rows.append(("LSTM03 stateful", "scan", "torch nn.LSTM (h0, c0)", ms[0], ms[1]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    args = ap.parse_args()
    import pytensor

    pytensor.config.floatX = "float32"
    from keras_legacy import backend as K
    from keras_legacy.backend.blas import set_num_threads

    try:
        import torch
    except ImportError:
        torch = None
    set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    rounds = 3 if args.quick else 7
    print(f"PyTensor {pytensor.__version__}, mode {K.DEFAULT_MODE_NAME}, Python {sys.version.split()[0]}, "
          f"torch {torch.__version__ if torch else 'absent'}; float32, 1 thread, "
          f"batch,steps,in,hidden = {BATCH},{STEPS},{INP},{HIDDEN}; training step")
    rows = simple_rnn_rows(torch, rounds) + jzs1_rows(rounds) + lstm03_rows(torch, rounds)
    print("| layer | ours runs | peer | ours ms | peer ms | ratio |")
    print("|---|---|---|---|---|---|")
    for layer, path, peer, ms, pms in rows:
        print(f"| {layer} | {path} | {peer} | {ms:.2f} | {pms:.2f} | {ms / pms:.2f} |")


if __name__ == "__main__":
    main()
