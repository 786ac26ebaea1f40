"""Lesson tools for the pages: predict-then-reveal questions, downloads, and "show the code"."""

from __future__ import annotations

import inspect

import numpy as np
import streamlit as st

from sepconv_core import codegen, conv
from sepconv_core.export import to_csv, to_npy
from sepconv_core.quiz import check


def predict_then_reveal(
    key: str,
    question: str,
    expected: int | tuple[int, ...],
    explain: str,
    *,
    after: str | None = None,
):
    """A question with an answer box. The answer shows only after a try (or a give-up).

    The student's text stays in the box; a wrong or unreadable answer gets a hint sentence.
    A different ``expected`` (settings changed) resets the reveal. ``after`` is the key of an
    earlier question (drawn above this one) that this answer gives away: while that one is
    unanswered, a given-up answer waits, and a sentence says why.
    """
    state_key = f"{key}_revealed"
    if st.session_state.get(f"{key}_expected") != expected:
        st.session_state[f"{key}_expected"] = expected
        st.session_state[state_key] = False
    example = "like 8×8×3" if isinstance(expected, tuple) else "a whole number"
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    text = c1.text_input(question, key=f"{key}_answer", placeholder=example, max_chars=100)
    checked = c2.button("Check", key=f"{key}_check")
    if c3.button("Show answer", key=f"{key}_show"):
        st.session_state[state_key] = True
    correct = False
    if checked:
        verdict = check(text, expected)
        if verdict.correct:
            st.success(verdict.message)
            st.session_state[state_key] = correct = True
        else:
            st.warning(verdict.message)
    if not st.session_state[state_key]:
        return
    if after is not None and not answered(after) and not correct:
        st.caption("This answer gives the question above away: answer that one first.")
        return
    shown = "×".join(map(str, expected)) if isinstance(expected, tuple) else f"{expected:,}"
    st.markdown(f"**Answer: {shown}.** {explain}")


def answered(key: str) -> bool:
    """True once the ``predict_then_reveal`` question ``key`` is answered or given up."""
    return bool(st.session_state.get(f"{key}_revealed", False))


def downloads(key: str, arrays: dict[str, np.ndarray]) -> None:
    """Download buttons (.npy and CSV) for each named array."""
    st.caption(
        "Every figure has a camera button (top right, on hover) that saves it as PNG. "
        "The arrays themselves:"
    )
    cols = st.columns(min(4, max(1, len(arrays))))
    for i, (name, array) in enumerate(arrays.items()):
        col = cols[i % len(cols)]
        slug = name.lower().replace(" ", "_")
        shape = "×".join(map(str, np.shape(array)))
        col.download_button(
            f"{name} ({shape}) .npy",
            data=lambda a=array: to_npy(a),  # made only when clicked
            file_name=f"{slug}.npy",
            mime="application/octet-stream",
            key=f"{key}_{slug}_npy",
            on_click="ignore",
        )
        col.download_button(
            f"{name} .csv",
            data=lambda a=array: to_csv(a),
            file_name=f"{slug}.csv",
            mime="text/csv",
            key=f"{key}_{slug}_csv",
            on_click="ignore",
        )


def show_code(
    in_channels,
    out_channels,
    kernel_size,
    *,
    stride,
    padding,
    depth_multiplier,
    height,
    width,
    dilation=1,
) -> None:
    """The same layer in PyTorch and Keras, and the source of the sepconv_core functions used."""
    args = dict(
        stride=stride, padding=padding, depth_multiplier=depth_multiplier, dilation=dilation
    )
    torch_tab, keras_tab, ours_tab = st.tabs(["PyTorch", "Keras", "sepconv_core (this app)"])
    for tab, framework in ((torch_tab, "pytorch"), (keras_tab, "keras")):
        code = codegen.separable_code(
            framework, in_channels, out_channels, kernel_size, height=height, width=width, **args
        )
        tab.code(code, language="python")
    ours_tab.code(
        "\n\n".join(
            inspect.getsource(f)
            for f in (conv.separable_conv2d, conv.depthwise_conv2d, conv.pointwise_conv2d)
        ),
        language="python",
    )


def quiz_pending(keys: list[str]) -> bool:
    """True while any of these ``predict_then_reveal`` questions is still unanswered.

    Call it after the questions are drawn; until it is False, nothing that answers them
    (a shape, a count, a download labelled with a shape) belongs on the page."""
    return not all(answered(key) for key in keys)
