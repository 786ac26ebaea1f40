"""ui/figures.py: the figures are valid Plotly, their colours and numbers are what they claim,
and the figure cache is bounded and hands out independent copies.

Figures are built without Plotly's validation (it was most of their cost), so every kind is
validated here instead: a misspelt property, or a plotly.py-only shorthand such as
``line_width``, would reach the browser unnoticed otherwise.
"""

from __future__ import annotations

import ast
import base64
import io
import json
import logging
from pathlib import Path

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image

from sepconv_core.cost import mobilenet_v1_cost
from ui import figures

logging.disable(logging.WARNING)  # no Streamlit run here: its "bare mode" warnings

RNG = np.random.default_rng(0)
SIGNED = RNG.standard_normal((8, 8)).astype(np.float32)


def _all_kinds():
    big = RNG.standard_normal((300, 300)).astype(np.float32)  # beyond MAX_HOVER_VALUES: a PNG
    stack = RNG.standard_normal((40, 40, 30)).astype(np.float32)  # 48k values: a PNG mosaic
    return {
        "image": figures.image_figure(RNG.random((20, 30, 3)), title="input"),
        "grey image": figures.image_figure(RNG.random((20, 30, 1)), title="grey"),
        "numbers": figures.heatmap_figure(SIGNED, title="output"),
        "box in padding": figures.heatmap_figure(
            SIGNED, marks=figures.Marks(box=(-2, -2, 2, 2), pixel=(0, 0)), title="padded"
        ),
        "shaded": figures.heatmap_figure(
            SIGNED, marks=figures.Marks(shaded=SIGNED > 1), square=False, title="weights"
        ),
        "large plane": figures.heatmap_figure(big, title="large"),
        "small mosaic": figures.mosaic_figure(
            RNG.standard_normal((6, 6, 5)), marks=figures.Marks(pixel=(1, 1)), title="m"
        ),
        "large mosaic": figures.mosaic_figure(
            stack, marks=figures.Marks(box=(0, 0, 3, 3)), title="big m"
        ),
        "diagram": figures.shape_diagram([("input\n12×12×3", (12, 12, 3), "tensor")]),
        "difference": figures.difference_figure(SIGNED / 100, SIGNED, title="difference"),
        "singular values": figures.singular_values_figure(np.array([4.0, 1.0, 0.0])),
        "ratio": figures.ratio_figure(256, 5),
        "mult-adds share": figures.mult_adds_share_figure(mobilenet_v1_cost()),
        "live loss": figures.loss_figure({"separable": [1.0, 0.5], "normal": []}),
        "loss": figures.loss_figure(
            {"a": np.array([1.0, 0.1]), "b": [2.0, 0.2]}, title="Loss while training", height=300
        ),
    }


@pytest.mark.parametrize("name", list(_all_kinds()))
def test_every_kind_of_figure_passes_plotly_validation(name):
    fig = _all_kinds()[name]
    checked = go.Figure(fig.to_dict())  # validating constructor: raises on an invalid property
    # ... and rewrites plotly.py's shorthands (line_width), which plotly.js would not know
    assert _plain(checked) == _plain(fig)


def _plain(fig) -> dict:
    spec = json.loads(pio.to_json(fig, validate=False))
    spec["layout"].pop("template", None)  # "none" is expanded by validation
    return spec


def test_validation_would_catch_a_misspelt_property():
    """The test above can fail."""
    with pytest.raises(ValueError):
        go.Figure({"layout": {"shapes": [{"type": "rect", "lien": {"width": 0}}]}})


