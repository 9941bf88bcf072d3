"""Refuse a connection that would make a layer its own input (a cycle: endless recursion when built)."""

from __future__ import annotations

__all__ = ["check_no_cycle"]


def _feeds(source, layer):
    """Whether ``layer`` is ``source`` or one of the layers ``source``'s output is computed from."""
    todo, seen = [source], set()
    while todo:
        node = todo.pop()
        if node is layer:
            return True
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        attrs = getattr(node, "__dict__", {})
        todo.append(attrs.get("previous"))
        todo.extend(attrs.get("layers") or [])
    return False


def check_no_cycle(layer, previous, where):
    """Raise ``ValueError`` when connecting ``previous -> layer`` would feed ``layer`` from itself."""
    if _feeds(previous, layer):
        raise ValueError(
            f"{where}: this {type(layer).__name__} is already used upstream of the node it is added after, so it "
            "would be its own input. Create a new layer for this node (layers are not reused in 0.x graphs)."
        )
