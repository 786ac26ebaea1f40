"""Separable Convolution Explorer: the entry point. It only routes and draws the shared sidebar.

Run with:  streamlit run app.py
"""

import streamlit as st

from ui import share, style
from ui.memory import tune_malloc
from ui.state import sidebar_image
from ui.turns import turn

tune_malloc()  # once per process: freed images and figures go back to the system (ui/memory.py)

st.set_page_config(
    page_title="Separable Convolution Explorer",
    page_icon=":material/grid_on:",
    layout="wide",
)

# The page scripts live in app_pages/, not pages/: Streamlit still treats a folder named pages/
# as an old-style multipage app until st.navigation has run once, so a fresh server's first
# visitor to a shared link such as /depthwise would get the page without this sidebar.
PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("app_pages/spatial.py", title="Spatially separable", icon=":material/view_column:"),
    st.Page("app_pages/depthwise.py", title="Depthwise separable", icon=":material/layers:"),
    st.Page("app_pages/learned.py", title="Learned kernels", icon=":material/school:"),
    st.Page("app_pages/cost.py", title="Cost calculator", icon=":material/calculate:"),
    st.Page("app_pages/tinynet.py", title="Tiny MobileNet", icon=":material/neurology:"),
]

page = st.navigation(PAGES)
style.apply()  # phone layout
# A link's settings go into session state before any widget exists; the view goes back into
# the URL at the end (ui/share.py).
share.restore()
# Thirty students clicking at once take turns (ui/turns.py): the first reruns finish first, and
# only a few reruns' temporaries are in memory at a time.
with turn():
    st.session_state["chosen_image"] = sidebar_image()
    share.run_page(page)
share.publish(st.session_state["chosen_image"].is_upload)
