"""Step 4 of the depthwise page: every multiplication behind one output pixel.

The student picks an output position (sliders, arrow buttons, a click on an output heatmap,
or "play" in reading order). The same position is marked everywhere: the receptive field on
each input channel, the pixel on the depthwise and pointwise outputs. Below, the depthwise
dot products (patch ⊙ kernel = products, Σ) and the pointwise ones (values · weights, Σ),
each next to the value read from the real output so the two can be compared.

The position lives in ``st.session_state["dw_row"]`` / ``["dw_col"]``, the keys of the row and
column sliders, which are bound to the address (``?dw_row=5&dw_col=2``): whatever moves the
position (a slider, an arrow, a click, a tick of "play") sets those keys, so the address always
holds the pixel on screen; steps 1-3 mark it too (``linked_position``: those keys, or the
address itself when a link opens on them). ``["dw_pixel"]`` keeps the last position play reached.
Playing is a fragment that reruns itself every 0.3-1.5 s (no sleeping, so no session waits for
another), advances one position per tick and stops after the last one.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
import streamlit as st

from sepconv_core import display
from sepconv_core.window import (
    depthwise_window,
    pointwise_window,
    receptive_field,
    sum_matches,
)
from ui.figures import (
    Marks,
    channel_ranges,
    chart,
    clickable,
    colourbar_note,
    editable,
    heatmap_figure,
    mosaic_figure,
    with_taps,
)
from ui.text import channel_names, fmt_int
from ui.turns import fragment

ROW, COL, PIXEL, PLAY, SPEED = "dw_row", "dw_col", "dw_pixel", "dw_play", "dw_speed"
SPEEDS = {"slow": 1.5, "medium": 0.8, "fast": 0.3}  # seconds per position
CHANNELS_AT_ONCE = 6  # depthwise channels shown in detail
OUTPUTS_AT_ONCE = 8  # pointwise outputs shown in detail
_ROUND, _TICK = "_dw_play_round", "_dw_play_tick"  # see _play_key; time of the last step
_FINISHED = "_dw_play_finished"  # play has just reached the last position
_TOPS = "_dw_slider_tops"  # the largest value each position slider offered in its last run


def _play_key() -> str:
    """The Play toggle's key, new after every finished round.

    A timer tick sent just before the round ended still says "playing"; arriving after the
    end, it would switch a toggle with the same key back on. A new key leaves it nothing to
    switch."""
    return f"{PLAY}_{st.session_state.get(_ROUND, 0)}"


def _pixel() -> tuple[int, int]:
    """The position play or the last step-4 run reached (0, 0 before any)."""
    return st.session_state.get(PIXEL, (0, 0))


def _linked_index(text: str | None, size: int) -> int | None:
    """A link's row or column: a whole number inside the output, else None (as the slider's
    binding drops it)."""
    try:
        value = int(str(text))
    except ValueError:
        return None
    return value if 0 <= value < size else None


def linked_position(out_h: int, out_w: int) -> tuple[int, int] | None:
    """The output position the other steps mark: the one the address holds, inside this output.

    The row and column sliders' keys, where they are set (the sliders are drawn on step 4, and
    their values are kept for the session); otherwise the address itself (a link opened on
    step 1-3, where the bound sliders are not drawn yet, so Streamlit has not read it into the
    session), a missing row or column being 0 as the binding writes it, and a bad value ignored;
    otherwise the last step-4 position. None when nothing chose one."""
    ss = st.session_state
    if ss.get(ROW) is not None or ss.get(COL) is not None:
        r, c = int(ss.get(ROW) or 0), int(ss.get(COL) or 0)
    elif ROW in st.query_params or COL in st.query_params:
        r = _linked_index(st.query_params.get(ROW, "0"), out_h) or 0
        c = _linked_index(st.query_params.get(COL, "0"), out_w) or 0
    elif PIXEL in ss:
        r, c = ss[PIXEL]
    else:
        return None
    return min(max(r, 0), out_h - 1), min(max(c, 0), out_w - 1)


def position(out_h: int, out_w: int) -> tuple[int, int]:
    """The position other steps compute at: ``linked_position``, or (0, 0)."""
    return linked_position(out_h, out_w) or (0, 0)


def linked_marks(
    image_shape, kernel_size, stride, padding, output_shape, dilation=1, *, inputs=True
):
    """Step 4's position for another step's figures: ``(box, dot)`` marks.

    ``box`` outlines on an input channel what the output pixel sees, ``dot`` outlines the pixel
    on an output; a caption says where they come from (and mentions the inputs when the step
    shows them). ``(None, None)`` until the student has chosen a position in step 4.
    """
    (h, w), (out_h, out_w) = image_shape, output_shape
    linked = linked_position(out_h, out_w)
    if linked is None:
        return None, None
    r, c = linked
    f = receptive_field(
        r, c, kernel_size, stride=stride, padding=padding, dilation=dilation, height=h, width=w
    )
    patch = f"{f.bottom - f.top + 1}×{f.right - f.left + 1}"
    if dilation > 1:
        patch += f" (its kernel's taps are {dilation} pixels apart in it)"
    st.caption(
        f"Outlined: output pixel ({r}, {c}), chosen in step 4"
        + (f", and on each input the {patch} patch it sees." if inputs else ".")
    )
    return Marks(box=(f.top, f.left, f.bottom, f.right)), Marks(pixel=(r, c))


def _set(row: int, col: int) -> None:
    st.session_state[PIXEL] = (row, col)
    st.session_state[ROW], st.session_state[COL] = row, col


def _current(out_h: int, out_w: int, playing: bool) -> tuple[int, int]:
    """This run's position, inside the current output (settings may have shrunk it).

    While playing, ``PIXEL`` holds the position and the sliders are disabled: a timer tick sent
    while a run is still drawing carries the sliders' previous values, which would otherwise
    pull the position back. Otherwise the sliders' keys win (a slider, an arrow or a click
    wrote them).
    """
    ss = st.session_state
    if playing or ss.get(ROW) is None or ss.get(COL) is None:
        r, c = _pixel()
    else:
        r, c = ss[ROW], ss[COL]
    return min(max(int(r), 0), out_h - 1), min(max(int(c), 0), out_w - 1)


def _move(dr: int, dc: int, out_h: int, out_w: int) -> None:
    r, c = _current(out_h, out_w, playing=False)
    _set(min(max(r + dr, 0), out_h - 1), min(max(c + dc, 0), out_w - 1))


def _start_or_stop(out_h: int, out_w: int) -> None:
    """Play from the start when pressed at the last position; the first step waits a tick.
    Stopped, the sliders take the position play had reached (not a tick-old one)."""
    if st.session_state.get(_play_key()):
        r, c = _current(out_h, out_w, playing=False)
        _set(*((0, 0) if (r, c) == (out_h - 1, out_w - 1) else (r, c)))
        st.session_state[_TICK] = time.monotonic()
    else:
        _set(*_current(out_h, out_w, playing=True))


def _on_click(chart_key: str, to_position) -> None:
    """A click on an output heatmap moves the position to the clicked pixel (playing or not)."""
    points = st.session_state[chart_key].selection.get("points") or []
    for point in points:
        try:
            found = to_position(int(round(point["y"])), int(round(point["x"])))
        except (KeyError, TypeError, ValueError):
            continue
        if found is not None:
            _set(*found)
            return


def _advance(row: int, col: int, out_h: int, out_w: int, interval: float) -> tuple[int, int]:
    """One step in reading order per ``interval``; after the last pixel, stop playing."""
    now = time.monotonic()
    if now - st.session_state.get(_TICK, 0.0) < 0.8 * interval:
        return row, col  # a rerun for another reason (a click): do not skip ahead
    st.session_state[_TICK] = now
    index = row * out_w + col + 1
    if index < out_h * out_w:
        return divmod(index, out_w)
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    st.session_state[_FINISHED] = True  # the sliders may still say the position before the last
    st.rerun(scope="app")  # a full run draws a new toggle, off, and ends the timer


def inside_one_pixel(image, dk, pk, stages, *, stride, padding, dilation=1, tiny, shared) -> None:
    """Draw step 4: controls, the linked view, and the two dot products at one position."""
    depthwise, pointwise = stages["depthwise"], stages["pointwise"]
    out_h, out_w = depthwise.shape[:2]
    k, cin, m = dk.shape[0], dk.shape[2], dk.shape[3]
    n = cin * m
    st.markdown(
        f"Pick one output pixel and see every multiplication behind it. The depthwise stage lays "
        f"each channel's {k}×{k} kernel on a {k}×{k} patch of its input channel, multiplies cell "
        f"by cell and adds up: that sum **is** the depthwise output there. The pointwise stage "
        f"then multiplies the {n} depthwise values at that pixel by each output's {n} weights "
        "and adds up again."
    )
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    playing = c1.toggle(
        "Play",
        key=_play_key(),
        on_change=_start_or_stop,
        args=(out_h, out_w),
        help="Walk over every output position in reading order; it stops after the last one.",
    )
    speed = c2.select_slider(
        "Speed", list(SPEEDS), value="medium", key=SPEED, persist_state="session"
    )
    interval = SPEEDS[speed]

    @fragment(run_every=interval if playing else None)
    def body():
        if playing:
            row, col = _advance(*_current(out_h, out_w, True), out_h, out_w, interval)
            _set(row, col)  # the (disabled) sliders, and so the address, show where play is
        elif st.session_state.pop(_FINISHED, False):
            _set(*_current(out_h, out_w, True))  # not the sliders' lagging last tick
        row, col = _controls(out_h, out_w, playing)
        st.session_state[PIXEL] = (row, col)
        if playing:
            done = row * out_w + col + 1
            st.progress(
                done / (out_h * out_w),
                text=f"Output row {row}, column {col}: position {done} of {out_h * out_w}",
            )
        _pixel_detail(
            image, dk, pk, depthwise, pointwise, row, col,
            stride=stride, padding=padding, dilation=dilation, tiny=tiny, shared=shared,
        )  # fmt: skip

    body()


def _controls(out_h: int, out_w: int, playing: bool = False) -> tuple[int, int]:
    """The row and column sliders and the arrows (disabled while playing); returns the position
    they hold.

    The sliders are bound to the URL, so a link's position reaches them when they are drawn
    (not before); a position kept from a larger output is pulled inside this one first.

    That pull must reach the address too. A slider whose range changes is a new widget to
    Streamlit, which drops the address's old value (outside the new range) without writing the
    clamped one. So the run that clamps draws the slider with the range it had, where setting
    its value writes the address as an arrow does, then reruns to draw the new range (whose
    address value is now valid and kept)."""
    ss = st.session_state
    tops = ss.setdefault(_TOPS, {})
    a, b, c = st.columns([3, 3, 2], vertical_alignment="bottom")
    position = []
    redraw = False
    for box, key, label, size in ((a, ROW, "Output row", out_h), (b, COL, "Output column", out_w)):
        if size > 1:
            top = size - 1
            if ss.get(key) is not None and not 0 <= ss[key] < size:
                ss[key] = min(max(int(ss[key]), 0), size - 1)
                top = max(tops.get(key, top), top)
                redraw = redraw or top != size - 1
            tops[key] = top
            value = box.slider(
                label,
                0,
                top,
                key=key,
                disabled=playing,
                bind="query-params",
                persist_state="session",
            )
        else:
            value = 0
            box.caption(f"{label}: 0 (the output is 1 pixel {'tall' if key == ROW else 'wide'}).")
        position.append(int(value))
    if redraw:
        st.rerun()  # the clamped position is in the address: now draw the sliders' new range
    r, col = position
    arrows = c.container(horizontal=True)  # one row of four, on a phone too
    for label, name, (dr, dc), stop in zip(
        ("←", "↑", "↓", "→"),
        ("left", "up", "down", "right"),
        ((0, -1), (-1, 0), (1, 0), (0, 1)),
        (col == 0, r == 0, r == out_h - 1, col == out_w - 1),
        strict=True,
    ):
        arrows.button(
            label,
            key=f"dw4_{name}",
            disabled=stop or playing,
            on_click=_move,
            args=(dr, dc, out_h, out_w),
            help="Move the output position by one pixel.",
        )
    return r, col


def _pixel_detail(
    image, dk, pk, depthwise, pointwise, row, col, *, stride, padding, dilation, tiny, shared
):
    out_h, out_w, n = depthwise.shape
    k, cin, m = dk.shape[0], dk.shape[2], dk.shape[3]
    cout = pk.shape[1]
    # float64 for the explanation; the outputs shown beside it are the page's float32 ones
    geometry = dict(stride=stride, padding=padding, dilation=dilation)
    dw = depthwise_window(image.astype(np.float64), dk, row, col, **geometry)
    pw = pointwise_window(depthwise, pk, row, col)
    f = dw.field
    outside = int(dw.padding_mask.sum())
    st.markdown(
        f"Output pixel **({row}, {col})** of {out_h}×{out_w} sees input rows {f.top}…{f.bottom} "
        f"and columns {f.left}…{f.right} (stride {stride}: the patch moves {stride} pixel"
        f"{'s' if stride > 1 else ''} per output)"
        + (
            f"; with dilation {dilation} its {k}×{k} taps are {dilation} pixels apart in that "
            f"{f.bottom - f.top + 1}×{f.right - f.left + 1} field (rows "
            f"{', '.join(map(str, f.rows))}; columns {', '.join(map(str, f.cols))}), the pixels "
            "between are skipped"
            if dilation > 1
            else ""
        )
        + (f"; **{outside}** of its {k * k} taps are padding zeros." if outside else ".")
        + f"  \nMultiplications for this one pixel: depthwise {k}·{k} = {k * k} per channel × "
        f"{n} channels = **{fmt_int(k * k * n)}**; pointwise {n} per output × {cout} outputs = "
        f"**{fmt_int(n * cout)}**; **{fmt_int(k * k * n + n * cout)}** in all, against "
        f"{k}·{k}·{cin}·{cout} = {fmt_int(k * k * cin * cout)} for a normal convolution."
    )

    # Linked view: the receptive field on every input channel, the pixel on the outputs.
    names = channel_names(cin)
    box = Marks(box=(f.top, f.left, f.bottom, f.right))
    cols = st.columns(cin)
    for c in range(cin):
        fig = heatmap_figure(
            image[:, :, c],
            title=f"input {names[c]}",
            signed=False,
            zrange=(0, 1),
            annotate=False,  # the numbers under the rectangle are in the patches below
            height=330,
            showscale=False,
            marks=box,
        )
        if dilation > 1:
            fig = editable(fig)
            with_taps(fig, f.rows, f.cols)
        chart(cols[c], fig, key=f"dw4_in_{c}")
    o_first = _group_start("dw4_outputs", cout, OUTPUTS_AT_ONCE)
    dot = Marks(pixel=(row, col))
    tile_cols = min(n, 4)
    a, b = st.columns([2, 1])
    tiles, from_mosaic = _mosaic_position(out_h, out_w, n, tile_cols)
    mosaic_clicks = _clickable(
        a,
        mosaic_figure(
            depthwise,
            title="depthwise output",
            shared=shared,
            cols=tile_cols,
            labels=[f"channel {i}" for i in range(n)],
            height=330,
            marks=dot,
        ),
        "dw4_pick_dw",
        tiles,
        from_mosaic,
    )
    spacing = _clickable(
        b,
        heatmap_figure(
            pointwise[:, :, o_first],
            title=f"pointwise output {o_first}",
            annotate=tiny and max(out_h, out_w) <= 12,
            digits=2,
            height=330,
            showscale=False,
            marks=dot,
        ),
        "dw4_pick_pw",
        (out_h, out_w),
        _plane_position(out_h, out_w),
        sparse=True,
    )
    st.caption(
        f"The outlined rectangle on each input channel is what output pixel ({row}, {col}) "
        + ("sees; grey around an input is 'same' padding (zeros). " if outside else "sees. ")
        + _click_hint(mosaic_clicks, spacing)
        + " "
        + colourbar_note(True, shared)
    )

    st.subheader("Depthwise: patch ⊙ kernel, then Σ", divider="gray")
    first = _group_start("dw4_channels", n, CHANNELS_AT_ONCE)
    _group_slider("Depthwise channels shown", "dw4_channels", n, CHANNELS_AT_ONCE)
    # The colour switch holds here too: kernels (and products) share one range across channels.
    k_ranges = channel_ranges(np.moveaxis(dw.kernels, 0, -1), shared=shared)
    p_ranges = channel_ranges(np.moveaxis(dw.products, 0, -1), shared=shared)
    for i in range(first, min(first + CHANNELS_AT_ONCE, n)):
        c, mi = divmod(i, m)
        # A row that wraps: numbers keep a legible size, and the figures move down instead.
        p1 = p2 = p3 = p4 = st.container(horizontal=True, wrap=True, vertical_alignment="center")
        chart(
            p1,
            heatmap_figure(
                dw.patches[i],
                title=f"taps of {names[c]}" if dilation > 1 else f"patch of {names[c]}",
                signed=False,
                zrange=(0, 1),
                digits=2,
                showscale=False,
                marks=Marks(shaded=dw.padding_mask),
            ),
            key=f"dw4_patch_{i}",
        )
        chart(
            p2,
            heatmap_figure(
                dw.kernels[i],
                title=f"⊙ its kernel {mi}",
                zrange=k_ranges[i],
                digits=2,
                showscale=False,
            ),
            key=f"dw4_kernel_{i}",
        )
        chart(
            p3,
            heatmap_figure(
                dw.products[i],
                title="= products",
                zrange=p_ranges[i],
                digits=2,
                showscale=False,
            ),
            key=f"dw4_prod_{i}",
        )
        value = float(depthwise[row, col, i])
        p4.markdown(
            f"**Channel {i}**: Σ of the {k * k} products  \nΣ = **{dw.sums[i]:.4g}**  \n"
            f"Depthwise output at ({row}, {col}, {i}) = **{value:.4g}**  \n"
            + agreement(dw.products[i], value)
        )
    if outside:
        st.caption("Grey cells in a patch lie in the padding: their value is 0.")

    st.subheader("Pointwise: values · weights, then Σ", divider="gray")
    _group_slider("Pointwise outputs shown", "dw4_outputs", cout, OUTPUTS_AT_ONCE)
    last = min(o_first + OUTPUTS_AT_ONCE, cout)
    outs = slice(o_first, last)
    q1, q2, q3 = st.columns([1.4, 3, 3])
    height = 160 + 26 * n
    grids = [
        (q1, pw.values[:, None], "values", 3, "dw4_values"),
        (q2, pw.weights[:, outs], f"weights, outputs {o_first}–{last - 1}", 2, "dw4_weights"),
        (q3, pw.products[:, outs], "products (value × weight)", 2, "dw4_pw_products"),
    ]
    for where, values, title, digits, key in grids:
        fig = heatmap_figure(
            values, title=title, digits=digits, height=height, square=False, showscale=False
        )
        chart(where, fig, key=key)
    lines = [
        f"| output | Σ of the {n} products | pointwise output at ({row}, {col}) | |",
        "| ---: | ---: | ---: | :--- |",
    ]
    for o in range(o_first, last):
        value = float(pointwise[row, col, o])
        same = agreement(pw.products[:, o], value, short=True)
        lines.append(f"| {o} | {pw.sums[o]:.4g} | {value:.4g} | {same} |")
    st.markdown("\n".join(lines))
    st.caption(
        f"Rows are the {n} depthwise channels, columns the outputs: each output's Σ is its "
        "column of products added up."
    )


def agreement(products: np.ndarray, value: float, *, short: bool = False) -> str:
    """ "✓ the same number" when ``value`` (the float32 output) is the sum of ``products`` up to
    float32 rounding, whose size follows Σ|products| (large products that cancel leave more).
    When the printed digits differ, the sentence says why."""
    if not sum_matches(products, value):
        return "✗ they differ"
    total = float(np.sum(products))
    if f"{total:.4g}" == f"{value:.4g}":
        return "✓ the same number"
    size = float(np.abs(products).sum())
    if short:
        return f"✓ the same number, up to float32 rounding (Σ\\|products\\| = {size:.4g})"
    return (
        f"✓ the same number, up to float32 rounding: the products add up to ±{size:.4g} "
        "before they cancel, and float32 keeps about 7 significant digits of that."
    )


def _group_start(key: str, total: int, size: int) -> int:
    """First index of the group of ``size`` shown in detail, valid for ``total`` items.

    Read before the selector is drawn (the figures above it use it too); a group that no
    longer exists after a settings change falls back to the first one.
    """
    start = st.session_state.get(key, 0)
    if total <= size or start not in range(0, total, size):
        start = 0
        if key in st.session_state:
            st.session_state[key] = 0
    return start


def _group_slider(label: str, key: str, total: int, size: int) -> None:
    """A selector of groups of ``size`` (drawn only when there are more items than fit)."""
    if total > size:
        st.select_slider(
            label,
            list(range(0, total, size)),
            format_func=lambda s: f"{s}–{min(s + size, total) - 1}",
            key=key,
            bind="query-params",
            persist_state="session",
        )


def _clickable(where, fig, key: str, grid, to_position, *, sparse: bool = False) -> int:
    """Draw ``fig`` so that a click on one of its grid cells moves the position there.

    Returns the spacing of the clickable cells (1: every cell), or 0 when the grid is too
    large to click. ``sparse`` makes a grid of any size clickable, every few cells."""
    fig, spacing = clickable(fig, *grid, sparse=sparse)
    if spacing:
        on_select = partial(_on_click, key, to_position)
        chart(where, fig, key=key, on_select=on_select, selection_mode="points")
    else:
        chart(where, fig, key=key)
    return spacing


def _click_hint(mosaic_clicks: int, spacing: int) -> str:
    """What a click does at this size, said plainly (it is not the same at every size)."""
    where = "either output" if mosaic_clicks else "the pointwise output"
    hint = f"Click a pixel on {where} to move there"
    if spacing > 1:
        hint += (
            f"; at this size one pixel in {spacing} along each side takes clicks, so a click "
            f"lands within {spacing // 2} of the spot, and the arrows then move one pixel at a time"
        )
    if not mosaic_clicks:
        hint += "; the depthwise mosaic has too many cells to click at this size"
    return hint + "."


def _plane_position(out_h: int, out_w: int):
    def to_position(y: int, x: int):
        return (y, x) if 0 <= y < out_h and 0 <= x < out_w else None

    return to_position


def _mosaic_position(out_h: int, out_w: int, channels: int, cols: int):
    """Map a mosaic cell back to (row, col) in its tile, with the mosaic's own geometry."""
    tiles = display.mosaic(np.zeros((out_h, out_w, channels), np.float32), cols=cols)
    grid = tiles.values.shape

    def to_position(y: int, x: int):
        if not (0 <= y < tiles.values.shape[0] and 0 <= x < tiles.values.shape[1]):
            return None
        channel = tiles.channel_at(y, x)
        if channel is None:
            return None
        ty, tx = tiles.tile_origin(channel)
        return y - ty, x - tx

    return grid, to_position
