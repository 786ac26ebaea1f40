"""Spatially separable convolution: rank, SVD factors, and one pass vs two passes."""

import streamlit as st

from sepconv_core.conv import flip_kernel
from sepconv_core.cost import spatial_separable_cost
from sepconv_core.spatial import factor_spatial
from ui.compute import luminance, spatial_passes
from ui.figures import (
    chart,
    difference_figure,
    heatmap_figure,
    image_figure,
    singular_values_figure,
)
from ui.lesson import downloads
from ui.sidebar import chosen_image
from ui.text import (
    dilation_note,
    fmt_int,
    fmt_ms,
    fmt_shape,
    no_output,
    rank_verdict,
    spatial_totals_explained,
)
from ui.widgets import dilation_control, kernel_picker, lazy_expander, stride_padding

st.title("Spatially separable convolution")
st.markdown(
    """
A kernel is **spatially separable** when it is the outer product of a column and a row: every row
of the kernel is a multiple of the same row. Then filtering the image with the column and then
filtering that result with the row gives exactly the same output as the full kernel, for
kh + kw multiplications per pixel instead of kh · kw. The **rank** of the kernel tells whether this
works: rank 1 means separable. The singular value decomposition (SVD) finds the factors, and for a
kernel of higher rank it gives the *best* column × row approximation and how far off it is.
"""
)

chosen = chosen_image()
left, right = st.columns([1, 2], gap="large")
with left:
    choice = kernel_picker("sp")
    st.caption(choice.description)
    stride, padding = stride_padding("sp")
    dilation = dilation_control("sp", stride=stride)
    flipped = st.toggle(
        "True convolution (flip the kernel)",
        key="sp_flip",
        bind="query-params",
        persist_state="session",
        help="Deep-learning libraries slide the kernel as written (cross-correlation). The "
        "textbook convolution first rotates it by 180°.",
    )
kernel = flip_kernel(choice.kernel) if flipped else choice.kernel
if flipped:
    st.info(
        "**Convolution or cross-correlation?** Keras, PyTorch and this app *correlate*: the "
        "kernel's top-left weight meets the window's top-left pixel. A mathematician's "
        "*convolution* rotates the kernel by 180° first. For a symmetric kernel (Gaussian, box) "
        "nothing changes; for Sobel x every weight changes sign, so edges that were positive "
        "(dark to bright, left to right) now come out negative. A network that learns its "
        "kernels does not care: it would simply learn the flipped one."
    )
f = factor_spatial(kernel)
kh, kw = kernel.shape
if note := dilation_note(kernel.shape, dilation):
    left.caption(note)

with right:
    c1, c2 = st.columns(2)
    chart(
        c1,
        heatmap_figure(
            kernel,
            title=f"Kernel {kh}×{kw}{', flipped' if flipped else ''}: {choice.name}",
            height=320,
        ),
        key="sp_kernel",
    )
    chart(c2, singular_values_figure(f.singular_values), key="sp_singular_values")
    st.markdown(rank_verdict(f.rank, len(f.singular_values), f.relative_error))

st.subheader("The factors")
c1, c2, c3, c4 = st.columns([1, 2, 2, 2])
chart(c1, heatmap_figure(f.column, title="column", height=300), key="sp_column")
chart(c2, heatmap_figure(f.row, title="row", height=180), key="sp_row")
chart(c3, heatmap_figure(f.approximation, title="column × row", height=300), key="sp_outer")
if f.is_separable:
    zeros = " (all zeros)" if f.rank == 0 else ""
    c4.success(f"Rank {f.rank}: column × row *is* the kernel{zeros}, so the two passes are exact.")
else:
    r = c4.slider(
        "Sum of the first r SVD terms",
        1,
        len(f.singular_values),
        1,
        key="sp_rank_r",
        bind="query-params",
        persist_state="session",
        help="Each extra term adds one more column × row. With all of them the kernel is exact.",
    )
    chart(
        c4,
        heatmap_figure(f.rank_r_approximation(r), title=f"rank-{r} sum", height=300),
        key="sp_rank_r_fig",
    )

st.subheader("On the image: one pass or two")
plane = luminance(chosen.key, chosen.image)
if problem := no_output(kernel.shape, plane.shape, padding, dilation):
    st.error(problem)
    st.stop()
res = spatial_passes(chosen.key, plane, kernel, f.column, f.row, stride, padding, dilation)
cost = spatial_separable_cost(
    plane.shape[0], plane.shape[1], (kh, kw), stride=stride, padding=padding, dilation=dilation
)
st.markdown(
    f"The luminance of *{chosen.label}* ({fmt_shape(plane.shape)}) filtered with the kernel "
    f"(stride {stride}, padding '{padding}', dilation {dilation}) gives "
    f"{fmt_shape(res['one_pass'].shape)}. "
    + (
        "The two-pass path uses the column and the row, and matches to rounding error."
        if f.is_separable
        else "The two-pass path can only use the best column × row, so its output differs: "
        "the difference map shows what a separable kernel cannot express."
    )
)
c0, c1, c2, c3 = st.columns(4)
chart(c0, image_figure(plane, title="input (luminance)"), key="sp_input")
chart(c1, heatmap_figure(res["one_pass"], title="one 2-D pass"), key="sp_one")
chart(c2, heatmap_figure(res["two_pass"], title="column pass, then row pass"), key="sp_two")
chart(
    c3,
    difference_figure(res["difference"], res["one_pass"], title="difference (two − one)"),
    key="sp_diff",
)
st.caption(
    f"Largest absolute difference: {res['max_abs_difference']:.3g}. The difference map uses the "
    "outputs' colour range, so rounding noise stays white and a real difference shows."
)

m1, m2, m3, m4 = st.columns(4)
m1.metric("Multiplications per pixel, 2-D", cost.per_pixel_full)
m2.metric("… column then row", cost.per_pixel_separable)
m3.metric("Whole image, 2-D", fmt_int(cost.full_multiplications))
m4.metric(
    "Whole image, two passes",
    fmt_int(cost.separable_multiplications),
    help=f"The ideal (kh + kw) · outputs is {fmt_int(cost.separable_multiplications_ideal)}; the "
    "column pass runs at every column of the image, not only at the output columns.",
)
st.markdown(spatial_totals_explained(cost, stride, padding))
t1, t2 = st.columns(2)
t1.metric("Measured time, 2-D", fmt_ms(res["seconds_one"]))
t2.metric("Measured time, two passes", fmt_ms(res["seconds_two"]))
st.caption(
    "Counts and clocks need not agree. The counts are exact arithmetic; the times depend on how "
    "the code is written: numpy does each pass as a few large vectorised operations, so memory "
    "traffic and per-call overhead matter as much as multiplications, and for small kernels or "
    "small images the two-pass saving can vanish or reverse. The saving grows with the kernel: "
    "k² against 2k."
)

download_box, downloads_open = lazy_expander("Download the arrays", "sp_downloads_open")
if downloads_open:
    with download_box:
        downloads(
            "sp_dl",
            {
                "kernel": kernel,
                "column": f.column,
                "row": f.row,
                "one pass output": res["one_pass"],
                "two pass output": res["two_pass"],
            },
        )
