"""Overview: the two kinds of separable convolution and a map of the app."""

import streamlit as st

from sepconv_core.cost import conv2d_cost, depthwise_separable_cost
from ui.figures import chart, shape_diagram
from ui.text import compare_counts, fmt_shape

st.title("Separable convolutions, seen channel by channel")
st.markdown(
    """
A convolution slides a small grid of weights, the **kernel**, over an image and writes one
weighted sum per position. *Separable* convolutions get (nearly) the same effect from two cheaper
steps. There are two different ideas under that name:

* **Spatially separable**: a k×k kernel of rank 1 is a k×1 column times a 1×k row. Sobel is
  [1, 2, 1]ᵀ · [−1, 0, 1]. Filtering with the column and then with the row costs 2k multiplications
  per output pixel instead of k² (6 instead of 9 for 3×3), with the same result. Most kernels are
  not rank 1; the best one-term approximation comes from an SVD.
* **Depthwise separable** (the idea behind MobileNet): first filter every input channel with its
  own small kernel (*depthwise*), then mix channels with 1×1 kernels (*pointwise*). It equals a
  normal convolution whose kernel is restricted to K[:, :, i, o] = D_i · P[i, o].
"""
)

st.subheader("The classic example")
normal = conv2d_cost(12, 12, 3, 256, 5)
sep = depthwise_separable_cost(12, 12, 3, 256, 5)
dw, pw = sep.depthwise, sep.pointwise
chart(
    st,
    shape_diagram(
        [
            ("input\n12×12×3", (12, 12, 3), "tensor"),
            ("depthwise kernels\n5×5×1 (×3)", (5, 5, 1), "kernel"),
            (f"after depthwise\n{fmt_shape(dw.output_shape)}", dw.output_shape, "tensor"),
            ("pointwise kernels\n1×1×3 (×256)", (1, 1, 3), "kernel"),
            (f"output\n{fmt_shape(pw.output_shape)}", pw.output_shape, "tensor"),
        ]
    ),
    key="classic_diagram",
    alt="The classic example's shapes: input 12×12×3, depthwise kernels 5×5×1 (×3), "
    f"after depthwise {fmt_shape(dw.output_shape)}, pointwise kernels 1×1×3 (×256), "
    f"output {fmt_shape(pw.output_shape)}",
)
c1, c2, c3 = st.columns(3)
c1.metric("Normal convolution", f"{normal.multiplications:,}", help="256 · 5·5·3 · 8·8")
c2.metric(
    "Depthwise + pointwise",
    f"{sep.multiplications:,}",
    help=f"{dw.multiplications:,} + {pw.multiplications:,}",
)
c3.metric(
    "Separable / normal",
    f"{sep.ratio:.1%}",
    help="About 1/256 + 1/25: "
    + compare_counts(sep.multiplications, normal.multiplications, "the normal convolution"),
)
st.markdown(
    f"""
A 12×12×3 image and 256 kernels of 5×5×3, no padding, stride 1, give an
{fmt_shape(normal.output_shape)} output for **{normal.multiplications:,}** multiplications
(256 · 5·5·3 · 8·8). The separable version filters each of the 3 channels with its own 5×5 kernel
(→ {fmt_shape(dw.output_shape)}, **{dw.multiplications:,}** multiplications), then mixes the 3
channels with 256 kernels of 1×1×3 (→ {fmt_shape(pw.output_shape)}, **{pw.multiplications:,}**):
**{sep.multiplications:,}** in all, with {sep.parameters:,} weights instead of
{normal.parameters:,}.

*Why 8×8 and not 12×12?* Without padding a 5×5 kernel fits at 12 − 5 + 1 = 8 positions per side.
A popular write-up of this example says 12×12×256; that is the shape with **'same'** padding, which
adds 2 rows and columns of zeros on each side. The cost calculator shows both.
"""
)

st.subheader("Where to go next")
for page, label in [
    ("spatial", "Spatially separable: rank, SVD, two passes"),
    ("depthwise", "Depthwise separable, step by step, down to the numbers behind one output pixel"),
    ("learned", "Learned kernels: watch gradient descent find them, separable or not"),
    ("cost", "Cost calculator and MobileNet v1"),
    (
        "tinynet",
        "Tiny MobileNet: separable against normal on real handwritten digits, trained here",
    ),
]:
    st.page_link(f"app_pages/{page}.py", label=label, icon="➡️")
st.caption(
    "Every page keeps its settings in the address bar: copy it, and whoever opens it sees the "
    "same view. Settings stay when you switch pages. Teachers: add ?teacher=1 to the address "
    "(or use the switch in the sidebar) for larger text and no upload box."
)
