"""Plotly figures for the app. Every figure in the app is built here.

Colour scales are colour-blind safe: a diverging ColorBrewer RdBu (blue < 0 < red,
white at zero) for signed values, Viridis for non-negative ones, grey for images.
Small planes are heatmaps with hover values (and the numbers written in the cells
when they fit); large ones are sent as compressed PNG images.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps

import numpy as np
import plotly.colors as pc
import plotly.express as px
import plotly.graph_objects as go

from sepconv_core import display
from sepconv_core.image import to_uint8

SIGNED_SCALE = "RdBu_r"
SEQUENTIAL_SCALE = "Viridis"
# Above this many values a plane is sent as a PNG instead of numbers with hover.
MAX_HOVER_VALUES = 40_000
# Cells are labelled with their value up to this many rows/columns.
MAX_ANNOTATED_SIDE = 16
# Mosaics are shrunk (by whole-pixel striding) so their longest side stays below this.
MAX_MOSAIC_SIDE = 1400
# Finished figures kept for every session (see ``_shared``).
FIGURE_CACHE_SIZE = 128

_figures: OrderedDict[str, dict] = OrderedDict()
_figures_lock = threading.Lock()


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
    """Remember finished figures, for every session, in a small LRU.

    Building a Plotly figure is mostly validation (5 to 50 ms, over half a second for a large
    mosaic), and every rerun redraws every figure on its page, most of them unchanged; a class
    also shares samples and kernels. So a figure is kept as a plain dict under a hash of the
    arguments (array contents included), and each caller gets a fresh ``go.Figure`` made from
    it without validating again (under a millisecond): callers may change their copy.
    """

    @wraps(build)
    def cached(*args, **kwargs):
        h = hashlib.blake2b(build.__name__.encode(), digest_size=20)
        if not (_feed(h, args) and _feed(h, sorted(kwargs.items()))):
            return build(*args, **kwargs)
        key = h.hexdigest()
        with _figures_lock:
            spec = _figures.get(key)
            if spec is not None:
                _figures.move_to_end(key)
        if spec is None:
            spec = build(*args, **kwargs).to_dict()
            with _figures_lock:
                _figures[key] = spec
                while len(_figures) > FIGURE_CACHE_SIZE:
                    _figures.popitem(last=False)
        return go.Figure(spec, _validate=False)

    return cached


def _layout(
    fig: go.Figure, *, title: str | None, height: int, summary: str | None = None
) -> go.Figure:
    """Title, size and margins; ``summary`` (shape, min, max, mean) goes under the title as text
    that a screen reader can read and a student can check."""
    heading = None
    if title or summary:
        heading = dict(text=title or "", font=dict(size=15))
        if summary:
            heading["subtitle"] = dict(text=summary, font=dict(size=11, color="#555"))
    top = 10 + (30 if title else 0) + (18 if summary else 0)
    # One update for all of it: each plotly update call costs milliseconds of validation.
    bare = dict(showticklabels=False, showgrid=False, zeroline=False)
    margin = dict(l=10, r=10, t=top, b=10)
    fig.update_layout(title=heading, height=height, margin=margin, xaxis=bare, yaxis=bare)
    return fig


def _height_for(shape: tuple[int, int], width: int = 420, *, cap: int = 720) -> int:
    h, w = shape
    return int(min(cap, max(160, width * h / max(w, 1) + 60)))


@_shared
def image_figure(image: np.ndarray, *, title: str | None = None, height: int | None = None):
    """An (H, W, C) image in [0, 1] as a compact PNG-backed figure."""
    img = to_uint8(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    fig = px.imshow(img, binary_string=True)
    fig.update_traces(hovertemplate="row %{y}, column %{x}<extra></extra>")
    return _layout(fig, title=title, height=height or _height_for(img.shape[:2]))


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


def _draw_marks(fig, marks: Marks, shape, origins=((0, 0),), *, clip=False, scale=1.0) -> None:
    """Outline ``marks.pixel`` and ``marks.box`` and shade ``marks.shaded`` at every origin."""
    h, w = shape
    if marks.shaded is not None and np.any(marks.shaded):
        cells = [(i, j, i, j) for i, j in zip(*np.nonzero(marks.shaded), strict=True)]
        fig.add_shape(
            type="path",
            path=_cells_path(cells, origins, scale),
            fillcolor=PADDING_GREY,
            line=dict(color="#666666", width=1, dash="dot"),
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
            fig.add_shape(type="path", path=path, line=dict(color=colour, width=width))


def _show_box_padding(fig, box, shape) -> None:
    """Widen a heatmap's axes to a box that reaches outside it, and shade that margin grey."""
    (h, w), (top, left, bottom, right) = shape, box
    y0, y1 = min(top, 0) - 0.5, max(bottom, h - 1) + 0.5
    x0, x1 = min(left, 0) - 0.5, max(right, w - 1) + 0.5
    if (y0, y1, x0, x1) == (-0.5, h - 0.5, -0.5, w - 0.5):
        return
    fig.add_shape(
        type="rect", x0=x0, x1=x1, y0=y0, y1=y1, layer="below", line_width=0,
        fillcolor=PADDING_GREY,
    )  # fmt: skip
    fig.update_xaxes(range=[x0, x1], autorange=False)
    fig.update_yaxes(range=[y1, y0], autorange=False)


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
    """
    plane = np.asarray(plane, dtype=np.float32)
    if plane.size > MAX_HOVER_VALUES:
        return mosaic_figure(
            plane[:, :, None], title=title, signed=signed, shared=True, marks=marks
        )
    if zrange is None:
        lo, hi = display.colour_range(plane, signed=signed, shared=True)
        zrange = (float(lo[0]), float(hi[0]))
    if annotate is None:
        annotate = max(plane.shape) <= MAX_ANNOTATED_SIDE
    if square:
        axes = dict(
            yaxis=dict(autorange="reversed", scaleanchor="x", constrain="domain"),
            xaxis=dict(constrain="domain"),
        )
    else:
        axes = dict(yaxis=dict(autorange="reversed"))
    fig = go.Figure(
        go.Heatmap(
            z=plane,
            zmin=zrange[0],
            zmax=zrange[1],
            colorscale=SIGNED_SCALE if signed else SEQUENTIAL_SCALE,
            texttemplate=f"%{{z:.{digits}~g}}" if annotate else None,
            hovertemplate=f"row %{{y}}, column %{{x}}<br>{value_label} %{{z:.4f}}<extra></extra>",
            colorbar=dict(thickness=12),
            showscale=showscale,
        ),
        layout=axes,  # in the constructor: far cheaper than update_xaxes/update_yaxes after
    )
    if marks is not None:
        _draw_marks(fig, marks, plane.shape)
        if marks.box is not None:
            _show_box_padding(fig, marks.box, plane.shape)
    return _layout(
        fig, title=title, height=height or _height_for(plane.shape), summary=display.summary(plane)
    )


def _lut(scale: str) -> np.ndarray:
    colours = pc.sample_colorscale(
        pc.get_colorscale(scale), np.linspace(0, 1, 256).tolist(), colortype="tuple"
    )
    return (np.asarray(colours) * 255).round().astype(np.uint8)


_LUTS: dict[str, np.ndarray] = {}


def _colourise(values01: np.ndarray, scale: str) -> np.ndarray:
    """Map [0, 1] values (NaN = gap) to RGB uint8 with a Plotly colour scale; gaps are white."""
    if scale not in _LUTS:
        _LUTS[scale] = _lut(scale)
    lut = _LUTS[scale]
    idx = np.nan_to_num(values01, nan=0.0)
    rgb = lut[np.clip((idx * 255).round(), 0, 255).astype(np.intp)]
    rgb[np.isnan(values01)] = 255
    return rgb


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
):
    """Every channel of ``stack`` (H, W, N) in ONE figure, as tiles of a mosaic.

    With ``shared`` one colour range serves all channels (comparable brightness); otherwise each
    channel is stretched over the whole scale. Small mosaics are heatmaps whose hover names the
    channel and its value; large ones are a PNG image. ``marks`` are drawn on every tile, a box
    clipped to the tile (see :class:`Marks`).
    """
    stack = display.as_stack(np.asarray(stack, dtype=np.float32))
    n = stack.shape[2]
    labels = labels or [f"channel {i}" for i in range(n)]
    normed = display.normalise(stack, signed=signed, shared=shared)
    tiles = display.mosaic(normed, cols=cols)
    scale = SIGNED_SCALE if signed else SEQUENTIAL_SCALE
    values = tiles.values
    if values.size <= MAX_HOVER_VALUES:
        real = display.mosaic(stack, cols=tiles.cols, gap=tiles.gap).values
        chan = np.full(values.shape, np.nan, np.float32)
        for k in range(n):
            y, x = tiles.tile_origin(k)
            h, w = tiles.tile_shape
            chan[y : y + h, x : x + w] = k
        fig = go.Figure(
            go.Heatmap(
                z=values,
                zmin=0,
                zmax=1,
                customdata=np.dstack([real, chan]),
                colorscale=scale,
                showscale=False,
                hoverongaps=False,
                hovertemplate="channel %{customdata[1]:.0f}<br>value %{customdata[0]:.4f}"
                "<extra></extra>",
            )
        )
        fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    else:
        step = max(1, int(np.ceil(max(values.shape) / MAX_MOSAIC_SIDE)))
        fig = px.imshow(_colourise(values[::step, ::step], scale), binary_string=True)
        fig.update_traces(hoverinfo="skip", hovertemplate=None)
    if n <= 64 and n > 1:
        h, w = tiles.tile_shape
        step = (
            1
            if values.size <= MAX_HOVER_VALUES
            else max(1, int(np.ceil(max(values.shape) / MAX_MOSAIC_SIDE)))
        )
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
                    font=dict(size=10),
                )
            )
        fig.update_layout(annotations=notes)  # one call: add_annotation costs ~5 ms each
    if marks is not None:
        big = values.size > MAX_HOVER_VALUES
        step = int(np.ceil(max(values.shape) / MAX_MOSAIC_SIDE)) if big else 1
        origins = [tiles.tile_origin(k) for k in range(n)]
        _draw_marks(fig, marks, tiles.tile_shape, origins, clip=True, scale=step)
    top = (40 if title else 10) + 18  # room for the title and the summary line
    fig = _layout(
        fig,
        title=title,
        height=height or _height_for(values.shape, 700, cap=900),
        summary=display.summary(stack),
    )
    fig.update_layout(margin=dict(t=top + (14 if 1 < n <= 64 else 0)))
    return fig


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
    fig = go.Figure()
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
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    fill="toself",
                    fillcolor=fill,
                    line=dict(color=line, width=1.5),
                    mode="lines",
                    hoverinfo="text",
                    text=caption.replace("\n", "<br>"),
                    showlegend=False,
                )
            )
        fig.add_annotation(
            x=x + (fw + dx) / 2,
            y=-1.2,
            text=caption.replace("\n", "<br>"),
            showarrow=False,
            yanchor="top",
            font=dict(size=13),
        )
        x += fw + dx + 4.5
    fig.update_xaxes(visible=False, range=[-1, x - 3])
    fig.update_yaxes(visible=False, scaleanchor="x", range=[-8, 14])
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=5, b=5), plot_bgcolor="white")
    return fig


def result_figure(stack: np.ndarray, *, like: np.ndarray, title: str):
    """Show a layer's result the way its target ``like`` is best seen, so the two compare.

    Three channels within [0, 1] are a picture (shown as RGB, the result clipped to [0, 1]);
    otherwise every channel is a tile, on a diverging scale if ``like`` has negative values.
    """
    lo, hi = float(np.min(like)), float(np.max(like))
    if like.ndim == 3 and like.shape[2] == 3 and lo >= 0.0 and hi <= 1.0:
        return image_figure(stack, title=title)
    return mosaic_figure(stack, title=title, signed=lo < 0.0, shared=True)


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
    cells = [(r, c, r, c) for r in rows for c in cols]
    path = _cells_path(cells, ((0, 0),))
    fig.add_shape(
        type="path", path=path, fillcolor="rgba(255,255,255,0.45)",
        line=dict(color=MARK_DARK, width=1.5),
    )  # fmt: skip
    return fig


def chart(where, fig: go.Figure, *, key: str, alt: str | None = None, **kwargs):
    """``where.plotly_chart(fig)``: the one place the depthwise page draws a chart.

    Same signature as the ``chart`` on branch i9fig (toolbar and accessible name); when that
    is merged, keep its version and drop this one."""
    return where.plotly_chart(fig, key=key, **kwargs)
