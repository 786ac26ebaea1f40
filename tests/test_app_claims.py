"""Issue 9's "every claim exact" on the pages, in Streamlit's AppTest.

Each test sets the widgets a student would and checks what the page then states against
counts worked out here by hand or by an independent reference.
"""

import json

import numpy as np
from test_app import _app, _figure_z, _text


def test_cost_page_never_says_half_times_cheaper():
    """k = 1, Cout = 1 on 12x12x3: per pixel depthwise 1·3 + pointwise 3·1 = 6 against the
    normal 1·3·1 = 3, so the separable layer costs 2× more, and the page says so."""
    at = _app("app_pages/cost.py")
    at.number_input(key="cost_cout").set_value(1)
    at.number_input(key="cost_k").set_value(1).run()
    assert not at.exception
    text = _text(at)
    # 12x12 positions: normal 1*1*3*1*144 = 432; separable 432 + 432 = 864.
    assert "432" in text and "864" in text
    assert "2× more multiplications" in text
    assert "0.5×" not in text and "cheaper" not in text


def test_cost_page_says_the_same_at_equality():
    """Cin = 1, k = 2, Cout = 4, M = 2: per pixel the separable layer needs 2·2·2 + 2·4 = 16,
    the normal one 2·2·1·4 = 16."""
    at = _app("app_pages/cost.py")
    at.number_input(key="cost_cin").set_value(1)
    at.number_input(key="cost_cout").set_value(4)
    at.number_input(key="cost_m").set_value(2)
    at.number_input(key="cost_k").set_value(2).run()
    assert not at.exception
    assert "the same number of multiplications as the normal one" in _text(at)
    assert "1.0×" not in _text(at)


def test_step_4_never_contradicts_that_the_sum_is_the_output():
    """The repro of issue 9, point 1: Camera man, working size 128, input "Working size",
    Sobel, k = 7, valid, pixel (0, 0). Every depthwise channel and every pointwise row says
    the sum and the output are the same number."""
    import re

    at = _app("app_pages/depthwise.py")
    camera = [o for o in at.selectbox(key="image_choice").options if o.startswith("Camera")][0]
    at.selectbox(key="image_choice").set_value(camera)
    at.select_slider(key="work_size").set_value(128)
    at.radio(key="dw_input").set_value("Working size (sidebar)").run()
    at.selectbox(key="dw_family").set_value("sobel")
    at.radio(key="dw_padding").set_value("valid")
    at.slider(key="dw_k").set_value(7)
    at.radio(key="dw_step").set_value("4 · Inside one output pixel").run()
    at.slider(key="dw_row").set_value(0)
    at.slider(key="dw_col").set_value(0).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert "Output pixel **(0, 0)**" in text
    assert text.count("✓ the same number") == 1 + 8  # 1 gray channel; 8 pointwise rows shown
    assert "✗" not in text
    assert len(re.findall(r"^\| \d+ \| .* ✓ the same number[^|]* \|$", text, flags=re.M)) == 8
    # Σ and the output print differently in the 4th digit here (-0.5157, -0.5156): the page
    # says why they are still the same number.
    assert "✓ the same number, up to float32 rounding" in text


def _plane(at):
    from sepconv_core.image import to_grayscale

    return to_grayscale(at.session_state["chosen_image"].image)[:, :, 0].astype(np.float64)


