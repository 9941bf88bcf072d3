"""``tests/golden/`` is a byte-identical copy of the shared golden corpus, and git carries all of it.

The shared corpus lives at ``../shared/golden/`` beside the checkout on the machines where it was
made (``KL_SHARED_GOLDEN`` names another place, e.g. from a git worktree); a clone elsewhere has only
its own copy.  When the shared copy is there, every file that
differs, is missing from ours or is extra in ours is named, so a change of the corpus is noticed
and copied over (``rm -r tests/golden && cp -a ../shared/golden tests/golden``) instead of drifting apart.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import ROOT

SHARED = pathlib.Path(os.environ.get("KL_SHARED_GOLDEN") or ROOT.parent / "shared" / "golden")


def _files(root):
    """Relative POSIX paths of every regular file under ``root``."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_corpus_is_in_the_checkout(golden):
    assert golden == ROOT / "tests" / "golden"
    for name in ("README.md", "manifest.json", "activations.npz", "model_graph/weights.h5"):
        assert (golden / name).is_file(), f"{name} is missing from {golden}; copy the corpus back from the shared one"


def test_same_bytes_as_the_shared_corpus(golden):
    if not SHARED.is_dir():
        pytest.skip(f"no shared golden corpus at {SHARED} to compare with (expected in a clone elsewhere)")
    ours, theirs = _files(golden), _files(SHARED)
    missing = sorted(theirs - ours)
    extra = sorted(ours - theirs)
    differ = sorted(n for n in ours & theirs if (golden / n).read_bytes() != (SHARED / n).read_bytes())
    problems = (
        [f"differs: {n}" for n in differ]
        + [f"missing from tests/golden: {n}" for n in missing]
        + [f"extra in tests/golden: {n}" for n in extra]
    )
    assert not problems, (
        f"tests/golden is not a byte-identical copy of {SHARED} ({len(problems)} files):\n  "
        + "\n  ".join(problems)
        + f"\nCopy it again with: rm -r tests/golden && cp -a {SHARED} tests/golden"
    )


def test_git_tracks_every_corpus_file(golden):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    top = subprocess.run([git, "-C", str(ROOT), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if top.returncode != 0 or pathlib.Path(top.stdout.strip()).resolve() != ROOT:
        pytest.skip(f"{ROOT} is not the root of a git checkout")
    listed = subprocess.run(
        [git, "-C", str(ROOT), "ls-files", "-z", "--", "tests/golden"], capture_output=True, text=True, check=True
    )
    tracked = {p.removeprefix("tests/golden/") for p in listed.stdout.split("\0") if p}
    untracked = sorted(_files(golden) - tracked)
    assert not untracked, (
        f"{len(untracked)} files of tests/golden are not tracked by git, so a clone would lack them "
        f"(check .gitignore, then git add tests/golden):\n  " + "\n  ".join(untracked)
    )
