"""Cost calculator: multiplications and weights of normal vs depthwise separable convolutions."""

import streamlit as st

from sepconv_core.cost import mobilenet_v1_cost
from ui import cost_calculator as cc
from ui.figures import chart, mult_adds_share_figure, ratio_figure
from ui.lesson import quiz_pending, show_code
from ui.text import mobilenet_paper_note
from ui.widgets import KEEP, lazy_expander

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

layer = cc.layer_controls()
normal, sep = cc.counts_or_stop(layer)

quiz = st.toggle(
    "Quiz me first",
    key="cost_quiz",
    **KEEP,
    help="Hide the table until you have predicted the numbers for these settings.",
)
if quiz:
    cc.quiz(layer, normal, sep)
else:
    cc.per_stage(layer, normal, sep)

st.subheader("The ratio against Cout")
chart(st, ratio_figure(layer.cout, layer.k), key="cost_ratio_chart", alt=cc.ratio_alt(layer))
st.caption(
    "Beyond a few dozen output channels the ratio levels off at about 1/k²: the "
    "pointwise stage dominates and the depthwise stage is nearly free."
)

st.subheader("'valid' or 'same'?")
cc.valid_or_same(layer, normal, hidden=quiz and quiz_pending(cc.QUESTIONS))

st.subheader("MobileNet v1, layer by layer")
st.markdown(
    "MobileNet v1 (Howard et al., 2017) is a 3×3 convolution followed by 13 depthwise separable "
    "blocks, an average pool and a classifier. Its two knobs shrink it further: the **width "
    "multiplier** α thins every layer, the **resolution** shrinks every feature map. Counted as "
    "the paper counts: multiply-adds, weights without biases or batch norm."
)
c1, c2 = st.columns(2)
alpha = c1.select_slider("Width multiplier α", [0.25, 0.5, 0.75, 1.0], 1.0, key="mb_alpha", **KEEP)
res = c2.select_slider("Resolution", [128, 160, 192, 224], 224, key="mb_res", **KEEP)
net = mobilenet_v1_cost(alpha, res)
cc.mobilenet_metrics(net, mobilenet_v1_cost(alpha, res, separable=False))
chart(st, mult_adds_share_figure(net), key="mb_share")
cc.mobilenet_table(net)
st.caption(
    mobilenet_paper_note(
        mobilenet_v1_cost(separable=False), mobilenet_v1_cost(1.0, 160), mobilenet_v1_cost()
    )
)

code_box, code_open = lazy_expander("Show the code for this layer", "cost_code_open")
if code_open:
    with code_box:
        show_code(
            layer.cin,
            layer.cout,
            layer.k,
            depth_multiplier=layer.m,
            height=layer.h,
            width=layer.w,
            **layer.geometry,
        )
