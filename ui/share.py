"""Shareable lessons: the state of every page lives in the URL's query string.

``restore()`` runs at the top of each run, before any widget exists: when the URL is new (a
fresh session, a pasted link, the browser's Back button), it copies the link's valid values into
``st.session_state`` under the widgets' keys, so the widgets start from them. ``publish()`` runs
at the end: it writes the value of every shareable widget drawn in this run that differs from
its default back into ``st.query_params``, and draws the link in the sidebar. Pages need no
changes: a widget takes part as soon as its key is in ``SCHEMA``.

``?teacher=1`` (or the sidebar toggle) is teacher mode: larger type for a projector, and no
upload box.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import streamlit as st
from streamlit.errors import StreamlitValueAboveMaxError, StreamlitValueBelowMinError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sepconv_core import kernels
from sepconv_core.parse import format_kernel
from sepconv_core.tasks import TASKS
from ui.state import DEFAULT_WORKING_SIZE, SAMPLES, WORKING_SIZES, available_samples

TEACHER = "teacher"  # the session-state key and the URL parameter of teacher mode
_SEEN = "_share_seen"  # the shareable query parameters as last applied or written
_APPLIED = "_share_applied"  # keys this run took from a new link
_DROP = "_share_drop"  # linked keys that did not fit the view, to reset on the next run
_WARNING = "_share_warning"


@dataclass(frozen=True)
class Field:
    """How one widget key travels in a link."""

    parse: Callable[[str], Any]  # URL text -> widget value; ValueError when it is not usable
    show: Callable[[Any], str | None]  # widget value -> URL text; None when it cannot travel
    default: Any  # the widget's own default (a link omits it); a callable of session state
    expects: str  # what a usable value looks like, for the warning sentence
    bounded: bool = False  # the widget's range depends on the view (image size, other settings)

    def default_in(self, state: Mapping) -> Any:
        return self.default(state) if callable(self.default) else self.default


def _integer(lo: int, hi: int, default, *, bounded: bool = False) -> Field:
    def parse(text: str) -> int:
        text = text.strip()
        if not (text.lstrip("-").isdigit() and len(text) <= 6) or not lo <= int(text) <= hi:
            raise ValueError(text)
        return int(text)

    return Field(parse, str, default, f"a whole number from {lo} to {hi}", bounded)


def _choice(options, default) -> Field:
    """One of ``options``: a list of values (written as they are) or a dict {URL word: value}.

    ``options`` may be a function returning them, for lists only known at run time."""

    def table() -> dict[str, Any]:
        opts = options() if callable(options) else options
        return dict(opts) if isinstance(opts, Mapping) else {str(v): v for v in opts}

    def parse(text: str) -> Any:
        if text not in table():
            raise ValueError(text)
        return table()[text]

    def show(value: Any) -> str | None:
        return next((word for word, v in table().items() if v == value), None)

    words = [] if callable(options) else list(table())  # run-time lists are not read on import
    expects = "one of " + ", ".join(words) if 0 < len(words) <= 8 else "a name from the list"
    return Field(parse, show, default, expects)


def _text(cap: int, default: str) -> Field:
    def parse(text: str) -> str:
        if len(text) > cap:
            raise ValueError(text[:20])
        return text

    def show(value: Any) -> str | None:
        return str(value) if len(str(value)) <= cap else None

    return Field(parse, show, default, f"at most {cap} characters")


def _flag(default: bool = False) -> Field:
    words = {"1": True, "true": True, "0": False, "false": False}

    def parse(text: str) -> bool:
        if text.lower() not in words:
            raise ValueError(text)
        return words[text.lower()]

    return Field(parse, lambda v: "1" if v else "0", default, "1 or 0")


def _learned_names() -> list[str]:
    from ui.training import shipped_kernels

    return list(shipped_kernels())


def _preset_size(state: Mapping) -> int | None:
    preset = kernels.PRESETS.get(state.get("sp_preset", "sobel_x"))
    return preset.default_size if preset else None


# The words a link uses for long option labels. They must match the labels on the pages
# (tests/test_share.py checks every one against the widgets' options).
_SOURCES = {
    "preset": "Preset",
    "learned": "Learned",
    "random": "Random (seeded)",
    "typed": "Type your own",
}
_COLOURS = {"shared": "shared by all channels", "channel": "per channel"}
_PADDING = ["valid", "same"]
_FIRST_SAMPLE = next(iter(available_samples()), None)  # what ui/state.py starts from

SCHEMA: dict[str, Field] = {
    # The sidebar, on every page. An upload has no word, so a link carries the first sample.
    "image_choice": _choice({Path(f).stem: n for n, f in SAMPLES.items()}, _FIRST_SAMPLE),
    "work_size": _choice(WORKING_SIZES, DEFAULT_WORKING_SIZE),
    TEACHER: _flag(),
    # Spatially separable (ui.widgets.kernel_picker with prefix "sp", stride_padding).
    "sp_source": _choice(_SOURCES, "Preset"),
    "sp_preset": _choice(list(kernels.PRESETS), "sobel_x"),
    "sp_size": _integer(1, 15, _preset_size),
    "sp_learned": _choice(_learned_names, lambda s: _learned_names()[0]),
    "sp_rsize": _integer(1, 7, 3),
    "sp_seed": _integer(0, 10_000, 0),
    "sp_rank1": _flag(),
    "sp_text": _text(1500, format_kernel(kernels.get_kernel("sobel_x"))),
    "sp_stride": _integer(1, 4, 1),
    "sp_padding": _choice(_PADDING, "valid"),
    "sp_flip": _flag(),
    "sp_rank_r": _integer(1, 15, 1, bounded=True),  # at most the kernel's smaller side
    # Depthwise separable: its widgets are bound to the URL themselves (bind="query-params")
    # except the colour range, drawn by ui.widgets.colour_mode.
    "dw_colours": _choice(_COLOURS, _COLOURS["shared"]),
    # Cost calculator.
    "cost_h": _integer(1, 4096, 12),
    "cost_w": _integer(1, 4096, 12),
    "cost_cin": _integer(1, 4096, 3),
    "cost_cout": _integer(1, 4096, 256),
    "cost_padding": _choice(_PADDING, "valid"),
    "cost_k": _integer(1, 15, 5),
    "cost_stride": _integer(1, 8, 1),
    "cost_m": _integer(1, 8, 1),
    "cost_quiz": _flag(),
    "mb_alpha": _choice([0.25, 0.5, 0.75, 1.0], 1.0),
    "mb_res": _choice([128, 160, 192, 224], 224),
    # Learned kernels.
    "ln_task": _choice(list(TASKS), next(iter(TASKS))),
    "ln_k": _choice([1, 3, 5], 3),
    "ln_steps": _choice([50, 100, 200, 300, 500, 1000], 300),
    "ln_side": _choice([32, 48, 64], 48),
}

# Teacher mode: a constant stylesheet (never user text) that enlarges the page's type for a
# projector. The sidebar keeps its size so the navigation still fits.
TEACHER_CSS = """<style>
[data-testid="stMain"] :is([data-testid="stMarkdown"], [data-testid="stAlert"]) :is(p, li) {
  font-size: 1.35rem;
}
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.1rem; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 3rem; }
[data-testid="stMain"] h1 { font-size: 3.2rem; }
[data-testid="stMain"] :is(h2, h3) { font-size: 2.2rem; }
</style>"""


def teacher_mode() -> bool:
    return bool(st.session_state.get(TEACHER, False))


def _linked() -> dict[str, str]:
    """The shareable parameters in the URL as it is now."""
    return {k: v for k, v in st.query_params.to_dict().items() if k in SCHEMA}


def restore() -> None:
    """Copy a new link's valid values into session state. Call before any widget is drawn."""
    ss = st.session_state
    for key in ss.pop(_DROP, ()):
        ss.pop(key, None)
    ss[_APPLIED] = []
    linked = _linked()
    if linked != ss.get(_SEEN):
        ss[_SEEN] = linked
        bad = []
        for key, text in linked.items():
            try:
                ss[key] = SCHEMA[key].parse(text)
                ss[_APPLIED].append(key)
            except ValueError:
                bad.append(f"{key} ({SCHEMA[key].expects})")
        if bad:
            ss[_WARNING] = (
                "This link has settings that cannot be used, so their defaults apply: "
                + "; ".join(bad)
                + "."
            )
    if ss.get(_WARNING):
        st.warning(ss.pop(_WARNING))
    if teacher_mode():
        st.html(TEACHER_CSS)


