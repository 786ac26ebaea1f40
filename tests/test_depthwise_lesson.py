"""The depthwise page's lesson (issue 9, points 1, 4, 13, 15, 16, 17) in Streamlit's AppTest,
and the core pieces it rests on (``sum_matches``, the new kernel families).

Numbers are checked against tests/naive.py's loops and SciPy, never against the page's own code.
"""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from naive import naive_conv2d, naive_depthwise, naive_pointwise
from scipy.ndimage import correlate
from streamlit.testing.v1 import AppTest

from sepconv_core import conv, kernels
from sepconv_core.image import center_square, resize_to
from sepconv_core.window import depthwise_window, sum_matches

APP = str(Path(__file__).resolve().parent.parent / "app.py")
STEP3 = "3 · Same as a normal convolution?"
STEP4 = "4 · Inside one output pixel"
CAMERA = "Camera man (grayscale photo)"


def _page(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.switch_page("app_pages/depthwise.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def _tiny(at: AppTest) -> np.ndarray:
    return resize_to(center_square(at.session_state["chosen_image"].image), 12)


def _chart(at: AppTest, key: str) -> dict:
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(key):
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no chart {key}")


# ------------------------------------------------------------------ point 1: Σ is the output


def test_sum_matches_accepts_float32_rounding_and_rejects_a_real_difference():
    """For 300 random depthwise windows with large cancelling kernels (Sobel 7, scaled random),
    the float32 output agrees with the float64 Σ of products; moved by 1e-4 of Σ|products|
    (far beyond float32 rounding for at most 49 terms), it does not."""
    rng = np.random.default_rng(1)
    for trial in range(300):
        k = int(rng.integers(1, 8))
        image = rng.random((k + 6, k + 6, 2)).astype(np.float32)
        kernel = rng.standard_normal((k, k, 2, 1)) * 10 ** rng.integers(0, 4)
        if trial % 3 == 0:
            kernel = kernels.channel_kernels("sobel", k, 2, 1)
        out = conv.depthwise_conv2d(image, kernel.astype(np.float32))
        r, c = (int(v) for v in rng.integers(0, out.shape[0], 2))
        w = depthwise_window(image.astype(np.float64), kernel, r, c)
        for n in range(2):
            assert sum_matches(w.products[n], out[r, c, n])
            moved = out[r, c, n] + 1e-4 * np.abs(w.products[n]).sum() + 1e-30
            assert not sum_matches(w.products[n], moved)


def test_step_4_never_says_they_differ_for_sobel_7_on_the_camera_man():
    """The issue's repro: Camera man at 128, working size, Sobel k = 7, 'valid', pixel (0, 0).
    Every check says ✓; the values shown equal naive loops' values."""
    at = _page()
    at.selectbox(key="image_choice").set_value(CAMERA)
    at.radio(key="dw_input").set_value("Working size (sidebar)").run()
    at.slider(key="dw_k").set_value(7)
    at.radio(key="dw_step").set_value(STEP4).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert "✗" not in text
    assert text.count("✓") >= 1 + 8  # the depthwise channel and the table's 8 outputs
    image = at.session_state["chosen_image"].image
    dk = kernels.channel_kernels("sobel", 7, 1, 1)
    expected = naive_depthwise(image[:13, :13], dk)[0, 0, 0]
    shown = float(re.search(r"Depthwise output at \(0, 0, 0\) = \*\*(-?[\d.e+-]+)\*\*", text)[1])
    assert shown == pytest.approx(expected, rel=1e-3)


# ------------------------------------------------------------------ point 4: the quiz


def test_step_0_shows_no_output_shape_until_the_questions_are_answered():
    """The downloads name the outputs' shapes (8×8×3, 8×8×256): not on step 0 before the
    answers, even with their expander open; after all four are revealed they are."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["dw_code_open"] = True  # the downloads' expander, opened
    at.switch_page("app_pages/depthwise.py").run()
    labels = " ".join(b.label for b in at.get("download_button"))
    assert "8×8" not in labels and "8×8" not in _text(at).replace("?", "")
    for key in ("dw_q_dshape", "dw_q_shape", "dw_q_mults", "dw_q_params"):
        at.button(key=f"{key}_show").click().run()
    labels = " ".join(b.label for b in at.get("download_button"))
    assert "8×8×256" in labels


def test_cost_quiz_does_not_print_the_output_shape_under_its_questions():
    """With the quiz on, '8×8×256' (the answer to 'Output shape?') is nowhere on the page until
    the questions are answered; then the valid/same paragraph comes back."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/cost.py").run()
    at.toggle(key="cost_quiz").set_value(True).run()
    assert "8×8×256" not in _text(at) + " ".join(i.value for i in at.info)
    for key in ("cost_q_shape", "cost_q_normal", "cost_q_sep", "cost_q_params"):
        at.button(key=f"{key}_show").click().run()
    assert "the output is **8×8×256**" in _text(at)


def _everything(at: AppTest) -> str:
    """Every sentence on the page, the quiz's verdicts included."""
    parts = [_text(at)] + [x.value for x in (*at.info, *at.success, *at.warning)]
    return "\n".join(parts)


def test_cost_quiz_count_explanation_waits_for_the_shape_question():
    """Giving up on the count (question 2) must not print the output shape (question 1's
    answer, 8×8×256); once question 1 is answered, the explanation multiplies it out."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/cost.py").run()
    at.toggle(key="cost_quiz").set_value(True).run()
    at.button(key="cost_q_normal_show").click().run()
    text = _everything(at)
    assert "Answer: 1,228,800." in text  # question 2's own answer is shown
    assert "8×8×256" not in text and "8·8" not in text
    at.text_input(key="cost_q_shape_answer").set_value("8 x 8 x 256")
    at.button(key="cost_q_shape_check").click().run()
    assert "5·5·3 per output value × 8×8×256 outputs" in _everything(at)


def test_depthwise_quiz_answers_do_not_give_each_other_away():
    """Step 0: question 1's answer (8×8×3) does not print question 2's (8×8×256), and giving
    up on question 2 first waits until question 1 is answered, since 8×8×256 holds its 8×8."""
    at = _page()
    at.button(key="dw_q_dshape_show").click().run()
    text = _everything(at)
    assert "Answer: 8×8×3." in text and "8×8×256" not in text

    at = _page()
    at.button(key="dw_q_shape_show").click().run()
    text = _everything(at)
    assert "8×8" not in text.replace("?", "")  # neither 8×8×256 nor 8×8×3
    assert "answer that one first" in text
    at.text_input(key="dw_q_dshape_answer").set_value("8x8x3")
    at.button(key="dw_q_dshape_check").click().run()
    assert "Answer: 8×8×256." in _everything(at)


# ------------------------------------------------------------------ point 13: kernels


@pytest.mark.parametrize(
    "family, expected",
    [
        ("scharr", [np.outer([3, 10, 3], [-1, 0, 1]), np.outer([-1, 0, 1], [3, 10, 3])]),
        ("prewitt", [np.outer([1, 1, 1], [-1, 0, 1]), np.outer([-1, 0, 1], [1, 1, 1])]),
        ("laplacian", [[[0, 1, 0], [1, -4, 1], [0, 1, 0]]] * 2),
        ("sharpen", [[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]] * 2),
    ],
)
def test_new_kernel_families_filter_each_channel(family, expected):
    """Each family's kernels (written out here by hand) filter the tiny input's channels: the
    depthwise output figures equal SciPy's correlation, cropped to 'valid'."""
    at = _page({"dw_step": "1 · Depthwise"})
    at.selectbox(key="dw_family").set_value(family).run()
    assert not at.exception, [e.value for e in at.exception]
    image = _tiny(at)
    for n in range(3):
        want = correlate(image[:, :, n].astype(np.float64), np.asarray(expected[n % 2], float))
        z = _z(at, f"dw1_out_{n}")
        np.testing.assert_allclose(z, want[1:-1, 1:-1], atol=1e-4)


def test_typed_kernel_for_every_channel_and_per_channel_with_bad_text_kept():
    """A typed 2×2 kernel filters every channel; per channel, each box's kernel filters its
    channel; a word in a box gives a sentence naming it, the text stays, the last good kernels
    stay in use; a non-square kernel gets its own sentence."""
    at = _page({"dw_step": "1 · Depthwise"})
    at.selectbox(key="dw_family").set_value("typed").run()
    at.text_area(key="dw_text").set_value("1 2\n-3 4").run()
    assert not at.exception, [e.value for e in at.exception]
    image = _tiny(at)
    kernel = np.array([[1.0, 2.0], [-3.0, 4.0]])
    for n in range(3):
        z = _z(at, f"dw1_out_{n}")
        np.testing.assert_allclose(z, correlate(image[:, :, n], kernel)[1:, 1:], atol=1e-4)

    at.radio(key="dw_typed_mode").set_value("one kernel per channel").run()
    typed = {0: "0 0 0; 0 2 0; 0 0 0", 1: "1 0 -1; 2 0 -2; 1 0 -1", 2: "1/9 1/9 1/9\n" * 3}
    for n, text in typed.items():
        at.text_area(key=f"dw_text_{n}").set_value(text)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    kernels_typed = [
        np.array([[0.0, 0, 0], [0, 2, 0], [0, 0, 0]]),
        np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]),
        np.full((3, 3), 1 / 9),
    ]
    outs = [_z(at, f"dw1_out_{n}") for n in range(3)]
    for n in range(3):
        want = correlate(image[:, :, n], kernels_typed[n])[1:-1, 1:-1]
        np.testing.assert_allclose(outs[n], want, atol=1e-4)

    at.text_area(key="dw_text_1").set_value("1 0 -1; 2 zero -2; 1 0 -1").run()
    assert not at.exception
    assert at.error and "zero" in at.error[0].value
    assert at.text_area(key="dw_text_1").value == "1 0 -1; 2 zero -2; 1 0 -1"
    still = _z(at, "dw1_out_1")
    np.testing.assert_allclose(still, outs[1], atol=1e-6)

    at.text_area(key="dw_text_1").set_value("1 2 3; 4 5 6").run()
    assert at.error and "2×3" in at.error[0].value
    at.text_area(key="dw_text_1").set_value("1 2; 3 4").run()
    assert at.error and "same size" in at.error[0].value


