"""Tiny MobileNet: a separable network and its normal twin, trained in numpy on MNIST digits."""

import streamlit as st

from sepconv_core.tinynet import KINDS, WIDTHS
from ui import style
from ui import tinynet as tn
from ui.figures import chart, colourbar_note, image_figure, mosaic_figure
from ui.teacher import table
from ui.text import fmt_int, fmt_shape, plain
from ui.tinynet_figures import paper_figure, probabilities_figure, tradeoff_figure
from ui.widgets import KEEP, colour_mode

st.title("Tiny MobileNet")
style.stack_columns_on_phone()  # its charts need a phone's whole width
st.sidebar.info(
    "This page does not use the image above (it is for the convolution pages): pick a test "
    "digit or upload a photo of your own digit in section 2.",
    icon=":material/info:",
)
st.markdown(
    """
MobileNet's promise is *nearly the same accuracy for a fraction of the cost*. Here it is on real
data: a small network of **depthwise separable blocks** (3×3 depthwise → batch norm → ReLU, 1×1
pointwise → batch norm → ReLU) and its **twin of normal 3×3 convolutions**, both trained by this
app in numpy on 8,500 handwritten MNIST digits and tested on 1,500 others. Batch norm is folded
into the convolutions after training, so it costs nothing at inference.
"""
)

# ------------------------------------------------------------------ 1. the trade-off
st.subheader("1. Accuracy against cost")
results = tn.shipped_results()
ours, theirs = st.columns(2)
chart(ours, tradeoff_figure(results), key="tn_tradeoff")
chart(theirs, paper_figure(tn.PAPER), key="tn_paper")
st.markdown(tn.tradeoff_sentence(results))
with st.expander("The numbers (our nets; the paper's Tables 4 and 6)"):
    table(results, numbers=tn.NUMBERS)
    table(tn.paper_rows())

# ------------------------------------------------------------------ 2. one digit
st.subheader("2. One digit through both networks")
with st.container(border=True):
    c1, c2, c3 = st.columns([1.2, 1, 2])
    source = c1.radio(
        "Digit",
        ["A test digit", "A photo of your own"],
        key="tn_source",
        **KEEP,
        help="Test digits were never seen in training. A photo is made MNIST-like first.",
    )
    width = c2.select_slider(
        "Width multiplier α",
        sorted(WIDTHS),
        1.0,
        key="tn_width",
        **KEEP,
        help="Scales every layer's channel count, as in the paper.",
    )
    photo = None
    if source == "A test digit":
        index = c3.number_input(
            "Test digit number (0 to 1,499)",
            0,
            1499,
            0,
            key="tn_digit",
            **KEEP,
        )
        digit, label = tn.test_digit(index)
        digit_key = f"test:{index}"
        c3.caption(f"Its label: **{label}**.")
    else:
        uploaded = c3.file_uploader(
            "Photo of one digit written on paper",
            type=["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"],
            key="tn_upload",
            help="Dark ink on light paper (or light on dark), the digit filling most of the photo.",
        )
        prepared = tn.prepare_upload(uploaded) if uploaded is not None else None
        if isinstance(prepared, str):
            c3.error(plain(prepared))
        if not isinstance(prepared, tuple):
            st.info("Upload a photo of a digit to see it through both networks.")
            st.stop()
        photo, digit, inverted, digit_key = prepared
        c3.caption(
            "Made MNIST-like: grayscale, "
            + ("inverted (light paper), " if inverted else "")
            + "cropped, scaled into 20×20 and centred by mass in 28×28."
        )

seen, *panels = st.columns([1.2, 2, 2])
chart(
    seen,
    image_figure(tn.as_image(digit), title="the input, 28×28", height=260),
    key="tn_seen",
)
if photo is not None:
    chart(seen, image_figure(photo, title="your photo", height=260), key="tn_photo")
for kind, col in zip(KINDS, panels, strict=True):
    probs = tn.probabilities(kind, width, digit_key, digit)
    chart(
        col,
        probabilities_figure(probs, title=f"{kind}: it reads a {probs.argmax()}"),
        key=f"tn_probs_{kind}",
    )
    table(tn.layer_rows(kind, width), numbers=tn.NUMBERS, where=col)
st.markdown(tn.saving_sentence(width))

c1, c2 = st.columns(2)
stage = c1.radio(
    "Layer",
    tn.STAGES,
    horizontal=True,
    key="tn_stage",
    **KEEP,
    help="A separable block shows its depthwise and its pointwise stage apart.",
)
with c2:
    shared = colour_mode("tn")
st.caption(
    "Every channel of the layer's output (after ReLU) on this digit. "
    + colourbar_note(signed=False, shared=shared)
)
for kind, col in zip(KINDS, st.columns(2), strict=True):
    for layer, out in tn.stage_activations(kind, width, digit_key, digit, stage):
        chart(
            col,
            mosaic_figure(
                out,
                title=f"{kind}: {layer.name}, {fmt_shape(out.shape)}, "
                f"{fmt_int(layer.mult_adds)} mult-adds",
                signed=False,
                shared=shared,
                labels=[str(c) for c in range(out.shape[2])],
                cols=tn.mosaic_columns(out.shape[2]),
                height=tn.mosaic_height(out),
            ),
            key=f"tn_act_{kind}_{layer.name}",
        )

# ------------------------------------------------------------------ 3. retrain live
st.subheader("3. Train one yourself")
st.markdown(
    f"A fresh network from random weights, trained on the first {fmt_int(tn.TRAIN_SIZE)} "
    f"training digits (Adam, batch 64, at most {tn.TIME_BUDGET:.0f} s) in a worker process, "
    "so the other students' pages stay quick. The same settings share one run."
)
with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    t_kind = c1.radio(
        "Kind",
        KINDS,
        horizontal=True,
        key="tn_train_kind",
        **KEEP,
    )
    t_width = c2.select_slider(
        "Width",
        sorted(WIDTHS),
        0.5,
        key="tn_train_width",
        **KEEP,
    )
    t_epochs = c3.select_slider(
        "Epochs",
        tn.EPOCH_CHOICES,
        3,
        key="tn_train_epochs",
        **KEEP,
    )
run = tn.training_run(t_kind, t_width, t_epochs)
if (run is None or run.failed()) and st.button("Train", type="primary", key="tn_train"):
    run = tn.start_training(t_kind, t_width, t_epochs)
    if isinstance(run, str):
        st.warning(run)
        run = None
if run is not None:
    tn.show_run(run, t_kind, t_width, t_epochs, results, (digit_key, digit))
