"""The cost calculator page's parts: the layer's settings, its counts stage by stage (or a quiz
that hides them until they are predicted), 'valid' against 'same', and MobileNet v1's table.

Every count comes from ``sepconv_core.cost``; this module only asks for the settings and says
what the counts are.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from sepconv_core.conv import effective_size
from sepconv_core.cost import (
    ConvCost,
    NetworkCost,
    SeparableCost,
    conv2d_cost,
    depthwise_separable_cost,
    separable_ratio_formula,
)
from ui import teacher
from ui.lesson import answered, predict_then_reveal
from ui.text import compare_counts, fmt_int, fmt_shape
from ui.widgets import KEEP, dilation_control, padding_radio

QUESTIONS = ["cost_q_shape", "cost_q_normal", "cost_q_sep", "cost_q_params"]
MAX_K = 15


@dataclass(frozen=True)
class Layer:
    """The layer the student describes: a (h, w, cin) input, cout kernels of k×k."""

    h: int
    w: int
    cin: int
    cout: int
    k: int
    stride: int
    padding: str
    m: int  # depth multiplier
    dilation: int

    @property
    def geometry(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)


def layer_controls() -> Layer:
    """The settings box; under 'valid' it never offers a kernel larger than the image."""
    with st.container(border=True):
        c = st.columns(4)
        h = c[0].number_input("Height H", 1, 4096, 12, key="cost_h", **KEEP)
        w = c[0].number_input("Width W", 1, 4096, 12, key="cost_w", **KEEP)
        cin = c[1].number_input("Input channels Cin", 1, 4096, 3, key="cost_cin", **KEEP)
        cout = c[1].number_input("Output channels Cout", 1, 4096, 256, key="cost_cout", **KEEP)
        padding = padding_radio(
            "cost_padding",
            where=c[3],
            help="'valid' adds nothing; 'same' adds zeros so the output is ceil(size / stride).",
        )
        k_max = MAX_K if padding == "same" else int(min(MAX_K, h, w))
        k = c[2].number_input(
            "Kernel size k (k×k)",
            1,
            k_max,
            min(5, k_max),
            key="cost_k",
            help="At most the image size with 'valid' padding.",
            **KEEP,
        )
        stride = c[2].number_input("Stride", 1, 8, 1, key="cost_stride", **KEEP)
        m = c[3].number_input("Depth multiplier M", 1, 8, 1, key="cost_m", **KEEP)
        dilation = dilation_control("cost", where=c[3], stride=stride)
    return Layer(h, w, cin, cout, int(min(k, k_max)), stride, padding, m, dilation)


def counts_or_stop(layer: Layer) -> tuple[ConvCost, SeparableCost]:
    """The normal and the separable layer's counts. A dilated kernel wider than the image under
    'valid' has no output: a sentence says so and the page stops there."""
    k, dilation = layer.k, layer.dilation
    size = (layer.h, layer.w, layer.cin, layer.cout, k)
    try:
        normal = conv2d_cost(*size, **layer.geometry)
    except ValueError:
        st.error(
            f"With dilation {dilation} the {k}×{k} kernel covers {effective_size(k, dilation)} "
            f"pixels per side, more than the {layer.h}×{layer.w} image, so 'valid' padding "
            "leaves no output. Choose 'same' padding, a smaller kernel or dilation, or a larger "
            "image."
        )
        st.stop()
    sep = depthwise_separable_cost(*size, depth_multiplier=layer.m, **layer.geometry)
    if dilation > 1 and k > 1:
        span = effective_size(k, dilation)
        st.caption(
            f"Dilation {dilation}: each {k}×{k} kernel's taps sit {dilation} pixels apart and "
            f"cover {span}×{span} pixels. Only the output size changes; the multiplications per "
            "output value and the weights stay the same."
        )
    return normal, sep


def quiz(layer: Layer, normal: ConvCost, sep: SeparableCost) -> None:
    """Four questions whose answers are the table's numbers. No explanation gives away an
    answer still to come: the output shape joins the count's once the shape is answered."""
    k, dw, pw = layer.k, sep.depthwise, sep.pointwise
    per_value = f"{k}·{k}·{layer.cin} per output value"
    st.subheader("Predict, then reveal")
    predict_then_reveal(
        "cost_q_shape",
        "Output shape?",
        tuple(normal.output_shape),
        f"{k}×{k} kernels, stride {layer.stride}, '{layer.padding}' padding"
        + (f", dilation {layer.dilation}." if layer.dilation > 1 else "."),
    )
    predict_then_reveal(
        "cost_q_normal",
        "Multiplications of the normal convolution?",
        normal.multiplications,
        f"{per_value} × {fmt_shape(normal.output_shape)} outputs."
        if answered("cost_q_shape")
        else f"{per_value}, times the number of output values: the output shape above, "
        "multiplied out.",
    )
    predict_then_reveal(
        "cost_q_sep",
        "Multiplications of depthwise + pointwise?",
        sep.multiplications,
        f"{fmt_int(dw.multiplications)} + {fmt_int(pw.multiplications)}.",
    )
    predict_then_reveal(
        "cost_q_params",
        "Weights of depthwise + pointwise (no biases)?",
        sep.parameters,
        f"{fmt_int(dw.parameters)} + {fmt_int(pw.parameters)}.",
    )
    st.caption("Turn the quiz off to see the full table.")


