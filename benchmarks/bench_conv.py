"""Convolution speed: keras_legacy vs PyTorch ``nn.Conv2d``/``max_pool2d``, CPU, float32, 1 thread.

Run: ``PYTHONPATH=. python benchmarks/bench_conv.py [--quick]``.

Rows:

* ``conv step``: ``Convolution2D(32, 3, 3, 3) -> relu -> MaxPooling2D -> Convolution2D(64, 32, 3, 3)``
  (0.1.3 constructors), loss ``sum(out * R)``, gradients and an SGD update of
  the four params, batch 64 of 32x32 images; and its forward pass alone.
* ``mnist cnn``: the MNIST-CNN example's model (two 3x3 convolutions of 32
  filters, max pool, Dropout, Dense 128, Dropout, Dense 10 softmax) trained
  with ``train_on_batch`` at batch 128 on 28x28 images: samples per second.

Before timing, the conv step asserts the compiled graph (the C linker, the
convolution and pooling Ops of ``keras_legacy.backend.conv`` run as C code, none of
the old im2col graph's ``IncSubtensor``/``Join``) and the forward output and the first
kernel's gradient against PyTorch (or a NumPy im2col reference when PyTorch is
absent; the ratios are then ``nan``).  Times are the best mean of a few calls;
the rounds of the two sides alternate so a drift of the machine hits both.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
if "floatX" not in os.environ.get("PYTENSOR_FLAGS", ""):
    os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (os.environ.get("PYTENSOR_FLAGS", ""), "floatX=float32") if f)

import numpy as np
import pytensor
import pytensor.tensor as T
from timing import min_times as best_times  # noqa: E402  (benchmarks/timing.py, beside this script)

from keras_legacy import backend as K
from keras_legacy.backend import pytensor_compat
from keras_legacy.layers import convolutional as conv
from keras_legacy.layers import core
from keras_legacy.models import Sequential

try:
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
except ImportError:  # the ratios are reported as nan
    torch = None

#: The Ops of keras_legacy.backend.conv the training step must hold, and the Ops of the old im2col graph
#: (stacked shifted views, col2im by subtensor increments) it must not.
CONV_OPS = {"Conv2D", "Conv2DGradInput", "Conv2DGradKernel", "Conv2DGradBias", "MaxPool2D", "MaxPool2DGrad"}
IM2COL_OPS = {"IncSubtensor", "AdvancedIncSubtensor", "Join"}


def numpy_conv_valid(X, W):
    """Theano's valid conv2d (kernel flipped) by im2col + einsum: the reference without PyTorch."""
    kh, kw = W.shape[2:]
    Ho, Wo = X.shape[2] - kh + 1, X.shape[3] - kw + 1
    patches = np.stack([X[:, :, a:a + Ho, b:b + Wo] for a in range(kh) for b in range(kw)], axis=2)
    flipped = W[:, :, ::-1, ::-1].reshape(W.shape[0], W.shape[1], kh * kw)
    return np.einsum("nckij,fck->nfij", patches, flipped)


