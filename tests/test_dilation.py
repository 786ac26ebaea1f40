"""Dilation (issue 9, point 14): Keras ``dilation_rate`` / PyTorch ``dilation`` semantics.

References: the naive loops in tests/naive.py, and, independently of both, the plain
(undilated) convolution with the *zero-inserted* kernel (d - 1 zeros between taps), which
is what a dilated kernel is by definition, computed by SciPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from naive import naive_conv2d, naive_depthwise, naive_pointwise
from scipy import signal
from test_conv import _blocks, _close

from sepconv_core._padding import output_size, pad_amounts
from sepconv_core.conv import (
    conv2d,
    correlate2d,
    correlate2d_separable,
    depthwise_conv2d,
    separable_conv2d,
)

EXAMPLES = settings(max_examples=40, deadline=None)
BLOCKS = st.sampled_from([1, 20, 1 << 17])


def _zero_inserted(kernel: np.ndarray, d: int) -> np.ndarray:
    """The dilated kernel written out: taps d apart, zeros between (spatial axes 0, 1)."""
    kh, kw = kernel.shape[:2]
    out = np.zeros(((kh - 1) * d + 1, (kw - 1) * d + 1, *kernel.shape[2:]))
    out[::d, ::d] = kernel
    return out


@st.composite
def geometry(draw):
    """Image size, kernel size, stride, padding, dilation 1-3 and a seed; the dilated
    kernel fits under 'valid'."""
    padding = draw(st.sampled_from(["valid", "same"]))
    d = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    span_h, span_w = (kh - 1) * d + 1, (kw - 1) * d + 1
    low_h, low_w = (span_h, span_w) if padding == "valid" else (1, 1)
    h, w = draw(st.integers(low_h, 9)), draw(st.integers(low_w, 9))
    stride = draw(st.integers(1, 3))
    return h, w, kh, kw, stride, padding, d, draw(st.integers(0, 2**32 - 1))


@EXAMPLES
@given(geometry())
def test_naive_dilation_is_the_zero_inserted_kernel(geom):
    """The reference itself: naive dilated == naive plain with the zero-inserted kernel, and
    under 'valid' == scipy.signal.correlate2d with it."""
    h, w, kh, kw, stride, padding, d, seed = geom
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((h, w, 1)), rng.standard_normal((kh, kw, 1, 1))
    dilated = naive_conv2d(x, k, stride, padding, dilation=d)
    _close(dilated, naive_conv2d(x, _zero_inserted(k, d), stride, padding))
    if padding == "valid":
        full = signal.correlate2d(x[:, :, 0], _zero_inserted(k, d)[:, :, 0, 0], mode="valid")
        _close(dilated[:, :, 0], full[::stride, ::stride])


@EXAMPLES
@given(geometry(), st.integers(1, 3), st.integers(1, 3), BLOCKS)
def test_conv2d_with_dilation_matches_naive(geom, cin, cout, blocks):
    h, w, kh, kw, stride, padding, d, seed = geom
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((h, w, cin)), rng.standard_normal((kh, kw, cin, cout))
    with _blocks(blocks):
        got = conv2d(x, k, stride=stride, padding=padding, dilation=d)
    _close(got, naive_conv2d(x, k, stride, padding, dilation=d))


@EXAMPLES
@given(geometry(), st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), BLOCKS)
def test_depthwise_and_separable_with_dilation_match_naive(geom, cin, mult, cout, blocks):
    h, w, kh, kw, stride, padding, d, seed = geom
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((h, w, cin))
    dk, pk = rng.standard_normal((kh, kw, cin, mult)), rng.standard_normal((cin * mult, cout))
    expected = naive_depthwise(x, dk, stride, padding, dilation=d)
    with _blocks(blocks):
        got = depthwise_conv2d(x, dk, stride=stride, padding=padding, dilation=d)
        sep = separable_conv2d(x, dk, pk, stride=stride, padding=padding, dilation=d)
    _close(got, expected)
    _close(sep, naive_pointwise(expected, pk))


@EXAMPLES
@given(geometry(), BLOCKS)
def test_plane_correlations_with_dilation_match_naive(geom, blocks):
    """correlate2d and the two-pass correlate2d_separable, dilated, equal the naive loop."""
    h, w, kh, kw, stride, padding, d, seed = geom
    rng = np.random.default_rng(seed)
    plane, col, row = rng.standard_normal((h, w)), rng.standard_normal(kh), rng.standard_normal(kw)
    kernel = np.outer(col, row)
    expected = naive_conv2d(plane, kernel[:, :, None, None], stride, padding, dilation=d)[..., 0]
    with _blocks(blocks):
        one = correlate2d(plane, kernel, stride=stride, padding=padding, dilation=d)
        two = correlate2d_separable(plane, col, row, stride=stride, padding=padding, dilation=d)
    _close(one, expected)
    _close(two, expected)


@pytest.mark.parametrize(("k", "d"), [(3, 2), (3, 3), (2, 2), (5, 2), (4, 3)])
def test_same_padding_stride_1_is_pytorchs_rule(k, d):
    """PyTorch's padding='same' (stride 1) pads d*(k-1) in all, the smaller half first;
    Keras/TF pad the same. The output keeps the input size."""
    for n in (5, 8, 11):
        total = d * (k - 1)
        assert pad_amounts(n, k, 1, "same", dilation=d) == (total // 2, total - total // 2)
        assert output_size(n, k, 1, "same", dilation=d) == n


def test_valid_output_size_uses_the_dilated_span():
    """A 3-tap kernel with dilation 2 spans 5 pixels: 12 - 5 + 1 = 8 positions."""
    assert output_size(12, 3, 1, "valid", dilation=2) == 8
    x = np.ones((12, 12, 1))
    assert conv2d(x, np.ones((3, 3, 1, 1)), dilation=2).shape == (8, 8, 1)


def test_a_dilated_kernel_that_does_not_fit_says_its_span():
    with pytest.raises(ValueError, match="spanning 5 with dilation 2"):
        depthwise_conv2d(np.ones((4, 4, 1)), np.ones((3, 3, 1)), dilation=2)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_dilation_names_dilation(bad):
    with pytest.raises(ValueError, match="dilation"):
        conv2d(np.ones((5, 5, 1)), np.ones((1, 1, 1, 1)), dilation=bad)


@pytest.mark.parametrize(("stride", "d"), [(2, 2), (3, 2), (2, 3)])
def test_valid_stride_with_dilation_is_the_stride_1_output_subsampled(stride, d):
    """What the generated Keras code tells a student (Keras refuses strides > 1 with
    dilation_rate > 1): under 'valid', stride s equals stride 1 then every s-th output."""
    rng = np.random.default_rng(stride * d)
    x, k = rng.standard_normal((13, 11, 2)), rng.standard_normal((3, 2, 2, 3))
    _close(
        conv2d(x, k, stride=stride, dilation=d),
        naive_conv2d(x, k, 1, "valid", dilation=d)[::stride, ::stride],
    )
