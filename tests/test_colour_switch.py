"""The "Colour range: shared by all channels / per channel" switch holds on every multi-channel
figure: the depthwise page's steps 0 and 3, the Learned kernels page and the Tiny MobileNet page.

A mosaic's z values are each channel's values mapped onto 0..1 (its customdata keeps the true
value and the channel of every cell). Shared: one linear map serves every tile. Per channel:
each tile has its own map and reaches the end of the scale. Heatmaps drawn one channel at a time
carry their range in zmin/zmax.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PER_CHANNEL = "per channel"
STEP_3 = "3 · Same as a normal convolution?"
NORMAL_PRODUCTS = ("red ⊙ K", "green ⊙ K", "blue ⊙ K")
SEPARABLE_PRODUCTS = ("red ⊙ D", "green ⊙ D", "blue ⊙ D")


def _open(page: str, **link: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in link.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _flip(at: AppTest, key: str) -> AppTest:
    at.radio(key=key).set_value(PER_CHANNEL).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _array(value) -> np.ndarray:
    """A list, or Plotly's base64 typed array, as numpy."""
    if isinstance(value, dict):
        shape = [int(n) for n in str(value["shape"]).split(",")]
        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return raw.reshape(shape).astype(float)
    return np.asarray(value, dtype=float)


def _specs(at: AppTest) -> dict[str, dict]:
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out[(spec["layout"].get("title") or {}).get("text") or ""] = spec
    return out


def _tiles(spec: dict) -> list[tuple[float, float, float]]:
    """Per non-constant tile of a mosaic: the slope and offset of z against the true value, and
    how far its z reaches from mid-scale (0.5: to an end of the scale)."""
    trace = spec["data"][0]
    assert trace["type"] == "heatmap", "a mosaic with its values (not a PNG)"
    z, custom = _array(trace["z"]), _array(trace["customdata"])
    real, chan = custom[..., 0], custom[..., 1]
    out = []
    for c in np.unique(chan[np.isfinite(chan)]):
        cell = chan == c
        r, v = real[cell], z[cell]
        if np.ptp(r) == 0:
            continue
        slope, offset = np.polyfit(r, v, 1)
        reach = max(abs(v.max() - 0.5), abs(v.min() - 0.5))
        out.append((float(slope), float(offset), float(reach)))
    assert len(out) >= 2, "at least two channels to compare"
    return out


def _one_map(spec: dict) -> bool:
    """True when every tile's colours come from the same value-to-colour map."""
    tiles = np.asarray(_tiles(spec))
    return bool(np.allclose(tiles[:, :2], tiles[0, :2], rtol=1e-3, atol=1e-4))


def _assert_shared(spec: dict) -> None:
    assert _one_map(spec), spec["layout"].get("title")


def _assert_per_channel(spec: dict) -> None:
    assert not _one_map(spec), spec["layout"].get("title")
    for _, _, reach in _tiles(spec):
        assert reach > 0.5 - 1e-3  # every tile stretched to the end of the scale


def _ranges(at: AppTest, *starts: str) -> list[tuple[float, float]]:
    """The colour ranges of the heatmaps whose title starts with one of ``starts``."""
    found = [
        (round(s["data"][0]["zmin"], 9), round(s["data"][0]["zmax"], 9))
        for title, s in _specs(at).items()
        if title.startswith(starts)
    ]
    assert len(found) == len(starts), starts
    return found


def _uneven_png() -> bytes:
    """40×30 RGB whose channels span 0..255, 50..100 and 100..130: ranges a shared scale keeps
    apart (a bundled photo spans about 0..1 in every channel, so both modes would look alike)."""
    x = np.linspace(0, 1, 40)[None, :] * np.ones((30, 1))
    y = np.linspace(0, 1, 30)[:, None] * np.ones((1, 40))
    rgb = np.dstack([255 * x, 50 + 50 * y, 100 + 30 * x])
    buf = io.BytesIO()
    Image.fromarray(rgb.round().astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_depthwise_step_0_working_size_mosaic_follows_the_switch():
    at = _open("app_pages/depthwise.py", dw_input="Working size (sidebar)")
    at.file_uploader(key="uploader").set_value(("uneven.png", _uneven_png(), "image/png")).run()
    assert at.selectbox(key="image_choice").value == "Your upload"
    _assert_shared(_specs(at)["input channels"])
    _assert_per_channel(_specs(_flip(at, "dw_colours"))["input channels"])


def test_depthwise_step_0_tiny_input_channels_follow_the_switch():
    """The tiny input's channels, one heatmap each: 0..1 for all, or each its own range."""
    at = _open("app_pages/depthwise.py")
    names = ("red", "green", "blue")
    assert set(_ranges(at, *names)) == {(0.0, 1.0)}
    _flip(at, "dw_colours")
    assert len(set(_ranges(at, *names))) == 3


def test_depthwise_step_3_products_and_kernel_slices_follow_the_switch():
    at = _open("app_pages/depthwise.py", dw_step=STEP_3)
    specs = _specs(at)
    for title in ("equivalent kernel slices", "unconstrained kernel slices"):
        _assert_shared(specs[title])
    for planes in (NORMAL_PRODUCTS, SEPARABLE_PRODUCTS):
        assert len(set(_ranges(at, *planes))) == 1
    _flip(at, "dw_colours")
    specs = _specs(at)
    for title in ("equivalent kernel slices", "unconstrained kernel slices"):
        _assert_per_channel(specs[title])
    for planes in (NORMAL_PRODUCTS, SEPARABLE_PRODUCTS):
        assert len(set(_ranges(at, *planes))) == 3


def test_depthwise_step_3_product_mosaic_follows_the_switch():
    """With M = 2 the six depthwise product planes are one mosaic (the only untitled figure)."""
    at = _open("app_pages/depthwise.py", dw_step=STEP_3, dw_m="2")
    _assert_shared(_specs(at)[""])
    _assert_per_channel(_specs(_flip(at, "dw_colours"))[""])


def test_tinynet_activation_mosaics_follow_the_switch_and_the_caption_says_so():
    at = _open("app_pages/tinynet.py")
    mosaics = [t for t in _specs(at) if t.endswith("mult-adds")]  # one per layer of the stage
    assert len(mosaics) >= 2
    for title in mosaics:
        _assert_shared(_specs(at)[title])
    assert any("one colour range for all channels" in c.value for c in at.caption)
    _flip(at, "tn_colours")
    for title in mosaics:
        _assert_per_channel(_specs(at)[title])
    assert any("each channel stretched to its own range" in c.value for c in at.caption)


def test_learned_page_target_and_kernels_follow_the_switch():
    """A 4-output task: its target is a mosaic, and after training so are the kernels."""
    at = _open("app_pages/learned.py")
    at.selectbox(key="ln_task").set_value("random normal conv")
    at.select_slider(key="ln_steps").set_value(50)
    at.select_slider(key="ln_side").set_value(32).run()
    _assert_shared(_specs(at)["target"])
    at.button(key="ln_train").click().run()
    from ui.training import current

    key = (at.session_state["chosen_image"].key, 32, "random normal conv", 3, 50)
    assert current(key).wait(timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    kernels = "depthwise kernels, one per input channel"
    for title in ("target", "separable layer's output", kernels):
        _assert_shared(_specs(at)[title])
    assert any("one colour range for all channels" in c.value for c in at.caption)
    _flip(at, "ln_colours")
    for title in ("target", "separable layer's output", kernels):
        _assert_per_channel(_specs(at)[title])
    assert any("each channel stretched to its own range" in c.value for c in at.caption)
