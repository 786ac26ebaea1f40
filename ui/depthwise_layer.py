"""The depthwise page's settings panel: the layer the student builds, as plain values.

``layer_controls`` draws the controls (input, stride, padding, kernels, depth multiplier,
output channels, seed, colour range) and returns a ``Layer``: the input image, the depthwise
and pointwise weights and the costs, everything the steps draw from. Every control is bound to
the address bar and kept for the session, so a link shows this view and a page switch keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from sepconv_core import kernels
from sepconv_core.cost import ConvCost, SeparableCost, conv2d_cost, depthwise_separable_cost
from sepconv_core.parse import KernelParseError, format_kernel, parse_kernel
from ui.compute import SeparableLayer, tiny_input
from ui.sidebar import ChosenImage
from ui.text import plain
from ui.widgets import KEEP, colour_mode, dilation_control, learned_kernel_menu, padding_radio

TINY = 12  # the classic example's input side
INPUTS = [f"Tiny {TINY}×{TINY} (every number visible)", "Working size (sidebar)"]
# Numbers in one output (H'·W'·Cout): 16 MB of float32, so thirty students at the largest
# working size cannot exhaust a shared server. 16 output channels still fit at 512×512.
MAX_OUTPUT_VALUES = 512 * 512 * 16
MAX_K = 7  # the largest kernel the page draws
FAMILIES = {
    **{name: name.capitalize() for name in kernels.CHANNEL_FAMILIES},
    "learned": "Learned",
    "typed": "Type your own",
}
TYPED_MODES = ["one kernel for every channel", "one kernel per channel"]


@dataclass(frozen=True, eq=False)
class Layer:
    """One depthwise separable layer on one input, as the student set it up."""

    image: np.ndarray  # (H, W, Cin) float32 in [0, 1]
    image_key: str  # names the image for the caches
    tiny: bool  # the 12×12 input, where every number is printed
    stride: int
    padding: str
    dilation: int  # spacing of the kernel's taps (Keras dilation_rate), 1 = none
    k: int
    multiplier: int
    cout: int
    seed: int
    shared: bool  # one colour range for all channels
    depthwise: np.ndarray  # (k, k, Cin, M)
    pointwise: np.ndarray  # (Cin·M, Cout)
    cost: SeparableCost
    normal_cost: ConvCost

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.image.shape

    @property
    def computation(self) -> tuple:
        """The arguments of ``ui.compute``'s cached layer functions (``separable_stages``,
        ``layer_seconds``): image key, image, the layer's weights and geometry."""
        weights = SeparableLayer(
            self.depthwise, self.pointwise, self.stride, self.padding, self.dilation
        )
        return self.image_key, self.image, weights

    @property
    def channels(self) -> int:
        """Cin·M, the depthwise stage's output channels."""
        return self.image.shape[2] * self.multiplier


