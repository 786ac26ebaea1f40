"""Shareable links (ui/share.py): a view set in one session comes back in a fresh one.

Each round trip sets widgets in one AppTest session, reads the query parameters the app wrote,
and opens a fresh AppTest with only those parameters: the same widget values and the same
numbers must be on screen. The expected numbers are worked out by hand in each docstring.
"""

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from ui.share import SCHEMA

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _open(page: str, params: dict[str, str] | None = None) -> AppTest:
    """A fresh session opened on ``page`` through a link with ``params``."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def _link(at: AppTest) -> dict[str, str]:
    """The query parameters the app wrote, as a browser would copy them."""
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]


def test_cost_page_round_trip():
    """Cout 64, k 3 on 12x12x3 'valid': 10x10 positions, normal 3*3*3*64*100 = 172,800, separable
    3*3*3*100 + 3*64*100 = 21,900. MobileNet 0.5 at 224: 149 M mult-adds (Howard et al., 2017)."""
    at = _open("app_pages/cost.py")
    at.number_input(key="cost_cout").set_value(64)
    at.number_input(key="cost_k").set_value(3)
    at.select_slider(key="mb_alpha").set_value(0.5).run()
    link = _link(at)
    assert link == {"cost_cout": "64", "cost_k": "3", "mb_alpha": "0.5"}, "only the changes"
    fresh = _open("app_pages/cost.py", link)
    _ok(fresh)
    assert fresh.number_input(key="cost_cout").value == 64
    assert fresh.number_input(key="cost_k").value == 3
    assert fresh.number_input(key="cost_h").value == 12
    assert fresh.select_slider(key="mb_alpha").value == 0.5
    text = _text(fresh)
    for number in ("172,800", "21,900", "149 M"):
        assert number in text
    assert _link(fresh) == link, "the fresh session writes the same link back"
    fresh.number_input(key="cost_cout").set_value(32).run()
    fresh.run()
    assert fresh.number_input(key="cost_cout").value == 32, "a link is applied once, not per run"
    assert _link(fresh)["cost_cout"] == "32"


def test_depthwise_round_trip():
    """Step 2 with k 3, Cout 8 on the tiny 12x12x3 input, 'valid': 10x10 positions, depthwise
    3*3*3*100 = 2,700 plus pointwise 3*8*100 = 2,400: 5,100 multiplications so far.

    The depthwise page's widgets are bound to the URL by Streamlit (bind="query-params"): the
    browser writes the link (tests/test_browser.py), a fresh session reads it."""
    link = {"dw_k": "3", "dw_cout_tiny": "8", "dw_step": "2 · Pointwise"}
    fresh = _open("app_pages/depthwise.py", link)
    _ok(fresh)
    assert fresh.radio(key="dw_step").value == "2 · Pointwise"
    assert fresh.slider(key="dw_k").value == 3
    assert fresh.slider(key="dw_cout_tiny").value == 8
    assert "Multiplications so far: **5,100**" in _text(fresh)


def _kernel_figure(at: AppTest) -> np.ndarray:
    """The z values of the spatial page's kernel heatmap, as sent to the browser (Plotly sends
    arrays either as lists or as base64 typed arrays)."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("sp_kernel"))
    z = json.loads(chart.proto.spec)["data"][0]["z"]
    if isinstance(z, dict):
        shape = [int(n) for n in str(z["shape"]).split(",")]
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    return np.array(z, dtype=float)


def test_spatial_round_trip_random_kernel():
    """A seeded separable random 5x5 kernel, stride 2: the fresh session draws the same numbers,
    says rank 1, and counts 5 + 5 = 10 multiplications per pixel against 5 * 5 = 25."""
    at = _open("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Random (seeded)").run()
    at.slider(key="sp_rsize").set_value(5)
    at.number_input(key="sp_seed").set_value(7)
    at.checkbox(key="sp_rank1").check()
    at.slider(key="sp_stride").set_value(2).run()
    link = _link(at)
    assert link == {
        "sp_source": "random",
        "sp_rsize": "5",
        "sp_seed": "7",
        "sp_rank1": "1",
        "sp_stride": "2",
    }
    fresh = _open("app_pages/spatial.py", link)
    _ok(fresh)
    assert fresh.number_input(key="sp_seed").value == 7
    assert fresh.checkbox(key="sp_rank1").value is True
    z = _kernel_figure(fresh)
    assert z.shape == (5, 5)
    assert np.linalg.matrix_rank(z) == 1
    np.testing.assert_array_equal(z, _kernel_figure(at))
    text = _text(fresh)
    assert "Rank **1**" in text
    assert "Multiplications per pixel, 2-D 25" in text
    assert "… column then row 10" in text


