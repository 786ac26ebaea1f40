"""Small formatting helpers for sentences on the pages."""

from __future__ import annotations

from sepconv_core.conv import effective_size


def fmt_shape(shape) -> str:
    """(8, 8, 256) -> '8×8×256'."""
    return "×".join(str(int(s)) for s in shape)


def fmt_int(n: int) -> str:
    """1228800 -> '1,228,800'."""
    return f"{int(n):,}"


def channel_names(cin: int) -> list[str]:
    """What to call an image's channels: red, green, blue for a colour image, else numbers."""
    return ["red", "green", "blue"] if cin == 3 else [f"channel {c}" for c in range(cin)]


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~$"})


def plain(text: str) -> str:
    """``text`` for st.error/st.markdown with nothing read as markup or a link.

    Messages can quote what a student typed (or what a shared link carried)."""
    return str(text).translate(_MARKDOWN).replace("://", ":\u200b//").replace("www.", "www\u200b.")


def compare_counts(count: int, reference: int, than: str, noun: str = "multiplications") -> str:
    """How ``count`` compares with ``reference`` (named by ``than``), never as "0.5× cheaper".

    The one place where the pages phrase a ratio of two counts:

    >>> compare_counts(53_952, 1_228_800, "the normal one")
    '22.8× fewer multiplications than the normal one'
    >>> compare_counts(2, 1, "the normal one")
    '2× more multiplications than the normal one'
    >>> compare_counts(9, 9, "the normal one")
    'the same number of multiplications as the normal one'
    >>> compare_counts(102, 100, "one pass")
    '2% more multiplications than one pass'

    A ratio that would print as 1.0× is given as a percentage instead.
    """
    count, reference = int(count), int(reference)
    if count == reference:
        return f"the same number of {noun} as {than}"
    word = "more" if count > reference else "fewer"
    low, high = sorted((count, reference))
    if low == 0:
        return f"{fmt_int(abs(count - reference))} {word} {noun} than {than}"
    factor = high / low
    if factor < 1.1:
        return f"{_short((high - low) / reference * 100)}% {word} {noun} than {than}"
    return f"{_short(factor)}× {word} {noun} than {than}"


def _short(x: float) -> str:
    """2.0 -> '2', 22.78 -> '22.8', 0.042 -> '0.042': one decimal, two digits below 1."""
    text = f"{x:.1f}" if x >= 1 else f"{x:.2g}"
    return text[:-2] if text.endswith(".0") else text


def rank_verdict(rank: int, singular_values: int, relative_error: float) -> str:
    """The sentence under a kernel's singular values: what its rank means for separability."""
    if rank == 0:
        return (
            "Rank **0**: every weight is zero, so every singular value is zero and the output "
            "is all zeros. There is nothing to separate (a zero column times any row gives it)."
        )
    if rank == 1:
        return (
            "Rank **1**: this kernel is **separable**. Only one singular value is non-zero, so "
            "one column × row reproduces it exactly."
        )
    return (
        f"Rank **{rank}**: this kernel is **not separable**. {rank} of its {singular_values} "
        "singular values are non-zero; the best single column × row (the first SVD term) "
        f"misses by **{relative_error:.1%}** of the kernel's size (Frobenius norm)."
    )


def fmt_ms(seconds: float) -> str:
    """0.00123 -> '1.23 ms'."""
    return f"{seconds * 1e3:.2f} ms"


def dilation_note(kernel_shape: tuple[int, int], dilation: int) -> str | None:
    """What dilation does to a kh×kw kernel's reach (None without dilation, or for 1×1)."""
    kh, kw = kernel_shape
    if dilation == 1 or max(kh, kw) == 1:
        return None
    span_h, span_w = effective_size(kh, dilation), effective_size(kw, dilation)
    return (
        f"Dilation {dilation}: the {kh}×{kw} kernel's taps sit {dilation} pixels apart, so it "
        f"covers {span_h}×{span_w} pixels, with the same {kh * kw} weights and multiplications."
    )


def no_output(kernel_shape, image_shape, padding: str, dilation: int) -> str | None:
    """Why a kernel (spread by ``dilation``) has no output on a 2-D image under 'valid'
    padding, or None when it fits."""
    kh, kw = kernel_shape
    span_h, span_w = effective_size(kh, dilation), effective_size(kw, dilation)
    if padding != "valid" or (span_h <= image_shape[0] and span_w <= image_shape[1]):
        return None
    covers = f" (covering {span_h}×{span_w} with dilation {dilation})" if dilation > 1 else ""
    return (
        f"The {kh}×{kw} kernel{covers} does not fit inside the {fmt_shape(image_shape)} image "
        "with 'valid' padding, so there is no output. Choose 'same' padding, a smaller kernel "
        "or dilation, or a larger working size in the sidebar."
    )


