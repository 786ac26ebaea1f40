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


def separable_code(
    framework: str,
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
    """Code for a depthwise separable layer applied to a random input of ``height × width``.

    Parameters
    ----------
    framework : {'pytorch', 'keras'}
        PyTorch: ``nn.Conv2d(groups=Cin)`` then a 1×1, on a (1, Cin, H, W) tensor. Keras:
        ``layers.SeparableConv2D`` on a (1, H, W, Cin) array.
    in_channels, out_channels, kernel_size, stride, padding, depth_multiplier, dilation
        The layer, as in ``conv.separable_conv2d``.
    height, width : int, optional
        The input's size (it decides TensorFlow's 'same' padding at stride > 1).

    Returns
    -------
    str
        The program, with the lines that load our kernels D and P commented out.
    """
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    writers = {"pytorch": _pytorch, "keras": _keras}
    if framework not in writers:
        raise ValueError(f"framework must be one of {sorted(writers)}, got {framework!r}")
    layer = dict(
        cin=in_channels, cout=out_channels, k=kernel_size, stride=stride, padding=padding,
        m=depth_multiplier, mid=in_channels * depth_multiplier, height=height, width=width,
        dilation=dilation,
    )  # fmt: skip
    return writers[framework](**layer)


def _pytorch(cin, cout, k, stride, padding, m, mid, height, width, dilation) -> str:
    pad, extra = _pad_line(height, width, k, stride, padding, dilation)
    dil = f", dilation={dilation}" if dilation > 1 else ""
    return (
        "import torch\n"
        "import torch.nn as nn\n"
        "import torch.nn.functional as F\n\n"
        f"depthwise = nn.Conv2d({cin}, {mid}, kernel_size={k}, stride={stride},\n"
        f"                      padding={pad}{dil}, groups={cin}, bias=False)\n"
        f"pointwise = nn.Conv2d({mid}, {cout}, kernel_size=1, bias=False)\n\n"
        "# Our weights -> PyTorch's layout (D: (kh, kw, Cin, M), P: (Cin*M, Cout)):\n"
        "# depthwise.weight.data = torch.from_numpy(\n"
        f"#     D.transpose(2, 3, 0, 1).reshape({mid}, 1, {k}, {k}))\n"
        f"# pointwise.weight.data = torch.from_numpy(P.T.reshape({cout}, {mid}, 1, 1))\n\n"
        f"x = torch.rand(1, {cin}, {height}, {width})  # (N, C, H, W)\n"
        + extra
        + "y = pointwise(depthwise(x))\n"
    )


def _keras(cin, cout, k, stride, padding, m, mid, height, width, dilation) -> str:
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
        + f"layer = layers.SeparableConv2D({cout}, {k}, strides={stride}, "
        f'padding="{padding}",\n'
        f"                               {dil}depth_multiplier={m}, "
        "use_bias=False)\n"
        f"x = np.random.rand(1, {height}, {width}, {cin}).astype('float32')"
        "  # (N, H, W, C)\n"
        "y = layer(x)\n"
        "# Same layout as ours: D is (kh, kw, Cin, M), P reshaped to (1, 1, Cin*M, Cout):\n"
        f"# layer.set_weights([D, P.reshape(1, 1, {mid}, {cout})])\n"
    )
