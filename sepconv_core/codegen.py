"""The same layer in PyTorch and Keras: code a student can paste, for the current settings.

Layouts differ: this package and Keras keep images as (H, W, C) and kernels as
(kh, kw, Cin, Cout); PyTorch keeps images as (N, C, H, W) and weights as (Cout, Cin/groups, kh, kw).
TensorFlow's 'same' padding puts an odd extra row/column at the bottom/right; PyTorch's
``padding="same"`` exists only for stride 1, so for other strides the code pads explicitly.
"""

from __future__ import annotations

from ._padding import (
    check_geometry,
    effective_size,
    pad_amounts,
)


def _pad_line(height: int, width: int, kernel_size: int, stride: int, padding: str, dilation=1):
    """(PyTorch padding argument, an extra line that pads explicitly when needed)."""
    if padding == "valid":
        return "0", ""
    if stride == 1 and effective_size(kernel_size, dilation) % 2 == 1:
        return '"same"', ""
    top, bottom = pad_amounts(height, kernel_size, stride, padding, dilation)
    left, right = pad_amounts(width, kernel_size, stride, padding, dilation)
    extra = (
        "# TensorFlow's 'same' for this stride and kernel: the smaller half before, the extra\n"
        "# row/column after. F.pad takes (left, right, top, bottom):\n"
        f"x = F.pad(x, ({left}, {right}, {top}, {bottom}))\n"
    )
    return "0", extra


def pytorch_separable(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: str = "valid",
    depth_multiplier: int = 1,
    height: int = 12,
    width: int = 12,
    dilation: int = 1,
) -> str:
    """PyTorch code for a depthwise separable layer: ``nn.Conv2d(groups=Cin)`` then a 1×1,
    applied to a random (1, Cin, height, width) input."""
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    mid = in_channels * depth_multiplier
    pad, extra = _pad_line(height, width, kernel_size, stride, padding, dilation)
    dil = f", dilation={dilation}" if dilation > 1 else ""
    return (
        "import torch\n"
        "import torch.nn as nn\n"
        "import torch.nn.functional as F\n\n"
        f"depthwise = nn.Conv2d({in_channels}, {mid}, kernel_size={kernel_size}, stride={stride},\n"
        f"                      padding={pad}{dil}, groups={in_channels}, bias=False)\n"
        f"pointwise = nn.Conv2d({mid}, {out_channels}, kernel_size=1, bias=False)\n\n"
        "# Our weights -> PyTorch's layout (D: (kh, kw, Cin, M), P: (Cin*M, Cout)):\n"
        "# depthwise.weight.data = torch.from_numpy(\n"
        f"#     D.transpose(2, 3, 0, 1).reshape({mid}, 1, {kernel_size}, {kernel_size}))\n"
        f"# pointwise.weight.data = torch.from_numpy(P.T.reshape({out_channels}, {mid}, 1, 1))\n\n"
        f"x = torch.rand(1, {in_channels}, {height}, {width})  # (N, C, H, W)\n"
        + extra
        + "y = pointwise(depthwise(x))\n"
    )


def keras_separable(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: str = "valid",
    depth_multiplier: int = 1,
    height: int = 12,
    width: int = 12,
    dilation: int = 1,
) -> str:
    """Keras code for the same layer: ``layers.SeparableConv2D``."""
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    mid = in_channels * depth_multiplier
    dil = f"dilation_rate={dilation}, " if dilation > 1 else ""
    refused = ""
    if stride > 1 and dilation > 1:
        refused = (
            "# Keras raises a ValueError for strides > 1 together with dilation_rate > 1\n"
            "# (PyTorch and this app allow it)."
            + (
                f" With 'valid' padding, strides=1 and then y[:, ::{stride}, ::{stride}]\n"
                "# give the same output."
                if padding == "valid"
                else ""
            )
            + "\n"
        )
    return (
        "import numpy as np\n"
        "import keras\n"
        "from keras import layers\n\n"
        + refused
        + f"layer = layers.SeparableConv2D({out_channels}, {kernel_size}, strides={stride}, "
        f'padding="{padding}",\n'
        f"                               {dil}depth_multiplier={depth_multiplier}, "
        "use_bias=False)\n"
        f"x = np.random.rand(1, {height}, {width}, {in_channels}).astype('float32')"
        "  # (N, H, W, C)\n"
        "y = layer(x)\n"
        "# Same layout as ours: D is (kh, kw, Cin, M), P reshaped to (1, 1, Cin*M, Cout):\n"
        f"# layer.set_weights([D, P.reshape(1, 1, {mid}, {out_channels})])\n"
    )
