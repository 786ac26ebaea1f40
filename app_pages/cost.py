"""Cost calculator: multiplications and weights of normal vs depthwise separable convolutions."""

import plotly.graph_objects as go
import streamlit as st

from sepconv_core.conv import effective_size
from sepconv_core.cost import (
    conv2d_cost,
    depthwise_separable_cost,
    mobilenet_v1_cost,
    separable_ratio_formula,
)
from ui.figures import chart
from ui.lesson import predict_then_reveal, quiz_pending, show_code
from ui.text import compare_counts, fmt_int, fmt_shape, mobilenet_paper_note
from ui.widgets import dilation_control

st.title("Cost calculator")
st.markdown(
    """
Count what each layer costs. A normal convolution spends kh·kw·Cin multiplications on every one
of its H'·W'·Cout output values. The depthwise stage spends kh·kw on each of H'·W'·Cin·M values,
the pointwise stage Cin·M on each of H'·W'·Cout. Divide one by the other and, with M = 1, the
image size and Cin cancel: **separable / normal = 1/Cout + 1/(kh·kw)**. The defaults are the
classic example: a 12×12×3 image and 256 kernels of 5×5×3.
"""
)

with st.container(border=True):
    c = st.columns(4)
    h = c[0].number_input(
        "Height H", 1, 4096, 12, key="cost_h", bind="query-params", persist_state="session"
    )
    w = c[0].number_input(
        "Width W", 1, 4096, 12, key="cost_w", bind="query-params", persist_state="session"
    )
    cin = c[1].number_input(
        "Input channels Cin",
        1,
        4096,
        3,
        key="cost_cin",
        bind="query-params",
        persist_state="session",
    )
    cout = c[1].number_input(
        "Output channels Cout",
        1,
        4096,
        256,
        key="cost_cout",
        bind="query-params",
        persist_state="session",
    )
    padding = c[3].radio(
        "Padding",
        ["valid", "same"],
        horizontal=True,
        key="cost_padding",
        bind="query-params",
        persist_state="session",
        help="'valid' adds nothing; 'same' adds zeros so the output is ceil(size / stride).",
    )
    # Under 'valid' the kernel must fit in the image: the box never offers a larger one.
    k_max = 15 if padding == "same" else int(min(15, h, w))
    k = c[2].number_input(
        "Kernel size k (k×k)",
        1,
        k_max,
        min(5, k_max),
        key="cost_k",
        bind="query-params",
        persist_state="session",
        help="At most the image size with 'valid' padding.",
    )
    stride = c[2].number_input(
        "Stride", 1, 8, 1, key="cost_stride", bind="query-params", persist_state="session"
    )
    m = c[3].number_input(
        "Depth multiplier M", 1, 8, 1, key="cost_m", bind="query-params", persist_state="session"
    )
    dilation = dilation_control("cost", where=c[3], stride=stride)

k = int(min(k, k_max))
args = dict(stride=stride, padding=padding, dilation=dilation)
try:
    normal = conv2d_cost(h, w, cin, cout, k, **args)
except ValueError:
    st.error(
        f"With dilation {dilation} the {k}×{k} kernel covers {effective_size(k, dilation)} "
        f"pixels per side, more than the {h}×{w} image, so 'valid' padding leaves no output. "
        "Choose 'same' padding, a smaller kernel or dilation, or a larger image."
    )
    st.stop()
sep = depthwise_separable_cost(h, w, cin, cout, k, depth_multiplier=m, **args)
if dilation > 1 and k > 1:
    st.caption(
        f"Dilation {dilation}: each {k}×{k} kernel's taps sit {dilation} pixels apart and cover "
        f"{effective_size(k, dilation)}×{effective_size(k, dilation)} pixels. Only the output "
        "size changes; the multiplications per output value and the weights stay the same."
    )
dw, pw = sep.depthwise, sep.pointwise

formula = separable_ratio_formula(cout, k)
quiz = st.toggle(
    "Quiz me first",
    key="cost_quiz",
    bind="query-params",
    persist_state="session",
    help="Hide the table until you have predicted the numbers for these settings.",
)
QUESTIONS = ["cost_q_shape", "cost_q_normal", "cost_q_sep", "cost_q_params"]
if quiz:
    st.subheader("Predict, then reveal")
    predict_then_reveal(
        "cost_q_shape",
        "Output shape?",
        tuple(normal.output_shape),
        f"{k}×{k} kernels, stride {stride}, '{padding}' padding"
        + (f", dilation {dilation}." if dilation > 1 else "."),
    )
    predict_then_reveal(
        "cost_q_normal",
        "Multiplications of the normal convolution?",
        normal.multiplications,
        f"{k}·{k}·{cin} per output value × {fmt_shape(normal.output_shape)} outputs.",
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
else:
    st.subheader("Per stage")
    rows = [
        {
            "stage": "normal convolution",
            "kernel": f"{cout} × {k}×{k}×{cin}",
            "output": fmt_shape(normal.output_shape),
            "multiplications": normal.multiplications,
            "weights": normal.parameters,
        },
        {
            "stage": "depthwise",
            "kernel": f"{cin * m} × {k}×{k}×1",
            "output": fmt_shape(dw.output_shape),
            "multiplications": dw.multiplications,
            "weights": dw.parameters,
        },
        {
            "stage": "pointwise",
            "kernel": f"{cout} × 1×1×{cin * m}",
            "output": fmt_shape(pw.output_shape),
            "multiplications": pw.multiplications,
            "weights": pw.parameters,
        },
        {
            "stage": "depthwise + pointwise",
            "kernel": "",
            "output": fmt_shape(sep.output_shape),
            "multiplications": sep.multiplications,
            "weights": sep.parameters,
        },
    ]
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            "multiplications": st.column_config.NumberColumn(format="localized"),
            "weights": st.column_config.NumberColumn(format="localized"),
        },
        key="cost_table",
    )
    m1, m2, m3 = st.columns(3)
    m1.metric("Normal", fmt_int(normal.multiplications))
    m2.metric("Separable", fmt_int(sep.multiplications))
    m3.metric("Separable / normal", f"{sep.ratio:.4f}", help="Multiplications, exact.")
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

