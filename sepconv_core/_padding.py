"""Output sizes and padding amounts, with TensorFlow's rule.

Every convolution in the package and every cost formula asks this module, so
the shapes the app prints and the shapes the arrays have cannot disagree.

A kernel of k taps with dilation d (Keras ``dilation_rate``, PyTorch ``dilation``)
leaves d - 1 pixels between neighbouring taps, so it spans ``(k - 1) * d + 1``
pixels; below, k is that span (d = 1: the kernel size).

'valid'  -> no padding; out = floor((n - k) / stride) + 1, needs n >= k.
'same'   -> out = ceil(n / stride); total padding
            max((out - 1) * stride + k - n, 0), the smaller half before
            (top/left), the extra row/column after (bottom/right).
"""

from __future__ import annotations

from ._checks import whole

PADDINGS = ("valid", "same")


def check_stride(stride: int) -> int:
    """Return ``stride`` as an int, or raise ``ValueError`` naming the parameter."""
    return whole(stride, "stride", 1)


def check_dilation(dilation: int) -> int:
    """Return ``dilation`` as an int, or raise ``ValueError`` naming the parameter."""
    return whole(dilation, "dilation", 1)


def effective_size(k: int, dilation: int = 1) -> int:
    """Pixels a kernel of ``k`` taps spans with ``dilation``: ``(k - 1) * dilation + 1``."""
    return (k - 1) * check_dilation(dilation) + 1


def check_padding(padding: str) -> str:
    """Return ``padding`` lower-cased, or raise ``ValueError`` naming the parameter."""
    p = str(padding).lower()
    if p not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
    return p


def check_geometry(stride: int, padding: str, dilation: int) -> tuple[int, str, int]:
    """``(stride, padding, dilation)`` checked: the three settings every layer takes."""
    return check_stride(stride), check_padding(padding), check_dilation(dilation)


def output_size(n: int, k: int, stride: int = 1, padding: str = "valid", dilation: int = 1) -> int:
    """Length of the output along one axis of length ``n`` for a kernel of ``k`` taps.

    Raises ``ValueError`` when the kernel (its dilated span) is larger than the input
    under 'valid'.
    """
    stride = check_stride(stride)
    padding = check_padding(padding)
    if k < 1:
        raise ValueError(f"kernel size must be at least 1, got {k}.")
    span = effective_size(k, dilation)
    if padding == "same":
        return -(-n // stride)
    if span > n:
        size = f"kernel size {k}"
        if span > k:
            size += f" with dilation {dilation} (spanning {span})"
        raise ValueError(
            f"{size} is larger than the input size {n}: with padding='valid' there is no "
            "position where the kernel fits (use padding='same' or a smaller kernel)."
        )
    return (n - span) // stride + 1


def pad_amounts(
    n: int, k: int, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> tuple[int, int]:
    """Padding ``(before, after)`` along one axis, TensorFlow's rule."""
    out = output_size(n, k, stride, padding, dilation)
    if check_padding(padding) == "valid":
        return (0, 0)
    total = max((out - 1) * stride + effective_size(k, dilation) - n, 0)
    return (total // 2, total - total // 2)
