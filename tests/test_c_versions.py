"""The fused Ops' compiled-module version follows their C source (no stale module after an edit)."""

import hashlib
from pathlib import Path

from keras_legacy.backend import rnn
from keras_legacy.backend.rnn import ops_common

PACKAGE = Path(rnn.__file__).resolve().parent


def test_cache_version_carries_a_digest_of_the_c_sources():
    digest = hashlib.sha256()
    for name in ops_common.C_SOURCE_MODULES:
        digest.update((PACKAGE / name).read_bytes())
    expected = int(digest.hexdigest()[:12], 16)
    for op in (rnn.LSTMForward("tanh", "hard_sigmoid"), rnn.LSTMForwardX("tanh", "hard_sigmoid"),
               rnn.GRUForward("sigmoid", "hard_sigmoid"), rnn.LSTMGrad("tanh", "hard_sigmoid"),
               rnn.GRUGrad("sigmoid", "hard_sigmoid")):
        assert op.c_code_cache_version() == (ops_common._C_VERSION, expected)


def test_every_rnn_c_module_is_in_the_digest():
    # every module of the package holding C text (the Ops ``ops_*.py``, the templates
    # ``c_*.py``) must be digested; the other modules (selection, Numba and JAX versions) hold none
    digested = {Path(p).resolve() for p in ops_common._c_source_files()}
    on_disk = {p.resolve() for pattern in ("ops_*.py", "c_*.py") for p in PACKAGE.glob(pattern)}
    assert on_disk == digested, sorted(p.name for p in on_disk ^ digested)
    others = set(PACKAGE.glob("*.py")) - on_disk
    assert {p.name for p in others} == {"__init__.py", "fused.py", "gates.py", "numba_impl.py", "jax_impl.py"}
    for path in others:
        assert "c_code" not in path.read_text() and "%(nm)s" not in path.read_text(), path.name