def layer_controls(chosen: ChosenImage) -> Layer:
    """Draw the settings panel and return the layer it describes."""
    # An expander, open at first: on a phone the student folds it away to reach the figures.
    with st.expander("Layer settings", expanded=True):
        c1, c2, c3, c4 = st.columns(4)
        source = c1.radio(
            "Input",
            INPUTS,
            key="dw_input",
            help=f"The classic example uses a {TINY}×{TINY}×3 image: the centre of the chosen "
            "image, reduced, so each value can be printed.",
            **KEEP,
        )
        tiny = source == INPUTS[0]
        image = tiny_input(chosen.key, chosen.image, TINY) if tiny else chosen.image
        h, w, cin = image.shape
        stride = c2.slider("Stride", 1, 3, 1, key="dw_stride", help="Step between outputs.", **KEEP)
        padding = padding_radio(
            "dw_padding",
            where=c2,
            help="'valid' shrinks the output; 'same' pads with zeros so it is ceil(size/stride).",
        )
        dilation = dilation_control("dw", where=c2, stride=stride)
        # With 'valid' padding the kernel, spread over (k - 1)·d + 1 pixels, must fit inside
        # the image: nothing larger is offered.
        fits = (min(h, w) - 1) // dilation + 1
        k_max = MAX_K if padding == "same" else max(1, min(MAX_K, fits))
        family = c4.selectbox(
            "Depthwise kernels",
            list(FAMILIES),
            format_func=FAMILIES.get,
            key="dw_family",
            help="; ".join(f"{n}: {d}" for n, d in kernels.CHANNEL_FAMILIES.items())
            + "; learned: kernels trained by gradient descent (see the Learned kernels page)"
            + "; type your own: one kernel for all channels, or one per channel.",
            **KEEP,
        )
        multiplier = 1
        if family != "learned":
            multiplier = c3.slider(
                "Depth multiplier M", 1, 4, 1, key="dw_m", help="Kernels per input channel.", **KEEP
            )
        dk = _fixed_kernels(family, c3, c4, cin, multiplier, k_max, dilation)
        if dk is None:
            k = _kernel_size(c3, k_max, dilation)
            seed = _seed(c4)
            dk = kernels.channel_kernels(family, k, cin, multiplier, seed=seed)
        else:
            seed = _seed(c4)
        k, multiplier = dk.shape[0], dk.shape[3]
        cout = _output_channels(c4, h, w, tiny)
        with c1:
            shared = colour_mode("dw")
    pk = kernels.pointwise_weights(cin * multiplier, cout, seed=seed)
    geometry = dict(stride=stride, padding=padding, dilation=dilation)
    return Layer(
        image=image,
        image_key=f"{chosen.key}|tiny{TINY}" if tiny else chosen.key,
        tiny=tiny,
        stride=int(stride),
        padding=str(padding),
        dilation=dilation,
        k=int(k),
        multiplier=int(multiplier),
        cout=int(cout),
        seed=seed,
        shared=shared,
        depthwise=dk,
        pointwise=pk,
        cost=depthwise_separable_cost(h, w, cin, cout, k, depth_multiplier=multiplier, **geometry),
        normal_cost=conv2d_cost(h, w, cin, cout, k, **geometry),
    )


def _kernel_size(where, k_max: int, dilation: int) -> int:
    if k_max == 1:
        spread = f" spread by dilation {dilation}" if dilation > 1 else ""
        where.caption(f"This image is too thin: only 1×1 kernels fit with 'valid' padding{spread}.")
        return 1
    return int(where.slider("Kernel size k", 1, k_max, min(5, k_max), key="dw_k", **KEEP))


def _seed(where) -> int:
    return int(where.number_input("Seed (random weights)", 0, 10_000, 0, key="dw_seed", **KEEP))


