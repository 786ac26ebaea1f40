"""Separable Convolution Explorer: the entry point. It only routes and draws the shared sidebar.

Run with:  streamlit run app.py
"""

import streamlit as st

from ui import style, teacher
from ui.memory import tune_malloc
from ui.sidebar import sidebar_image
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
# Every widget that defines a view is bound to the address (bind="query-params"): the address
# bar is the share link, and a link opens the view it describes. The image controls come first
# in the sidebar, but are drawn after the teacher switch, which decides whether to offer uploads.
image_box = st.sidebar.container()
teaching = teacher.switch()
st.sidebar.caption(
    "**Share this view**: the address bar always holds this page's settings; copy it and "
    "whoever opens it sees the same view."
)
# Thirty students clicking at once take turns (ui/turns.py): the first reruns finish first, and
# only a few reruns' temporaries are in memory at a time.
with turn():
    st.session_state["chosen_image"] = sidebar_image(image_box, allow_upload=not teaching)
    page.run()
