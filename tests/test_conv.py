"""Tests for sepconv_core.conv against SciPy and the naive loops in tests/naive.py."""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from naive import naive_conv2d, naive_depthwise, naive_pointwise
from scipy import ndimage, signal

from sepconv_core import conv
from sepconv_core.conv import (
    conv2d,
    correlate2d,
    correlate2d_separable,
    depthwise_conv2d,
    equivalent_kernel,
    flip_kernel,
    pointwise_conv2d,
    separable_conv2d,
)

EXAMPLES = settings(max_examples=40, deadline=None)
PADDINGS = ("valid", "same")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _close(actual, expected) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)


@contextmanager
def _blocks(elements):
    """Force the engines' row blocks down to ``elements`` (1 = one output row per block)."""
    with (
        mock.patch.object(conv, "_BLOCK_ELEMENTS", elements),
        mock.patch.object(conv, "_PATCH_ELEMENTS", elements),
    ):
        yield


# tiny images fit in one block; these sizes also cut them into one- and few-row blocks
BLOCKS = st.sampled_from([1, 20, 1 << 17])


@st.composite
def geometry(draw):
    """Image size, kernel size (even and rectangular ones too), stride, padding, seed."""
    padding = draw(st.sampled_from(PADDINGS))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    low_h, low_w = (kh, kw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(low_h, 8)), draw(st.integers(low_w, 8))
    stride = draw(st.integers(1, 3))
    return h, w, kh, kw, stride, padding, draw(st.integers(0, 2**32 - 1))


# ----------------------------------------------------------------- against SciPy


def test_conv2d_valid_matches_scipy_sum_of_channel_correlations():
    """Valid, stride 1: output o is the sum over input channels of scipy's 2-D correlations."""
    rng = _rng(1)
    x, k = rng.standard_normal((9, 11, 3)), rng.standard_normal((3, 4, 3, 2))
    expected = np.stack(
        [
            sum(signal.correlate(x[:, :, c], k[:, :, c, o], mode="valid") for c in range(3))
            for o in (0, 1)
        ],
        axis=-1,
    )
    _close(conv2d(x, k), expected)


@pytest.mark.parametrize("stride", [2, 3])
def test_conv2d_stride_is_the_stride_one_output_sliced(stride):
    """Stride s keeps every s-th row and column of scipy's valid stride-1 result."""
    rng = _rng(2)
    x, k = rng.standard_normal((10, 9, 2)), rng.standard_normal((3, 2, 2, 2))
    full = np.stack(
        [
            sum(signal.correlate(x[:, :, c], k[:, :, c, o], mode="valid") for c in range(2))
            for o in (0, 1)
        ],
        axis=-1,
    )
    _close(conv2d(x, k, stride=stride), full[::stride, ::stride])


def test_depthwise_valid_matches_scipy_ndimage_per_channel():
    """Each depthwise output is scipy.ndimage.correlate of its input channel, valid part."""
    rng = _rng(3)
    x, k = rng.standard_normal((8, 10, 2)), rng.standard_normal((3, 3, 2, 2))
    expected = np.stack(
        [
            ndimage.correlate(x[:, :, c], k[:, :, c, m], mode="constant")[1:-1, 1:-1]
            for c in range(2)
            for m in range(2)
        ],
        axis=-1,
    )
    _close(depthwise_conv2d(x, k), expected)


def test_correlate2d_matches_scipy_and_flip_gives_true_convolution():
    """correlate2d is scipy's correlate2d; with the flipped kernel it is scipy's convolve2d."""
    rng = _rng(4)
    plane, k = rng.standard_normal((7, 9)), rng.standard_normal((3, 2))
    _close(correlate2d(plane, k), signal.correlate2d(plane, k, mode="valid"))
    _close(correlate2d(plane, flip_kernel(k)), signal.convolve2d(plane, k, mode="valid"))
    _close(correlate2d(plane, k, stride=2), signal.correlate2d(plane, k, mode="valid")[::2, ::2])


