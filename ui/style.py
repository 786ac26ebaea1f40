"""Page-wide CSS: the layout on a phone. Constant strings only (see tests/test_security.py).

Streamlit stacks every ``st.columns`` one under another below 640 px, so on a phone the
depthwise page's controls filled 1.5 screens and step 4 was 8,700 px tall. Here columns sit
two to a row instead, and the title and gaps are smaller. A chart's toolbar (one button, the
PNG download, see ``ui.figures.chart``) is hidden on a phone: in a narrow chart it covered the
title's end, and a phone takes screenshots anyway. A page of wide charts (Tiny MobileNet) puts
its columns one under another instead (``stack_columns_on_phone``).
"""

from __future__ import annotations

import streamlit as st

PHONE_CSS = """<style>
@media (max-width: 640px) {
  [data-testid="stMain"] .block-container { padding: 2.5rem 0.75rem 3rem; }
  [data-testid="stMain"] h1 { font-size: 1.9rem; }
  [data-testid="stMain"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  [data-testid="stMain"] [data-testid="stColumn"] {
    min-width: calc(50% - 0.5rem) !important;
    flex: 1 1 calc(50% - 0.5rem) !important;
  }
  [data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
  [data-testid="stMain"] .js-plotly-plot .modebar-container { display: none !important; }
}
</style>"""
# Drawn after PHONE_CSS, so it wins: every column takes the phone's whole width.
STACKED_CSS = """<style>
@media (max-width: 640px) {
  [data-testid="stMain"] [data-testid="stColumn"] {
    min-width: 100% !important;
    flex: 1 1 100% !important;
  }
}
</style>"""


def apply() -> None:
    """Inject the page-wide CSS; call once per run, before the page."""
    st.html(PHONE_CSS)


def stack_columns_on_phone() -> None:
    """On a phone, this page's columns go one under another (for pages of wide charts)."""
    st.html(STACKED_CSS)