def test_spatial_round_trip_typed_kernel():
    """Typed text travels as typed (spaces and line breaks): [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    is [1, 2, 1]ᵀ · [1, 2, 1], rank 1."""
    typed = "1 2 1\n2 4 2\n1 2 1"
    at = _open("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Type your own").run()
    at.text_area(key="sp_text").input(typed).run()
    link = _link(at)
    assert link == {"sp_source": "typed", "sp_text": typed}
    fresh = _open("app_pages/spatial.py", link)
    _ok(fresh)
    assert fresh.text_area(key="sp_text").value == typed
    np.testing.assert_array_equal(_kernel_figure(fresh), [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert "Rank **1**" in _text(fresh)


def test_learned_page_and_sidebar_round_trip():
    """The learned page's choices and the sidebar's sample and working size travel together;
    Coffee (400x600) at working size 64 is 43 x 64."""
    at = _open("app_pages/learned.py")
    at.selectbox(key="ln_task").set_value("blur")
    at.select_slider(key="ln_k").set_value(5)
    at.select_slider(key="ln_steps").set_value(100)
    at.select_slider(key="ln_side").set_value(32)
    at.selectbox(key="image_choice").set_value("Coffee (colourful photo)")
    at.select_slider(key="work_size").set_value(64).run()
    link = _link(at)
    assert link == {
        "image_choice": "coffee",
        "work_size": "64",
        "ln_task": "blur",
        "ln_k": "5",
        "ln_steps": "100",
        "ln_side": "32",
    }
    fresh = _open("app_pages/learned.py", link)
    _ok(fresh)
    assert fresh.selectbox(key="ln_task").value == "blur"
    assert [fresh.select_slider(key=k).value for k in ("ln_k", "ln_steps", "ln_side")] == [
        5,
        100,
        32,
    ]
    assert fresh.selectbox(key="image_choice").value == "Coffee (colourful photo)"
    assert "Working image: 43 × 64 × 3" in [c.value for c in fresh.sidebar.caption][0]


def test_links_hold_only_the_current_page():
    """Settings made on the cost page do not follow the student into the depthwise page's link,
    and the sidebar's choices do."""
    at = _open("app_pages/cost.py")
    at.number_input(key="cost_cout").set_value(64)
    at.select_slider(key="work_size").set_value(64).run()
    assert _link(at) == {"cost_cout": "64", "work_size": "64"}
    at.switch_page("app_pages/depthwise.py").run()
    assert _link(at) == {"work_size": "64"}


def test_invalid_link_values_give_a_warning_and_defaults():
    """Words, out-of-range numbers and unknown choices are ignored with one warning naming them;
    the page shows the classic example's defaults (1,228,800 and 53,952) and no exception."""
    bad = {
        "cost_k": "abc",
        "cost_cout": "99999",
        "cost_padding": "mirror",
        "teacher": "maybe",
        "image_choice": "../../etc/passwd",
        "cost_h": "1e3",
        "unrelated": "kept",
    }
    at = _open("app_pages/cost.py", bad)
    assert not at.exception
    (warning,) = at.warning
    for key in ("cost_k", "cost_cout", "cost_padding", "teacher", "image_choice", "cost_h"):
        assert key in warning.value
    assert "passwd" not in warning.value, "the link's text is not echoed"
    text = _text(at)
    assert "1,228,800" in text and "53,952" in text
    assert at.number_input(key="cost_k").value == 5
    assert _link(at) == {"unrelated": "kept"}, "bad values leave the URL; other parameters stay"
    at.run()
    assert not at.warning, "the warning is said once"


def test_linked_value_beyond_a_slider_falls_back_with_a_warning():
    """The Laplacian is 3x3, so its SVD has 3 terms: a link asking for 9 cannot be drawn by the
    slider (1..3). The page shows the default, 1, and says why, instead of an exception."""
    at = _open("app_pages/spatial.py", {"sp_preset": "laplacian", "sp_rank_r": "9"})
    assert not at.exception, [e.value for e in at.exception]
    assert "sp_rank_r" in at.warning[0].value
    assert at.slider(key="sp_rank_r").value == 1
    assert _link(at) == {"sp_preset": "laplacian"}


def test_teacher_mode_hides_the_uploader_and_the_toggle_turns_it_off():
    """?teacher=1 draws no upload box and keeps teacher=1 in the link; the sidebar toggle turns
    it off, the upload box comes back and the parameter leaves the link."""
    normal = _open("app_pages/depthwise.py")
    assert len(normal.get("file_uploader")) == 1
    at = _open("app_pages/depthwise.py", {"teacher": "1"})
    _ok(at)
    assert len(at.get("file_uploader")) == 0
    assert at.toggle(key="teacher").value is True
    assert _link(at) == {"teacher": "1"}
    at.toggle(key="teacher").set_value(False).run()
    assert len(at.get("file_uploader")) == 1
    assert _link(at) == {}


def test_an_upload_does_not_travel_and_the_sidebar_says_so():
    """With an upload chosen the link names no image (a fresh session gets the first sample),
    and the sidebar says that links share settings, not the photo."""
    at = AppTest.from_file(APP, default_timeout=60)
    pixels = np.full((40, 60, 3), 128, dtype=np.uint8)
    at.session_state["upload"] = {"digest": "0" * 64, "name": "mine.png", "pixels": pixels}
    at.session_state["image_choice"] = "Your upload"
    at.switch_page("app_pages/cost.py").run()
    assert not at.exception
    assert at.selectbox(key="image_choice").value == "Your upload"
    at.number_input(key="cost_cout").set_value(64).run()
    assert _link(at) == {"cost_cout": "64"}
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Links share settings, not your photo" in captions
    fresh = _open("app_pages/cost.py", _link(at))
    assert fresh.selectbox(key="image_choice").value == "Astronaut (colourful photo)"


def _widgets(at: AppTest) -> dict:
    kinds = ("radio", "selectbox", "select_slider", "slider", "number_input", "toggle")
    kinds += ("checkbox", "text_area")
    return {w.key: w for kind in kinds for w in at.get(kind) if w.key in SCHEMA}


def test_schema_defaults_and_words_match_the_widgets():
    """Every key in the schema is a widget on some page whose fresh value is the schema's default
    (else a link would leave out a setting it needs), and each radio offers exactly the options
    the schema has words for (else a new option could not travel)."""
    views = [
        ("app_pages/cost.py", {}),
        ("app_pages/learned.py", {}),
        ("app_pages/spatial.py", {}),
        ("app_pages/spatial.py", {"sp_preset": "gaussian"}),  # default size 5, not 3
        ("app_pages/spatial.py", {"sp_preset": "laplacian"}),  # rank 3: the rank-r slider
        ("app_pages/spatial.py", {"sp_source": "random"}),
        ("app_pages/spatial.py", {"sp_source": "learned"}),
        ("app_pages/spatial.py", {"sp_source": "typed"}),
        ("app_pages/depthwise.py", {}),
        ("app_pages/depthwise.py", {"dw_step": "3 · Same as a normal convolution?"}),
        ("app_pages/depthwise.py", {"dw_step": "4 · Inside one output pixel"}),
    ]
    seen = set()
    for page, link in views:
        at = _open(page, link)
        _ok(at)
        for key, widget in _widgets(at).items():
            if key in link:
                continue
            seen.add(key)
            field = SCHEMA[key]
            assert widget.value == field.default_in(at.session_state), (page, key)
            if widget.type == "radio":
                words = [field.show(option) for option in widget.options]
                assert None not in words, (page, key, widget.options)
                assert [field.parse(w) for w in words] == widget.options, (page, key)
    assert seen == set(SCHEMA), set(SCHEMA) - seen
