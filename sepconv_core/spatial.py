"""Spatial separability: split a 2-D kernel into a column times a row.

A kernel K of shape (kh, kw) is *separable* when it is an outer product::

    K = column @ row        column: (kh, 1), row: (1, kw)

    Sobel x                 column    row
    [[-1, 0, 1],            [[1],
     [-2, 0, 2],     =       [2],  @  [[-1, 0, 1]]
     [-1, 0, 1]]             [1]]

The singular value decomposition answers the question for any kernel:
K = sum_i sigma_i u_i v_i^T with sigma_1 >= sigma_2 >= ... >= 0. The kernel is
separable when only sigma_1 is non-zero (rank 1), and otherwise
sigma_1 u_1 v_1^T is the best rank-1 approximation in the Frobenius norm
(Eckart-Young), with relative error sqrt(sigma_2^2 + ...) / ||K||_F.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import whole

# Entries of the column smaller than this fraction of its largest entry count as zero
# when looking for a small-integer scaling.
_NEGLIGIBLE = 1e-9
# How close to integers the rescaled column must be, and how large they may get.
_INTEGER_TOL = 1e-6
_INTEGER_MAX = 100
# Entries this close to whole numbers (relative to the largest) count as whole.
_WHOLE_TOL = 1e-12
# A column like [3, 10, 3] / 32 is found by trying these common denominators.
_DENOMINATORS = 12


@dataclass(frozen=True, eq=False)
class SpatialFactorization:
    """The SVD of a 2-D kernel, read as "column times row".

    Attributes
    ----------
    kernel : ndarray, shape (kh, kw)
        The input kernel as float64.
    singular_values : ndarray, shape (min(kh, kw),)
        sigma_1 >= sigma_2 >= ... >= 0.
    rank : int
        Numerical rank: how many sigma_i exceed ``rtol * sigma_1`` (0 for a zero kernel).
    column : ndarray, shape (kh, 1)
        Left factor of the best rank-1 approximation, scaled to be readable.
    row : ndarray, shape (1, kw)
        Right factor; ``column @ row`` equals ``approximation``.
    approximation : ndarray, shape (kh, kw)
        Best rank-1 approximation sigma_1 u_1 v_1^T.
    relative_error : float
        ||kernel - approximation||_F / ||kernel||_F (0.0 for a zero kernel).
    terms : tuple of ndarray, each (kh, kw)
        The rank-1 terms sigma_i u_i v_i^T; their sum is the kernel.
    """

    kernel: np.ndarray
    singular_values: np.ndarray
    rank: int
    column: np.ndarray
    row: np.ndarray
    approximation: np.ndarray
    relative_error: float
    terms: tuple[np.ndarray, ...]

    @property
    def is_separable(self) -> bool:
        """True when the kernel has numerical rank 0 or 1."""
        return self.rank <= 1

    def rank_r_approximation(self, r: int) -> np.ndarray:
        """Sum of the first ``r`` rank-1 terms (``r`` is clipped to 0..min(kh, kw))."""
        r = min(whole(r, "r", 0), len(self.terms))
        out = np.zeros_like(self.kernel)
        for term in self.terms[:r]:
            out = out + term
        return out


def _check_kernel(kernel) -> np.ndarray:
    try:
        raw = np.asarray(kernel)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"kernel must be a 2-D array of numbers ({err}).") from None
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"kernel must hold real numbers, got dtype {raw.dtype}.")
    k = np.array(raw, dtype=np.float64)
    if k.ndim != 2:
        raise ValueError(f"kernel must be 2-D (kh, kw), got shape {k.shape}.")
    if k.size == 0:
        raise ValueError(f"kernel must not be empty, got shape {k.shape}.")
    if not np.all(np.isfinite(k)):
        raise ValueError("kernel must contain only finite numbers (no NaN or infinity).")
    return k


def _oriented(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(u, v)`` or ``(-u, -v)``, whichever follows the sign convention.

    The column sums to a positive number; for a column summing to zero (a derivative),
    the row does (so Sobel y reads [-1, 0, 1]^T . [1, 2, 1], the smoothing factor positive);
    when both sum to zero, the column's first entry of largest magnitude is positive.
    """
    a, b = u / np.abs(u).max(), v / np.abs(v).max()  # the rule does not depend on scale
    # The first entry of largest magnitude; entries equal up to rounding count as ties.
    first = int(np.flatnonzero(np.abs(a) >= 1.0 - _INTEGER_TOL)[0])
    for total in (a.sum(), b.sum(), a[first]):
        if abs(total) > _INTEGER_TOL:
            return (-u, -v) if total < 0 else (u, v)
    return u, v


