"""2015-style Keras scripts run unchanged through ``python -m keras_legacy.run``.

``tests/scripts/examples/0.1.3`` and ``0.2.0`` hold small scripts written in the
manner of the example scripts and test suites that shipped with Keras 0.1.3 and
0.2.0 (input-first vs output-first constructors; Python 2 habits where 2015
users had them, run with ``--py2``).  The dataset loaders read the tiny golden
dataset files from a cache folder given by ``KERAS_LEGACY_DATASETS``, next to a
generated bAbI tarball and a short ``nietzsche.txt``.  Scripts of one style run
in one process (``run_group.py``; the two styles in parallel) to share the
start-up and compile cost; each script must finish without an exception (every
script fits, predicts and checks what it gets).
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

from conftest import ROOT

EXAMPLES = ROOT / "tests" / "scripts" / "examples"

#: style -> scripts (``:py2`` = run with ``--py2``)
GROUPS = {
    "0.1.3": [
        "addition_rnn.py:py2", "babi_rnn.py:py2", "imdb_lstm.py", "lstm_text_generation.py:py2",
        "mnist_irnn.py", "mnist_mlp.py", "reuters_mlp.py", "kaggle_otto_nn.py", "skipgram.py:py2",
        "test_models.py", "test_recurrent.py", "test_core.py", "test_regularizers_constraints.py",
        "test_optimizers_weighting.py", "test_callbacks.py", "test_containers.py",
    ],
    "0.2.0": [
        "addition_rnn.py:py2", "babi_rnn.py:py2", "imdb_lstm.py", "lstm_text_generation.py:py2",
        "mnist_irnn.py", "mnist_mlp.py", "reuters_mlp.py", "kaggle_otto_nn.py", "skipgram.py:py2",
        "test_models.py", "test_recurrent.py", "test_core.py", "test_shape_inference.py",
        "test_regularizers_constraints.py", "test_optimizers_weighting.py", "test_callbacks.py",
        "test_containers.py",
    ],
}

_BABI_TRAIN = [
    "1 Mary moved to the bathroom.", "2 John went to the hallway.",
    "3 Where is Mary? \tbathroom\t1", "4 Daniel went back to the hallway.",
    "5 Sandra moved to the garden.", "6 Where is Daniel? \thallway\t4",
    "1 Sandra travelled to the office.", "2 Mary went to the garden.",
    "3 Where is Sandra? \toffice\t1", "4 John moved to the office.",
    "5 Where is Mary? \tgarden\t2",
]
_BABI_TEST = [
    "1 John travelled to the hallway.", "2 Mary journeyed to the bathroom.",
    "3 Where is John? \thallway\t1", "4 Sandra went to the garden.",
    "5 Where is Mary? \tbathroom\t2",
]
_TEXT = ("Supposing that truth is a woman--what then? Is there not ground for suspecting "
         "that all philosophers, in so far as they have been dogmatists, have failed to "
         "understand women. ") * 3


def _write_babi(path):
    with tarfile.open(path, "w:gz") as tar:
        for split, lines in (("train", _BABI_TRAIN * 2), ("test", _BABI_TEST)):
            data = ("\n".join(lines) + "\n").encode("utf-8")
            info = tarfile.TarInfo(f"tasks_1-20_v1-2/en/qa1_single-supporting-fact_{split}.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def make_cache(folder, golden_root):
    """The dataset cache of the battery: the golden dataset files, a bAbI tarball, nietzsche.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in (golden_root / "datasets" / "files").iterdir():
        shutil.copy(source, folder / source.name)
    _write_babi(folder / "babi-tasks-v1-2.tar.gz")
    (folder / "nietzsche.txt").write_text(_TEXT)
    return folder


@pytest.fixture(scope="module")
def battery(tmp_path_factory, golden):
    cache = make_cache(tmp_path_factory.mktemp("datasets"), golden)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["KERAS_LEGACY_DATASETS"] = str(cache)
    procs = {}
    for version, scripts in GROUPS.items():  # the two styles run side by side (one per core)
        out = tmp_path_factory.mktemp("results") / "results.json"
        # the second group runs its scripts last-to-first: the two processes then compile different
        # graphs at a time and each finds most of the other's modules in the shared compile cache
        ordered = scripts if version == next(iter(GROUPS)) else scripts[::-1]
        args = [str(EXAMPLES / version / spec.split(":")[0]) + spec[len(spec.split(":")[0]):]
                for spec in ordered]
        proc = subprocess.Popen([sys.executable, str(EXAMPLES / "run_group.py"), version, str(out), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env)
        procs[version] = (proc, out)
    results, logs = {}, {}
    for version, (proc, out) in procs.items():
        try:
            output, _ = proc.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        logs[version] = output[-8000:]
        results[version] = json.loads(out.read_text()) if out.exists() else {}
    return results, logs


@pytest.mark.slow
@pytest.mark.parametrize("version,spec", [(v, s) for v, specs in GROUPS.items() for s in specs])
def test_script_runs_unchanged(battery, version, spec):
    results, logs = battery
    name = spec.split(":")[0]
    assert name in results[version], f"{version}/{name} did not run:\n{logs[version]}"
    outcome = results[version][name]
    assert outcome["ok"], f"{version}/{name} failed:\n{outcome.get('error')}"
