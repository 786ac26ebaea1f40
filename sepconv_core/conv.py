"""Standard, depthwise, pointwise and separable convolutions, in numpy.

Layouts follow Keras/TensorFlow: an image is ``(H, W, C)`` (a 2-D ``(H, W)`` array is
one channel), a kernel is ``(kh, kw, Cin, Cout)`` and a depthwise kernel is
``(kh, kw, Cin, M)``. Like Keras and PyTorch, "convolution" here means
cross-correlation: the kernel is not flipped (``flip_kernel`` gives the true one).

Two private engines do all the arithmetic, each the fastest plain-numpy shape for
its job, and both work through the output one cache-sized block of rows at a time,
zero-padding just the input rows that block needs (TensorFlow's rule, ``_padding``):

* ``_im2col_matmul`` (standard convolution): gather the block's receptive fields into
  a patch matrix and multiply it by the flattened kernel -- one matrix multiply.
* ``_tap_sum`` (depthwise convolution, plane correlation, and the depthwise half of a
  separable one): for each kernel tap, multiply a shifted view of the rows by that
  tap's weights and add it in, in place.

The public functions validate their arguments and call one of them.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._padding import (
    check_geometry,
    effective_size,
    output_size,
    pad_amounts,
)

__all__ = [
    "conv2d",
    "correlate2d",
    "correlate2d_separable",
    "depthwise_conv2d",
    "effective_size",
    "equivalent_kernel",
    "flip_kernel",
    "pointwise_conv2d",
    "separable_conv2d",
]

# Elements of one block of output rows in ``_tap_sum`` (1 MiB in float32): the block,
# its scratch and its padded input rows stay in cache while every tap passes over them.
_BLOCK_ELEMENTS = 1 << 18
# Elements of one block of the patch matrix in ``_im2col_matmul`` (4 MiB in float32):
# cache-resident, yet few and large matrix multiplies.
_PATCH_ELEMENTS = 1 << 20


# --------------------------------------------------------------------------- checks


def _real_array(x, name: str) -> np.ndarray:
    """``x`` as a non-empty array of real numbers, or a ``ValueError`` naming ``name``."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}.")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}).")
    return a


def _compute_dtype(image: np.ndarray) -> np.dtype:
    """The image's floating dtype; integer and boolean images compute in float64."""
    return image.dtype if image.dtype.kind == "f" else np.dtype(np.float64)


def _as_image(image, name: str = "image") -> np.ndarray:
    """``image`` as a floating ``(H, W, C)`` array (a 2-D array is one channel)."""
    a = _real_array(image, name)
    if a.ndim == 2:
        a = a[:, :, np.newaxis]
    if a.ndim != 3:
        raise ValueError(f"{name} must be 2-D (H, W) or 3-D (H, W, C), got {a.ndim}-D {a.shape}.")
    return a.astype(_compute_dtype(a), copy=False)


def _as_plane(plane) -> np.ndarray:
    """``plane`` as a floating 2-D array."""
    a = _real_array(plane, "plane")
    if a.ndim != 2:
        raise ValueError(f"plane must be 2-D (H, W), got {a.ndim}-D {a.shape}.")
    return a.astype(_compute_dtype(a), copy=False)


def _as_kernel(kernel, name: str, ndims: tuple[int, ...], layout: str, dtype) -> np.ndarray:
    """``kernel`` cast to ``dtype``, checked to have one of ``ndims`` dimensions."""
    k = _real_array(kernel, name)
    if k.ndim not in ndims:
        raise ValueError(f"{name} must be shaped {layout}, got {k.ndim}-D {k.shape}.")
    return k.astype(dtype, copy=False)


def _check_channels(kernel_channels: int, image_channels: int, name: str = "kernel") -> None:
    if kernel_channels != image_channels:
        raise ValueError(
            f"{name} has {kernel_channels} input channels but the image has {image_channels}."
        )


