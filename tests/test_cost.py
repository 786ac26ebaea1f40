"""Cost arithmetic checked against hand-worked examples, naive counters and published figures.

The naive counters below really run the convolution with explicit Python loops
on a zero-padded copy of the input, and count each multiplication as it
happens (padded zeros included: frameworks multiply them too). Their padding
is written out here from TensorFlow's documented 'same' rule, not taken from
the package.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sepconv_core.cost import (
    conv2d_cost,
    depthwise_separable_cost,
    mobilenet_v1_cost,
    separable_ratio_formula,
    spatial_separable_cost,
)

# --------------------------------------------------------------------------- naive counters


def tf_pads(n, k, stride, padding, dilation=1):
    """(before, after) padding along one axis: TensorFlow's documented rule, written out
    for a kernel of k taps spaced ``dilation`` apart."""
    if padding == "valid":
        return 0, 0
    out = -(-n // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - n, 0)
    return total // 2, total - total // 2


def zero_pad(x, kh, kw, stride, padding, dilation=1):
    """Zero-pad an (H, W, C) array along H and W."""
    (t, b), (left, r) = (
        tf_pads(x.shape[0], kh, stride, padding, dilation),
        tf_pads(x.shape[1], kw, stride, padding, dilation),
    )
    return np.pad(x, ((t, b), (left, r), (0, 0)))


def naive_conv(x, k, stride, padding, dilation=1):
    """Slide ``k`` (kh, kw, Cin, Cout) over ``x`` (H, W, Cin); return (output, multiplications)."""
    kh, kw, cin, cout = k.shape
    d = dilation
    xp = zero_pad(x, kh, kw, stride, padding, d)
    rows = range(0, xp.shape[0] - (kh - 1) * d, stride)
    cols = range(0, xp.shape[1] - (kw - 1) * d, stride)
    out = np.zeros((len(rows), len(cols), cout))
    count = 0
    for oi, i in enumerate(rows):
        for oj, j in enumerate(cols):
            for o in range(cout):
                acc = 0.0
                for a in range(kh):
                    for b in range(kw):
                        for c in range(cin):
                            acc += xp[i + a * d, j + b * d, c] * k[a, b, c, o]
                            count += 1
                out[oi, oj, o] = acc
    return out, count


def naive_depthwise(x, k, stride, padding, dilation=1):
    """Per-channel sliding of ``k`` (kh, kw, Cin, M); output channel c*M + m."""
    kh, kw, cin, m = k.shape
    d = dilation
    xp = zero_pad(x, kh, kw, stride, padding, d)
    rows = range(0, xp.shape[0] - (kh - 1) * d, stride)
    cols = range(0, xp.shape[1] - (kw - 1) * d, stride)
    out = np.zeros((len(rows), len(cols), cin * m))
    count = 0
    for oi, i in enumerate(rows):
        for oj, j in enumerate(cols):
            for c in range(cin):
                for q in range(m):
                    acc = 0.0
                    for a in range(kh):
                        for b in range(kw):
                            acc += xp[i + a * d, j + b * d, c] * k[a, b, c, q]
                            count += 1
                    out[oi, oj, c * m + q] = acc
    return out, count


def naive_two_pass(x, col, row, stride, padding, dilation=1):
    """Column pass then row pass on one (H, W) channel; return (output, multiplications).

    The column pass runs down every column of the image (vertical stride only); a
    column of 'same' padding is all zeros, so its result is 0 without multiplying. The
    row pass then slides along each resulting row.
    """
    kh, kw, d = len(col), len(row), dilation
    xp = zero_pad(x[:, :, None], kh, kw, stride, padding, d)[:, :, 0]
    left = tf_pads(x.shape[1], kw, stride, padding, d)[0]
    image_columns = range(left, left + x.shape[1])
    count = 0
    tmp = []
    for i in range(0, xp.shape[0] - (kh - 1) * d, stride):
        line = []
        for j in range(xp.shape[1]):
            acc = 0.0
            if j in image_columns:
                for a in range(kh):
                    acc += xp[i + a * d, j] * col[a]
                    count += 1
            line.append(acc)
        tmp.append(line)
    out = []
    for line in tmp:
        res = []
        for j in range(0, len(line) - (kw - 1) * d, stride):
            acc = 0.0
            for b in range(kw):
                acc += line[j + b * d] * row[b]
                count += 1
            res.append(acc)
        out.append(res)
    return np.array(out), count


# --------------------------------------------------------------------------- the classic example


def test_classic_example_standard_valid():
    """12x12x3 input, 256 filters of 5x5, valid: 8x8x256 output, 1,228,800 mults, 19,200 weights."""
    c = conv2d_cost(12, 12, 3, 256, 5)
    assert c.input_shape == (12, 12, 3)
    assert c.kernel_shape == (5, 5, 3, 256)
    assert c.output_shape == (8, 8, 256)
    assert c.multiplications == 1_228_800
    assert c.parameters == 19_200


def test_classic_example_separable_valid():
    """Depthwise 5x5x3 then 1x1x3x256: 4,800 + 49,152 = 53,952 mults, 75 + 768 = 843 weights."""
    s = depthwise_separable_cost(12, 12, 3, 256, 5)
    assert s.depthwise.kernel_shape == (5, 5, 3, 1)
    assert s.depthwise.output_shape == (8, 8, 3)
    assert s.depthwise.multiplications == 4_800
    assert s.depthwise.parameters == 75
    assert s.pointwise.kernel_shape == (1, 1, 3, 256)
    assert s.pointwise.output_shape == (8, 8, 256)
    assert s.pointwise.multiplications == 49_152
    assert s.pointwise.parameters == 768
    assert s.multiplications == 53_952
    assert s.parameters == 843
    assert s.output_shape == (8, 8, 256)
    assert s.normal.multiplications == 1_228_800
    assert s.ratio == pytest.approx(53_952 / 1_228_800, rel=1e-15)


def test_classic_example_same_padding():
    """With padding='same' the output keeps 12x12, and the count is 256*75*144 = 2,764,800."""
    c = conv2d_cost(12, 12, 3, 256, 5, padding="same")
    assert c.output_shape == (12, 12, 256)
    assert c.multiplications == 2_764_800
    assert c.parameters == 19_200
    s = depthwise_separable_cost(12, 12, 3, 256, 5, padding="same")
    assert s.output_shape == (12, 12, 256)
    assert s.depthwise.multiplications == 75 * 144
    assert s.pointwise.multiplications == 3 * 256 * 144


def test_rectangular_kernel_and_stride():
    """A (3, 5) kernel, stride 2, valid on 9x11: output 4x4, each weight used 16 times."""
    c = conv2d_cost(9, 11, 2, 4, (3, 5), stride=2)
    assert c.output_shape == (4, 4, 4)
    assert c.kernel_shape == (3, 5, 2, 4)
    assert c.multiplications == 3 * 5 * 2 * 4 * 16


def test_counts_are_python_ints_even_from_numpy_inputs():
    """numpy integer arguments still give plain Python ints (no int64 overflow, JSON-friendly)."""
    c = conv2d_cost(np.int64(12), np.int32(12), np.int64(3), np.int64(256), np.int64(5))
    s = depthwise_separable_cost(np.int64(12), 12, 3, 256, (np.int64(5), 5))
    net = mobilenet_v1_cost(resolution=np.int64(224))
    values = [c.multiplications, c.parameters, *c.output_shape, *c.kernel_shape]
    values += [s.multiplications, s.parameters, net.mult_adds, net.parameters]
    assert all(type(v) is int for v in values)


def test_records_are_frozen():
    """Cost records cannot be changed after the fact."""
    c = conv2d_cost(5, 5, 1, 1, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.multiplications = 0


# --------------------------------------------------------------------------- naive counter checks

small = st.integers(1, 6)
kernels = st.integers(1, 4)
channels = st.integers(1, 3)
strides = st.integers(1, 3)
paddings = st.sampled_from(["valid", "same"])
dilations = st.integers(1, 3)


def _fits(n, k, d):
    return (k - 1) * d + 1 <= n


@settings(max_examples=60, deadline=None)
@given(small, small, channels, channels, kernels, kernels, strides, paddings, dilations)
def test_conv2d_cost_matches_naive_counter(h, w, cin, cout, kh, kw, stride, padding, d):
    """conv2d_cost's output shape and multiplication count equal a naive loop's, dilated too."""
    args = dict(stride=stride, padding=padding, dilation=d)
    if padding == "valid" and not (_fits(h, kh, d) and _fits(w, kw, d)):
        with pytest.raises(ValueError, match="kernel"):
            conv2d_cost(h, w, cin, cout, (kh, kw), **args)
        return
    rng = np.random.default_rng(h * w + kh)
    x, k = rng.normal(size=(h, w, cin)), rng.normal(size=(kh, kw, cin, cout))
    out, count = naive_conv(x, k, stride, padding, d)
    c = conv2d_cost(h, w, cin, cout, (kh, kw), **args)
    assert c.output_shape == out.shape
    assert c.multiplications == count
    assert c.parameters == k.size


@settings(max_examples=40, deadline=None)
@given(
    small,
    small,
    channels,
    channels,
    kernels,
    kernels,
    strides,
    paddings,
    st.integers(1, 2),
    dilations,
)
def test_separable_cost_matches_naive_counter(h, w, cin, cout, kh, kw, stride, padding, m, d):
    """Depthwise + pointwise counts equal a naive depthwise loop followed by a naive 1x1 loop."""
    if padding == "valid" and not (_fits(h, kh, d) and _fits(w, kw, d)):
        return
    rng = np.random.default_rng(0)
    x = rng.normal(size=(h, w, cin))
    dk, pk = rng.normal(size=(kh, kw, cin, m)), rng.normal(size=(1, 1, cin * m, cout))
    mid, count_dw = naive_depthwise(x, dk, stride, padding, d)
    out, count_pw = naive_conv(mid, pk, 1, "valid")
    s = depthwise_separable_cost(
        h, w, cin, cout, (kh, kw), stride=stride, padding=padding, depth_multiplier=m, dilation=d
    )
    assert s.depthwise.output_shape == mid.shape
    assert s.depthwise.kernel_shape == (kh, kw, cin, m)
    assert s.pointwise.kernel_shape == (1, 1, cin * m, cout)
    assert s.output_shape == out.shape
    assert (s.depthwise.multiplications, s.pointwise.multiplications) == (count_dw, count_pw)
    assert s.parameters == dk.size + pk.size


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 30),
    st.integers(1, 30),
    st.integers(1, 64),
    kernels,
    kernels,
    strides,
    paddings,
    st.integers(1, 4),
)
def test_ratio_is_exactly_the_textbook_formula(h, w, cout, kh, kw, stride, padding, m):
    """separable / standard = M * (1/Cout + 1/(kh*kw)) exactly, for any size, stride, padding."""
    if padding == "valid" and (kh > h or kw > w):
        return
    s = depthwise_separable_cost(
        h, w, 3, cout, (kh, kw), stride=stride, padding=padding, depth_multiplier=m
    )
    exact = Fraction(s.multiplications, s.normal.multiplications)
    assert exact == m * (Fraction(1, cout) + Fraction(1, kh * kw))
    if m == 1:
        assert s.ratio == pytest.approx(separable_ratio_formula(cout, (kh, kw)), rel=1e-12)


def test_ratio_formula_value():
    """3x3 kernel, 256 outputs: 1/256 + 1/9, a saving of about 8.7 times."""
    assert separable_ratio_formula(256, 3) == pytest.approx(1 / 256 + 1 / 9, rel=1e-15)
    assert separable_ratio_formula(10, (2, 5)) == pytest.approx(0.2, rel=1e-15)


# --------------------------------------------------------------------------- spatially separable


def test_spatial_per_pixel_3x3():
    """A 3x3 filter costs 9 multiplications per value whole, 6 as column + row."""
    s = spatial_separable_cost(10, 10, 3)
    assert (s.per_pixel_full, s.per_pixel_separable) == (9, 6)
    assert s.output_shape == (8, 8, 1)
    assert s.full_multiplications == 9 * 64
    assert s.separable_multiplications_ideal == 6 * 64
    # column pass on 8 rows x all 10 columns, row pass on 8 x 8
    assert s.separable_multiplications == 3 * 8 * 10 + 3 * 8 * 8


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 7),
    st.integers(1, 7),
    kernels,
    kernels,
    strides,
    paddings,
    st.integers(1, 2),
    st.integers(0, 99),
    dilations,
)
def test_spatial_cost_matches_naive_two_pass(h, w, kh, kw, stride, padding, channels, seed, d):
    """The exact two-pass count (and the full count) equal naive loops, on every channel."""
    if padding == "valid" and not (_fits(h, kh, d) and _fits(w, kw, d)):
        with pytest.raises(ValueError, match="kernel"):
            spatial_separable_cost(h, w, (kh, kw), stride=stride, padding=padding, dilation=d)
        return
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(h, w, channels))
    col, row = rng.normal(size=kh), rng.normal(size=kw)
    full_count = sep_count = 0
    for c in range(channels):
        two_pass, n_sep = naive_two_pass(x[:, :, c], col, row, stride, padding, d)
        full, n_full = naive_conv(
            x[:, :, c : c + 1], np.outer(col, row)[:, :, None, None], stride, padding, d
        )
        # the two-pass scheme computes the same thing as the full rank-1 kernel
        np.testing.assert_allclose(two_pass, full[:, :, 0], rtol=1e-12, atol=1e-12)
        full_count, sep_count = full_count + n_full, sep_count + n_sep
    s = spatial_separable_cost(
        h, w, (kh, kw), stride=stride, padding=padding, channels=channels, dilation=d
    )
    assert s.output_shape == (*full.shape[:2], channels)
    assert s.full_multiplications == full_count
    assert s.separable_multiplications == sep_count
    assert s.separable_multiplications >= s.separable_multiplications_ideal
    positions = full.shape[0] * full.shape[1]
    assert s.separable_multiplications_ideal == (kh + kw) * positions * channels


# --------------------------------------------------------------------------- MobileNet v1

# Table 1 of Howard et al. 2017, typed in from the paper: (type, filter shape, input shape).
# dw filters are printed as "3x3xC dw". The last dw row is printed "s2" but 7x7 -> 7x7.
TABLE_1 = [
    ("conv", (3, 3, 3, 32), (224, 224, 3)),
    ("depthwise", (3, 3, 32), (112, 112, 32)),
    ("pointwise", (1, 1, 32, 64), (112, 112, 32)),
    ("depthwise", (3, 3, 64), (112, 112, 64)),
    ("pointwise", (1, 1, 64, 128), (56, 56, 64)),
    ("depthwise", (3, 3, 128), (56, 56, 128)),
    ("pointwise", (1, 1, 128, 128), (56, 56, 128)),
    ("depthwise", (3, 3, 128), (56, 56, 128)),
    ("pointwise", (1, 1, 128, 256), (28, 28, 128)),
    ("depthwise", (3, 3, 256), (28, 28, 256)),
    ("pointwise", (1, 1, 256, 256), (28, 28, 256)),
    ("depthwise", (3, 3, 256), (28, 28, 256)),
    ("pointwise", (1, 1, 256, 512), (14, 14, 256)),
    *[
        ("depthwise", (3, 3, 512), (14, 14, 512)),
        ("pointwise", (1, 1, 512, 512), (14, 14, 512)),
    ]
    * 5,
    ("depthwise", (3, 3, 512), (14, 14, 512)),
    ("pointwise", (1, 1, 512, 1024), (7, 7, 512)),
    ("depthwise", (3, 3, 1024), (7, 7, 1024)),
    ("pointwise", (1, 1, 1024, 1024), (7, 7, 1024)),
    ("avgpool", (7, 7), (7, 7, 1024)),
    ("fc", (1024, 1000), (1, 1, 1024)),
]


def test_mobilenet_matches_table_1_row_by_row():
    """Each layer's input, weights and mult-adds (weights x the next row's H x W) match Table 1."""
    net = mobilenet_v1_cost()
    assert len(net.layers) == len(TABLE_1)
    for layer, (kind, filt, shape), nxt in zip(
        net.layers, TABLE_1, TABLE_1[1:] + [None], strict=True
    ):
        assert (layer.type, layer.input_shape) == (kind, shape), layer.name
        if kind in ("avgpool", "fc"):
            continue
        weights = int(np.prod(filt))
        assert layer.parameters == weights, layer.name
        assert layer.mult_adds == weights * nxt[2][0] * nxt[2][1], layer.name
    assert net.layers[-2].mult_adds == 0 and net.layers[-2].parameters == 0
    assert net.layers[-1].mult_adds == net.layers[-1].parameters == 1_024_000
    assert net.layers[-1].output_shape == (1, 1, 1000)


def test_mobilenet_last_depthwise_is_stride_1():
    """The paper's 's2' on the last dw layer is not applied: 7x7 stays 7x7."""
    last_dw = mobilenet_v1_cost().layers[-4]
    assert last_dw.name == "conv_dw_13"
    assert (last_dw.stride, last_dw.input_shape, last_dw.output_shape) == (
        1,
        (7, 7, 1024),
        (7, 7, 1024),
    )