def _integer_factors(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """An integer column and row whose outer product is exactly ``kernel``, or None.

    They exist exactly when the kernel holds whole numbers and has rank 1: every non-zero
    column of the kernel is then a whole multiple of one primitive integer vector p (its
    entries share no common factor), the column; the multiples are the row. Scharr x
    gives [3, 10, 3]^T . [-1, 0, 1], Sobel 5 gives [1, 4, 6, 4, 1]^T . [-1, -2, 0, 2, 1].
    """
    if np.abs(kernel).max() >= 2.0**52:  # beyond exact integers in float64
        return None
    whole = np.round(kernel)
    if not whole.any() or np.abs(kernel - whole).max() > _WHOLE_TOL * np.abs(kernel).max():
        return None
    k = whole.astype(np.int64)
    j = int(np.argmax(np.abs(k).max(axis=0)))  # a column holding the largest entry
    p = k[:, j] // np.gcd.reduce(np.abs(k[:, j]))
    i = int(np.argmax(np.abs(p)))
    q = k[i, :] // p[i]
    if not np.array_equal(np.outer(p, q), k):  # not rank 1, or not integer multiples
        return None
    column, row = _oriented(p.astype(np.float64), q.astype(np.float64))
    return column + 0.0, row + 0.0  # + 0.0 turns -0.0 into 0.0


def _readable_factors(
    kernel: np.ndarray, u: np.ndarray, sigma: float, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scale u and v (unit vectors) into a column and a row whose outer product is sigma u v^T.

    Sign: see ``_oriented``. Scale: an integer column and row when the kernel is an integer
    outer product; otherwise small integers (or small fractions made whole by a common
    denominator up to 12) in the column, the row carrying the scale; otherwise both factors
    of norm sqrt(sigma).
    """
    u, v = _oriented(u, v)
    size = np.abs(u)
    smallest = np.min(size[size > _NEGLIGIBLE * size.max()])
    for denominator in range(1, _DENOMINATORS + 1):
        scaled = u / smallest * denominator
        integers = np.round(scaled)
        if np.all(np.abs(integers) <= _INTEGER_MAX) and np.all(
            np.abs(scaled - integers) <= _INTEGER_TOL * denominator
        ):
            column = integers + 0.0  # + 0.0 turns -0.0 into 0.0
            # The best row for this column: least squares, exact for a rank-1 kernel.
            row = column @ kernel / (column @ column)
            return column, row + 0.0
    root = np.sqrt(sigma)
    return root * u, root * v


def factor_spatial(kernel, *, rtol: float = 1e-6) -> SpatialFactorization:
    """Factor a 2-D kernel into a column times a row with the SVD.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
        The kernel; converted to float64.
    rtol : float, optional
        Singular values at most ``rtol * sigma_1`` count as zero for ``rank``.

    Returns
    -------
    SpatialFactorization
        See its attributes. ``column`` is scaled to small integers when it can be
        (Sobel x gives column [1, 2, 1]^T and row [-1, 0, 1]); otherwise column and
        row share sqrt(sigma_1) equally.

    Examples
    --------
    >>> f = factor_spatial([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    >>> f.column.ravel(), f.row.ravel(), f.rank
    (array([1., 2., 1.]), array([-1.,  0.,  1.]), 1)
    """
    k = _check_kernel(kernel)
    if not (np.isfinite(rtol) and rtol >= 0):
        raise ValueError(f"rtol must be a finite number of at least 0, got {rtol!r}.")
    kh, kw = k.shape
    u, s, vt = np.linalg.svd(k)
    terms = tuple(s[i] * np.outer(u[:, i], vt[i]) for i in range(len(s)))
    norm = float(np.linalg.norm(k))

    rank = int(np.count_nonzero(s > rtol * s[0])) if s[0] > 0.0 else 0
    exact = _integer_factors(k) if rank == 1 else None
    if s[0] == 0.0:  # the zero kernel
        column, row = np.zeros(kh), np.zeros(kw)
    elif exact is not None:
        column, row = exact
    else:
        column, row = _readable_factors(k, u[:, 0], float(s[0]), vt[0])

    column = column.reshape(kh, 1)
    row = row.reshape(1, kw)
    approximation = column @ row
    rel_error = float(np.linalg.norm(k - approximation) / norm) if norm > 0.0 else 0.0
    for array in (k, s, column, row, approximation, *terms):
        array.setflags(write=False)
    return SpatialFactorization(
        kernel=k,
        singular_values=s,
        rank=rank,
        column=column,
        row=row,
        approximation=approximation,
        relative_error=rel_error,
        terms=terms,
    )
