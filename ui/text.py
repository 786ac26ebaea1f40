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


def compare_counts(count: int, reference: int, than: str, noun: str = "multiplications") -> str:
    """How ``count`` compares with ``reference`` (named by ``than``), never as "0.5× cheaper".

    The one place where the pages phrase a ratio of two counts:

    >>> compare_counts(53_952, 1_228_800, "the normal one")
    '22.8× fewer multiplications than the normal one'
    >>> compare_counts(2, 1, "the normal one")
    '2× more multiplications than the normal one'
    >>> compare_counts(9, 9, "the normal one")
    'the same number of multiplications as the normal one'
    >>> compare_counts(102, 100, "one pass")
    '2% more multiplications than one pass'

    A ratio that would print as 1.0× is given as a percentage instead.
    """
    count, reference = int(count), int(reference)
    if count == reference:
        return f"the same number of {noun} as {than}"
    word = "more" if count > reference else "fewer"
    low, high = sorted((count, reference))
    if low == 0:
        return f"{fmt_int(abs(count - reference))} {word} {noun} than {than}"
    factor = high / low
    if factor < 1.1:
        return f"{_short((high - low) / reference * 100)}% {word} {noun} than {than}"
    return f"{_short(factor)}× {word} {noun} than {than}"


def _short(x: float) -> str:
    """2.0 -> '2', 22.78 -> '22.8', 0.042 -> '0.042': one decimal, two digits below 1."""
    text = f"{x:.1f}" if x >= 1 else f"{x:.2g}"
    return text[:-2] if text.endswith(".0") else text
