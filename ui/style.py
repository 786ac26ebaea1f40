"""Page-wide CSS: the layout on a phone. Constant strings only (see tests/test_security.py).

Streamlit stacks every ``st.columns`` one under another below 640 px, so on a phone the
depthwise page's controls filled 1.5 screens and step 4 was 8,700 px tall. Here columns sit
two to a row instead, the title and gaps are smaller, and a chart's toolbar (one button, see
``ui.figures.chart``) sits beside the title rather than on it.
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
  [data-testid="stMain"] .js-plotly-plot .modebar-container { top: -4px !important; }
}
</style>"""


def apply() -> None:
    """Inject the page-wide CSS; call once per run, before the page."""
    st.html(PHONE_CSS)