@pytest.mark.parametrize(
    ("alpha", "resolution", "mult_adds_m", "params_m"),
    [
        (1.0, 224, 569, 4.2),  # Table 4 / 6 / 7
        (0.75, 224, 325, 2.6),  # Table 6
        (0.5, 224, 149, 1.3),
        (0.25, 224, 41, 0.5),
        (1.0, 192, 418, 4.2),  # Table 7
        (1.0, 128, 186, 4.2),
    ],
)
def test_mobilenet_published_figures(alpha, resolution, mult_adds_m, params_m):
    """Mult-adds and parameters, in millions rounded as printed in the paper."""
    net = mobilenet_v1_cost(alpha, resolution)
    assert round(net.mult_adds / 1e6) == mult_adds_m
    assert round(net.parameters / 1e6, 1) == params_m


def test_mobilenet_160():
    """1.0 MobileNet-160: 4.2 M parameters; mult-adds 290.68 M.

    Table 7 prints 290, which this count cannot match by rounding: it is 0.68 M
    (0.23 %) above. The paper rounds 568.74 to 569 elsewhere, so 290 looks
    truncated; TensorFlow-slim's model table for the same network prints 291.
    """
    net = mobilenet_v1_cost(1.0, 160)
    assert round(net.parameters / 1e6, 1) == 4.2
    assert net.mult_adds == 290_675_200
    assert round(net.mult_adds / 1e6) == 291  # paper: 290


