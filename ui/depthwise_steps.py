"""The depthwise page's lesson: steps 0-3, one function each (step 4 is ``ui/walkthrough.py``).

Each step takes the ``Layer`` the settings panel built (``ui/depthwise_layer.py``) and draws
its sentences and figures; the page only picks which one runs.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from sepconv_core import kernels
from sepconv_core.window import (
    depthwise_window,
    pointwise_window,
    rounding_bound,
    separable_rounding_bound,
    sum_matches,
    sum_matches_within,
)
from ui.compute import equivalence_gap, layer_seconds, normal_outputs, separable_stages
from ui.depthwise_layer import Layer
from ui.figures import (
    channel_ranges,
    chart,
    colourbar_note,
    heatmap_figure,
    image_figure,
    mosaic_figure,
)
from ui.lesson import downloads, predict_then_reveal, quiz_pending, show_code
from ui.text import channel_names, compare_counts, fmt_int, fmt_shape
from ui.walkthrough import inside_one_pixel, linked_marks, position
from ui.widgets import KEEP, channel_page, lazy_expander

STEPS = [
    "0 · Input",
    "1 · Depthwise",
    "2 · Pointwise",
    "3 · Same as a normal convolution?",
    "4 · Inside one output pixel",
]
QUESTIONS = ["dw_q_dshape", "dw_q_shape", "dw_q_mults", "dw_q_params"]


def stages(layer: Layer) -> dict:
    """The depthwise and pointwise outputs (cached, shared by every session)."""
    return separable_stages(*layer.computation)


def step_picker() -> int:
    """The step selector; returns the chosen step's number."""
    step = st.radio(
        "Step", STEPS, horizontal=True, key="dw_step", label_visibility="collapsed", **KEEP
    )
    return STEPS.index(step)


def shapes_line(layer: Layer, i: int) -> None:
    """The chain of shapes; tensors not reached yet show as "?" (predict them, then step on)."""
    dwc, pwc = layer.cost.depthwise, layer.cost.pointwise
    parts = [
        fmt_shape(layer.shape),
        f"{layer.k}×{layer.k}×1 (×{layer.channels})"
        + (f", dilation {layer.dilation}" if layer.dilation > 1 else ""),
        fmt_shape(dwc.output_shape),
        f"1×1×{layer.channels}×{layer.cout}",
        fmt_shape(pwc.output_shape),
    ]
    upto = (0, 2, 4, 4, 4)[i]
    shown = " → ".join(
        f"**{p}**" if j <= upto else ("?" if j % 2 == 0 else p) for j, p in enumerate(parts)
    )
    spent = (0, dwc.multiplications)[i] if i < 2 else layer.cost.multiplications
    st.markdown(f"Shapes: {shown}  \nMultiplications so far: **{fmt_int(spent)}**")


def step_buttons(i: int) -> None:
    b1, _, b2 = st.columns([1, 4, 1])
    b1.button(
        "← Back",
        disabled=i == 0,
        key="dw_back",
        on_click=lambda: st.session_state.update(dw_step=STEPS[i - 1]),
    )
    b2.button(
        "Next →",
        disabled=i == len(STEPS) - 1,
        key="dw_next",
        on_click=lambda: st.session_state.update(dw_step=STEPS[i + 1]),
    )


