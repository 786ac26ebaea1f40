"""Output sizes and padding amounts, with TensorFlow's rule.

Every convolution in the package and every cost formula asks this module, so
the shapes the app prints and the shapes the arrays have cannot disagree.

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


def check_padding(padding: str) -> str:
    """Return ``padding`` lower-cased, or raise ``ValueError`` naming the parameter."""
    p = str(padding).lower()
    if p not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
    return p


def output_size(n: int, k: int, stride: int = 1, padding: str = "valid") -> int:
    """Length of the output along one axis of length ``n`` for a kernel of length ``k``.

    Raises ``ValueError`` when the kernel is larger than the input under 'valid'.
    """
    stride = check_stride(stride)
    padding = check_padding(padding)
    if k < 1:
        raise ValueError(f"kernel size must be at least 1, got {k}.")
    if padding == "same":
        return -(-n // stride)
    if k > n:
        raise ValueError(
            f"kernel size {k} is larger than the input size {n}: with padding='valid' "
            "there is no position where the kernel fits (use padding='same' or a smaller kernel)."
        )
    return (n - k) // stride + 1


def pad_amounts(n: int, k: int, stride: int = 1, padding: str = "valid") -> tuple[int, int]:
    """Padding ``(before, after)`` along one axis, TensorFlow's rule."""
    out = output_size(n, k, stride, padding)
    if check_padding(padding) == "valid":
        return (0, 0)
    total = max((out - 1) * stride + k - n, 0)
    return (total // 2, total - total // 2)
