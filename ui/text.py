"""Small formatting helpers for sentences on the pages."""

from __future__ import annotations


def fmt_shape(shape) -> str:
    """(8, 8, 256) -> '8×8×256'."""
    return "×".join(str(int(s)) for s in shape)


def fmt_int(n: int) -> str:
    """1228800 -> '1,228,800'."""
    return f"{int(n):,}"