def input_step(layer: Layer) -> None:
    h, w, cin = layer.shape
    dwc, pwc, cost = layer.cost.depthwise, layer.cost.pointwise, layer.cost
    st.markdown(
        f"The input has **{cin}** channel{'s' if cin > 1 else ''} of {h}×{w}. A convolution layer "
        "sees them as a stack of separate planes, not as colours."
    )
    with st.expander("Predict, then reveal: before you step on", expanded=False):
        predict_then_reveal(
            "dw_q_dshape",
            "Shape after the depthwise stage?",
            tuple(dwc.output_shape),
            # Not the side length: the final output has the same, and it is the next answer.
            f"One {layer.k}×{layer.k} kernel per channel (×{layer.multiplier}) keeps the channels "
            f"apart: {layer.channels} come out. The height and width follow from the kernel's "
            f"size, the '{layer.padding}' padding and stride {layer.stride}"
            + (f", dilation {layer.dilation}." if layer.dilation > 1 else "."),
        )
        predict_then_reveal(
            "dw_q_shape",
            "Shape of the final output?",
            tuple(pwc.output_shape),
            f"The pointwise stage keeps the size and makes {layer.cout} channels.",
            after="dw_q_dshape",  # its height and width are the depthwise output's
        )
        predict_then_reveal(
            "dw_q_mults",
            "Multiplications for both stages together?",
            cost.multiplications,
            f"{fmt_int(dwc.multiplications)} depthwise + {fmt_int(pwc.multiplications)} pointwise.",
        )
        predict_then_reveal(
            "dw_q_params",
            "How many weights (no biases)?",
            cost.parameters,
            f"{fmt_int(dwc.parameters)} depthwise + {fmt_int(pwc.parameters)} pointwise.",
        )
    names = channel_names(cin)
    c1, c2 = st.columns([1, 3])
    chart(c1, image_figure(layer.image, title=f"input, {h}×{w}"), key="dw_img")
    if layer.tiny:
        # Shared: the image's own 0..1 for every channel; per channel: each one stretched.
        own = channel_ranges(layer.image, signed=False, shared=False)
        row = st.container(horizontal=True, wrap=True)  # numbers keep their size: rows wrap
        for c in range(cin):
            chart(
                row,
                heatmap_figure(
                    layer.image[:, :, c],
                    title=names[c],
                    signed=False,
                    zrange=(0, 1) if layer.shared else own[c],
                    digits=2,
                    height=430,
                    showscale=False,
                ),
                key=f"dw_in_{c}",
            )
    else:
        chart(
            c2,
            mosaic_figure(
                layer.image,
                signed=False,
                shared=layer.shared,
                labels=names,
                title="input channels",
            ),
            key="dw_in_mosaic",
        )


def depthwise_step(layer: Layer) -> None:
    h, w, cin = layer.shape
    k, m, dwc = layer.k, layer.multiplier, layer.cost.depthwise
    st.markdown(
        f"Each input channel is filtered by its own {k}×{k} kernel"
        + (f" ({m} kernels each)" if m > 1 else "")
        + f", giving {layer.channels} planes of {dwc.output_shape[0]}×{dwc.output_shape[1]}: "
        f"{k}·{k} multiplications per output value, **{fmt_int(dwc.multiplications)}** in all, "
        f"with {fmt_int(dwc.parameters)} weights. Output channel c·M + m comes from input "
        "channel c and its kernel m (TensorFlow's order)."
    )
    d = stages(layer)["depthwise"]
    box, dot = linked_marks((h, w), k, layer.stride, layer.padding, d.shape[:2], layer.dilation)
    if layer.channels > 12:
        a, b = st.columns([1, 2])
        chart(
            a,
            mosaic_figure(
                layer.depthwise.reshape(k, k, -1), title="depthwise kernels", shared=layer.shared
            ),
            key="dw1_kernels",
        )
        chart(
            b,
            mosaic_figure(d, title="depthwise outputs", shared=layer.shared, marks=dot),
            key="dw1_outputs",
        )
    # The colour switch holds here too: one range for all outputs (and all kernels).
    out_ranges = channel_ranges(d, shared=layer.shared)
    k_ranges = channel_ranges(layer.depthwise.reshape(k, k, -1), shared=layer.shared)
    for n in range(layer.channels if layer.channels <= 12 else 0):
        c, mi = divmod(n, m)
        row = st.container(horizontal=True, wrap=True)  # numbers keep their size: rows wrap
        chart(
            row,
            heatmap_figure(
                layer.image[:, :, c],
                title=f"input channel {c}",
                signed=False,
                zrange=(0, 1),
                annotate=layer.tiny,
                digits=2,
                height=260,
                showscale=False,
                marks=box,
            ),
            key=f"dw1_in_{n}",
        )
        chart(
            row,
            heatmap_figure(
                layer.depthwise[:, :, c, mi],
                title=f"its kernel {mi}",
                zrange=k_ranges[n],
                height=200,
            ),
            key=f"dw1_k_{n}",
        )
        chart(
            row,
            heatmap_figure(
                d[:, :, n],
                title=f"depthwise output {n}",
                zrange=out_ranges[n],
                height=260,
                annotate=max(d.shape[:2]) <= 16,
                marks=dot,
            ),
            key=f"dw1_out_{n}",
        )
    st.caption(colourbar_note(True, layer.shared))


