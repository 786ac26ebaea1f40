"""Learned kernels: a separable layer and a normal convolution trained by gradient descent."""

import streamlit as st

from sepconv_core.tasks import TASKS
from ui.compute import tiny_input
from ui.figures import (
    chart,
    colourbar_note,
    heatmap_figure,
    image_figure,
    loss_figure,
    mosaic_figure,
    result_figure,
)
from ui.sidebar import chosen_image
from ui.text import fmt_int
from ui.training import (
    TIME_BUDGET,
    PoolBusy,
    cached_run,
    current,
    follow,
    job_error,
    task_target,
    train,
)
from ui.widgets import colour_mode

st.title("Learned kernels")
st.markdown(
    """
Hand-designed kernels are one family; in a neural network the kernels are **learned**. Here a
depthwise separable layer starts from random weights and follows the gradient of its error
against a target image, step by step (Adam, in numpy). A normal convolution learns the same task
beside it, so you can see what the restricted separable family can and cannot express: some
tasks need only the pointwise stage, some only the depthwise stage, and some it cannot match.
"""
)

chosen = chosen_image()
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    task = c1.selectbox(
        "Task",
        list(TASKS),
        key="ln_task",
        bind="query-params",
        persist_state="session",
        format_func=str.capitalize,
        help="The target is computed from the sidebar image.",
    )
    k = c2.select_slider(
        "Kernel size", [1, 3, 5], 3, key="ln_k", bind="query-params", persist_state="session"
    )
    steps = c3.select_slider(
        "Steps",
        [50, 100, 200, 300, 500, 1000],
        300,
        key="ln_steps",
        bind="query-params",
        persist_state="session",
    )
    side = c4.select_slider(
        "Training size",
        [32, 48, 64],
        48,
        key="ln_side",
        bind="query-params",
        persist_state="session",
        help="The image's centre square at this size. Smaller trains faster.",
    )
    st.caption(TASKS[task])
    shared = colour_mode("ln")

image = tiny_input(chosen.key, chosen.image, side)
key = (chosen.key, side, task, k, steps)
run = cached_run(key)
target = task_target(chosen.key, side, task, image)
a, b, c = st.columns(3)
chart(a, image_figure(image, title="input"), key="ln_input")
chart(b, result_figure(target, like=target, title="target", shared=shared), key="ln_target")
output_slot = c.empty()
job = current(key)
if run is None and job is not None and job.failed():
    st.error(f"Training stopped with an error: {job_error(job)} Change a setting or try again.")
if run is None and (job is None or job.failed()):
    prompt = st.empty()
    with prompt.container():
        st.info(
            f"Press **Train** to fit both layers ({steps} steps each, at most "
            f"{TIME_BUDGET:.0f} s each). Training runs beside the app, and finished runs are "
            "shared with everyone on this server."
        )
        pressed = st.button("Train", type="primary", key="ln_train")
    if pressed:
        try:
            job = train(key, image, target, k, steps)
            prompt.empty()
        except PoolBusy as busy:
            st.warning(str(busy))
if run is None and job is not None and not job.failed():
    follow(key, steps)

if run is not None:
    sep, full = run["separable"], run["normal"]
    chart(
        output_slot,
        result_figure(sep.prediction, like=target, title="separable layer's output", shared=shared),
        key="ln_pred",
    )
    curves = {
        f"separable ({fmt_int(sep.parameters)} weights)": sep.losses,
        f"normal conv ({fmt_int(full.parameters)} weights)": full.losses,
    }
    chart(st, loss_figure(curves, title="Loss while training", height=300), key="ln_losses")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Separable: final loss", f"{sep.final_loss:.3g}")
    m2.metric("Separable: weights", fmt_int(sep.parameters))
    m3.metric("Normal conv: final loss", f"{full.final_loss:.3g}")
    m4.metric("Normal conv: weights", fmt_int(full.parameters))
    if sep.stopped_early or full.stopped_early:
        st.caption(
            f"Stopped early ({sep.stop_reason} / {full.stop_reason}): each model may train for "
            f"at most {TIME_BUDGET:.0f} s here."
        )

    st.subheader("What the separable layer learned")
    d = sep.depthwise_kernel
    a, b = st.columns(2)
    chart(
        a,
        mosaic_figure(
            d.reshape(d.shape[0], d.shape[1], -1),
            title="depthwise kernels, one per input channel",
            shared=shared,
        ),
        key="ln_dk",
    )
    chart(
        b,
        heatmap_figure(
            sep.pointwise_kernel,
            title="pointwise weights (rows: depthwise channels, columns: outputs)",
            square=False,
            annotate=True,
            height=300,
        ),
        key="ln_pk",
    )
    a.caption(colourbar_note(True, shared))
