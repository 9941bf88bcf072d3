"""The C text of the convolution and pooling Ops, read from the files of ``c/`` (``conv.c``:
im2col, col2im, the three convolution kernels and their call; ``pool.c``: max pooling and
its gradient) through ``backend/ctemplate.py``'s templates."""

from __future__ import annotations

from pathlib import Path

import pytensor

from keras_legacy.backend.ctemplate import CSource

#: The modules that put the files' fragments together (their glue is part of the C text).
ASSEMBLING_MODULES = ("csource.py", "ops.py")

_SOURCE = CSource(Path(__file__).resolve().parent / "c", ASSEMBLING_MODULES)
render = _SOURCE.render
digest = _SOURCE.digest
source_files = _SOURCE.source_files


def has_blas():
    """Whether PyTensor's C backend links a BLAS (``blas__ldflags`` set)."""
    return bool(pytensor.config.blas__ldflags)