def numpy_forward(X, W1, b1, W2, b2):
    h = np.maximum(numpy_conv_valid(X, W1) + b1[None, :, None, None], 0)
    n, c, H, Wd = h.shape
    h = h[:, :, :H // 2 * 2, :Wd // 2 * 2].reshape(n, c, H // 2, 2, Wd // 2, 2).max(axis=(3, 5))
    return numpy_conv_valid(h, W2) + b2[None, :, None, None]


def build_ours(batch, lr=0.01):
    first = conv.Convolution2D(32, 3, 3, 3, activation="relu")
    pool = conv.MaxPooling2D(poolsize=(2, 2))
    second = conv.Convolution2D(64, 32, 3, 3)
    pool.set_previous(first)
    second.set_previous(pool)
    X = first.input
    out = second.get_output(train=True)
    R = T.tensor4("R", dtype=out.dtype)
    loss = T.sum(out * R)
    params = first.params + second.params
    grads = K.grad(loss, params)
    updates = [(p, p - np.float32(lr) * g) for p, g in zip(params, grads)]
    train = K.function([X, R], [loss, grads[0]], updates=updates)
    forward = K.function([X], out)
    return first, second, train, forward


def check_graph(fn, what, want):
    """The compiled graph holds the Ops ``want`` (run as C thunks in the C modes), none of the old im2col's."""
    names = {type(node.op).__name__ for node in fn.maker.fgraph.apply_nodes}
    linker = type(fn.maker.linker).__name__
    assert "CVM" in linker or "VM" in linker or K.DEFAULT_MODE_NAME != "CVM", f"{what}: linker {linker}"
    assert want <= names, f"{what}: {sorted(want - names)} missing from the graph: {sorted(names)}"
    im2col = sorted(names & IM2COL_OPS)
    assert not im2col, f"{what}: im2col graph Ops {im2col} in the graph"
    vm = getattr(fn, "vm", None)
    if vm is not None and hasattr(vm, "thunks"):
        in_c = {type(node.op).__name__ for node, thunk in zip(vm.nodes, vm.thunks) if hasattr(thunk, "cthunk")}
        assert want <= in_c, f"{what}: {sorted(want - in_c)} not run as C code"
    return linker, sorted(want)


def torch_step(W1, b1, W2, b2, lr=0.01):
    """The same model in PyTorch (the kernels flipped: Theano convolves, PyTorch correlates)."""
    c1 = torch.nn.Conv2d(3, 32, 3)
    c2 = torch.nn.Conv2d(32, 64, 3)
    with torch.no_grad():
        c1.weight.copy_(torch.from_numpy(np.ascontiguousarray(W1[:, :, ::-1, ::-1])))
        c1.bias.copy_(torch.from_numpy(b1))
        c2.weight.copy_(torch.from_numpy(np.ascontiguousarray(W2[:, :, ::-1, ::-1])))
        c2.bias.copy_(torch.from_numpy(b2))
    params = list(c1.parameters()) + list(c2.parameters())

    def forward(x):
        return c2(F.max_pool2d(F.relu(c1(x)), 2))

    def step(x, r):
        for p in params:
            p.grad = None
        loss = (forward(x) * r).sum()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return loss

    def infer(x):
        with torch.no_grad():
            return forward(x)

    return c1, forward, step, infer


def conv_rows(batch, rounds):
    rng = np.random.RandomState(0)
    X = rng.randn(batch, 3, 32, 32).astype("float32")
    R = rng.randn(batch, 64, 13, 13).astype("float32")
    first, second, train, forward = build_ours(batch)
    linker, ops = check_graph(train, "training step", CONV_OPS)
    check_graph(forward, "forward", {"Conv2D", "MaxPool2D"})
    W1, b1 = [w.copy() for w in first.get_weights()]
    W2, b2 = [w.copy() for w in second.get_weights()]
    out = forward(X)
    if torch is not None:
        c1, t_forward, t_step, t_infer = torch_step(W1, b1, W2, b2)
        xt, rt = torch.from_numpy(X), torch.from_numpy(R)
        ref = t_infer(xt).numpy()
        loss = (t_forward(xt) * rt).sum()
        loss.backward()
        ref_gW1 = c1.weight.grad.numpy()[:, :, ::-1, ::-1]
        reference = "PyTorch"
    else:
        ref = numpy_forward(X.astype(np.float64), W1, b1, W2, b2)
        ref_gW1 = None
        reference = "NumPy im2col"
    err = float(np.max(np.abs(out - ref)) / np.max(np.abs(ref)))
    assert err < 1e-4, f"forward differs from {reference}: {err:.2e}"
    _, gW1 = train(X, R)
    first.set_weights([W1, b1])
    second.set_weights([W2, b2])
    if ref_gW1 is not None:
        gerr = float(np.max(np.abs(gW1 - ref_gW1)) / np.max(np.abs(ref_gW1)))
        assert gerr < 1e-3, f"gradient of W1 differs from PyTorch: {gerr:.2e}"
    print(f"graph: linker {linker}, C Ops {', '.join(ops)}; BLAS {pytensor_compat.BLAS_SOURCE}")
    print(f"checked against {reference}: forward rel err {err:.1e}")

    rows = []
    fns = [lambda: train(X, R)]
    if torch is not None:
        fns.append(lambda: t_step(xt, rt))
    times = best_times(fns, rounds=rounds)
    rows.append(("conv step (train)", times[0], times[1] if torch is not None else float("nan")))
    fns = [lambda: forward(X)]
    if torch is not None:
        fns.append(lambda: t_infer(xt))
    times = best_times(fns, rounds=rounds)
    rows.append(("conv forward", times[0], times[1] if torch is not None else float("nan")))
    return rows


def mnist_rate(batch, rounds):
    """Samples/s of the MNIST-CNN example model's train_on_batch (ours, and PyTorch's)."""
    rng = np.random.RandomState(1)
    X = rng.rand(batch, 1, 28, 28).astype("float32")
    y = np.eye(10, dtype="float32")[rng.randint(0, 10, batch)]
    model = Sequential()
    model.add(conv.Convolution2D(32, 1, 3, 3, activation="relu"))
    model.add(conv.Convolution2D(32, 32, 3, 3, activation="relu"))
    model.add(conv.MaxPooling2D(poolsize=(2, 2)))
    model.add(core.Dropout(0.25))
    model.add(core.Flatten())
    model.add(core.Dense(32 * 12 * 12, 128, activation="relu"))
    model.add(core.Dropout(0.5))
    model.add(core.Dense(128, 10, activation="softmax"))
    model.compile("sgd", "categorical_crossentropy")
    fns = [lambda: model.train_on_batch(X, y)]
    if torch is not None:
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 32, 3), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25), torch.nn.Flatten(),
            torch.nn.Linear(32 * 12 * 12, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
            torch.nn.Linear(128, 10))
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        xt, yt = torch.from_numpy(X), torch.from_numpy(y.argmax(1))

        def torch_train():
            opt.zero_grad()
            loss = F.cross_entropy(net(xt), yt)
            loss.backward()
            opt.step()

        fns.append(torch_train)
    times = best_times(fns, rounds=rounds, reps=2)
    ours = batch / times[0] * 1e3
    theirs = batch / times[1] * 1e3 if torch is not None else float("nan")
    return ours, theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds = 3 if args.quick else 7
    if pytensor.config.floatX != "float32":
        raise SystemExit("bench_conv: run with PYTENSOR_FLAGS=floatX=float32 (the default of this script).")
    print(f"pytensor {pytensor.__version__}, torch {torch.__version__ if torch else 'absent'}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, mode {K.DEFAULT_MODE_NAME}")
    print(f"{'row':24s} {'ours ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for name, ours, theirs in conv_rows(64, rounds):
        print(f"{name:24s} {ours:10.2f} {theirs:10.2f} {ours / theirs:7.2f}")
    ours, theirs = mnist_rate(128, max(2, rounds // 2))
    print(f"{'mnist cnn samples/s':24s} {ours:10.0f} {theirs:10.0f} {theirs / ours:7.2f}")


if __name__ == "__main__":
    main()
