"""Bounded reading of config text and bounded formatting of user values.

A Keras 0.x model config is a few kilobytes of JSON or YAML.  Text from a
file is untrusted, so before any Python object is built from it:

* its size is checked (``MAX_CONFIG_BYTES``);
* its nesting depth is checked (``MAX_CONFIG_DEPTH``): deep nesting would
  otherwise end in a ``RecursionError`` inside the parser or in the code
  walking the config;
* for YAML, the size of the value *after alias expansion* is counted from
  the parser's event stream (``MAX_CONFIG_NODES``): a few hundred bytes of
  nested anchors (``&a1 [*a0, *a0, ...]``) expand to billions of nodes, and
  an alias used inside its own anchor describes a value that contains
  itself.  Both are refused before the composer or constructor runs.

``check_structure`` applies the same depth/size/self-reference limits to a
config given as Python objects, and ``short_repr`` formats any value for
an error message in bounded time and length (a huge or self-referencing
value is cut, never expanded).

Every refusal is a ``ConfigLimitError`` (a ``ValueError``).
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import yaml

MAX_CONFIG_BYTES = 16 * 1024 * 1024
MAX_CONFIG_DEPTH = 100
MAX_CONFIG_NODES = 1_000_000


class ConfigLimitError(ValueError):
    """Config text or a config value beyond the size, depth or expansion limits (or referring to itself)."""


# --- short, bounded repr ----------------------------------------------------------------------------

def short_repr(value, limit=200):
    """``repr(value)`` cut to about ``limit`` characters, in time bounded by ``limit``.

    Containers are walked item by item and the walk stops once ``limit``
    characters are produced; a container met again inside itself prints as
    ``...`` (as ``repr`` does), strings are cut before they are quoted,
    arrays print as their shape and dtype when large.
    """
    out = []
    budget = [max(int(limit), 8)]
    _emit(value, out, budget, set(), 0)
    text = "".join(out)
    if budget[0] <= 0 or len(text) > limit:
        text = text[:max(int(limit), 8) - 3] + "..."
    return text


def _put(out, budget, text):
    out.append(text)
    budget[0] -= len(text)


def _emit(value, out, budget, active, depth):
    if budget[0] <= 0:
        return
    if isinstance(value, str):
        _put(out, budget, repr(value[:budget[0] + 1]))
        return
    if isinstance(value, bytes):
        _put(out, budget, repr(value[:budget[0] + 1]))
        return
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            _put(out, budget, repr(value)[:budget[0] + 1])
        else:
            _put(out, budget, f"array(shape={value.shape}, dtype={value.dtype})")
        return
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        if id(value) in active or depth > 20:
            _put(out, budget, "...")
            return
        active.add(id(value))
        try:
            if isinstance(value, dict):
                opening, closing = "{", "}"
                items = value.items()
            else:
                opening, closing = "{", "}"
                if isinstance(value, list):
                    opening, closing = "[", "]"
                elif isinstance(value, tuple):
                    opening, closing = "(", ")"
                items = value
            _put(out, budget, opening)
            for n, item in enumerate(items):
                if budget[0] <= 0:
                    return
                if n:
                    _put(out, budget, ", ")
                if isinstance(value, dict):
                    key, item = item
                    _emit(key, out, budget, active, depth + 1)
                    _put(out, budget, ": ")
                _emit(item, out, budget, active, depth + 1)
            _put(out, budget, closing)
        finally:
            active.discard(id(value))
        return
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * budget[0] + 64:
        _put(out, budget, f"<int of {value.bit_length()} bits>")
        return
    try:
        text = repr(value)
    except Exception:  # a user object whose repr fails still gets a message
        text = f"<{type(value).__name__} object>"
    _put(out, budget, text[:budget[0] + 1])


# --- bounded parsing ---------------------------------------------------------------------------------

def check_text_size(text, where):
    """Refuse config text longer than ``MAX_CONFIG_BYTES``."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"{where}: expected the config as a string, got {type(text).__name__}.")
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigLimitError(
            f"{where}: the config text has {len(text)} characters; Keras 0.x configs are a few kilobytes "
            f"and at most {MAX_CONFIG_BYTES} are read. Is this the model's to_json()/to_yaml() output?"
        )


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(text):
    """The largest nesting depth of ``[``/``{`` in JSON ``text`` (brackets inside strings not counted)."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    bare = _JSON_STRING.sub("", text)
    codes = np.frombuffer(bare.encode("utf-8", errors="replace"), dtype=np.uint8)
    steps = np.zeros(codes.shape, dtype=np.int64)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(steps).max()) if steps.size else 0


def load_json(text, where):
    """``json.loads(text)`` after the size and depth checks; a bad text raises ``ValueError``."""
    check_text_size(text, where)
    depth = json_depth(text)
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigLimitError(
            f"{where}: the JSON nests {depth} levels deep; a Keras 0.x config nests a few levels "
            f"(at most {MAX_CONFIG_DEPTH} are read)."
        )
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or a number too long to convert
        raise ValueError(f"{where}: the text is not valid JSON ({short_repr(str(exc), 300)[1:-1]}).") from None
    except RecursionError:  # deeper than the interpreter allows despite the check
        raise ConfigLimitError(f"{where}: the JSON nests too deeply to be read.") from None


def check_yaml_events(text, loader, where):
    """Walk the YAML event stream of ``text``: refuse excessive depth, expanded size or self-reference.

    Runs the scanner and parser only (no composer, no constructor), so no
    Python object is built; each alias counts the full size and depth of
    the node it names.
    """
    stack = []     # open collections: [anchor, expanded size, height]
    done = {}      # anchor -> (expanded size, height); None while its collection is still open

    def add(size, height):
        if not stack:
            return
        top = stack[-1]
        top[1] += size
        top[2] = max(top[2], height + 1)
        if top[1] > MAX_CONFIG_NODES:
            raise ConfigLimitError(
                f"{where}: the YAML expands to more than {MAX_CONFIG_NODES} values (aliases '*name' repeat "
                "the node of their anchor '&name'); a Keras 0.x config is far smaller. Refused before "
                "building it."
            )
        if len(stack) + height > MAX_CONFIG_DEPTH:
            raise ConfigLimitError(
                f"{where}: the YAML nests more than {MAX_CONFIG_DEPTH} levels deep (aliases included); "
                "a Keras 0.x config nests a few levels."
            )

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                done[event.anchor] = (1, 1)
            add(1, 1)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append([event.anchor, 1, 1])
            if event.anchor is not None:
                done[event.anchor] = None
            if len(stack) > MAX_CONFIG_DEPTH:
                raise ConfigLimitError(
                    f"{where}: the YAML nests more than {MAX_CONFIG_DEPTH} levels deep; a Keras 0.x config "
                    "nests a few levels."
                )
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, size, height = stack.pop()
            if anchor is not None:
                done[anchor] = (size, height)
            add(size, height)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in done and done[event.anchor] is None:
                raise ConfigLimitError(
                    f"{where}: the YAML alias *{short_repr(event.anchor, 40)[1:-1]} is used inside its own "
                    "anchor, so the value would contain itself; a Keras 0.x config never does."
                )
            if event.anchor in done:
                add(*done[event.anchor])
            # an undefined alias is left to the loader, which reports it


def load_yaml(text, loader, where):
    """``yaml.load(text, Loader=loader)`` after the checks above; every YAML problem is a ``ValueError``."""
    check_text_size(text, where)
    try:
        check_yaml_events(text, loader, where)
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise ValueError(
            f"{where}: the text is not a plain Keras 0.x YAML config; it is read with a safe loader that "
            f"knows only the !!python/tuple tag and never runs code from a config. ({short_repr(str(exc), 400)[1:-1]})"
        ) from None
    except RecursionError:
        raise ConfigLimitError(f"{where}: the YAML nests too deeply to be read.") from None


# --- configs given as Python objects ------------------------------------------------------------------

def check_structure(value, where):
    """Refuse a config value (dicts/lists/tuples) that contains itself, nests too deeply or is too large.

    The walk is iterative, counts shared sub-values each time they are
    reached (as building from them would) and stops at the first limit.
    """
    count = 0
    # (value, depth, exiting): ids on the current path detect a value inside itself
    path = set()
    todo = [(value, 1, False)]
    while todo:
        node, depth, exiting = todo.pop()
        if exiting:
            path.discard(id(node))
            continue
        count += 1
        if count > MAX_CONFIG_NODES:
            raise ConfigLimitError(f"{where}: the config holds more than {MAX_CONFIG_NODES} values; "
                                   "a Keras 0.x config is far smaller.")
        if not isinstance(node, (dict, list, tuple)):
            continue
        if id(node) in path:
            raise ConfigLimitError(f"{where}: the config contains itself (a {type(node).__name__} "
                                   "inside itself); a Keras 0.x config is a tree.")
        if depth > MAX_CONFIG_DEPTH:
            raise ConfigLimitError(f"{where}: the config nests more than {MAX_CONFIG_DEPTH} levels deep; "
                                   "a Keras 0.x config nests a few levels.")
        path.add(id(node))
        todo.append((node, depth, True))
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        todo.extend((child, depth + 1, False) for child in children)


# --- weight sizes ----------------------------------------------------------------------------------------

def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


#: The most bytes one weight array may take: this machine's memory (1 TiB where it cannot be read).
MAX_WEIGHT_BYTES = _physical_memory() or 2 ** 40


def check_weight_shape(shape, owner, name, itemsize=8):
    """``shape`` as a tuple of ints, checked before the weight is allocated.

    Every size must be a whole number >= 1 (``Dense(3, '4')``, ``Dense(3, 0)``
    are refused with the layer's name) and the array must fit in memory
    (``Dense(10**12, 10)`` is refused instead of attempting the allocation).
    Whole floats (``4.0``) are taken as the integers they name.
    """
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{owner}: the shape of weight {name!r} is {short_repr(shape, 60)}; expected a tuple of sizes.")
    sizes = []
    for size in shape:
        if isinstance(size, (float, np.floating)) and np.isfinite(size) and float(size).is_integer():
            size = int(size)
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"{owner}: weight {name!r} would have shape {short_repr(tuple(shape), 80)}; every size must be an "
                f"integer, got {type(size).__name__} {short_repr(size, 40)}. Check the layer's size arguments "
                "(e.g. Dense(input_dim, output_dim) takes two integers)."
            )
        if size < 1:
            raise ValueError(
                f"{owner}: weight {name!r} would have shape {short_repr(tuple(shape), 80)}; every size must be >= 1 "
                "(a layer with an empty input or output computes nothing). Check the layer's size arguments."
            )
        sizes.append(int(size))
    nbytes = int(np.prod(sizes, dtype=object)) * itemsize
    if nbytes > MAX_WEIGHT_BYTES:
        raise ValueError(
            f"{owner}: weight {name!r} would have shape {short_repr(tuple(sizes), 80)}: {short_repr(nbytes, 40)} "
            "bytes, more than this machine's "
            f"memory ({MAX_WEIGHT_BYTES} bytes). Check the layer's size arguments."
        )
    return tuple(sizes)
