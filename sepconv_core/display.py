"""Arrange many channels for display: colour ranges, mosaics and text summaries.

The app shows every channel. Hundreds of small figures would be slow, so the
channels of a stack (H, W, N) are laid out as tiles of one mosaic, separated
by a gap of NaN (drawn as blank). Colour ranges are either shared by all
channels or per channel; a signed range is symmetric around zero so that a
diverging colour scale puts zero in the middle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mosaic:
    """Channels of a stack laid out on a grid.

    Attributes
    ----------
    values : ndarray, shape (rows * (h + gap) - gap, cols * (w + gap) - gap)
        The tiles, NaN in the gaps; float32.
    rows, cols : int
        Grid size; tile ``n`` sits at row ``n // cols``, column ``n % cols``.
    tile_shape : tuple of int
        (h, w) of one channel.
    gap : int
        Blank pixels between tiles.
    channels : int
        Number of tiles that hold a channel (the last row may be short).
    """

    values: np.ndarray
    rows: int
    cols: int
    tile_shape: tuple[int, int]
    gap: int
    channels: int

    def tile_origin(self, n: int) -> tuple[int, int]:
        """(row, column) in ``values`` of the top-left pixel of channel ``n``."""
        h, w = self.tile_shape
        return (n // self.cols) * (h + self.gap), (n % self.cols) * (w + self.gap)

    def channel_at(self, y: int, x: int) -> int | None:
        """Channel shown at mosaic pixel (y, x), or None in a gap or past the last tile."""
        h, w = self.tile_shape
        r, ry = divmod(y, h + self.gap)
        c, rx = divmod(x, w + self.gap)
        n = r * self.cols + c
        if ry >= h or rx >= w or n >= self.channels:
            return None
        return n


def as_stack(array: np.ndarray) -> np.ndarray:
    """View a 2-D plane as a one-channel stack; leave (H, W, N) alone."""
    array = np.asarray(array)
    if array.ndim == 2:
        return array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"array must be 2-D or 3-D (H, W, N), got shape {array.shape}.")
    return array


def colour_range(stack: np.ndarray, *, signed: bool, shared: bool) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper colour limits, one pair per channel.

    With ``signed`` the range is symmetric, [-m, m], so zero sits mid-scale.
    With ``shared`` every channel gets the limits of the whole stack, so
    brightness can be compared across channels; otherwise each channel is
    stretched over the whole scale, so faint channels stay visible.
    A constant channel gets a range of width 1 around its value (never 0).
    """
    stack = as_stack(stack)
    axes = None if shared else (0, 1)
    n = stack.shape[2]
    # Extremes are exact in the array's own precision: no float64 copy, no |x| temporary.
    with np.errstate(invalid="ignore"):
        lo = np.broadcast_to(np.nanmin(stack, axis=axes), (n,)).astype(np.float64)
        hi = np.broadcast_to(np.nanmax(stack, axis=axes), (n,)).astype(np.float64)
    if signed:
        m = np.fmax(-lo, hi)
        m[~(m > 0)] = 1.0
        return -m, m
    flat = ~(hi > lo)
    lo[flat] -= 0.5
    hi[flat] += 0.5
    return lo, hi


def normalise(stack: np.ndarray, *, signed: bool, shared: bool) -> np.ndarray:
    """Map each channel onto [0, 1] with :func:`colour_range` (0.5 is zero when signed)."""
    stack = as_stack(stack)
    lo, hi = colour_range(stack, signed=signed, shared=shared)
    # In float32 and in place: a [0, 1] colour position needs no more, and a 256-pixel
    # mosaic of 16 channels is 4 MB a pass.
    out = stack.astype(np.float32)
    out -= lo.astype(np.float32)
    out *= (1.0 / (hi - lo)).astype(np.float32)
    return np.clip(out, 0.0, 1.0, out=out)


def mosaic(stack: np.ndarray, *, cols: int | None = None, gap: int | None = None) -> Mosaic:
    """Lay the channels of ``stack`` (H, W, N) out on a near-square grid.

    ``cols`` defaults to ceil(sqrt(N)); ``gap`` to 1 pixel, or 0 for a single channel.
    """
    stack = as_stack(stack)
    h, w, n = stack.shape
    if cols is None:
        cols = max(1, math.ceil(math.sqrt(n)))
    cols = max(1, min(int(cols), n))
    rows = math.ceil(n / cols)
    if gap is None:
        gap = 0 if n == 1 else max(1, min(h, w) // 16)
    values = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, np.float32)
    tiles = Mosaic(values, rows, cols, (h, w), gap, n)
    for k in range(n):
        y, x = tiles.tile_origin(k)
        values[y : y + h, x : x + w] = stack[:, :, k]
    return tiles


def summary(array: np.ndarray) -> str:
    """A short text description of an array for a screen reader: shape, min, max, mean.

    >>> summary(np.array([[1.0, 2.0], [3.0, 6.0]]))
    '2 × 2: min 1, max 6, mean 3'
    """
    a = np.asarray(array)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    shape = " × ".join(str(s) for s in a.shape)
    if a.size == 0:
        return f"Empty array of shape {shape}."
    with np.errstate(invalid="ignore"):
        lo, hi = np.nanmin(a), np.nanmax(a)
    gaps = np.isnan(a)
    # The mean in float64 whatever the array's type; NaN gaps (a mosaic's) left out.
    mean = np.nanmean(a, dtype=np.float64) if gaps.any() else a.mean(dtype=np.float64)
    return f"{shape}: min {lo:.3g}, max {hi:.3g}, mean {mean:.3g}"
