"""Tests for sepconv_core.parse: reading kernels typed by people, and writing them back.

Expected arrays are written by hand; refusals are checked by the fragment of the message
that says what is wrong and where.
"""

import ast
import builtins

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sepconv_core.parse import MAX_KERNEL_SIZE, KernelParseError, format_kernel, parse_kernel

SOBEL_Y = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]

GOOD = [
    ("1 2 1\n0 0 0\n-1 -2 -1", SOBEL_Y),
    ("1,2,1\n0,0,0\n-1,-2,-1", SOBEL_Y),
    ("1, 2, 1; 0, 0, 0; -1, -2, -1", SOBEL_Y),
    ("1 2 1;0 0 0;-1 -2 -1", SOBEL_Y),
    ("[[1, 2, 1], [0, 0, 0], [-1, -2, -1]]", SOBEL_Y),
    ("[\n  [1, 2, 1],\n  [0, 0, 0],\n  [-1, -2, -1]\n]\n", SOBEL_Y),
    ("[[1 2 1] [0 0 0] [-1 -2 -1]]", SOBEL_Y),
    ("[[1,\n 2, 1], [0, 0, 0],\n [-1, -2, -1],]", SOBEL_Y),
    ("[1 2 1; 0 0 0; -1 -2 -1]", SOBEL_Y),
    ("[[1, 2, 1], [0, 0, 0], [-1, -2, -1]];", SOBEL_Y),
    ("[1, 2, 1]", [[1, 2, 1]]),
    ("[[1, 2, 1]]", [[1, 2, 1]]),
    ("1 2 1", [[1, 2, 1]]),
    ("7", [[7]]),
    ("1\n2\n3", [[1], [2], [3]]),
    ("1/16 2/16 1/16", [[0.0625, 0.125, 0.0625]]),
    ("-3/4 3/-4 +1/2", [[-0.75, -0.75, 0.5]]),
    ("1 / 4, 1/ 2", [[0.25, 0.5]]),
    ("1e-3 2.5E2 -1.5e+1 .5 5.", [[0.001, 250.0, -15.0, 0.5, 5.0]]),
    ("\u22121 0 +1", [[-1, 0, 1]]),
    ("\u22121/2 1", [[-0.5, 1]]),
    ("\n\n1 2\n\n\n3 4\n\n", [[1, 2], [3, 4]]),
    ("1, 2, 1,\n0, 0, 0,", [[1, 2, 1], [0, 0, 0]]),
    ("1 2 1;", [[1, 2, 1]]),
    ("1 2;\n3 4;\n", [[1, 2], [3, 4]]),
    ("1\t2\t3\n4\t5\t6", [[1, 2, 3], [4, 5, 6]]),
    ("1 2\r\n3 4\r\n", [[1, 2], [3, 4]]),
    ("1 2\r3 4", [[1, 2], [3, 4]]),
    ("   1   ,  2  \n  3 ,4   ", [[1, 2], [3, 4]]),
    ("0.1 0.2\n0.3 0.4", [[0.1, 0.2], [0.3, 0.4]]),
]


@pytest.mark.parametrize("text, expected", GOOD)
def test_good_inputs(text, expected):
    """Accepted spellings of a kernel give the hand-written float64 array."""
    kernel = parse_kernel(text)
    assert kernel.dtype == np.float64
    assert kernel.ndim == 2
    np.testing.assert_allclose(kernel, np.array(expected, dtype=float), rtol=1e-15, atol=0)


def test_largest_kernel_is_accepted():
    """A MAX_KERNEL_SIZE x MAX_KERNEL_SIZE kernel is at the limit and is read."""
    assert MAX_KERNEL_SIZE == 15
    text = "\n".join(" ".join(str(i * 15 + j) for j in range(15)) for i in range(15))
    np.testing.assert_array_equal(parse_kernel(text), np.arange(225.0).reshape(15, 15))


BAD = [
    ("", "empty"),
    ("   \n\t\n  ", "empty"),
    (";;\n;", "empty"),
    ("[]", "empty"),
    ("1 2 3\n4 5", "row 2 has 2 numbers but row 1 has 3"),
    ("1 2\n3 4\n5", "row 3 has 1 number but row 1 has 2"),
    ("[[1, 2], [3, 4, 5]]", "row 2 has 3 numbers but row 1 has 2"),
    ("1 abc 3", "'abc' in row 1, column 2 is not a number"),
    ("1 2\n3 x4", "'x4' in row 2, column 2 is not a number"),
    ("1 2 1\n0 0 0\n-1 -2 --1", "'--1' in row 3, column 3 is not a number"),
    ("1+1", "'1\\+1' in row 1, column 1 is not a number"),
    ("0x10", "'0x10' in row 1, column 1 is not a number"),
    ("1_000", "'1_000' in row 1, column 1 is not a number"),
    ("1/2/3", "'1/2/3' in row 1, column 1 is not a number"),
    ("1 nan", "'nan' in row 1, column 2 is not allowed"),
    ("-inf 1", "'-inf' in row 1, column 1 is not allowed"),
    ("1\nInfinity", "'Infinity' in row 2, column 1 is not allowed"),
    ("1e400", "'1e400' in row 1, column 1 is too large"),
    ("1 1/0", "Division by zero: '1/0' in row 1, column 2"),
    ("0/0.0", "Division by zero: '0/0.0' in row 1, column 1"),
    ("\n".join(["1 " * 3] * 16), "16×3; the largest allowed is 15×15"),
    (" ".join(["1"] * 16), "1×16; the largest allowed is 15×15"),
    ("1 " * 5001, "10,002 characters long; the limit is 10,000"),
    ("[[1, 2], [3, 4]", "Unbalanced brackets: the '\\[' at line 1, character 1 is never closed"),
    ("[1, 2]]", "Unbalanced brackets: the '\\]' at line 1, character 7 closes nothing"),
    ("1 2]", "Unbalanced brackets"),
    ("[[[1]]]", "nested 3 deep"),
    ("k = [[1, 2]]", "'k' at line 1, character 1 before the opening"),
    ("[[1, 2]] [[3, 4]]", "'\\[' at line 1, character 10 after the closing"),
    ("[1, [2, 3]]", "'1' at line 1, character 2 is outside the inner brackets"),
    ("[[1, 2; 3, 4]]", "';' at line 1, character 7 splits row 1"),
    ("[[1, 2],\n []]", "Row 2 is empty: the '\\[' at line 2, character 2"),
    ("1,,2", "number is missing before the comma at line 1, character 3"),
    (", 1, 2", "number is missing before the comma at line 1, character 1"),
]


