"""Data-parallel training on JAX: ``compile(..., theano_mode="JAX", data_parallel=True)``.

Run in a subprocess whose JAX sees two CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=2``, which must be set before jax
starts): the golden Graph (Dense) and GRU seq2seq models of Keras 0.1.3 train 2 epochs
from ``init.npz`` with the batches split over the two devices and on one device; the
weights agree to 1e-10 (float64) and with the original's to 1e-8.  The batch inputs of
the sharded function are split in two, and its compiled XLA program sums the shards'
gradients (an all-reduce).  Batches the device count does not divide run unsplit.  Two
processes joined by ``jax.distributed.initialize`` train the golden Graph too.
Skipped without jax (the optional extra).
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from keras_legacy.backend.pytensor_compat import HAS_JAX
from keras_legacy.layers.core import Dense
from keras_legacy.models import Sequential

needs_jax = pytest.mark.skipif(not HAS_JAX, reason="jax is not installed (optional extra `jax`): JAX mode not tested")

SCRIPT = r"""
import json, pathlib, sys
import numpy as np
import jax
from keras_legacy import optimizers
from keras_legacy.models import Graph, model_from_config

golden, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
report = {"devices": [str(d) for d in jax.devices()]}
arrays = {}
for name in ("model_graph", "model_seq2seq_like"):
    d = golden / name
    config = json.loads((d / "config.json").read_text())
    init = np.load(d / "init.npz")
    if name == "model_graph":
        data = {"in1": np.load(d / "X_in1.npy"), "in2": np.load(d / "X_in2.npy"), "output": np.load(d / "y.npy")}
    else:
        X, y = np.load(d / "X.npy"), np.load(d / "y.npy")
    for dp in (False, True):
        model = model_from_config({k: v for k, v in config.items()
                                   if k not in ("optimizer", "loss", "class_mode", "theano_mode")})
        opt = dict(config["optimizer"])
        kwargs = {} if isinstance(model, Graph) else {"class_mode": config["class_mode"]}
        model.compile(optimizers.get(opt.pop("name"), opt), config["loss"], theano_mode="JAX",
                      data_parallel=dp, **kwargs)
        if isinstance(model, Graph):
            model.set_weights([init[f"param_{n}"] for n in range(len(init.files))])
            model.fit(data, batch_size=4, nb_epoch=2, shuffle=False, verbose=0)
        else:
            model.set_weights([init[f"layer_{k}_param_{n}"] for k, layer in enumerate(model.layers)
                               for n in range(len(layer.get_weights()))])
            model.fit(X, y, batch_size=4, nb_epoch=2, shuffle=False, verbose=0)
            # 3 samples: 2 devices cannot split them, the batch runs unsplit (same numbers)
            arrays[f"{name}_{dp}_odd"] = model.predict(X[:3])
        for k, w in enumerate(model.get_weights()):
            arrays[f"{name}_{dp}_{k}"] = w
        train = model._function("train")
        linkers = {str(key[0][0][0]): type(f.maker.linker).__name__ for key, f in train.functions.items()}
        report[f"{name}_{dp}"] = {"linkers": linkers, "n_weights": len(model.get_weights())}
        if dp:
            linker = train.functions[max(train.functions)].maker.linker
            report[f"{name}_{dp}"]["shards"] = [[list(s.data.shape) for s in a.addressable_shards]
                                                for a in linker.last_inputs]
            hlo = linker.jitted.lower(*linker.last_inputs).compile().as_text()
            report[f"{name}_{dp}"]["all_reduce"] = "all-reduce" in hlo
