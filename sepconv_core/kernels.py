"""Named kernels, built from their 1-D factors where they have them.

Convolutions in this package are cross-correlations (as in Keras and PyTorch),
so a kernel is read as written: the weight at row i, column j multiplies the
pixel i rows below and j columns right of the window's top-left corner.

Separable presets are outer products ``np.outer(column, row)``::

    Sobel x = [1, 2, 1]^T . [-1, 0, 1]      Gaussian = g^T . g      Box = b^T . b

The others (Laplacian, sharpen, emboss, outline, motion blur) are written out.
``PRESETS`` lists them all for the app; ``channel_kernels`` builds a stack of
per-channel kernels (kh, kw, channels, multiplier) for depthwise convolution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._checks import positive
from ._checks import whole as _check_int

# ------------------------------------------------------------------------ 1-D factors


def binomial(k: int) -> np.ndarray:
    """Row ``k - 1`` of Pascal's triangle: the 1-D smoothing factor of length ``k``.

    ``binomial(1) = [1]``, ``binomial(3) = [1, 2, 1]``, ``binomial(5) = [1, 4, 6, 4, 1]``.
    """
    k = _check_int(k, "k", 1)
    out = np.ones(1)
    for _ in range(k - 1):
        out = np.convolve(out, [1.0, 1.0])
    return out


def derivative(k: int) -> np.ndarray:
    """The 1-D derivative factor of length ``k >= 2``: ``np.convolve(binomial(k - 1), [-1, 1])``.

    ``derivative(2) = [-1, 1]``, ``derivative(3) = [-1, 0, 1]``,
    ``derivative(5) = [-1, -2, 0, 2, 1]``. Read left to right it rises, so
    cross-correlating with it responds positively where intensity increases.
    """
    k = _check_int(k, "k", 2)
    return np.convolve(binomial(k - 1), [-1.0, 1.0])


def _gaussian_1d(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    return g / g.sum()


# --------------------------------------------------------------------- edge detectors


def sobel_x(size: int = 3) -> np.ndarray:
    """Sobel kernel for horizontal change: smoothing down, derivative across.

    ::

        [[-1, 0, 1],      [[1],
         [-2, 0, 2],  =    [2],  . [[-1, 0, 1]]
         [-1, 0, 1]]       [1]]

    Positive where brightness rises from left to right. ``size >= 2`` uses
    ``binomial(size)`` down and ``derivative(size)`` across.
    """
    size = _check_int(size, "size", 2)
    return np.outer(binomial(size), derivative(size))


def sobel_y(size: int = 3) -> np.ndarray:
    """Sobel kernel for vertical change, the transpose of ``sobel_x``.

    ::

        [[-1, -2, -1],     [[-1],
         [ 0,  0,  0],  =   [ 0],  . [[1, 2, 1]]
         [ 1,  2,  1]]      [ 1]]

    Positive where brightness rises from top to bottom.
    """
    return sobel_x(size).T.copy()


def scharr_x() -> np.ndarray:
    """Scharr kernel for horizontal change, a better-rotation-invariant Sobel.

    ::

        [[ -3, 0,  3],      [[ 3],
         [-10, 0, 10],  =    [10],  . [[-1, 0, 1]]
         [ -3, 0,  3]]       [ 3]]
    """
    return np.outer([3.0, 10.0, 3.0], [-1.0, 0.0, 1.0])


def scharr_y() -> np.ndarray:
    """Scharr kernel for vertical change, the transpose of ``scharr_x``.

    ::

        [[-3, -10, -3],
         [ 0,   0,  0],  =  [-1, 0, 1]^T . [3, 10, 3]
         [ 3,  10,  3]]
    """
    return scharr_x().T.copy()


def prewitt_x() -> np.ndarray:
    """Prewitt kernel for horizontal change: plain averaging down, derivative across.

    ::

        [[-1, 0, 1],
         [-1, 0, 1],  =  [1, 1, 1]^T . [-1, 0, 1]
         [-1, 0, 1]]
    """
    return np.outer([1.0, 1.0, 1.0], [-1.0, 0.0, 1.0])


def prewitt_y() -> np.ndarray:
    """Prewitt kernel for vertical change, the transpose of ``prewitt_x``.

    ::

        [[-1, -1, -1],
         [ 0,  0,  0],  =  [-1, 0, 1]^T . [1, 1, 1]
         [ 1,  1,  1]]
    """
    return prewitt_x().T.copy()


# ---------------------------------------------------------------------------- blurs


def gaussian(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """Gaussian blur ``g^T . g`` with ``g`` the sampled, normalised 1-D Gaussian; sums to 1.

    ::

        g = exp(-x^2 / (2 sigma^2)) / sum,   x = -(size-1)/2 ... (size-1)/2

        size 3, sigma 1:  g = [0.274, 0.452, 0.274]
    """
    size = _check_int(size, "size", 1)
    g = _gaussian_1d(size, positive(sigma, "sigma"))
    return np.outer(g, g)


def box(size: int = 3) -> np.ndarray:
    """Box blur, the plain average; sums to 1.

    ::

        [[1, 1, 1],
         [1, 1, 1],  / 9  =  [1, 1, 1]^T / 3  .  [1, 1, 1] / 3
         [1, 1, 1]]
    """
    size = _check_int(size, "size", 1)
    b = np.full(size, 1.0 / size)
    return np.outer(b, b)


def motion_blur(size: int = 5) -> np.ndarray:
    """Diagonal motion blur: the average along the main diagonal (not separable).

    ::

        [[1, 0, 0],
         [0, 1, 0],  / 3
         [0, 0, 1]]
    """
    size = _check_int(size, "size", 1)
    return np.eye(size) / size


def identity(size: int = 3) -> np.ndarray:
    """The kernel that leaves the image unchanged: a single 1 at the centre.

    ::

        [[0, 0, 0],
         [0, 1, 0],  =  [0, 1, 0]^T . [0, 1, 0]
         [0, 0, 0]]

    For an even ``size`` the 1 sits at index ``(size - 1) // 2``, the position
    that 'same' padding (extra row/column after) keeps aligned.
    """
    size = _check_int(size, "size", 1)
    out = np.zeros((size, size))
    out[(size - 1) // 2, (size - 1) // 2] = 1.0
    return out


# ------------------------------------------------------------------ written-out kernels


def laplacian() -> np.ndarray:
    """The 4-neighbour Laplacian (rank 2, not separable).

    ::

        [[0,  1, 0],
         [1, -4, 1],
         [0,  1, 0]]
    """
    return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def sharpen() -> np.ndarray:
    """Sharpen: the identity minus the Laplacian.

    ::

        [[ 0, -1,  0],
         [-1,  5, -1],
         [ 0, -1,  0]]
    """
    return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])


def emboss() -> np.ndarray:
    """Emboss: a diagonal derivative plus the image, for a raised look.

    ::

        [[-2, -1, 0],
         [-1,  1, 1],
         [ 0,  1, 2]]
    """
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


def outline() -> np.ndarray:
    """Outline: the 8-neighbour Laplacian, negated.

    ::

        [[-1, -1, -1],
         [-1,  8, -1],
         [-1, -1, -1]]
    """
    return np.array([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]])


def random_kernel(shape=(3, 3), seed: int = 0, *, separable: bool = False) -> np.ndarray:
    """A seeded random kernel whose absolute values sum to 1.

    Standard normal entries divided by the sum of their absolute values, so that
    an image in [0, 1] filters to values in [-1, 1]. With ``separable=True`` it is
    the outer product of two such random vectors (rank 1)::

        separable=False:  w = z / sum|z|,            z ~ N(0, 1), shape (kh, kw)
        separable=True:   w = (u / sum|u|)^T . (v / sum|v|),   u, v ~ N(0, 1)
    """
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape, shape)
    try:
        kh, kw = (_check_int(n, "shape", 1) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"shape must be a pair (kh, kw) of whole numbers of at least 1, got {shape!r}."
        ) from None
    seed = _check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    if separable:
        u, v = rng.standard_normal(kh), rng.standard_normal(kw)
        return np.outer(u / np.abs(u).sum(), v / np.abs(v).sum())
    w = rng.standard_normal((kh, kw))
    return w / np.abs(w).sum()


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class KernelPreset:
    """A named kernel for the app: how to show it and how to build it.

    ``build(size)`` returns a float64 (size, size) array; ``size`` must be one of ``sizes``
    (``None`` means ``default_size``).
    """

    name: str
    key: str
    description: str
    sizes: tuple[int, ...]
    default_size: int
    maker: Callable[[int], np.ndarray] = field(repr=False, compare=False)

    def build(self, size: int | None = None) -> np.ndarray:
        """The kernel at ``size`` (default ``default_size``), float64 2-D."""
        if size is None:
            size = self.default_size
        if isinstance(size, bool) or size not in self.sizes:
            allowed = ", ".join(str(s) for s in self.sizes)
            raise ValueError(
                f"size {size!r} is not available for {self.key!r}; choose one of {allowed}."
            )
        return np.asarray(self.maker(int(size)), dtype=np.float64)


def _gaussian_for_size(size: int) -> np.ndarray:
    """The preset Gaussian: sigma grows with the size, sigma = (size - 1) / 4 (radius 2 sigma)."""
    return gaussian(size, sigma=(size - 1) / 4)


_PRESET_LIST = (
    KernelPreset(
        "Sobel x",
        "sobel_x",
        "Responds to brightness rising from left to right; the classic separable edge "
        "detector: [1,2,1]ᵀ · [−1,0,1].",
        (3, 5, 7),
        3,
        sobel_x,
    ),
    KernelPreset(
        "Sobel y",
        "sobel_y",
        "Responds to brightness rising from top to bottom; it is Sobel x turned on its side: "
        "[−1,0,1]ᵀ · [1,2,1].",
        (3, 5, 7),
        3,
        sobel_y,
    ),
    KernelPreset(
        "Scharr x",
        "scharr_x",
        "A left-to-right edge detector like Sobel x but with weights [3,10,3]ᵀ · [−1,0,1] "
        "that treat diagonal edges more fairly.",
        (3,),
        3,
        lambda size: scharr_x(),
    ),
    KernelPreset(
        "Scharr y",
        "scharr_y",
        "A top-to-bottom edge detector with weights [−1,0,1]ᵀ · [3,10,3], the transpose "
        "of Scharr x.",
        (3,),
        3,
        lambda size: scharr_y(),
    ),
    KernelPreset(
        "Prewitt x",
        "prewitt_x",
        "A left-to-right edge detector that averages the three rows equally: [1,1,1]ᵀ · [−1,0,1].",
        (3,),
        3,
        lambda size: prewitt_x(),
    ),
    KernelPreset(
        "Prewitt y",
        "prewitt_y",
        "A top-to-bottom edge detector that averages the three columns equally: "
        "[−1,0,1]ᵀ · [1,1,1].",
        (3,),
        3,
        lambda size: prewitt_y(),
    ),
    KernelPreset(
        "Gaussian blur",
        "gaussian",
        "A smooth blur whose weights fall off like a bell curve, separable as a 1-D "
        "Gaussian column times the same Gaussian row.",
        (3, 5, 7, 9),
        5,
        _gaussian_for_size,
    ),
    KernelPreset(
        "Box blur",
        "box",
        "Replaces each pixel by the plain average of its neighbourhood, the simplest "
        "separable blur.",
        (3, 5, 7, 9),
        3,
        box,
    ),
    KernelPreset(
        "Identity",
        "identity",
        "A single 1 in the middle that copies the image unchanged, useful as a sanity check.",
        (1, 3, 5, 7),
        3,
        identity,
    ),
    KernelPreset(
        "Laplacian",
        "laplacian",
        "Compares each pixel with its four neighbours to find edges in every direction, "
        "and it is not separable (rank 2).",
        (3,),
        3,
        lambda size: laplacian(),
    ),
    KernelPreset(
        "Sharpen",
        "sharpen",
        "Boosts each pixel against its four neighbours so that edges look crisper.",
        (3,),
        3,
        lambda size: sharpen(),
    ),
    KernelPreset(
        "Emboss",
        "emboss",
        "Adds a diagonal derivative to the image so that it looks pressed into metal.",
        (3,),
        3,
        lambda size: emboss(),
    ),
    KernelPreset(
        "Outline",
        "outline",
        "Subtracts all eight neighbours from eight times the pixel, leaving only outlines.",
        (3,),
        3,
        lambda size: outline(),
    ),
    KernelPreset(
        "Motion blur",
        "motion_blur",
        "Averages along the diagonal as if the camera moved during the shot, a blur that "
        "cannot be split into a column and a row.",
        (3, 5, 7, 9),
        5,
        motion_blur,
    ),
    KernelPreset(
        "Random separable",
        "random_separable",
        "A seeded random column times a seeded random row, so it is separable by construction.",
        (3, 5, 7),
        3,
        lambda size: random_kernel((size, size), seed=0, separable=True),
    ),
    KernelPreset(
        "Random",
        "random",
        "Seeded random weights with no structure, which are almost never separable.",
        (3, 5, 7),
        3,
        lambda size: random_kernel((size, size), seed=0),
    ),
)

PRESETS: dict[str, KernelPreset] = {preset.key: preset for preset in _PRESET_LIST}


def get_kernel(key: str, size: int | None = None) -> np.ndarray:
    """Build the preset ``key`` at ``size`` (default: its ``default_size``)."""
    if key not in PRESETS:
        known = ", ".join(PRESETS)
        raise ValueError(f"key {key!r} is not a known kernel; choose one of {known}.")
    return PRESETS[key].build(size)


# ------------------------------------------------------------------ depthwise kernels

CHANNEL_FAMILIES: dict[str, str] = {
    "sobel": "Each channel gets a different detector in turn: Sobel x, Sobel y, a second "
    "derivative (the Laplacian at 3×3; from 4×4 up the Laplacian smoothed by a binomial blur, "
    "centred between pixels at even sizes; the mixed derivative ∂²/∂x∂y at 2×2) and a "
    "binomial blur (at 1×1 they are the scales 1, −1, 2 and ½).",
    "gaussian": "Every channel is blurred by the same Gaussian.",
    "box": "Every channel is blurred by the same box average.",
    "random": "Every channel gets its own seeded random kernel.",
    "identity": "Every channel is copied unchanged, so the output equals the input.",
    "scharr": "Scharr x and Scharr y in turn (3×3 only).",
    "prewitt": "Prewitt x and Prewitt y in turn (3×3 only).",
    "laplacian": "Every channel gets the 4-neighbour Laplacian (3×3 only).",
    "sharpen": "Every channel is sharpened: identity minus Laplacian (3×3 only).",
}
# Families written out at one size: their only kernel size.
FIXED_SIZES: dict[str, int] = {"scharr": 3, "prewitt": 3, "laplacian": 3, "sharpen": 3}
_CYCLES = {"scharr": (scharr_x, scharr_y), "prewitt": (prewitt_x, prewitt_y)}


def _laplacian_like(size: int) -> np.ndarray:
    """A second-derivative kernel of any size >= 2.

    Size 3 is ``laplacian()``; larger sizes are it convolved with the binomial blur
    ``binomial(size - 2)^T . binomial(size - 2)`` (written as a sum of two outer products):
    a smoothed Laplacian, whose centre lies between pixels at even sizes. Size 2 is the
    mixed derivative ``[-1, 1]^T . [-1, 1]``.
    """
    if size == 2:
        return np.outer([-1.0, 1.0], [-1.0, 1.0])
    b = binomial(size - 2)
    centre = np.convolve([0.0, 1.0, 0.0], b)
    second = np.convolve([1.0, -2.0, 1.0], b)
    return np.outer(centre, second) + np.outer(second, centre)


def sobel_cycle_names(size: int) -> tuple[str, str, str, str]:
    """What the four kernels of the "sobel" family are at ``size``, in cycle order.

    The third is the Laplacian at 3×3 and a smoothed one (the Laplacian convolved with a
    binomial blur) from 4×4 up; at 2×2 it is the mixed derivative ``[-1, 1]^T . [-1, 1]``
    (rank 1, unlike a Laplacian), and at 1×1 all four are scales.
    """
    size = _check_int(size, "size", 1)
    if size == 1:
        return ("scale 1", "scale −1", "scale 2", "scale ½")
    second = {2: "mixed derivative ∂²/∂x∂y", 3: "Laplacian"}.get(size, "smoothed Laplacian")
    return ("Sobel x", "Sobel y", second, "binomial blur")


def _sobel_cycle(size: int, index: int) -> np.ndarray:
    """Kernel number ``index`` of the "sobel" family (a cycle of four)."""
    if size == 1:
        return np.array([[(1.0, -1.0, 2.0, 0.5)[index % 4]]])
    b = binomial(size)
    makers = (sobel_x, sobel_y, _laplacian_like, lambda s: np.outer(b, b) / b.sum() ** 2)
    return makers[index % 4](size)


def channel_kernels(
    family: str, size: int, channels: int, multiplier: int = 1, seed: int = 0
) -> np.ndarray:
    """A depthwise kernel stack of shape (size, size, channels, multiplier), float64.

    Parameters
    ----------
    family : str
        One of ``CHANNEL_FAMILIES``. "sobel" cycles Sobel x, Sobel y, a second
        derivative and a binomial blur over the filters (``sobel_cycle_names``);
        "scharr" and "prewitt" alternate their x and y kernels; "random" draws each
        filter from ``seed``; the others repeat one kernel.
    size : int
        Kernel height and width, at least 1; the one size in ``FIXED_SIZES`` for the
        families written out at one size.
    channels : int
        Number of input channels, at least 1.
    multiplier : int, optional
        Filters per input channel (depth multiplier), at least 1.
    seed : int, optional
        Seed for the "random" family.

    Returns
    -------
    ndarray, shape (size, size, channels, multiplier)
        ``out[:, :, c, m]`` is filter ``m`` of channel ``c``.
    """
    if family not in CHANNEL_FAMILIES:
        known = ", ".join(CHANNEL_FAMILIES)
        raise ValueError(f"family must be one of {known}, got {family!r}.")
    size = _check_int(size, "size", 1)
    channels = _check_int(channels, "channels", 1)
    multiplier = _check_int(multiplier, "multiplier", 1)
    seed = _check_int(seed, "seed", 0)

    if family in FIXED_SIZES and size != FIXED_SIZES[family]:
        fixed = FIXED_SIZES[family]
        raise ValueError(f"the {family} family is {fixed}×{fixed} only, got size {size}.")
    shape = (size, size, channels, multiplier)
    if family in _CYCLES:
        makers = _CYCLES[family]
        out = np.empty(shape)
        for n in range(channels * multiplier):
            out[:, :, n // multiplier, n % multiplier] = makers[n % len(makers)]()
        return out
    if family == "random":
        w = np.random.default_rng(seed).standard_normal(shape)
        return w / np.abs(w).sum(axis=(0, 1), keepdims=True)
    if family == "sobel":
        out = np.empty(shape)
        for c in range(channels):
            for m in range(multiplier):
                out[:, :, c, m] = _sobel_cycle(size, c * multiplier + m)
        return out
    if family == "gaussian":
        one = _gaussian_for_size(size) if size > 1 else np.ones((1, 1))
    elif family in FIXED_SIZES:
        one = laplacian() if family == "laplacian" else sharpen()
    else:
        one = box(size) if family == "box" else identity(size)
    return np.broadcast_to(one[:, :, None, None], shape).copy()


# ----------------------------------------------------------------------------- layer weights


def random_weights(shape, seed: int = 0) -> np.ndarray:
    """Seeded random weights for a layer, each output's weights summing to 1 in absolute value.

    The last axis is the output axis: a pointwise matrix (Cin, Cout) or a normal convolution kernel
    (kh, kw, Cin, Cout). Normalising per output keeps every output of an image in [0, 1] inside
    [-1, 1], whatever the number of inputs, so figures stay comparable::

        w[..., o] = z[..., o] / sum |z[..., o]|,     z ~ N(0, 1)
    """
    try:
        shape = tuple(_check_int(n, "shape", 1) for n in shape)
    except TypeError:
        raise ValueError(f"shape must be a tuple of whole numbers, got {shape!r}.") from None
    if not shape:
        raise ValueError("shape must have at least one axis.")
    z = np.random.default_rng(_check_int(seed, "seed", 0)).standard_normal(shape)
    axes = tuple(range(len(shape) - 1))
    return z / np.abs(z).sum(axis=axes, keepdims=True) if axes else z / np.abs(z)


def pointwise_weights(in_channels: int, out_channels: int, seed: int = 0) -> np.ndarray:
    """Seeded random 1×1 mixing weights, shape (in_channels, out_channels); see random_weights."""
    return random_weights((in_channels, out_channels), seed)