def _png(fig) -> np.ndarray:
    source = fig.data[0].source
    data = base64.b64decode(source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def test_large_mosaic_png_shows_the_colour_scale_and_white_gaps():
    """Each pixel of the PNG is the signed scale's colour at that channel's value (Plotly's own
    sampling of RdBu_r), within one of the 255 steps; the gaps between tiles are white."""
    stack = RNG.standard_normal((100, 100, 5)).astype(np.float32)
    fig = figures.mosaic_figure(stack, shared=True)
    rgb = _png(fig)
    m = np.abs(stack).max()
    for y, x, c in [(0, 0, 0), (50, 20, 0), (99, 99, 0), (10, 10, 1), (70, 3, 2)]:
        tiles = figures.display.mosaic(stack, cols=3)
        oy, ox = tiles.tile_origin(c)
        at = (stack[y, x, c] + m) / (2 * m)
        (want,) = pc.sample_colorscale(pc.get_colorscale("RdBu_r"), [float(at)], colortype="tuple")
        assert np.abs(rgb[oy + y, ox + x] - np.asarray(want) * 255).max() <= 6
    gap_x = tiles.tile_shape[1]  # first gap column
    assert (rgb[:100, gap_x] == 255).all()


def test_signed_heatmaps_put_white_at_zero():
    """The trace carries the scale itself (plotly.js knows no "RdBu_r"): its middle is white."""
    scale = figures.heatmap_figure(SIGNED).data[0].colorscale
    (mid,) = pc.sample_colorscale([list(s) for s in scale], [0.5], colortype="tuple")
    assert min(mid) > 0.95


def test_channel_ranges_follow_the_switch():
    stack = np.stack([SIGNED, 3 * SIGNED, SIGNED / 10], axis=-1)
    shared = figures.channel_ranges(stack, shared=True)
    top = float(np.abs(stack).max())
    assert shared == [(-top, top)] * 3
    own = figures.channel_ranges(stack, shared=False)
    for c, (lo, hi) in enumerate(own):
        assert hi == pytest.approx(float(np.abs(stack[:, :, c]).max()))
        assert lo == -hi


def test_difference_is_drawn_on_the_outputs_colour_range():
    """A rounding-size difference stays near white: its range is the outputs', not its own."""
    fig = figures.difference_figure(SIGNED / 1000, SIGNED, title="difference")
    top = float(np.abs(SIGNED).max())
    assert (fig.data[0].zmin, fig.data[0].zmax) == pytest.approx((-top, top))


def test_ratio_chart_follows_the_rule_and_marks_the_layer():
    """Separable / normal = 1/Cout + 1/k² (M = 1): 1/256 + 1/25 for the classic example."""
    fig = figures.ratio_figure(256, 5)
    *curves, mine = fig.data
    assert [c.name for c in curves] == ["k = 3", "k = 5", "k = 7"]
    assert curves[0].y[0] == pytest.approx(1 + 1 / 9)  # Cout = 1, k = 3
    assert curves[2].y[511] == pytest.approx(1 / 512 + 1 / 49)
    assert (mine.x[0], mine.y[0]) == (256, pytest.approx(1 / 256 + 1 / 25))


def test_mult_adds_share_sums_to_the_network():
    net = mobilenet_v1_cost()
    (bars,) = figures.mult_adds_share_figure(net).data
    assert sum(bars.y) == pytest.approx(net.mult_adds / 1e6)
    assert sum(float(t.rstrip("%")) for t in bars.text) == pytest.approx(100, abs=0.5)


def test_both_loss_charts_share_one_layout_and_skip_a_model_without_loss():
    live = figures.loss_figure({"separable": [1.0, 0.5], "normal": []})
    final = figures.loss_figure({"a": [1.0], "b": [2.0]}, title="Loss while training", height=300)
    assert [t.name for t in live.data] == ["separable"]
    for fig in (live, final):
        assert fig.layout.yaxis.type == "log"
        assert fig.layout.xaxis.title.text == "step"


def test_cell_texts_share_decimals_and_stay_close_to_the_values():
    plane = np.array([[24.8123, 0.000482], [-3.14159, -0.04]])
    texts = figures.cell_texts(plane, 3)
    assert texts == [["24.8", "0"], ["-3.1", "0"]]
    for row, trow in zip(plane, texts, strict=True):
        for v, t in zip(row, trow, strict=True):
            assert abs(float(t) - v) <= 0.05 + 1e-12
    assert figures.cell_texts(np.array([[-12.0, 0.0, 2.0]]), 3) == [["-12", "0", "2"]]
    assert figures.cell_texts(np.array([[0.23456, 0.9]]), 2) == [["0.23", "0.9"]]


def test_cells_are_wide_enough_for_their_numbers():
    """A heatmap that prints numbers is at least as wide as its columns of widest numbers."""
    plane = np.full((6, 10), -24.8)
    fig = figures.heatmap_figure(plane, showscale=False)
    widest = len("-24.8") * 0.5 * figures.CELL_TEXT_PX  # digits are 0.5 em in the app's font
    assert fig.data[0].textfont.size >= 11
    assert fig.layout.width >= 10 * widest


def test_cache_is_bounded_shared_figures_are_read_only_and_copies_independent(monkeypatch):
    """Two calls with the same arguments get the one shared figure; the helpers that add to a
    figure refuse it, and a change to an editable copy does not reach the next caller."""
    monkeypatch.setattr(figures, "FIGURE_CACHE_SIZE", 20)
    figures.clear_figure_cache()
    first = figures.heatmap_figure(SIGNED, title="one")
    assert figures.heatmap_figure(SIGNED, title="one") is first
    with pytest.raises(ValueError, match="read-only"):
        figures.with_click_layer(first, 8, 8)
    with pytest.raises(ValueError, match="read-only"):
        figures.with_taps(first, [0], [0])
    copy = figures.editable(first)
    copy.update_layout(title_text="changed by a caller")
    assert figures.with_click_layer(copy, 8, 8)
    again = figures.heatmap_figure(SIGNED, title="one")
    assert again.layout.title.text == "one"
    assert len(again.data) == 1
    for i in range(figures.FIGURE_CACHE_SIZE + 10):
        figures.heatmap_figure(SIGNED + i)
    assert len(figures._figures) == figures.FIGURE_CACHE_SIZE


def test_cache_is_bounded_by_bytes(monkeypatch):
    """Large figures (a 300×300 plane is sent as a PNG of random noise, about 100 kB) are
    dropped, oldest first, once the cache holds more than FIGURE_CACHE_BYTES; the newest
    stays, and a hundred small ones (about 6 kB each) are all kept."""
    monkeypatch.setattr(figures, "FIGURE_CACHE_BYTES", 1_000_000)
    figures.clear_figure_cache()
    rng = np.random.default_rng(0)
    first = figures.heatmap_figure(rng.random((300, 300)))
    png = len(first.to_dict()["data"][0]["source"])
    assert png > 50_000
    for _ in range(30):
        last = figures.heatmap_figure(rng.random((300, 300)))
    kept = len(figures._figures)
    assert 1_000_000 // (png + 2048) - 2 <= kept <= 1_000_000 // png
    assert figures._figures[next(reversed(figures._figures))] is last
    assert all(fig is not first for fig in figures._figures.values())
    figures.clear_figure_cache()
    for i in range(100):
        figures.heatmap_figure(SIGNED + i)
    assert len(figures._figures) == 100


def test_accessible_name_has_title_and_summary():
    fig = figures.heatmap_figure(np.array([[1.0, 2.0], [3.0, 6.0]]), title="kernel<br><b>A</b>")
    assert figures.describe(fig) == "kernel A. 2 × 2: min 1, max 6, mean 3"
    assert figures.describe(go.Figure()) == "Chart"


def test_no_page_builds_a_figure():
    """Figures are built in ui/figures.py (and ui/tinynet_figures.py): no page imports Plotly."""
    pages = sorted((Path(__file__).resolve().parent.parent / "app_pages").glob("*.py"))
    assert len(pages) >= 6
    for page in pages:
        tree = ast.parse(page.read_text(encoding="utf-8"))
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in imported if m.split(".")[0] == "plotly"], page.name


