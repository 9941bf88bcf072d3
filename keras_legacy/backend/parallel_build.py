"""Build the missing C modules of a new compiled function in parallel.

PyTensor makes a function's thunks one node at a time and compiles each C module that is
not in its on-disk cache right then, one ``g++`` after another (under its compile lock). A
cold ``model.compile()`` thus waits for ~60 compiler runs in a row while the other cores
idle. :class:`ParallelCVMLinker` (the linker of keras_legacy's default mode) first walks the
graph, asks each node with C code for the module key PyTensor will ask for, runs the ``g++``
of the missing ones concurrently (one per core) into private temporary folders, then hands
each built library to PyTensor's module cache through ``ModuleCache.module_from_key`` (which
takes the lock, and keeps a module that another process built meanwhile). The usual pass
that follows finds every module in the cache. The generated code, the compiler command and
the cache entries are PyTensor's own; only the order of the compiler runs changes.

This is an optimisation only: anything unexpected in the pre-pass (a node whose key cannot
be computed, a compiler error, an older or newer PyTensor whose internals differ) leaves
that module to the usual pass, which then compiles it, or reports its error, as before.

Version-sensitive (private PyTensor API: ``CLinker``, ``ModuleCache``, ``compile_str``);
checked on PyTensor 3.0.7 and 3.3.8.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

from pytensor.graph.fg import FunctionGraph
from pytensor.link.c.op import COp
from pytensor.link.vm import VMLinker

_logger = logging.getLogger(__name__)

#: Environment variable: the number of compiler processes to run at once (default: the
#: cores this process may use). ``1`` turns the pre-pass off.
JOBS_ENV = "KERAS_LEGACY_COMPILE_JOBS"


def compile_jobs() -> int:
    """How many ``g++`` to run at once: ``$KERAS_LEGACY_COMPILE_JOBS`` or the usable cores."""
    value = os.environ.get(JOBS_ENV, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(
                f"{JOBS_ENV} must be a whole number of compiler processes (1 turns parallel "
                f"builds off), got {value!r}."
            ) from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class _Job:
    """One missing module: its key, source and compiler arguments; once built, its folder.

    Everything is read from the node's ``CLinker`` in the main thread; the worker thread
    only runs the compiler.
    """

    def __init__(self, key, linker, src):
        from pytensor.link.c.cmodule import get_lib_extension

        self.key, self.src, self.folder = key, src, None
        self.module_name = linker.get_dynamic_module().code_hash
        self.library = f"{self.module_name}.{get_lib_extension()}"
        self.compiler = linker.c_compiler()
        self.include_dirs = list(linker.header_dirs())
        self.lib_dirs = list(linker.lib_dirs())
        self.libs = list(linker.libraries())
        self.preargs = list(linker.compile_args())
        self.pch = None  # the precompiled header this module's build may use

    def header_group(self):
        """Modules with the same leading ``#include`` block and flags share one PCH."""
        return (_header_block(self.src), tuple(self.preargs), tuple(self.include_dirs))

    def build(self) -> None:
        """Run the compiler into a private folder (no import; runs in a worker thread)."""
        folder = tempfile.mkdtemp(prefix="keras_legacy_build_")
        # With the module's own leading includes precompiled (``-include`` of the same
        # header block: the same translation unit, the headers are not parsed again).
        # Should that fail for any reason, the plain command is run.
        attempts = ([["-include", self.pch]] if self.pch else []) + [[]]
        for n, extra in enumerate(attempts, 1):
            try:
                self.compiler.compile_str(
                    module_name=self.module_name,
                    src_code=self.src,
                    location=folder,
                    include_dirs=self.include_dirs,
                    lib_dirs=self.lib_dirs,
                    libs=self.libs,
                    preargs=self.preargs + extra,
                    py_module=False,
                )
                break
            except Exception:  # the usual pass compiles it again and reports the error
                if n == len(attempts):
                    shutil.rmtree(folder, ignore_errors=True)
                    raise
        self.folder = folder

    # The two methods ``ModuleCache.module_from_key`` asks of its ``lnk`` argument:
    def get_src_code(self) -> str:
        return self.src

    def compile_cmodule(self, location):
        from pytensor.link.c.cmodule import dlimport

        name = self.library
        shutil.copy2(os.path.join(self.folder, "mod.cpp"), os.path.join(location, "mod.cpp"))
        shutil.copy2(os.path.join(self.folder, name), os.path.join(location, name))
        return dlimport(os.path.join(location, name))


def _header_block(src: str) -> tuple[str, ...]:
    """The ``#include`` lines a module source starts with (PyTensor puts its headers first)."""
    lines = []
    for line in src.splitlines():
        text = line.strip()
        if text.startswith("#include"):
            lines.append(text)
        elif text:
            break
    return tuple(lines)


#: Build a precompiled header for a group of at least this many missing modules (building
#: one costs about two module compiles; it is kept on disk for later cold compiles).
PCH_MIN_GROUP = 3


def _pch_path(group) -> str:
    """Where the precompiled header of ``group`` lives: ``<compiledir>/keras_legacy_pch/``."""
    from pytensor.configdefaults import config

    digest = hashlib.sha256(repr((config.cxx, group)).encode()).hexdigest()[:20]
    return os.path.join(str(config.compiledir), "keras_legacy_pch", digest, "headers.h")


