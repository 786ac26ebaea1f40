"""Tests for scripts/make_assets.py: the synthetic test pattern it draws into assets/."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scripts.make_assets import draw_test_pattern
from sepconv_core.image import to_uint8

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def test_pattern_shape_range_and_determinism():
    """float32 (size, size, 3) in [0, 1], identical on every call, odd sizes too."""
    pattern = draw_test_pattern(64)
    assert pattern.shape == (64, 64, 3) and pattern.dtype == np.float32
    assert pattern.min() >= 0.0 and pattern.max() <= 1.0
    np.testing.assert_array_equal(pattern, draw_test_pattern(64))
    assert draw_test_pattern(37).shape == (37, 37, 3)
    with pytest.raises(ValueError, match="size"):
        draw_test_pattern(4)


def test_pattern_has_edges_in_every_direction_and_colour():
    """Vertical, horizontal and diagonal edges are all present, and saturated colours too."""
    gray = draw_test_pattern(128).mean(axis=-1)
    dx = np.abs(np.diff(gray, axis=1))[:-1, :]  # change along a row: a vertical edge
    dy = np.abs(np.diff(gray, axis=0))[:, :-1]  # change down a column: a horizontal edge
    assert np.sum((dx > 0.3) & (dy < 0.05)) > 100
    assert np.sum((dy > 0.3) & (dx < 0.05)) > 100
    assert np.sum((dx > 0.3) & (dy > 0.3)) > 20  # both at once: an edge at an angle
    pattern = draw_test_pattern(128)
    chroma = pattern.max(axis=-1) - pattern.min(axis=-1)
    assert np.sum(chroma > 0.8) > 500


def test_bundled_test_pattern_matches_the_code():
    """assets/test_pattern.png is exactly to_uint8(draw_test_pattern(512))."""
    stored = np.asarray(Image.open(ASSETS / "test_pattern.png"))
    np.testing.assert_array_equal(stored, to_uint8(draw_test_pattern(512)))
