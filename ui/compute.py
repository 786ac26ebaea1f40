"""Cached calls into the core for the pages.

Images enter under a string key (source + working size) with the array itself
passed as an unhashed ``_`` argument: Streamlit would otherwise hash a sample of
large arrays, and two different images could share a cache entry. Kernels are
small and hashed as they are. Every cache is bounded, and shared by all sessions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from sepconv_core import conv
from sepconv_core.image import to_grayscale
from sepconv_core.timing import median_seconds

CACHE = dict(max_entries=48, ttl=3600, show_spinner=False)
# The depthwise page's outputs reach ~30 MB per entry (512×512, 16 outputs; the page caps
# H'·W'·Cout), 12 MB at 256: one of each, for the layer on screen. A class of thirty on their
# own photos overruns any small LRU anyway (each student's next step finds the entry gone), and
# the steps' figures come from the figure cache; one student exploring alone keeps hitting.
HEAVY = dict(max_entries=1, ttl=1800, show_spinner=False)


def _frozen(result: dict) -> dict:
    """Make a shared result's arrays read-only: every session gets the same objects."""
    for value in result.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return result


@st.cache_data(**CACHE)
def luminance(image_key: str, _image: np.ndarray) -> np.ndarray:
    """The (H, W) luma plane of the image."""
    return to_grayscale(_image)[:, :, 0]


@st.cache_data(**CACHE)
def spatial_passes(
    image_key: str,
    _plane: np.ndarray,
    kernel: np.ndarray,
    column: np.ndarray,
    row: np.ndarray,
    stride: int,
    padding: str,
    dilation: int = 1,
) -> dict:
    """One 2-D pass with ``kernel`` and a column-then-row pass, their difference and timings."""
    k32, c32, r32 = (a.astype(np.float32) for a in (kernel, column, row))
    args = dict(stride=stride, padding=padding, dilation=dilation)

    def one():
        return conv.correlate2d(_plane, k32, **args)

    def two():
        return conv.correlate2d_separable(_plane, c32, r32, **args)

    a, b = one(), two()
    return {
        "one_pass": a,
        "two_pass": b,
        "difference": b - a,
        "max_abs_difference": float(np.max(np.abs(b - a))) if a.size else 0.0,
        "seconds_one": median_seconds(one, budget=0.1),
        "seconds_two": median_seconds(two, budget=0.1),
    }


@st.cache_data(**CACHE)
def tiny_input(image_key: str, _image: np.ndarray, side: int) -> np.ndarray:
    """The image's centre square reduced to side × side: small enough to print every number."""
    from sepconv_core.image import center_square, resize_to

    return resize_to(center_square(_image), side)


class SeparableLayer(NamedTuple):
    """A depthwise separable layer's weights and geometry: one hashable cache argument."""

    depthwise: np.ndarray  # (k, k, Cin, M)
    pointwise: np.ndarray  # (Cin·M, Cout)
    stride: int
    padding: str
    dilation: int = 1

    @property
    def geometry(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)


# The heavy results are shared objects (st.cache_resource), not pickled copies: under the
# synchronised class, st.cache_data's pickling of these arrays on every hit was 13 % of the
# server's CPU (bench/LOAD.md). They are read-only, so no session can change another's.
@st.cache_resource(**HEAVY)
def separable_stages(image_key: str, _image: np.ndarray, layer: SeparableLayer) -> dict:
    """The depthwise output (H', W', Cin·M) and the pointwise output (H', W', Cout)."""
    d = conv.depthwise_conv2d(_image, layer.depthwise.astype(np.float32), **layer.geometry)
    p = conv.pointwise_conv2d(d, layer.pointwise.astype(np.float32))
    return _frozen({"depthwise": d, "pointwise": p})


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def equivalence_gap(image_key: str, _image: np.ndarray, layer: SeparableLayer) -> dict:
    """The separable layer against a normal convolution with its equivalent kernel, over every
    output value: ``{"values": how many, "max_abs_difference": the largest difference}``.

    Two numbers, kept for many layers: a student back on step 3 does not pay for a whole
    normal convolution again (it was a sixth of a synchronised class's server time)."""
    sep = separable_stages(image_key, _image, layer)["pointwise"]
    k = conv.equivalent_kernel(layer.depthwise, layer.pointwise).astype(np.float32)
    normal = conv.conv2d(_image, k, **layer.geometry)
    return {"values": normal.size, "max_abs_difference": float(np.max(np.abs(normal - sep)))}


# One output channel each (H' × W' float32, 0.25 MB at 256): one entry per student of a class.
@st.cache_resource(max_entries=32, ttl=1800, show_spinner=False)
def normal_outputs(
    image_key: str, _image: np.ndarray, layer: SeparableLayer, free_kernel: np.ndarray, o: int
) -> dict:
    """Output channel ``o`` of the normal convolution with the separable layer's equivalent
    kernel (``"normal"``) and with the unconstrained ``free_kernel`` (``"free"``), and the
    whole equivalent kernel (k, k, Cin, Cout)."""
    k = conv.equivalent_kernel(layer.depthwise, layer.pointwise)
    one = slice(o, o + 1)
    normal = conv.conv2d(_image, k[:, :, :, one].astype(np.float32), **layer.geometry)
    free = conv.conv2d(_image, free_kernel[:, :, :, one].astype(np.float32), **layer.geometry)
    return _frozen({"equivalent_kernel": k, "normal": normal[:, :, 0], "free": free[:, :, 0]})


@st.cache_data(**CACHE)
def layer_seconds(image_key: str, _image: np.ndarray, layer: SeparableLayer) -> dict:
    """Median wall time of the normal convolution (with the equivalent kernel, the same shape as
    any normal kernel) and of the depthwise separable one, at these settings."""
    d32 = layer.depthwise.astype(np.float32)
    p32 = layer.pointwise.astype(np.float32)
    k32 = conv.equivalent_kernel(layer.depthwise, layer.pointwise).astype(np.float32)
    args = layer.geometry

    def normal():
        return conv.conv2d(_image, k32, **args)

    def separable():
        return conv.separable_conv2d(_image, d32, p32, **args)

    return {
        "normal": median_seconds(normal, budget=0.2),
        "separable": median_seconds(separable, budget=0.2),
    }
