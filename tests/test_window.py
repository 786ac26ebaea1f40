"""Tests for sepconv_core.window against the naive loops in tests/naive.py and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from naive import _out_and_pad, naive_depthwise, naive_pointwise
from scipy import ndimage, signal
from test_dilation import geometry

from sepconv_core.window import (
    depthwise_window,
    pointwise_window,
    receptive_field,
    rounding_bound,
    separable_rounding_bound,
    sum_matches,
    sum_matches_within,
)

EXAMPLES = settings(max_examples=40, deadline=None)


def _close(actual, expected) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


@st.composite
def case(draw):
    """Image (H, W, C), depthwise kernel (kh, kw, C, M), stride, padding and an output position."""
    padding = draw(st.sampled_from(["valid", "same"]))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    low_h, low_w = (kh, kw) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(low_h, 7)), draw(st.integers(low_w, 7))
    c, m, stride = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    oh, ow = _out_and_pad(h, kh, stride, padding)[0], _out_and_pad(w, kw, stride, padding)[0]
    row, col = draw(st.integers(0, oh - 1)), draw(st.integers(0, ow - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    image = rng.standard_normal((h, w, c))
    kernel = rng.standard_normal((kh, kw, c, m))
    return image, kernel, stride, padding, row, col


def _padded_by_hand(image, kh, kw, stride, padding):
    """Zero-padded copy, with the padding written out from tests/naive.py's rule."""
    h, w, _ = image.shape
    oh, top = _out_and_pad(h, kh, stride, padding)
    ow, left = _out_and_pad(w, kw, stride, padding)
    rows, cols = max(h + top, (oh - 1) * stride + kh), max(w + left, (ow - 1) * stride + kw)
    big = np.zeros((rows, cols, image.shape[2]))
    inside = np.zeros(big.shape[:2], dtype=bool)
    for y in range(h):
        for x in range(w):
            big[top + y, left + x] = image[y, x]
            inside[top + y, left + x] = True
    return big, inside, top, left


@EXAMPLES
@given(case())
def test_depthwise_window_sums_are_the_naive_output_at_that_position(args):
    """For any shape, stride, padding and position, the sums are the naive depthwise output
    there, one per output channel c*M + m."""
    image, kernel, stride, padding, row, col = args
    win = depthwise_window(image, kernel, row, col, stride=stride, padding=padding)
    expected = naive_depthwise(image, kernel, stride, padding)[row, col]
    _close(win.sums, expected)


@EXAMPLES
@given(case())
def test_depthwise_window_patches_kernels_mask_and_corner(args):
    """Each patch is the zero-padded window of input channel n // M at (row*s, col*s), the mask
    marks exactly the padding cells, the kernels are in TensorFlow's channel order, and the
    products are patch times kernel cell by cell."""
    image, kernel, stride, padding, row, col = args
    kh, kw, c, m = kernel.shape
    big, inside, top, left = _padded_by_hand(image, kh, kw, stride, padding)
    win = depthwise_window(image, kernel, row, col, stride=stride, padding=padding)
    y0, x0 = row * stride, col * stride
    assert (win.field.top, win.field.left) == (y0 - top, x0 - left)
    assert (win.field.bottom, win.field.right) == (y0 - top + kh - 1, x0 - left + kw - 1)
    np.testing.assert_array_equal(win.padding_mask, ~inside[y0 : y0 + kh, x0 : x0 + kw])
    assert win.patches.shape == win.kernels.shape == win.products.shape == (c * m, kh, kw)
    for ci in range(c):
        for mi in range(m):
            n = ci * m + mi
            _close(win.patches[n], big[y0 : y0 + kh, x0 : x0 + kw, ci])
            _close(win.kernels[n], kernel[:, :, ci, mi])
            for i in range(kh):
                for j in range(kw):
                    assert win.products[n, i, j] == win.patches[n, i, j] * kernel[i, j, ci, mi]


