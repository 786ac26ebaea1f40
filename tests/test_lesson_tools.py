"""Predict-then-reveal answers, exported files, and the generated PyTorch/Keras code."""

import io
import sys
import types

import numpy as np
import pytest
from naive import naive_depthwise, naive_pointwise

from sepconv_core.codegen import separable_code
from sepconv_core.conv import separable_conv2d
from sepconv_core.export import to_csv, to_npy
from sepconv_core.quiz import AnswerFormatError, check, parse_number, parse_shape


@pytest.mark.parametrize(
    "text, value",
    [("1228800", 1228800), ("1,228,800", 1228800), ("1 228 800", 1228800), (" 53952 ", 53952),
     ("1.2288e6", 1228800), ("−3", -3), ("4_800", 4800)],
)  # fmt: skip
def test_numbers_students_type(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text, shape",
    [("8×8×256", (8, 8, 256)), ("8x8x256", (8, 8, 256)), ("(8, 8, 256)", (8, 8, 256)),
     ("8 X 8 x 3", (8, 8, 3)), ("8 by 8 by 3", (8, 8, 3)), ("[12, 12, 3]", (12, 12, 3))],
)  # fmt: skip
def test_shapes_students_type(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["", "   ", "lots", "1,2", "12.5", "__import__('os')", "9" * 200])
def test_bad_numbers_get_a_sentence(text):
    with pytest.raises(AnswerFormatError):
        parse_number(text)


def test_verdicts_say_what_is_wrong():
    """Right answers are confirmed; wrong ones get a hint that tells too low, too high and
    nearly right apart, or which sizes of a shape are wrong, and never the answer itself."""
    assert check("1,228,800", 1228800).correct
    hints = [check(text, 1228800) for text in ("1,000,000", "2,000,000", "1,228,000")]
    assert not any(v.correct for v in hints)
    assert len({v.message for v in hints}) == 3
    assert not any("1,228,800" in v.message or "1228800" in v.message for v in hints)
    assert check("8x8x256", (8, 8, 256)).correct
    shapes = [check(text, (8, 8, 256)) for text in ("9x8x256", "8x9x256", "8x8x3", "8x8")]
    assert not any(v.correct for v in shapes)
    assert len({v.message for v in shapes}) == 4
    assert not any("8×8×256" in v.message for v in shapes)
    assert not check("eight", 8).correct


def test_npy_round_trip_and_csv_layouts():
    """The .npy bytes load back exactly; CSV is a grid in 2-D and index columns in 3-D."""
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    np.testing.assert_array_equal(np.load(io.BytesIO(to_npy(a))), a)
    grid = to_csv(np.array([[1.0, 2.5], [-3.0, 0.0]]))
    assert grid.splitlines() == ["1,2.5", "-3,0"]
    lines = to_csv(a).splitlines()
    assert lines[0] == "row,column,channel,value"
    assert len(lines) == 1 + a.size
    row, col, ch, value = lines[1 + 1 * 12 + 2 * 4 + 3].split(",")
    assert (int(row), int(col), int(ch)) == (1, 2, 3)
    assert float(value) == pytest.approx(a[1, 2, 3], rel=1e-5)
    with pytest.raises(ValueError, match="dimensions"):
        to_csv(np.zeros((1, 1, 1, 1, 1)))


# ------------------------------------------------------------- running the generated code
# Neither PyTorch nor Keras is a test requirement, so the generated programs run against small
# stand-ins written from the libraries' documentation, in loops: nn.Conv2d (weight (Cout,
# Cin/groups, kh, kw); output o reads the inputs of group o // (Cout/groups); padding 0 or
# "same", which PyTorch allows for stride 1 only and pads d(k-1) in all, the extra one after;
# dilation d puts the taps d apart), F.pad (last axis first) and layers.SeparableConv2D
# (TensorFlow's padding, as tests/naive.py writes it out; it refuses strides > 1 with
# dilation_rate > 1).


class _Weight:
    data = None