# ------------------------------------------------------------------ point 15: normal at a pixel


def test_step_3_adds_the_normal_kernels_75_products_and_the_separable_25_25_25_then_3():
    """Tiny input, k = 5, output 7 at pixel (0, 0). The normal convolution with the equivalent
    kernel (naive loops over all 75 products) and the separable path (naive depthwise, then
    naive pointwise) give the value the page prints for both paths."""
    at = _page({"dw_step": STEP3})
    at.slider(key="dw3_o").set_value(7).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    image = _tiny(at)
    dk = kernels.channel_kernels("sobel", 5, 3, 1, seed=0)
    pk = kernels.pointwise_weights(3, 256, seed=0)
    ek = np.einsum("hwc,co->hwco", dk[:, :, :, 0], pk)
    normal = naive_conv2d(image, ek)[0, 0, 7]
    separable = naive_pointwise(naive_depthwise(image, dk), pk)[0, 0, 7]
    total = float(re.search(r"Σ of all 75 products = \*\*(-?[\d.e+-]+)\*\*", text)[1])
    mixed = float(re.search(r"Σ of the 3 products = \*\*(-?[\d.e+-]+)\*\*", text)[1])
    assert total == pytest.approx(normal, rel=1e-3, abs=1e-4)
    assert mixed == pytest.approx(separable, rel=1e-3, abs=1e-4)
    rows = re.findall(r"^\| (\d) \| (-?[\d.e+-]+) \|", text, flags=re.M)
    sums = naive_depthwise(image, dk)[0, 0]
    assert [int(c) for c, _ in rows] == [0, 1, 2]
    for c, value in rows:
        assert float(value) == pytest.approx(sums[int(c)], rel=1e-3, abs=1e-4)
    assert "✗" not in text


