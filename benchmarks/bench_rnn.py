"""LSTM/GRU layer speed: keras_legacy (fused C Ops) vs PyTorch nn.LSTM/nn.GRU, CPU, float32
and float64 (each against PyTorch in the same dtype).

Run (see README.md): ``PYTHONPATH=. python benchmarks/bench_rnn.py [--threads 1 2] [--quick]
[--isa avx512|avx2|portable|blas] [--dtypes float32 float64]``.  ``--isa`` forces the float32
kernel (``KERAS_LEGACY_RNN_ISA``, see keras_legacy/backend/rnn/isa.py); the table's
``kernel`` column says which one ran (float64: the BLAS path, but for the forward Ops with avx512/avx2).

The same layer graph is also timed under a plain ``pytensor.function`` (PyTensor's
default mode, Numba: the Numba implementations of the fused Ops) and under ``JAX``
(their ``lax.scan`` implementations; the column reads ``nan`` without jax).

Before timing, every case asserts the compiled graph's structure (the C
linker, the fused forward/gradient Ops, no Scan) and its results against the
NumPy reference implementation of the same Ops (``perform``).  Times are the
minimum over rounds of the mean of a few calls (ms per batch); the rounds of ours and
PyTorch's alternate, so a drift of the machine's speed hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from timing import min_times as _min_times  # noqa: E402  (benchmarks/timing.py, beside this script)

SHAPES = [(64, 100, 128, 256), (32, 200, 64, 64)]  # batch, steps, input, hidden

#: ``--isa avx2``: the libraries of both sides restricted to AVX2 (an AVX2-only CPU's view)
AVX2_ONLY_ENV = {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2",
                 "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def _min_time(fn, rounds=5, reps=3):
    """Best mean-of-``reps`` time (ms) of one function."""
    return _min_times([fn], rounds=rounds, reps=reps)[0]


def gemm_flops(kind, batch, steps, inp, hidden, train):
    gates = 4 if kind == "LSTM" else 3
    fwd = 2.0 * steps * batch * gates * hidden * (inp + hidden)
    return fwd * (3 if train else 1)


def sgemm_peak(K, T):
    """Measured single-process sgemm GFLOP/s through PyTensor's C backend (Dot22)."""
    import pytensor

    a = T.matrix(dtype="float32")
    f = K.function([a], [T.dot(a, a)])
    v = np.random.rand(1024, 1024).astype("float32")
    ms = _min_time(lambda: f(v), rounds=5, reps=5)
    del pytensor
    return 2 * 1024**3 / (ms * 1e-3) / 1e9


def build_ours(kind, batch, steps, inp, hidden, train, dtype="float32"):
    import pytensor
    import pytensor.tensor as T
    from pytensor.compile.mode import Mode

    from keras_legacy import backend as K
    from keras_legacy.backend import rnn
    from keras_legacy.layers import recurrent

    rng = np.random.RandomState(0)
    with pytensor.config.change_flags(floatX=dtype):
        layer = getattr(recurrent, kind)(inp, hidden, activation="tanh", inner_activation="sigmoid",
                                         return_sequences=True)
    layer.fast_path = True
    X = T.tensor3(dtype=dtype)
    layer.input = X
    out = layer.get_output()
    R = rng.normal(size=(batch, steps, hidden)).astype(dtype)
    outs = T.grad((out * R).sum(), layer.params + [X]) if train else [out]
    t0 = time.perf_counter()
    f = K.function([X], outs)
    compile_s = time.perf_counter() - t0
    # structure: C linker, the fused Ops, no Scan
    assert type(f.maker.linker).__name__.startswith("VMLinker") or "C" in type(f.maker.linker).__name__
    ops = [type(nd.op).__name__ for nd in f.maker.fgraph.toposort()]
    # float32 LSTM: the input product is inside the forward Op (LSTMForwardX reads X in
    # place), so the only GEMM nodes are the gradient's dX, dW, dU; GRU and float64:
    # dot(X, W) + GRUForward / LSTMForward.
    fold = kind == "LSTM" and dtype == "float32"
    fwd_name = "LSTMForwardX" if fold else f"{kind}Forward"
    assert fwd_name in ops and (not train or f"{kind}Grad" in ops), ops
    if fold:
        assert sum(o.startswith(("Dot", "Gemm")) for o in ops) == (3 if train else 0), ops
    assert not any("Scan" in o for o in ops), ops
    fwd_ops = [nd.op for nd in f.maker.fgraph.toposort() if isinstance(nd.op, (rnn.LSTMForward, rnn.GRUForward))]
    assert [op.save_gates for op in fwd_ops] == [train], fwd_ops  # forward alone saves no gates
    x = rng.normal(size=(batch, steps, inp)).astype(dtype)
    # correctness: the NumPy reference of the same graph (perform), 1e-4
    ref = pytensor.function([X], outs, mode=Mode(linker="py", optimizer="fast_compile"))
    for a, b in zip(f(x), ref(x)):
        scale = max(1.0, float(np.abs(b).max()))
        assert np.abs(a - b).max() <= 1e-4 * scale, (kind, np.abs(a - b).max(), scale)
    return (lambda: f(x)), compile_s, (X, outs, x, layer.params)