def pointwise_step(layer: Layer) -> None:
    h, w, _ = layer.shape
    n, cout, pwc = layer.channels, layer.cout, layer.cost.pointwise
    p = stages(layer)["pointwise"]
    st.markdown(
        f"At every pixel the {n} depthwise values are mixed by {cout} sets of {n} weights "
        f"(1×1 kernels): {n} multiplications per output value, "
        f"**{fmt_int(pwc.multiplications)}** in all, with {fmt_int(pwc.parameters)} weights. "
        f"With the depthwise stage: **{fmt_int(layer.cost.multiplications)}** multiplications, "
        + compare_counts(
            layer.cost.multiplications, layer.normal_cost.multiplications, "a normal convolution"
        )
        + "."
    )
    chart(
        st,
        heatmap_figure(
            layer.pointwise,
            title=f"pointwise weights: {n} rows (depthwise channels) × {cout} columns (outputs)",
            annotate=cout <= 16,
            height=140 + 22 * n,
            square=False,
        ),
        key="dw2_weights",
    )
    _, dot = linked_marks(
        (h, w), layer.k, layer.stride, layer.padding, p.shape[:2], layer.dilation, inputs=False
    )
    shown = channel_page("dw2_page", cout)
    chart(
        st,
        mosaic_figure(
            p[:, :, shown.start : shown.stop],
            title=f"output channels {shown.start}–{shown.stop - 1} of {cout}",
            shared=layer.shared,
            marks=dot,
            first_channel=shown.start,
        ),
        key="dw2_outputs",
    )
    st.caption(colourbar_note(True, layer.shared))
    counts_and_clocks(layer)


def counts_and_clocks(layer: Layer) -> None:
    """Multiplications of both layers, and their measured time on this server (on request)."""
    st.subheader("Counted, and measured", divider="gray")
    cost, normal = layer.cost, layer.normal_cost
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Multiplications, normal", fmt_int(normal.multiplications))
    m2.metric(
        "… depthwise separable",
        fmt_int(cost.multiplications),
        help=compare_counts(cost.multiplications, normal.multiplications, "the normal one"),
    )
    settings = (layer.image_key, layer.depthwise.tobytes(), layer.pointwise.shape, layer.stride)
    settings += (layer.padding, layer.dilation, layer.seed)
    if st.button("Time both on this server", key="dw2_time"):
        st.session_state["_dw2_times"] = (
            settings,
            layer_seconds(*layer.computation),
        )
    measured = st.session_state.get("_dw2_times")
    if measured and measured[0] == settings:
        seconds = measured[1]
        m3.metric("Measured time, normal", f"{seconds['normal'] * 1e3:.2f} ms")
        m4.metric("… depthwise separable", f"{seconds['separable'] * 1e3:.2f} ms")
    else:
        m3.caption(
            "Timing runs both layers several times, so it waits for the button: thirty timings "
            "at once would slow a shared server down and skew every clock."
        )
    st.caption(
        "Counts and clocks need not agree. The counts are exact arithmetic; the times depend on "
        "how the code is written and on what else the server is doing: numpy does each stage as "
        "a few large vectorised operations, so memory traffic and per-call overhead matter as "
        "much as multiplications, and on a small image or with few output channels the saving "
        "can shrink or vanish. It grows with Cout and k: 1/Cout + 1/k² of the work."
    )


def normal_step(layer: Layer) -> None:
    k, cin, cout = layer.k, layer.shape[2], layer.cout
    free = kernels.random_weights((k, k, cin, cout), seed=layer.seed + 1)
    gap = equivalence_gap(*layer.computation)
    st.markdown(
        f"The separable layer **is** a normal convolution whose {k}×{k}×{cin}×{cout} kernel is "
        "restricted to K[:, :, i, o] = Σₘ D[:, :, i, m] · P[i·M + m, o]: every output's slice for "
        "input channel i is a mix of channel i's own depthwise kernels. Computing that kernel and "
        f"running a normal convolution gives the same output: the largest difference over all "
        f"{fmt_int(gap['values'])} values is **{gap['max_abs_difference']:.2g}** "
        "(float32 rounding)."
    )
    o = st.slider("Output channel to compare", 0, cout - 1, 0, key="dw3_o", **KEEP)
    comp = normal_outputs(*layer.computation, free, o)
    ek = comp["equivalent_kernel"]
    a = b = c = st.container(horizontal=True, wrap=True)  # numbers keep their size: rows wrap
    sep = stages(layer)["pointwise"]
    chart(a, heatmap_figure(sep[:, :, o], title=f"separable, output {o}"), key="dw3_sep")
    chart(
        b,
        heatmap_figure(comp["normal"], title=f"normal conv, equivalent kernel, output {o}"),
        key="dw3_normal",
    )
    chart(
        c,
        heatmap_figure(comp["free"], title=f"normal conv, unconstrained kernel, output {o}"),
        key="dw3_free",
    )
    one_pixel_both_ways(layer, ek, o)
    _kernel_slices(layer, ek, free)