def test_depthwise_window_matches_scipy_valid_and_same():
    """Stride 1: 'valid' agrees with scipy.signal.correlate2d, and 'same' with an odd kernel
    agrees with scipy.ndimage.correlate padded with zeros, at every position."""
    rng = np.random.default_rng(3)
    image, kernel = rng.standard_normal((6, 5, 2)), rng.standard_normal((3, 3, 2, 1))
    for c in range(2):
        valid = signal.correlate2d(image[:, :, c], kernel[:, :, c, 0], mode="valid")
        same = ndimage.correlate(image[:, :, c], kernel[:, :, c, 0], mode="constant", cval=0.0)
        for (y, x), value in np.ndenumerate(valid):
            _close(depthwise_window(image, kernel, y, x).sums[c], value)
        for (y, x), value in np.ndenumerate(same):
            _close(depthwise_window(image, kernel, y, x, padding="same").sums[c], value)


def test_corner_of_same_padding_is_marked_as_padding():
    """A 3×3 kernel with 'same' padding at output (0, 0) overhangs by one row and one column:
    five cells of padding, holding zeros, and the field starts at (-1, -1)."""
    image = np.arange(1.0, 17.0).reshape(4, 4)
    win = depthwise_window(image, np.ones((3, 3, 1)), 0, 0, padding="same")
    expected_mask = np.array([[1, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(win.padding_mask, expected_mask)
    np.testing.assert_array_equal(win.patches[0], [[0, 0, 0], [0, 1, 2], [0, 5, 6]])
    assert win.sums[0] == 1 + 2 + 5 + 6
    assert (win.field.top, win.field.left, win.field.bottom, win.field.right) == (-1, -1, 1, 1)


def test_valid_padding_never_marks_padding():
    """Under 'valid' every patch lies inside the image."""
    image = np.random.default_rng(0).standard_normal((5, 6, 1))
    for y in range(3):
        for x in range(4):
            assert not depthwise_window(image, np.ones((3, 3, 1)), y, x).padding_mask.any()


@EXAMPLES
@given(case())
def test_receptive_field_is_where_an_impulse_reaches_the_output(args):
    """An input cell lies in the field of output (row, col) exactly when an impulse there
    changes that output under an all-ones kernel (naive loops); the field is kh × kw."""
    image, kernel, stride, padding, row, col = args
    h, w, _ = image.shape
    kh, kw = kernel.shape[:2]
    field = receptive_field(row, col, (kh, kw), stride=stride, padding=padding, height=h, width=w)
    assert (field.bottom - field.top + 1, field.right - field.left + 1) == (kh, kw)
    ones = np.ones((kh, kw, 1))
    for y in range(h):
        for x in range(w):
            impulse = np.zeros((h, w))
            impulse[y, x] = 1.0
            reached = naive_depthwise(impulse, ones, stride, padding)[row, col, 0] != 0
            inside = field.top <= y <= field.bottom and field.left <= x <= field.right
            assert reached == inside, (y, x)


def test_receptive_field_square_kernel_and_stride():
    """k = 5, stride 2, 'same' on 12 × 12: output 6 × 6, 3 rows of padding in all, 1 on top.
    Output (0, 0) sees rows -1..3; output (5, 5) sees 9..13 (one row of bottom padding)."""
    assert receptive_field(0, 0, 5, stride=2, padding="same", height=12, width=12) == (
        receptive_field(0, 0, (5, 5), stride=2, padding="same", height=12, width=12)
    )
    first = receptive_field(0, 0, 5, stride=2, padding="same", height=12, width=12)
    last = receptive_field(5, 5, 5, stride=2, padding="same", height=12, width=12)
    assert (first.top, first.left, first.bottom, first.right) == (-1, -1, 3, 3)
    assert (last.top, last.left, last.bottom, last.right) == (9, 9, 13, 13)


@EXAMPLES
@given(case(), st.integers(1, 5))
def test_pointwise_window_sums_are_the_naive_output(args, cout):
    """At every drawn pixel the Cout sums are the naive pointwise output there, the values are
    the depthwise output at that pixel and each product is value times weight."""
    image, kernel, stride, padding, _, _ = args
    d = naive_depthwise(image, kernel, stride, padding)
    p = np.random.default_rng(cout).standard_normal((d.shape[2], cout))
    expected = naive_pointwise(d, p)
    row, col = d.shape[0] - 1, d.shape[1] // 2
    win = pointwise_window(d, p, row, col)
    _close(win.sums, expected[row, col])
    _close(win.values, d[row, col])
    assert win.products.shape == win.weights.shape == (d.shape[2], cout)
    for n in range(d.shape[2]):
        for o in range(cout):
            assert win.products[n, o] == d[row, col, n] * p[n, o]


def test_pointwise_window_accepts_a_1x1_kernel():
    """A (1, 1, Cin, Cout) kernel gives the same sums as its (Cin, Cout) matrix."""
    d = np.arange(12.0).reshape(2, 2, 3)
    p = np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]])
    win = pointwise_window(d, p[None, None], 1, 0)
    _close(win.sums, [6 * 1 + 7 * 2 + 8 * 0, -6 + 3.5 + 24])