def test_spatial_page_explains_the_totals_under_stride():
    """Sobel 3×3, stride 3, 'same': the page's totals are the naive counts (9 per output for
    one pass; the column pass at all W columns) and it says the two passes cost more."""
    at = _app("app_pages/spatial.py")
    at.slider(key="sp_stride").set_value(3)
    at.radio(key="sp_padding").set_value("same").run()
    assert not at.exception, [e.value for e in at.exception]
    h, w = _plane(at).shape
    oh, ow = -(-h // 3), -(-w // 3)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Whole image, 2-D"] == f"{9 * oh * ow:,}"
    assert metrics["Whole image, two passes"] == f"{3 * oh * w + 3 * oh * ow:,}"
    text = _text(at)
    assert f"{(3 * oh * w + 3 * oh * ow) / (oh * ow):.2f}** multiplications per output" in text
    assert "more multiplications than one 2-D pass" in text


def _totals(at) -> str:
    return next(m.value for m in at.markdown if "totals" in m.value)


def test_spatial_totals_name_the_padding_that_is_actually_used():
    """A kernel one column wide under 'valid' padding has as many output columns as the image
    (Identity 1×1, typed 1;2;1): the sentence must not credit 'same' padding, which is not in
    use, and it says 1 multiplication, 1 column, never "1 neighbouring columns"."""
    at = _app("app_pages/spatial.py")
    at.selectbox(key="sp_preset").set_value("identity").run()
    at.select_slider(key="sp_size_identity").set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _totals(at)
    assert "'same'" not in text and "'valid' padding" in text
    assert "exactly 1 against 2 multiplications" in text

    at.radio(key="sp_source").set_value("Type your own").run()
    at.text_area(key="sp_text").set_value("1;2;1").run()
    text = _totals(at)
    assert "'same'" not in text and "'valid' padding" in text
    assert "exactly 3 against 4 multiplications" in text

    at.slider(key="sp_stride").set_value(2).run()  # now fewer output columns than columns
    text = _totals(at)
    assert "1 neighbouring columns" not in text and "needs the column under it" in text
    assert "does 3 multiplications at each" in text

    at.slider(key="sp_stride").set_value(1)
    at.radio(key="sp_padding").set_value("same").run()
    assert "with stride 1 and 'same' padding" in _totals(at)
    at.text_area(key="sp_text").set_value("1 2").run()  # 1×2 under 'valid': one border column
    at.radio(key="sp_padding").set_value("valid").run()
    text = _totals(at)
    assert "because of the 1 border column." in text and "needs 2 neighbouring columns" in text


def test_spatial_page_all_zero_kernel_is_rank_0():
    at = _app("app_pages/spatial.py")
    at.radio(key="sp_source").set_value("Type your own").run()
    at.text_area(key="sp_text").set_value("0 0 0\n0 0 0\n0 0 0").run()
    assert not at.exception
    text = _text(at)
    assert "Rank **0**" in text and "Rank 0" in text
    assert "Rank 1" not in text and "Rank **1**" not in text
    assert "one singular value is non-zero" not in text.lower()


def test_spatial_page_says_the_kernel_is_flipped_in_convolution_mode():
    at = _app("app_pages/spatial.py")
    titles = lambda: [  # noqa: E731
        json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "")
        for c in at.get("plotly_chart")
    ]
    assert not any("flipped" in t for t in titles())
    at.toggle(key="sp_flip").set_value(True).run()
    kernel_titles = [t for t in titles() if t.startswith("Kernel")]
    assert kernel_titles and all("flipped" in t for t in kernel_titles)


def test_spatial_page_dilation_matches_scipy_with_the_zero_inserted_kernel():
    """Dilation 2, Sobel x, 'valid': both outputs equal SciPy's correlation with the 5×5
    kernel that has zeros between the taps; the count per output stays 9."""
    from scipy import signal

    at = _app("app_pages/spatial.py")
    at.slider(key="sp_dilation").set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    dilated = np.zeros((5, 5))
    dilated[::2, ::2] = sobel
    expected = signal.correlate2d(_plane(at), dilated, mode="valid")
    for title in ("one 2-D pass", "column pass, then row pass"):
        np.testing.assert_allclose(_figure_z(at, title), expected, atol=1e-4)
    assert {m.label: m.value for m in at.metric}["Multiplications per pixel, 2-D"] == "9"


def test_cost_page_dilation_changes_positions_not_per_output_cost():
    """12×12×3, k = 5, dilation 2, 'valid': the kernel spans 9, so 4×4 positions; normal
    75·256·16 = 307,200, separable 75·16 + 3·256·16 = 13,488 (naive counts in test_cost)."""
    at = _app("app_pages/cost.py")
    at.slider(key="cost_dilation").set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert "4×4×256" in text and "307,200" in text and "13,488" in text
    at.slider(key="cost_dilation").set_value(3).run()  # spans 13 > 12: no output, a sentence
    assert not at.exception and at.error
    assert "13" in at.error[0].value
    at.radio(key="cost_padding").set_value("same").run()
    assert not at.exception and not at.error
    assert "12×12×256" in _text(at)


def test_cost_page_footnotes_the_papers_figures():
    """Issue 9, point 7: the count's 4,867 M (FC included; 4,866 M without), 290.68 M -> 291 M
    and Table 2's 1.91 % are stated beside the paper's 4,866, 290 and 1.19 %."""
    text = _text(_app("app_pages/cost.py"))
    for figure in ("4,867 M", "4,866 M", "290.68 M", "291 M", "1.91 %", "1.19 %"):
        assert figure in text, figure


def test_dilation_survives_a_page_switch():
    """The new controls keep their value when a student goes to the Overview and back."""
    at = _app("app_pages/spatial.py")
    at.slider(key="sp_dilation").set_value(3).run()
    at.switch_page("app_pages/cost.py").run()
    at.slider(key="cost_dilation").set_value(2).run()
    at.switch_page("app_pages/overview.py").run()
    at.switch_page("app_pages/spatial.py").run()
    assert at.slider(key="sp_dilation").value == 3
    at.switch_page("app_pages/cost.py").run()
    assert at.slider(key="cost_dilation").value == 2