def test_conv_mobilenet():
    """'Conv MobileNet' (Table 4): 29.3 M parameters; mult-adds 4867.29 M.

    The paper prints 4866, which this count cannot match: it is 1.29 M (0.03 %)
    above. The convolutions alone give 4866.27 M, so the printed figure seems
    to leave out the 1.024 M of the FC layer, which the 569 of 1.0 MobileNet
    includes (without it that would be 568). Not fudged: the FC stays counted.
    """
    net = mobilenet_v1_cost(separable=False)
    assert round(net.parameters / 1e6, 1) == 29.3
    assert round(net.mult_adds / 1e6) == 4867  # paper: 4866
    assert round(net.by_type()["conv"] / 1e6) == 4866
    assert {layer.type for layer in net.layers} == {"conv", "avgpool", "fc"}
    # blocks are full 3x3 convolutions with the separable blocks' shapes
    sep = mobilenet_v1_cost()
    pw = [layer for layer in sep.layers if layer.type == "pointwise"]
    full = [layer for layer in net.layers if layer.name.startswith("conv_")]
    assert [f.output_shape for f in full] == [p.output_shape for p in pw]
    assert all(f.kernel_shape[:2] == (3, 3) for f in full)


def test_mobilenet_exact_totals_1_0_224():
    """Every layer summed by hand from Table 1: 568,740,352 mult-adds, 4,209,088 weights."""
    ma = params = 0
    for (_, filt, _), nxt in zip(TABLE_1[:-2], TABLE_1[1:-1], strict=True):
        w = int(np.prod(filt))
        ma, params = ma + w * nxt[2][0] * nxt[2][1], params + w
    ma, params = ma + 1024 * 1000, params + 1024 * 1000
    net = mobilenet_v1_cost()
    assert (net.mult_adds, net.parameters) == (ma, params) == (568_740_352, 4_209_088)


