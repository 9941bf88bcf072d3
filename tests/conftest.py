"""Test configuration: one BLAS thread, the PyTensor compile cache inside the checkout, and the
``golden`` fixture: the corpus of the original Keras outputs copied into ``tests/golden/``."""

import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
if "base_compiledir" not in os.environ.get("PYTENSOR_FLAGS", ""):
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    os.environ["PYTENSOR_FLAGS"] = ",".join(
        f for f in (flags, f"base_compiledir={ROOT / '.pytensor_cache'}") if f
    )

import numpy as np  # noqa: E402
import pytest  # noqa: E402

#: 2015-style scripts run through keras_legacy.run by the tests, not collected by pytest
#: (their test_*.py files import the `keras`/`theano` aliases that only keras_legacy.run installs).
collect_ignore_glob = ["scripts/*"]

GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="session")
def golden():
    """The root of the golden corpus (``tests/golden/``, see its README.md) as a ``pathlib.Path``."""
    return GOLDEN


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(1234)