st.subheader("The ratio against Cout")
couts = list(range(1, 513))
fig = go.Figure()
for kk in (3, 5, 7):
    fig.add_trace(
        go.Scatter(
            x=couts,
            y=[separable_ratio_formula(n, kk) for n in couts],
            name=f"k = {kk}",
            hovertemplate=f"k = {kk}, Cout = %{{x}}: %{{y:.4f}}<extra></extra>",
        )
    )
fig.add_trace(
    go.Scatter(
        x=[cout],
        y=[formula],
        mode="markers",
        marker=dict(size=12, symbol="x", color="black"),
        name="your settings",
    )
)
fig.update_layout(
    height=360,
    xaxis_title="output channels Cout",
    yaxis_title="separable / normal multiplications",
    yaxis_type="log",
    margin=dict(l=10, r=10, t=10, b=10),
)
chart(
    st,
    fig,
    key="cost_ratio_chart",
    alt="Separable / normal multiplications against Cout for k = 3, 5, 7 (log scale); "
    f"yours: {formula:.4f} at Cout = {cout}",
)
st.caption(
    "Beyond a few dozen output channels the ratio levels off at about 1/k²: the "
    "pointwise stage dominates and the depthwise stage is nearly free."
)

st.subheader("'valid' or 'same'?")
other = "same" if padding == "valid" else "valid"
if quiz and quiz_pending(QUESTIONS):
    # The shapes and counts below would answer the quiz's questions.
    st.caption("This part gives the quiz's answers away: it appears once they are answered.")
else:
    try:
        alt_args = dict(stride=stride, padding=other, dilation=dilation)
        alt = depthwise_separable_cost(h, w, cin, cout, k, depth_multiplier=m, **alt_args)
        alt_normal = conv2d_cost(h, w, cin, cout, k, **alt_args)
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

st.subheader("MobileNet v1, layer by layer")
st.markdown(
    "MobileNet v1 (Howard et al., 2017) is a 3×3 convolution followed by 13 depthwise separable "
    "blocks, an average pool and a classifier. Its two knobs shrink it further: the **width "
    "multiplier** α thins every layer, the **resolution** shrinks every feature map. Counted as "
    "the paper counts: multiply-adds, weights without biases or batch norm."
)
c1, c2 = st.columns(2)
alpha = c1.select_slider(
    "Width multiplier α",
    [0.25, 0.5, 0.75, 1.0],
    1.0,
    key="mb_alpha",
    bind="query-params",
    persist_state="session",
)
res = c2.select_slider(
    "Resolution",
    [128, 160, 192, 224],
    224,
    key="mb_res",
    bind="query-params",
    persist_state="session",
)
net = mobilenet_v1_cost(alpha, res)
full = mobilenet_v1_cost(alpha, res, separable=False)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Mult-adds (separable)", f"{net.mult_adds / 1e6:,.0f} M")
m2.metric("Weights (separable)", f"{net.parameters / 1e6:,.2f} M")
m3.metric("Mult-adds (all normal convs)", f"{full.mult_adds / 1e6:,.0f} M")
m4.metric("Weights (all normal convs)", f"{full.parameters / 1e6:,.1f} M")
by_type = net.by_type()
labels = {
    "conv": "first 3×3 conv",
    "depthwise": "depthwise 3×3",
    "pointwise": "pointwise 1×1",
    "avgpool": "average pool",
    "fc": "fully connected",
}
share = go.Figure(
    go.Bar(
        x=[labels[t] for t in by_type],
        y=[v / 1e6 for v in by_type.values()],
        text=[f"{v / net.mult_adds:.1%}" for v in by_type.values()],
        marker_color="#2a6fb0",
        hovertemplate="%{x}: %{y:.1f} M mult-adds<extra></extra>",
    )
)
share.update_layout(
    height=320,
    yaxis_title="million mult-adds",
    margin=dict(l=10, r=10, t=30, b=10),
    title="Where the mult-adds go: the pointwise layers dominate",
)
chart(st, share, key="mb_share")
st.dataframe(
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
    hide_index=True,
    column_config={
        "mult-adds": st.column_config.NumberColumn(format="localized"),
        "weights": st.column_config.NumberColumn(format="localized"),
    },
    key="mb_table",
)
st.caption(
    mobilenet_paper_note(
        mobilenet_v1_cost(separable=False), mobilenet_v1_cost(1.0, 160), mobilenet_v1_cost()
    )
)

with st.expander("Show the code for this layer"):
    show_code(cin, cout, k, depth_multiplier=m, height=h, width=w, **args)