def test_mobilenet_parameters_agree_with_keras():
    """Adding batch norm (4 per channel) and the FC bias gives Keras's 4,253,864 total params."""
    net = mobilenet_v1_cost()
    bn_channels = sum(
        layer.output_shape[2]
        for layer in net.layers
        if layer.type in ("conv", "depthwise", "pointwise")
    )
    assert net.parameters + 4 * bn_channels + 1000 == 4_253_864


def test_mobilenet_table_2_resource_per_layer_type():
    """Table 2 (1.0 MobileNet-224): share of mult-adds and parameters per layer type.

    Conv 1x1 94.86 % / 74.59 %, Conv DW 3.06 % / 1.06 %, FC 0.18 % / 24.33 %
    all match. The first Conv 3x3 is printed as 1.19 % of mult-adds; the count
    gives 1.91 % (10,838,016 of 568,740,352) -- the paper's digits look
    transposed: with 1.91 the column sums to 100.01 %, with 1.19 to 99.29 %.
    """
    net = mobilenet_v1_cost()
    ma, pa = net.by_type(), net.by_type("parameters")

    def pct(d, key):
        return round(100 * d[key] / sum(d.values()), 2)

    assert (pct(ma, "pointwise"), pct(pa, "pointwise")) == (94.86, 74.59)
    assert (pct(ma, "depthwise"), pct(pa, "depthwise")) == (3.06, 1.06)
    assert (pct(ma, "fc"), pct(pa, "fc")) == (0.18, 24.33)
    assert pct(pa, "conv") == 0.02
    assert pct(ma, "conv") == 1.91  # paper: 1.19 (typo, see docstring)
    assert ma["avgpool"] == pa["avgpool"] == 0