def _check_fits(n: int, k: int, axis: str, name: str, padding: str, dilation: int = 1) -> None:
    """Under 'valid' the kernel (its dilated span) must fit inside the image along ``axis``."""
    span = effective_size(k, dilation)
    if padding == "valid" and span > n:
        spans = f", spanning {span} with dilation {dilation}," if span > k else ""
        raise ValueError(
            f"{name} is {k} {axis}{spans} but the image is only {n}: with padding='valid' "
            "there is no position where it fits (use padding='same' or a smaller kernel)."
        )


def _geometry(shape, ksize, strides, padding: str, name: str, dilation: int = 1):
    """Pads ``((top, bottom), (left, right))`` and output size ``(H', W')``."""
    (h, w), (kh, kw), (sy, sx), d = shape, ksize, strides, dilation
    _check_fits(h, kh, "rows tall", name, padding, d)
    _check_fits(w, kw, "columns wide", name, padding, d)
    pads = (pad_amounts(h, kh, sy, padding, d), pad_amounts(w, kw, sx, padding, d))
    out = (output_size(h, kh, sy, padding, d), output_size(w, kw, sx, padding, d))
    return pads, out


# --------------------------------------------------------------------------- engines


def _fill_band(band: np.ndarray, image: np.ndarray, y0: int, top: int, left: int) -> None:
    """Copy rows ``y0 : y0 + len(band)`` of the zero-padded ``image`` into ``band``.

    ``band`` is (n, left + W + right, ...) with its border columns already zero; rows
    that fall in the top or bottom padding are zeroed here. Padding one band at a time
    keeps the working set in cache and never allocates a padded copy of the image.
    """
    n, (h, w) = band.shape[0], image.shape[:2]
    lo, hi = min(max(top - y0, 0), n), min(max(top + h - y0, 0), n)
    band[:lo] = 0
    band[hi:] = 0
    band[lo:hi, left : left + w] = image[y0 + lo - top : y0 + hi - top]