def test_default_blocks_on_larger_images_match_scipy():
    """Images big enough to span several default-size row blocks still match scipy."""
    rng = _rng(7)
    x, k = rng.standard_normal((300, 130, 8)), rng.standard_normal((5, 4, 8, 2))
    oh, ow = 300 - 5 + 1, 130 - 4 + 1
    assert conv._PATCH_ELEMENTS // (5 * 4 * 8 * ow) < oh / 2  # several patch blocks
    assert conv._BLOCK_ELEMENTS // (16 * ow) < oh / 2  # several tap blocks (depthwise, M=2)
    per_channel = [
        [signal.correlate(x[:, :, c], k[:, :, c, o], "valid") for c in range(8)] for o in (0, 1)
    ]
    _close(conv2d(x, k), np.stack([sum(p) for p in per_channel], axis=-1))
    _close(conv2d(x, k, stride=2), np.stack([sum(p) for p in per_channel], axis=-1)[::2, ::2])
    expected_dw = np.stack([per_channel[o][c] for c in range(8) for o in (0, 1)], axis=-1)
    _close(depthwise_conv2d(x, k), expected_dw)  # k as a depthwise kernel: (5, 4, 8, M=2)


def test_non_contiguous_image_views_are_read_correctly():
    """A transposed or strided view gives the same result as its contiguous copy."""
    rng = _rng(8)
    base = rng.standard_normal((9, 12, 2))
    view = base.transpose(1, 0, 2)[::2]  # (6, 9, 2), no longer C-contiguous
    k = rng.standard_normal((2, 3, 2, 3))
    expected = naive_conv2d(np.ascontiguousarray(view), k, 1, "same")
    _close(conv2d(view, k, padding="same"), expected)
    _close(
        separable_conv2d(view, k[:, :, :, :1], np.eye(2)),
        naive_depthwise(view, k[:, :, :, :1], 1, "valid"),
    )


# ----------------------------------------------------------------- against the naive loops


@EXAMPLES
@given(geometry(), st.integers(1, 3), st.integers(1, 3), BLOCKS)
def test_conv2d_matches_naive_loops(geom, cin, cout, blocks):
    """conv2d equals the explicit loop for random shapes, strides 1-3 and both paddings."""
    h, w, kh, kw, stride, padding, seed = geom
    rng = _rng(seed)
    x, k = rng.standard_normal((h, w, cin)), rng.standard_normal((kh, kw, cin, cout))
    with _blocks(blocks):
        got = conv2d(x, k, stride=stride, padding=padding)
    _close(got, naive_conv2d(x, k, stride, padding))


@EXAMPLES
@given(geometry(), st.integers(1, 3), st.integers(1, 3), BLOCKS)
def test_depthwise_matches_naive_loops(geom, cin, mult, blocks):
    """depthwise_conv2d equals the explicit loop, depth multipliers 1-3, channel order c*M + m."""
    h, w, kh, kw, stride, padding, seed = geom
    rng = _rng(seed)
    x, k = rng.standard_normal((h, w, cin)), rng.standard_normal((kh, kw, cin, mult))
    with _blocks(blocks):
        got = depthwise_conv2d(x, k, stride=stride, padding=padding)
    _close(got, naive_depthwise(x, k, stride, padding))


@EXAMPLES
@given(
    st.integers(1, 6), st.integers(1, 6), st.integers(1, 4), st.integers(1, 4), st.integers(0, 99)
)
def test_pointwise_matches_naive_loops(h, w, cin, cout, seed):
    """pointwise_conv2d equals the per-pixel loop, with a 2-D or a (1, 1, Cin, Cout) kernel."""
    rng = _rng(seed)
    x, k = rng.standard_normal((h, w, cin)), rng.standard_normal((cin, cout))
    _close(pointwise_conv2d(x, k), naive_pointwise(x, k))
    _close(pointwise_conv2d(x, k[None, None]), naive_pointwise(x, k))


@EXAMPLES
@given(geometry(), BLOCKS)
def test_correlate2d_matches_naive_loops(geom, blocks):
    """correlate2d on a plane equals the one-channel explicit loop."""
    h, w, kh, kw, stride, padding, seed = geom
    rng = _rng(seed)
    plane, k = rng.standard_normal((h, w)), rng.standard_normal((kh, kw))
    expected = naive_conv2d(plane, k[:, :, None, None], stride, padding)[:, :, 0]
    with _blocks(blocks):
        got = correlate2d(plane, k, stride=stride, padding=padding)
    _close(got, expected)


# ----------------------------------------------------------------- separable == standard


