"""The app in Streamlit's AppTest: every page runs, and the numbers it shows are the right ones."""

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [
    "app_pages/overview.py",
    "app_pages/spatial.py",
    "app_pages/depthwise.py",
    "app_pages/learned.py",
    "app_pages/cost.py",
    "app_pages/tinynet.py",
]


def _app(page: str | None = None) -> AppTest:
    """The app as `streamlit run app.py` runs it, switched to ``page``."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page:
        at.switch_page(page).run()
    return at


def _switch(at: AppTest, page: str) -> AppTest:
    return at.switch_page(page).run()


def _text(at: AppTest) -> str:
    """Everything the page wrote: markdown, metrics, captions, errors."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [e.value for e in at.error]
    parts += [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def _figure_z(at: AppTest, title: str) -> np.ndarray:
    """The z values of the Plotly heatmap titled ``title``, decoded from the chart's spec."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if (spec["layout"].get("title") or {}).get("text") == title:
            z = spec["data"][0]["z"]
            if isinstance(z, dict):  # Plotly's base64 typed array
                shape = [int(n) for n in z["shape"].split(",")]
                return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
            return np.asarray(z, dtype=float)
    raise AssertionError(f"no figure titled {title!r}")


def _png(width=40, height=30, colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(page):
    """Each page, at its defaults, finishes without an exception or an error box."""
    at = _app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"


def test_cost_page_shows_the_classic_example_at_defaults():
    """12x12x3, 5x5, 256 outputs, valid: 1,228,800 normal and 53,952 separable multiplications."""
    text = _text(_app("app_pages/cost.py"))
    assert "1,228,800" in text
    assert "53,952" in text
    assert "8×8×256" in text


def test_cost_page_follows_its_widgets():
    """Changing Cout to 64 and k to 3 gives 64*9*3*100 normal multiplications on 12x12 valid."""
    at = _app("app_pages/cost.py")
    at.number_input(key="cost_cout").set_value(64)
    at.number_input(key="cost_k").set_value(3).run()
    assert not at.exception
    text = _text(at)
    # 10 x 10 positions: normal 3*3*3*64*100 = 172,800; separable 2,700 + 19,200 = 21,900.
    assert "172,800" in text
    assert "21,900" in text


def test_same_padding_on_cost_page_gives_12x12x256():
    """The popular write-up's 12x12x256 is what 'same' padding gives."""
    at = _app("app_pages/cost.py")
    at.radio(key="cost_padding").set_value("same").run()
    text = _text(at)
    assert "12×12×256" in text
    assert "2,764,800" in text  # 256 * 75 * 144


def test_chosen_sample_survives_a_page_switch():
    """The sidebar choice is kept when the student moves to another page."""
    at = _app()
    options = at.selectbox(key="image_choice").options
    assert len(options) >= 3
    at.selectbox(key="image_choice").set_value(options[1]).run()
    _switch(at, "app_pages/depthwise.py")
    assert at.selectbox(key="image_choice").value == options[1]
    _switch(at, "app_pages/spatial.py")
    assert at.selectbox(key="image_choice").value == options[1]
    assert not at.exception


def test_good_upload_is_used_and_bad_upload_keeps_it():
    """A photo becomes the image; a non-image then gives a sentence and the photo stays."""
    at = _app("app_pages/depthwise.py")
    at.file_uploader(key="uploader").set_value(("red.png", _png(), "image/png")).run()
    assert not at.exception
    assert at.selectbox(key="image_choice").value == "Your upload"
    assert any("40 × 30" in c.value or "30 × 40" in c.value for c in at.sidebar.caption)
    at.file_uploader(key="uploader").set_value(("notes.png", b"just some text", "image/png"))
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "notes.png" in errors and "not loaded" in errors
    assert at.selectbox(key="image_choice").value == "Your upload"
    assert any("30 × 40" in c.value for c in at.sidebar.caption)


def test_bad_kernel_text_keeps_last_good_kernel_and_the_text():
    """Typing a word shows the parser's sentence, keeps the text, and the page still computes."""
    at = _app("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Type your own").run()
    at.text_area(key="sp_text").set_value("1 2 1\n2 4 2\n1 2 1").run()
    assert "Rank **1**" in _text(at)
    at.text_area(key="sp_text").set_value("1 2 1\n2 four 2").run()
    assert not at.exception
    assert at.error and "four" in at.error[0].value
    assert at.text_area(key="sp_text").value == "1 2 1\n2 four 2"
    assert "Rank **1**" in _text(at)


def test_spatial_page_reports_rank_of_laplacian():
    """The Laplacian is not separable: rank 2 is shown."""
    at = _app("app_pages/spatial.py")
    at.selectbox(key="sp_preset").set_value("laplacian").run()
    assert "Rank **2**" in _text(at)
    assert "not separable" in _text(at)


def test_depthwise_steps_show_classic_shapes_and_match_normal_conv():
    """At defaults the tiny input gives the classic chain of shapes; step 3 reports a tiny
    difference between the separable output and the normal conv with the equivalent kernel."""
    at = _app("app_pages/depthwise.py")
    text = _text(at)
    assert "**12×12×3** → 5×5×1 (×3) → ? → 1×1×3×256 → ?" in text  # outputs hidden: predict them
    for step in range(1, 4):
        at.button(key="dw_next").click().run()
        assert not at.exception
        assert at.radio(key="dw_step").index == step
        if step == 2:
            assert "**8×8×3** → **1×1×3×256** → **8×8×256**" in _text(at)
    text = _text(at)
    assert "53,952" in text
    diff = [m.value for m in at.markdown if "largest difference" in m.value][0]
    value = float(diff.split("**")[-2])
    assert np.isfinite(value) and value < 1e-4


def test_learned_page_trains_and_the_loss_falls(monkeypatch):
    """Training the grayscale task on a small image: both losses fall by a large factor.

    The training runs in a worker process: here, in the server's process, the fitting
    functions are broken on purpose, and the page must still get its result.
    """
    import sepconv_core.learn

    def broken(*args, **kwargs):
        raise AssertionError("trained in the server's process")

    monkeypatch.setattr(sepconv_core.learn, "fit_separable", broken)
    monkeypatch.setattr(sepconv_core.learn, "fit_conv2d", broken)
    at = _app("app_pages/learned.py")
    at.selectbox(key="ln_task").set_value("grayscale")
    at.select_slider(key="ln_steps").set_value(200)
    at.select_slider(key="ln_side").set_value(32).run()
    at.button(key="ln_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    from ui.training import cached_run, current

    key = (at.session_state["chosen_image"].key, 32, "grayscale", 3, 200)
    assert current(key).wait(timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert float(labels["Separable: final loss"]) > 0
    run = cached_run(key)
    assert run is not None
    for model in ("separable", "normal"):
        losses = run[model].losses
        assert losses[-1] < losses[0] / 10, model
    # The progress the page showed came from the same run, step by step.
    steps = [step for model, step, _ in current(key).messages() if model == "separable"]
    assert steps == list(range(len(run["separable"].losses)))


def test_learned_page_shares_a_run():
    """A second session with the same settings sees the first one's run, without pressing Train."""
    at = _app("app_pages/learned.py")
    at.selectbox(key="ln_task").set_value("blur")
    at.select_slider(key="ln_steps").set_value(50)
    at.select_slider(key="ln_side").set_value(32).run()
    at.button(key="ln_train").click().run()
    from ui.training import current

    key = (at.session_state["chosen_image"].key, 32, "blur", 3, 50)
    first = current(key)
    other = _app("app_pages/learned.py")
    other.selectbox(key="ln_task").set_value("blur")
    other.select_slider(key="ln_steps").set_value(50)
    other.select_slider(key="ln_side").set_value(32).run()
    assert current(key) is first
    assert first.wait(timeout=120)
    other.run()
    assert not other.exception
    assert {m.label for m in other.metric} >= {"Separable: final loss"}  # no Train pressed here


def _impatient_job(*args, report, **kwargs):
    """A training job that fails in its worker (module level: the pool must import it)."""
    report(("separable", 0, 1.0))
    raise ValueError("the worker ran out of patience")


def test_learned_page_says_when_training_failed():
    """A run that failed in its worker gives a sentence and Train again, not a traceback."""
    from ui import pool

    at = _app("app_pages/learned.py")
    at.selectbox(key="ln_task").set_value("sharpen")
    at.select_slider(key="ln_steps").set_value(50)
    at.select_slider(key="ln_side").set_value(32).run()
    key = ("learned", at.session_state["chosen_image"].key, 32, "sharpen", 3, 50)
    assert pool.run(key, _impatient_job).wait(timeout=60)
    at.run()
    assert not at.exception
    assert any("ran out of patience" in e.value for e in at.error)
    assert at.button(key="ln_train")  # and the student can try again


def test_spatial_page_offers_shipped_learned_kernels():
    """The learned family is an instant choice: no training, a kernel and its rank appear."""
    at = _app("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Learned").run()
    assert not at.exception
    assert "blur 5×5" in at.selectbox(key="sp_learned").options
    at.selectbox(key="sp_learned").set_value("blur_5").run()
    assert "trained from random weights" in _text(at)
    assert "Rank **" in _text(at)


def test_depthwise_page_offers_learned_kernels_for_rgb_and_gray():
    """Choosing the learned family fixes k to the learned size, and works on a gray image."""
    at = _app("app_pages/depthwise.py")
    at.selectbox(key="dw_family").set_value("learned").run()
    at.selectbox(key="dw_learned").set_value("blur_3").run()
    assert not at.exception
    assert "3×3×1 (×3)" in _text(at)
    options = at.selectbox(key="image_choice").options
    gray = [o for o in options if "grayscale" in o][0]
    at.selectbox(key="image_choice").set_value(gray).run()
    assert not at.exception
    assert "12×12×1" in _text(at)


def test_predict_then_reveal_on_the_depthwise_page():
    """A wrong shape gets a hint and no answer; the right one is confirmed and explained; the
    typed text stays in the box."""
    at = _app("app_pages/depthwise.py")
    at.text_input(key="dw_q_dshape_answer").set_value("12x12x3")
    at.button(key="dw_q_dshape_check").click().run()
    assert at.warning and "height" in at.warning[0].value
    assert not any("Answer: 8×8×3" in m.value for m in at.markdown)
    assert at.text_input(key="dw_q_dshape_answer").value == "12x12x3"
    at.text_input(key="dw_q_dshape_answer").set_value("8 x 8 x 3")
    at.button(key="dw_q_dshape_check").click().run()
    assert at.success and "8×8×3" in at.success[0].value
    assert any("Answer: 8×8×3" in m.value for m in at.markdown)
    at.text_input(key="dw_q_mults_answer").set_value("53,952")
    at.button(key="dw_q_mults_check").click().run()
    assert any("53,952" in s.value for s in at.success)


def test_flipping_sobel_changes_the_sign_of_the_output():
    """True convolution flips the kernel: Sobel x turns into its negative (rank still 1)."""
    at = _app("app_pages/spatial.py")
    row = _figure_z(at, "row").ravel()
    np.testing.assert_allclose(row, [-1, 0, 1])
    one = _figure_z(at, "one 2-D pass")
    at.toggle(key="sp_flip").set_value(True).run()
    assert not at.exception
    assert any("cross-correlation" in i.value for i in at.info)
    assert "Rank **1**" in _text(at)
    np.testing.assert_allclose(_figure_z(at, "row").ravel(), [1, 0, -1])
    np.testing.assert_allclose(_figure_z(at, "one 2-D pass"), -one, atol=1e-6)


def test_cost_quiz_hides_the_table_until_answered():
    """With the quiz on, the classic counts are not on the page until the student answers."""
    at = _app("app_pages/cost.py")
    at.toggle(key="cost_quiz").set_value(True).run()
    assert "1,228,800" not in _text(at)
    at.text_input(key="cost_q_normal_answer").set_value("1228800")
    at.button(key="cost_q_normal_check").click().run()
    assert any("1,228,800" in s.value for s in at.success)
    at.text_input(key="cost_q_sep_answer").set_value("60000")
    at.button(key="cost_q_sep_check").click().run()
    assert "too high" in at.warning[0].value
    assert "53,952" not in _text(at)
    at.button(key="cost_q_sep_show").click().run()
    assert "53,952" in _text(at)


def test_depthwise_step_4_sums_are_the_outputs_at_the_chosen_pixel():
    """Step 4, tiny input, 'same' padding, stride 2, output pixel (3, 5): every Σ on the page
    equals the output value printed beside it, and both equal the naive loops' value there
    (tests/naive.py, from the same tiny input and seeded weights). Playing disables the sliders
    and shows the position; stopping gives them back at that position."""
    import re

    from naive import naive_depthwise, naive_pointwise

    from sepconv_core import kernels
    from sepconv_core.image import center_square, resize_to

    at = _app("app_pages/depthwise.py")
    at.radio(key="dw_padding").set_value("same")
    at.slider(key="dw_stride").set_value(2)
    at.radio(key="dw_step").set_value("4 · Inside one output pixel").run()
    at.slider(key="dw_row").set_value(3)
    at.slider(key="dw_col").set_value(5).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert "Output pixel **(3, 5)** of 6×6 sees input rows 5…9 and columns 9…13" in text
    assert "**75**" in text and "**768**" in text  # 5·5·3 depthwise, 3·256 pointwise

    image = resize_to(center_square(at.session_state["chosen_image"].image), 12)
    dk = kernels.channel_kernels("sobel", 5, 3, 1, seed=0)
    pk = kernels.pointwise_weights(3, 256, seed=0)
    depthwise = naive_depthwise(image, dk, 2, "same")
    expected_dw = depthwise[3, 5]
    expected_pw = naive_pointwise(depthwise, pk)[3, 5]

    number = r"(-?[\d.]+(?:e[-+]\d+)?)"
    sums = [float(s) for s in re.findall(rf"Σ = \*\*{number}\*\*", text)]
    shown = re.findall(rf"Depthwise output at \(3, 5, (\d)\) = \*\*{number}\*\*", text)
    assert len(sums) == len(shown) == 3
    for (n, value), total in zip(shown, sums, strict=True):
        assert float(value) == total
        assert total == pytest.approx(expected_dw[int(n)], rel=1e-3, abs=1e-3)
    rows = re.findall(rf"^\| (\d+) \| {number} \| {number} \| ✓", text, flags=re.M)
    assert [int(o) for o, _, _ in rows] == list(range(8))
    assert "✗" not in text
    for o, total, value in rows:
        assert float(total) == float(value)
        assert float(total) == pytest.approx(expected_pw[int(o)], rel=1e-3, abs=1e-3)

    at.toggle(key="dw_play_0").set_value(True).run()
    assert not at.exception
    assert at.slider(key="dw_row").proto.disabled, "play moves the sliders, not the student"
    assert any("position 24 of 36" in p.proto.text for p in at.get("progress"))
    at.toggle(key="dw_play_0").set_value(False).run()
    assert (at.slider(key="dw_row").value, at.slider(key="dw_col").value) == (3, 5)


def test_typed_link_in_kernel_text_is_not_a_link_in_the_error():
    """The parser quotes the bad token; the error box shows it as text, not as a link."""
    at = _app("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Type your own").run()
    at.text_area(key="sp_text").set_value("1 [x](https://example.org) 2").run()
    assert at.error and "](" not in at.error[0].value.replace("\\](", "")
    assert "https://" not in at.error[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_name_gives_numbers_beyond_its_title(page):
    """A screen reader hears a chart's accessible name only: besides the title it must carry
    the chart's numbers (a summary such as "σ1 = 3.46, σ2 = 0"), so some digit must be in the
    name outside the title's own words ("MobileNet v1" is no summary)."""
    import re

    at = _app(page)
    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        title = (json.loads(chart.proto.spec)["layout"].get("title") or {}).get("text") or ""
        title = " ".join(re.sub(r"<[^>]+>", " ", title).split())
        rest = chart.proto.alt.replace(title, "", 1)
        assert re.search(r"\d", rest), (title, chart.proto.alt)
