"""Depthwise separable convolution, step by step, with every channel on screen."""

import streamlit as st

from sepconv_core import kernels
from sepconv_core.cost import conv2d_cost, depthwise_separable_cost
from ui.compute import normal_comparison, separable_stages, tiny_input
from ui.figures import colourbar_note, heatmap_figure, image_figure, mosaic_figure
from ui.lesson import downloads, predict_then_reveal, show_code
from ui.state import chosen_image
from ui.text import fmt_int, fmt_shape
from ui.training import shipped_kernels
from ui.widgets import colour_mode
from ui.window import inside_one_pixel, linked_marks

STEPS = [
    "0 · Input",
    "1 · Depthwise",
    "2 · Pointwise",
    "3 · Same as a normal convolution?",
    "4 · Inside one output pixel",
]
TINY = 12  # the classic example's input side
# Numbers in one output (H'·W'·Cout): 16 MB of float32, so thirty students at the largest
# working size cannot exhaust a shared server. 16 output channels still fit at 512×512.
MAX_OUTPUT_VALUES = 512 * 512 * 16

st.title("Depthwise separable convolution, step by step")
st.markdown(
    """
A normal convolution looks at all input channels at once: each of its Cout kernels is
kh × kw × Cin. A **depthwise separable** convolution splits that work in two. The **depthwise**
stage gives every input channel its own small kernel (or M of them, the *depth multiplier*) and
never mixes channels. The **pointwise** stage then mixes channels at each pixel with 1 × 1
kernels. Walk through the steps below; every channel and every kernel is on screen.
"""
)

