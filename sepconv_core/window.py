"""Inside one output pixel: the numbers a separable convolution multiplies there.

A depthwise output value is a small dot product. For output position (row, col) and
output channel n = c*M + m, the kernel m of input channel c lies on a kh × kw patch of
that channel whose top-left corner is at ``(row*stride - pad_top, col*stride - pad_left)``::

    patch (channel c)        kernel (c, m)          products          sum
    [[p00, p01, p02],        [[k00, k01, k02],      p00*k00 ...
     [p10, p11, p12],    ⊙    [k10, k11, k12],   =  ...           ->  Σ = out[row, col, n]
     [p20, p21, p22]]         [k20, k21, k22]]      ... p22*k22

Under 'same' padding part of the patch may lie outside the image: those cells are zeros
(a boolean mask says which). The pointwise value at the same pixel is another dot product,
the Cin*M depthwise values times one column of the (Cin*M, Cout) weight matrix.

``receptive_field`` gives the input rectangle an output pixel sees, ``depthwise_window``
and ``pointwise_window`` every number of the two dot products, and ``sum_matches`` says
whether a sum of products is an output value up to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._checks import kernel_pair, whole
from ._padding import (
    check_dilation,
    check_geometry,
    check_padding,
    output_size,
    pad_amounts,
)
from .conv import _as_depthwise_kernel, _as_image, _check_channels, _pointwise_matrix

__all__ = [
    "DepthwiseWindow",
    "PointwiseWindow",
    "ReceptiveField",
    "depthwise_window",
    "pointwise_window",
    "receptive_field",
    "rounding_bound",
    "separable_rounding_bound",
    "sum_matches",
    "sum_matches_within",
]


@dataclass(frozen=True)
class ReceptiveField:
    """The input rectangle one output pixel sees, corners inclusive.

    Attributes
    ----------
    top, left : int
        Input row and column of the first cell; negative inside the top/left padding.
    bottom, right : int
        Input row and column of the last cell; at least ``height``/``width`` inside the
        bottom/right padding.
    dilation : int
        Spacing of the kernel's taps inside the rectangle (1: every cell is a tap).
    """

    top: int
    left: int
    bottom: int
    right: int
    dilation: int = 1

    @property
    def rows(self) -> tuple[int, ...]:
        """Input rows of the kernel's taps, ``top, top + d, ..., bottom``."""
        return tuple(range(self.top, self.bottom + 1, self.dilation))

    @property
    def cols(self) -> tuple[int, ...]:
        """Input columns of the kernel's taps, ``left, left + d, ..., right``."""
        return tuple(range(self.left, self.right + 1, self.dilation))


@dataclass(frozen=True, eq=False)
class DepthwiseWindow:
    """Every number of the depthwise dot products at one output position.

    Attributes
    ----------
    row, col : int
        The output position.
    field : ReceptiveField
        Where the patch lies in input coordinates.
    patches : ndarray, shape (Cin * M, kh, kw)
        ``patches[n]`` is what the kernel of channel ``n`` multiplies: input channel
        ``n // M`` at the taps (``field.rows`` × ``field.cols``; every ``dilation``-th
        pixel), with zeros where a tap lies in the padding.
    padding_mask : ndarray of bool, shape (kh, kw)
        True for the taps that lie in the padding (the same for every channel).
    kernels : ndarray, shape (Cin * M, kh, kw)
        ``kernels[c*M + m]`` is ``depthwise_kernel[:, :, c, m]``.
    products : ndarray, shape (Cin * M, kh, kw)
        ``patches * kernels``, element by element.
    sums : ndarray, shape (Cin * M,)
        ``products`` summed over each patch: the depthwise output at (row, col, n).
    multiplier : int
        M, the kernels per input channel.
    """

    row: int
    col: int
    field: ReceptiveField
    patches: np.ndarray
    padding_mask: np.ndarray
    kernels: np.ndarray
    products: np.ndarray
    sums: np.ndarray
    multiplier: int


@dataclass(frozen=True, eq=False)
class PointwiseWindow:
    """Every number of the pointwise dot products at one pixel.

    Attributes
    ----------
    row, col : int
        The pixel.
    values : ndarray, shape (Cin * M,)
        The depthwise values at that pixel.
    weights : ndarray, shape (Cin * M, Cout)
        The pointwise weights.
    products : ndarray, shape (Cin * M, Cout)
        ``values[:, None] * weights``.
    sums : ndarray, shape (Cout,)
        ``products`` summed down each column: the pointwise output at (row, col, o).
    """

    row: int
    col: int
    values: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    sums: np.ndarray


def _check_index(value, size: int, name: str) -> int:
    """``value`` as an int in ``0 .. size - 1``, or a ``ValueError`` naming ``name``."""
    value = whole(value, name, 0)
    if value >= size:
        raise ValueError(f"{name} must be between 0 and {size - 1} (the output size), got {value}.")
    return value