def _n(count: int, noun: str) -> str:
    """3, 'column' -> '3 columns'; 1, 'column' -> '1 column'."""
    return f"{fmt_int(count)} {noun}{'' if count == 1 else 's'}"


def spatial_totals_explained(cost, stride: int, padding: str) -> str:
    """Why the whole-image counts of ``cost`` (a ``SpatialCost``) are, or are not, kh·kw
    against kh + kw per output: the column pass runs at every column of the image.

    ``stride`` and ``padding`` are the ones ``cost`` was counted with; the sentence names
    the one that actually makes the image's columns the output columns."""
    (kh, kw), width, out_w = cost.kernel_size, cost.input_shape[1], cost.output_shape[1]
    verdict = (
        " On this image the two passes need **"
        + compare_counts(cost.separable_multiplications, cost.full_multiplications, "one 2-D pass")
        + "**."
    )
    per_output = f"{fmt_int(kh * kw)} against {_n(kh + kw, 'multiplication')} per output value"
    if width == out_w:
        if padding == "same" and stride == 1:
            why = "with stride 1 and 'same' padding"
        elif kw == 1 and stride == 1:
            why = "the kernel is one column wide, so even with 'valid' padding"
        else:  # an image one column wide
            why = "here"
        return (
            f"**The totals.** The column pass runs at every column of the image, and {why} "
            f"those are exactly the {_n(out_w, 'output column')}: the totals are exactly "
            f"{per_output}." + verdict
        )
    if stride > 1:
        why = f": with stride {stride} that is about {kh}·{stride} + {kw} = {kh * stride + kw}"
    else:
        border = _n(width - out_w, "border column")
        why = f", a little over {kh + kw} because of the {border}"
    needs = "the column under it" if kw == 1 else f"{kw} neighbouring columns"
    return (
        f"**Why the totals are not {per_output}.** One 2-D pass does "
        f"{_n(kh * kw, 'multiplication')} at each of the {fmt_int(cost.outputs)} output "
        f"values. The column pass, though, runs at every one of the image's **{width} "
        f"columns**, not only at the {_n(out_w, 'output column')}, because the row pass then "
        f"needs {needs} for each output. So the two passes really do "
        f"**{cost.per_output_separable:.2f}** multiplications per output value here{why}."
        + verdict
        + " Separating pays most at stride 1 and with large kernels."
    )


def mobilenet_paper_note(conv_224, separable_160, separable_224) -> str:
    """The footnote for students who check the MobileNet counts against the paper.

    ``conv_224`` is "Conv MobileNet" (all normal convolutions) at 1.0 / 224, the others
    MobileNet v1 at 1.0 / 160 and 1.0 / 224, each a ``NetworkCost``."""
    conv_only = conv_224.by_type()["conv"]
    first = separable_224.layers[0].mult_adds
    share = first / separable_224.mult_adds * 100
    return (
        "**For students who check against the paper** (Howard et al., 2017, "
        "arXiv:1704.04861). Every count here is worked out layer by layer from its Table 1; "
        "three printed figures differ.\n"
        f"1. *Conv MobileNet* (Table 4): the paper prints 4,866 M mult-adds; the count is "
        f"{conv_224.mult_adds / 1e6:,.0f} M with the fully connected layer "
        f"({conv_224.by_type()['fc'] / 1e6:.1f} M) included and {conv_only / 1e6:,.0f} M "
        "without it, so the paper seems to leave it out there, though its 569 M for "
        "1.0 MobileNet-224 includes it.\n"
        f"2. *1.0 MobileNet-160* (Table 7): the paper prints 290 M; the count is "
        f"{separable_160.mult_adds / 1e6:.2f} M, which rounds to "
        f"{separable_160.mult_adds / 1e6:.0f} M, the figure TensorFlow's own model table gives.\n"
        f"3. Table 2 gives the first 3×3 convolution 1.19 % of the mult-adds; the count gives "
        f"{share:.2f} % ({first / 1e6:.2f} M of {separable_224.mult_adds / 1e6:.2f} M): the "
        f"digits look swapped, and with {share:.2f} % the table's column adds up to 100 %."
    )