class _Conv2d:
    def __init__(
        self, cin, cout, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True
    ):
        assert not bias and cin % groups == 0 and cout % groups == 0
        assert padding != "same" or stride == 1
        self.cin, self.cout, self.groups = cin, cout, groups
        self.k, self.stride, self.d = kernel_size, stride, dilation
        total = dilation * (kernel_size - 1)
        self.pad = (total // 2, total - total // 2) if padding == "same" else (padding, padding)
        self.weight = _Weight()

    def __call__(self, x):
        w, k, s, d = self.weight.data, self.k, self.stride, self.d
        assert w.shape == (self.cout, self.cin // self.groups, k, k)
        x = np.pad(x, ((0, 0), (0, 0), self.pad, self.pad))
        span = d * (k - 1) + 1
        oh, ow = (x.shape[2] - span) // s + 1, (x.shape[3] - span) // s + 1
        out = np.zeros((1, self.cout, oh, ow))
        group_in, group_out = self.cin // self.groups, self.cout // self.groups
        for o in range(self.cout):
            for ci in range(group_in):
                c = (o // group_out) * group_in + ci
                for i in range(k):
                    for j in range(k):
                        y0, x0 = i * d, j * d
                        patch = x[
                            0, c, y0 : y0 + s * (oh - 1) + 1 : s, x0 : x0 + s * (ow - 1) + 1 : s
                        ]
                        out[0, o] += w[o, ci, i, j] * patch
        return out


class _SeparableConv2D:
    def __init__(
        self, filters, kernel_size, strides, padding, depth_multiplier, use_bias, dilation_rate=1
    ):
        assert not use_bias
        if strides > 1 and dilation_rate > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`")
        self.filters, self.stride, self.padding = filters, strides, padding
        self.dilation = dilation_rate
        self.k, self.multiplier = kernel_size, depth_multiplier
        self.weights = None

    def set_weights(self, weights):
        d, p = weights
        assert d.shape[:2] == (self.k, self.k) and d.shape[3] == self.multiplier
        assert p.shape == (1, 1, d.shape[2] * self.multiplier, self.filters)
        self.weights = weights

    def __call__(self, x):
        if self.weights is None:  # Keras draws random weights at the first call
            return None
        d, p = self.weights
        x = np.asarray(x, dtype=np.float64)  # compare arithmetic, not float32 rounding
        z = naive_depthwise(x[0], d, self.stride, self.padding, dilation=self.dilation)
        return naive_pointwise(z, p)[None]


def _run(code, monkeypatch, **names):
    """Execute generated code with its commented weight-loading lines switched on."""
    lines = []
    for line in code.splitlines():
        body = line[2:] if line.startswith("# ") else ""
        on = any(w in body for w in (".weight.data", ".set_weights(")) or body.startswith("    ")
        lines.append(body if on else line)
    torch = types.ModuleType("torch")
    torch.from_numpy = np.asarray
    torch.rand = lambda *shape: names["x0"].reshape(shape)
    torch.nn = types.ModuleType("torch.nn")
    torch.nn.Conv2d = _Conv2d
    torch.nn.functional = types.ModuleType("torch.nn.functional")
    torch.nn.functional.pad = lambda x, lrtb: np.pad(
        x, ((0, 0), (0, 0), (lrtb[2], lrtb[3]), (lrtb[0], lrtb[1]))
    )
    keras = types.ModuleType("keras")
    keras.layers = types.SimpleNamespace(SeparableConv2D=_SeparableConv2D)
    for name, module in [("torch", torch), ("torch.nn", torch.nn), ("keras", keras),
                         ("torch.nn.functional", torch.nn.functional)]:  # fmt: skip
        monkeypatch.setitem(sys.modules, name, module)
    namespace = dict(names)
    exec(compile("\n".join(lines), "<generated>", "exec"), namespace)  # our own generated text
    return namespace


@pytest.mark.parametrize(
    "padding, stride, size", [("valid", 1, 12), ("same", 1, 12), ("same", 2, 12), ("same", 2, 9)]
)
def test_generated_pytorch_code_gives_our_output(monkeypatch, padding, stride, size):
    """The PyTorch program, with D and P loaded as its comment says, computes our separable
    layer (NCHW against our HWC), 'same' padding at stride 2 included."""
    rng = np.random.default_rng(1)
    d, p = rng.standard_normal((5, 5, 3, 2)), rng.standard_normal((6, 4))
    x0 = rng.random((1, 3, size, size + 1))
    code = separable_code("pytorch", 3, 4, 5, stride=stride, padding=padding, depth_multiplier=2,
                             height=size, width=size + 1)  # fmt: skip
    y = _run(code, monkeypatch, D=d, P=p, x0=x0)["y"]
    ours = separable_conv2d(x0[0].transpose(1, 2, 0), d, p, stride=stride, padding=padding)
    np.testing.assert_allclose(y[0].transpose(1, 2, 0), ours, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding, stride", [("valid", 1), ("same", 2)])
def test_generated_keras_code_gives_our_output(monkeypatch, padding, stride):
    """The Keras program, with set_weights as its comment says, computes our separable layer."""
    rng = np.random.default_rng(2)
    d, p = rng.standard_normal((3, 3, 3, 2)), rng.standard_normal((6, 4))
    code = separable_code("keras", 3, 4, 3, stride=stride, padding=padding, depth_multiplier=2,
                           height=7, width=8)  # fmt: skip
    # The generated program draws its input with np.random.rand: make that repeatable.
    monkeypatch.setattr(np.random, "rand", lambda *shape: rng.random(shape))
    namespace = _run(code, monkeypatch, D=d, P=p, x0=None)
    x = namespace["x"]
    assert x.shape == (1, 7, 8, 3)
    y = namespace["layer"](x)
    # Both sides in float64: a float32 sum whose terms cancel can miss 1e-6 by rounding alone.
    ours = separable_conv2d(x[0].astype(np.float64), d, p, stride=stride, padding=padding)
    np.testing.assert_allclose(y[0], ours, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "padding, stride, k, d",
    [
        ("same", 1, 3, 2),
        ("same", 1, 2, 3),
        ("valid", 1, 3, 2),
        ("same", 2, 3, 2),
        ("valid", 2, 2, 3),
    ],
)
def test_generated_pytorch_code_with_dilation_gives_our_output(monkeypatch, padding, stride, k, d):
    """With dilation the PyTorch program still computes our layer: padding="same" where PyTorch
    allows it, an explicit F.pad by TensorFlow's rule where not (an even dilated span, a stride)."""
    rng = np.random.default_rng(3)
    dk, p = rng.standard_normal((k, k, 3, 2)), rng.standard_normal((6, 4))
    x0 = rng.random((1, 3, 12, 13))
    args = dict(stride=stride, padding=padding, dilation=d)
    code = separable_code("pytorch", 3, 4, k, depth_multiplier=2, height=12, width=13, **args)
    y = _run(code, monkeypatch, D=dk, P=p, x0=x0)["y"]
    ours = separable_conv2d(x0[0].transpose(1, 2, 0), dk, p, **args)
    np.testing.assert_allclose(y[0].transpose(1, 2, 0), ours, rtol=1e-10, atol=1e-12)


def test_generated_keras_code_with_dilation(monkeypatch):
    """Stride 1: the Keras program computes our dilated layer. Stride 2 with dilation 2: Keras
    refuses (a ValueError), and the program says so and how to get the same output."""
    rng = np.random.default_rng(4)
    d, p = rng.standard_normal((3, 3, 3, 2)), rng.standard_normal((6, 4))
    code = separable_code("keras", 3, 4, 3, padding="same", depth_multiplier=2, dilation=2)
    monkeypatch.setattr(np.random, "rand", lambda *shape: rng.random(shape))
    namespace = _run(code, monkeypatch, D=d, P=p, x0=None)
    x = namespace["x"][0].astype(np.float64)
    ours = separable_conv2d(x, d, p, padding="same", dilation=2)
    np.testing.assert_allclose(namespace["layer"](namespace["x"])[0], ours, rtol=1e-10, atol=1e-12)
    refused = separable_code("keras", 3, 4, 3, stride=2, depth_multiplier=2, dilation=2)
    with pytest.raises(ValueError, match="dilation_rate"):
        _run(refused, monkeypatch, D=d, P=p, x0=None)
    assert "ValueError" in refused and "y[:, ::2, ::2]" in refused
    assert "ValueError" not in separable_code("keras", 3, 4, 3, stride=2, depth_multiplier=2)


def test_code_for_an_unknown_framework_is_refused():
    """A framework it cannot write is a ValueError, not an empty program."""
    with pytest.raises(ValueError, match="framework"):
        separable_code("jax", 3, 4, 3)
