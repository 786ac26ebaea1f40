"""Read a kernel typed by a person, and write one back as text.

Accepted (all give 2-D float64 arrays)::

    1 2 1            1, 2, 1;  0 0 0;  -1 -2 -1     [[1, 2, 1],
    0 0 0                                            [0, 0, 0],
    -1 -2 -1         1/16 2/16 1/16   (fractions)    [-1, -2, -1]]

Numbers are separated by spaces and/or commas; rows by new lines or ``;``. A
bracketed list of rows is read the same way, ``[1, 2, 1]`` is one row, and
``[1 2; 3 4]`` (MATLAB style) works too. Numbers may be written ``-3/4``,
``1e-3``, ``+2`` or ``−1`` (unicode minus).

The text is never evaluated: a small tokenizer splits it into brackets,
separators and words, and each word must match the pattern of a number or a
fraction. Every refusal is a ``KernelParseError`` saying what is wrong and where.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

MAX_KERNEL_SIZE = 15
MAX_TEXT_LENGTH = 10_000

_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)
_FRACTION_RE = re.compile(rf"({_NUMBER})/({_NUMBER})")
_NOT_FINITE_RE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)


class KernelParseError(ValueError):
    """The text is not a kernel; the message says what is wrong and where."""


class _Token(NamedTuple):
    kind: str  # "[", "]", ",", ";" (also new lines) or "word"
    text: str
    line: int  # 1-based position in the text, for bracket messages
    char: int


# ---------------------------------------------------------------------------- tokenizer


def _tokenize(text: str) -> list[_Token]:
    """Split text into brackets, commas, row breaks (``;`` or new line) and words."""
    tokens: list[_Token] = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        for match in re.finditer(r"[\[\],;]|[^\s\[\],;]+", line):
            piece = match.group()
            kind = piece if piece in "[],;" else "word"
            tokens.append(_Token(kind, piece, line_no, match.start() + 1))
        tokens.append(_Token(";", "\n", line_no, len(line) + 1))
    return tokens


def _where(token: _Token) -> str:
    return f"line {token.line}, character {token.char}"


def _short(text: str) -> str:
    return repr(text if len(text) <= 20 else text[:19] + "…")


def _check_brackets(tokens: list[_Token]) -> int:
    """Return the deepest bracket nesting, or raise on unbalanced brackets."""
    depth = deepest = 0
    opened: list[_Token] = []
    for token in tokens:
        if token.kind == "[":
            opened.append(token)
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind == "]":
            if not opened:
                raise KernelParseError(
                    f"Unbalanced brackets: the ']' at {_where(token)} closes nothing."
                )
            opened.pop()
            depth -= 1
    if opened:
        raise KernelParseError(
            f"Unbalanced brackets: the '[' at {_where(opened[-1])} is never closed."
        )
    return deepest


# ------------------------------------------------------------------------------ rows


def _split_rows(tokens: list[_Token]) -> list[list[_Token]]:
    """Rows of words from a bracket-free token list; blank rows are dropped."""
    rows: list[list[_Token]] = []
    row: list[_Token] = []
    after_comma: _Token | None = None
    for token in tokens:
        if token.kind == "word":
            row.append(token)
            after_comma = None
        elif token.kind == ",":
            if after_comma is not None or not row:
                raise KernelParseError(f"A number is missing before the comma at {_where(token)}.")
            after_comma = token
        else:  # ";" or a new line ends the row; a trailing comma is fine
            if row:
                rows.append(row)
            row, after_comma = [], None
    if row:
        rows.append(row)
    return rows


def _bracket_rows(tokens: list[_Token], deepest: int) -> list[list[_Token]]:
    """Rows from ``[1, 2, 1]``, ``[1 2; 3 4]`` or ``[[1, 2], [3, 4]]``."""
    if deepest > 2:
        raise KernelParseError(
            f"Brackets are nested {deepest} deep; write a list of rows like [[1, 2], [3, 4]]."
        )
    start = next(i for i, t in enumerate(tokens) if t.text != "\n")
    if tokens[start].kind != "[":
        raise KernelParseError(
            f"Unexpected {_short(tokens[start].text)} at {_where(tokens[start])} "
            "before the opening '['."
        )
    depth = 0
    for end in range(start, len(tokens)):  # find the ']' that closes the first '['
        depth += {"[": 1, "]": -1}.get(tokens[end].kind, 0)
        if depth == 0:
            break
    for extra in tokens[end + 1 :]:  # separators may follow ("[[1, 2]];"), nothing else
        if extra.kind not in ",;":
            raise KernelParseError(
                f"Unexpected {_short(extra.text)} at {_where(extra)} after the closing ']'; "
                "put the whole kernel inside one pair of brackets."
            )
    inside = tokens[start + 1 : end]

    if deepest == 1:  # one row, or rows split by ";" / new lines
        return _split_rows(inside)

    rows: list[list[_Token]] = []
    current: list[_Token] | None = None  # the words and commas of the open row
    opening = tokens[start]
    for token in inside:
        if token.kind == "[":
            current, opening = [], token
        elif token.kind == "]":
            if not any(t.kind == "word" for t in current):
                raise KernelParseError(
                    f"Row {len(rows) + 1} is empty: the '[' at {_where(opening)} holds no numbers."
                )
            rows.append(_split_rows(current)[0])
            current = None
        elif current is None:
            if token.kind == "word":
                raise KernelParseError(
                    f"{_short(token.text)} at {_where(token)} is outside the inner brackets; "
                    "in a list of rows every number belongs inside a row's [ ]."
                )
        elif token.kind == ";":
            if token.text == ";":
                raise KernelParseError(
                    f"A ';' at {_where(token)} splits row {len(rows) + 1} inside its brackets; "
                    "close the row with ']' and start the next with '['."
                )
        else:
            current.append(token)
    return rows


# --------------------------------------------------------------------------- numbers


def _number(token: _Token, row: int, col: int) -> float:
    """The value of one word, or a ``KernelParseError`` naming row and column."""
    word, where = token.text, f"in row {row}, column {col}"
    if _NUMBER_RE.fullmatch(word):
        value = float(word)
    elif fraction := _FRACTION_RE.fullmatch(word):
        numerator, denominator = float(fraction.group(1)), float(fraction.group(2))
        if denominator == 0.0:
            raise KernelParseError(f"Division by zero: {_short(word)} {where}.")
        value = numerator / denominator
    elif _NOT_FINITE_RE.fullmatch(word):
        raise KernelParseError(
            f"{_short(word)} {where} is not allowed: every weight must be a finite number."
        )
    else:
        raise KernelParseError(f"{_short(word)} {where} is not a number.")
    if not np.isfinite(value):
        raise KernelParseError(
            f"{_short(word)} {where} is too large: every weight must be a finite number."
        )
    return value


# ------------------------------------------------------------------------------ public


def parse_kernel(text: str) -> np.ndarray:
    """Read a kernel from text; return a 2-D float64 array.

    Parameters
    ----------
    text : str
        Numbers separated by spaces and/or commas, rows by new lines or ``;``;
        or a bracketed list such as ``[[1, 2, 1], [0, 0, 0], [-1, -2, -1]]``.
        Fractions (``1/16``), scientific notation (``1e-3``), a leading ``+`` and
        the unicode minus ``−`` are accepted. At most ``MAX_KERNEL_SIZE`` rows and
        columns and ``MAX_TEXT_LENGTH`` characters.

    Returns
    -------
    ndarray, shape (rows, columns), float64

    Raises
    ------
    KernelParseError
        A ``ValueError`` whose message says what is wrong and where (row and
        column counted from 1, with the offending text).

    Examples
    --------
    >>> parse_kernel("1 2 1; 0 0 0; -1 -2 -1").shape
    (3, 3)
    >>> parse_kernel("[1/4, 1/2, 1/4]")
    array([[0.25, 0.5 , 0.25]])
    """
    if not isinstance(text, str):
        raise KernelParseError(f"text must be a string, got {type(text).__name__}.")
    if len(text) > MAX_TEXT_LENGTH:
        raise KernelParseError(
            f"The text is {len(text):,} characters long; the limit is "
            f"{MAX_TEXT_LENGTH:,} characters."
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2212", "-")
    text = re.sub(r"[ \t]*/[ \t]*", "/", text)  # "1 / 16" -> "1/16"
    if not text.strip():
        raise KernelParseError("The kernel is empty: type at least one number.")

    tokens = _tokenize(text)
    deepest = _check_brackets(tokens)
    rows = _bracket_rows(tokens, deepest) if deepest else _split_rows(tokens)
    if not rows:
        raise KernelParseError("The kernel is empty: type at least one number.")

    values: list[list[float]] = []
    for r, row in enumerate(rows, start=1):
        if len(row) != len(rows[0]):
            raise KernelParseError(
                f"Ragged rows: row {r} has {_count(len(row))} but row 1 has {len(rows[0])}; "
                "every row needs the same count."
            )
        values.append([_number(token, r, c) for c, token in enumerate(row, start=1)])
    height, width = len(values), len(values[0])
    if height > MAX_KERNEL_SIZE or width > MAX_KERNEL_SIZE:
        raise KernelParseError(
            f"The kernel is {height}×{width}; the largest allowed is "
            f"{MAX_KERNEL_SIZE}×{MAX_KERNEL_SIZE}."
        )
    return np.array(values, dtype=np.float64)


def _count(n: int) -> str:
    return f"{n} number" if n == 1 else f"{n} numbers"


def format_kernel(array, *, digits: int = 4) -> str:
    """Write a 2-D array as text that ``parse_kernel`` reads back.

    One row per line, values right-aligned and separated by spaces, each written
    with ``digits`` significant digits: integers without ".0", trailing zeros
    trimmed, very large or small magnitudes in scientific notation::

        format_kernel([[1, 0, -1], [0.5, 0.0625, 1e-7]])  ->   "  1       0     -1
                                                                0.5  0.0625  1e-07"
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be a whole number from 1 to 17, got {digits!r}.")
    a = np.asarray(array)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"array must be a non-empty 2-D array, got shape {a.shape}.")
    if a.dtype.kind not in "biuf" or not np.all(np.isfinite(a)):
        raise ValueError("array must hold finite real numbers.")
    cells = [[_format_number(float(x), digits) for x in row] for row in a]
    widths = [max(len(row[j]) for row in cells) for j in range(a.shape[1])]
    return "\n".join(
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    )


def _format_number(x: float, digits: int) -> str:
    text = f"{x:.{digits}g}"
    return "0" if text == "-0" else text