def _output_channels(where, h: int, w: int, tiny: bool) -> int:
    cout_max = min(256, max(16, MAX_OUTPUT_VALUES // (h * w)))
    cout = where.slider(
        "Output channels Cout",
        1,
        cout_max,
        min(256 if tiny else 16, cout_max),
        key=f"dw_cout_{'tiny' if tiny else 'work'}",
        help="The classic example has 256.",
        **KEEP,
    )
    if cout_max < 256:
        where.caption(
            f"At most {cout_max} output channels at {h}×{w}, so that a shared server keeps up: "
            "choose a smaller working size in the sidebar for up to 256."
        )
    return int(cout)


def _fixed_kernels(family, c3, c4, cin, multiplier, k_max, dilation) -> np.ndarray | None:
    """The kernels of a family whose size is not the student's choice (learned, typed, the
    3×3-only ones), or None for a family sized by the k slider. A size that does not fit the
    image says so and falls back to Sobel kernels."""
    if family == "learned":
        learned = learned_kernel_menu("Learned for", "dw_learned", where=c4)
        dk, what = learned.depthwise_for(cin), "learned"
        c3.caption("Depth multiplier 1 and the kernel size are fixed by the learned kernels.")
    elif family == "typed":
        dk, what = typed_kernels(cin, multiplier), "typed"
    elif family in kernels.FIXED_SIZES:
        size = kernels.FIXED_SIZES[family]
        dk, what = kernels.channel_kernels(family, size, cin, multiplier), family.capitalize()
    else:
        return None
    if dk.shape[0] > k_max:
        s = dk.shape[0]
        c3.caption(
            f"The {what} {s}×{s} kernels do not fit this image with 'valid' padding"
            + (" at this dilation" if dilation > 1 else "")
            + f"; {k_max}×{k_max} Sobel kernels are used instead."
        )
        return kernels.channel_kernels("sobel", k_max, cin, multiplier)
    if family != "learned":
        c3.caption(f"Kernel size {dk.shape[0]}: fixed by the kernels.")
    return dk


def typed_kernels(cin: int, multiplier: int) -> np.ndarray:
    """Kernels the student types: one for every channel, or one per depthwise channel.

    Bad text gets the parser's sentence (or one about the size) under its box; the text stays
    as typed and the last good kernels of this layout stay in use.
    """
    n = cin * multiplier
    mode = st.radio("Typed kernels", TYPED_MODES, horizontal=True, key="dw_typed_mode", **KEEP)
    default = kernels.channel_kernels("sobel", 3, cin, multiplier)
    good_key = f"_dw_typed_good_{mode == TYPED_MODES[0]}_{cin}_{multiplier}"
    if mode == TYPED_MODES[0]:
        one = _typed_box(st, "dw_text", "Kernel for every channel", default[:, :, 0, 0])
        found = (
            None
            if one is None
            else np.broadcast_to(one[:, :, None, None], (*one.shape, cin, multiplier))
        )
        return _keep_good(good_key, found, default, [one])
    boxes = st.columns(min(n, 4))
    typed = [
        _typed_box(
            boxes[i % len(boxes)],
            f"dw_text_{i}",
            f"Channel {i}"
            + (f" (input {i // multiplier}, kernel {i % multiplier})" if multiplier > 1 else ""),
            default[:, :, i // multiplier, i % multiplier],
        )
        for i in range(n)
    ]
    sizes = {t.shape[0] for t in typed if t is not None}
    if len(sizes) > 1:
        st.error(
            "Every channel's kernel must have the same size, but these are "
            + ", ".join(f"{s}×{s}" for s in sorted(sizes))
            + ". The last good kernels are still in use."
        )
        return _keep_good(good_key, None, default, typed)
    found = None
    if all(t is not None for t in typed):
        found = np.stack(typed, axis=-1).reshape(*typed[0].shape, cin, multiplier)
    return _keep_good(good_key, found, default, typed)


def _keep_good(good_key, found, default, typed) -> np.ndarray:
    if found is not None:
        st.session_state[good_key] = np.array(found, dtype=np.float64)
    return st.session_state.get(good_key, default)


def _typed_box(where, key: str, label: str, default: np.ndarray) -> np.ndarray | None:
    """A text box for one square kernel; its kernel, or None (with a sentence) if unusable."""
    text = where.text_area(
        label,
        format_kernel(default),
        key=key,
        height=110,
        help="Numbers separated by spaces or commas, one row per line (or ';'). Fractions like "
        f"1/16 and [[1, 2], [3, 4]] work. A square kernel, at most {MAX_K}×{MAX_K}.",
        **KEEP,
    )
    try:
        kernel = parse_kernel(text)
    except KernelParseError as err:
        where.error(plain(f"{err} The last good kernel is still in use."))
        return None
    kh, kw = kernel.shape
    if kh != kw or kh > MAX_K:
        where.error(
            f"This page uses square kernels of at most {MAX_K}×{MAX_K}, and this one is "
            f"{kh}×{kw}. The last good kernel is still in use."
        )
        return None
    return kernel