# ------------------------------------------------------------------ point 16: measured time


def test_step_2_times_both_layers_on_request_beside_the_counts():
    """The counts are there at once (1,228,800 and 53,952 for the classic example); the
    measured times appear after the button, in milliseconds."""
    at = _page({"dw_step": "2 · Pointwise"})
    labels = {m.label: m.value for m in at.metric}
    assert labels["Multiplications, normal"] == "1,228,800"
    assert labels["… depthwise separable"] == "53,952"
    assert "Measured time, normal" not in labels
    at.button(key="dw2_time").click().run()
    labels = {m.label: m.value for m in at.metric}
    for label in ("Measured time, normal", "… depthwise separable"):
        assert label in labels
    ms = [float(v.split()[0]) for k, v in labels.items() if v.endswith(" ms")]
    assert len(ms) == 2 and all(t > 0 for t in ms)


# ------------------------------------------------------------------ point 17: clicks


@pytest.mark.parametrize("size", [256, 512])
def test_step_4_pointwise_output_takes_clicks_at_large_sizes_and_says_how(size):
    """At working sizes where the output has more cells than a click layer holds, the pointwise
    output still takes clicks (a sparse grid of markers that spans the whole output) and the
    caption says how close a click lands."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"dw_step": STEP4, "dw_input": "Working size (sidebar)"})
    at.run()
    at.select_slider(key="work_size").set_value(size)
    at.switch_page("app_pages/depthwise.py").run()
    assert not at.exception, [e.value for e in at.exception]
    spec = _chart(at, "dw4_pick_pw")
    assert "(click a pixel)" in spec["layout"]["title"]["text"]
    markers = spec["data"][-1]
    xs, ys = _decode(markers["x"]), _decode(markers["y"])
    out_h, out_w = at.session_state["chosen_image"].image.shape[:2]  # 'same'-free k = 5 below
    out_h, out_w = out_h - 4, out_w - 4
    spacing = int(re.search(r"one pixel in (\d+) along each side", _text(at))[1])
    assert xs.size <= 20_000 and spacing > 1
    assert xs.min() <= spacing and xs.max() >= out_w - 1 - spacing
    assert ys.min() <= spacing and ys.max() >= out_h - 1 - spacing
    assert np.all(np.diff(np.unique(xs)) == spacing)


def _decode(values) -> np.ndarray:
    """Plotly sends arrays as lists or as base64 typed arrays."""
    if isinstance(values, dict):
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = [int(n) for n in str(values.get("shape", flat.size)).split(",")]
        return flat.reshape(shape).astype(float)
    return np.asarray(values, dtype=float)


def _z(at: AppTest, key: str) -> np.ndarray:
    return _decode(_chart(at, key)["data"][0]["z"])


# ------------------------------------------------------------------ point 14: dilation


def test_dilation_spreads_the_receptive_field_in_step_4():
    """Tiny 12×12, k = 3, dilation 2, 'same', stride 1, pixel (4, 7). TensorFlow's 'same' pads
    (3 − 1)·2 = 4 in all, 2 before: the field is rows 2…6 and columns 5…9, taps every 2nd
    pixel. The sums equal naive dilated loops; the input figures outline the 9 taps."""
    at = _page({"dw_dilation": "2", "dw_padding": "same", "dw_k": "3", "dw_step": STEP4})
    at.slider(key="dw_row").set_value(4)
    at.slider(key="dw_col").set_value(7).run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert "sees input rows 2…6 and columns 5…9" in text
    assert "(rows 2, 4, 6; columns 5, 7, 9)" in text
    image = _tiny(at)
    dk = kernels.channel_kernels("sobel", 3, 3, 1)
    expected = naive_depthwise(image, dk, 1, "same", 2)[4, 7]
    sums = [float(s) for s in re.findall(r"Σ = \*\*(-?[\d.e+-]+)\*\*", text)]
    np.testing.assert_allclose(sums, expected, rtol=1e-3, atol=1e-4)
    shapes = _chart(at, "dw4_in_0")["layout"]["shapes"]
    taps = [s for s in shapes if s.get("fillcolor", "").startswith("rgba(255,255,255")]
    assert len(taps) == 1 and taps[0]["path"].count("M") == 9
    assert "✗" not in text


def test_dilation_limits_k_under_valid_padding_and_counts_stay_k_squared():
    """Tiny 12×12 'valid' with dilation 4: a k×k kernel spans (k − 1)·4 + 1 ≤ 12 pixels only
    for k ≤ 3, so the slider stops at 3; with k = 3 the output is 12 − 8 = 4 per side and the
    depthwise stage costs 3·3·3·4·4 = 432 multiplications."""
    at = _page({"dw_dilation": "4", "dw_k": "3", "dw_step": "1 · Depthwise"})
    assert at.slider(key="dw_k").max == 3
    assert "**4×4×3**" in _text(at)
    assert "Multiplications so far: **432**" in _text(at)


def test_downloads_and_code_are_built_only_while_their_expander_is_open():
    """A closed expander costs nothing: no download buttons and no code on the page; opening
    it builds them (the five arrays, and the code)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("app_pages/depthwise.py").run()
    at.radio(key="dw_step").set_value(at.radio(key="dw_step").options[1]).run()
    assert not at.get("download_button") and not at.code
    at.session_state["dw_code_open"] = True
    at.run()
    assert not at.exception
    assert len(at.get("download_button")) >= 5 and at.code


