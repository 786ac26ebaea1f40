"""Plotly figures for the app: every figure is built here, but for the Tiny MobileNet page's
(``ui/tinynet_figures.py``); pages only place them (:func:`chart`).

Colour scales are colour-blind safe: a diverging ColorBrewer RdBu (blue < 0 < red,
white at zero) for signed values, Viridis for non-negative ones, grey for images.
Small planes are heatmaps with hover values (and the numbers written in the cells
when they fit); large ones are sent as compressed PNG images.

Figures are written as plain dicts and wrapped in ``go.Figure(..., _validate=False)`` once:
Plotly's validators (``update_layout``, ``px.imshow``, ``go.Heatmap(...)``) cost 10-50 times
more than the dict they check, and a busy classroom server paid most of its time there.
Numbers printed in cells have a fixed, legible size (larger in teacher mode); the cells are
sized for the widest number, so a figure that prints numbers has a natural width, and
:func:`chart` draws every figure with only the PNG button in its toolbar and an accessible
name made from its title and summary.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from sepconv_core import display
from sepconv_core.cost import separable_ratio_formula
from sepconv_core.image import to_uint8

SIGNED_SCALE = "RdBu_r"
SEQUENTIAL_SCALE = "Viridis"
# Unvalidated figures reach plotly.js as written, and plotly.js knows neither "RdBu_r" nor
# plotly.py's ColorBrewer RdBu: traces carry the scales as explicit [position, colour] lists.
_SCALES = {
    name: [[float(at), colour] for at, colour in pc.get_colorscale(name)]
    for name in (SIGNED_SCALE, SEQUENTIAL_SCALE)
}
# Above this many values a plane is sent as a PNG instead of numbers with hover.
MAX_HOVER_VALUES = 40_000
# Cells are labelled with their value up to this many rows/columns.
MAX_ANNOTATED_SIDE = 16
# Mosaics are shrunk (by whole-pixel striding) so their longest side stays below this.
MAX_MOSAIC_SIDE = 1400
# Finished figures kept for every session (see ``_shared``), bounded by count and by size. A
# synchronised class of 30 at working size 256 draws about 40 figures per student over steps
# 1-4 (about 2 MB): with room for all of them a step revisited is drawn from the cache, and the
# class's p95 rerun fell from 1.6 s to under 1 s (bench/LOAD.md).
FIGURE_CACHE_SIZE = 2048
FIGURE_CACHE_BYTES = 64 * 2**20
# Pixel size of a number printed in a cell (issue 9: at least 11 px at 1400 px wide); teacher
# mode multiplies every figure's text by TEACHER_SCALE, as its CSS does the page's.
CELL_TEXT_PX = 12
TEACHER_SCALE = 1.35
# zlib level of the PNGs sent for large planes: 1 is several times faster than Pillow's
# default and the files are only slightly larger.
PNG_COMPRESS_LEVEL = 1
# What st.plotly_chart gets: the toolbar keeps only "download as PNG" (8 tab stops become 1).
CHART_CONFIG = {"modeBarButtons": [["toImage"]], "displaylogo": False}

_figures: OrderedDict[str, go.Figure] = OrderedDict()
_figure_bytes: dict[str, int] = {}  # each cached figure's estimated size
_cached_bytes = 0
_figures_lock = threading.Lock()


def text_scale() -> float:
    """How much larger figure text is in this session: TEACHER_SCALE in teacher mode, else 1.

    Outside a Streamlit run (benchmarks, tests of the figures alone) it is 1.
    """
    try:
        return TEACHER_SCALE if st.session_state.get("teacher") else 1.0
    except Exception:  # no Streamlit run: nothing to enlarge for
        return 1.0


def _feed(h, value) -> bool:
    """Add ``value`` to the hash ``h``; False for a type we do not know how to hash."""
    if isinstance(value, np.ndarray):
        h.update(f"array {value.dtype} {value.shape};".encode())
        h.update(np.ascontiguousarray(value))
        return True
    if isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__} {len(value)};".encode())
        return all(_feed(h, v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"{type(value).__name__};".encode())
        return all(_feed(h, getattr(value, f.name)) for f in dataclasses.fields(value))
    if value is None or isinstance(value, (str, int, float, bool, np.generic)):
        text = f"{type(value).__name__} {value!r}"
        h.update(f"{len(text)} {text};".encode())
        return True
    return False


def _shared(build):
    """Remember finished figures, for every session, in an LRU bounded by count and by bytes.

    ``build`` returns a plain dict (``{"data": [...], "layout": {...}}``), kept as a finished
    ``go.Figure`` (made once, without validation) under a hash of the arguments (array contents
    included) and of the session's text scale, with its accessible name. Every caller gets that
    same object: it is read-only (:func:`editable` gives a copy to change). A classroom shares
    samples, kernels and the Tiny lesson, and every rerun redraws every figure of its page,
    most of them unchanged: a hit costs no Plotly object and no text summary.
    """

    @wraps(build)
    def cached(*args, **kwargs):
        scale = text_scale()
        h = hashlib.sha256(build.__name__.encode())  # hardware-accelerated: twice blake2b
        if not (_feed(h, args) and _feed(h, sorted(kwargs.items())) and _feed(h, scale)):
            return go.Figure(build(*args, **kwargs), _validate=False)
        key = h.hexdigest()
        with _figures_lock:
            fig = _figures.get(key)
            if fig is not None:
                _figures.move_to_end(key)
        if fig is None:
            spec = build(*args, **kwargs)
            fig = go.Figure(spec, _validate=False)
            fig._alt = describe(fig)
            fig._read_only = True
            fig._key = key
            _remember(key, fig, _payload_bytes(spec))
        return fig

    return cached


def _payload_bytes(value) -> int:
    """Roughly what a figure spec holds in memory: its arrays and strings, plus a little for
    every container (Plotly's objects around them are about 2 kB a figure)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return 64 + sum(_payload_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return 64 + sum(_payload_bytes(v) for v in value)
    return 16


def _remember(key: str, fig: go.Figure, size: int) -> None:
    """Keep ``fig`` under ``key``; drop the least recently used beyond the count or the bytes."""
    global _cached_bytes
    with _figures_lock:
        _cached_bytes += size + 2048 - _figure_bytes.get(key, 0)
        _figure_bytes[key] = size + 2048
        _figures[key] = fig
        _figures.move_to_end(key)
        while len(_figures) > 1 and (
            len(_figures) > FIGURE_CACHE_SIZE or _cached_bytes > FIGURE_CACHE_BYTES
        ):
            old, _ = _figures.popitem(last=False)
            _cached_bytes -= _figure_bytes.pop(old)


def clear_figure_cache() -> None:
    global _cached_bytes
    with _figures_lock:
        _figures.clear()
        _figure_bytes.clear()
        _cached_bytes = 0


def clickable(fig: go.Figure, rows: int, cols: int, *, sparse: bool = False):
    """``(figure, spacing)``: ``fig`` with a click layer over its rows × cols grid and "(click
    a pixel)" in its title, and the spacing of the clickable cells (1: every cell; 0: too
    large, ``fig`` itself comes back). ``sparse`` takes any size, every few cells
    (:func:`with_sparse_click_layer`).

    For a shared figure the result is shared and remembered beside it in the figure cache: a
    step-4 rerun draws its clickable outputs without copying them and adding thousands of
    markers again.
    """
    base = getattr(fig, "_key", None)
    key = f"{base} clickable {rows} {cols} {sparse}" if base else None
    with _figures_lock:
        found = _figures.get(key) if key else None
        if found is not None:
            _figures.move_to_end(key)
    if found is not None:
        return found, found._spacing
    if not sparse and rows * cols > MAX_CLICKABLE_CELLS:
        return fig, 0  # too many cells for markers: no copy to make
    copy = editable(fig)
    if sparse:
        spacing = with_sparse_click_layer(copy, rows, cols)
    else:
        spacing = int(with_click_layer(copy, rows, cols))
    if not spacing:
        return fig, 0
    copy.update_layout(title_text=f"{copy.layout.title.text} (click a pixel)")
    copy._alt, copy._spacing, copy._read_only = describe(copy), spacing, True
    if key:
        _remember(key, copy, _payload_bytes(copy.to_plotly_json()))
    return copy, spacing


def editable(fig: go.Figure) -> go.Figure:
    """A copy of a (shared, read-only) figure that the caller may change."""
    return go.Figure(fig, _validate=False)


def _writable(fig: go.Figure) -> None:
    if getattr(fig, "_read_only", False):
        raise ValueError("a shared figure is read-only: change editable(fig) instead")


def font_px(size: float) -> int:
    """A font size in pixels, scaled for this session (teacher mode is larger)."""
    return int(round(size * text_scale()))


def _title_space(title: str | None, summary: str | None) -> int:
    return 10 + (font_px(30) if title else 0) + (font_px(18) if summary else 0)


def _layout(
    layout: dict | None,
    *,
    title: str | None,
    height: int,
    summary: str | None = None,
    extra_top: int = 0,
) -> dict:
    """Title, size, fonts and margins of a figure, added to ``layout``; ``summary`` (shape, min,
    max, mean) goes under the title as text that a student can check, and :func:`chart` makes
    the figure's accessible name from both."""
    layout = dict(layout or {})
    if title or summary:
        # Pinned to the top of the figure, so a summary of two lines never reaches the plot.
        heading = dict(
            text=title or "",
            font=dict(size=font_px(15)),
            x=0.0,
            xanchor="left",
            y=1.0,
            yref="container",
            yanchor="top",
            pad=dict(t=8),
        )
        if summary:
            heading["subtitle"] = dict(text=summary, font=dict(size=font_px(11), color="#555"))
        layout["title"] = heading
    bare = dict(showticklabels=False, showgrid=False, zeroline=False)
    layout["xaxis"] = {**bare, **layout.get("xaxis", {})}
    layout["yaxis"] = {**bare, **layout.get("yaxis", {})}
    layout.setdefault("margin", dict(l=10, r=10, b=10))
    layout["margin"]["t"] = _title_space(title, summary) + extra_top
    layout["height"] = int(height)
    layout["font"] = dict(size=font_px(12))
    layout["template"] = "none"  # Streamlit's theme applies; Plotly's would be 6 kB per figure
    layout.setdefault("plot_bgcolor", "rgba(0,0,0,0)")
    layout.setdefault("paper_bgcolor", "rgba(0,0,0,0)")
    return layout


def _height_for(shape: tuple[int, int], width: int = 420, *, cap: int = 720) -> int:
    h, w = shape
    return int(min(cap, max(160, width * h / max(w, 1) + 60)))


def _png_uri(rgb: np.ndarray) -> str:
    """An (H, W) or (H, W, 3) uint8 array as a PNG data URI (fast zlib level)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_IMAGE_AXES = dict(
    xaxis=dict(constrain="domain"),
    yaxis=dict(autorange="reversed", scaleanchor="x", constrain="domain"),
)


def _image_trace(pixels: np.ndarray) -> dict:
    """An (H, W) grey or (H, W, 3) RGB uint8 image as a PNG-backed image trace."""
    return dict(
        type="image",
        source=_png_uri(np.ascontiguousarray(pixels)),
        hovertemplate="row %{y}, column %{x}<extra></extra>",
    )


@_shared
def image_figure(image: np.ndarray, *, title: str | None = None, height: int | None = None):
    """An (H, W, C) image in [0, 1] as a compact PNG-backed figure."""
    img = to_uint8(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    kind = "colour (RGB)" if img.ndim == 3 else "grey"
    layout = _layout(
        {k: dict(v) for k, v in _IMAGE_AXES.items()},
        title=title,
        height=height or _height_for(img.shape[:2], 320),
        summary=f"{' × '.join(map(str, np.shape(image)))}, {kind}",
    )
    return dict(data=[_image_trace(img)], layout=layout)


@dataclass(frozen=True, eq=False)
class Marks:
    """What to draw over a plane (or over every tile of a mosaic), in its row/column cells.

    ``pixel`` (row, col) is outlined; ``box`` (top, left, bottom, right), corners inclusive, is
    outlined too and may reach outside the plane (a receptive field in the padding: a heatmap
    then widens its axes and shades the padding grey; a mosaic clips it to the tile);
    ``shaded`` (bool, same shape as the plane) greys cells out, e.g. the padding in a patch.
    """

    pixel: tuple[int, int] | None = None
    box: tuple[int, int, int, int] | None = None
    shaded: np.ndarray | None = None


MARK_DARK, MARK_LIGHT = "#111111", "#ffffff"  # a black line with a white core: visible on any scale
PADDING_GREY = "rgba(150, 150, 150, 0.6)"


def _cells_path(rects, origins, scale: float = 1.0) -> str:
    """One SVG path of rectangles ``(top, left, bottom, right)`` placed at each (y, x) origin."""
    parts = []
    for oy, ox in origins:
        for top, left, bottom, right in rects:
            x0, x1 = (ox + left - 0.5) / scale, (ox + right + 0.5) / scale
            y0, y1 = (oy + top - 0.5) / scale, (oy + bottom + 0.5) / scale
            parts.append(f"M{x0:g},{y0:g}H{x1:g}V{y1:g}H{x0:g}Z")
    return "".join(parts)


def _mark_shapes(marks: Marks, shape, origins=((0, 0),), *, clip=False, scale=1.0) -> list:
    """Shapes that outline ``marks.pixel`` and ``marks.box`` and shade ``marks.shaded``."""
    h, w = shape
    shapes = []
    if marks.shaded is not None and np.any(marks.shaded):
        cells = [(i, j, i, j) for i, j in zip(*np.nonzero(marks.shaded), strict=True)]
        shapes.append(
            dict(
                type="path",
                path=_cells_path(cells, origins, scale),
                fillcolor=PADDING_GREY,
                line=dict(color="#666666", width=1, dash="dot"),
            )
        )
    rects = []
    if marks.box is not None:
        top, left, bottom, right = marks.box
        if clip:
            top, left = max(top, 0), max(left, 0)
            bottom, right = min(bottom, h - 1), min(right, w - 1)
        if top <= bottom and left <= right:
            rects.append((top, left, bottom, right))
    if marks.pixel is not None:
        rects.append((marks.pixel[0], marks.pixel[1], marks.pixel[0], marks.pixel[1]))
    if rects:
        path = _cells_path(rects, origins, scale)
        for colour, width in ((MARK_DARK, 4), (MARK_LIGHT, 1.5)):
            shapes.append(dict(type="path", path=path, line=dict(color=colour, width=width)))
    return shapes


def _box_padding(layout: dict, box, shape) -> None:
    """Widen a heatmap's axes to a box that reaches outside it, and shade that margin grey."""
    (h, w), (top, left, bottom, right) = shape, box
    y0, y1 = min(top, 0) - 0.5, max(bottom, h - 1) + 0.5
    x0, x1 = min(left, 0) - 0.5, max(right, w - 1) + 0.5
    if (y0, y1, x0, x1) == (-0.5, h - 0.5, -0.5, w - 0.5):
        return
    layout.setdefault("shapes", []).insert(
        0,
        dict(
            type="rect", x0=x0, x1=x1, y0=y0, y1=y1, layer="below", line=dict(width=0),
            fillcolor=PADDING_GREY,
        ),
    )  # fmt: skip
    layout["xaxis"] = {**layout.get("xaxis", {}), "range": [x0, x1], "autorange": False}
    layout["yaxis"] = {**layout.get("yaxis", {}), "range": [y1, y0], "autorange": False}


# Cells of a clickable figure: one invisible marker each (SVG), so keep it to small planes.
MAX_CLICKABLE_CELLS = 20_000


def _decoded(value) -> np.ndarray:
    """An array of a trace back from Plotly's typed-array form ({dtype, bdata, shape})."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.asarray(value)


def with_click_layer(fig: go.Figure, rows: int, cols: int) -> bool:
    """Make every cell of a rows × cols grid clickable; return False when it is too large.

    Plotly cannot select heatmap cells, so Streamlit's ``on_select`` never hears a click on
    one. An invisible marker at each cell centre can be selected: the selection's points then
    carry the cell's ``x`` (column) and ``y`` (row). The markers take over the hover, so they
    repeat the heatmap's hover text (and skip its blank cells, the gaps of a mosaic).
    """
    _writable(fig)
    if rows * cols > MAX_CLICKABLE_CELLS:
        return False
    ys, xs = (a.ravel() for a in np.mgrid[0:rows, 0:cols])
    keep = np.ones(rows * cols, dtype=bool)
    hover = dict(hovertemplate="row %{y}, column %{x}<extra></extra>")
    base = fig.data[0] if fig.data else None
    if isinstance(base, go.Heatmap) and _decoded(base.z).shape == (rows, cols):
        z = _decoded(base.z).astype(np.float64).ravel()
        keep = np.isfinite(z)
        template = base.hovertemplate
        if base.customdata is None:
            extra, template = z[:, None], template.replace("%{z", "%{customdata[0]")
        else:
            extra = _decoded(base.customdata).reshape(rows * cols, -1)
        hover = dict(customdata=extra[keep], hovertemplate=template)
    fig.add_trace(
        go.Scatter(
            x=xs[keep],
            y=ys[keep],
            mode="markers",
            marker=dict(size=8, opacity=0),
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            showlegend=False,
            **hover,
        )
    )
    # Markers would widen the autorange by their radius: pin the axes to the grid's cells.
    if fig.layout.xaxis.range is None:
        fig.update_xaxes(range=[-0.5, cols - 0.5], autorange=False)
    if fig.layout.yaxis.range is None:
        fig.update_yaxes(range=[rows - 0.5, -0.5], autorange=False)
    return True


def channel_ranges(
    stack: np.ndarray, *, signed: bool = True, shared: bool = True
) -> list[tuple[float, float]]:
    """One ``zrange`` per channel of ``stack`` (H, W, N) for :func:`heatmap_figure`.

    With ``shared`` every channel gets the same range, so figures drawn one channel at a time
    obey the "shared colour range" switch like a mosaic does.
    """
    lo, hi = display.colour_range(np.asarray(stack), signed=signed, shared=shared)
    return [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)]


def cell_texts(plane: np.ndarray, digits: int) -> list[list[str]]:
    """The numbers printed in a plane's cells, with one number of decimals for all of them.

    The largest magnitude gets ``digits`` significant digits and every cell the same decimals
    (a table's rule: 0.000482 beside 24.8 prints as 0, and the hover has every digit);
    trailing zeros are dropped, so integer kernels print as integers.
    """
    a = np.asarray(plane, dtype=np.float64)
    finite = a[np.isfinite(a)]
    top = float(np.max(np.abs(finite))) if finite.size else 0.0
    decimals = 0 if top == 0 else int(np.clip(digits - 1 - np.floor(np.log10(top)), 0, 6))
    out = []
    for row in a.tolist():
        texts = []
        for v in row:
            if not np.isfinite(v):
                texts.append("")
                continue
            t = f"{v:.{decimals}f}"
            if "." in t:
                t = t.rstrip("0").rstrip(".")
            texts.append("0" if t == "-0" else t)
        out.append(texts)
    return out


# Width of a character of Streamlit's sans-serif font in ems, as Chromium draws it (digits
# 0.5, "." 0.23), rounded up so that the estimate never falls short.
_CHAR_EM = {".": 0.26, "-": 0.36}
_CELL_PAD = 6  # pixels left free in a cell, beside its widest number


def _text_px(text: str, font_px: float) -> float:
    return sum(_CHAR_EM.get(ch, 0.52) for ch in text) * font_px


@_shared
def heatmap_figure(
    plane: np.ndarray,
    *,
    title: str | None = None,
    signed: bool = True,
    zrange: tuple[float, float] | None = None,
    annotate: bool | None = None,
    height: int | None = None,
    value_label: str = "value",
    digits: int = 3,
    square: bool = True,
    showscale: bool = True,
    marks: Marks | None = None,
):
    """A 2-D array as a heatmap with its values on hover (and in the cells when small).

    ``square`` keeps cells square (images, kernels); a weight matrix may stretch instead.
    ``marks`` outlines a pixel and/or a rectangle and shades cells (see :class:`Marks`).

    Numbers in cells are ``CELL_TEXT_PX`` (scaled in teacher mode) with ``digits``
    significant digits, and the cells are made large enough for the widest of them: a square
    heatmap that prints numbers gets a width of its own (``layout.width``) and ``height`` is
    then a minimum. Draw it in a column or row at least that wide (:func:`chart` does not
    stretch it).
    """
    plane = np.asarray(plane, dtype=np.float32)
    if plane.size > MAX_HOVER_VALUES:
        return mosaic_figure.__wrapped__(
            plane[:, :, None], title=title, signed=signed, shared=True, marks=marks
        )
    if zrange is None:
        lo, hi = display.colour_range(plane, signed=signed, shared=True)
        zrange = (float(lo[0]), float(hi[0]))
    if annotate is None:
        annotate = max(plane.shape) <= MAX_ANNOTATED_SIDE
    rows, cols = plane.shape
    summary = display.summary(plane)
    top = _title_space(title, summary)
    bar = font_px(60) if showscale else 0
    if square:
        axes = dict(
            yaxis=dict(autorange="reversed", scaleanchor="x", constrain="domain"),
            xaxis=dict(constrain="domain"),
        )
    else:
        axes = dict(yaxis=dict(autorange="reversed"))
    trace = dict(
        type="heatmap",
        z=plane,
        zmin=float(zrange[0]),
        zmax=float(zrange[1]),
        colorscale=_SCALES[SIGNED_SCALE if signed else SEQUENTIAL_SCALE],
        hovertemplate=f"row %{{y}}, column %{{x}}<br>{value_label} %{{z:.4f}}<extra></extra>",
        colorbar=dict(thickness=font_px(12)),
        showscale=showscale,
    )
    width = None
    if annotate:
        font = font_px(CELL_TEXT_PX)
        texts = cell_texts(plane, digits)
        widest = max((_text_px(t, font) for row in texts for t in row), default=0.0)
        cell_w = max(widest + _CELL_PAD, 1.9 * font)
        cell_h = 1.9 * font
        trace.update(text=texts, texttemplate="%{text}", textfont=dict(size=font))
        if square:
            cell = max(cell_w, cell_h, ((height or 0) - top - 10) / rows)
            width = int(np.ceil(cols * cell + 20 + bar))
            height = int(np.ceil(rows * cell + top + 10))
        else:
            height = int(max(height or 0, np.ceil(rows * cell_h + top + 10)))
    layout = axes
    extra_top = 0
    if width is not None:
        # The summary line may be wider than a small grid of numbers: break it in two.
        if _text_px(summary, font_px(11)) + 20 > width and ", " in summary:
            cut = summary.rfind(", ", 0, len(summary) // 2 + 8)
            summary = summary[: cut + 1] + "<br>" + summary[cut + 2 :]
            extra_top = font_px(18)
            height += extra_top
        lines = summary.split("<br>")
        width = int(max(width, max(_text_px(t, font_px(11)) for t in lines) + 20))
        layout["width"] = width
    if marks is not None:
        layout["shapes"] = _mark_shapes(marks, plane.shape)
        if marks.box is not None:
            _box_padding(layout, marks.box, plane.shape)
    layout = _layout(
        layout,
        title=title,
        height=height or _height_for(plane.shape),
        summary=summary,
        extra_top=extra_top,
    )
    return dict(data=[trace], layout=layout)


def difference_figure(difference: np.ndarray, outputs: np.ndarray, *, title: str):
    """A difference of two outputs on the outputs' colour range, so rounding noise stays white
    and only a real difference shows."""
    lo, hi = display.colour_range(outputs, signed=True, shared=True)
    return heatmap_figure(difference, title=title, zrange=(lo[0], hi[0]))


def _lut(scale: str) -> np.ndarray:
    """255 colours of a Plotly colour scale (RGB uint8), and white as colour 255 for gaps."""
    colours = pc.sample_colorscale(
        pc.get_colorscale(scale), np.linspace(0, 1, 255).tolist(), colortype="tuple"
    )
    lut = (np.asarray(colours) * 255).round().astype(np.uint8)
    return np.vstack([lut, [[255, 255, 255]]]).astype(np.uint8)


_LUTS: dict[str, np.ndarray] = {}


def _palette_png(values01: np.ndarray, scale: str) -> dict:
    """[0, 1] values (NaN = gap, white) as an image trace: a palette PNG of the colour scale.

    One byte per pixel instead of three: Pillow compresses a third of the data, several times
    faster than the RGB image, and the browser shows the same colours.
    """
    if scale not in _LUTS:  # setdefault would sample the scale on every call
        _LUTS[scale] = _lut(scale)
    lut = _LUTS[scale]
    scaled = np.asarray(values01, dtype=np.float32) * np.float32(254)
    gaps = ~np.isfinite(scaled)
    scaled[gaps] = 0
    np.clip(np.rint(scaled, out=scaled), 0, 254, out=scaled)
    index = scaled.astype(np.uint8)
    index[gaps] = 255  # the palette's white
    img = Image.frombytes("P", index.shape[::-1], np.ascontiguousarray(index).tobytes())
    img.putpalette(lut.ravel().tolist())
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return dict(type="image", source=uri, hoverinfo="skip")


@_shared
def mosaic_figure(
    stack: np.ndarray,
    *,
    title: str | None = None,
    signed: bool = True,
    shared: bool = True,
    labels: list[str] | None = None,
    cols: int | None = None,
    height: int | None = None,
    marks: Marks | None = None,
    first_channel: int = 0,
    tiles_are: tuple[str, list[int]] | None = None,
):
    """Every channel of ``stack`` (H, W, N) in ONE figure, as tiles of a mosaic.

    ``first_channel`` numbers the tiles (labels and hover) when ``stack`` is a slice of the
    channels, e.g. one page of 64 of them (:func:`ui.widgets.channel_page`). Tiles that are not
    channels are named in the hover by ``tiles_are``: a word and each tile's number, e.g.
    ``("test digit", [12, 40, ...])``.

    With ``shared`` one colour range serves all channels (comparable brightness); otherwise each
    channel is stretched over the whole scale. Small mosaics are heatmaps whose hover names the
    channel and its value; large ones are a PNG image. ``marks`` are drawn on every tile, a box
    clipped to the tile (see :class:`Marks`).
    """
    stack = display.as_stack(np.asarray(stack, dtype=np.float32))
    n = stack.shape[2]
    # Many small tiles (a phone shows 64 at 40 px): the number alone, as the title names them.
    name = "channel " if n <= 16 else ""
    labels = labels or [f"{name}{first_channel + i}" for i in range(n)]
    normed = display.normalise(stack, signed=signed, shared=shared)
    tiles = display.mosaic(normed, cols=cols)
    scale = SIGNED_SCALE if signed else SEQUENTIAL_SCALE
    values = tiles.values
    big = values.size > MAX_HOVER_VALUES
    step = max(1, int(np.ceil(max(values.shape) / MAX_MOSAIC_SIDE))) if big else 1
    if not big:
        real = display.mosaic(stack, cols=tiles.cols, gap=tiles.gap).values
        chan = np.full(values.shape, np.nan, np.float32)
        h, w = tiles.tile_shape
        word, numbers = tiles_are or ("channel", range(first_channel, first_channel + n))
        for k, number in zip(range(n), numbers, strict=True):
            y, x = tiles.tile_origin(k)
            chan[y : y + h, x : x + w] = number
        trace = dict(
            type="heatmap",
            z=values,
            zmin=0,
            zmax=1,
            customdata=np.dstack([real, chan]),
            colorscale=_SCALES[scale],
            showscale=False,
            hoverongaps=False,
            hovertemplate=f"{word} %{{customdata[1]:.0f}}<br>value %{{customdata[0]:.4f}}"
            "<extra></extra>",
        )
        layout = dict(yaxis=dict(autorange="reversed", scaleanchor="x", constrain="domain"))
    else:
        trace = _palette_png(values[::step, ::step], scale)
        layout = {k: dict(v) for k, v in _IMAGE_AXES.items()}
    labelled = 1 < n <= 64
    if labelled:
        notes = []
        for k in range(n):
            y, x = tiles.tile_origin(k)
            notes.append(
                dict(
                    x=x / step - 0.5,
                    y=y / step - 0.5,
                    text=labels[k],
                    showarrow=False,
                    xanchor="left",
                    yanchor="bottom",
                    font=dict(size=font_px(11)),
                )
            )
        layout["annotations"] = notes
    if marks is not None:
        origins = [tiles.tile_origin(k) for k in range(n)]
        layout["shapes"] = _mark_shapes(marks, tiles.tile_shape, origins, clip=True, scale=step)
    layout = _layout(
        layout,
        title=title,
        height=height or _height_for(values.shape, 700, cap=900),
        summary=display.summary(stack),
        extra_top=font_px(16) if labelled else 0,
    )
    return dict(data=[trace], layout=layout)


def colourbar_note(signed: bool, shared: bool) -> str:
    """One sentence that says how to read a mosaic's colours."""
    if signed:
        core = "blue is negative, white is zero, red is positive"
    else:
        core = "dark purple is low, yellow is high"
    rng = (
        "one colour range for all channels" if shared else "each channel stretched to its own range"
    )
    return f"Colours: {core}; {rng}."


@_shared
def shape_diagram(stages: list[tuple[str, tuple[int, int, int], str]], *, height: int = 300):
    """Tensors and kernels as oblique boxes, left to right: ``(caption, (h, w, c), kind)``.

    ``kind`` is "tensor" or "kernel". Sides are drawn on a square-root scale so that a 12×12
    image and a 1×1 kernel are both visible; the caption carries the true numbers.
    """
    data, notes = [], []
    x = 0.0
    colours = {"tensor": ("#cfe3f5", "#2a6fb0"), "kernel": ("#f7d9c4", "#b4561b")}
    for caption, (h, w, c), kind in stages:
        fill, line = colours[kind]
        fh, fw = np.sqrt(h) * 1.6, np.sqrt(w) * 1.6
        depth = np.sqrt(c) * 0.9
        dx, dy = depth * 0.7, depth * 0.5
        faces = [
            [(x, 0), (x + fw, 0), (x + fw, fh), (x, fh)],
            [(x, fh), (x + fw, fh), (x + fw + dx, fh + dy), (x + dx, fh + dy)],
            [(x + fw, 0), (x + fw + dx, dy), (x + fw + dx, fh + dy), (x + fw, fh)],
        ]
        for face in faces:
            xs, ys = zip(*(face + face[:1]), strict=True)
            data.append(
                dict(
                    type="scatter",
                    x=[float(v) for v in xs],
                    y=[float(v) for v in ys],
                    fill="toself",
                    fillcolor=fill,
                    line=dict(color=line, width=1.5),
                    mode="lines",
                    hoverinfo="text",
                    text=caption.replace("\n", "<br>"),
                    showlegend=False,
                )
            )
        notes.append(
            dict(
                x=float(x + (fw + dx) / 2),
                y=-1.2,
                text=caption.replace("\n", "<br>"),
                showarrow=False,
                yanchor="top",
                font=dict(size=font_px(13)),
            )
        )
        x += fw + dx + 4.5
    layout = dict(
        xaxis=dict(visible=False, range=[-1, float(x - 3)]),
        yaxis=dict(visible=False, scaleanchor="x", range=[-8, 14]),
        annotations=notes,
        height=int(height * text_scale()),
        margin=dict(l=5, r=5, t=5, b=5),
        plot_bgcolor="white",
        font=dict(size=font_px(12)),
        template="none",
    )
    return dict(data=data, layout=layout)


def result_figure(stack: np.ndarray, *, like: np.ndarray, title: str, shared: bool = True):
    """Show a layer's result the way its target ``like`` is best seen, so the two compare.

    Three channels within [0, 1] are a picture (shown as RGB, the result clipped to [0, 1]);
    otherwise every channel is a tile, on a diverging scale if ``like`` has negative values,
    with one colour range for all tiles when ``shared``.
    """
    lo, hi = float(np.min(like)), float(np.max(like))
    if like.ndim == 3 and like.shape[2] == 3 and lo >= 0.0 and hi <= 1.0:
        return image_figure(stack, title=title)
    return mosaic_figure(stack, title=title, signed=lo < 0.0, shared=shared)


# Charts of numbers (bars and curves) keep Plotly's axes and Streamlit's theme: no ``_layout``
# (which hides the ticks of planes), and the default template, which ``go.Figure`` fills in.
def _chart_figure(data: list[dict], layout: dict) -> go.Figure:
    """A chart (bars, lines) from plain dicts, its text scaled for this session."""
    return scale_text(go.Figure(dict(data=data, layout=layout), _validate=False))


def scale_text(fig: go.Figure) -> go.Figure:
    """Set a chart's text (ticks, axis titles, legend, labels) to 12 px and 15 px for the title,
    larger in teacher mode like the rest of the page. Explicit sizes are needed: Streamlit's
    chart theme sets the ticks' and legend's own, which a layout-wide font would not reach."""
    size = font_px(12)
    fig.update_layout(font_size=size, legend_font_size=size, title_font_size=font_px(15))
    fig.update_xaxes(tickfont_size=size, title_font_size=size)
    fig.update_yaxes(tickfont_size=size, title_font_size=size)
    fig.update_traces(textfont_size=size)  # labels on bars and points
    return fig


def log_ticks(low: float, high: float) -> dict:
    """Ticks 1, 2, 5, 10, 20, ... from ``low`` to ``high`` for a log axis, all at the axis' font
    size (Plotly's own minor labels on a log axis are drawn at 9 px), with k, M and B for
    thousands, millions and billions."""
    values = [
        m * 10.0**e
        for e in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
        for m in (1, 2, 5)
    ]
    values = [v for v in values if low <= v <= high]

    def text(v: float) -> str:
        for unit, name in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if v >= unit:
                return f"{v / unit:g}{name}"
        return f"{v:g}"

    return dict(tickmode="array", tickvals=values, ticktext=[text(v) for v in values])


def _axis(title: str, **kwargs) -> dict:
    return dict(title=dict(text=title), **kwargs)


def singular_values_figure(values: np.ndarray) -> go.Figure:
    """A kernel's singular values as bars: the first blue, the rest (what a rank-1 column × row
    leaves out) orange."""
    n = len(values)
    bars = dict(
        type="bar",
        x=[f"σ{i + 1}" for i in range(n)],
        y=values,
        marker=dict(color=["#2a6fb0"] + ["#b4561b"] * (n - 1)),
        hovertemplate="%{x} = %{y:.4g}<extra></extra>",
    )
    layout = dict(
        title=dict(text="Singular values"), height=320, margin=dict(l=10, r=10, t=40, b=10)
    )
    values = np.asarray(values, dtype=float)
    floor = 1e-10 * max(float(values.max(initial=0.0)), 1.0)  # SVD's rounding noise is 0
    summary = ", ".join(
        f"σ{i + 1} = {0 if v < floor else v:.3g}" for i, v in enumerate(values.tolist())
    )
    return with_summary(_chart_figure([bars], layout), summary)


def ratio_figure(cout: int, k: int, *, kernel_sizes=(3, 5, 7), max_cout: int = 512) -> go.Figure:
    """Separable / normal multiplications, 1/Cout + 1/k², against Cout for a few kernel sizes
    (log scale), with the student's (Cout, k) marked."""
    couts = list(range(1, max_cout + 1))
    data = [
        dict(
            type="scatter",
            x=couts,
            y=[separable_ratio_formula(n, kk) for n in couts],
            name=f"k = {kk}",
            hovertemplate=f"k = {kk}, Cout = %{{x}}: %{{y:.4f}}<extra></extra>",
        )
        for kk in kernel_sizes
    ]
    data.append(
        dict(
            type="scatter",
            x=[cout],
            y=[separable_ratio_formula(cout, k)],
            mode="markers",
            marker=dict(size=12, symbol="x", color="black"),
            name="your settings",
        )
    )
    layout = dict(
        height=360,
        xaxis=_axis("output channels Cout"),
        yaxis=_axis("separable / normal multiplications", type="log", **log_ticks(0.001, 10)),
        margin=dict(l=10, r=10, t=10, b=10),
    )
    return _chart_figure(data, layout)


LAYER_TYPES = {
    "conv": "first 3×3 conv",
    "depthwise": "depthwise 3×3",
    "pointwise": "pointwise 1×1",
    "avgpool": "average pool",
    "fc": "fully connected",
}


def mult_adds_share_figure(net) -> go.Figure:
    """Where a network's mult-adds go (``sepconv_core.cost.mobilenet_v1_cost``): one bar per
    layer type, in millions, labelled with its share of the whole."""
    by_type = net.by_type()
    bars = dict(
        type="bar",
        x=[LAYER_TYPES[t] for t in by_type],
        y=[v / 1e6 for v in by_type.values()],
        text=[f"{v / net.mult_adds:.1%}" for v in by_type.values()],
        marker=dict(color="#2a6fb0"),
        hovertemplate="%{x}: %{y:.1f} M mult-adds<extra></extra>",
    )
    layout = dict(
        height=320,
        yaxis=_axis("million mult-adds"),
        margin=dict(l=10, r=10, t=30, b=10),
        title=dict(text="Where the mult-adds go: the pointwise layers dominate"),
    )
    summary = "; ".join(
        f"{LAYER_TYPES[t]} {v / 1e6:.3g} M ({100 * v / net.mult_adds:.2g} %)"
        for t, v in by_type.items()
    )
    return with_summary(_chart_figure([bars], layout), summary)


def loss_figure(curves: dict, *, title: str | None = None, height: int = 260) -> go.Figure:
    """Loss curves while training (log scale), one per named model; a model with no loss yet
    is left out. The live curve and the finished run's share this layout."""
    data = [dict(type="scatter", y=v, name=name) for name, v in curves.items() if len(v)]
    layout = dict(
        height=height,
        yaxis=_axis("mean squared error", type="log"),
        xaxis=_axis("step"),
        margin=dict(l=10, r=10, t=30 if title else 10, b=10),
    )
    if title:
        layout["title"] = dict(text=title)
    summary = "; ".join(
        f"{name}: from {v[0]:.3g} to {v[-1]:.3g} in {len(v)} steps"
        for name, v in curves.items()
        if len(v)
    )
    return with_summary(_chart_figure(data, layout), summary or "no step yet")


def with_sparse_click_layer(fig: go.Figure, rows: int, cols: int) -> int:
    """Make a rows × cols grid clickable at any size; return the spacing of clickable cells.

    Up to ``MAX_CLICKABLE_CELLS`` every cell is clickable (``with_click_layer``, spacing 1).
    Beyond, an invisible marker sits at the centre of every ``spacing``-th cell in both
    directions (at most ``MAX_CLICKABLE_CELLS`` of them), so a click lands on the nearest one:
    at most ``spacing // 2`` cells from where the student clicked.
    """
    if with_click_layer(fig, rows, cols):
        return 1
    spacing = int(np.ceil(np.sqrt(rows * cols / MAX_CLICKABLE_CELLS)))
    ys, xs = (
        a.ravel() for a in np.mgrid[spacing // 2 : rows : spacing, spacing // 2 : cols : spacing]
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker=dict(size=max(4, 2 * spacing), opacity=0),
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            showlegend=False,
            hovertemplate="row %{y}, column %{x}<extra></extra>",
        )
    )
    fig.update_xaxes(range=[-0.5, cols - 0.5], autorange=False)
    fig.update_yaxes(range=[rows - 0.5, -0.5], autorange=False)
    return spacing


def with_taps(fig: go.Figure, rows, cols) -> go.Figure:
    """Outline the cells a dilated kernel multiplies: every (row, col) of ``rows`` × ``cols``.

    Drawn over a plane whose receptive-field box is already marked, it shows that a dilated
    kernel's k × k taps are every d-th pixel of the box, with the pixels between skipped."""
    _writable(fig)
    cells = [(r, c, r, c) for r in rows for c in cols]
    path = _cells_path(cells, ((0, 0),))
    fig.add_shape(
        type="path", path=path, fillcolor="rgba(255,255,255,0.45)",
        line=dict(color=MARK_DARK, width=1.5),
    )  # fmt: skip
    return fig


_TAGS = re.compile(r"<[^>]+>")


def describe(fig: go.Figure) -> str:
    """A figure's accessible name: its title and its summary line (shape, min, max, mean)."""
    title = fig.layout.title
    parts = [title.text, title.subtitle.text if title.subtitle else None]
    text = ". ".join(
        " ".join(_TAGS.sub(" ", p).split()) for p in parts if p and _TAGS.sub("", p).strip()
    )
    return text or "Chart"


def with_summary(fig: go.Figure, summary: str) -> go.Figure:
    """Give ``fig`` an accessible name of its title and ``summary`` (its numbers in words), for a
    chart whose title alone says nothing of them; :func:`chart` uses it."""
    fig._alt = f"{describe(fig)}: {summary}"
    return fig


def chart(where, fig: go.Figure, *, key: str, alt: str | None = None, **kwargs):
    """``where.plotly_chart(fig)`` the app's way: a toolbar with only the PNG download, and an
    accessible name (``alt``, by default the figure's title and summary) for screen readers.

    A figure with a width of its own (numbers in cells) keeps it, so its numbers stay legible:
    put it in a row that wraps (``st.container(horizontal=True, wrap=True)``) or a wide column.
    """
    width = "content" if fig.layout.width else "stretch"
    return where.plotly_chart(
        fig,
        key=key,
        config=CHART_CONFIG,
        alt=alt or getattr(fig, "_alt", None) or describe(fig),
        width=kwargs.pop("width", width),
        **kwargs,
    )
