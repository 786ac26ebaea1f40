"""Predict-then-reveal answers, exported files, and the generated PyTorch/Keras code."""

import io

import numpy as np
import pytest

from sepconv_core.codegen import keras_separable, pytorch_separable
from sepconv_core.conv import depthwise_conv2d
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
    """Right answers are confirmed; wrong ones get a hint, never the answer itself."""
    assert check("1,228,800", 1228800).correct
    v = check("1,000,000", 1228800)
    assert not v.correct and "too low" in v.message and "1,228,800" not in v.message
    assert "close" in check("1,228,000", 1228800).message
    assert check("8x8x256", (8, 8, 256)).correct
    v = check("12x12x256", (8, 8, 256))
    assert not v.correct and "height" in v.message and "width" in v.message
    assert "channels" not in v.message
    assert "3 sizes" in check("8x8", (8, 8, 256)).message
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


@pytest.mark.parametrize("padding, stride", [("valid", 1), ("same", 1), ("same", 2)])
def test_generated_code_is_valid_python_with_the_settings(padding, stride):
    torch_code = pytorch_separable(3, 256, 5, stride=stride, padding=padding, depth_multiplier=2)
    keras_code = keras_separable(3, 256, 5, stride=stride, padding=padding, depth_multiplier=2)
    compile(torch_code, "<torch>", "exec")
    compile(keras_code, "<keras>", "exec")
    assert "groups=3" in torch_code and "nn.Conv2d(6, 256, kernel_size=1" in torch_code
    assert f"stride={stride}" in torch_code
    assert f'padding="{padding}"' in keras_code and "depth_multiplier=2" in keras_code
    assert ("F.pad" in torch_code) == (padding == "same" and stride != 1)
    if padding == "same" and stride == 2:
        # 12 rows, k=5, stride 2: out 6, total padding (6-1)*2 + 5 - 12 = 3 -> 1 before, 2 after.
        assert "F.pad(x, (1, 2, 1, 2))" in torch_code


def test_pytorch_weight_layout_in_the_generated_comment():
    """The comment's reshape puts kernel m of channel c at PyTorch output channel c*M + m: a
    grouped convolution written out in loops with that weight equals our depthwise output."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 7, 3))
    d = rng.standard_normal((3, 3, 3, 2))
    w = d.transpose(2, 3, 0, 1).reshape(6, 1, 3, 3)  # as in the generated comment
    out = np.zeros((4, 5, 6))
    for o in range(6):
        group = o // 2  # PyTorch: groups=3, 2 outputs per group, 1 input channel per group
        for i in range(4):
            for j in range(5):
                out[i, j, o] = np.sum(x[i : i + 3, j : j + 3, group] * w[o, 0])
    np.testing.assert_allclose(depthwise_conv2d(x, d), out, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("k", "dilation", "pad"), [(3, 2, None), (2, 3, "F.pad(x, (1, 2, 1, 2))")])
def test_generated_code_carries_the_dilation(k, dilation, pad):
    """Dilation reaches both snippets; an even dilated span (2 taps, d = 3: 4 pixels) under
    'same' pads explicitly, 1 before and 2 after (TensorFlow's rule: total 3 on 12 rows)."""
    args = dict(stride=1, padding="same", dilation=dilation)
    torch_code = pytorch_separable(3, 8, k, **args)
    keras_code = keras_separable(3, 8, k, **args)
    compile(torch_code, "<torch>", "exec")
    compile(keras_code, "<keras>", "exec")
    assert f"dilation={dilation}" in torch_code
    assert f"dilation_rate={dilation}" in keras_code
    assert ('padding="same"' in torch_code) == (pad is None)
    if pad:
        assert pad in torch_code
    assert "dilation" not in pytorch_separable(3, 8, k) + keras_separable(3, 8, k)