def test_clickable_figures_are_made_once_and_leave_the_base_alone():
    """A shared plane made clickable gets an invisible marker per cell and "(click a pixel)"
    in its title; the second request is the same read-only object, the base figure is left
    as it was, and a grid too large for markers comes back unchanged with spacing 0."""
    figures.clear_figure_cache()
    base = figures.heatmap_figure(SIGNED, title="plane")
    fig, spacing = figures.clickable(base, 8, 8)
    assert spacing == 1 and len(fig.data) == 2 and len(fig.data[1].x) == 64
    assert fig.layout.title.text == "plane (click a pixel)"
    assert base.layout.title.text == "plane" and len(base.data) == 1
    again, _ = figures.clickable(figures.heatmap_figure(SIGNED, title="plane"), 8, 8)
    assert again is fig
    with pytest.raises(ValueError, match="read-only"):
        figures.with_click_layer(fig, 8, 8)
    big = figures.heatmap_figure(np.zeros((300, 300)))
    assert figures.clickable(big, 300, 300) == (big, 0)


def test_mosaic_hover_names_tiles_that_are_not_channels():
    """Tiles of test digits 7 and 40: hovering a pixel of the second tile says "test digit 40"
    and its true value; by default a tile is a channel, numbered from ``first_channel``."""
    stack = np.stack([np.full((3, 3), 0.25), np.full((3, 3), 0.75)], axis=-1)
    fig = figures.mosaic_figure(stack, cols=2, tiles_are=("test digit", [7, 40]))
    trace = fig.data[0]
    assert trace.hovertemplate.startswith("test digit ")
    data = np.asarray(trace.customdata, dtype=float)
    numbers = {int(v) for v in data[..., 1].ravel() if not np.isnan(v)}
    assert numbers == {7, 40}
    (ys, xs) = np.nonzero(data[..., 1] == 40)
    assert np.allclose(data[ys, xs, 0], 0.75)
    plain = figures.mosaic_figure(stack, cols=2, first_channel=5)
    assert plain.data[0].hovertemplate.startswith("channel ")
    plain_numbers = np.asarray(plain.data[0].customdata, dtype=float)[..., 1]
    assert {int(v) for v in plain_numbers.ravel() if not np.isnan(v)} == {5, 6}