def test_float32_in_gives_float32_out():
    """The window numbers take the image's float32 dtype, like the convolutions."""
    image = np.ones((4, 4, 2), np.float32)
    win = depthwise_window(image, np.ones((3, 3, 2)), 1, 1)
    assert win.patches.dtype == win.products.dtype == win.sums.dtype == np.float32
    pw = pointwise_window(np.ones((2, 2, 2), np.float32), np.ones((2, 3)), 0, 0)
    assert pw.sums.dtype == pw.weights.dtype == np.float32


@pytest.mark.parametrize(
    ("row", "col", "name"),
    [(2, 0, "row"), (-1, 0, "row"), (0, 2, "col"), (0, -1, "col"), (0.5, 0, "row")],
)
def test_positions_outside_the_output_name_the_parameter(row, col, name):
    """A 4 × 4 image under a 3 × 3 kernel ('valid') has a 2 × 2 output: anything else is a
    ValueError whose sentence names row or col."""
    image, kernel = np.ones((4, 4, 1)), np.ones((3, 3, 1))
    with pytest.raises(ValueError, match=name):
        depthwise_window(image, kernel, row, col)
    with pytest.raises(ValueError, match=name):
        receptive_field(row, col, 3, height=4, width=4)
    with pytest.raises(ValueError, match=name):
        pointwise_window(np.ones((2, 2, 1)), np.ones((1, 1)), row, col)


def test_mismatched_arrays_are_sentences():
    """A kernel for the wrong number of channels, or one that does not fit under 'valid'."""
    with pytest.raises(ValueError, match="depthwise_kernel"):
        depthwise_window(np.ones((4, 4, 2)), np.ones((3, 3, 3)), 0, 0)
    with pytest.raises(ValueError, match="depthwise_kernel"):
        depthwise_window(np.ones((2, 4, 1)), np.ones((3, 3, 1)), 0, 0)
    with pytest.raises(ValueError, match="pointwise_kernel"):
        pointwise_window(np.ones((2, 2, 3)), np.ones((2, 4)), 0, 0)
    with pytest.raises(ValueError, match="kernel_size"):
        receptive_field(0, 0, (3, 3, 3), height=4, width=4)


# ----------------------------------------------------------------- sum_matches (issue 9, point 1)


def _camera(size: int) -> np.ndarray:
    """The app's "Camera man" sample at working size ``size``, as the sidebar makes it."""
    from pathlib import Path

    from sepconv_core.image import load_image, resize_to, to_uint8

    data = (Path(__file__).resolve().parent.parent / "assets" / "camera.png").read_bytes()
    return resize_to(to_uint8(load_image(data, max_side=1024)).astype(np.float32) / 255.0, size)


def test_repro_sobel_7_on_camera_man_agrees_with_its_sum():
    """Camera man at 128, Sobel k = 7, valid, pixel (0, 0): the float64 sum and the float32
    output differ by more than the old fixed tolerance (large products cancel), yet the sum
    is the output, and sum_matches says so."""
    from sepconv_core.conv import depthwise_conv2d
    from sepconv_core.kernels import channel_kernels

    image = _camera(128)
    dk = channel_kernels("sobel", 7, image.shape[2], 1)
    out = depthwise_conv2d(image, dk.astype(np.float32))
    win = depthwise_window(image.astype(np.float64), dk, 0, 0)
    value = float(out[0, 0, 0])
    assert not np.isclose(win.sums[0], value, rtol=1e-4, atol=1e-6)  # the old check's mistake
    assert sum_matches(win.products[0], value)
    # ... and a neighbour's value is not taken for this pixel's
    assert not sum_matches(win.products[0], float(out[0, 1, 0]))


