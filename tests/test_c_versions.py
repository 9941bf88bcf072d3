"""The fused Ops' compiled-module version follows their C source (no stale module after an edit)."""

import hashlib
from pathlib import Path

from keras_legacy.backend import rnn_c_text, rnn_gru_kernel, rnn_kernels, rnn_ops, rnn_vec_c


def test_cache_version_carries_a_digest_of_the_c_sources():
    digest = hashlib.sha256()
    for mod in (rnn_ops, rnn_c_text, rnn_kernels, rnn_gru_kernel, rnn_vec_c):
        with open(mod.__file__, "rb") as f:
            digest.update(f.read())
    expected = int(digest.hexdigest()[:12], 16)
    for op in (rnn_ops.LSTMForward("tanh", "hard_sigmoid"), rnn_ops.GRUForward("sigmoid", "hard_sigmoid"),
               rnn_ops.LSTMGrad("tanh", "hard_sigmoid"), rnn_ops.GRUGrad("sigmoid", "hard_sigmoid")):
        assert op.c_code_cache_version() == (rnn_ops._C_VERSION, expected)


def test_every_rnn_c_module_is_in_the_digest():
    # a new module holding C text for the fused Ops (backend/rnn_*.py) must be digested too
    backend = Path(rnn_ops.__file__).parent
    digested = {Path(p).resolve() for p in rnn_ops._c_source_files()}
    on_disk = {p.resolve() for p in backend.glob("rnn_*.py")}
    assert on_disk == digested, sorted(p.name for p in on_disk ^ digested)
