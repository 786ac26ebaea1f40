"""Teacher mode: larger type for a projector, and no upload box.

The sidebar switch is bound to the address (``?teacher=true``), so a teacher's link opens in
teacher mode and the mode survives a page switch. ``?teacher=1``, quicker to type, works too;
the address says ``teacher=true`` from the next full run on (a page switch, a change in the
sidebar; a click inside a fragment, such as a depthwise step, does not rerun the switch).
"""

from __future__ import annotations

from numbers import Integral

import streamlit as st

KEY = "teacher"  # the switch's key, and so its name in the address
_FROM_SHORT_LINK = "_teacher_from_short_link"

# A constant stylesheet (never user text) that enlarges the page's type for a projector. The
# sidebar keeps its size so the navigation still fits.
CSS = """<style>
[data-testid="stMain"] :is([data-testid="stMarkdown"], [data-testid="stAlert"]) :is(p, li, td, th) {
  font-size: 1.35rem;
}
[data-testid="stMain"] [data-testid="stTable"] :is(td, th) { font-size: 1.35rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.1rem; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 3rem; }
[data-testid="stMain"] h1 { font-size: 3.2rem; }
[data-testid="stMain"] :is(h2, h3) { font-size: 2.2rem; }
</style>"""


def table(rows: list[dict], *, numbers: tuple[str, ...] = (), where=st, key: str | None = None):
    """Show ``rows`` (dicts, one per row) as a table; columns in ``numbers`` are whole numbers
    written with thousands separators.

    Normally a ``st.dataframe`` (sortable, scrolls); in teacher mode a plain ``st.table``, whose
    text the teacher stylesheet enlarges: a dataframe is drawn on a canvas that no stylesheet
    reaches, so its numbers would stay small on the projector."""
    if st.session_state.get(KEY):
        return where.table(
            [
                {
                    c: f"{v:,}" if c in numbers and isinstance(v, Integral) else v
                    for c, v in r.items()
                }
                for r in rows
            ],
            hide_index=True,
        )
    return where.dataframe(
        rows,
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="localized") for c in numbers},
        key=key,
    )


def switch() -> bool:
    """Draw the teacher-mode switch in the sidebar, apply the mode, and return whether it is on.

    Call it before anything that depends on the mode (the upload box)."""
    ss = st.session_state
    # Streamlit binds a switch to "true"/"false" and drops anything else from the address, so
    # "1" is turned on here. Streamlit writes a value set in code into the address only once
    # the switch has been drawn in an earlier run: so it is set again on the next run.
    short = st.query_params.get(KEY) == "1"
    if short or (ss.pop(_FROM_SHORT_LINK, False) and ss.get(KEY)):  # unless switched off since
        ss[KEY] = True
        ss[_FROM_SHORT_LINK] = short
    on = st.sidebar.toggle(
        "Teacher mode",
        key=KEY,
        bind="query-params",
        persist_state="session",
        help="Larger type for a projector, and no upload box. The address says so too "
        "(teacher=true), so a link opens in teacher mode.",
    )
    if on:
        st.html(CSS)
    return on