np.savez(out / "weights.npz", **arrays)
(out / "report.json").write_text(json.dumps(report))
"""


@pytest.fixture(scope="module")
def two_device_run(golden, tmp_path_factory):
    out = tmp_path_factory.mktemp("data_parallel")
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join(p for p in [str(golden.parents[1]), os.environ.get("PYTHONPATH")] if p))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(golden), str(out)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads((out / "report.json").read_text()), dict(np.load(out / "weights.npz"))


@needs_jax
def test_two_devices_split_the_batches_and_sum_the_gradients(two_device_run):
    report, _ = two_device_run
    assert len(report["devices"]) == 2, report["devices"]
    for name in ("model_graph", "model_seq2seq_like"):
        one, two = report[f"{name}_False"], report[f"{name}_True"]
        assert set(one["linkers"].values()) == {"JAXLinker"}
        # batches of 4 and the last of 2: both even, both split over the two devices
        assert two["linkers"] == {"4": "ShardedJAXLinker", "2": "ShardedJAXLinker"}
        # the inputs (X..., y..., sample weights: 3 at least) in halves of 2 samples; the
        # shared variables (weights, accumulators; the last inputs) whole on each device
        assert all(len(s) == 2 and s[0][0] == s[1][0] == 2 for s in two["shards"][:3]), two["shards"]
        assert len(two["shards"][-1]) == 2 and two["shards"][-1][0] == two["shards"][-1][1], two["shards"]
        assert two["all_reduce"]


@needs_jax
@pytest.mark.parametrize("name", ["model_graph", "model_seq2seq_like"])
def test_two_devices_train_the_single_device_and_golden_weights(golden, two_device_run, name):
    report, arrays = two_device_run
    final = np.load(golden / name / "final.npz")
    if name == "model_graph":
        want = [final[f"param_{n}"] for n in range(len(final.files))]
    else:
        want = [final[key] for key in sorted(final.files, key=lambda k: tuple(int(p) for p in k.split("_")[1::2]))]
    n = report[f"{name}_True"]["n_weights"]
    assert n == len(want)
    for k in range(n):
        np.testing.assert_allclose(arrays[f"{name}_True_{k}"], arrays[f"{name}_False_{k}"], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(arrays[f"{name}_True_{k}"], want[k], rtol=1e-8, atol=1e-10)
    if name == "model_seq2seq_like":
        np.testing.assert_allclose(arrays[f"{name}_True_odd"], arrays[f"{name}_False_odd"], rtol=1e-10, atol=1e-13)


def test_data_parallel_needs_the_jax_mode():
    model = Sequential()
    model.add(Dense(3, 2))
    for mode in (None, "FAST_COMPILE"):
        with pytest.raises(ValueError, match=r"data_parallel=True needs theano_mode='JAX'"):
            model.compile("sgd", "mse", theano_mode=mode, data_parallel=True)


@needs_jax
def test_data_parallel_refuses_more_devices_than_jax_sees():
    import jax

    model = Sequential()
    model.add(Dense(3, 2))
    n = len(jax.devices())
    with pytest.raises(ValueError, match=rf"data_parallel={n + 1}: jax sees {n} device"):
        model.compile("sgd", "mse", theano_mode="JAX", data_parallel=n + 1)
    with pytest.raises(TypeError, match="data_parallel must be False, True"):
        model.compile("sgd", "mse", theano_mode="JAX", data_parallel="all")


TWO_PROCESSES = r"""
import json, pathlib, sys
import jax
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(coordinator_address=sys.argv[3], num_processes=2, process_id=int(sys.argv[2]))
import numpy as np
from keras_legacy import optimizers
from keras_legacy.models import model_from_config

d = pathlib.Path(sys.argv[1]) / "model_graph"
config = json.loads((d / "config.json").read_text())
data = {"in1": np.load(d / "X_in1.npy"), "in2": np.load(d / "X_in2.npy"), "output": np.load(d / "y.npy")}
init = np.load(d / "init.npz")
model = model_from_config({k: v for k, v in config.items() if k not in ("optimizer", "loss", "theano_mode")})
opt = dict(config["optimizer"])
model.compile(optimizers.get(opt.pop("name"), opt), config["loss"], theano_mode="JAX", data_parallel=True)
model.set_weights([init[f"param_{n}"] for n in range(len(init.files))])
model.fit(data, batch_size=4, nb_epoch=2, shuffle=False, verbose=0)
linker = next(iter(model._function("train").functions.values())).maker.linker
print(json.dumps({"devices": len(jax.devices()), "local": len(jax.local_devices()),
                  "linker": type(linker).__name__, "weights": [w.tolist() for w in model.get_weights()]}))
"""


@needs_jax
def test_two_processes_jax_distributed(golden):
    """Two processes of one CPU device each, joined by ``jax.distributed.initialize`` (gloo
    collectives): each batch is split over both processes' devices, and both end with the
    golden weights."""
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS="",
               PYTHONPATH=os.pathsep.join(p for p in [str(golden.parents[1]), os.environ.get("PYTHONPATH")] if p))
    procs = [subprocess.Popen([sys.executable, "-c", TWO_PROCESSES, str(golden), str(k), f"localhost:{port}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-3000:] for _, err in outs]
    final = np.load(golden / "model_graph" / "final.npz")
    for out, _ in outs:
        report = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
        assert (report["devices"], report["local"], report["linker"]) == (2, 1, "ShardedJAXLinker")
        for n, w in enumerate(report["weights"]):
            np.testing.assert_allclose(np.array(w), final[f"param_{n}"], rtol=1e-8, atol=1e-10)