chosen = chosen_image()
with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    source = c1.radio(
        "Input",
        [f"Tiny {TINY}×{TINY} (every number visible)", "Working size (sidebar)"],
        key="dw_input",
        bind="query-params",
        persist_state="session",
        help=f"The classic example uses a {TINY}×{TINY}×3 image: the centre of the chosen image, "
        "reduced, so each value can be printed.",
    )
    tiny = source.startswith("Tiny")
    image = tiny_input(chosen.key, chosen.image, TINY) if tiny else chosen.image
    image_key = f"{chosen.key}|tiny{TINY}" if tiny else chosen.key
    h, w, cin = image.shape
    stride = c2.slider(
        "Stride",
        1,
        3,
        1,
        key="dw_stride",
        bind="query-params",
        persist_state="session",
        help="Step between outputs.",
    )
    padding = c2.radio(
        "Padding",
        ["valid", "same"],
        horizontal=True,
        key="dw_padding",
        bind="query-params",
        persist_state="session",
        help="'valid' shrinks the output; 'same' pads with zeros so it is ceil(size/stride).",
    )
    family = c4.selectbox(
        "Depthwise kernels",
        [*kernels.CHANNEL_FAMILIES, "learned"],
        format_func=str.capitalize,
        key="dw_family",
        bind="query-params",
        persist_state="session",
        help="; ".join(f"{n}: {d}" for n, d in kernels.CHANNEL_FAMILIES.items())
        + "; learned: kernels trained by gradient descent (see the Learned kernels page).",
    )
    learned = None
    if family == "learned":
        shipped = shipped_kernels()
        name = c4.selectbox(
            "Learned for",
            list(shipped),
            key="dw_learned",
            bind="query-params",
            persist_state="session",
            format_func=lambda n: shipped[n].label,
        )
        learned = shipped[name]
    # With 'valid' padding the kernel must fit inside the image: the slider never offers more.
    k_max = 7 if padding == "same" else max(1, min(7, h, w))
    if learned is not None and learned.kernel_size > k_max:
        c3.caption(
            f"The learned {learned.kernel_size}×{learned.kernel_size} kernels do not fit "
            "this image with 'valid' padding; Sobel kernels are used instead."
        )
        family, learned = "sobel", None
    if learned is not None:
        k, multiplier = learned.kernel_size, 1
        c3.caption(f"Kernel size {k} and depth multiplier 1: fixed by the learned kernels.")
    else:
        if k_max > 1:
            k = c3.slider(
                "Kernel size k",
                1,
                k_max,
                min(5, k_max),
                key="dw_k",
                bind="query-params",
                persist_state="session",
            )
        else:
            k = 1
            c3.caption("The image is 1 pixel thin, so only 1×1 kernels fit with 'valid' padding.")
        multiplier = c3.slider(
            "Depth multiplier M",
            1,
            4,
            1,
            key="dw_m",
            bind="query-params",
            persist_state="session",
            help="Kernels per input channel.",
        )
    cout_max = min(256, max(16, MAX_OUTPUT_VALUES // (h * w)))
    cout = c4.slider(
        "Output channels Cout",
        1,
        cout_max,
        min(256 if tiny else 16, cout_max),
        key=f"dw_cout_{'tiny' if tiny else 'work'}",
        bind="query-params",
        persist_state="session",
        help="The classic example has 256.",
    )
    if cout_max < 256:
        c4.caption(
            f"At most {cout_max} output channels at {h}×{w}, so that a shared server keeps up: "
            "choose a smaller working size in the sidebar for up to 256."
        )
    seed = c4.number_input(
        "Seed (random weights)",
        0,
        10_000,
        0,
        key="dw_seed",
        bind="query-params",
        persist_state="session",
    )
    shared = colour_mode("dw")

if learned is None:
    dk = kernels.channel_kernels(family, k, cin, multiplier, seed=int(seed))
else:
    dk = learned.depthwise_for(cin)
pk = kernels.pointwise_weights(cin * multiplier, cout, seed=int(seed))
cost = depthwise_separable_cost(
    h, w, cin, cout, k, stride=stride, padding=padding, depth_multiplier=multiplier
)
normal_cost = conv2d_cost(h, w, cin, cout, k, stride=stride, padding=padding)
dwc, pwc = cost.depthwise, cost.pointwise
stages = separable_stages(image_key, image, dk, pk, stride, padding)

step = st.radio(
    "Step",
    STEPS,
    horizontal=True,
    key="dw_step",
    bind="query-params",
    persist_state="session",
    label_visibility="collapsed",
)
i = STEPS.index(step)
parts = [
    f"{fmt_shape((h, w, cin))}",
    f"{k}×{k}×1 (×{cin * multiplier})",
    f"{fmt_shape(dwc.output_shape)}",
    f"1×1×{cin * multiplier}×{cout}",
    f"{fmt_shape(pwc.output_shape)}",
]
upto = {0: 0, 1: 2, 2: 4, 3: 4, 4: 4}[i]
# Tensors not reached yet show as "?" (the kernels are settings): predict them, then step on.
shown = " → ".join(
    f"**{p}**" if j <= upto else ("?" if j % 2 == 0 else p) for j, p in enumerate(parts)
)
spent = {0: 0, 1: dwc.multiplications}.get(i, cost.multiplications)
st.markdown(f"Shapes: {shown}  \nMultiplications so far: **{fmt_int(spent)}**")

if i == 0:
    st.markdown(
        f"The input has **{cin}** channel{'s' if cin > 1 else ''} of {h}×{w}. A convolution layer "
        "sees them as a stack of separate planes, not as colours."
    )
    with st.expander("Predict, then reveal: before you step on", expanded=False):
        predict_then_reveal(
            "dw_q_dshape",
            "Shape after the depthwise stage?",
            tuple(dwc.output_shape),
            f"One {k}×{k} kernel per channel (×{multiplier}) keeps the channels apart; with "
            f"'{padding}' padding and stride {stride} each side becomes {dwc.output_shape[0]}.",
        )
        predict_then_reveal(
            "dw_q_shape",
            "Shape of the final output?",
            tuple(pwc.output_shape),
            f"The pointwise stage keeps the size and makes {cout} channels.",
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
    names = ["red", "green", "blue"] if cin == 3 else [f"channel {c}" for c in range(cin)]
    c1, c2 = st.columns([1, 3])
    c1.plotly_chart(image_figure(image, title=f"input, {h}×{w}"), key="dw_img")
    if tiny:
        cols = st.columns(cin)
        for c in range(cin):
            cols[c].plotly_chart(
                heatmap_figure(
                    image[:, :, c],
                    title=names[c],
                    signed=False,
                    zrange=(0, 1),
                    height=430,
                    showscale=False,
                ),
                key=f"dw_in_{c}",
            )
    else:
        c2.plotly_chart(
            mosaic_figure(image, signed=False, shared=True, labels=names, title="input channels"),
            key="dw_in_mosaic",
        )

elif i == 1:
    st.markdown(
        f"Each input channel is filtered by its own {k}×{k} kernel"
        + (f" ({multiplier} kernels each)" if multiplier > 1 else "")
        + f", giving {cin * multiplier} planes of {dwc.output_shape[0]}×{dwc.output_shape[1]}: "
        f"{k}·{k} multiplications per output value, **{fmt_int(dwc.multiplications)}** in all, "
        f"with {fmt_int(dwc.parameters)} weights. Output channel c·M + m comes from input "
        "channel c and its kernel m (TensorFlow's order)."
    )
    d = stages["depthwise"]
    box, dot = linked_marks((h, w), k, stride, padding, d.shape[:2])
    if cin * multiplier <= 12:
        for c in range(cin):
            for m in range(multiplier):
                n = c * multiplier + m
                a, b, e = st.columns([2, 2, 3])
                a.plotly_chart(
                    heatmap_figure(
                        image[:, :, c],
                        title=f"input channel {c}",
                        signed=False,
                        zrange=(0, 1),
                        annotate=tiny,
                        height=260,
                        marks=box,
                    ),
                    key=f"dw1_in_{n}",
                )
                b.plotly_chart(
                    heatmap_figure(dk[:, :, c, m], title=f"its kernel {m}", height=260),
                    key=f"dw1_k_{n}",
                )
                e.plotly_chart(
                    heatmap_figure(
                        d[:, :, n],
                        title=f"depthwise output {n}",
                        height=260,
                        annotate=max(d.shape[:2]) <= 16,
                        marks=dot,
                    ),
                    key=f"dw1_out_{n}",
                )
    else:
        a, b = st.columns([1, 2])
        a.plotly_chart(
            mosaic_figure(dk.reshape(k, k, -1), title="depthwise kernels", shared=True),
            key="dw1_kernels",
        )
        b.plotly_chart(
            mosaic_figure(d, title="depthwise outputs", shared=shared, marks=dot),
            key="dw1_outputs",
        )
    st.caption(colourbar_note(True, shared))

elif i == 2:
    p = stages["pointwise"]
    st.markdown(
        f"At every pixel the {cin * multiplier} depthwise values are mixed by {cout} sets of "
        f"{cin * multiplier} weights (1×1 kernels): {cin * multiplier} multiplications per "
        f"output value, **{fmt_int(pwc.multiplications)}** in all, with "
        f"{fmt_int(pwc.parameters)} weights. Together with the depthwise stage: "
        f"**{fmt_int(cost.multiplications)}** multiplications against "
        f"{fmt_int(normal_cost.multiplications)} for a normal convolution "
        f"({cost.ratio:.1%})."
    )
    st.plotly_chart(
        heatmap_figure(
            pk,
            title=f"pointwise weights: {cin * multiplier} rows (depthwise "
            f"channels) × {cout} columns (outputs)",
            annotate=cout <= 16,
            height=140 + 22 * cin * multiplier,
            square=False,
        ),
        key="dw2_weights",
    )
    _, dot = linked_marks((h, w), k, stride, padding, p.shape[:2], inputs=False)
    st.plotly_chart(
        mosaic_figure(p, title=f"all {cout} output channels", shared=shared, marks=dot),
        key="dw2_outputs",
    )
    st.caption(colourbar_note(True, shared))

elif i == 3:
    free = kernels.random_weights((k, k, cin, cout), seed=int(seed) + 1)
    comp = normal_comparison(image_key, image, dk, pk, free, stride, padding)
    ek = comp["equivalent_kernel"]
    st.markdown(
        f"The separable layer **is** a normal convolution whose {k}×{k}×{cin}×{cout} kernel is "
        "restricted to K[:, :, i, o] = Σₘ D[:, :, i, m] · P[i·M + m, o]: every output's slice for "
        "input channel i is a mix of channel i's own depthwise kernels. Computing that kernel and "
        f"running a normal convolution gives the same output: the largest difference over all "
        f"{fmt_int(comp['normal'].size)} values is **{comp['max_abs_difference']:.2g}** "
        "(float32 rounding)."
    )
    o = st.slider(
        "Output channel to compare",
        0,
        cout - 1,
        0,
        key="dw3_o",
        bind="query-params",
        persist_state="session",
    )
    a, b, c = st.columns(3)
    a.plotly_chart(
        heatmap_figure(stages["pointwise"][:, :, o], title=f"separable, output {o}"), key="dw3_sep"
    )
    b.plotly_chart(
        heatmap_figure(
            comp["normal"][:, :, o], title=f"normal conv, equivalent kernel, output {o}"
        ),
        key="dw3_normal",
    )
    c.plotly_chart(
        heatmap_figure(
            comp["free"][:, :, o], title=f"normal conv, unconstrained kernel, output {o}"
        ),
        key="dw3_free",
    )
    show = min(cout, 8)
    st.markdown(
        f"**What separable cannot express.** Below, the kernel slices K[:, :, i, o] for the first "
        f"{show} outputs (columns) and each input channel (rows). In the equivalent kernel every "
        "row repeats one pattern, only rescaled (with M = 1): the spatial shape is fixed per input "
        "channel (each slice is stretched to its own colour range, so a negative scale shows as "
        "swapped colours). An unconstrained kernel can put a different pattern in every slice; "
        "it has "
        f"{fmt_int(normal_cost.parameters)} weights against {fmt_int(cost.parameters)}."
    )
    a, b = st.columns(2)
    slice_labels = [f"in {i_}, out {o_}" for i_ in range(cin) for o_ in range(show)]
    a.plotly_chart(
        mosaic_figure(
            ek[:, :, :, :show].reshape(k, k, -1),
            cols=show,
            title="equivalent kernel slices",
            shared=False,
            labels=slice_labels,
        ),
        key="dw3_ek",
    )
    b.plotly_chart(
        mosaic_figure(
            free[:, :, :, :show].reshape(k, k, -1),
            cols=show,
            title="unconstrained kernel slices",
            shared=False,
            labels=slice_labels,
        ),
        key="dw3_free_k",
    )

else:
    inside_one_pixel(
        image, dk, pk, stages, stride=stride, padding=padding, tiny=tiny, shared=shared
    )

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

with st.expander("Download the arrays, and show the code"):
    downloads(
        "dw_dl",
        {
            "input": image,
            "depthwise kernels": dk,
            "depthwise output": stages["depthwise"],
            "pointwise weights": pk,
            "output": stages["pointwise"],
        },
    )
    show_code(
        cin,
        cout,
        k,
        stride=stride,
        padding=padding,
        depth_multiplier=multiplier,
        height=h,
        width=w,
    )