def test_step_3_planes_are_the_normal_convolutions_of_the_chosen_output():
    """Tiny input, k = 5, output 7: the two normal-convolution planes are naive convolutions
    with output 7's slice of the equivalent kernel and of the unconstrained kernel (seed + 1),
    and the stated largest difference covers all 8·8·256 values of the equivalent one."""
    at = _page({"dw_step": STEP3})
    at.slider(key="dw3_o").set_value(7).run()
    assert not at.exception, [e.value for e in at.exception]
    image = _tiny(at)
    dk = kernels.channel_kernels("sobel", 5, 3, 1, seed=0)
    pk = kernels.pointwise_weights(3, 256, seed=0)
    ek = np.einsum("hwc,co->hwco", dk[:, :, :, 0], pk)
    free = kernels.random_weights((5, 5, 3, 256), seed=1)
    np.testing.assert_allclose(_z(at, "dw3_normal"), naive_conv2d(image, ek)[:, :, 7], atol=1e-4)
    np.testing.assert_allclose(_z(at, "dw3_free"), naive_conv2d(image, free)[:, :, 7], atol=1e-4)
    claim = [m.value for m in at.markdown if "largest difference" in m.value][0]
    assert "16,384 values" in claim
    assert float(claim.split("**")[-2]) < 1e-4