def build_other(mode, graph, reference):
    """The same graph compiled by ``mode`` (``"plain"``: ``pytensor.function`` without a
    mode), checked against ``reference`` (the C mode's results); a function of no argument."""
    import pytensor
    import pytensor.tensor as T
    from pytensor.graph.replace import graph_replace

    X, outs, x, params = graph
    if mode == "JAX":  # JAX traces static shapes: the input's and the weights' (their Split)
        Xs = T.tensor(dtype=X.dtype, shape=x.shape)
        outs = graph_replace(outs, {X: Xs, **{p: T.specify_shape(p, p.get_value().shape) for p in params}})
        X = Xs
    kwargs = {} if mode == "plain" else {"mode": mode}
    f = pytensor.function([X], outs, **kwargs)
    ops = [type(nd.op).__name__ for nd in f.maker.fgraph.toposort()]
    assert not any("Scan" in o for o in ops), (mode, ops)
    for a, b in zip(f(x), reference):
        scale = max(1.0, float(np.abs(b).max()))
        assert np.abs(np.asarray(a) - b).max() <= 1e-4 * scale, (mode, np.abs(np.asarray(a) - b).max(), scale)
    if mode == "JAX":  # JAX dispatches asynchronously: time the finished results
        import jax

        return lambda: jax.block_until_ready(f(x))
    return lambda: f(x)


def build_torch(kind, batch, steps, inp, hidden, train, dtype="float32"):
    import torch

    torch.manual_seed(0)
    tdt = getattr(torch, dtype)
    mod = (torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU)(inp, hidden, batch_first=True).to(tdt)
    x = torch.randn(batch, steps, inp, requires_grad=train, dtype=tdt)
    R = torch.randn(batch, steps, hidden, dtype=tdt)
    if train:
        def step():
            mod.zero_grad(set_to_none=True)
            x.grad = None
            out, _ = mod(x)
            (out * R).sum().backward()
    else:
        def step():
            with torch.no_grad():
                mod(x)
    return step


def compile_times():
    """Cold and warm compile of a model (Embedding(mask_zero) -> LSTM -> Dense, RMSprop)."""
    cache = tempfile.mkdtemp(prefix="kl_bench_cache_")
    # float32 on both sides (PyTorch's model is float32): the child sets floatX
    # through the flags, before PyTensor is imported.
    flags = [f for f in os.environ.get("PYTENSOR_FLAGS", "").split(",") if f]
    flags += [f"base_compiledir={cache}", "floatX=float32"]
    env = dict(os.environ, PYTENSOR_FLAGS=",".join(flags))
    res = {}
    for label in ("cold", "warm"):
        out = subprocess.run([sys.executable, __file__, "--compile-child"], env=env,
                             capture_output=True, text=True)
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if out.returncode != 0 or not line:
            res[label] = {"error": (out.stderr or out.stdout).strip().splitlines()[-1:]}
        else:
            res[label] = json.loads(line[-1])
    return res


