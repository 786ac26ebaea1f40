"""Views that travel and stay: the address bar is the share link, and settings survive a page
switch (Streamlit's ``bind="query-params"`` and ``persist_state="session"``).

AppTest opens links (its query parameters are the address a fresh session starts from) and
switches pages in one session. It does not play the browser's part of the binding (writing the
address as widgets change), so the address itself is checked in Chromium, at the bottom.
The expected numbers are worked out by hand in each docstring.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
STEP_4 = "4 · Inside one output pixel"
# Widgets that are not part of a view: answers to questions, the animation, a reading speed, and
# which group of channels step 4 details (read before its selector is drawn, so a link could not
# set it in time). Every other widget must be bound to the address.
UNBOUND = re.compile(r"^(.*_q_.*_answer|dw_play_\d+|dw_speed|dw4_channels|dw4_outputs)$")
KINDS = ("radio", "selectbox", "select_slider", "slider", "number_input", "toggle", "checkbox")
KINDS += ("text_area", "text_input")


def _open(page: str, link: dict[str, str] | None = None) -> AppTest:
    """A fresh session opened on ``page`` through a link with the query parameters ``link``."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (link or {}).items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [f"{m.label} {m.value}" for m in at.metric]
    parts += [c.value for c in at.caption] + [c.value for c in at.sidebar.caption]
    return "\n".join(str(p) for p in parts)


def _ok(at: AppTest) -> None:
    """No exception, and nothing complains: a link's bad values are dropped silently."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]
    assert not at.error, [e.value for e in at.error]


def _widgets(at: AppTest) -> dict:
    return {w.key: w for kind in KINDS for w in at.get(kind) if w.key}


# ---------------------------------------------------------------- links open the view they say


def test_a_cost_link_opens_its_numbers():
    """Cout 64, k 3 on 12x12x3 'valid': 10x10 positions, normal 3*3*3*64*100 = 172,800, separable
    3*3*3*100 + 3*64*100 = 21,900. MobileNet 0.5 at 224: 149 M mult-adds (Howard et al., 2017)."""
    at = _open("app_pages/cost.py", {"cost_cout": "64", "cost_k": "3", "mb_alpha": "0.5"})
    _ok(at)
    assert at.number_input(key="cost_cout").value == 64
    assert at.number_input(key="cost_k").value == 3
    assert at.number_input(key="cost_h").value == 12, "what the link does not say is the default"
    assert at.select_slider(key="mb_alpha").value == 0.5
    text = _text(at)
    for number in ("172,800", "21,900", "149 M"):
        assert number in text
    at.number_input(key="cost_cout").set_value(32).run()
    at.run()
    assert at.number_input(key="cost_cout").value == 32, "a link is applied once, not per run"


def test_a_depthwise_link_opens_its_step():
    """Step 2 with k 3, Cout 8 on the tiny 12x12x3 input, 'valid': 10x10 positions, depthwise
    3*3*3*100 = 2,700 plus pointwise 3*8*100 = 2,400: 5,100 multiplications so far."""
    link = {"dw_k": "3", "dw_cout_tiny": "8", "dw_step": "2 · Pointwise"}
    at = _open("app_pages/depthwise.py", link)
    _ok(at)
    assert at.radio(key="dw_step").value == "2 · Pointwise"
    assert at.slider(key="dw_k").value == 3
    assert "Multiplications so far: **5,100**" in _text(at)


def test_a_step_4_link_opens_its_pixel():
    """Tiny input, k 5, 'valid': 8x8 outputs. Pixel (5, 2) sees input rows 5..9, columns 2..6."""
    link = {"dw_step": STEP_4, "dw_row": "5", "dw_col": "2"}
    at = _open("app_pages/depthwise.py", link)
    _ok(at)
    assert (at.slider(key="dw_row").value, at.slider(key="dw_col").value) == (5, 2)
    assert "Output pixel **(5, 2)** of 8×8 sees input rows 5…9 and columns 2…6" in _text(at)


def _kernel_figure(at: AppTest) -> np.ndarray:
    """The z values of the spatial page's kernel heatmap, as sent to the browser."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("sp_kernel"))
    z = json.loads(chart.proto.spec)["data"][0]["z"]
    if isinstance(z, dict):
        shape = [int(n) for n in str(z["shape"]).split(",")]
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    return np.array(z, dtype=float)


