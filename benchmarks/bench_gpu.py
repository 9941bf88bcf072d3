"""keras_legacy in ``theano_mode="JAX"`` against PyTorch on the same device: a GPU where there is one.

Run (see README.md): ``PYTHONPATH=. python benchmarks/bench_gpu.py [--quick] [--dtype float32]``.
It prints the devices first (``jax.devices()``, and ``torch.cuda.get_device_name`` or
``CPU``), then:

* the LSTM/GRU training step of ``bench_rnn.py`` (forward + gradients w.r.t. the weights
  and the input, loss ``sum(h * R)``), at its two shapes: ours is the layer's graph
  compiled by ``K.function(..., mode="JAX")`` (the fused Ops' ``lax.scan``
  implementations), PyTorch's ``nn.LSTM``/``nn.GRU`` (cuDNN on a GPU).  Each step of both
  copies the batch from the host (as a training loop feeding NumPy batches does) and
  waits for the gradients on the device (``jax.block_until_ready``,
  ``torch.cuda.synchronize``); neither copies them back.
* the addition model (``keras_legacy.examples.addition_rnn``: LSTM encoder,
  ``RepeatVector``, LSTM decoder, ``TimeDistributedDense``, softmax; Adam,
  categorical cross-entropy): samples/s of ``model.fit`` epochs (compiled with
  ``theano_mode="JAX"``) against the same model in a PyTorch loop that reads each batch's
  loss, as ``fit`` does.

Times are the minimum over rounds, the rounds of the two sides alternating.  Before
timing, the JAX step's results are checked against our C mode's (1e-4, float32) on the
CPU.  No timing is asserted.  Without jax the script says so and stops; without torch the
PyTorch columns read ``nan``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from timing import min_times as alternate  # noqa: E402  (benchmarks/timing.py, beside this script)

SHAPES = [(64, 100, 128, 256), (32, 200, 64, 64)]  # batch, steps, input, hidden (bench_rnn.py's)


def device_report(torch):
    import jax

    devices = jax.devices()
    jax_desc = f"jax {jax.__version__} on {jax.default_backend()}: {devices}"
    if devices[0].platform == "cpu":
        jax_desc += " (CPU: no GPU visible to jax)"
    if torch is None:
        torch_desc, device = "torch absent", None
    elif torch.cuda.is_available():
        device = torch.device("cuda")
        torch_desc = f"torch {torch.__version__} on {torch.cuda.get_device_name(0)} (cuda {torch.version.cuda})"
    else:  # one thread: the CPU run is a smoke test, and spinning thread pools on a shared host distort it
        device = torch.device("cpu")
        torch.set_num_threads(1)
        torch_desc = f"torch {torch.__version__} on CPU (1 thread; no CUDA device)"
    return jax_desc, torch_desc, device


# --- the layer training step ----------------------------------------------------------

def build_ours(kind, batch, steps, inp, hidden, dtype, check):
    """A function of no argument running one training step in JAX mode, waiting for it."""
    import jax
    import pytensor.tensor as T

    from keras_legacy import backend as K
    from keras_legacy.layers import recurrent

    rng = np.random.default_rng(0)
    layer = getattr(recurrent, kind)(inp, hidden, return_sequences=True)
    X = T.tensor3("X", dtype=dtype)
    layer.input = X
    out = layer.get_output()
    R = T.constant(rng.normal(size=(batch, steps, hidden)).astype(dtype))
    outs = K.grad((out * R).sum(), layer.params + [X])
    x = rng.normal(size=(batch, steps, inp)).astype(dtype)
    f = K.function([X], outs, mode="JAX")
    got = f(x)  # compiles for this shape
    ops = {type(node.op).__name__ for node in f.maker.fgraph.apply_nodes}
    if not any(o.startswith(f"{kind}Forward") for o in ops) or f"{kind}Grad" not in ops or "Scan" in ops:
        raise RuntimeError(f"{kind}: the JAX graph lacks the fused Ops: {sorted(ops)}")
    if check:
        for a, b in zip(got, K.function([X], outs)(x)):
            scale = max(1.0, float(np.abs(b).max()))
            if np.abs(a - b).max() > 1e-4 * scale:
                raise RuntimeError(f"{kind}: JAX and C modes differ by {np.abs(a - b).max()} (scale {scale})")
    compiled = next(iter(f.functions.values()))  # the PyTensor function: JAX arrays out
    return lambda: jax.block_until_ready(compiled(x))


def build_torch(torch, device, kind, batch, steps, inp, hidden, dtype):
    torch.manual_seed(0)
    tdt = getattr(torch, dtype)
    mod = (torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU)(inp, hidden, batch_first=True).to(device, tdt)
    x_host = torch.randn(batch, steps, inp, dtype=tdt)
    R = torch.randn(batch, steps, hidden, dtype=tdt, device=device)

    def step():
        mod.zero_grad(set_to_none=True)
        x = x_host.to(device).requires_grad_(True)
        out, _ = mod(x)
        (out * R).sum().backward()
        if device.type == "cuda":
            torch.cuda.synchronize()

    return step


# --- the addition model ---------------------------------------------------------------

def addition_data(n):
    from keras_legacy.examples.addition_rnn import make_data

    X, y, table = make_data(2, n, np.random.default_rng(1337))
    return X, y, len(table.chars)


def ours_addition(X, y, n_chars, hidden, batch_size, dtype):
    from keras_legacy.examples.addition_rnn import build_model

    np.random.seed(1337)
    model = build_model(n_chars, hidden, y.shape[1])
    model.compile(loss="categorical_crossentropy", optimizer="adam", theano_mode="JAX")
    X, y = X.astype(dtype), y.astype(dtype)
    t0 = time.perf_counter()
    model.fit(X[:batch_size], y[:batch_size], batch_size=batch_size, nb_epoch=1, verbose=0, shuffle=False)
    compile_s = time.perf_counter() - t0

    def epoch():
        model.fit(X, y, batch_size=batch_size, nb_epoch=1, verbose=0, shuffle=False)

    return epoch, compile_s


def torch_addition(torch, device, X, y, n_chars, hidden, batch_size, dtype):
    tdt = getattr(torch, dtype)

    class Addition(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.LSTM(n_chars, hidden, batch_first=True)
            self.decoder = torch.nn.LSTM(hidden, hidden, batch_first=True)
            self.dense = torch.nn.Linear(hidden, n_chars)

        def forward(self, x):
            h, _ = self.encoder(x)
            repeated = h[:, -1:].expand(-1, y.shape[1], -1)
            out, _ = self.decoder(repeated)
            return torch.log_softmax(self.dense(out), dim=-1)

    torch.manual_seed(0)
    net = Addition().to(device, tdt)
    opt = torch.optim.Adam(net.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8)
    Xt, yt = torch.tensor(X, dtype=tdt), torch.tensor(y, dtype=tdt)

    def epoch():
        for i in range(0, len(Xt), batch_size):
            xb, yb = Xt[i:i + batch_size].to(device), yt[i:i + batch_size].to(device)
            opt.zero_grad()
            loss = -(yb * net(xb)).sum(-1).mean()
            loss.backward()
            opt.step()
            loss.item()  # fit reads each batch's loss

    return epoch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the small shape only, fewer rounds, fewer samples")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--no-check", action="store_true", help="skip the JAX-vs-C check of the step (no C compiler)")
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        import jax  # noqa: F401
    except ImportError:
        print("jax is not installed: pip install 'keras_legacy[jax]' (CPU) or jax with its CUDA plugin (GPU)")
        return 1
    import pytensor

    pytensor.config.floatX = args.dtype
    try:
        import torch
    except ImportError:
        torch = None
    jax_desc, torch_desc, device = device_report(torch)
    print(f"PyTensor {pytensor.__version__}, floatX {args.dtype}")
    print(f"ours: {jax_desc}")
    print(f"peer: {torch_desc}")
    rounds = 3 if args.quick else 7
    print("| layer | batch,steps,in,hidden | training step | JAX ms | torch ms | JAX/torch | JAX compile s |")
    print("|---|---|---|---|---|---|---|")
    for kind in ("LSTM", "GRU"):
        for shape in SHAPES[1:] if args.quick else SHAPES:
            t0 = time.perf_counter()
            ours = build_ours(kind, *shape, args.dtype, check=not args.no_check)
            compile_s = time.perf_counter() - t0
            fns = [ours] + ([build_torch(torch, device, kind, *shape, args.dtype)] if torch else [])
            times = alternate(fns, rounds=rounds)
            tms = times[1] if torch else float("nan")
            print(f"| {kind} | {','.join(map(str, shape))} | forward+backward | {times[0]:.2f} | {tms:.2f} | "
                  f"{times[0] / tms:.2f} | {compile_s:.1f} |", flush=True)
    n, hidden, batch_size = (1024 if args.quick else 4096), 128, 128
    X, y, n_chars = addition_data(n)
    ours, compile_s = ours_addition(X, y, n_chars, hidden, batch_size, args.dtype)
    fns = [ours] + ([torch_addition(torch, device, X, y, n_chars, hidden, batch_size, args.dtype)] if torch else [])
    times = alternate(fns, rounds=2 if args.quick else 3, reps=1)
    rate = [len(X) / (t * 1e-3) for t in times] + ([] if torch else [float("nan")])
    print(f"addition model (2 digits, hidden {hidden}, batch {batch_size}, {len(X)} samples/epoch, Adam): "
          f"JAX mode {rate[0]:.0f} samples/s, PyTorch {rate[1]:.0f} samples/s "
          f"(JAX/torch time {rate[1] / rate[0]:.2f}); compile + first batch {compile_s:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
