"""Predict, then reveal: read a student's answer and compare it with the right one.

Answers are whole numbers ("1,228,800", "1 228 800", "1228800", "1.2288e6") or shapes
("8×8×256", "8x8x256", "(8, 8, 256)", "8 by 8 by 256"). Nothing is evaluated: the text is
tokenised and converted number by number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHAPE_SEP = re.compile(r"\s*(?:[x×*,]|\bby\b)\s*", re.IGNORECASE)


class AnswerFormatError(ValueError):
    """The answer text is not a number or a shape; the message says what to type."""


@dataclass(frozen=True)
class Verdict:
    correct: bool
    message: str


def _whole(token: str) -> int:
    t = token.strip().replace("\u2212", "-")
    t = re.sub(r"(?<=\d)[,\s_'](?=\d{3}\b)", "", t)  # thousands separators
    try:
        value = float(t)
    except ValueError:
        raise AnswerFormatError(f"'{token.strip()}' is not a number.") from None
    if not value.is_integer():
        raise AnswerFormatError(f"'{token.strip()}' is not a whole number.")
    return int(value)


def parse_number(text: str) -> int:
    """A whole number, with or without thousands separators."""
    if not text or not text.strip():
        raise AnswerFormatError("Type a number first.")
    if len(text) > 100:
        raise AnswerFormatError("That answer is too long: type just the number.")
    return _whole(text)


def parse_shape(text: str) -> tuple[int, ...]:
    """A shape such as 8×8×256, 8x8x256, (8, 8, 256) or 8 by 8 by 256."""
    if not text or not text.strip():
        raise AnswerFormatError("Type a shape first, like 8×8×3.")
    if len(text) > 100:
        raise AnswerFormatError("That answer is too long: type just the shape, like 8×8×3.")
    inner = text.strip().strip("()[]").strip()
    parts = [p for p in _SHAPE_SEP.split(inner) if p]
    if len(parts) < 2:
        raise AnswerFormatError("A shape has several sizes: type it like 8×8×3.")
    return tuple(_whole(p) for p in parts)


def check(text: str, expected: int | tuple[int, ...]) -> Verdict:
    """Compare an answer with ``expected`` (an int or a shape tuple) and say how it went."""
    try:
        if isinstance(expected, tuple):
            got = parse_shape(text)
            shown = "×".join(str(n) for n in expected)
        else:
            got = parse_number(text)
            shown = f"{expected:,}"
    except AnswerFormatError as err:
        return Verdict(False, str(err))
    if got == expected:
        return Verdict(True, f"Right: {shown}.")
    if isinstance(expected, tuple):
        if len(got) != len(expected):
            return Verdict(False, f"Not quite: the answer has {len(expected)} sizes.")
        wrong = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
        names = ["height", "width", "channels", "fourth size"]
        return Verdict(
            False, "Not quite: check the " + " and the ".join(names[i] for i in wrong) + "."
        )
    ratio = got / expected if expected else float("inf")
    hint = "too high" if got > expected else "too low"
    if 0.9 < ratio < 1.1:
        hint = "close, but not exact"
    return Verdict(False, f"Not quite: {hint}.")