def _stage(stage: str, kernel: str, cost) -> dict:
    return {
        "stage": stage,
        "kernel": kernel,
        "output": fmt_shape(cost.output_shape),
        "multiplications": cost.multiplications,
        "weights": cost.parameters,
    }


def per_stage(layer: Layer, normal: ConvCost, sep: SeparableCost) -> None:
    """Each stage's kernels, output, multiplications and weights; the totals; the ratio against
    the 1/Cout + 1/k² rule."""
    k, cin, cout, m = layer.k, layer.cin, layer.cout, layer.m
    st.subheader("Per stage")
    rows = [
        _stage("normal convolution", f"{cout} × {k}×{k}×{cin}", normal),
        _stage("depthwise", f"{cin * m} × {k}×{k}×1", sep.depthwise),
        _stage("pointwise", f"{cout} × 1×1×{cin * m}", sep.pointwise),
        _stage("depthwise + pointwise", "", sep),
    ]
    teacher.table(rows, numbers=("multiplications", "weights"), key="cost_table")
    m1, m2, m3 = st.columns(3)
    m1.metric("Normal", fmt_int(normal.multiplications))
    m2.metric("Separable", fmt_int(sep.multiplications))
    m3.metric("Separable / normal", f"{sep.ratio:.4f}", help="Multiplications, exact.")
    formula = separable_ratio_formula(cout, k)
    st.markdown(
        f"With the numbers: {fmt_int(sep.multiplications)} / {fmt_int(normal.multiplications)} = "
        f"**{sep.ratio:.4f}**; the formula 1/Cout + 1/k² = 1/{cout} + 1/{k * k} = "
        f"**{formula:.4f}**"
        + (
            " (exact here, since M = 1)."
            if m == 1
            else f". With M = {m} every term is M times larger: M/Cout + M/k² = {m * formula:.4f}."
        )
        + " The separable layer needs **"
        + compare_counts(sep.multiplications, normal.multiplications, "the normal one")
        + "** and **"
        + compare_counts(sep.parameters, normal.parameters, "the normal one", "weights")
        + "**."
    )


def ratio_alt(layer: Layer) -> str:
    """The ratio chart's accessible name (:func:`ui.figures.ratio_figure`)."""
    return (
        "Separable / normal multiplications against Cout for k = 3, 5, 7 (log scale); "
        f"yours: {separable_ratio_formula(layer.cout, layer.k):.4f} at Cout = {layer.cout}"
    )


def valid_or_same(layer: Layer, normal: ConvCost, *, hidden: bool) -> None:
    """What the other padding would give; ``hidden`` while the quiz's answers are pending."""
    if hidden:
        # The shapes and counts below would answer the quiz's questions.
        st.caption("This part gives the quiz's answers away: it appears once they are answered.")
        return
    padding = layer.padding
    other = "same" if padding == "valid" else "valid"
    size = (layer.h, layer.w, layer.cin, layer.cout, layer.k)
    try:
        alt_args = dict(stride=layer.stride, padding=other, dilation=layer.dilation)
        alt = depthwise_separable_cost(*size, depth_multiplier=layer.m, **alt_args)
        alt_normal = conv2d_cost(*size, **alt_args)
        st.markdown(
            f"With '{padding}' padding the output is **{fmt_shape(normal.output_shape)}**; with "
            f"'{other}' it would be **{fmt_shape(alt_normal.output_shape)}**, costing "
            f"{fmt_int(alt_normal.multiplications)} (normal) and {fmt_int(alt.multiplications)} "
            "(separable) multiplications."
        )
    except ValueError as err:
        st.markdown(f"'{other}' padding is not possible here: {err}")
    st.info(
        "A popular write-up of the classic example says the 12×12×3 image gives 12×12×256. "
        "Without padding a 5×5 kernel fits at only 12 − 5 + 1 = 8 positions per side, so the "
        "output is 8×8×256 and the counts above use 8·8 = 64 positions. 12×12×256 is "
        "what 'same' padding gives: two rows and columns of zeros on every side."
    )


def mobilenet_metrics(net: NetworkCost, full: NetworkCost) -> None:
    """Mult-adds and weights of MobileNet v1, separable and with every convolution normal."""
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Mult-adds (separable)", f"{net.mult_adds / 1e6:,.0f} M")
    m2.metric("Weights (separable)", f"{net.parameters / 1e6:,.2f} M")
    m3.metric("Mult-adds (all normal convs)", f"{full.mult_adds / 1e6:,.0f} M")
    m4.metric("Weights (all normal convs)", f"{full.parameters / 1e6:,.1f} M")


def mobilenet_table(net: NetworkCost) -> None:
    """Every layer of the network: type, stride, shapes, mult-adds, weights."""
    teacher.table(
        [
            {
                "layer": r.name,
                "type": r.type,
                "stride": r.stride,
                "input": fmt_shape(r.input_shape),
                "output": fmt_shape(r.output_shape),
                "mult-adds": r.mult_adds,
                "weights": r.parameters,
            }
            for r in net.layers
        ],
        numbers=("mult-adds", "weights"),
        key="mb_table",
    )
