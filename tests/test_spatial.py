"""Tests for sepconv_core.spatial: SVD factorisation of 2-D kernels.

References are independent facts: hand-known factors (Sobel = [1,2,1]^T [-1,0,1]),
scipy.linalg.svdvals for singular values, and the kernel itself for reconstructions.
"""

import dataclasses

import numpy as np
import pytest
import scipy.linalg
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sepconv_core.spatial import SpatialFactorization, factor_spatial

SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
EMBOSS = np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def small_kernels(min_side=1, max_side=4):
    shapes = st.tuples(
        st.integers(min_side, max_side),
        st.integers(min_side, max_side),
    )
    return shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=finite))


def test_sobel_x_factors_are_121_and_minus101():
    """Sobel x splits into column [1, 2, 1]^T and row [-1, 0, 1], exactly."""
    f = factor_spatial(SOBEL_X)
    np.testing.assert_allclose(f.column, [[1.0], [2.0], [1.0]], atol=1e-9, rtol=0)
    np.testing.assert_allclose(f.row, [[-1.0, 0.0, 1.0]], atol=1e-9, rtol=0)
    assert f.column.shape == (3, 1) and f.row.shape == (1, 3)
    assert f.rank == 1 and f.is_separable
    assert f.relative_error < 1e-12


def test_negated_sobel_keeps_column_positive():
    """Sign convention: the column's largest entry stays positive, the row takes the minus."""
    f = factor_spatial(-SOBEL_X)
    np.testing.assert_allclose(f.column.ravel(), [1.0, 2.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(f.row.ravel(), [1.0, 0.0, -1.0], atol=1e-9)


def test_sobel_y_keeps_the_smoothing_factor_positive():
    """Sobel y = [-1,0,1]^T [1,2,1]: the column sums to 0, so the row is made to sum positive."""
    f = factor_spatial(SOBEL_X.T)
    np.testing.assert_allclose(f.column.ravel(), [-1.0, 0.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(f.row.ravel(), [1.0, 2.0, 1.0], atol=1e-9)


def test_derivative_times_derivative_puts_first_largest_column_entry_positive():
    """Both factors sum to zero: the column's first entry of largest magnitude is positive."""
    f = factor_spatial(np.outer([-1.0, 0.0, 1.0], [1.0, 0.0, -1.0]))
    np.testing.assert_allclose(f.column.ravel(), [1.0, 0.0, -1.0], atol=1e-9)
    np.testing.assert_allclose(f.row.ravel(), [-1.0, 0.0, 1.0], atol=1e-9)


def test_column_is_rescaled_to_small_integers():
    """A column proportional to [1, 2, 1] is shown as [1, 2, 1]; the row carries the scale."""
    f = factor_spatial(np.outer([3.0, 6.0, 3.0], [0.5, -0.25]))
    np.testing.assert_allclose(f.column.ravel(), [1.0, 2.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(f.row.ravel(), [1.5, -0.75], atol=1e-9)


def test_non_integer_column_is_balanced():
    """A Gaussian column is not integer-like: column and row both get norm sqrt(sigma_1)."""
    g = np.exp(-(np.array([-1.0, 0.0, 1.0]) ** 2) / 2)
    kernel = np.outer(g, g)
    f = factor_spatial(kernel)
    sigma1 = scipy.linalg.svdvals(kernel)[0]
    assert np.linalg.norm(f.column) == pytest.approx(np.sqrt(sigma1), rel=1e-12)
    assert np.linalg.norm(f.row) == pytest.approx(np.sqrt(sigma1), rel=1e-12)
    np.testing.assert_allclose(f.column.ravel(), g / np.linalg.norm(g) * np.sqrt(sigma1))


def test_integer_ratios_over_100_are_not_used():
    """Column [1, 200] (with a non-integer row) would need an integer above 100: balanced."""
    kernel = np.outer([1.0, 200.0], [0.3, 0.7])
    f = factor_spatial(kernel)
    assert np.linalg.norm(f.column) == pytest.approx(np.linalg.norm(f.row))
    np.testing.assert_allclose(f.column @ f.row, kernel, rtol=1e-12)


def test_integer_kernel_with_large_ratio_still_factors_in_integers():
    """An integer outer product is always given as integers, however large the ratio."""
    f = factor_spatial(np.outer([1.0, 200.0], [1.0, 1.0]))
    np.testing.assert_array_equal(f.column.ravel(), [1.0, 200.0])
    np.testing.assert_array_equal(f.row.ravel(), [1.0, 1.0])


TAUGHT = {  # kernel: (column, row) as the textbooks write them
    "scharr x": ([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]], [3, 10, 3], [-1, 0, 1]),
    "scharr y": ([[-3, -10, -3], [0, 0, 0], [3, 10, 3]], [-1, 0, 1], [3, 10, 3]),
    "prewitt x": ([[-1, 0, 1]] * 3, [1, 1, 1], [-1, 0, 1]),
    "sobel 5": (
        np.outer([1, 4, 6, 4, 1], [-1, -2, 0, 2, 1]),
        [1, 4, 6, 4, 1],
        [-1, -2, 0, 2, 1],
    ),
    "sobel 7": (
        np.outer([1, 6, 15, 20, 15, 6, 1], [-1, -4, -5, 0, 5, 4, 1]),
        [1, 6, 15, 20, 15, 6, 1],
        [-1, -4, -5, 0, 5, 4, 1],
    ),
    "common factor": ([[2, 4], [4, 8]], [1, 2], [2, 4]),
}


@pytest.mark.parametrize("name", TAUGHT)
def test_integer_kernels_factor_as_taught(name):
    """Scharr is [3, 10, 3]^T . [-1, 0, 1], not 1.08/3.61/1.08 . ±2.77 (issue 9, point 6)."""
    kernel, column, row = TAUGHT[name]
    f = factor_spatial(np.array(kernel, dtype=float))
    np.testing.assert_array_equal(f.column.ravel(), column)
    np.testing.assert_array_equal(f.row.ravel(), row)


def test_every_rank_one_integer_preset_factors_in_integers():
    """Each preset (every size) whose weights are whole numbers and whose rank is 1 (by
    np.linalg.matrix_rank) is split into an integer column and row, exactly."""
    from sepconv_core.kernels import PRESETS

    checked = []
    for key, preset in PRESETS.items():
        for size in preset.sizes:
            kernel = preset.build(size)
            if np.any(kernel != np.round(kernel)) or np.linalg.matrix_rank(kernel) != 1:
                continue
            f = factor_spatial(kernel)
            for factor in (f.column, f.row):
                np.testing.assert_array_equal(factor, np.round(factor))
            np.testing.assert_array_equal(f.column @ f.row, kernel)
            checked.append((key, size))
    assert {"sobel_x", "sobel_y", "scharr_x", "scharr_y", "prewitt_x", "prewitt_y"} <= {
        key for key, _ in checked
    }
    assert ("sobel_x", 7) in checked


small_ints = st.integers(-12, 12)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 6).flatmap(lambda n: st.lists(small_ints, min_size=n, max_size=n)),
    st.integers(1, 6).flatmap(lambda n: st.lists(small_ints, min_size=n, max_size=n)),
)
def test_random_integer_outer_products_factor_in_integers(c, r):
    """Any non-zero outer product of two integer vectors comes back as integers, exactly."""
    assume(any(c) and any(r))
    kernel = np.outer(c, r).astype(float)
    f = factor_spatial(kernel)
    assert f.rank == 1
    for factor in (f.column, f.row):
        np.testing.assert_array_equal(factor, np.round(factor))
    np.testing.assert_array_equal(f.column @ f.row, kernel)
    assert np.gcd.reduce(np.abs(f.column.ravel()).astype(int)) == 1  # no factor left over


def test_scaled_integer_column_uses_a_common_denominator():
    """Scharr / 32: the column reads [3, 10, 3] (whole after a common denominator), the row
    carries 1/32."""
    f = factor_spatial(np.outer([3.0, 10.0, 3.0], [-1.0, 0.0, 1.0]) / 32)
    np.testing.assert_allclose(f.column.ravel(), [3.0, 10.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(f.row.ravel(), [-1 / 32, 0.0, 1 / 32], atol=1e-12)


RANK_ONE = {
    "sobel x": SOBEL_X,
    "sobel y": SOBEL_X.T,
    "prewitt x": np.array([[-1.0, 0.0, 1.0]] * 3),
    "box 3": np.full((3, 3), 1.0 / 9.0),
    "single one": np.array([[0.0, 0.0], [0.0, 1.0]]),
    "1x1": np.array([[-7.5]]),
    "column": np.array([[1.0], [-2.0], [0.5]]),
    "2x5 outer": np.outer([0.3, -1.7], [1.0, 2.0, 0.0, -4.0, 0.25]),
}


@pytest.mark.parametrize("name", RANK_ONE)
def test_outer_product_reproduces_rank_one_kernels(name):
    """For a rank-1 kernel, column @ row gives the kernel back and the rank is 1."""
    kernel = RANK_ONE[name]
    f = factor_spatial(kernel)
    np.testing.assert_allclose(f.column @ f.row, kernel, atol=1e-12)
    np.testing.assert_allclose(f.approximation, kernel, atol=1e-12)
    assert f.rank == 1 and f.is_separable
    assert f.relative_error < 1e-12


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5).flatmap(lambda n: arrays(np.float64, n, elements=finite)),
    st.integers(1, 5).flatmap(lambda n: arrays(np.float64, n, elements=finite)),
)
def test_random_outer_products_have_rank_one(u, v):
    """Any outer product of two non-negligible vectors is rank 1 and is reproduced exactly."""
    assume(np.abs(u).max() > 0.1 and np.abs(v).max() > 0.1)
    kernel = np.outer(u, v)
    f = factor_spatial(kernel)
    assert f.rank == 1
    np.testing.assert_allclose(f.column @ f.row, kernel, atol=1e-9 * np.abs(kernel).max())


def test_laplacian_has_rank_two_and_error_from_second_singular_value():
    """Laplacian: rank 2, best rank-1 error = sigma_2 / ||K||_F with sigma from scipy."""
    f = factor_spatial(LAPLACIAN)
    sigma = scipy.linalg.svdvals(LAPLACIAN)
    assert f.rank == 2
    assert not f.is_separable
    expected = np.sqrt(sigma[1] ** 2) / np.sqrt(np.sum(LAPLACIAN**2))
    assert f.relative_error == pytest.approx(expected, rel=1e-10)
    residual = np.linalg.norm(LAPLACIAN - f.column @ f.row) / np.linalg.norm(LAPLACIAN)
    assert residual == pytest.approx(expected, rel=1e-10)


def test_singular_values_match_scipy():
    """singular_values are scipy's svdvals, descending."""
    for kernel in (SOBEL_X, LAPLACIAN, EMBOSS, np.arange(15.0).reshape(3, 5)):
        f = factor_spatial(kernel)
        np.testing.assert_allclose(f.singular_values, scipy.linalg.svdvals(kernel), atol=1e-12)
        assert np.all(np.diff(f.singular_values) <= 0)


@pytest.mark.parametrize(
    "kernel", [LAPLACIAN, EMBOSS, SOBEL_X, np.arange(15.0).reshape(5, 3) ** 1.5]
)
def test_sum_of_terms_reproduces_kernel(kernel):
    """The rank-1 terms add up to the kernel, and each term has rank at most 1."""
    f = factor_spatial(kernel)
    assert len(f.terms) == min(kernel.shape)
    np.testing.assert_allclose(sum(f.terms), kernel, atol=1e-10)
    for term in f.terms:
        assert term.shape == kernel.shape
        assert np.linalg.matrix_rank(term) <= 1
    np.testing.assert_allclose(f.rank_r_approximation(len(f.terms)), kernel, atol=1e-10)


def test_emboss_is_full_rank_and_rank_r_approximation_improves():
    """Emboss has rank 3 (det = -4); errors of rank-r approximations follow the sigmas."""
    f = factor_spatial(EMBOSS)
    assert f.rank == 3
    sigma = scipy.linalg.svdvals(EMBOSS)
    for r in range(4):
        error = np.linalg.norm(EMBOSS - f.rank_r_approximation(r))
        assert error == pytest.approx(np.sqrt(np.sum(sigma[r:] ** 2)), abs=1e-10)


def test_rank_r_approximation_clips_and_checks_r():
    """r = 0 gives zeros, r above min(kh, kw) gives the whole kernel, r < 0 is refused."""
    f = factor_spatial(LAPLACIAN)
    np.testing.assert_array_equal(f.rank_r_approximation(0), np.zeros((3, 3)))
    np.testing.assert_allclose(f.rank_r_approximation(10), LAPLACIAN, atol=1e-12)
    with pytest.raises(ValueError, match="r must"):
        f.rank_r_approximation(-1)


@settings(max_examples=60, deadline=None)
@given(
    small_kernels(2, 4),
    st.integers(0, 2**32 - 1),
)
def test_eckart_young_no_rank_one_candidate_is_better(kernel, seed):
    """No random rank-1 matrix c r^T is closer to K (Frobenius) than the approximation."""
    f = factor_spatial(kernel)
    best = np.linalg.norm(kernel - f.approximation)
    sigma = scipy.linalg.svdvals(kernel)
    assert best == pytest.approx(np.sqrt(np.sum(sigma[1:] ** 2)), abs=1e-9)
    rng = np.random.default_rng(seed)
    scale = max(np.abs(kernel).max(), 1.0)
    for _ in range(20):
        c = rng.normal(size=kernel.shape[0]) * scale
        r = rng.normal(size=kernel.shape[1])
        assert np.linalg.norm(kernel - np.outer(c, r)) >= best - 1e-9 * scale
    # The least-squares row for the best column cannot beat it either.
    c = f.column.ravel() + rng.normal(size=kernel.shape[0]) * 1e-3
    if c @ c > 0:
        r = c @ kernel / (c @ c)
        assert np.linalg.norm(kernel - np.outer(c, r)) >= best - 1e-9 * scale


def test_zero_kernel():
    """All-zero kernel: rank 0, separable, zero factors, zero error."""
    f = factor_spatial(np.zeros((2, 3)))
    assert f.rank == 0 and f.is_separable
    np.testing.assert_array_equal(f.column, np.zeros((2, 1)))
    np.testing.assert_array_equal(f.row, np.zeros((1, 3)))
    np.testing.assert_array_equal(f.approximation, np.zeros((2, 3)))
    assert f.relative_error == 0.0
    np.testing.assert_array_equal(f.singular_values, [0.0, 0.0])


def test_rtol_decides_numerical_rank():
    """A tiny second component counts for rtol=0 but not for the default rtol."""
    kernel = np.outer([1.0, 2.0], [3.0, 1.0]) + 1e-9 * np.array([[1.0, 0.0], [0.0, -1.0]])
    assert factor_spatial(kernel).rank == 1
    assert factor_spatial(kernel, rtol=0.0).rank == 2
    with pytest.raises(ValueError, match="rtol"):
        factor_spatial(kernel, rtol=-1.0)


def test_result_is_immutable_and_copies_input():
    """The dataclass is frozen, its arrays are read-only, and the input is not aliased."""
    kernel = SOBEL_X.copy()
    f = factor_spatial(kernel)
    assert isinstance(f, SpatialFactorization)
    kernel[0, 0] = 100.0
    assert f.kernel[0, 0] == -1.0
    assert f.kernel.dtype == np.float64
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.rank = 5
    with pytest.raises(ValueError):
        f.column[0, 0] = 3.0


def test_integer_input_becomes_float64():
    """An integer kernel is read as float64."""
    f = factor_spatial(np.array([[1, 2], [2, 4]], dtype=np.int32))
    assert f.kernel.dtype == np.float64
    np.testing.assert_allclose(f.column @ f.row, [[1, 2], [2, 4]], atol=1e-12)


@pytest.mark.parametrize(
    "bad",
    [
        np.ones(3),
        np.ones((2, 2, 2)),
        np.zeros((0, 3)),
        np.array([[1.0, np.nan]]),
        np.array([[np.inf, 1.0]]),
        [[1, 2], [3]],
        np.array([["a", "b"]]),
    ],
)
def test_bad_kernels_are_refused(bad):
    """Non-2-D, empty, non-finite or non-numeric kernels raise a ValueError naming kernel."""
    with pytest.raises(ValueError, match="kernel"):
        factor_spatial(bad)
