"""A photo of a handwritten digit, made to look like an MNIST digit.

MNIST's digits are bright ink on black, anti-aliased, scaled so the digit fits a 20 x 20 box
and placed in a 28 x 28 frame with its centre of mass in the middle. A phone photo of a digit
written on paper is the opposite on every count, so ``mnist_like`` does, in order:

1. grayscale (ITU-R BT.601 luma);
2. invert if the paper is light (the median of the photo's border is above one half);
3. subtract the paper's level (the median) and stretch so the darkest ink is 1: the 99.5th
   percentile, or for a thin or small digit that covers less of the photo than that, half the
   level of its ``INK_PIXELS`` darkest pixels; what is left below ``PAPER`` (texture,
   shadows) becomes 0;
4. crop to the ink's bounding box, shrink it so its longer side is about 80 px (area
   averaging), and thicken thin pen strokes to MNIST's width (a 3 x 3 maximum, a few times);
5. scale to fit 20 x 20 (aspect kept), stretch to full brightness again;
6. paste into 28 x 28 with the centre of mass at the centre, as MNIST did.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .image import resize_to, to_grayscale

__all__ = ["NoDigitError", "mnist_like"]

PAPER = 0.3  # after stretching, anything fainter than this is paper, not ink
# A ballpoint digit a third of a 12 MP photo's height covers about 0.2 % of it: the ink's level
# is then read from its darkest pixels (enough of them that a speck of dust does not set it).
INK_PIXELS = 50
WORK_SIDE = 80  # the crop's longer side while strokes are thickened
# Thicken until strokes are this wide in the 80 px box, i.e. ~2.3 px in the 20 px box. MNIST's,
# measured the same way at that scale: median 10.7 px, 10th percentile 7.8 px.
STROKE = 10.0


class NoDigitError(ValueError):
    """The photo has no ink to speak of: a blank page, or a uniform picture."""


def _dilate(a: np.ndarray) -> np.ndarray:
    """3 x 3 grey-level dilation (maximum over the neighbourhood), zero outside."""
    p = np.pad(a, 1)
    h, w = a.shape
    return np.max([p[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a boolean mask: twice its area over its boundary pixels (a stroke of
    width w and length L has about w L pixels, 2 L of them on its boundary)."""
    p = np.pad(mask, 1)
    inner = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return 2 * mask.sum() / max((mask & ~inner).sum(), 1)


def _resize(a: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a float plane to exactly (height, width): area average down, Lanczos up."""
    if height <= a.shape[0] and width <= a.shape[1]:
        small = resize_to(a.astype(np.float32), max(height, width))
        if small.shape == (height, width):
            return small
        a = small
    img = Image.fromarray(a.astype(np.float32), mode="F")
    return np.asarray(img.resize((width, height), Image.Resampling.LANCZOS), dtype=np.float32)


def ink_plane(image: np.ndarray) -> tuple[np.ndarray, bool]:
    """Ink as a float plane in [0, 1] (0 = paper) and whether the photo was inverted."""
    gray = to_grayscale(np.asarray(image, dtype=np.float32))[..., 0]
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = bool(np.median(border) > 0.5)
    ink = 1 - gray if inverted else gray
    ink = ink - np.median(ink)
    n = min(INK_PIXELS, ink.size)
    darkest = np.partition(ink.ravel(), -n)[-n]  # the n-th darkest ink
    top = max(np.percentile(ink, 99.5), 0.5 * darkest)
    if top < 0.1:
        raise NoDigitError(
            "No digit found: the picture is nearly uniform. Write a digit in dark ink on light "
            "paper (or light on dark) and fill most of the photo with it."
        )
    ink = np.clip(ink / top, 0, 1)
    ink[ink < PAPER] = 0
    return ink, inverted


def mnist_like(image: np.ndarray) -> tuple[np.ndarray, bool]:
    """A (28, 28) uint8 MNIST-like digit from a photo, and whether the photo was inverted.

    Parameters
    ----------
    image : ndarray, shape (H, W), (H, W, 1) or (H, W, 3), values in [0, 1]
        As ``sepconv_core.image.load_image`` gives it.

    Raises
    ------
    NoDigitError
        When the picture is nearly uniform (no ink).
    """
    ink, inverted = ink_plane(image)
    rows, cols = np.nonzero(ink > 0.5)
    if len(rows) < 4:
        raise NoDigitError("No digit found: only a few dots of ink. Try a bolder pen.")
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    crop = resize_to(crop, WORK_SIDE)
    for _ in range(8):
        if stroke_width(crop > 0.5) >= STROKE:
            break
        crop = _dilate(crop)
    h, w = crop.shape
    scale = 20 / max(h, w)
    small = _resize(crop, max(1, round(h * scale)), max(1, round(w * scale)))
    small = np.clip(small / max(small.max(), 1e-6), 0, 1)
    out = np.zeros((28, 28), np.float32)
    ys, xs = np.mgrid[: small.shape[0], : small.shape[1]]
    mass = small.sum()
    cy, cx = (small * ys).sum() / mass, (small * xs).sum() / mass
    top = int(np.clip(round(13.5 - cy), 0, 28 - small.shape[0]))
    left = int(np.clip(round(13.5 - cx), 0, 28 - small.shape[1]))
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return np.round(out * 255).astype(np.uint8), inverted
