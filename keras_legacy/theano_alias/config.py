"""``theano.config``: reads and writes go to ``pytensor.config``.

Theano's ``device`` flag (gone from PyTensor) reads as ``'cpu'``; setting it
to anything else raises a ValueError, since the GPU backend it selected no
longer exists.
"""

from __future__ import annotations

import pytensor

_REMOVED = {"device": "cpu", "force_device": False, "init_gpu_device": ""}


class _TheanoConfig:
    def __getattr__(self, name):
        if name in _REMOVED:
            return _REMOVED[name]
        return getattr(pytensor.config, name)

    def __setattr__(self, name, value):
        if name in _REMOVED:
            if value != _REMOVED[name]:
                raise ValueError(
                    f"theano.config.{name} = {value!r}: Theano's GPU backend does not exist in "
                    f"PyTensor, so only {_REMOVED[name]!r} is possible. For a GPU, compile with "
                    "mode='JAX' (see shared/spec/pytensor-notes.md, section 4)."
                )
            return
        setattr(pytensor.config, name, value)

    def __dir__(self):
        return sorted(set(dir(pytensor.config)) | set(_REMOVED))


config = _TheanoConfig()