def _loop_equivalent_kernel(d, p):
    """K[:, :, i, o] = sum_m D[:, :, i, m] * P[i*M + m, o], written as loops."""
    kh, kw, cin, mult = d.shape
    k = np.zeros((kh, kw, cin, p.shape[1]))
    for i in range(cin):
        for o in range(p.shape[1]):
            for m in range(mult):
                k[:, :, i, o] += d[:, :, i, m] * p[i * mult + m, o]
    return k


@EXAMPLES
@given(geometry(), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), BLOCKS)
def test_separable_equals_conv2d_with_equivalent_kernel(geom, cin, mult, cout, blocks):
    """Separable == conv2d with the loop-built equivalent kernel == naive depthwise, pointwise."""
    h, w, kh, kw, stride, padding, seed = geom
    rng = _rng(seed)
    x = rng.standard_normal((h, w, cin))
    d, p = rng.standard_normal((kh, kw, cin, mult)), rng.standard_normal((cin * mult, cout))
    k = _loop_equivalent_kernel(d, p)
    _close(equivalent_kernel(d, p), k)
    with _blocks(blocks):
        got = separable_conv2d(x, d, p, stride=stride, padding=padding)
    _close(got, naive_conv2d(x, k, stride, padding))
    _close(got, naive_pointwise(naive_depthwise(x, d, stride, padding), p))


def test_equivalent_kernel_accepts_3d_depthwise_and_4d_pointwise():
    """A 3-D depthwise kernel is M = 1 and a (1, 1, C, O) pointwise kernel is its matrix."""
    rng = _rng(5)
    d, p = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    _close(equivalent_kernel(d, p[None, None]), np.einsum("hwi,io->hwio", d, p))


# ----------------------------------------------------------------- spatially separable


@EXAMPLES
@given(geometry(), BLOCKS)
def test_correlate2d_separable_equals_one_pass_with_outer_product(geom, blocks):
    """Column pass then row pass == correlate2d with column @ row, for both paddings and strides."""
    h, w, kh, kw, stride, padding, seed = geom
    rng = _rng(seed)
    plane, col, row = rng.standard_normal((h, w)), rng.standard_normal(kh), rng.standard_normal(kw)
    expected = naive_conv2d(plane, np.outer(col, row)[:, :, None, None], stride, padding)[:, :, 0]
    with _blocks(blocks):
        two_pass = correlate2d_separable(
            plane, col[:, None], row[None, :], stride=stride, padding=padding
        )
        flat = correlate2d_separable(plane, col, row, stride=stride, padding=padding)
        one_pass = correlate2d(plane, np.outer(col, row), stride=stride, padding=padding)
    _close(two_pass, expected)
    _close(flat, expected)
    _close(one_pass, expected)


# ----------------------------------------------------------------- known values


def test_sobel_on_vertical_step_edge_gives_plus_four():
    """Sobel-x on a dark-to-bright vertical edge: +4 on the two columns spanning it, 0 elsewhere."""
    plane = np.zeros((5, 6))
    plane[:, 3:] = 1.0
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    expected = np.tile([0.0, 4.0, 4.0, 0.0], (3, 1))
    _close(correlate2d(plane, sobel), expected)
    _close(correlate2d_separable(plane, [1, 2, 1], [-1, 0, 1]), expected)
    _close(conv2d(plane, sobel[:, :, None, None])[:, :, 0], expected)


def test_same_padding_with_even_kernel_pads_bottom_right():
    """TF 'same', 2x2 kernel, stride 1: the one padding row/column goes after (bottom/right).

    Hand-computed: the all-ones kernel sums each 2x2 block reaching past the bottom/right
    edge into zeros; the top-left-tap kernel then returns the image unshifted.
    """
    image = np.arange(1.0, 10.0).reshape(3, 3)
    expected = np.array([[12.0, 16.0, 9.0], [24.0, 28.0, 15.0], [15.0, 17.0, 9.0]])
    ones = np.ones((2, 2, 1, 1))
    _close(conv2d(image, ones, padding="same")[:, :, 0], expected)
    _close(depthwise_conv2d(image, ones, padding="same")[:, :, 0], expected)
    _close(correlate2d(image, np.ones((2, 2)), padding="same"), expected)
    top_left = np.array([[1.0, 0.0], [0.0, 0.0]])
    _close(correlate2d(image, top_left, padding="same"), image)


