"""Mosaics and colour ranges: where each channel lands, and what colour zero gets."""

import numpy as np
import pytest

from sepconv_core.display import Mosaic, colour_range, mosaic, normalise, summary


def test_mosaic_places_every_channel_and_leaves_gaps_blank():
    """5 channels of 2×3 on a 3-column grid: tile n at row n // 3, column n % 3, NaN between."""
    stack = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    m = mosaic(stack, cols=3, gap=1)
    assert isinstance(m, Mosaic)
    assert (m.rows, m.cols, m.values.shape) == (2, 3, (2 * 3 - 1, 3 * 4 - 1))
    for n in range(5):
        y, x = (n // 3) * 3, (n % 3) * 4
        np.testing.assert_array_equal(m.values[y : y + 2, x : x + 3], stack[:, :, n])
        assert m.channel_at(y + 1, x + 2) == n
    assert np.isnan(m.values[2, :]).all()  # the gap row
    assert np.isnan(m.values[3:, 8:]).all()  # the empty sixth tile
    assert m.channel_at(2, 0) is None and m.channel_at(3, 9) is None


def test_signed_range_is_symmetric_so_zero_is_mid_scale():
    """A signed stack maps 0 to 0.5, whatever its minimum and maximum."""
    stack = np.array([[[-1.0, 0.0], [4.0, 0.0]]]).reshape(1, 2, 2)
    out = normalise(stack, signed=True, shared=True)
    # Shared range is [-4, 4]: -1 -> 0.375, 4 -> 1, 0 -> 0.5.
    assert out[0, 0, 0] == pytest.approx(0.375)
    assert out[0, 1, 0] == pytest.approx(1.0)
    assert out[0, 0, 1] == pytest.approx(0.5)


def test_per_channel_range_stretches_each_channel():
    """Per channel, a faint channel spans the whole scale; shared, it stays faint."""
    stack = np.stack([np.array([[0.0, 1.0]]), np.array([[0.0, 0.01]])], axis=-1)
    per = normalise(stack, signed=False, shared=False)
    shared = normalise(stack, signed=False, shared=True)
    assert per[0, 1, 1] == pytest.approx(1.0)
    assert shared[0, 1, 1] == pytest.approx(0.01)
    lo, hi = colour_range(np.ones((2, 2, 1)), signed=False, shared=True)
    assert hi[0] - lo[0] == pytest.approx(1.0)  # a constant channel never divides by zero


def test_summary_states_shape_min_max_mean():
    assert summary(np.array([[1.0, 2.0], [3.0, 6.0]])) == "2 × 2: min 1, max 6, mean 3"
    assert summary(np.zeros((0, 3))).startswith("Empty")