def compile_child():
    """Child process: time compile() of the model and one epoch of training."""
    import pytensor

    from keras_legacy.layers.core import Dense
    from keras_legacy.layers.embeddings import Embedding
    from keras_legacy.layers.recurrent import LSTM
    from keras_legacy.models import Sequential

    model = Sequential()
    model.add(Embedding(1000, 64, mask_zero=True))
    model.add(LSTM(64, 64))
    model.add(Dense(64, 1, activation="sigmoid"))
    rng = np.random.RandomState(0)
    X = rng.randint(1, 1000, size=(1024, 80))
    X[:, :20] = 0  # pre-padding
    y = rng.randint(0, 2, size=(1024, 1))
    # compile() plus the first training batch: compilation may be lazy.
    t0 = time.perf_counter()
    model.compile(loss="binary_crossentropy", optimizer="rmsprop")
    model.train_on_batch(X[:32], y[:32])
    compile_s = time.perf_counter() - t0
    epoch_s = float("inf")
    for _ in range(3):  # best of 3 epochs (shared cores)
        t0 = time.perf_counter()
        model.fit(X, y, batch_size=32, nb_epoch=1, verbose=0)
        epoch_s = min(epoch_s, time.perf_counter() - t0)
    f = model._function("train")
    nodes = f.maker.fgraph.toposort()
    print(json.dumps({"compile_s": round(compile_s, 2), "samples_per_s": round(len(X) / epoch_s),
                      "floatX": pytensor.config.floatX, "train_nodes": len(nodes)}))


