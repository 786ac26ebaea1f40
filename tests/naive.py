"""Deliberately naive reference convolutions: explicit loops, float64, no cleverness.

Used by the tests as an independent reference for ``sepconv_core.conv``. The
padding follows TensorFlow's rule, written out here on its own (it does not use
``sepconv_core._padding``):

* 'valid': no padding, ``out = (n - k) // stride + 1``.
* 'same': ``out = ceil(n / stride)``, total padding ``max((out - 1) * stride + k - n, 0)``,
  the smaller half before (top/left) and the extra one after (bottom/right).

With a dilation d the k taps sit d pixels apart, and k above is their span (k - 1) * d + 1.
"""

from __future__ import annotations

import numpy as np


def _out_and_pad(n: int, k: int, stride: int, padding: str) -> tuple[int, int]:
    """Output length and padding before, along one axis."""
    if padding == "valid":
        return (n - k) // stride + 1, 0
    out = (n + stride - 1) // stride
    total = max((out - 1) * stride + k - n, 0)
    return out, total // 2


def _padded(image: np.ndarray, kh: int, kw: int, stride: int, padding: str, dilation: int = 1):
    """Zero-padded (H, W, C) float64 copy and the output size (H', W')."""
    kh, kw = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1  # the span of the taps
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        image = image[:, :, None]
    h, w, c = image.shape
    oh, top = _out_and_pad(h, kh, stride, padding)
    ow, left = _out_and_pad(w, kw, stride, padding)
    # big enough for every window the loops below read, zeros everywhere else
    big = np.zeros((max(h + top, (oh - 1) * stride + kh), max(w + left, (ow - 1) * stride + kw), c))
    for y in range(h):
        for x in range(w):
            big[top + y, left + x, :] = image[y, x, :]
    return big, oh, ow


def naive_conv2d(
    image, kernel, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> np.ndarray:
    """``out[y, x, o] = sum_{i, j, c} padded[y*s + i*d, x*s + j*d, c] * kernel[i, j, c, o]``."""
    kernel = np.asarray(kernel, dtype=np.float64)
    kh, kw, cin, cout = kernel.shape
    d = dilation
    big, oh, ow = _padded(image, kh, kw, stride, padding, d)
    out = np.zeros((oh, ow, cout))
    for y in range(oh):
        for x in range(ow):
            for o in range(cout):
                total = 0.0
                for i in range(kh):
                    for j in range(kw):
                        for c in range(cin):
                            pixel = big[y * stride + i * d, x * stride + j * d, c]
                            total += pixel * kernel[i, j, c, o]
                out[y, x, o] = total
    return out


def naive_depthwise(
    image, kernel, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> np.ndarray:
    """``out[y, x, c*M + m] = sum_{i, j} padded[y*s + i*d, x*s + j*d, c] * kernel[i, j, c, m]``."""
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim == 3:
        kernel = kernel[:, :, :, None]
    kh, kw, cin, mult = kernel.shape
    d = dilation
    big, oh, ow = _padded(image, kh, kw, stride, padding, d)
    out = np.zeros((oh, ow, cin * mult))
    for y in range(oh):
        for x in range(ow):
            for c in range(cin):
                for m in range(mult):
                    total = 0.0
                    for i in range(kh):
                        for j in range(kw):
                            pixel = big[y * stride + i * d, x * stride + j * d, c]
                            total += pixel * kernel[i, j, c, m]
                    out[y, x, c * mult + m] = total
    return out


def naive_pointwise(image, kernel) -> np.ndarray:
    """``out[y, x, o] = sum_c image[y, x, c] * kernel[c, o]``.

    ``kernel`` is (Cin, Cout) or (1, 1, Cin, Cout).
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        image = image[:, :, None]
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim == 4:
        kernel = kernel[0, 0]
    h, w, cin = image.shape
    cout = kernel.shape[1]
    out = np.zeros((h, w, cout))
    for y in range(h):
        for x in range(w):
            for o in range(cout):
                total = 0.0
                for c in range(cin):
                    total += image[y, x, c] * kernel[c, o]
                out[y, x, o] = total
    return out
