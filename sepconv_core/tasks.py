"""Training tasks: what a learned layer should do to an image, as a target image.

Each task turns an image into the output a layer should learn to produce (same size, 'same'
padding), with one sentence on what it teaches: some a separable layer matches exactly (blur,
emboss, grayscale), one only a normal convolution does (a random 3×3 convolution to 4 channels),
and one no linear layer can (the nonlinear Sobel magnitude).
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels
from ._checks import real_image, whole
from .conv import conv2d, correlate2d, depthwise_conv2d
from .image import to_grayscale

__all__ = ["TASKS", "make_task"]

TASKS: dict[str, str] = {
    "edges": "The Sobel gradient magnitude sqrt(gx² + gy²) of the luminance: the square root "
    "makes it nonlinear, so no linear layer, separable or not, can match it exactly.",
    "blur": "A 5×5 Gaussian blur (sigma 1) of every channel on its own: the depthwise step "
    "alone does it (the pointwise step only has to copy), exactly with a 5×5 kernel.",
    "grayscale": "The BT.601 luma 0.299 R + 0.587 G + 0.114 B as one channel: a pure "
    "pointwise (1×1) mix of the channels, with no spatial filtering.",
    "channel swap": "The colour channels in reverse order (RGB → BGR): a pure pointwise "
    "permutation, with no spatial filtering.",
    "emboss": "The 3×3 emboss kernel on the luminance: a separable layer matches it exactly "
    "(emboss on every channel, then the luma weights as the pointwise mix).",
    "sharpen": "The 3×3 sharpen kernel (identity minus Laplacian) on every channel on its own: "
    "the depthwise step alone does it.",
    "random normal conv": "A seeded random 3×3 convolution from every input channel to 4 "
    "outputs: a normal convolution matches it exactly, a separable layer generally cannot "
    "(with depth multiplier M < 4 each channel offers only M spatial filters to the 4 outputs).",
}

_ONE_CHANNEL = {
    "grayscale": "The image already has one channel, so the target is the image itself: the "
    "pointwise step only has to copy it.",
    "channel swap": "With one channel there is nothing to swap: the target is the image itself "
    "(the identity).",
}


def _per_channel(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``kernel`` (k, k) applied to every channel on its own, 'same' size."""
    stack = np.broadcast_to(kernel[:, :, None, None], (*kernel.shape, x.shape[2], 1))
    return depthwise_conv2d(x, stack, padding="same")


def _on_luminance(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``kernel`` correlated with the luma of ``x``, 'same' size: (H, W)."""
    return correlate2d(to_grayscale(x)[:, :, 0], kernel, padding="same")


def _edges(x, seed):
    gx = _on_luminance(x, kernels.sobel_x())
    gy = _on_luminance(x, kernels.sobel_y())
    return np.hypot(gx, gy)[:, :, np.newaxis]


def _random_conv(x, seed):
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal((3, 3, x.shape[2], 4)) / math.sqrt(9 * x.shape[2])
    return conv2d(x, kernel, padding="same")


_BUILDERS = {
    "edges": _edges,
    "blur": lambda x, seed: _per_channel(x, kernels.gaussian(5, sigma=1.0)),
    "grayscale": lambda x, seed: to_grayscale(x),
    "channel swap": lambda x, seed: x[:, :, ::-1].copy(),
    "emboss": lambda x, seed: _on_luminance(x, kernels.emboss())[:, :, np.newaxis],
    "sharpen": lambda x, seed: _per_channel(x, kernels.sharpen()),
    "random normal conv": _random_conv,
}


def make_task(name: str, image, *, seed=0) -> tuple[np.ndarray, str]:
    """A training target made from ``image``, and one sentence on what it teaches.

    Parameters
    ----------
    name : str
        One of ``TASKS``.
    image : array_like, shape (H, W, C) or (H, W)
        "edges", "emboss" and "grayscale" need C = 1 or 3 (they use the luminance).
    seed : int, optional
        Seeds the kernel of "random normal conv"; the other tasks ignore it.

    Returns
    -------
    target : ndarray, shape (H, W, Cout)
        Same size as the image ('same' padding), in the image's floating dtype. Cout is 1 for
        "edges", "grayscale" and "emboss", 4 for "random normal conv", C otherwise.
    description : str
    """
    if name not in TASKS:
        raise ValueError(f"name must be one of {', '.join(TASKS)}; got {name!r}.")
    x = real_image(image, "image")
    seed = whole(seed, "seed", 0)
    target = _BUILDERS[name](x, seed).astype(x.dtype, copy=False)
    description = _ONE_CHANNEL.get(name, TASKS[name]) if x.shape[2] == 1 else TASKS[name]
    return target, description
