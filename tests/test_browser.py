"""The real app in headless Chromium: pages render with no error box, uploads behave."""

from __future__ import annotations

import io

import pytest
from conftest import ARTIFACTS, settle
from PIL import Image

pytestmark = pytest.mark.browser

PAGES = {
    "overview": "",
    "spatial": "spatial",
    "depthwise": "depthwise",
    "learned": "learned",
    "cost": "cost",
    "tinynet": "tinynet",
}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_without_error(page, app_url, name):
    """Each page loads in Chromium, draws its Plotly figures and shows no exception box."""
    page.goto(f"{app_url}/{PAGES[name]}")
    page.wait_for_selector("h1")
    settle(page)
    page.wait_for_selector(".js-plotly-plot", state="attached")
    shot(page, f"page-{name}")
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0


def _jpeg(width=640, height=480) -> bytes:
    img = Image.new("RGB", (width, height), (20, 120, 200))
    for x in range(0, width, 40):
        img.paste((250, 250, 0), (x, 0, x + 20, height))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_upload_photo_then_non_image(page, app_url):
    """A photo replaces the sample; a text file named .png gives a sentence and the photo stays."""
    page.goto(f"{app_url}/depthwise")
    settle(page)
    upload = page.locator("[data-testid=stSidebar] input[type=file]")
    upload.set_input_files(
        files=[{"name": "stripes.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.get_by_text("Working image: 96 × 128 × 3").wait_for()
    settle(page)
    sidebar = page.locator("[data-testid=stSidebar]")
    choice = page.get_by_role("combobox", name="Sample image")
    assert choice.input_value() == "Your upload"
    shot(page, "upload-photo")
    upload.set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image at all"}]
    )
    page.get_by_text("notes.png").first.wait_for()
    settle(page)
    shot(page, "upload-text")
    error = page.locator("[data-testid=stSidebar] [data-testid=stAlertContentError]")
    assert "not loaded" in error.inner_text()
    assert "Working image: 96 × 128 × 3" in sidebar.inner_text()
    assert choice.input_value() == "Your upload"
    assert page.locator("[data-testid=stException]").count() == 0


def test_chosen_sample_survives_page_switch(page, app_url):
    """Pick a sample on one page, follow the navigation to another: the choice is kept."""
    page.goto(f"{app_url}/spatial")
    settle(page)
    choice = page.get_by_role("combobox", name="Sample image")
    choice.click()
    page.get_by_role("option").filter(has_text="Coffee").first.click()
    settle(page)
    assert choice.input_value().startswith("Coffee")
    page.locator("[data-testid=stSidebarNav]").get_by_text("Cost calculator").click()
    page.get_by_text("Per stage").wait_for()
    settle(page)
    assert page.get_by_role("combobox", name="Sample image").input_value().startswith("Coffee")
    assert "Working image: 85 × 128 × 3" in page.locator("[data-testid=stSidebar]").inner_text()


def test_learned_page_trains_once(page, app_url):
    """Pressing Train in the browser trains both layers and draws the loss curve."""
    page.goto(f"{app_url}/learned")
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Loss while training").wait_for(timeout=120_000)
    settle(page)
    shot(page, "learned-trained")
    assert page.get_by_text("separable layer's output").count() >= 1
    assert page.locator("[data-testid=stException]").count() == 0


def _click_cell(page, key: str, row: int, col: int, rows: int, cols: int) -> None:
    """Click the centre of cell (row, col) of the rows × cols grid drawn in chart ``key``."""
    plot = page.locator(f".st-key-{key} .nsewdrag").first
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    x = box["x"] + (col + 0.5) / cols * box["width"]
    y = box["y"] + (row + 0.5) / rows * box["height"]
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    settle(page)


def test_clicking_an_output_pixel_in_step_4_moves_the_position(page, app_url):
    """Step 4 at the defaults (tiny 12×12, k = 5, 'valid': 8×8 outputs). A click on cell (5, 2)
    of the pointwise output sets the row and column sliders to 5 and 2; a click on cell (3, 6)
    of depthwise channel 1 (the middle tile of three 8×8 tiles with a blank column between
    them, 26 columns in all) sets them to 3 and 6."""
    from playwright.sync_api import expect

    page.goto(f"{app_url}/depthwise")
    page.wait_for_selector("h1")
    settle(page)
    page.get_by_text("4 · Inside one output pixel").click()
    settle(page)
    row = page.get_by_role("slider", name="Output row")
    col = page.get_by_role("slider", name="Output column")
    expect(row).to_have_value("0")
    expect(col).to_have_value("0")
    _click_cell(page, "dw4_pick_pw", 5, 2, 8, 8)
    expect(row).to_have_value("5")
    expect(col).to_have_value("2")
    _click_cell(page, "dw4_pick_dw", 3, 9 + 6, 8, 26)
    expect(row).to_have_value("3")
    expect(col).to_have_value("6")
    assert page.get_by_text("Output pixel (3, 6) of 8×8").count() == 1
    shot(page, "depthwise-step4-clicked")
    assert page.locator("[data-testid=stException]").count() == 0


def test_download_an_array_from_the_depthwise_page(page, app_url, tmp_path):
    """The .npy download of the classic example's output loads back as an 8x8x256 array."""
    import numpy as np

    page.goto(f"{app_url}/depthwise")
    settle(page)
    page.get_by_role("button", name="Next →").click()  # step 0 keeps them for after its quiz
    settle(page)
    page.get_by_text("Download the arrays, and show the code").click()
    button = page.get_by_role("button", name="output (8×8×256) .npy")
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    array = np.load(path)
    assert array.shape == (8, 8, 256) and array.dtype == np.float32
    assert np.isfinite(array).all() and np.abs(array).max() > 0