def test_a_spatial_link_opens_the_same_random_kernel():
    """A seeded separable random 5x5 kernel, stride 2: the link's session draws the same numbers
    as a session that chose them by hand, says rank 1, and counts 5 + 5 = 10 multiplications per
    pixel against 5 * 5 = 25."""
    by_hand = _open("app_pages/spatial.py")
    by_hand.radio(key="sp_source").set_value("Random (seeded)").run()
    by_hand.slider(key="sp_rsize").set_value(5)
    by_hand.number_input(key="sp_seed").set_value(7)
    by_hand.checkbox(key="sp_rank1").check().run()
    link = {
        "sp_source": "Random (seeded)",
        "sp_rsize": "5",
        "sp_seed": "7",
        "sp_rank1": "true",
        "sp_stride": "2",
    }
    at = _open("app_pages/spatial.py", link)
    _ok(at)
    z = _kernel_figure(at)
    assert z.shape == (5, 5)
    assert np.linalg.matrix_rank(z) == 1
    np.testing.assert_array_equal(z, _kernel_figure(by_hand))
    text = _text(at)
    assert "Rank **1**" in text
    assert "Multiplications per pixel, 2-D 25" in text
    assert "… column then row 10" in text


def test_a_typed_kernel_travels_as_typed():
    """[[1, 2, 1], [2, 4, 2], [1, 2, 1]] is [1, 2, 1]ᵀ · [1, 2, 1], rank 1; the line breaks stay."""
    typed = "1 2 1\n2 4 2\n1 2 1"
    at = _open("app_pages/spatial.py", {"sp_source": "Type your own", "sp_text": typed})
    _ok(at)
    assert at.text_area(key="sp_text").value == typed
    np.testing.assert_array_equal(_kernel_figure(at), [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert "Rank **1**" in _text(at)


def test_the_sidebar_and_the_learned_page_travel_together():
    """Coffee (400x600) at working size 64 is 43 x 64."""
    link = {
        "image_choice": "Coffee (colourful photo)",
        "work_size": "64",
        "ln_task": "Blur",
        "ln_k": "5",
        "ln_steps": "100",
        "ln_side": "32",
    }
    at = _open("app_pages/learned.py", link)
    _ok(at)
    assert at.selectbox(key="ln_task").value == "blur"
    values = [at.select_slider(key=k).value for k in ("ln_k", "ln_steps", "ln_side")]
    assert values == [5, 100, 32]
    assert at.selectbox(key="image_choice").value == "Coffee (colourful photo)"
    assert "Working image: 43 × 64 × 3" in _text(at)


def _shown(widget) -> str:
    """The widget's value as the browser writes it into the address: a choice by its label,
    a switch as true/false, a number as its digits."""
    if widget.type in ("radio", "selectbox"):
        return widget.options[widget.index]
    if widget.type == "select_slider":
        return str(widget.format_func(widget.value))
    if widget.type in ("toggle", "checkbox"):
        return "true" if widget.value else "false"
    return str(widget.value)


def _another(widget) -> str | None:
    """The address's text for a value other than the widget's current one (None: it has no
    other)."""
    if widget.type in ("radio", "selectbox", "select_slider"):
        return next((o for o in widget.options if o != _shown(widget)), None)
    if widget.type in ("slider", "number_input"):
        value, lo, hi = int(widget.value), widget.proto.min, widget.proto.max
        return str(value + 1) if value + 1 <= hi else (str(value - 1) if value > lo else None)
    if widget.type in ("toggle", "checkbox"):
        return "false" if widget.value else "true"
    return "2 0\n0 1"


VIEWS = [
    ("app_pages/cost.py", {}),
    ("app_pages/cost.py", {"cost_quiz": "true"}),
    ("app_pages/learned.py", {}),
    ("app_pages/spatial.py", {}),
    ("app_pages/spatial.py", {"sp_preset": "Laplacian"}),  # rank 3: the rank-r slider
    ("app_pages/spatial.py", {"sp_source": "Random (seeded)"}),
    ("app_pages/spatial.py", {"sp_source": "Learned"}),
    ("app_pages/spatial.py", {"sp_source": "Type your own"}),
    ("app_pages/depthwise.py", {}),
    ("app_pages/depthwise.py", {"dw_step": "3 · Same as a normal convolution?"}),
    ("app_pages/depthwise.py", {"dw_step": STEP_4, "dw_input": "Working size (sidebar)"}),
    ("app_pages/depthwise.py", {"dw_step": STEP_4, "dw_family": "Learned"}),
    ("app_pages/tinynet.py", {}),
]


@pytest.mark.parametrize(
    ("page", "base"), VIEWS, ids=[p[10:-3] + "".join(f"-{v}" for v in b.values()) for p, b in VIEWS]
)
def test_every_setting_of_a_view_travels_in_a_link(page, base):
    """Every widget on the page (but the few in UNBOUND) is bound to the address under its key,
    and a link that changes only that setting opens with it changed: so a widget added without
    ``bind="query-params"``, or one whose options a link cannot name, fails here."""
    at = _open(page, base)
    _ok(at)
    widgets = {k: w for k, w in _widgets(at).items() if not UNBOUND.match(k)}
    assert widgets, "the view has settings"
    for key, widget in widgets.items():
        assert widget.proto.query_param_key == key, f"{key} is not bound to the address"
        if key in base or (text := _another(widget)) is None:
            continue
        linked = _open(page, {**base, key: text})
        _ok(linked)
        assert _shown(_widgets(linked)[key]) == text, (key, text)


# ----------------------------------------------------------------------- bad links are ignored

# Nonsense in every setting of the cost page and the sidebar, and one parameter that is no setting.
BAD_LINK = {
    "cost_k": "abc",
    "cost_cout": "99999",
    "cost_padding": "mirror",
    "teacher": "maybe",
    "image_choice": "../../etc/passwd",
    "cost_h": "twelve",
    "cost_quiz": "",
    "unrelated": "kept",
}


def test_bad_values_in_a_link_are_ignored_without_a_word():
    """Words, out-of-range numbers, unknown choices and a pixel beyond the output are dropped
    (Streamlit's binding); the page shows the classic example's defaults (1,228,800 and 53,952),
    no exception and no warning, and leaves parameters that are not settings alone."""
    at = _open("app_pages/cost.py", BAD_LINK | {"work_size": "100"})
    _ok(at)
    assert "passwd" not in _text(at), "the link's text is not echoed"
    text = _text(at)
    assert "1,228,800" in text and "53,952" in text
    assert at.number_input(key="cost_k").value == 5
    assert at.number_input(key="cost_cout").value == 256
    assert at.radio(key="cost_padding").value == "valid"
    assert at.toggle(key="teacher").value is False
    assert at.select_slider(key="work_size").value == 128
    assert dict(at.query_params) == {"unrelated": "kept"}, "the bad values leave the address"
    at.run()
    _ok(at)


def test_a_pixel_beyond_the_output_falls_back_to_the_first():
    """An 8x8 output has no row 40; a negative column is no column. Both fall back to 0."""
    at = _open("app_pages/depthwise.py", {"dw_step": STEP_4, "dw_row": "40", "dw_col": "-3"})
    _ok(at)
    assert (at.slider(key="dw_row").value, at.slider(key="dw_col").value) == (0, 0)
    assert "Output pixel **(0, 0)** of 8×8" in _text(at)


def test_a_rank_beyond_the_kernel_falls_back():
    """The Laplacian is 3x3, so its SVD has 3 terms: a link asking for 9 gets the default, 1."""
    at = _open("app_pages/spatial.py", {"sp_preset": "Laplacian", "sp_rank_r": "9"})
    _ok(at)
    assert at.slider(key="sp_rank_r").value == 1


# ----------------------------------------------------------- settings survive a page switch


def test_settings_survive_a_visit_to_the_overview():
    """The three views of the classroom trial: spatial preset and padding, depthwise step and
    input, cost Cout. Each is set, the student reads the Overview, comes back: all still there,
    and the numbers follow (Cout 64 on 12x12x3, k 5, 'valid': 5*5*3*64*64 = 307,200)."""
    at = _open("app_pages/spatial.py")
    at.selectbox(key="sp_preset").set_value("gaussian")
    at.radio(key="sp_padding").set_value("same").run()
    at.switch_page("app_pages/depthwise.py").run()
    at.radio(key="dw_input").set_value("Working size (sidebar)")
    at.radio(key="dw_step").set_value("2 · Pointwise").run()
    at.switch_page("app_pages/cost.py").run()
    at.number_input(key="cost_cout").set_value(64).run()
    for page in ("spatial", "depthwise", "cost"):
        at.switch_page("app_pages/overview.py").run()
        at.switch_page(f"app_pages/{page}.py").run()
        _ok(at)
        if page == "spatial":
            assert at.selectbox(key="sp_preset").value == "gaussian"
            assert at.radio(key="sp_padding").value == "same"
        elif page == "depthwise":
            assert at.radio(key="dw_input").value == "Working size (sidebar)"
            assert at.radio(key="dw_step").value == "2 · Pointwise"
        else:
            assert at.number_input(key="cost_cout").value == 64
            assert "307,200" in _text(at)


def test_the_step_4_pixel_survives_other_steps_and_pages():
    """Pixel (6, 1) chosen with the arrows from (5, 2) stays through step 1 and the Overview."""
    at = _open("app_pages/depthwise.py", {"dw_step": STEP_4, "dw_row": "5", "dw_col": "2"})
    at.button(key="dw4_down").click().run()
    at.button(key="dw4_left").click().run()
    assert "Output pixel **(6, 1)**" in _text(at)
    at.radio(key="dw_step").set_value("1 · Depthwise").run()
    at.switch_page("app_pages/overview.py").run()
    at.switch_page("app_pages/depthwise.py").run()
    at.radio(key="dw_step").set_value(STEP_4).run()
    _ok(at)
    assert "Output pixel **(6, 1)**" in _text(at)


# ------------------------------------------------------------------------------ teacher mode


@pytest.mark.parametrize("word", ["true", "1"])
def test_teacher_link_hides_the_uploader_and_the_switch_turns_it_off(word):
    """?teacher=true (what the switch writes) and ?teacher=1 (quicker to type) draw no upload
    box; the sidebar switch turns teacher mode off and the upload box comes back."""
    assert len(_open("app_pages/depthwise.py").get("file_uploader")) == 1
    at = _open("app_pages/depthwise.py", {"teacher": word})
    _ok(at)
    assert len(at.get("file_uploader")) == 0
    assert at.toggle(key="teacher").value is True
    at.switch_page("app_pages/cost.py").run()
    assert at.toggle(key="teacher").value is True, "the mode stays on the next page"
    assert len(at.get("file_uploader")) == 0
    at.toggle(key="teacher").set_value(False).run()
    assert len(at.get("file_uploader")) == 1
    at = _open("app_pages/depthwise.py", {"teacher": word})
    at.toggle(key="teacher").set_value(False).run()
    assert at.toggle(key="teacher").value is False, "switched off at once, it stays off"
    assert len(at.get("file_uploader")) == 1


def test_an_upload_does_not_travel_and_the_sidebar_says_so():
    """With an upload chosen the sidebar says that links share settings, not the photo; a link
    naming the upload opens the first sample."""
    at = AppTest.from_file(APP, default_timeout=60)
    pixels = np.full((40, 60, 3), 128, dtype=np.uint8)
    at.session_state["upload"] = {"digest": "0" * 64, "name": "mine.png", "pixels": pixels}
    at.session_state["image_choice"] = "Your upload"
    at.switch_page("app_pages/cost.py").run()
    assert not at.exception
    assert at.selectbox(key="image_choice").value == "Your upload"
    assert "Links share settings, not your photo" in _text(at)
    fresh = _open("app_pages/cost.py", {"image_choice": "Your upload"})
    _ok(fresh)
    assert fresh.selectbox(key="image_choice").value == "Astronaut (colourful photo)"


# ---------------------------------------------------------------------- the address, in Chromium


def _address(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def _go(page, url: str) -> None:
    from test_browser import settle

    page.goto(url)
    page.wait_for_selector("h1")
    settle(page)


def _nav(page, title: str) -> None:
    from test_browser import settle

    page.locator("[data-testid=stSidebarNav]").get_by_text(title, exact=True).click()
    settle(page)


def _no_error(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0
    assert page.locator("[data-testid=stAlertContentWarning]").count() == 0


@pytest.mark.browser
def test_browser_settings_survive_a_visit_to_the_overview(page, app_url):
    """The classroom trial's complaint, in the browser: spatial preset and padding, depthwise
    step and input, cost Cout are set; after the Overview each page shows them again and the
    address holds them again (and held only the Overview's on the Overview)."""
    from test_browser import settle

    _go(page, f"{app_url}/spatial")
    page.get_by_role("combobox", name="Preset").click()
    page.get_by_role("option", name="Gaussian blur").click()
    settle(page)
    page.locator(".st-key-sp_padding").get_by_text("same").click()
    settle(page)
    assert _address(page) == {"sp_preset": "Gaussian blur", "sp_padding": "same"}
    _nav(page, "Overview")
    assert _address(page) == {}, "the Overview's address holds no other page's settings"
    _nav(page, "Spatially separable")
    assert page.get_by_role("combobox", name="Preset").input_value() == "Gaussian blur"
    assert page.locator(".st-key-sp_padding input[type=radio]").nth(1).is_checked()
    assert _address(page) == {"sp_preset": "Gaussian blur", "sp_padding": "same"}

    _nav(page, "Depthwise separable")
    page.get_by_text("Working size (sidebar)").click()
    settle(page)
    page.get_by_text("2 · Pointwise").click()
    settle(page)
    _nav(page, "Overview")
    _nav(page, "Depthwise separable")
    assert page.get_by_role("radio", name="Working size (sidebar)").is_checked()
    assert page.get_by_role("radio", name="2 · Pointwise").is_checked()
    assert _address(page) == {"dw_input": "Working size (sidebar)", "dw_step": "2 · Pointwise"}

    _nav(page, "Cost calculator")
    cout = page.get_by_label("Output channels Cout")
    cout.fill("64")
    cout.press("Enter")
    settle(page)
    _nav(page, "Overview")
    _nav(page, "Cost calculator")
    assert page.get_by_label("Output channels Cout").input_value() == "64"
    assert _address(page) == {"cost_cout": "64"}
    # 5*5*3*64*64 = 307,200 multiplications for the normal convolution
    assert "307,200" in page.locator("[data-testid=stMetricValue]").all_inner_texts()
    _no_error(page)


def _step_4_snapshot(page) -> dict:
    """The address, the sliders and the page's sentence about the pixel, read in one go."""
    return page.evaluate(
        """() => {
        const value = key => {
            const s = document.querySelector(`.st-key-${key} input[type=range]`);
            return s ? s.value : null;
        };
        const said = [...document.querySelectorAll('[data-testid=stMarkdown]')]
            .map(e => e.innerText.match(/Output pixel \\((\\d+), (\\d+)\\)/))
            .find(m => m);
        return {
            state: document.querySelector('[data-testid=stApp]').dataset.testScriptState,
            search: location.search,
            row: value('dw_row'), col: value('dw_col'),
            said: said ? [said[1], said[2]] : null,
        };
    }"""
    )


def _agrees(snap: dict) -> tuple[str, str]:
    """The pixel the snapshot's address names equals the sliders and the sentence; returns it."""
    linked = {k: v[-1] for k, v in parse_qs(snap["search"].lstrip("?")).items()}
    address = (linked.get("dw_row", "0"), linked.get("dw_col", "0"))  # 0 is left out
    assert address == (snap["row"], snap["col"]) == tuple(snap["said"]), snap
    return address


@pytest.mark.browser
def test_browser_address_follows_the_step_4_pixel(page, app_url):
    """Tiny input, k 5, 'valid': 8x8 outputs. A click on cell (5, 2) of the pointwise output,
    then the arrows, then play: at every moment the app is idle the address names the pixel the
    sliders and the page show."""
    from test_browser import _click_cell, settle, shot

    _go(page, f"{app_url}/depthwise")
    page.get_by_text(STEP_4).click()
    settle(page)
    assert _agrees(_step_4_snapshot(page)) == ("0", "0")
    _click_cell(page, "dw4_pick_pw", 5, 2, 8, 8)
    assert _agrees(_step_4_snapshot(page)) == ("5", "2")
    page.get_by_role("button", name="→", exact=True).click()
    settle(page)
    page.get_by_role("button", name="↓", exact=True).click()
    settle(page)
    assert _agrees(_step_4_snapshot(page)) == ("6", "3")

    # Playing, each tick's run moves the address and the page to the next pixel; the browser
    # applies the two updates a moment apart, so while a tick is in flight they may differ by
    # that one position (the old link stopped following play altogether). Stopped, they agree.
    _click_cell(page, "dw4_pick_pw", 0, 1, 8, 8)  # room for the whole loop below
    assert _agrees(_step_4_snapshot(page)) == ("0", "1")
    page.get_by_text("Play", exact=True).click()
    seen = set()
    for _ in range(150):
        if len(seen) >= 4:
            break
        page.wait_for_timeout(60)
        snap = _step_4_snapshot(page)
        linked = {k: v[-1] for k, v in parse_qs(snap["search"].lstrip("?")).items()}
        address = int(linked.get("dw_row", 0)) * 8 + int(linked.get("dw_col", 0))
        said = int(snap["said"][0]) * 8 + int(snap["said"][1])
        assert abs(address - said) <= 1, snap
        seen.add(said)
    assert len(seen) >= 4, f"play moved through {sorted(seen)}"
    shot(page, "depthwise-step4-playing")
    page.get_by_text("Play", exact=True).click()
    settle(page)
    stopped = _agrees(_step_4_snapshot(page))
    page.get_by_text("1 · Depthwise").click()
    settle(page)
    page.get_by_text(STEP_4).click()
    settle(page)
    assert _agrees(_step_4_snapshot(page)) == stopped, "stopping keeps the pixel play reached"
    _no_error(page)


@pytest.mark.browser
def test_browser_bad_link_opens_without_an_error(page, app_url):
    """A hand-edited link with nonsense in every setting opens the cost page with the classic
    example's numbers (1,228,800 and 53,952), no error or warning, and the address keeps only
    what is not a setting."""
    bad = BAD_LINK | {"work_size": "-5"}
    _go(page, f"{app_url}/cost?{urlencode(bad)}")
    page.locator("[data-testid=stMetricValue]").filter(has_text="1,228,800").wait_for()
    metrics = page.locator("[data-testid=stMetricValue]").all_inner_texts()
    assert "1,228,800" in metrics and "53,952" in metrics
    assert _address(page) == {"unrelated": "kept"}
    _no_error(page)


@pytest.mark.browser
def test_browser_copied_address_opens_the_same_view(browser, page, app_url):
    """A student sets a view by hand; the address, opened in another browser, shows the same
    settings and the same sentence about the same pixel (tiny input, k 3, 'same', stride 2:
    6x6 outputs; TensorFlow pads 'same' with (6 - 1) * 2 + 3 - 12 = 1 row, at the bottom, so
    pixel (4, 1) sees input rows 8..10 and columns 2..4)."""
    from test_browser import settle, shot

    _go(page, f"{app_url}/depthwise")
    page.locator(".st-key-dw_padding").get_by_text("same").click()
    settle(page)
    for key, value in (("dw_k", "3"), ("dw_stride", "2")):
        slider = page.locator(f".st-key-{key} input[type=range]")
        slider.focus()
        while slider.input_value() != value:
            slider.press("ArrowLeft" if int(slider.input_value()) > int(value) else "ArrowRight")
        settle(page)
    page.get_by_text(STEP_4).click()
    settle(page)
    for arrow in ("↓", "↓", "↓", "↓", "→"):
        page.get_by_role("button", name=arrow, exact=True).click()
        settle(page)
    sentence = "Output pixel (4, 1) of 6×6 sees input rows 8…10 and columns 2…4"
    assert page.get_by_text(sentence).count() == 1
    link = page.url

    other = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        phone = other.new_page()
        phone.set_default_timeout(60_000)
        _go(phone, link)
        phone.get_by_text(sentence).wait_for()
        shot(phone, "link-opened-on-a-phone")
        assert _address(phone) == _address(page)
        assert phone.locator(".st-key-dw_k input[type=range]").input_value() == "3"
        _no_error(phone)
    finally:
        other.close()


@pytest.mark.browser
def test_browser_teacher_mode(page, app_url):
    """?teacher=1 hides the upload box and enlarges the page's type; on the next page the mode
    is still on and the address says teacher=true; the sidebar switch turns it off: the upload
    box is back, the type is normal and teacher leaves the address."""
    from test_browser import settle, shot

    _go(page, f"{app_url}/depthwise?teacher=1")
    first_paragraph = "document.querySelector('[data-testid=stMain] [data-testid=stMarkdown] p')"
    font_size = f"parseFloat(getComputedStyle({first_paragraph}).fontSize)"
    page.wait_for_function(f"{font_size} > 20")  # 1.35rem: 21.6 px against 16
    shot(page, "teacher-mode")
    assert page.locator("[data-testid=stFileUploader]").count() == 0
    assert page.get_by_role("switch", name="Teacher mode").is_checked()
    _nav(page, "Cost calculator")
    assert _address(page) == {"teacher": "true"}
    assert page.locator("[data-testid=stFileUploader]").count() == 0
    page.locator("[data-testid=stSidebar]").get_by_text("Teacher mode").click()
    settle(page)
    assert page.locator("[data-testid=stFileUploader]").count() == 1
    page.wait_for_function(f"{font_size} < 17")
    assert "teacher" not in _address(page)
    _no_error(page)


def _pixel_said(at: AppTest) -> tuple[int, int, str]:
    """The step-4 sentence's pixel and output size."""
    found = re.search(r"Output pixel \*\*\((\d+), (\d+)\)\*\* of (\d+×\d+)", _text(at))
    return int(found[1]), int(found[2]), found[3]


def test_a_pixel_pulled_inside_a_smaller_output_stays_in_the_address():
    """Tiny input, k 5, 'valid': 8x8 outputs; at stride 2 they are 4x4, so pixel (7, 6) is pulled
    to (3, 3). The address must then name (3, 3) (it lost the pixel: a link opened (0, 0)), and
    a session opened from it shows the same pixel."""
    at = _open("app_pages/depthwise.py", {"dw_step": STEP_4, "dw_row": "7", "dw_col": "6"})
    assert _pixel_said(at) == (7, 6, "8×8")
    at.slider(key="dw_stride").set_value(2).run()
    _ok(at)
    assert _pixel_said(at) == (3, 3, "4×4")
    assert (at.query_params.get("dw_row"), at.query_params.get("dw_col")) == ("3", "3")
    # AppTest leaves the browser's part (writing a widget the student moved) out: stride by hand
    link = {k: at.query_params[k] for k in at.query_params} | {"dw_stride": "2"}
    opened = _open("app_pages/depthwise.py", link)
    _ok(opened)
    assert _pixel_said(opened) == (3, 3, "4×4")


def _outlined(at: AppTest, key: str) -> list[str]:
    """The SVG paths outlining cells on chart ``key`` (the marks, as sent to the browser)."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
    return [s.get("path", "") for s in json.loads(chart.proto.spec)["layout"].get("shapes", [])]


def _charts(at: AppTest, prefix: str) -> dict[str, str]:
    return {c.proto.id: c.proto.spec for c in at.get("plotly_chart") if prefix in c.proto.id}


@pytest.mark.parametrize("step", ["1 · Depthwise", "3 · Same as a normal convolution?"])
def test_a_link_to_steps_1_to_3_marks_its_pixel(step):
    """A student chooses pixel (4, 3) in step 4 and goes to step 1 or 3; the address holds
    dw_row=4&dw_col=3 and that step. Opened from that link, the step shows what the student sees:
    the same figures (step 1: output pixel (4, 3) outlined, the cell from x 2.5 to 3.5 and y 3.5
    to 4.5) and the same numbers (step 3's two paths at (4, 3))."""
    sender = _open("app_pages/depthwise.py", {"dw_step": STEP_4, "dw_row": "4", "dw_col": "3"})
    sender.radio(key="dw_step").set_value(step).run()
    link = {"dw_step": step, "dw_row": "4", "dw_col": "3"}
    opened = _open("app_pages/depthwise.py", link)
    _ok(opened)
    prefix = "dw1_" if step.startswith("1") else "dw3_"
    assert _text(opened) == _text(sender)
    assert _charts(opened, prefix) == _charts(sender, prefix)
    if step.startswith("1"):
        assert "M2.5,3.5H3.5V4.5H2.5Z" in "".join(_outlined(opened, "dw1_out_0"))
    else:
        nowhere = _open("app_pages/depthwise.py", {"dw_step": step})
        assert _charts(nowhere, "dw3_dw_products") != _charts(opened, "dw3_dw_products")


def test_a_bad_pixel_in_a_link_to_step_1_is_ignored_without_a_word():
    """A row beyond the 8x8 output and a column that is no number fall back to 0, as on step 4."""
    at = _open(
        "app_pages/depthwise.py", {"dw_step": "1 · Depthwise", "dw_row": "40", "dw_col": "x"}
    )
    _ok(at)
    assert "M-0.5,-0.5H0.5V0.5H-0.5Z" in "".join(_outlined(at, "dw1_out_0"))


@pytest.mark.browser
def test_browser_address_keeps_a_pixel_pulled_inside_a_smaller_output(page, app_url):
    """Step 4 at pixel (7, 6) of 8x8 (tiny input, k 5, 'valid'); stride 1 -> 2 makes the output
    4x4 and the pixel (3, 3). 1.5 s later the address names (3, 3) like the sliders and the page
    (it named no pixel: a link opened (0, 0))."""
    from test_browser import settle

    _go(page, f"{app_url}/depthwise?{urlencode({'dw_step': STEP_4, 'dw_row': 7, 'dw_col': 6})}")
    assert _agrees(_step_4_snapshot(page)) == ("7", "6")
    stride = page.locator(".st-key-dw_stride input[type=range]")
    stride.focus()
    stride.press("ArrowRight")
    settle(page)
    page.wait_for_timeout(1500)
    assert _agrees(_step_4_snapshot(page)) == ("3", "3")
    assert _address(page)["dw_stride"] == "2"
    _no_error(page)
