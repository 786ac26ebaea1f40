"""Tests for ui/text.py: the sentences that state a ratio of two counts."""

import re

import pytest

from ui.text import compare_counts


@pytest.mark.parametrize(
    ("count", "reference", "expected"),
    [
        (53_952, 1_228_800, "22.8× fewer multiplications than X"),
        (2, 1, "2× more multiplications than X"),  # not "0.5× cheaper" (issue 9, point 3)
        (9, 9, "the same number of multiplications as X"),  # not "1.0× cheaper"
        (102, 100, "2% more multiplications than X"),  # not "1.0× more"
        (6, 9, "1.5× fewer multiplications than X"),
    ],
)
def test_known_comparisons(count, reference, expected):
    assert compare_counts(count, reference, "X") == expected


@pytest.mark.parametrize("count", [1, 7, 99, 100, 101, 150, 1_000, 12_345, 10**7])
@pytest.mark.parametrize("reference", [1, 9, 100, 1_024, 10**6])
def test_direction_and_factor_agree_with_the_counts(count, reference):
    """The word says which is larger; the factor (>= 1, or a percentage) restores the counts."""
    text = compare_counts(count, reference, "X")
    if count == reference:
        assert text.startswith("the same")
        return
    assert ("more" in text) == (count > reference) and ("fewer" in text) == (count < reference)
    number = float(re.match(r"([\d.]+)", text).group(1))
    low, high = sorted((count, reference))
    if "×" in text:
        assert number >= 1.1
        assert number == pytest.approx(high / low, rel=0.05)
    else:
        assert number == pytest.approx(abs(count - reference) / reference * 100, rel=0.05)
        assert high / low < 1.1