def test_every_float32_output_matches_its_float64_sum():
    """Cancelling kernels (Sobel 7, Laplacian-like) on a float32 image: at every position and
    channel, the float32 depthwise output and its pointwise output match their sums."""
    from sepconv_core.conv import depthwise_conv2d, pointwise_conv2d
    from sepconv_core.kernels import channel_kernels, pointwise_weights

    rng = np.random.default_rng(3)
    image = (0.8 + 0.01 * rng.random((20, 20, 3))).astype(np.float32)  # smooth: cancels
    dk = channel_kernels("sobel", 7, 3, 2)
    pk = pointwise_weights(6, 5, seed=1)
    d32 = depthwise_conv2d(image, dk.astype(np.float32), padding="same")
    p32 = pointwise_conv2d(d32, pk.astype(np.float32))
    for row in range(d32.shape[0]):
        for col in range(d32.shape[1]):
            win = depthwise_window(image.astype(np.float64), dk, row, col, padding="same")
            for n in range(6):
                assert sum_matches(win.products[n], d32[row, col, n])
            pw = pointwise_window(d32, pk, row, col)
            for o in range(5):
                assert sum_matches(pw.products[:, o], p32[row, col, o])


@EXAMPLES
@given(st.integers(1, 200), st.integers(0, 2**16))
def test_sum_matches_any_summation_order_in_float32(n, seed):
    """Products rounded to float32 and summed in float32 forwards, backwards or pairwise all
    match the exact sum; a value off by 3 bounds does not."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(n) * 100, rng.standard_normal(n)
    products = x * y
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    forward = np.float32(0)
    for a, b in zip(x32, y32, strict=True):
        forward = np.float32(forward + a * b)
    backward = np.float32(0)
    for a, b in zip(x32[::-1], y32[::-1], strict=True):
        backward = np.float32(backward + a * b)
    for value in (forward, backward, np.dot(x32, y32), np.sum(x32 * y32)):
        assert sum_matches(products, value)
    bound = rounding_bound(products)
    exact = float(np.sum(products))
    assert not sum_matches(products, exact + 3 * bound)
    assert not sum_matches(products, exact - 3 * bound)


def test_rounding_bound_scales_with_the_absolute_products():
    """Cancelling products get the bound of their sizes, not of their (small) sum; a float64
    computation gets a far tighter bound than a float32 one."""
    big = rounding_bound([1e3, -1e3, 1.0])
    assert big > rounding_bound([1.0]) * 100
    assert rounding_bound([1.0, 2.0], np.float64) < rounding_bound([1.0, 2.0]) * 1e-8


# ----------------------------------------------------------------- dilation (issue 9, point 14)


@st.composite
def dilated_case(draw):
    """Like ``case``, with test_dilation's geometry (dilation 1-3, the dilated kernel fitting
    under 'valid'), 1 or 2 channels and an output pixel."""
    h, w, kh, kw, stride, padding, d, seed = draw(geometry())
    c = draw(st.integers(1, 2))
    oh = _out_and_pad(h, (kh - 1) * d + 1, stride, padding)[0]
    ow = _out_and_pad(w, (kw - 1) * d + 1, stride, padding)[0]
    row, col = draw(st.integers(0, oh - 1)), draw(st.integers(0, ow - 1))
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((h, w, c)),
        rng.standard_normal((kh, kw, c, 1)),
        stride,
        padding,
        d,
        row,
        col,
    )


@EXAMPLES
@given(dilated_case())
def test_dilated_window_sums_are_the_naive_dilated_output(args):
    image, kernel, stride, padding, d, row, col = args
    win = depthwise_window(image, kernel, row, col, stride=stride, padding=padding, dilation=d)
    _close(win.sums, naive_depthwise(image, kernel, stride, padding, dilation=d)[row, col])


@EXAMPLES
@given(dilated_case())
def test_dilated_taps_are_where_an_impulse_reaches_the_output(args):
    """An input cell is one of the field's taps (``rows`` × ``cols``) exactly when an impulse
    there changes the dilated output under an all-ones kernel (naive loops)."""
    image, kernel, stride, padding, d, row, col = args
    h, w, _ = image.shape
    kh, kw = kernel.shape[:2]
    field = receptive_field(
        row, col, (kh, kw), stride=stride, padding=padding, dilation=d, height=h, width=w
    )
    assert (len(field.rows), len(field.cols)) == (kh, kw)
    assert (field.bottom - field.top + 1, field.right - field.left + 1) == (
        (kh - 1) * d + 1,
        (kw - 1) * d + 1,
    )
    ones = np.ones((kh, kw, 1))
    for y in range(h):
        for x in range(w):
            impulse = np.zeros((h, w))
            impulse[y, x] = 1.0
            reached = naive_depthwise(impulse, ones, stride, padding, dilation=d)[row, col, 0]
            assert (reached != 0) == (y in field.rows and x in field.cols), (y, x)


def test_dilation_2_same_field_example():
    """k = 3, d = 2 spans 5 pixels; 'same' on 8 pads 2 on top: output (0, 0) taps rows
    -2, 0, 2, of which row -2 is padding."""
    f = receptive_field(0, 0, 3, padding="same", dilation=2, height=8, width=8)
    assert f.rows == (-2, 0, 2) and f.cols == (-2, 0, 2)
    win = depthwise_window(np.ones((8, 8, 1)), np.ones((3, 3, 1)), 0, 0, padding="same", dilation=2)
    np.testing.assert_array_equal(win.padding_mask[:, 0], [True, True, True])
    assert win.padding_mask.sum() == 5 and win.sums[0] == 4.0


def test_normal_and_separable_agree_when_the_equivalent_kernel_cancels():
    """M = 2 with kernel 1 = -(P00/P10) * kernel 0: output 0's equivalent kernel cancels to
    rounding, so the normal convolution's products are ~0 while the float32 separable output
    carries the rounding of its depthwise sums. Bounding both sides (rounding_bound of the
    normal products + separable_rounding_bound) accepts it at every position, where the
    normal products' own bound alone does not; a real difference (a value moved by 1e-4 of
    the separable terms' size, or output 1's value) is still refused."""
    from naive import naive_conv2d

    from sepconv_core.conv import depthwise_conv2d, equivalent_kernel, pointwise_conv2d
    from sepconv_core.kernels import channel_kernels, pointwise_weights

    image = _camera(64)[:20, :20].astype(np.float64)
    sobel = channel_kernels("sobel", 3, 1, 1)[:, :, 0, 0]
    pk = pointwise_weights(2, 3, seed=0)
    dk = np.stack([sobel, -(pk[0, 0] / pk[1, 0]) * sobel], axis=-1)[:, :, None, :]
    ek = equivalent_kernel(dk, pk)
    exact = naive_conv2d(image, np.einsum("hwcm,mo->hwco", dk, pk))  # float64 loops
    assert np.abs(exact[:, :, 0]).max() < 1e-12, "output 0's kernels cancel"
    out = pointwise_conv2d(
        depthwise_conv2d(image.astype(np.float32), dk.astype(np.float32)), pk.astype(np.float32)
    )
    own_bound_only = other_outputs = 0
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            normal = depthwise_window(image, ek[:, :, :, 0], r, c).products
            dw = depthwise_window(image, dk, r, c).products
            both = rounding_bound(normal) + separable_rounding_bound(dw, pk[:, 0])
            value = float(out[r, c, 0])
            assert sum_matches_within(normal, value, both), (r, c)
            own_bound_only += not sum_matches(normal, value)
            size = float(np.abs(pk[:, 0]) @ np.abs(dw).reshape(2, -1).sum(axis=1))
            assert not sum_matches_within(normal, value + 1e-4 * size + 1e-30, both), (r, c)
            other = depthwise_window(image, ek[:, :, :, 1], r, c).products
            b1 = rounding_bound(other) + separable_rounding_bound(dw, pk[:, 1])
            if abs(exact[r, c, 1]) > 1e-4 * size:  # output 1 is really another number here
                assert not sum_matches_within(other, value, b1), (r, c)
                other_outputs += 1
    assert own_bound_only > 0, "the normal side's bound alone says they differ somewhere"
    assert other_outputs > 100, "output 1's value is checked, and refused, at most positions"