def run_page(page) -> None:
    """``page.run()``; a linked value that does not fit this view (a position beyond the edge of
    a different image, say) falls back to its default with a warning instead of an exception."""
    try:
        page.run()
    except (StreamlitValueAboveMaxError, StreamlitValueBelowMinError):
        misfits = [k for k in st.session_state.get(_APPLIED, ()) if SCHEMA[k].bounded]
        if not misfits:
            raise
        st.session_state[_DROP] = misfits
        st.session_state[_WARNING] = (
            f"This link's {', '.join(misfits)} did not fit this view, so the defaults apply."
        )
        st.rerun()


def _drawn_keys():
    """The keys of the widgets drawn so far in this run, or None if Streamlit does not say.

    Streamlit keeps them to refuse duplicate keys; it is not a public API, so when it is missing
    every shareable key in session state counts as drawn (links get longer, not wrong).
    """
    ctx = get_script_run_ctx()
    return getattr(getattr(ctx, "shared", None), "widget_user_keys_this_run", None)


def sync_url() -> dict[str, str]:
    """Write the shareable widgets drawn in this run into the URL; return the link's parameters.

    A widget is written when its value differs from its default. After a full run the link holds
    exactly the drawn widgets; a fragment that reruns alone may call this too, and then only the
    fragment's widgets change in the link.
    """
    drawn = _drawn_keys()
    ss = st.session_state
    linked = _linked()
    in_fragment = bool(getattr(get_script_run_ctx(), "fragment_ids_this_run", None))
    params = dict(linked) if in_fragment else {}
    for key, field in SCHEMA.items():
        if key not in ss or (drawn is not None and key not in drawn):
            continue
        value = ss[key]
        text = field.show(value)
        if text is None or value == field.default_in(ss):
            params.pop(key, None)
        else:
            params[key] = text
    # One key at a time: the parameters of widgets bound to the URL (bind="query-params") are
    # Streamlit's own and may not be set from here.
    for key in linked.keys() - params.keys():
        del st.query_params[key]
    for key, text in params.items():
        if linked.get(key) != text:
            st.query_params[key] = text
    ss[_SEEN] = params
    return params


def publish(is_upload: bool) -> None:
    """Write this view into the URL; draw the link and the teacher toggle in the sidebar."""
    sb = st.sidebar
    sb.subheader("Share this view")
    link_box = sb.container()
    sb.toggle(
        "Teacher mode",
        key=TEACHER,
        help="Larger type for a projector, and no upload box. The link says so too (teacher=1).",
    )
    params = sync_url()
    query = "?" + urlencode(params, quote_via=quote) if params else ""
    base = st.context.url
    with link_box:
        if base:
            st.code(base + query, language=None, wrap_lines=True)
            st.caption("This link opens this exact view (copy button at its top right).")
        else:
            st.code(query or "?", language=None, wrap_lines=True)
            st.caption("Add this to the app's address to open this exact view.")
        if is_upload:
            st.caption(
                "Links share settings, not your photo: whoever opens this one sees the sample "
                f"“{_FIRST_SAMPLE}” instead."
            )