def receptive_field(
    row, col, kernel_size, *, stride=1, padding="valid", dilation=1, height, width
) -> ReceptiveField:
    """The input rectangle that output pixel (row, col) sees.

    Parameters
    ----------
    row, col : int
        Output position, ``0 <= row < H'`` and ``0 <= col < W'``.
    kernel_size : int or (int, int)
        k for a k × k kernel, or (kh, kw).
    stride : int, optional
    padding : {'valid', 'same'}, optional
        TensorFlow's rule (see ``sepconv_core._padding``).
    dilation : int, optional
        Spacing of the taps (Keras ``dilation_rate``): the field spans (k - 1)*d + 1
        pixels and the taps are every d-th of them (``.rows``, ``.cols``).
    height, width : int
        The input size H, W.

    Returns
    -------
    ReceptiveField
        ``top = row*stride - pad_top`` and ``bottom = top + (kh - 1)*d`` (likewise for
        columns); under 'same' it may reach outside the image, into the padding.

    Raises
    ------
    ValueError
        If ``row`` or ``col`` is outside the output, or another argument is invalid.
    """
    kh, kw = kernel_pair(kernel_size)
    stride, padding, d = check_geometry(stride, padding, dilation)
    row = _check_index(row, output_size(height, kh, stride, padding, d), "row")
    col = _check_index(col, output_size(width, kw, stride, padding, d), "col")
    top = row * stride - pad_amounts(height, kh, stride, padding, d)[0]
    left = col * stride - pad_amounts(width, kw, stride, padding, d)[0]
    return ReceptiveField(top, left, top + (kh - 1) * d, left + (kw - 1) * d, d)


def depthwise_window(
    image, depthwise_kernel, row, col, *, stride=1, padding="valid", dilation=1
) -> DepthwiseWindow:
    """The patches, kernels, products and sums behind depthwise output pixel (row, col).

    ``sums[c*M + m] = Σ_ij patch_c[i, j] * depthwise_kernel[i, j, c, m]``, which is
    ``depthwise_conv2d(image, depthwise_kernel, ...)[row, col, c*M + m]``.

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
    depthwise_kernel : array_like, shape (kh, kw, Cin, M) or (kh, kw, Cin)
    row, col : int
        Output position.
    stride : int, optional
    padding : {'valid', 'same'}, optional
    dilation : int, optional
        As in ``receptive_field``; the patches hold the taps only.

    Returns
    -------
    DepthwiseWindow
        In the image's floating dtype (float64 for integer images), like the convolution.

    Raises
    ------
    ValueError
        If ``row`` or ``col`` is outside the output, or the arrays do not fit together.
    """
    x = _as_image(image)
    d = _as_depthwise_kernel(depthwise_kernel, "depthwise_kernel", x.dtype)
    kh, kw, cin, m = d.shape
    _check_channels(cin, x.shape[2], "depthwise_kernel")
    h, w = x.shape[:2]
    dil = check_dilation(dilation)
    span_h, span_w = (kh - 1) * dil + 1, (kw - 1) * dil + 1
    if check_padding(padding) == "valid" and (span_h > h or span_w > w):
        spans = f" (spanning {span_h} × {span_w} with dilation {dil})" if dil > 1 else ""
        raise ValueError(
            f"depthwise_kernel is {kh} × {kw}{spans} but the image is only {h} × {w}: with "
            "padding='valid' there is no position where it fits."
        )
    field = receptive_field(
        row, col, (kh, kw), stride=stride, padding=padding, dilation=dil, height=h, width=w
    )
    ys, xs = np.array(field.rows), np.array(field.cols)
    inside = ((ys >= 0) & (ys < h))[:, None] & ((xs >= 0) & (xs < w))[None, :]
    patch = np.zeros((cin, kh, kw), dtype=x.dtype)
    ii, jj = np.nonzero(inside)
    patch[:, ii, jj] = x[ys[ii], xs[jj], :].T
    patches = np.repeat(patch, m, axis=0)  # channel c*M + m sees input channel c
    kernels = d.reshape(kh, kw, cin * m).transpose(2, 0, 1)
    products = patches * kernels
    return DepthwiseWindow(
        row=int(row),
        col=int(col),
        field=field,
        patches=patches,
        padding_mask=~inside,
        kernels=kernels,
        products=products,
        sums=products.sum(axis=(1, 2)),
        multiplier=m,
    )


def pointwise_window(depthwise_output, pointwise_kernel, row, col) -> PointwiseWindow:
    """The values, weights, products and sums behind pointwise output pixel (row, col).

    ``sums[o] = Σ_n depthwise_output[row, col, n] * pointwise_kernel[n, o]``, which is
    ``pointwise_conv2d(depthwise_output, pointwise_kernel)[row, col, o]``.

    Parameters
    ----------
    depthwise_output : array_like, shape (H', W', Cin * M) or (H', W')
    pointwise_kernel : array_like, shape (Cin * M, Cout) or (1, 1, Cin * M, Cout)
    row, col : int
        The pixel, ``0 <= row < H'`` and ``0 <= col < W'``.

    Returns
    -------
    PointwiseWindow
        In the depthwise output's floating dtype.

    Raises
    ------
    ValueError
        If ``row`` or ``col`` is outside the image, or the arrays do not fit together.
    """
    x = _as_image(depthwise_output, "depthwise_output")
    p = _pointwise_matrix(pointwise_kernel, "pointwise_kernel", x.dtype)
    _check_channels(p.shape[0], x.shape[2], "pointwise_kernel")
    row = _check_index(row, x.shape[0], "row")
    col = _check_index(col, x.shape[1], "col")
    values = x[row, col, :].copy()
    products = values[:, None] * p
    return PointwiseWindow(row, col, values, p, products, products.sum(axis=0))