def test_mobilenet_width_multiplier_truncates_channels():
    """alpha = 0.3: 32 -> 9 channels (int(9.6)), FC 307 x 1000, input stays 3 channels."""
    net = mobilenet_v1_cost(0.3)
    assert net.layers[0].kernel_shape == (3, 3, 3, 9)
    assert net.layers[-1].kernel_shape == (307, 1000)
    assert net.layers[-1].parameters == 307_000


def test_mobilenet_resolution_not_a_multiple_of_32():
    """'same' padding rounds up: 100 -> 50 -> 25 -> 13 -> 7 -> 4 at the last stage."""
    net = mobilenet_v1_cost(resolution=100)
    assert net.layers[-2].input_shape == (4, 4, 1024)
    assert net.layers[-2].kernel_shape == (4, 4)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"height": 0}, "height"),
        ({"width": -3}, "width"),
        ({"in_channels": 0}, "in_channels"),
        ({"out_channels": 1.5}, "out_channels"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": (3, 0)}, "kernel_size"),
        ({"kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"stride": 0}, "stride"),
        ({"padding": "full"}, "padding"),
        ({"kernel_size": 9}, "kernel"),
    ],
)
def test_conv_errors_name_the_parameter(kwargs, name):
    """Bad arguments raise ValueError whose message names the parameter."""
    args = {"height": 8, "width": 8, "in_channels": 3, "out_channels": 4, "kernel_size": 3}
    args.update(kwargs)
    h, w, cin, cout, k = (args.pop(n) for n in list(args)[:5])
    with pytest.raises(ValueError, match=name):
        conv2d_cost(h, w, cin, cout, k, **args)
    with pytest.raises(ValueError, match=name):
        depthwise_separable_cost(h, w, cin, cout, k, **args)


def test_other_errors_name_the_parameter():
    """depth_multiplier, channels, width_multiplier and resolution are checked too."""
    with pytest.raises(ValueError, match="depth_multiplier"):
        depthwise_separable_cost(8, 8, 3, 4, 3, depth_multiplier=0)
    with pytest.raises(ValueError, match="channels"):
        spatial_separable_cost(8, 8, 3, channels=0)
    with pytest.raises(ValueError, match="kernel_size"):
        spatial_separable_cost(8, 8, -1)
    with pytest.raises(ValueError, match="out_channels"):
        separable_ratio_formula(0, 3)
    for alpha in (0, -0.5, 2.5, "wide", 0.01):
        with pytest.raises(ValueError, match="width_multiplier"):
            mobilenet_v1_cost(alpha)
    for res in (31, 0, 64.5):
        with pytest.raises(ValueError, match="resolution"):
            mobilenet_v1_cost(resolution=res)


def test_width_multiplier_above_one_is_allowed():
    """alpha up to 2 builds a wider network (2x channels -> about 4x the 1x1 cost)."""
    wide = mobilenet_v1_cost(2.0)
    assert wide.layers[0].kernel_shape == (3, 3, 3, 64)
    assert wide.layers[-1].kernel_shape == (2048, 1000)


class _CountingNumpy:
    """numpy, except that ``multiply`` adds the size of each result to ``count``: patched in
    as ``sepconv_core.conv.np``, it counts the multiplications the convolutions really do."""

    def __init__(self):
        self.count = 0

    def __getattr__(self, name):
        return getattr(np, name)

    def multiply(self, *args, **kwargs):
        result = np.multiply(*args, **kwargs)
        self.count += result.size
        return result


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), kernels, kernels, strides, paddings, dilations)
def test_spatial_cost_counts_what_the_convolutions_do(h, w, kh, kw, stride, padding, d):
    """The exact counts equal the multiplications correlate2d and correlate2d_separable
    perform, counted as they run (issue 9, point 5: 432 counted vs 384 done, 8x8 'same')."""
    from unittest import mock

    from sepconv_core import conv

    if padding == "valid" and not (_fits(h, kh, d) and _fits(w, kw, d)):
        return
    args = dict(stride=stride, padding=padding, dilation=d)
    plane = np.random.default_rng(0).normal(size=(h, w))
    one, two = _CountingNumpy(), _CountingNumpy()
    with mock.patch.object(conv, "np", one):
        conv.correlate2d(plane, np.ones((kh, kw)), **args)
    with mock.patch.object(conv, "np", two):
        conv.correlate2d_separable(plane, np.ones(kh), np.ones(kw), **args)
    s = spatial_separable_cost(h, w, (kh, kw), **args)
    assert s.full_multiplications == one.count
    assert s.separable_multiplications == two.count


def test_spatial_cost_8x8_same_is_384():
    """The issue's example: an 8x8 plane, 3x3 kernel, 'same': 3*8*8 + 3*8*8 = 384 done."""
    assert spatial_separable_cost(8, 8, 3, padding="same").separable_multiplications == 384


def test_stride_makes_two_passes_dearer_per_output():
    """3x3 at stride 3, 'same', 128x128: per output 9 for one pass, about 3*3 + 3 = 12 for two
    (the column pass runs at all 128 columns for 43 output columns)."""
    s = spatial_separable_cost(128, 128, 3, stride=3, padding="same")
    assert s.full_multiplications == 9 * 43 * 43
    assert s.separable_multiplications == 3 * 43 * 128 + 3 * 43 * 43
    assert s.per_output_separable == pytest.approx((3 * 128 + 3 * 43) / 43)
    assert s.separable_multiplications > s.full_multiplications