def _cancelling_kernels(at: AppTest) -> np.ndarray:
    """Camera man (one channel), M = 2, typed per channel: Sobel, then −(P00/P10)·Sobel, so that
    output 0's equivalent kernel Sobel·P00 + (−P00/P10)·Sobel·P10 cancels to rounding."""
    at.selectbox(key="image_choice").set_value(CAMERA)
    at.selectbox(key="dw_family").set_value("typed")
    at.slider(key="dw_m").set_value(2).run()
    at.radio(key="dw_typed_mode").set_value("one kernel per channel").run()
    cout = next(s for s in at.slider if s.key.startswith("dw_cout_")).value
    pk = kernels.pointwise_weights(2, cout, seed=0)
    sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    scaled = -(pk[0, 0] / pk[1, 0]) * sobel
    at.text_area(key="dw_text_0").set_value("1 0 -1; 2 0 -2; 1 0 -1")
    typed = "\n".join(" ".join(repr(float(v)) for v in row) for row in scaled)
    at.text_area(key="dw_text_1").set_value(typed)
    at.radio(key="dw_step").set_value(STEP3).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]  # the typed numbers are the kernels
    return np.stack([sobel, scaled], axis=-1)[:, :, None, :]


def test_step_3_says_the_same_when_the_equivalent_kernel_cancels():
    """With M = 2 the equivalent kernel of output 0 cancels to float rounding, so the normal
    convolution's Σ is nearly 0 while the separable path rounds at the size of its depthwise
    sums: both are 0 up to that rounding (naive float64 loops say the exact value is ~0), and
    the page must say ✓, not ✗, for both paths."""
    at = _page()
    dk = _cancelling_kernels(at)
    image = _tiny(at)
    pk = kernels.pointwise_weights(2, at.slider(key="dw_cout_tiny").value, seed=0)
    exact = naive_pointwise(naive_depthwise(image, dk), pk)[0, 0, 0]
    assert abs(exact) < 1e-12, "the repro's kernels cancel"
    text = _text(at)
    assert "Σ of all 9 products" in text
    assert text.count("✓") == 2 and "✗" not in text, text
