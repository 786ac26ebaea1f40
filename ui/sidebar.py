"""The shared sidebar: which image, at which working size. Returns plain values.

The image lives in ``st.session_state`` only at the largest working size, as uint8
(an idle session holds well under a megabyte of it); everything else is derived
and cached under a string key, so large arrays are never hashed by Streamlit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from sepconv_core.image import ImageLoadError, load_image, resize_to, to_uint8
from ui.widgets import KEEP

ASSETS = Path(__file__).resolve().parent.parent / "assets"
# Display name -> file in assets/ (see assets/LICENSES.md). Missing files are skipped.
SAMPLES = {
    "Astronaut (colourful photo)": "astronaut.jpg",
    "Cat (photo, edges in every direction)": "chelsea.jpg",
    "Coffee (colourful photo)": "coffee.jpg",
    "Test pattern (synthetic)": "test_pattern.png",
    "Camera man (grayscale photo)": "camera.png",
}
UPLOAD_CHOICE = "Your upload"
WORKING_SIZES = (32, 64, 96, 128, 192, 256, 384, 512)
DEFAULT_WORKING_SIZE = 128


@dataclass(frozen=True)
class ChosenImage:
    """The image every page works on."""

    key: str  # identifies (source, working size) for caches
    label: str  # what to call it in sentences
    image: np.ndarray  # float32 (H, W, C) in [0, 1] at the working size
    is_upload: bool


def available_samples() -> dict[str, str]:
    return {name: f for name, f in SAMPLES.items() if (ASSETS / f).is_file()}


@st.cache_data(max_entries=16, show_spinner=False)
def _sample_uint8(filename: str) -> np.ndarray:
    data = (ASSETS / filename).read_bytes()
    return to_uint8(load_image(data, max_side=max(WORKING_SIZES)))


@st.cache_data(max_entries=8, show_spinner=False)
def _upload_uint8(digest: str, _data: bytes) -> np.ndarray:
    """Decode an upload once per distinct file (keyed by its SHA-256, not its bytes)."""
    return to_uint8(load_image(_data, max_side=max(WORKING_SIZES)))


# One shared, read-only array per image and size (st.cache_resource): st.cache_data would
# unpickle a fresh copy on every rerun of every session. Forty: a class of thirty's photos and
# the samples, at most 3 MB each (512 × 512 × 3 float32).
@st.cache_resource(max_entries=40, ttl=3600, show_spinner=False)
def _working(key: str, _source: np.ndarray, size: int) -> np.ndarray:
    image = resize_to(_source.astype(np.float32) / 255.0, size)
    image.setflags(write=False)
    return image


def _display_name(name: str) -> str:
    """The file name as sentences and figure titles show it: no folders, at most 60 characters,
    and nothing that markdown or Plotly's HTML-like titles would read as markup."""
    name = re.sub(r"[^\w .()+-]", "-", re.split(r"[/\\]", name)[-1]).strip() or "upload"
    return name if len(name) <= 60 else name[:59] + "…"


def _read_upload(uploaded) -> None:
    """Decode a new upload into session state, or record why it cannot be used."""
    data = uploaded.getvalue()
    name = _display_name(uploaded.name)
    digest = hashlib.sha256(data).hexdigest()
    if digest == st.session_state.get("upload_seen"):
        return
    st.session_state["upload_seen"] = digest
    try:
        pixels = _upload_uint8(digest, data)
    except ImageLoadError as err:
        st.session_state["upload_error"] = f"“{name}” was not loaded: {err}"
        return
    st.session_state.pop("upload_error", None)
    st.session_state["upload"] = {"digest": digest, "name": name, "pixels": pixels}
    st.session_state["image_choice"] = UPLOAD_CHOICE


def sidebar_image(sb, *, allow_upload: bool = True) -> ChosenImage:
    """Draw the image controls in ``sb`` (a container in the sidebar) and return the chosen
    image at working size. Teacher mode passes ``allow_upload=False``: nobody's photo on the
    projector by accident."""
    samples = available_samples()
    sb.header("Image")
    choice_box = sb.container()
    uploaded = None
    if allow_upload:
        uploaded = sb.file_uploader(
            "Upload your own photo",
            type=["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"],
            key="uploader",
            help=f"Up to {st.get_option('server.maxUploadSize')} MB. It stays in memory on the "
            "server and is never saved. Large photos are reduced while decoding.",
        )
    if uploaded is not None:
        _read_upload(uploaded)
    else:
        st.session_state.pop("upload_seen", None)
        st.session_state.pop("upload_error", None)
    if st.session_state.get("upload_error"):
        sb.error(st.session_state["upload_error"] + " The previous image is kept.")

    upload = st.session_state.get("upload")
    options = list(samples) + ([UPLOAD_CHOICE] if upload else [])
    if st.session_state.get("image_choice") not in options:
        st.session_state["image_choice"] = options[0]
    with choice_box:
        choice = st.selectbox(
            "Sample image",
            options,
            key="image_choice",
            **KEEP,
            help="Bundled samples with their licences in assets/LICENSES.md, or your upload.",
        )
    size = sb.select_slider(
        "Working size (longest side, pixels)",
        options=WORKING_SIZES,
        value=DEFAULT_WORKING_SIZE,
        key="work_size",
        **KEEP,
        help="Every page computes on the image reduced to this size. Smaller is faster.",
    )
    if choice == UPLOAD_CHOICE:
        source_key, label, pixels = f"upload:{upload['digest']}", upload["name"], upload["pixels"]
    else:
        filename = samples[choice]
        source_key, label, pixels = f"sample:{filename}", choice, _sample_uint8(filename)
    key = f"{source_key}@{size}"
    image = _working(key, pixels, size)
    h, w, c = image.shape
    sb.caption(f"Working image: {h} × {w} × {c} ({'grayscale' if c == 1 else 'RGB'}).")
    if choice == UPLOAD_CHOICE:
        sb.caption(
            "Links share settings, not your photo: whoever opens this page's address sees the "
            "first sample instead."
        )
    return ChosenImage(key=key, label=label, image=image, is_upload=choice == UPLOAD_CHOICE)


def chosen_image() -> ChosenImage:
    """The image the sidebar chose in this run (``app.py`` draws the sidebar before the page)."""
    return st.session_state["chosen_image"]
