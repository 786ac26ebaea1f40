"""Reusable controls. Each returns plain values (arrays, numbers, strings)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from sepconv_core import kernels
from sepconv_core.parse import KernelParseError, format_kernel, parse_kernel
from ui.text import plain

# What every widget that shapes a view gets: its value in the address bar (so the address is a
# link to the same view) and kept across page switches.
KEEP = dict(bind="query-params", persist_state="session")
PADDING_HELP = (
    "'valid': no padding, the output shrinks. 'same': zeros around the image so the "
    "output is ceil(size / stride) (TensorFlow's rule: any extra row or column goes at the "
    "bottom/right)."
)


@dataclass(frozen=True)
class KernelChoice:
    kernel: np.ndarray  # 2-D float64
    name: str
    description: str


def kernel_picker(prefix: str, *, default_preset: str = "sobel_x") -> KernelChoice:
    """Preset, learned, seeded random or typed kernel. Bad text shows the parser's sentence; the
    last good kernel stays in use and the text stays as typed."""
    source = st.radio(
        "Kernel",
        ["Preset", "Learned", "Random (seeded)", "Type your own"],
        horizontal=True,
        key=f"{prefix}_source",
        bind="query-params",
        persist_state="session",
        help="A hand-designed kernel, one learned by gradient descent (see the Learned kernels "
        "page), a random one from a seed, or numbers you type.",
    )
    if source == "Learned":
        entry = learned_kernel_menu("Learned kernel", f"{prefix}_learned")
        return KernelChoice(
            entry.spatial,
            f"learned {entry.task}",
            entry.description + " Shown: what the layer applies to a gray image.",
        )
    if source == "Preset":
        keys = list(kernels.PRESETS)
        key = st.selectbox(
            "Preset",
            keys,
            index=keys.index(default_preset),
            format_func=lambda k: kernels.PRESETS[k].name,
            key=f"{prefix}_preset",
            bind="query-params",
            persist_state="session",
        )
        preset = kernels.PRESETS[key]
        size = preset.default_size
        if len(preset.sizes) > 1:
            size = st.select_slider(
                "Size",
                options=list(preset.sizes),
                value=preset.default_size,
                key=f"{prefix}_size_{key}",  # each preset offers its own sizes
                bind="query-params",
                persist_state="session",
            )
        return KernelChoice(preset.build(size), preset.name, preset.description)
    if source == "Random (seeded)":
        c1, c2, c3 = st.columns(3)
        size = c1.slider(
            "Size", 1, 7, 3, key=f"{prefix}_rsize", bind="query-params", persist_state="session"
        )
        seed = c2.number_input(
            "Seed",
            0,
            10_000,
            0,
            step=1,
            key=f"{prefix}_seed",
            bind="query-params",
            persist_state="session",
        )
        rank1 = c3.checkbox(
            "Make it separable",
            False,
            key=f"{prefix}_rank1",
            bind="query-params",
            persist_state="session",
            help="An outer product of two random vectors, so its rank is 1.",
        )
        k = kernels.random_kernel((size, size), seed=int(seed), separable=rank1)
        kind = "separable random" if rank1 else "random"
        return KernelChoice(k, f"{kind} {size}×{size} (seed {seed})", "Random numbers from a seed.")
    text_key, good_key = f"{prefix}_text", f"{prefix}_last_good"
    text = st.text_area(
        "Kernel values",
        format_kernel(kernels.get_kernel(default_preset)),
        key=text_key,
        bind="query-params",
        persist_state="session",
        height=140,
        help="Numbers separated by spaces or commas, one row per line (or ';'). "
        "Fractions like 1/16 and [[1, 2], [3, 4]] work. At most 15×15.",
    )
    try:
        k = parse_kernel(text)
        st.session_state[good_key] = k
    except KernelParseError as err:
        st.error(plain(f"{err} The last good kernel is still in use."))
        k = st.session_state.get(good_key, kernels.get_kernel(default_preset))
    return KernelChoice(k, "your kernel", "The kernel you typed.")


def stride_padding(prefix: str, *, max_stride: int = 4) -> tuple[int, str]:
    c1, c2 = st.columns(2)
    stride = c1.slider(
        "Stride",
        1,
        max_stride,
        1,
        key=f"{prefix}_stride",
        bind="query-params",
        persist_state="session",
        help="How many pixels the kernel moves between outputs.",
    )
    padding = padding_radio(f"{prefix}_padding", where=c2)
    return int(stride), str(padding)


def padding_radio(key: str, *, where=st, help: str = PADDING_HELP) -> str:
    """'valid' or 'same': the padding of every page's convolution, one horizontal radio."""
    return str(
        where.radio("Padding", ["valid", "same"], horizontal=True, key=key, help=help, **KEEP)
    )