def _im2col_matmul(image: np.ndarray, kernel: np.ndarray, stride: int, pads, out_size, dilation=1):
    """Standard convolution as patches @ kernel, one matrix multiply per block of rows.

    ``image`` (H, W, Cin), ``kernel`` (kh, kw, Cin, Cout) of the same dtype. For each
    block of output rows the padded input rows are copied channels-first, so each row
    of the patch matrix (one tap of one channel at every position of the block) is a
    long strided run; then ``patches.T @ kernel`` lands straight in the output rows.
    Blocks of about ``_PATCH_ELEMENTS`` keep the patches in cache instead of
    building the whole (H'W', kh*kw*Cin) matrix at once. With ``dilation`` d each
    window spans (kh - 1)*d + 1 rows and the taps are every d-th of them.
    """
    (_, w, cin), (kh, kw, _, cout), d = image.shape, kernel.shape, dilation
    ((top, _), (left, right)), (oh, ow) = pads, out_size
    span_h, span_w = (kh - 1) * d + 1, (kw - 1) * d + 1
    taps, dtype = kh * kw * cin, image.dtype
    weights = kernel.reshape(taps, cout)  # rows in (i, j, c) order, like the patches
    rows = max(1, min(oh, _PATCH_ELEMENTS // (taps * ow)))
    planes = np.zeros((cin, (rows - 1) * stride + span_h, left + w + right), dtype=dtype)
    scratch = np.empty(taps * rows * ow, dtype=dtype)
    out = np.empty((oh, ow, cout), dtype=dtype)
    for r0 in range(0, oh, rows):
        n = min(rows, oh - r0)
        band = planes[:, : (n - 1) * stride + span_h]
        _fill_band(band.transpose(1, 2, 0), image, r0 * stride, top, left)
        windows = sliding_window_view(band, (span_h, span_w), axis=(1, 2))  # (Cin, ., ., ., .)
        windows = windows[:, ::stride, : (ow - 1) * stride + 1 : stride, ::d, ::d]
        patches = scratch[: taps * n * ow].reshape(kh, kw, cin, n, ow)
        np.copyto(patches, windows.transpose(3, 4, 0, 1, 2))
        np.matmul(patches.reshape(taps, -1).T, weights, out=out[r0 : r0 + n].reshape(-1, cout))
    return out


def _tap_sum(
    image, weights, strides, pads, out_size, multiplier=1, pointwise=None, dilation=(1, 1)
):
    """Per-channel correlation, ``z[y, x, c] = sum_ij padded[y*sy+i*dy, x*sx+j*dx, c] w[i, j, c]``.

    ``image`` (H, W, C); ``weights`` (kh, kw, C*M) of the same dtype, where each input
    channel is used ``multiplier`` (M) times in a row (output channel c*M + m). Over
    blocks of output rows, each tap costs one multiply into a scratch block and one
    add into the accumulator, both in place; each tap's weights are first laid along a
    whole output row so both run over contiguous (W' * C*M) runs. With ``pointwise``
    (C*M, Cout) each finished block is multiplied by it (a fused separable
    convolution), so the depthwise result never exists in full.
    """
    (_, w, cin), (kh, kw, c), (sy, sx), (oh, ow) = image.shape, weights.shape, strides, out_size
    ((top, _), (left, right)), dtype, (dy, dx) = pads, image.dtype, dilation
    tall = (kh - 1) * dy + 1  # rows one dilated kernel spans
    rows = max(1, min(oh, _BLOCK_ELEMENTS // (ow * c)))
    span_y, span_x = (rows - 1) * sy + tall, (ow - 1) * sx + 1
    padded = np.zeros((span_y, left + w + right, c), dtype=dtype)
    tmp_block = np.empty((rows, ow, c), dtype=dtype)
    acc_block = None if pointwise is None else np.empty_like(tmp_block)
    if c > 1:  # each tap's channel weights repeated along a whole output row
        weights = np.ascontiguousarray(np.broadcast_to(weights[:, :, None], (kh, kw, ow, c)))
    # with a column stride, each tap column's pixels are first copied side by side
    columns = np.empty((span_y, ow, c), dtype=dtype) if sx > 1 else None
    cout = c if pointwise is None else pointwise.shape[1]
    out = np.empty((oh, ow, cout), dtype=dtype)
    for r0 in range(0, oh, rows):
        n = min(rows, oh - r0)
        band = padded[: (n - 1) * sy + tall]
        wide = band.reshape(len(band), -1, cin, multiplier)  # channel c*M + m is (c, m)
        _fill_band(wide, image[..., np.newaxis], r0 * sy, top, left)
        acc = out[r0 : r0 + n] if pointwise is None else acc_block[:n]
        for j in range(kw):
            x0 = j * dx
            cols = band[:, x0 : x0 + span_x : sx]
            if columns is not None:
                cols = columns[: len(band)]
                np.copyto(cols, band[:, x0 : x0 + span_x : sx])
            for i in range(kh):
                y0 = i * dy
                src = cols[y0 : y0 + (n - 1) * sy + 1 : sy]
                if i == 0 and j == 0:
                    np.multiply(src, weights[i, j], out=acc)
                else:
                    np.multiply(src, weights[i, j], out=tmp_block[:n])
                    np.add(acc, tmp_block[:n], out=acc)
        if pointwise is not None:
            np.matmul(acc.reshape(-1, c), pointwise, out=out[r0 : r0 + n].reshape(-1, cout))
    return out


# --------------------------------------------------------------------------- public


def conv2d(image, kernel, *, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Standard 2-D convolution (cross-correlation), every input channel to every output.

    ``out[y, x, o] = sum_{i, j, c} padded[y*s + i*d, x*s + j*d, c] * kernel[i, j, c, o]``

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
        The input; a 2-D array is one channel.
    kernel : array_like, shape (kh, kw, Cin, Cout)
        Any size, rectangular and even ones included.
    stride : int, optional
        Step between output positions, on both axes.
    padding : {'valid', 'same'}, optional
        'valid': no padding. 'same': zeros so the output is ``ceil(H / stride)`` rows,
        the extra one at the bottom/right (TensorFlow's rule).
    dilation : int, optional
        Spacing between kernel taps, on both axes (Keras ``dilation_rate``, PyTorch
        ``dilation``): d - 1 pixels are skipped between neighbouring taps, so a k-tap
        kernel spans (k - 1)*d + 1 pixels. Padding and output size use that span.

    Returns
    -------
    out : ndarray, shape (H', W', Cout)
        In the image's floating dtype (float64 for integer images).
    """
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    x = _as_image(image)
    k = _as_kernel(kernel, "kernel", (4,), "(kh, kw, Cin, Cout)", x.dtype)
    _check_channels(k.shape[2], x.shape[2])
    pads, out_size = _geometry(
        x.shape[:2], k.shape[:2], (stride, stride), padding, "kernel", dilation
    )
    return _im2col_matmul(x, k, stride, pads, out_size, dilation)


def _as_depthwise_kernel(kernel, name: str, dtype) -> np.ndarray:
    k = _as_kernel(kernel, name, (3, 4), "(kh, kw, Cin, M) or (kh, kw, Cin)", dtype)
    return k[..., np.newaxis] if k.ndim == 3 else k


def _depthwise(x, d, stride, padding, name, pointwise=None, dilation=1) -> np.ndarray:
    """Validated depthwise step (optionally fused with a pointwise matrix)."""
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    kh, kw, cin, m = d.shape
    _check_channels(cin, x.shape[2], name)
    pads, out_size = _geometry(x.shape[:2], (kh, kw), (stride, stride), padding, name, dilation)
    weights = d.reshape(kh, kw, cin * m)  # channel c*M + m, TensorFlow's order
    strides, dilations = (stride, stride), (dilation, dilation)
    return _tap_sum(x, weights, strides, pads, out_size, m, pointwise, dilations)


def depthwise_conv2d(image, kernel, *, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Depthwise convolution: each input channel filtered on its own by M kernels.

    ``out[y, x, c*M + m] = sum_{i, j} padded[y*s + i*d, x*s + j*d, c] * kernel[i, j, c, m]``

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
    kernel : array_like, shape (kh, kw, Cin, M) or (kh, kw, Cin)
        M is the depth multiplier (1 for a 3-D kernel).
    stride, padding, dilation : optional
        As in ``conv2d``.

    Returns
    -------
    out : ndarray, shape (H', W', Cin * M)
        Output channel ``c*M + m`` is input channel ``c`` under filter ``m``
        (TensorFlow's order).
    """
    x = _as_image(image)
    k = _as_depthwise_kernel(kernel, "kernel", x.dtype)
    return _depthwise(x, k, stride, padding, "kernel", dilation=dilation)


def _pointwise_matrix(kernel, name: str, dtype) -> np.ndarray:
    k = _as_kernel(kernel, name, (2, 4), "(Cin, Cout) or (1, 1, Cin, Cout)", dtype)
    if k.ndim == 4:
        if k.shape[:2] != (1, 1):
            raise ValueError(f"{name} must be 1 x 1 spatially, got {k.shape[0]} x {k.shape[1]}.")
        k = k[0, 0]
    return k


def pointwise_conv2d(image, kernel) -> np.ndarray:
    """Pointwise (1 x 1) convolution: a per-pixel matrix product mixing channels.

    ``out[y, x, o] = sum_c image[y, x, c] * kernel[c, o]``

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
    kernel : array_like, shape (Cin, Cout) or (1, 1, Cin, Cout)

    Returns
    -------
    out : ndarray, shape (H, W, Cout)
    """
    x = _as_image(image)
    k = _pointwise_matrix(kernel, "kernel", x.dtype)
    _check_channels(k.shape[0], x.shape[2])
    h, w, c = x.shape
    return (x.reshape(h * w, c) @ k).reshape(h, w, k.shape[1])


def separable_conv2d(
    image, depthwise_kernel, pointwise_kernel, *, stride=1, padding="valid", dilation=1
) -> np.ndarray:
    """Depthwise-separable convolution: depthwise, then pointwise.

    Equal to ``pointwise_conv2d(depthwise_conv2d(image, D, ...), P)`` and to
    ``conv2d(image, equivalent_kernel(D, P), ...)``, for a fraction of the
    multiplications. The two steps run one block of rows at a time, so the
    depthwise result is never stored in full.

    Parameters
    ----------
    image : array_like, shape (H, W, Cin) or (H, W)
    depthwise_kernel : array_like, shape (kh, kw, Cin, M) or (kh, kw, Cin)
    pointwise_kernel : array_like, shape (Cin*M, Cout) or (1, 1, Cin*M, Cout)
    stride : int, optional
        Applied by the depthwise step.
    padding : {'valid', 'same'}, optional
    dilation : int, optional
        Of the depthwise step, as in ``conv2d`` (Keras ``SeparableConv2D(dilation_rate=)``).

    Returns
    -------
    out : ndarray, shape (H', W', Cout)
    """
    x = _as_image(image)
    d = _as_depthwise_kernel(depthwise_kernel, "depthwise_kernel", x.dtype)
    p = _pointwise_matrix(pointwise_kernel, "pointwise_kernel", x.dtype)
    _check_pointwise_rows(d, p)
    return _depthwise(x, d, stride, padding, "depthwise_kernel", pointwise=p, dilation=dilation)


def _check_pointwise_rows(d: np.ndarray, p: np.ndarray) -> None:
    cin, m = d.shape[2:]
    if p.shape[0] != cin * m:
        raise ValueError(
            f"pointwise_kernel has {p.shape[0]} input channels but the depthwise step "
            f"gives {cin} x {m} = {cin * m}."
        )


def equivalent_kernel(depthwise_kernel, pointwise_kernel) -> np.ndarray:
    """The standard kernel that a separable convolution equals.

    ``K[:, :, i, o] = sum_m D[:, :, i, m] * P[i*M + m, o]``: input channel ``i``'s
    M spatial filters, blended by the pointwise weights of their output channels.

    Parameters
    ----------
    depthwise_kernel : array_like, shape (kh, kw, Cin, M) or (kh, kw, Cin)
    pointwise_kernel : array_like, shape (Cin*M, Cout) or (1, 1, Cin*M, Cout)

    Returns
    -------
    kernel : ndarray, shape (kh, kw, Cin, Cout)
        Floating dtype of the two inputs combined (float64 for integer inputs).
    """
    d0 = _real_array(depthwise_kernel, "depthwise_kernel")
    p0 = _real_array(pointwise_kernel, "pointwise_kernel")
    dtype = np.result_type(d0, p0)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    d = _as_depthwise_kernel(d0, "depthwise_kernel", dtype)
    p = _pointwise_matrix(p0, "pointwise_kernel", dtype)
    _check_pointwise_rows(d, p)
    kh, kw, cin, m = d.shape
    return np.einsum("hwim,imo->hwio", d, p.reshape(cin, m, -1))


def correlate2d(plane, kernel, *, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Correlate one 2-D plane with one 2-D kernel in a single pass.

    Every output pixel costs ``kh * kw`` multiplications.

    Parameters
    ----------
    plane : array_like, shape (H, W)
    kernel : array_like, shape (kh, kw)
    stride, padding, dilation : optional
        As in ``conv2d``.

    Returns
    -------
    out : ndarray, shape (H', W')
    """
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    x = _as_plane(plane)
    k = _as_kernel(kernel, "kernel", (2,), "(kh, kw)", x.dtype)
    strides, dilations = (stride, stride), (dilation, dilation)
    pads, out_size = _geometry(x.shape, k.shape, strides, padding, "kernel", dilation)
    out = _tap_sum(
        x[..., np.newaxis], k[..., np.newaxis], strides, pads, out_size, dilation=dilations
    )
    return out[..., 0]


def _as_vector(v, name: str, shapes: str, axis: int, dtype) -> np.ndarray:
    """A column (axis 1 must be 1) or row (axis 0 must be 1) as a 1-D array."""
    a = _real_array(v, name)
    if a.ndim == 2 and a.shape[axis] == 1:
        a = a.reshape(-1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be shaped {shapes}, got {a.shape}.")
    return a.astype(dtype, copy=False)


def correlate2d_separable(
    plane, column, row, *, stride=1, padding="valid", dilation=1
) -> np.ndarray:
    """Correlate with the kernel ``column @ row`` in two cheap passes.

    A rank-1 kernel such as Sobel's x kernel (``kernels.sobel_x``) is an outer product::

        [[1],                   [[-1, 0, 1],
         [2],  @ [[-1, 0, 1]] = [-2, 0, 2],
         [1]]                    [-1, 0, 1]]

    so the column pass (kh x 1, stride on rows) then the row pass (1 x kw, stride
    on columns) give the same output for ``kh + kw`` multiplications per pixel
    instead of ``kh * kw``. Each pass pads its own axis by TensorFlow's rule, so
    the result equals ``correlate2d(plane, column @ row, ...)``.

    The column pass runs at every column of the image (the row pass then reads
    ``kw`` neighbouring columns for each output), so it does ``kh * H' * W``
    multiplications and the row pass ``kw * H' * W'``: with a stride the column
    pass no longer saves as much (``cost.spatial_separable_cost`` counts exactly this).

    Parameters
    ----------
    plane : array_like, shape (H, W)
    column : array_like, shape (kh, 1) or (kh,)
    row : array_like, shape (1, kw) or (kw,)
    stride : int, optional
    padding : {'valid', 'same'}, optional
    dilation : int, optional
        As in ``conv2d``: the column pass skips rows, the row pass columns.

    Returns
    -------
    out : ndarray, shape (H', W')
    """
    stride, padding, d = check_geometry(stride, padding, dilation)
    x = _as_plane(plane)
    col = _as_vector(column, "column", "(kh, 1) or (kh,)", 1, x.dtype)
    rw = _as_vector(row, "row", "(1, kw) or (kw,)", 0, x.dtype)
    (h, w), kh, kw = x.shape, col.size, rw.size
    _check_fits(h, kh, "rows tall", "column", padding, d)
    _check_fits(w, kw, "columns wide", "row", padding, d)
    oh, ow = output_size(h, kh, stride, padding, d), output_size(w, kw, stride, padding, d)
    no_pad = (0, 0)
    tall = _tap_sum(
        x[..., np.newaxis],
        col.reshape(kh, 1, 1),
        (stride, 1),
        (pad_amounts(h, kh, stride, padding, d), no_pad),
        (oh, w),
        dilation=(d, 1),
    )
    out = _tap_sum(
        tall,
        rw.reshape(1, kw, 1),
        (1, stride),
        (no_pad, pad_amounts(w, kw, stride, padding, d)),
        (oh, ow),
        dilation=(1, d),
    )
    return out[..., 0]


def flip_kernel(kernel) -> np.ndarray:
    """Rotate a kernel's spatial axes by 180 degrees.

    True convolution is correlation with the flipped kernel::

        [[1, 2],      [[4, 3],
         [3, 4]]  ->   [2, 1]]

    Parameters
    ----------
    kernel : array_like, shape (kh, kw, ...)
        2-D, or with channel axes after the spatial ones (3-D, 4-D).

    Returns
    -------
    flipped : ndarray, same shape and dtype (a copy)
    """
    k = np.asarray(kernel)
    if k.ndim < 2:
        raise ValueError(f"kernel must have at least 2 (spatial) dimensions, got {k.ndim}-D.")
    return k[::-1, ::-1].copy()