@pytest.mark.parametrize("text, fragment", BAD)
def test_bad_inputs_say_what_and_where(text, fragment):
    """Each refusal is a KernelParseError whose message holds the expected fragment."""
    with pytest.raises(KernelParseError, match=fragment):
        parse_kernel(text)


def test_parse_error_is_a_value_error():
    """KernelParseError is a ValueError, so callers may catch either."""
    assert issubclass(KernelParseError, ValueError)
    with pytest.raises(ValueError):
        parse_kernel("x")


def test_non_string_input_is_refused():
    """Only text is parsed."""
    with pytest.raises(KernelParseError, match="text must be a string"):
        parse_kernel([[1, 2], [3, 4]])


def test_long_tokens_are_shortened_in_messages():
    """A very long bad word is cut in the message, which still names row and column."""
    word = "a" * 500
    with pytest.raises(KernelParseError, match="in row 1, column 1 is not a number") as info:
        parse_kernel(word)
    assert len(str(info.value)) < 120


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('echo hacked')",
        "[[__import__('os'), 1]]",
        "exec('x=1')",
        "().__class__",
        "(1)",
        "2**3",
    ],
)
def test_code_is_refused_as_not_a_number(text, monkeypatch):
    """Python code is never run: it is reported as not a number, with eval/exec disarmed."""

    def forbidden(*args, **kwargs):
        raise AssertionError("parse_kernel must not evaluate code")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(ast, "literal_eval", forbidden)
    with pytest.raises(KernelParseError, match="is not a number"):
        parse_kernel(text)


def test_parse_does_not_use_eval_on_good_input(monkeypatch):
    """Good input is read with eval, exec and ast.literal_eval disarmed."""

    def forbidden(*args, **kwargs):
        raise AssertionError("parse_kernel must not evaluate code")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(ast, "literal_eval", forbidden)
    np.testing.assert_array_equal(parse_kernel("[[1, 2], [3, 4]]"), [[1.0, 2.0], [3.0, 4.0]])


# ----------------------------------------------------------------------- format_kernel

FORMATTED = [
    ([[1, 0, -1], [2, 0, -2]], "1  0  -1\n2  0  -2"),
    ([[1.0, 2.0, 1.0]], "1  2  1"),
    ([[0.5, 0.0625], [-0.25, 3.0]], "  0.5  0.0625\n-0.25       3"),
    ([[1 / 3]], "0.3333"),
    ([[-0.0, 1e-7]], "0  1e-07"),
    ([[123456.0]], "1.235e+05"),
]


@pytest.mark.parametrize("array, expected", FORMATTED)
def test_format_kernel_hand_written(array, expected):
    """Rows on lines, right-aligned columns, integers without '.0', 4 significant digits."""
    assert format_kernel(np.array(array, dtype=float)) == expected


def test_format_kernel_digits():
    """digits sets the significant digits."""
    assert format_kernel(np.array([[1 / 3, 2 / 3]]), digits=2) == "0.33  0.67"
    assert format_kernel(np.array([[np.pi]]), digits=8) == "3.1415927"


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"array": np.ones(3)}, "array"),
        ({"array": np.ones((0, 2))}, "array"),
        ({"array": np.array([[np.nan]])}, "array"),
        ({"array": np.ones((2, 2)), "digits": 0}, "digits"),
        ({"array": np.ones((2, 2)), "digits": 18}, "digits"),
    ],
)
def test_format_kernel_bad_arguments(kwargs, name):
    """Bad arrays and digits raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=name):
        format_kernel(**kwargs)


def small_arrays(elements):
    shapes = st.tuples(st.integers(1, 5), st.integers(1, 5))
    return shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=elements))


@settings(max_examples=80, deadline=None)
@given(small_arrays(st.floats(allow_nan=False, allow_infinity=False)))
def test_round_trip_with_17_digits_is_exact(array):
    """parse_kernel(format_kernel(a, digits=17)) gives back exactly a (any finite doubles)."""
    back = parse_kernel(format_kernel(array, digits=17))
    np.testing.assert_array_equal(back, array + 0.0)  # + 0.0: -0.0 is written as 0


@settings(max_examples=80, deadline=None)
@given(small_arrays(st.floats(-1e6, 1e6, allow_subnormal=False)))
def test_round_trip_with_default_digits_is_close(array):
    """With 4 significant digits each value comes back within half a unit in the 4th digit."""
    back = parse_kernel(format_kernel(array))
    assert back.shape == array.shape
    np.testing.assert_allclose(back, array, rtol=5.1e-4, atol=0)


@settings(max_examples=40, deadline=None)
@given(small_arrays(st.integers(-99, 99).map(float)))
def test_integers_are_written_without_decimal_point(array):
    """Integer values are written as plain integers and come back exactly."""
    text = format_kernel(array)
    assert "." not in text and "e" not in text
    np.testing.assert_array_equal(parse_kernel(text), array)
