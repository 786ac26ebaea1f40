"""The "Tiny MobileNet" page: AppTest for what it shows, Chromium for an upload and training."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import IDLE
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from sepconv_core import tinynet
from sepconv_core.tinynet import load_digits, load_trained

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "app_pages/tinynet.py"


def _page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(PAGE).run()


def _figures(at: AppTest) -> dict[str, dict]:
    """Every Plotly figure on the page, by its title."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = (spec["layout"].get("title") or {}).get("text")
        out[title] = spec
    return out


def _array(values) -> np.ndarray:
    """A Plotly data array, plain or base64-typed."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def test_page_shows_both_networks_on_a_test_digit():
    at = _page()
    assert not at.exception and not at.error
    digits = load_digits()
    at.number_input(key="tn_digit").set_value(12).run()
    figures = _figures(at)
    for kind in tinynet.KINDS:
        expected = load_trained(kind, 1.0).predict(digits.test_images[12:13])[0]
        title = f"{kind}: it reads a {expected.argmax()}"
        assert title in figures, figures.keys()
        np.testing.assert_allclose(_array(figures[title]["data"][0]["y"]), expected, atol=1e-5)
    assert f"Its label: **{digits.test_labels[12]}**." in [c.value for c in at.caption]
    # The sidebar's image is not this page's digit, and the sidebar says so here only.
    assert len(at.sidebar.info) == 1
    at.switch_page("app_pages/spatial.py").run()
    assert not at.exception and not at.sidebar.info


@pytest.mark.parametrize("width, channels", [(1.0, 128), (0.5, 64)])
def test_the_page_says_why_separable_is_cheaper_in_numbers(width, channels):
    """The last block (7 x 7 outputs, ``channels`` in and out), counted here by hand: depthwise
    7·7·9·C, pointwise 7·7·C·C, normal 7·7·9·C·C, and the ratio 1/C + 1/9."""
    at = _page(tn_width=str(width))
    text = " ".join(m.value for m in at.markdown)
    c = channels
    for count in (49 * 9 * c, 49 * c * c, 49 * 9 * c + 49 * c * c, 49 * 9 * c * c):
        assert f"{count:,}" in text
    assert f"1/{c} + 1/9 = {1 / c + 1 / 9:.3f}" in text


def test_layer_tables_add_up_and_stages_show_depthwise_and_pointwise_apart():
    at = _page(tn_width="0.5", tn_stage="block2")
    assert not at.exception
    tables = [df.value for df in at.dataframe if "layer" in df.value.columns]
    sep, normal = tables[0], tables[1]
    for table, kind in ((sep, "separable"), (normal, "normal")):
        net = load_trained(kind, 0.5)
        assert table["mult-adds"].iloc[-1] == net.mult_adds == table["mult-adds"].iloc[:-1].sum()
        assert table["weights"].iloc[-1] == net.weight_count
    assert list(sep["layer"][:3]) == ["conv1", "block1 depthwise", "block1 pointwise"]
    titles = " | ".join(t for t in _figures(at) if t)
    assert "separable: block2 depthwise, 7×7×32, 14,112 mult-adds" in titles
    assert "separable: block2 pointwise, 7×7×64" in titles
    assert "normal: block2, 7×7×64" in titles


def test_tradeoff_shows_every_shipped_network_and_the_paper():
    at = _page()
    figures = _figures(at)
    ours, paper = (
        figures["Our tiny nets on MNIST digits"],
        figures["MobileNet v1 on ImageNet (paper)"],
    )
    assert [t["name"] for t in ours["data"]] == ["separable", "normal"]
    assert ours["layout"]["xaxis"]["type"] == paper["layout"]["xaxis"]["type"] == "log"
    meta = tinynet.shipped_metadata()["nets"]
    for trace, kind in zip(ours["data"], tinynet.KINDS, strict=True):
        expected = {
            (
                load_trained(kind, w).mult_adds,
                round(100 * meta[f"{kind}_{w:g}"]["test_accuracy"], 1),
            )
            for w in tinynet.WIDTHS
        }
        got = set(zip(_array(trace["x"]).astype(int), _array(trace["y"]), strict=True))
        assert got == expected
    assert set(_array(paper["data"][0]["y"])) == {70.6, 68.4, 63.7, 50.6}
    assert set(_array(paper["data"][1]["y"])) == {71.7}


def test_learned_family_offers_the_mnist_kernels():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/spatial.py").run()
    at.radio(key="sp_source").set_value("Learned").run()
    box = at.selectbox(key="sp_learned")
    assert "mnist_conv1" in box.options or "MNIST net, first layer 3×3" in box.options
    box.set_value("mnist_conv1").run()
    assert not at.exception and not at.error
    at.switch_page("app_pages/depthwise.py").run()
    at.selectbox(key="dw_family").set_value("learned").run()
    at.selectbox(key="dw_learned").set_value("mnist_block1_depthwise").run()
    assert not at.exception and not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "fixed by the learned kernels" in captions


def test_retrain_reports_progress_and_accuracy():
    messages = []
    result = tinynet.retrain(
        "separable", 0.25, 1, train_size=640, time_budget=30, report=messages.append
    )
    steps = [m for m in messages if "step" in m]
    assert len(steps) == 10 and steps[-1]["step"] == 10
    assert messages[-1]["done"] and messages[-1]["test_accuracy"] == result["test_accuracy"]
    net = tinynet.TinyNet("separable", 0.25).load_state(result["state"])
    d = load_digits()
    assert tinynet.accuracy(net, d.test_images, d.test_labels) == result["test_accuracy"] > 0.2
    # The digit read for each test image, one at a time through the rebuilt net.
    read = [int(net.predict(d.test_images[i : i + 1])[0].argmax()) for i in range(0, 1500, 7)]
    assert list(result["test_predictions"][::7]) == read


def test_retrain_measures_the_test_digits_between_epochs_without_changing_the_training():
    messages = []
    result = tinynet.retrain(
        "separable", 0.25, 3, train_size=320, time_budget=60, report=messages.append
    )
    between = [m for m in messages if "epoch_test_accuracy" in m]
    assert [m["epoch"] for m in between] == [1, 2]  # after the last epoch: the final accuracy
    assert all(0 <= m["epoch_test_accuracy"] <= 1 for m in between)
    # The same training without any measuring in between: the very same weights.
    d = load_digits()
    plain = tinynet.TinyNet("separable", 0.25, seed=0)
    tinynet.train(plain, d.train_images[:320], d.train_labels[:320], epochs=3, seed=0)
    for name, value in plain.state().items():
        np.testing.assert_array_equal(result["state"][name], value, err_msg=name)


class _Finished:
    """Stands in for a finished ``pool.Run`` whose job returned ``result``."""

    def __init__(self, run_id, result):
        self.id, self._result = run_id, result

    def result(self, timeout=None):
        return self._result


def test_a_trained_run_reads_the_digit_and_lists_the_digits_it_gets_wrong():
    from ui import tinynet as page_tn

    d = load_digits()
    shipped = load_trained("normal", 0.25)
    # A run "trained" to the shipped weights, with every 50th test digit claimed to be read as
    # the next digit up: those are exactly the ones it must list, in order.
    predicted = d.test_labels.copy()
    predicted[::50] = (predicted[::50] + 1) % 10
    run = _Finished(
        -1,
        {
            "kind": "normal",
            "width_multiplier": 0.25,
            "state": shipped.state(),
            "test_predictions": predicted,
        },
    )
    probs = page_tn.trained_probabilities(run, d.test_images[3])
    np.testing.assert_allclose(probs, shipped.predict(d.test_images[3:4])[0], atol=1e-6)
    stack, labels, wrong, numbers = page_tn.misread(run, limit=5)
    assert wrong == 30 and stack.shape == (28, 28, 5) and numbers == [0, 50, 100, 150, 200]
    for j, i in enumerate(range(0, 250, 50)):
        np.testing.assert_array_equal(stack[:, :, j] * 255, d.test_images[i])
        assert labels[j] == f"{d.test_labels[i]} → {(d.test_labels[i] + 1) % 10}"


# --------------------------------------------------------------------------- Chromium


def _photo_of_a_seven() -> bytes:
    """A phone-like photo: a dark "7" written off-centre on light, unevenly lit paper."""
    img = Image.new("RGB", (900, 700), (228, 222, 205))
    shade = Image.linear_gradient("L").rotate(90).resize((900, 700))
    img = Image.composite(img, Image.new("RGB", (900, 700), (170, 165, 150)), shade)
    draw = ImageDraw.Draw(img)
    draw.line([(520, 150), (760, 150), (600, 560)], fill=(35, 35, 60), width=28)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


@pytest.mark.browser
def test_upload_a_photo_and_train_in_chromium(page, app_url, tmp_path):
    page.goto(
        f"{app_url}/tinynet?tn_source=A+photo+of+your+own&tn_train_width=0.25&tn_train_epochs=1"
    )
    page.wait_for_selector("h1")
    page.wait_for_selector(IDLE)
    photo = tmp_path / "seven.jpg"
    photo.write_bytes(_photo_of_a_seven())
    page.locator("[data-testid=stMain] input[type=file]").set_input_files(str(photo))
    page.get_by_text("separable: it reads a 7").wait_for(timeout=90_000)
    page.get_by_text("normal: it reads a 7").wait_for()
    page.get_by_text("inverted (light paper)").wait_for()
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Test accuracy:").wait_for(timeout=180_000)
    page.get_by_text("yours: it reads a").wait_for()
    page.get_by_text("test digits read wrong").wait_for()
    assert page.locator("[data-testid=stException]").count() == 0
