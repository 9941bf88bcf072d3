"""C text kept in ``.c``/``.h`` files of a package folder, filled per node as templates.

One mechanism for every C Op package of the backend (``backend/rnn``, ``backend/conv``):
a file (or a section of one) is a ``string.Template``; ``${name}`` slots are filled per
node (``${nm}``, the node's name, ends every C symbol so two nodes never clash in one
module).  A file may hold several fragments, each after a line ``/*@@ <section> @@*/``;
the text before the first such line is the file's own documentation and is not emitted.

``CSource.digest()`` (part of the Ops' ``c_code_cache_version``) hashes every file of
the folder and the Python modules assembling them: an edit of any of them recompiles.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from string import Template

_SECTION = re.compile(r"^/\*@@ (.+?) @@\*/\n", re.M)


class CSource:
    """The C files under ``c_dir`` and the modules (names in ``c_dir``'s parent folder)
    whose glue is part of the C text."""

    def __init__(self, c_dir, assembling_modules):
        self.c_dir = Path(c_dir)
        self.assembling_modules = tuple(assembling_modules)

    @functools.cache  # noqa: B019 -- a few instances, alive as long as the process
    def sections(self, name: str) -> dict[str | None, str]:
        """The fragments of ``c_dir/<name>``: ``{section: text}``, ``{None: text}`` without sections."""
        text = (self.c_dir / name).read_text()
        marks = list(_SECTION.finditer(text))
        if not marks:
            return {None: text}
        out = {}
        for k, mark in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
            out[mark.group(1)] = text[mark.end():end]
        return out

    def render(self, name: str, section: str | None = None, strip: bool = False, **params) -> str:
        """The fragment ``section`` of ``c_dir/<name>`` with its ``${...}`` slots filled from
        ``params`` (a slot without a value is a KeyError: no C goes out half-filled)."""
        try:
            text = self.sections(name)[section]
        except KeyError:
            raise KeyError(f"no C fragment {section!r} in {self.c_dir / name}") from None
        if strip:
            text = text.rstrip("\n")
        return Template(text).substitute(params)

    def source_files(self) -> tuple[Path, ...]:
        """Every file under ``c_dir``, sorted, then the assembling modules."""
        return (tuple(sorted(p for p in self.c_dir.rglob("*") if p.is_file()))
                + tuple(self.c_dir.parent / m for m in self.assembling_modules))

    def digest(self) -> int:
        """A digest of the names and contents of ``source_files()`` (0 if there is none)."""
        h = hashlib.sha256()
        files = self.source_files()
        if not files:
            return 0
        for path in files:
            h.update(path.relative_to(self.c_dir.parent).as_posix().encode() + b"\0")
            try:
                h.update(path.read_bytes())
            except OSError:  # no source (e.g. a bytecode-only install): the name alone
                pass
        return int(h.hexdigest()[:12], 16)


#: The C of the backend's own Ops (``backend/c/``: ``FastTanh``, ``RowsInc``) and the modules that fill it.
BACKEND_C = CSource(Path(__file__).resolve().parent / "c", ("fast_tanh.py", "rows_ops.py"))
