"""Argument checks shared by the modules: one sentence that names the parameter."""

from __future__ import annotations


def whole(value, name: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or a ``ValueError`` naming ``name``."""
    try:
        ok = not isinstance(value, bool) and int(value) == value and value >= minimum
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}.")
    return int(value)