def _build_pch(group) -> str | None:
    """Write ``headers.h`` (the group's include block) and compile it to ``headers.h.gch``.

    The same compiler, flags and include folders as the modules' own command (a header
    precompiled with other flags is ignored by g++, which then reads the text). Written to
    a temporary name and renamed, so concurrent processes never see half a file.
    """
    from pytensor.configdefaults import config
    from pytensor.link.c.cmodule import std_include_dirs

    header = _pch_path(group)
    if os.path.exists(header + ".gch"):
        return header
    headers, preargs, include_dirs = group
    os.makedirs(os.path.dirname(header), exist_ok=True)
    tmp_h = f"{header}.{os.getpid()}.{threading.get_ident()}"
    with open(tmp_h, "w") as f:
        f.write("\n".join(headers) + "\n")
    os.replace(tmp_h, header)
    tmp_gch = tmp_h + ".gch"
    cmd = [config.cxx, "-g", *preargs,
           *(f"-I{d}" for d in [*include_dirs, *std_include_dirs()] if d),
           "-fvisibility=hidden", "-x", "c++-header", header, "-o", tmp_gch]
    done = subprocess.run(cmd, capture_output=True)
    if done.returncode != 0:
        _logger.debug("parallel build: no PCH (%s)", done.stderr.decode(errors="replace")[-500:])
        with contextlib.suppress(OSError):
            os.remove(tmp_gch)
        return None
    os.replace(tmp_gch, header + ".gch")
    return header


def _uses_c_thunk(op) -> bool:
    """Whether the VM will ask this op for a C thunk (``COp.make_thunk`` unchanged)."""
    return isinstance(op, COp) and type(op).make_thunk is COp.make_thunk


def _missing_modules(order, cache) -> list[_Job]:
    """The C modules the nodes of ``order`` need and the cache lacks, one job per key."""
    from pytensor.link.c.basic import CLinker
    from pytensor.link.c.cmodule import get_module_hash

    jobs, seen, sources = [], set(), set()
    for node in order:
        if not _uses_c_thunk(node.op):
            continue
        try:
            node.op.prepare_node(node, storage_map=None, compute_map=None, impl="c")
            # The same CLinker as ``COp.make_c_thunk`` (the VM passes no_recycling=[]).
            linker = CLinker().accept(FunctionGraph(node.inputs, node.outputs), no_recycling=[])
            key = linker.cmodule_key()
            if key is None or not key[0] or key in seen:
                continue  # unversioned modules are compiled by the usual pass
            seen.add(key)
            if cache._get_from_key(key) is not None:
                continue
            src = linker.get_src_code()
            module_hash = get_module_hash(src, key)
            if module_hash in sources or module_hash in cache.module_hash_to_key_data:
                continue  # the usual pass maps this key onto the module with the same code
            sources.add(module_hash)
            jobs.append(_Job(key, linker, src))
        except Exception as exc:  # no C code, float16, ...: left to the usual pass
            _logger.debug("parallel build: skipping %s (%s)", node, exc)
    return jobs


def prebuild(order, jobs_wanted: int | None = None) -> int:
    """Compile the missing C modules of ``order`` concurrently; return how many were added."""
    from pytensor.configdefaults import config
    from pytensor.link.c.basic import get_module_cache

    if not config.cxx:
        return 0
    n_jobs = compile_jobs() if jobs_wanted is None else jobs_wanted
    if n_jobs < 2:
        return 0
    cache = get_module_cache()
    jobs = _missing_modules(order, cache)
    if len(jobs) < 2:
        return 0

    groups: dict = {}
    for job in jobs:
        groups.setdefault(job.header_group(), []).append(job)
    wanted = [(g, members) for g, members in groups.items()
              if g[0] and (len(members) >= PCH_MIN_GROUP or os.path.exists(_pch_path(g) + ".gch"))]

    def pch(item):
        group, members = item
        try:
            header = _build_pch(group)
        except Exception as exc:
            _logger.debug("parallel build: no PCH (%s)", exc)
            return
        for job in members:
            job.pch = header

    def build(job):
        try:
            job.build()
        except Exception as exc:
            _logger.debug("parallel build: %s left to the usual pass (%s)", job.key, exc)

    added = 0
    try:
        with ThreadPoolExecutor(max_workers=min(n_jobs, len(jobs))) as pool:
            list(pool.map(pch, wanted))
            list(pool.map(build, jobs))
        for job in jobs:
            if job.folder is None:
                continue
            try:
                cache.module_from_key(job.key, job)
                added += 1
            except Exception as exc:
                _logger.debug("parallel build: registering %s failed (%s)", job.key, exc)
    finally:
        for job in jobs:
            if job.folder is not None:
                shutil.rmtree(job.folder, ignore_errors=True)
    return added


class ParallelCVMLinker(VMLinker):
    """PyTensor's ``CVM`` linker, building the graph's missing C modules in parallel first."""

    def make_all(self, profiler=None, input_storage=None, output_storage=None, storage_map=None):
        if self.c_thunks:
            try:
                prebuild(self.schedule(self.fgraph))
            except Exception as exc:  # never worse than the sequential build
                _logger.debug("parallel build skipped: %s", exc)
        return super().make_all(profiler=profiler, input_storage=input_storage,
                                output_storage=output_storage, storage_map=storage_map)