@pytest.mark.parametrize("h, w", [(7, 5), (8, 8), (1, 2)])
def test_same_padding_stride_two_gives_ceil_half(h, w):
    """'same' with stride 2 gives ceil(H/2) x ceil(W/2) outputs, for every operation."""
    x, shape = np.ones((h, w, 2)), (-(-h // 2), -(-w // 2))
    k3 = np.ones((3, 3, 2, 1))
    assert conv2d(x, k3, stride=2, padding="same").shape == (*shape, 1)
    assert depthwise_conv2d(x, k3, stride=2, padding="same").shape == (*shape, 2)
    assert separable_conv2d(x, k3, np.ones((2, 4)), stride=2, padding="same").shape == (*shape, 4)
    assert correlate2d(x[:, :, 0], np.ones((3, 3)), stride=2, padding="same").shape == shape


def test_depthwise_output_order_is_channel_times_multiplier_plus_m():
    """Output channel c*M + m holds input channel c (value c+1) times filter m (value m+1)."""
    x = np.ones((2, 2, 3)) * np.array([1.0, 2.0, 3.0])
    k = np.ones((1, 1, 3, 2)) * np.array([1.0, 10.0])
    assert depthwise_conv2d(x, k)[0, 0].tolist() == [1.0, 10.0, 2.0, 20.0, 3.0, 30.0]


def test_flip_kernel_rotates_2d_and_4d_kernels():
    """flip_kernel turns the spatial axes by 180 degrees and leaves channel axes alone."""
    assert flip_kernel([[1, 2], [3, 4]]).tolist() == [[4, 3], [2, 1]]
    k = np.arange(24).reshape(2, 3, 2, 2)
    flipped = flip_kernel(k)
    assert flipped.shape == k.shape
    assert flipped[0, 0, 1, 0] == k[1, 2, 1, 0]
    assert flipped[1, 0, 0, 1] == k[0, 2, 0, 1]


# ----------------------------------------------------------------- dtypes


def test_float32_in_gives_float32_out():
    """float32 images stay float32 (a float64 kernel is cast down), through every operation."""
    rng = _rng(6)
    x = rng.standard_normal((6, 6, 2)).astype(np.float32)
    k, d, p = np.ones((3, 3, 2, 2)), np.ones((3, 3, 2, 2)), np.ones((4, 3))
    assert conv2d(x, k).dtype == np.float32
    assert conv2d(x, k, padding="same", stride=2).dtype == np.float32
    assert depthwise_conv2d(x, d, padding="same").dtype == np.float32
    assert pointwise_conv2d(x, np.ones((2, 3))).dtype == np.float32
    assert separable_conv2d(x, d, p).dtype == np.float32
    plane = x[:, :, 0]
    assert correlate2d(plane, np.ones((2, 2))).dtype == np.float32
    assert correlate2d_separable(plane, np.ones(3), np.ones(2), stride=2).dtype == np.float32
    assert equivalent_kernel(d.astype(np.float32), p.astype(np.float32)).dtype == np.float32


def test_integer_image_computes_in_float64():
    """A uint8 image (e.g. a decoded photo) computes in float64 without wrapping around."""
    x = np.full((3, 3, 1), 200, dtype=np.uint8)
    out = conv2d(x, np.ones((3, 3, 1, 1), dtype=np.int64))
    assert out.dtype == np.float64
    assert out[0, 0, 0] == 1800.0


# ----------------------------------------------------------------- errors


def _names(parameter: str, *numbers) -> str:
    """A pattern for an error sentence that starts with the parameter's name and mentions
    ``numbers`` (the sizes that do not fit), in any order and any wording."""
    return rf"^{parameter}\b" + "".join(rf"(?=.*\b{n}\b)" for n in numbers)


def test_channel_mismatch_names_kernel():
    """Kernel input channels must equal image channels."""
    with pytest.raises(ValueError, match=_names("kernel", 4, 3)):
        conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 4, 1)))
    with pytest.raises(ValueError, match=_names("kernel", 2, 3)):
        depthwise_conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 2)))
    with pytest.raises(ValueError, match=_names("kernel", 2, 3)):
        pointwise_conv2d(np.ones((5, 5, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=_names("depthwise_kernel", 2, 3)):
        separable_conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 2)), np.ones((2, 4)))


