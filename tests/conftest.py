"""Test configuration: one BLAS thread, the PyTensor compile cache inside the checkout."""

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

GOLDEN = ROOT.parent / "shared" / "golden"


def pytest_configure(config):
    if not GOLDEN.is_dir():
        raise pytest.UsageError(f"The golden corpus is missing: expected it at {GOLDEN}")


@pytest.fixture(scope="session")
def golden():
    return GOLDEN


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(1234)
