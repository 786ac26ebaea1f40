"""Plotly figures for the app. Every figure in the app is built here.

Colour scales are colour-blind safe: a diverging ColorBrewer RdBu (blue < 0 < red,
white at zero) for signed values, Viridis for non-negative ones, grey for images.
Small planes are heatmaps with hover values (and the numbers written in the cells
when they fit); large ones are sent as compressed PNG images.
"""

from __future__ import annotations

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
    fig.update_layout(title=heading, height=height, margin=dict(l=10, r=10, t=top, b=10))
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    return fig


def _height_for(shape: tuple[int, int], width: int = 420, *, cap: int = 720) -> int:
    h, w = shape
    return int(min(cap, max(160, width * h / max(w, 1) + 60)))


def image_figure(image: np.ndarray, *, title: str | None = None, height: int | None = None):
    """An (H, W, C) image in [0, 1] as a compact PNG-backed figure."""
    img = to_uint8(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    fig = px.imshow(img, binary_string=True)
    fig.update_traces(hovertemplate="row %{y}, column %{x}<extra></extra>")
    return _layout(fig, title=title, height=height or _height_for(img.shape[:2]))


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
):
    """A 2-D array as a heatmap with its values on hover (and in the cells when small).

    ``square`` keeps cells square (images, kernels); a weight matrix may stretch instead.
    """
    plane = np.asarray(plane, dtype=np.float32)
    if plane.size > MAX_HOVER_VALUES:
        return mosaic_figure(plane[:, :, None], title=title, signed=signed, shared=True)
    if zrange is None:
        lo, hi = display.colour_range(plane, signed=signed, shared=True)
        zrange = (float(lo[0]), float(hi[0]))
    if annotate is None:
        annotate = max(plane.shape) <= MAX_ANNOTATED_SIDE
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
        )
    )
    if square:
        fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
        fig.update_xaxes(constrain="domain")
    else:
        fig.update_yaxes(autorange="reversed")
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
    lut = _LUTS.setdefault(scale, _lut(scale))
    idx = np.nan_to_num(values01, nan=0.0)
    rgb = lut[np.clip((idx * 255).round(), 0, 255).astype(np.intp)]
    rgb[np.isnan(values01)] = 255
    return rgb


def mosaic_figure(
    stack: np.ndarray,
    *,
    title: str | None = None,
    signed: bool = True,
    shared: bool = True,
    labels: list[str] | None = None,
    cols: int | None = None,
    height: int | None = None,
):
    """Every channel of ``stack`` (H, W, N) in ONE figure, as tiles of a mosaic.

    With ``shared`` one colour range serves all channels (comparable brightness); otherwise each
    channel is stretched over the whole scale. Small mosaics are heatmaps whose hover names the
    channel and its value; large ones are a PNG image.
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
        for k in range(n):
            y, x = tiles.tile_origin(k)
            fig.add_annotation(
                x=x / step - 0.5,
                y=y / step - 0.5,
                text=labels[k],
                showarrow=False,
                xanchor="left",
                yanchor="bottom",
                font=dict(size=10),
            )
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