def learned_kernel_menu(label: str, key: str, *, where=st):
    """A menu of the shipped learned kernels (``ui.training.shipped_kernels``); returns the
    chosen one (``sepconv_core.learned_kernels.LearnedKernel``)."""
    from ui.training import shipped_kernels  # the training module only where one is offered

    shipped = shipped_kernels()
    name = where.selectbox(
        label, list(shipped), key=key, format_func=lambda n: shipped[n].label, **KEEP
    )
    return shipped[name]


def colour_mode(prefix: str) -> bool:
    """True when all channels share one colour range."""
    return (
        st.radio(
            "Colour range",
            ["shared by all channels", "per channel"],
            horizontal=True,
            key=f"{prefix}_colours",
            bind="query-params",
            persist_state="session",
            help="Shared: brightness is comparable across channels. Per channel: each channel is "
            "stretched so faint ones stay visible.",
        )
        == "shared by all channels"
    )


def dilation_control(prefix: str, *, max_dilation: int = 4, where=st, stride: int = 1) -> int:
    """The kernel's dilation (Keras ``dilation_rate``, PyTorch ``dilation``), 1 = none.

    Bound to the address bar, so a shared link keeps it, and kept across page switches. With
    ``stride`` > 1 too, a caption says that Keras refuses the combination."""
    dilation = int(
        where.slider(
            "Dilation",
            1,
            max_dilation,
            1,
            key=f"{prefix}_dilation",
            bind="query-params",
            persist_state="session",
            help="Spread the kernel's taps apart: with dilation d, d − 1 pixels are skipped "
            "between neighbouring taps, so a k×k kernel covers (k − 1)·d + 1 pixels per side "
            "with the same k·k weights and multiplications (Keras dilation_rate, PyTorch "
            "dilation).",
        )
    )
    if dilation > 1 and stride > 1:
        where.caption(
            "Stride and dilation together: PyTorch and this app allow it; Keras and TensorFlow "
            "refuse strides > 1 with dilation_rate > 1."
        )
    return dilation


def channel_page(key: str, total: int, *, size: int = 64) -> range:
    """Which channels a mosaic shows: all of them, or a page of ``size``.

    256 tiles in one figure are specks on a phone; a page of 64 keeps each tile large enough
    to see, and labelled. Drawn only when there are more than ``size`` channels.
    """
    if total <= size:
        return range(total)
    pages = {
        f"{s}–{min(s + size, total) - 1}": range(s, min(s + size, total))
        for s in range(0, total, size)
    }
    choice = st.segmented_control(
        "Channels shown",
        [f"all {total}", *pages],
        default=f"all {total}",
        required=True,
        key=key,
        help=f"All {total} at once, or {size} at a time: larger tiles, each labelled "
        "(easier on a phone).",
        bind="query-params",
        persist_state="session",
    )
    return pages.get(choice, range(total))


def lazy_expander(label: str, key: str):
    """An expander whose content is built only while it is open: ``(container, is_open)``.

    Opening or closing it reruns (only the fragment, when it is inside one), so the downloads,
    code or tables of a closed expander cost nothing on every other control's reruns: in a
    synchronised class they were a few per cent of the server's time.
    """
    box = st.expander(label, key=key, on_change="rerun")
    return box, bool(box.open)