def test_kernel_larger_than_image_under_valid_names_kernel():
    """Under 'valid' a kernel taller or wider than the image has nowhere to go."""
    with pytest.raises(ValueError, match=_names("kernel", 5, 3)):
        conv2d(np.ones((3, 8, 1)), np.ones((5, 1, 1, 1)))
    with pytest.raises(ValueError, match=_names("kernel", 4, 3)):
        depthwise_conv2d(np.ones((8, 3, 1)), np.ones((1, 4, 1)))
    with pytest.raises(ValueError, match=_names("kernel", 4, 3)):
        correlate2d(np.ones((3, 3)), np.ones((4, 1)))
    with pytest.raises(ValueError, match=_names("column", 4, 3)):
        correlate2d_separable(np.ones((3, 9)), np.ones(4), np.ones(1))
    with pytest.raises(ValueError, match=_names("row", 4, 3)):
        correlate2d_separable(np.ones((9, 3)), np.ones(1), np.ones(4))
    assert conv2d(np.ones((3, 3, 1)), np.ones((5, 5, 1, 1)), padding="same").shape == (3, 3, 1)


@pytest.mark.parametrize("stride", [0, -1, 1.5])
def test_bad_stride_names_stride(stride):
    """Stride must be a whole number of at least 1, for every strided function."""
    x, plane = np.ones((5, 5, 1)), np.ones((5, 5))
    calls = [
        lambda: conv2d(x, np.ones((3, 3, 1, 1)), stride=stride),
        lambda: depthwise_conv2d(x, np.ones((3, 3, 1)), stride=stride),
        lambda: separable_conv2d(x, np.ones((3, 3, 1)), np.ones((1, 1)), stride=stride),
        lambda: correlate2d(plane, np.ones((3, 3)), stride=stride),
        lambda: correlate2d_separable(plane, np.ones(3), np.ones(3), stride=stride),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=_names("stride")):
            call()


def test_unknown_padding_names_padding():
    """Only 'valid' and 'same' exist."""
    with pytest.raises(ValueError, match=_names("padding")):
        conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1, 1)), padding="full")
    with pytest.raises(ValueError, match=_names("padding")):
        correlate2d_separable(np.ones((5, 5)), np.ones(3), np.ones(3), padding="causal")


def test_wrong_ndim_names_the_parameter():
    """Images are 2-D or 3-D, kernels have their documented number of axes."""
    with pytest.raises(ValueError, match=_names("image")):
        conv2d(np.ones(5), np.ones((1, 1, 1, 1)))
    with pytest.raises(ValueError, match=_names("image")):
        pointwise_conv2d(np.ones((1, 5, 5, 1)), np.ones((1, 1)))
    with pytest.raises(ValueError, match=_names("kernel")):
        conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1)))
    with pytest.raises(ValueError, match=_names("kernel")):
        depthwise_conv2d(np.ones((5, 5, 1)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=_names("kernel")):
        pointwise_conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match=_names("plane")):
        correlate2d(np.ones((5, 5, 1)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=_names("column")):
        correlate2d_separable(np.ones((5, 5)), np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match=_names("row")):
        correlate2d_separable(np.ones((5, 5)), np.ones(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match=_names("kernel")):
        flip_kernel(np.ones(3))


def test_pointwise_rows_must_match_depthwise_outputs():
    """The pointwise kernel needs one row per depthwise output channel (Cin * M)."""
    d, p = np.ones((3, 3, 2, 3)), np.ones((5, 4))
    with pytest.raises(ValueError, match=_names("pointwise_kernel", 5, 6)):
        separable_conv2d(np.ones((5, 5, 2)), d, p)
    with pytest.raises(ValueError, match=_names("pointwise_kernel", 5, 6)):
        equivalent_kernel(d, p)


def test_empty_arrays_name_the_parameter():
    """Empty images and kernels are refused up front."""
    with pytest.raises(ValueError, match=_names("image", 0)):
        conv2d(np.ones((0, 4, 1)), np.ones((1, 1, 1, 1)), padding="same")
    with pytest.raises(ValueError, match=_names("kernel", 0)):
        depthwise_conv2d(np.ones((4, 4, 1)), np.ones((0, 3, 1)))
    with pytest.raises(ValueError, match=_names("pointwise_kernel", 0)):
        separable_conv2d(np.ones((4, 4, 1)), np.ones((3, 3, 1)), np.ones((1, 0)))
    with pytest.raises(ValueError, match=_names("plane", 0)):
        correlate2d(np.ones((0, 0)), np.ones((1, 1)))
