"""Registry lookups and the 0.x progress bar."""

from __future__ import annotations

import numbers
import sys
import time

from keras_legacy.utils.limits import short_repr


def get_from_module(identifier, module_params, module_name, instantiate=False, kwargs=None):
    """Resolve ``identifier`` in an explicit registry dict (``name -> object``).

    A string must be one of the registry's names; anything else (a function, an
    instance) is returned as it is.  With ``instantiate`` a class found by name is
    called with ``kwargs``.
    """
    if isinstance(identifier, str):
        if identifier not in module_params:
            valid = ", ".join(sorted(module_params))
            raise ValueError(f"Invalid {module_name}: {short_repr(identifier)}. Expected one of: {valid}.")
        res = module_params[identifier]
        if instantiate:
            return res(**(kwargs or {}))
        return res
    if module_name in _FUNCTION_KINDS and not callable(identifier):
        raise TypeError(
            f"Invalid {module_name}: expected a name (one of: {', '.join(sorted(module_params))}) or a "
            f"function, got {type(identifier).__name__} {short_repr(identifier, 60)}."
        )
    return identifier


#: Registries whose entries are functions: anything else given in their place is refused by name.
_FUNCTION_KINDS = ("activation", "initialization", "objective")


def make_tuple(*args):
    return args


def printv(v, prefix=""):
    """Print a (nested) config dict/list, one entry a line, indenting with ``...``.

    A dict's ``"name"`` is printed first as ``#name``; a list's items are
    numbered ``#0``, ``#1``, ...  The argument is not modified.
    """
    if isinstance(v, dict):
        if "name" in v:
            print(prefix + "#" + str(v["name"]))
        prefix += "..."
        for key, value in v.items():
            if key == "name":
                continue
            if isinstance(value, (dict, list)):
                print(prefix + str(key) + ":")
                printv(value, prefix)
            else:
                print(prefix + str(key) + ":" + str(value))
    elif isinstance(v, list):
        prefix += "..."
        for i, value in enumerate(v):
            print(prefix + "#" + str(i))
            printv(value, prefix)
    else:
        print(prefix + "..." + str(v))


class Progbar:
    """The 0.x console progress bar.

    ``verbose=1`` redraws one line in place (carriage return)::

        64/100 [==================>...........] - ETA: 1s - loss: 0.6931

    and, once ``current >= target``, ends it with the elapsed seconds and a
    newline (``100/100 [==============================] - 2s - loss: 0.6930``).
    ``verbose=2`` prints nothing until the target is reached, then one line
    ``2s - loss: 0.6930``.  Each value is averaged over the updates, weighted
    by how far ``current`` advanced with it (i.e. by batch size).
    """

    def __init__(self, target, width=30, verbose=1):
        # a float target ran in 0.x (Python 3 scripts get one from len(X) / n); zero or less did not
        if isinstance(target, bool) or not isinstance(target, numbers.Real) or not target > 0:
            raise ValueError(f"Progbar target must be a positive number (the number of samples), got {target!r}.")
        self.width = width
        self.target = target
        self.sum_values = {}
        self.unique_values = []
        self.start = time.time()
        self.total_width = 0
        self.seen_so_far = 0
        self.verbose = verbose

    def update(self, current, values=[]):  # noqa: B006 (the 0.x signature)
        """Move to ``current`` samples; ``values`` is a list of ``(name, value)``."""
        step = current - self.seen_so_far
        for name, value in values:
            if name not in self.sum_values:
                self.sum_values[name] = [value * step, step]
                self.unique_values.append(name)
            else:
                self.sum_values[name][0] += value * step
                self.sum_values[name][1] += step
        self.seen_so_far = current
        now = time.time()

        if self.verbose == 1:
            previous_width = self.total_width
            sys.stdout.write("\b" * previous_width)
            sys.stdout.write("\r")
            digits = len(str(int(self.target)))
            bar = f"{int(current):{digits}d}/{int(self.target):{digits}d} ["
            filled = int(self.width * float(current) / self.target)
            if filled > 0:
                bar += "=" * (filled - 1)
                bar += ">" if current < self.target else "="
            bar += "." * (self.width - filled)
            bar += "]"
            sys.stdout.write(bar)
            self.total_width = len(bar)

            if current < self.target:
                per_unit = (now - self.start) / current if current else 0.0
                info = " - ETA: %ds" % (per_unit * (self.target - current))
            else:
                info = " - %ds" % (now - self.start)
            info += self._values_text()
            self.total_width += len(info)
            if previous_width > self.total_width:
                info += " " * (previous_width - self.total_width)
            sys.stdout.write(info)
            sys.stdout.flush()
            if current >= self.target:
                sys.stdout.write("\n")

        elif self.verbose == 2 and current >= self.target:
            sys.stdout.write("%ds" % (now - self.start) + self._values_text() + "\n")
            sys.stdout.flush()

    def add(self, n, values=[]):  # noqa: B006 (the 0.x signature)
        self.update(self.seen_so_far + n, values)

    def _values_text(self):
        parts = []
        for name in self.unique_values:
            total, count = self.sum_values[name]
            parts.append(" - %s: %.4f" % (name, total / max(1, count)))
        return "".join(parts)
