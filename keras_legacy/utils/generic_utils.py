"""Registry lookups and the 0.x progress bar."""

from __future__ import annotations


def get_from_module(identifier, module_params, module_name, instantiate=False, kwargs=None):
    """Resolve ``identifier`` in an explicit registry dict (``name -> object``).

    A string must be one of the registry's names; anything else (a function, an
    instance) is returned as it is.  With ``instantiate`` a class found by name is
    called with ``kwargs``.
    """
    if isinstance(identifier, str):
        if identifier not in module_params:
            valid = ", ".join(sorted(module_params))
            raise ValueError(f"Invalid {module_name}: {identifier!r}. Expected one of: {valid}.")
        res = module_params[identifier]
        if instantiate:
            return res(**(kwargs or {}))
        return res
    return identifier


def make_tuple(*args):
    return args