def rounding_bound(products, dtype=np.float32) -> float:
    """How far rounding can move a sum of products computed in ``dtype``.

    A dot product of n terms computed in floating point, in any order, is within
    ``γ_n · Σ|products|`` of the exact sum, with ``γ_n = n·u / (1 − n·u)`` and ``u`` the
    unit roundoff of ``dtype`` (Higham, *Accuracy and Stability of Numerical Algorithms*,
    §3.1); rounding the two factors of each product to ``dtype`` first adds 2 to n. The
    bound is scaled by Σ|products|, not by the sum: when large products cancel (a Sobel
    kernel on a smooth patch) the sum is small and its rounding error is not.

    Parameters
    ----------
    products : array_like
        The terms of one sum, any shape.
    dtype : floating dtype, optional
        The precision the sum was computed in (the app's outputs are float32).

    Returns
    -------
    float
        Twice the bound (both the output and the sum it is compared with may carry it),
        plus the smallest normal number of ``dtype`` per term for underflow.
    """
    p = np.abs(np.asarray(products, dtype=np.float64)).ravel()
    info = np.finfo(dtype)
    n = p.size + 2
    u = float(info.eps) / 2
    gamma = n * u / (1 - n * u) if n * u < 1 else math.inf
    return 2 * gamma * math.fsum(p) + float(info.smallest_normal) * n


def sum_matches(products, value, dtype=np.float32) -> bool:
    """True when ``value``, an output computed in ``dtype``, is Σ ``products`` up to rounding.

    Use it wherever a page says "that sum **is** the output": a fixed tolerance says "they
    differ" when large products cancel, this never does for a correct output, yet still
    catches a wrong one (a different pixel, channel or kernel) unless it happens to be
    within a few units of roundoff of Σ|products|.

    Parameters
    ----------
    products : array_like
        The terms (e.g. ``DepthwiseWindow.products[n]``, ``PointwiseWindow.products[:, o]``).
    value : float
        The output value read from the convolution's result.
    dtype : floating dtype, optional
        The precision of that result.

    Examples
    --------
    >>> p = np.array([1000.25, -1000.0, 0.0625])  # cancels down to 0.3125
    >>> sum_matches(p, np.float32(1000.25) - np.float32(1000.0) + np.float32(0.0625))
    True
    >>> sum_matches(p, 0.32)
    False
    """
    return sum_matches_within(products, value, rounding_bound(products, dtype))


def sum_matches_within(products, value, bound: float) -> bool:
    """True when ``value`` is within ``bound`` of the exact Σ ``products`` (``sum_matches``
    with a bound of the caller's, e.g. one that also covers another path's rounding)."""
    exact = math.fsum(np.asarray(products, dtype=np.float64).ravel())
    return bool(abs(exact - float(value)) <= bound)


def separable_rounding_bound(depthwise_products, weights, dtype=np.float32) -> float:
    """How far rounding can move one output of a separable layer computed in ``dtype``.

    The output is Σ_i w_i · d_i, where d_i = Σ ``depthwise_products[i]`` is the depthwise value
    of channel i, itself rounded. Each d_i is off by at most ``rounding_bound(products_i)``,
    which the weight scales by |w_i|; the pointwise sum then rounds its n terms, each at most
    |w_i| · Σ|products_i| in size. The sum of the two is the bound (with ``rounding_bound``'s
    factor 2 and underflow allowance). It follows the separable path's own terms: with M > 1
    the equivalent kernel Σ_m D_m · P_m can cancel to almost nothing (so the normal
    convolution's products are tiny) while every depthwise sum still rounds at its own size.

    Parameters
    ----------
    depthwise_products : array_like, shape (n, ...)
        The products behind each depthwise value (``DepthwiseWindow.products``).
    weights : array_like, shape (n,)
        One output's pointwise weights (``pointwise_kernel[:, o]``).
    dtype : floating dtype, optional
        The precision the layer was computed in.
    """
    w = np.abs(np.asarray(weights, dtype=np.float64)).ravel()
    d = np.asarray(depthwise_products, dtype=np.float64).reshape(w.size, -1)
    inner = math.fsum(wi * rounding_bound(di, dtype) for wi, di in zip(w, d, strict=True))
    sizes = w * np.abs(d).sum(axis=1)  # each pointwise product, at most
    return inner + rounding_bound(sizes, dtype)
