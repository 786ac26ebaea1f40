"""Argument checks shared by the modules: each returns the clean value or raises a ``ValueError``
whose one sentence names the parameter."""

from __future__ import annotations

import math

import numpy as np


def whole(value, name: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or a ``ValueError`` naming ``name``.

    ``3``, ``np.int64(3)`` and ``3.0`` pass; ``True``, ``2.5``, ``"3"`` and ``None`` do not.
    """
    try:
        ok = not isinstance(value, (bool, np.bool_)) and int(value) == value and value >= minimum
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}.")
    return int(value)


def positive(value, name: str) -> float:
    """``value`` as a finite float > 0, or a ``ValueError`` naming ``name``."""
    try:
        ok = not isinstance(value, (bool, np.bool_)) and math.isfinite(value) and value > 0
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a finite number greater than 0, got {value!r}.")
    return float(value)


def kernel_pair(kernel_size, name: str = "kernel_size") -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(3, 5)`` -> ``(3, 5)``; each a whole number >= 1."""
    if isinstance(kernel_size, (tuple, list, np.ndarray)):
        if len(kernel_size) != 2:
            raise ValueError(f"{name} must be k or a (kh, kw) pair, got {kernel_size!r}.")
        kh, kw = kernel_size
    else:
        kh = kw = kernel_size
    return whole(kh, name, 1), whole(kw, name, 1)


def real_image(x, name: str, dtype=None) -> np.ndarray:
    """``x`` as a finite floating (H, W, C) array (2-D means one channel), ``ValueError`` if not.

    Keeps a floating dtype; integer and boolean arrays become float64. ``dtype`` forces one.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}.")
    if a.ndim == 2:
        a = a[:, :, np.newaxis]
    if a.ndim != 3 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty (H, W) or (H, W, C) array, got {a.shape}.")
    if dtype is None:
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
    a = a.astype(dtype, copy=False)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or infinity).")
    return a
