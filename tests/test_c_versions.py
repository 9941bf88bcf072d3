"""The fused Ops' compiled-module version follows their C source (no stale module after an edit)."""

import hashlib

from keras_legacy.backend import rnn_c_text, rnn_kernels, rnn_ops


def test_cache_version_carries_a_digest_of_the_c_sources():
    digest = hashlib.sha256()
    for path in (rnn_ops.__file__, rnn_c_text.__file__, rnn_kernels.__file__):
        with open(path, "rb") as f:
            digest.update(f.read())
    expected = int(digest.hexdigest()[:12], 16)
    for op in (rnn_ops.LSTMForward("tanh", "hard_sigmoid"), rnn_ops.GRUForward("sigmoid", "hard_sigmoid"),
               rnn_ops.LSTMGrad("tanh", "hard_sigmoid"), rnn_ops.GRUGrad("sigmoid", "hard_sigmoid")):
        assert op.c_code_cache_version() == (rnn_ops._C_VERSION, expected)
