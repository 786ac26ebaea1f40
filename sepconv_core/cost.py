"""How many multiplications and weights a convolution costs.

Plain integer arithmetic, no arrays: every output size comes from
:func:`sepconv_core._padding.output_size`, so the numbers printed next to an
image always describe the shapes the convolution really produces.

For an input ``H x W x Cin``, a ``kh x kw`` kernel and ``Cout`` outputs, with
``H' x W'`` output positions::

    standard conv        kh*kw*Cin*Cout * H'*W'    multiplications
    depthwise (M=1)      kh*kw*Cin      * H'*W'      \\  together, divided by
    pointwise 1x1        Cin*Cout       * H'*W'      /  the standard conv:
                                                        1/Cout + 1/(kh*kw)

Every count is a multiply-add (one multiplication, one addition), the unit of
Howard et al. (2017), "MobileNets", arXiv:1704.04861. Weights only: no biases,
no batch-norm parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._checks import kernel_pair, whole
from ._padding import check_geometry, output_size

__all__ = [
    "ConvCost",
    "LayerCost",
    "NetworkCost",
    "SeparableCost",
    "SpatialCost",
    "conv2d_cost",
    "depthwise_separable_cost",
    "mobilenet_v1_cost",
    "separable_ratio_formula",
    "spatial_separable_cost",
]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class ConvCost:
    """Cost of one convolution stage.

    Attributes
    ----------
    input_shape : tuple of int
        ``(H, W, Cin)``.
    kernel_shape : tuple of int
        ``(kh, kw, Cin, Cout)`` for a standard convolution, ``(kh, kw, Cin, M)``
        for a depthwise one.
    output_shape : tuple of int
        ``(H', W', C')`` with ``C' = Cout`` (standard) or ``Cin * M`` (depthwise).
    multiplications : int
        Multiply-adds: every kernel weight meets one input value at every
        output position, so ``prod(kernel_shape) * H' * W'``.
    parameters : int
        Number of weights, ``prod(kernel_shape)`` (no bias).
    """

    input_shape: tuple[int, int, int]
    kernel_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int]
    multiplications: int
    parameters: int


@dataclass(frozen=True)
class SeparableCost:
    """Cost of a depthwise separable convolution, next to the standard one it replaces.

    Attributes
    ----------
    depthwise : ConvCost
        The ``kh x kw`` per-channel stage, kernel ``(kh, kw, Cin, M)``.
    pointwise : ConvCost
        The ``1 x 1`` stage that mixes channels, kernel ``(1, 1, Cin*M, Cout)``.
    normal : ConvCost
        A standard convolution with the same input, kernel size, stride,
        padding and ``Cout``: the thing being compared against.
    """

    depthwise: ConvCost
    pointwise: ConvCost
    normal: ConvCost

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(H, W, Cin)``."""
        return self.depthwise.input_shape

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """``(H', W', Cout)``, the same as the standard convolution's."""
        return self.pointwise.output_shape

    @property
    def multiplications(self) -> int:
        """Depthwise plus pointwise multiply-adds."""
        return self.depthwise.multiplications + self.pointwise.multiplications

    @property
    def parameters(self) -> int:
        """Depthwise plus pointwise weights."""
        return self.depthwise.parameters + self.pointwise.parameters

    @property
    def ratio(self) -> float:
        """Separable multiplications divided by the standard convolution's."""
        return self.multiplications / self.normal.multiplications


@dataclass(frozen=True)
class SpatialCost:
    """Cost of a ``kh x kw`` filter applied whole, or as a column pass then a row pass.

    Attributes
    ----------
    input_shape : tuple of int
        ``(H, W, channels)``.
    kernel_size : tuple of int
        ``(kh, kw)``.
    output_shape : tuple of int
        ``(H', W', channels)``.
    per_pixel_full : int
        ``kh * kw`` multiplications per output value.
    per_pixel_separable : int
        ``kh + kw`` multiplications per output value, the textbook figure.
    full_multiplications : int
        ``kh * kw * H' * W' * channels``.
    separable_multiplications : int
        Exact count of the two-pass scheme as ``conv.correlate2d_separable`` runs it,
        ``(kh * H' * W + kw * H' * W') * channels``.
    separable_multiplications_ideal : int
        ``(kh + kw) * H' * W' * channels``.
    """

    input_shape: tuple[int, int, int]
    kernel_size: tuple[int, int]
    output_shape: tuple[int, int, int]
    per_pixel_full: int
    per_pixel_separable: int
    full_multiplications: int
    separable_multiplications: int
    separable_multiplications_ideal: int

    @property
    def outputs(self) -> int:
        """Output values, ``H' * W' * channels``."""
        h, w, c = self.output_shape
        return h * w * c

    @property
    def per_output_separable(self) -> float:
        """The exact two-pass count per output value (``per_pixel_separable`` is the ideal).

        With stride s the column pass still runs at every one of the W columns, about
        ``s`` per output column, so this is about ``kh * s + kw``: 12 for a 3×3 kernel at
        stride 3, more than the 9 of one 2-D pass.
        """
        return self.separable_multiplications / self.outputs


@dataclass(frozen=True)
class LayerCost:
    """One row of a network's cost table.

    Attributes
    ----------
    name : str
        Layer name, e.g. ``"conv1"``, ``"conv_dw_3"``, ``"conv_pw_3"``, ``"fc"``.
    type : str
        One of ``"conv"``, ``"depthwise"``, ``"pointwise"``, ``"avgpool"``, ``"fc"``.
    stride : int
        Stride of the layer.
    input_shape, output_shape : tuple of int
        ``(H, W, C)`` before and after the layer.
    kernel_shape : tuple of int
        ``(kh, kw, Cin, Cout)`` / ``(kh, kw, Cin, M)`` for convolutions,
        ``(ph, pw)`` (the pooling window) for the average pool,
        ``(Cin, Cout)`` for the fully connected layer.
    mult_adds : int
        Multiply-adds of the layer.
    parameters : int
        Weights of the layer (no bias, no batch norm).
    """

    name: str
    type: str
    stride: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    kernel_shape: tuple[int, ...]
    mult_adds: int
    parameters: int


@dataclass(frozen=True)
class NetworkCost:
    """Cost of a whole network, layer by layer.

    Attributes
    ----------
    layers : tuple of LayerCost
        The rows, in order.
    width_multiplier : float
        The ``alpha`` the network was built with.
    resolution : int
        Input height and width.
    separable : bool
        ``False`` for the all-standard-convolution baseline.
    """

    layers: tuple[LayerCost, ...]
    width_multiplier: float
    resolution: int
    separable: bool

    @property
    def mult_adds(self) -> int:
        """Total multiply-adds."""
        return sum(layer.mult_adds for layer in self.layers)

    @property
    def parameters(self) -> int:
        """Total weights."""
        return sum(layer.parameters for layer in self.layers)

    def by_type(self, quantity: str = "mult_adds") -> dict[str, int]:
        """Sum ``quantity`` (``"mult_adds"`` or ``"parameters"``) per layer type.

        Returns
        -------
        dict
            Layer type -> total, in order of first appearance.
        """
        if quantity not in ("mult_adds", "parameters"):
            raise ValueError(f"quantity must be 'mult_adds' or 'parameters', got {quantity!r}.")
        totals: dict[str, int] = {}
        for layer in self.layers:
            totals[layer.type] = totals.get(layer.type, 0) + getattr(layer, quantity)
        return totals


# --------------------------------------------------------------------------- engine


def _stage(input_shape, kernel_shape, out_channels, stride, padding, dilation=1) -> ConvCost:
    """The one formula: every weight times every output position.

    Works for a standard kernel ``(kh, kw, Cin, Cout)`` and for a depthwise
    kernel ``(kh, kw, Cin, M)`` alike, because in both cases each weight is
    used exactly once per output position. Dilation spreads the taps, so it
    changes the number of positions, never the multiplications at each one.
    """
    height, width, _ = input_shape
    kh, kw = kernel_shape[:2]
    out_h = output_size(height, kh, stride, padding, dilation)
    out_w = output_size(width, kw, stride, padding, dilation)
    parameters = kh * kw * kernel_shape[2] * kernel_shape[3]
    return ConvCost(
        input_shape=tuple(input_shape),
        kernel_shape=tuple(kernel_shape),
        output_shape=(out_h, out_w, out_channels),
        multiplications=parameters * out_h * out_w,
        parameters=parameters,
    )


# --------------------------------------------------------------------------- public


def conv2d_cost(
    height, width, in_channels, out_channels, kernel_size, *, stride=1, padding="valid", dilation=1
) -> ConvCost:
    """Multiplications and weights of a standard 2-D convolution.

    Parameters
    ----------
    height, width : int
        Input size.
    in_channels, out_channels : int
        ``Cin`` and ``Cout``.
    kernel_size : int or (int, int)
        ``k`` for a square kernel, or ``(kh, kw)``.
    stride : int, optional
        Step between output positions, the same along both axes.
    padding : {'valid', 'same'}, optional
        TensorFlow's rule (see :mod:`sepconv_core._padding`).
    dilation : int, optional
        Spacing of the kernel taps (Keras ``dilation_rate``): the kernel spans
        ``(k - 1) * dilation + 1`` pixels, which sets ``H' x W'``.

    Returns
    -------
    ConvCost
        ``multiplications = kh*kw*Cin*Cout*H'*W'``, ``parameters = kh*kw*Cin*Cout``.

    Raises
    ------
    ValueError
        For a non-positive size, channel count or kernel size, a stride below
        1, an unknown padding, or a kernel larger than the input under 'valid'.

    Examples
    --------
    >>> c = conv2d_cost(12, 12, 3, 256, 5)
    >>> c.output_shape, c.multiplications, c.parameters
    ((8, 8, 256), 1228800, 19200)
    """
    height = whole(height, "height", 1)
    width = whole(width, "width", 1)
    in_channels = whole(in_channels, "in_channels", 1)
    out_channels = whole(out_channels, "out_channels", 1)
    kh, kw = kernel_pair(kernel_size)
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    kernel_shape = (kh, kw, in_channels, out_channels)
    shape = (height, width, in_channels)
    return _stage(shape, kernel_shape, out_channels, stride, padding, dilation)


def depthwise_separable_cost(
    height,
    width,
    in_channels,
    out_channels,
    kernel_size,
    *,
    stride=1,
    padding="valid",
    depth_multiplier=1,
    dilation=1,
) -> SeparableCost:
    """Multiplications and weights of a depthwise separable convolution.

    A depthwise stage (one ``kh x kw`` filter per input channel, ``M`` of them
    when ``depth_multiplier=M``; it carries the stride and padding) followed by
    a pointwise ``1 x 1`` convolution from ``Cin*M`` to ``Cout`` channels.

    Parameters
    ----------
    height, width, in_channels, out_channels, kernel_size, stride, padding, dilation
        As in :func:`conv2d_cost` (stride, padding and dilation are the depthwise stage's).
    depth_multiplier : int, optional
        ``M``, the number of depthwise filters per input channel.

    Returns
    -------
    SeparableCost
        ``.depthwise`` (``kh*kw*Cin*M*H'*W'`` multiplications), ``.pointwise``
        (``Cin*M*Cout*H'*W'``), their totals, ``.normal`` (the standard
        convolution with the same settings) and ``.ratio``, which equals
        ``M * (1/Cout + 1/(kh*kw))``.

    Raises
    ------
    ValueError
        As :func:`conv2d_cost`, and for a ``depth_multiplier`` below 1.

    Examples
    --------
    >>> s = depthwise_separable_cost(12, 12, 3, 256, 5)
    >>> s.depthwise.multiplications, s.pointwise.multiplications, s.parameters
    (4800, 49152, 843)
    """
    normal = conv2d_cost(
        height,
        width,
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    m = whole(depth_multiplier, "depth_multiplier", 1)
    h, w, cin = normal.input_shape
    kh, kw = normal.kernel_shape[:2]
    depthwise = _stage((h, w, cin), (kh, kw, cin, m), cin * m, stride, padding, dilation)
    out_h, out_w, _ = depthwise.output_shape
    cout = normal.output_shape[2]
    pointwise = _stage((out_h, out_w, cin * m), (1, 1, cin * m, cout), cout, 1, "valid")
    return SeparableCost(depthwise=depthwise, pointwise=pointwise, normal=normal)


def separable_ratio_formula(out_channels, kernel_size) -> float:
    """The textbook saving ``1/Cout + 1/(kh*kw)`` of a depthwise separable convolution.

    This is exact, not an approximation, whenever ``depth_multiplier = 1``: the
    depthwise and pointwise stages have the same ``H' x W'`` output positions
    as the standard convolution, so they cancel, and so does ``Cin``::

        (kh*kw*Cin + Cin*Cout) / (kh*kw*Cin*Cout) = 1/Cout + 1/(kh*kw)

    It then equals ``depthwise_separable_cost(...).ratio`` for any input size,
    stride and padding. With ``M`` depthwise filters per channel the exact
    ratio is ``M`` times this.

    Parameters
    ----------
    out_channels : int
        ``Cout``.
    kernel_size : int or (int, int)
        ``k`` or ``(kh, kw)``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(1 / separable_ratio_formula(256, 3), 2)  # times fewer multiplications
    8.69
    """
    cout = whole(out_channels, "out_channels", 1)
    kh, kw = kernel_pair(kernel_size)
    return 1 / cout + 1 / (kh * kw)


def spatial_separable_cost(
    height, width, kernel_size, *, stride=1, padding="valid", channels=1, dilation=1
) -> SpatialCost:
    """Multiplications of a ``kh x kw`` filter, whole or split into a column and a row.

    A rank-1 kernel ``K = col @ row`` (Sobel, box, Gaussian) can be applied as
    a ``kh x 1`` column pass followed by a ``1 x kw`` row pass::

        full:  kh*kw per output value     separable:  kh + kw per output value

    The per-value count ``kh + kw`` is the ideal. The exact count of the
    two-pass scheme, as :func:`sepconv_core.conv.correlate2d_separable` runs
    it, is higher: the column pass (which takes the vertical stride) has to
    run at every column of the image, ``W`` of them, not only at the ``W'``
    output columns, because the row pass then reads ``kw`` neighbouring
    columns for each output. (Columns of 'same' padding are zeros: the
    column pass skips them, and the row pass reads zeros there.) So::

        exact = (kh * H' * W  +  kw * H' * W') * channels
        ideal = (kh + kw) * H' * W' * channels

    With stride 1 and 'valid', ``W - W' = kw - 1``: the border columns. With
    stride s, ``W`` is about ``s * W'``: per output value the exact count is
    about ``kh * s + kw``, and for ``s >= kw`` (3×3 at stride 3: 12 > 9) the
    two passes cost more than one 2-D pass.

    Parameters
    ----------
    height, width : int
        Input size.
    kernel_size : int or (int, int)
        ``k`` or ``(kh, kw)``.
    stride : int, optional
        The same along both axes.
    padding : {'valid', 'same'}, optional
        TensorFlow's rule.
    channels : int, optional
        Each channel is filtered on its own, so every count is multiplied by it.
    dilation : int, optional
        Spacing of the taps, as in :func:`conv2d_cost`.

    Returns
    -------
    SpatialCost

    Examples
    --------
    >>> s = spatial_separable_cost(8, 8, 3)
    >>> s.per_pixel_full, s.per_pixel_separable
    (9, 6)
    >>> s.full_multiplications, s.separable_multiplications_ideal, s.separable_multiplications
    (324, 216, 252)
    >>> spatial_separable_cost(8, 8, 3, padding="same").separable_multiplications
    384
    """
    height = whole(height, "height", 1)
    width = whole(width, "width", 1)
    channels = whole(channels, "channels", 1)
    kh, kw = kernel_pair(kernel_size)
    stride, padding, dilation = check_geometry(stride, padding, dilation)
    out_h = output_size(height, kh, stride, padding, dilation)
    out_w = output_size(width, kw, stride, padding, dilation)
    positions = out_h * out_w
    return SpatialCost(
        input_shape=(height, width, channels),
        kernel_size=(kh, kw),
        output_shape=(out_h, out_w, channels),
        per_pixel_full=kh * kw,
        per_pixel_separable=kh + kw,
        full_multiplications=kh * kw * positions * channels,
        separable_multiplications=(kh * out_h * width + kw * positions) * channels,
        separable_multiplications_ideal=(kh + kw) * positions * channels,
    )


# --------------------------------------------------------------------------- MobileNet v1

# (stride, output channels) of the 13 depthwise separable blocks, Table 1 of
# Howard et al. 2017. The table prints "s2" for the last depthwise layer, but
# its input and output are both 7x7 and the paper's totals count it at 7x7:
# it is a stride-1 layer.
_MOBILENET_V1_BLOCKS = (
    (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
    (1, 512), (1, 512), (1, 512), (1, 512), (1, 512),
    (2, 1024), (1, 1024),
)  # fmt: skip
_CLASSES = 1000


def _row(name, type_, stride, cost: ConvCost) -> LayerCost:
    return LayerCost(
        name=name,
        type=type_,
        stride=stride,
        input_shape=cost.input_shape,
        output_shape=cost.output_shape,
        kernel_shape=cost.kernel_shape,
        mult_adds=cost.multiplications,
        parameters=cost.parameters,
    )


def mobilenet_v1_cost(width_multiplier=1.0, resolution=224, separable=True) -> NetworkCost:
    """Layer-by-layer multiply-adds and weights of MobileNet v1.

    The network of Table 1 in Howard et al. 2017, with 'same' padding::

        conv 3x3, 3 -> 32, stride 2
        13 x [ depthwise 3x3 (stride s) + pointwise 1x1 -> C ]
             (s, C) = (1,64) (2,128) (1,128) (2,256) (1,256) (2,512)
                      5 x (1,512) (2,1024) (1,1024)
        average pool over the final 7x7 map
        fully connected 1024 -> 1000

    Counted as the paper counts: multiply-adds, weights only (no biases, no
    batch norm). The average pool is counted as 0 multiply-adds, as in the
    paper (it is ``H*W`` additions and one scaling per channel, negligible).
    The fully connected layer is ``1024*alpha*1000`` multiply-adds and weights.

    This reproduces the paper's 569 M multiply-adds and 4.2 M weights for
    1.0 MobileNet-224 (exactly 568,740,352 and 4,209,088).

    Parameters
    ----------
    width_multiplier : float, optional
        ``alpha`` in ``(0, 2]``: every channel count ``c`` becomes
        ``int(c * alpha)``. The 3 input channels and the 1000 classes stay.
    resolution : int, optional
        Input height and width, at least 32 (the network halves it five
        times); the paper uses 224, 192, 160 and 128.
    separable : bool, optional
        ``False`` builds the paper's "Conv MobileNet": each block is one
        standard 3x3 convolution with the block's stride and channels.

    Returns
    -------
    NetworkCost
        ``.layers``, ``.mult_adds``, ``.parameters`` and ``.by_type()``.

    Raises
    ------
    ValueError
        For a ``width_multiplier`` outside ``(0, 2]`` or so small that a layer
        has no channels, or a ``resolution`` below 32.
    """
    try:
        alpha = float(width_multiplier)
    except (TypeError, ValueError):
        alpha = float("nan")
    if isinstance(width_multiplier, bool) or not 0 < alpha <= 2.0:
        raise ValueError(f"width_multiplier must be in (0, 2], got {width_multiplier!r}.")
    if int(32 * alpha) < 1:
        raise ValueError(
            f"width_multiplier {width_multiplier!r} is too small: the first layer would "
            "have no channels (use at least 1/32)."
        )
    resolution = whole(resolution, "resolution", 32)

    size, channels = resolution, int(32 * alpha)
    first = conv2d_cost(size, size, 3, channels, 3, stride=2, padding="same")
    layers = [_row("conv1", "conv", 2, first)]
    size = first.output_shape[0]
    for i, (stride, c) in enumerate(_MOBILENET_V1_BLOCKS, start=1):
        out_c = int(c * alpha)
        if separable:
            block = depthwise_separable_cost(
                size, size, channels, out_c, 3, stride=stride, padding="same"
            )
            layers.append(_row(f"conv_dw_{i}", "depthwise", stride, block.depthwise))
            layers.append(_row(f"conv_pw_{i}", "pointwise", 1, block.pointwise))
        else:
            block = conv2d_cost(size, size, channels, out_c, 3, stride=stride, padding="same")
            layers.append(_row(f"conv_{i}", "conv", stride, block))
        size, channels = block.output_shape[0], out_c

    pool = ((size, size, channels), (1, 1, channels), (size, size))
    layers.append(LayerCost("avg_pool", "avgpool", 1, *pool, mult_adds=0, parameters=0))
    fc = channels * _CLASSES
    dense = ((1, 1, channels), (1, 1, _CLASSES), (channels, _CLASSES))
    layers.append(LayerCost("fc", "fc", 1, *dense, mult_adds=fc, parameters=fc))
    return NetworkCost(tuple(layers), alpha, resolution, bool(separable))