def one_pixel_both_ways(layer: Layer, ek: np.ndarray, o: int) -> None:
    """One output value computed both ways: the normal kernel's k·k·Cin products summed across
    channels at once, and the separable path's k·k per channel, then Cin·M weights."""
    k, cin, n = layer.k, layer.shape[2], layer.channels
    st.subheader("One output value, both ways", divider="gray")
    out = stages(layer)
    out_h, out_w = out["pointwise"].shape[:2]
    row, col = position(out_h, out_w)
    image = layer.image.astype(np.float64)
    args = dict(stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
    normal = depthwise_window(image, ek[:, :, :, o], row, col, **args)
    dw = depthwise_window(image, layer.depthwise, row, col, **args)
    pw = pointwise_window(out["depthwise"], layer.pointwise, row, col)
    value = float(out["pointwise"][row, col, o])
    names = channel_names(cin)
    st.markdown(
        f"Output {o} at pixel **({row}, {col})** (choose the pixel in step 4). A normal "
        f"convolution multiplies one {k}×{k}×{cin} kernel (here output {o}'s part of the "
        f"equivalent kernel, so both paths must agree) with the {k}×{k}×{cin} patch: "
        f"**{k * k * cin} products, added across all channels at once**. The separable layer "
        f"first adds {k * k} products inside each channel ({n} sums, the depthwise values), then "
        f"mixes those {n} values with {n} weights."
    )
    normal_labels = [f"{names[c]} ⊙ K[:, :, {c}, {o}]" for c in range(cin)]
    separable_labels = [f"{names[i // layer.multiplier]} ⊙ D[:, :, {i}]" for i in range(n)]
    title = f"normal: the {k * k * cin} products"
    shared = layer.shared
    right = _products_row(
        [3, 1],
        normal.products,
        title,
        normal_labels,
        "dw3_normal_products",
        shared,
    )
    total = float(normal.products.sum())
    # Both sides round: the normal sum at the size of its own products, the separable output
    # at the size of the depthwise products (which, with M > 1, need not cancel as K's do).
    both = rounding_bound(normal.products) + separable_rounding_bound(
        dw.products, layer.pointwise[:, o]
    )
    right.markdown(
        f"Σ of all {k * k * cin} products = **{total:.4g}**"
        + _verdict(normal.products, value, f"separable output {o}", bound=both)
    )
    title = f"separable: {k * k} products per channel"
    right = _products_row([5, 2], dw.products, title, separable_labels, "dw3_dw_products", shared)
    lines = [
        f"| c | Σ | × P[c, {o}] | = |",
        "| ---: | ---: | ---: | ---: |",
    ]
    right.markdown(f"Σ of each channel c's {k * k} products, then × its weight P[c, {o}]:")
    for i in range(n):
        weight = float(layer.pointwise[i, o])
        lines.append(f"| {i} | {dw.sums[i]:.4g} | {weight:.4g} | {pw.products[i, o]:.4g} |")
    right.markdown("\n".join(lines))
    right.markdown(
        f"Σ of the {n} products = **{float(pw.sums[o]):.4g}**"
        + _verdict(pw.products[:, o], value, f"separable output {o}")
    )
    st.caption(
        f"For this one value the separable path multiplies {k * k * n} + {n} = {k * k * n + n} "
        f"times, against {k * k * cin}. The saving comes from sharing: the {n} depthwise values "
        f"at a pixel serve all {layer.cout} outputs, so a pixel costs {k * k * n} + {n}·"
        f"{layer.cout} = {fmt_int(k * k * n + n * layer.cout)} multiplications against "
        f"{k * k * cin}·{layer.cout} = {fmt_int(k * k * cin * layer.cout)}."
    )


def _products_row(widths, products: np.ndarray, title: str, labels, key: str, shared: bool):
    """A row: the product planes on the left; returns the right-hand column, for their sums."""
    left, right = st.columns(widths, vertical_alignment="center")
    _products(left, products, title, labels, key, shared)
    return right


def _products(where, products: np.ndarray, title: str, labels, key: str, shared: bool) -> None:
    """Product planes (N, k, k) with their numbers when there are few, else as one mosaic;
    ``shared``: one colour range for all planes (the page's colour switch)."""
    where.markdown(f"**{title}**")
    stack = products.transpose(1, 2, 0)
    if len(products) > 3:
        chart(
            where,
            mosaic_figure(stack, labels=labels, cols=4, height=260, shared=shared),
            key=key,
        )
        return
    ranges = channel_ranges(stack, shared=shared)
    for i, (box, plane) in enumerate(zip(where.columns(len(products)), products, strict=True)):
        chart(
            box,
            heatmap_figure(
                plane, title=labels[i], zrange=ranges[i], digits=2, height=300, showscale=False
            ),
            key=f"{key}_{i}",
        )


def _verdict(products: np.ndarray, value: float, what: str, *, bound: float | None = None) -> str:
    """ "✓" when ``value`` is the sum of ``products`` up to float32 rounding, with the value.

    ``bound``: the rounding allowed, when ``value`` was not computed from ``products`` but by
    another path (default: ``products``' own rounding)."""
    same = (
        sum_matches(products, value)
        if bound is None
        else sum_matches_within(products, value, bound)
    )
    return f"  \n{what} = **{value:.4g}**  \n" + (
        "✓ the same number (up to float32 rounding)" if same else "✗ they differ"
    )


def _kernel_slices(layer: Layer, ek: np.ndarray, free: np.ndarray) -> None:
    k, cin, cout = layer.k, layer.shape[2], layer.cout
    show = min(cout, 8)
    st.markdown(
        f"**What separable cannot express.** Below, the kernel slices K[:, :, i, o] for the first "
        f"{show} outputs (columns) and each input channel (rows). In the equivalent kernel every "
        "row repeats one pattern, only rescaled (with M = 1): the spatial shape is fixed per input "
        "channel ("
        + (
            "one colour range for all slices, so a smaller scale shows paler and a negative one "
            "as swapped colours; choose 'per channel' above to stretch each slice"
            if layer.shared
            else "each slice is stretched to its own colour range, so a negative scale shows as "
            "swapped colours"
        )
        + "). An unconstrained kernel can put a different pattern in every slice; "
        f"it has {fmt_int(layer.normal_cost.parameters)} weights against "
        f"{fmt_int(layer.cost.parameters)}."
    )
    a, b = st.columns(2)
    labels = [f"in {i}, out {o}" for i in range(cin) for o in range(show)]
    for box, kernel, title, key in (
        (a, ek, "equivalent kernel slices", "dw3_ek"),
        (b, free, "unconstrained kernel slices", "dw3_free_k"),
    ):
        chart(
            box,
            mosaic_figure(
                kernel[:, :, :, :show].reshape(k, k, -1),
                cols=show,
                title=title,
                shared=layer.shared,
                labels=labels,
            ),
            key=key,
        )


def pixel_step(layer: Layer) -> None:
    inside_one_pixel(
        layer.image,
        layer.depthwise,
        layer.pointwise,
        stages(layer),
        stride=layer.stride,
        padding=layer.padding,
        dilation=layer.dilation,
        tiny=layer.tiny,
        shared=layer.shared,
    )


BODIES = [input_step, depthwise_step, pointwise_step, normal_step, pixel_step]


def arrays_and_code(layer: Layer, i: int) -> None:
    """Downloads and code; while step 0's questions are open they would answer them."""
    if i == 0 and quiz_pending(QUESTIONS):
        st.caption(
            "The downloads and the code (they show the output shapes) appear here once the "
            "questions above are answered, or on the next step."
        )
        return
    box, is_open = lazy_expander("Download the arrays, and show the code", "dw_code_open")
    if not is_open:
        return
    h, w, cin = layer.shape
    out = stages(layer)
    with box:
        downloads(
            "dw_dl",
            {
                "input": layer.image,
                "depthwise kernels": layer.depthwise,
                "depthwise output": out["depthwise"],
                "pointwise weights": layer.pointwise,
                "output": out["pointwise"],
            },
        )
        show_code(
            cin,
            layer.cout,
            layer.k,
            stride=layer.stride,
            padding=layer.padding,
            depth_multiplier=layer.multiplier,
            height=h,
            width=w,
            dilation=layer.dilation,
        )
