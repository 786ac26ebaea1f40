"""Small formatting helpers for sentences on the pages."""

from __future__ import annotations


def fmt_shape(shape) -> str:
    """(8, 8, 256) -> '8×8×256'."""
    return "×".join(str(int(s)) for s in shape)


def fmt_int(n: int) -> str:
    """1228800 -> '1,228,800'."""
    return f"{int(n):,}"


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~$"})


def plain(text: str) -> str:
    """``text`` for st.error/st.markdown with nothing read as markup or a link.

    Messages can quote what a student typed (or what a shared link carried)."""
    return str(text).translate(_MARKDOWN).replace("://", ":\u200b//").replace("www.", "www\u200b.")
