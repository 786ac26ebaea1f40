"""The depthwise page in headless Chromium: clicks at every size, and the address bar as the
share link (the widgets are bound to it by Streamlit)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from test_browser import _click_cell, settle, shot

pytestmark = pytest.mark.browser


def _params(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def _position(page) -> tuple[int, int]:
    row = page.get_by_role("slider", name="Output row")
    col = page.get_by_role("slider", name="Output column")
    return int(row.input_value()), int(col.input_value())


@pytest.mark.parametrize("size", [256, 512])
def test_a_click_picks_a_pixel_at_large_working_sizes(page, app_url, size):
    """Working size 256 and 512 (outputs 252×252 and 508×… at k = 5, 'valid'), step 4: a click
    on the pointwise output moves the position to within the spacing the caption states."""
    import re

    query = "dw_step=4+%C2%B7+Inside+one+output+pixel&dw_input=Working+size+%28sidebar%29"
    page.goto(f"{app_url}/depthwise?work_size={size}&{query}")
    page.wait_for_selector("h1")
    settle(page)
    caption = page.get_by_text("Click a pixel on").first.inner_text()
    spacing = int(re.search(r"one pixel in (\d+) along each side", caption)[1])
    h, w = (int(n) for n in re.search(r"of (\d+)×(\d+) sees", page.content()).groups())
    target = (h * 2 // 3, w // 4)
    _click_cell(page, "dw4_pick_pw", *target, h, w)
    page.wait_for_timeout(500)
    settle(page)
    row, col = _position(page)
    assert abs(row - target[0]) <= spacing and abs(col - target[1]) <= spacing, (row, col)
    assert (row, col) != (0, 0)
    shot(page, f"depthwise-step4-click-{size}")
    assert page.locator("[data-testid=stException]").count() == 0


def test_the_address_bar_holds_the_step_and_the_pixel(page, app_url, browser):
    """Moving to step 4 and clicking a pixel puts both in the URL at once; the same URL in a
    new browser context opens step 4 at that pixel."""
    page.goto(f"{app_url}/depthwise")
    page.wait_for_selector("h1")
    settle(page)
    page.get_by_text("4 · Inside one output pixel").click()
    settle(page)
    _click_cell(page, "dw4_pick_pw", 5, 2, 8, 8)
    page.wait_for_timeout(500)
    params = _params(page)
    assert params["dw_step"].startswith("4")
    assert (params.get("dw_row"), params.get("dw_col")) == ("5", "2")
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    fresh = other.new_page()
    fresh.goto(page.url)
    fresh.wait_for_selector("h1")
    settle(fresh)
    assert _position(fresh) == (5, 2)
    assert fresh.get_by_text("Output pixel (5, 2) of 8×8").count() == 1
    other.close()


def test_settings_survive_a_trip_to_the_overview(page, app_url):
    """Step 2 and k = 3 set on the depthwise page are there again after visiting the Overview."""
    page.goto(f"{app_url}/depthwise")
    page.wait_for_selector("h1")
    settle(page)
    page.get_by_text("2 · Pointwise").click()
    settle(page)
    page.locator("[data-testid=stSidebarNav]").get_by_text("Overview").click()
    settle(page)
    page.locator("[data-testid=stSidebarNav]").get_by_text("Depthwise separable").click()
    settle(page)
    assert page.get_by_role("radio", name="2 · Pointwise").is_checked()