def torch_model_rate():
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(1000, 64, padding_idx=0)
            self.lstm = torch.nn.LSTM(64, 64, batch_first=True)
            self.out = torch.nn.Linear(64, 1)

        def forward(self, x):
            h, _ = self.lstm(self.emb(x))
            return torch.sigmoid(self.out(h[:, -1]))

    rng = np.random.RandomState(0)
    X = torch.tensor(rng.randint(1, 1000, size=(1024, 80)))
    X[:, :20] = 0
    y = torch.tensor(rng.randint(0, 2, size=(1024, 1)), dtype=torch.float32)
    net = Net()
    opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-6)
    best = float("inf")
    for _ in range(3):  # best of 3 epochs, as ours
        t0 = time.perf_counter()
        for i in range(0, 1024, 32):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy(net(X[i:i + 32]), y[i:i + 32])
            loss.backward()
            opt.step()
        best = min(best, time.perf_counter() - t0)
    return 1024 / best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--quick", action="store_true", help="the small shape only, fewer rounds")
    ap.add_argument("--compile-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-compile", action="store_true", help="skip the model compile/epoch benchmark")
    ap.add_argument("--isa", choices=["avx512", "avx2", "portable", "blas"],
                    help="force the float32 kernel (default: the best this CPU runs)")
    ap.add_argument("--avx512-peer", action="store_true",
                    help="with --isa avx2: leave OpenBLAS and PyTorch on AVX-512 (default: AVX2, as on an AVX2 CPU)")
    ap.add_argument("--avx2-peer", action="store_true",
                    help="restrict OpenBLAS and PyTorch to AVX2 whatever --isa says (the default with --isa avx2; "
                         "e.g. --isa portable --avx2-peer)")
    ap.add_argument("--dtypes", nargs="+", choices=["float32", "float64"], default=["float32", "float64"])
    ap.add_argument("--torch-only", action="store_true",
                    help="time ours against PyTorch only (skip the plain-function/Numba and JAX columns)")
    args = ap.parse_args()
    if args.isa:
        os.environ["KERAS_LEGACY_RNN_ISA"] = args.isa  # before keras_legacy compiles anything
    if args.avx512_peer and args.avx2_peer:
        ap.error("--avx512-peer and --avx2-peer exclude each other")
    if (args.isa == "avx2" and not args.avx512_peer) or args.avx2_peer:
        # an AVX2-only machine, as far as the libraries go: OpenBLAS (ours) and PyTorch's
        # kernels (ATen, oneDNN, MKL) restricted to AVX2 too; read when they load, below
        for var, value in AVX2_ONLY_ENV.items():
            os.environ.setdefault(var, value)
    if args.compile_child:
        compile_child()
        return
    import pytensor
    import pytensor.tensor as T

    pytensor.config.floatX = "float32"
    from keras_legacy import backend as K
    from keras_legacy.backend.blas import blas_report, get_num_threads, set_num_threads
    from keras_legacy.backend.rnn import isa

    try:
        import torch
    except ImportError:
        torch = None
    peak = sgemm_peak(K, T)
    rep = blas_report()
    print(f"PyTensor {pytensor.__version__}, mode {K.DEFAULT_MODE_NAME}, BLAS {rep['source']} "
          f"({rep['library']}), loaded={rep['loaded']}, OpenBLAS kernel {rep['corename']} "
          f"(OPENBLAS_CORETYPE={rep['coretype_env']}); torch {torch.__version__ if torch else 'absent'}")
    print(f"measured sgemm peak (1024^3, {rep['threads']} thread(s)): {peak:.1f} GFLOP/s")
    f64 = f"{isa.selected()} for the forward Ops, else blas" if isa.selected() in ("avx512", "avx2") else "blas"
    print(f"float32 kernel: {isa.selected()} (this CPU runs {', '.join(isa.available())}); float64: {f64}")
    restricted = {v: os.environ[v] for v in AVX2_ONLY_ENV if v in os.environ}
    print(f"libraries restricted: {restricted or 'no (each uses the best this CPU runs)'}"
          + (f"; torch CPU capability {torch.backends.cpu.get_cpu_capability()}" if torch else ""))
    shapes = SHAPES[1:] if args.quick else SHAPES
    try:
        import jax  # noqa: F401
        other_modes = ["plain", "JAX"]
    except ImportError:
        other_modes = ["plain"]
    if args.torch_only:
        other_modes = []
    hdr = ("| layer | dtype | kernel | batch,steps,in,hidden | pass | threads | ours ms | torch ms | ratio "
           "| GFLOP/s | of peak | compile s | plain ms | plain/ours | plain/torch | JAX ms | JAX/torch |")
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for threads in args.threads:
        set_num_threads(threads)
        if torch:
            torch.set_num_threads(threads)
        print(f"threads {threads}: ours {get_num_threads()} (OpenBLAS's count, which the kernels' thread "
              f"team follows), torch {torch.get_num_threads() if torch else '-'}", flush=True)
        for dtype in args.dtypes:
            for kind in ("LSTM", "GRU"):
                for shape in shapes:
                    for train in (False, True):
                        kernel = isa.selected() if dtype == "float32" else "blas"
                        if dtype == "float64" and isa.selected() in ("avx512", "avx2"):
                            kernel = f"{isa.selected()} fwd, blas grad" if train else isa.selected()
                        ours, cs, graph = build_ours(kind, *shape, train, dtype)
                        others = [build_other(mode, graph, ours()) for mode in other_modes]
                        rounds = 3 if args.quick else 7
                        # rounds alternate between all sides (see _min_times)
                        fns = [ours] + others + ([build_torch(kind, *shape, train, dtype)] if torch else [])
                        times = _min_times(fns, rounds=rounds)
                        ms = times[0]
                        pms = times[1] if other_modes else float("nan")
                        jms = times[2] if "JAX" in other_modes else float("nan")
                        tms = times[-1] if torch else float("nan")
                        gf = gemm_flops(kind, *shape, train) / (ms * 1e-3) / 1e9
                        print(f"| {kind} | {dtype} | {kernel} | {','.join(map(str, shape))} | "
                              f"{'train' if train else 'forward'} | {threads} | {ms:.2f} | {tms:.2f} | "
                              f"{ms / tms:.2f} | {gf:.1f} | {gf / peak:.0%} | {cs:.1f} | {pms:.2f} | "
                              f"{pms / ms:.2f} | {pms / tms:.2f} | {jms:.2f} | {jms / tms:.2f} |", flush=True)
        set_num_threads(1)
    if not args.no_compile:
        res = compile_times()
        print(f"model Embedding(mask_zero)->LSTM->Dense, RMSprop: compile cold {res.get('cold')}, "
              f"warm {res.get('warm')}")
        if torch:
            torch.set_num_threads(1)
            print(f"PyTorch same model: {torch_model_rate():.0f} samples/s (1 thread)")


if __name__ == "__main__":
    main()
