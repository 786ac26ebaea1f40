"""Issue 9 in Chromium: numbers in cells are legible and fit their cells (at 1400 px wide and in
teacher mode), the shared colour range holds on step 1, every chart has one toolbar button and
an accessible name, and the depthwise page fits a phone.

Sizes are measured on the SVG text the browser drew (computed font size, bounding box), and
cells from the spacing of the numbers' centres, so nothing here trusts the app's own estimate.
"""

from __future__ import annotations

import re

import pytest
from conftest import ARTIFACTS
from conftest import settle as _settle

pytestmark = pytest.mark.browser

MIN_PX = 11

# For every chart that prints numbers: font sizes, and the worst fit of a number in its cell.
CELL_NUMBERS = """() => [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
  .map(plot => {
    const labels = [...plot.querySelectorAll('.heatmap-label text')]
      .filter(t => t.textContent.trim());
    if (!labels.length) return null;
    const boxes = labels.map(t => t.getBBox());
    const sizes = labels.map(t => parseFloat(getComputedStyle(t).fontSize));
    const pitch = (vals, whole) => {
      const u = [...new Set(vals.map(v => Math.round(v * 2) / 2))].sort((a, b) => a - b);
      let best = whole;
      for (let i = 1; i < u.length; i++) best = Math.min(best, u[i] - u[i - 1]);
      return best;
    };
    const area = plot.querySelector('.nsewdrag').getBBox();
    const px = pitch(boxes.map(b => b.x + b.width / 2), area.width);
    const py = pitch(boxes.map(b => b.y + b.height / 2), area.height);
    return {
      title: (plot.querySelector('.gtitle') || {}).textContent || '?',
      minFont: Math.min(...sizes),
      maxFont: Math.max(...sizes),
      widthOver: Math.max(...boxes.map(b => b.width - (px - 2))),
      heightOver: Math.max(...boxes.map(b => 0.75 * b.height - py)),
    };
  }).filter(Boolean)"""


def settle(page) -> None:
    _settle(page, pause_ms=300)  # figures with many numbers take a little longer to draw


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(height, 12_000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def _open(page, url: str, *clicks: str, ready: str = ".js-plotly-plot .heatmap-label") -> None:
    """Open ``url``, click each text in ``clicks``, and wait until ``ready`` is drawn."""
    page.goto(url)
    page.wait_for_selector("h1")
    settle(page)
    for text in clicks:
        page.get_by_text(text, exact=True).first.click()
        settle(page)
    page.wait_for_selector(ready, state="attached")
    page.wait_for_timeout(800)


def _numbers(page) -> list[dict]:
    return page.evaluate(CELL_NUMBERS)


def _kernel_7(page) -> None:
    slider = page.get_by_role("slider", name="Kernel size k")
    slider.focus()
    page.keyboard.press("End")
    settle(page)


VIEWS = {
    "tiny step 0": ("depthwise", ["0 · Input"]),
    "tiny step 1": ("depthwise", ["1 · Depthwise"]),
    "tiny step 3": ("depthwise", ["3 · Same as a normal convolution?"]),
    "tiny step 4": ("depthwise", ["4 · Inside one output pixel"]),
    "spatial": ("spatial", []),
}


@pytest.mark.parametrize("teacher", [False, True], ids=["plain", "teacher"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_numbers_in_cells_are_legible_and_fit(page, app_url, view, teacher):
    """At 1400 px wide every number printed in a cell is at least 11 px and fits its cell; in
    teacher mode it is larger than that and still fits."""
    path, clicks = VIEWS[view]
    _open(page, f"{app_url}/{path}" + ("?teacher=1" if teacher else ""), *clicks)
    charts = _numbers(page)
    assert charts, "no numbers printed on this view"
    smallest = min(c["minFont"] for c in charts)
    assert smallest >= (15 if teacher else MIN_PX), charts
    if not teacher:  # and teacher mode's larger text stays in teacher mode's session
        assert max(c["maxFont"] for c in charts) < 15, charts
    for c in charts:
        assert c["widthOver"] <= 0, c
        assert c["heightOver"] <= 0, c
    if view == "tiny step 1":
        shot(page, f"legible-{view.replace(' ', '-')}-{'teacher' if teacher else 'plain'}")


def test_seven_by_seven_patches_are_legible(page, app_url):
    _open(page, f"{app_url}/depthwise", "4 · Inside one output pixel")
    _kernel_7(page)
    page.wait_for_timeout(800)
    patches = [c for c in _numbers(page) if c["title"].startswith("patch")]
    assert patches
    for c in patches:
        assert c["minFont"] >= MIN_PX and c["widthOver"] <= 0 and c["heightOver"] <= 0, c
    shot(page, "legible-step4-k7")


RANGES = """() => [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
  .filter(p => ((p.querySelector('.gtitle') || {}).textContent || '').startsWith('depthwise o'))
  .map(p => [p.data[0].zmin, p.data[0].zmax])"""


def test_shared_colour_range_holds_on_step_1(page, app_url):
    """One range for the three depthwise outputs (the largest |value| of them all); per channel,
    three different ranges."""
    _open(page, f"{app_url}/depthwise", "1 · Depthwise")
    shared = page.evaluate(RANGES)
    assert len(shared) == 3
    assert len({tuple(r) for r in shared}) == 1
    page.get_by_text("per channel", exact=True).click()
    settle(page)
    page.wait_for_timeout(800)
    own = page.evaluate(RANGES)
    assert len({tuple(r) for r in own}) == 3
    assert max(hi for _, hi in own) == pytest.approx(shared[0][1])


CHARTS = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stPlotlyChart]')]
  .map(c => ({
    name: (c.querySelector('[role=figure]') || c).getAttribute('aria-label'),
    title: ((c.querySelector('.gtitle') || {}).textContent || '').trim(),
    buttons: c.querySelectorAll('.modebar-btn').length,
  }))"""


@pytest.mark.parametrize(
    "path, clicks",
    [
        ("", []),
        ("spatial", []),
        ("depthwise", ["4 · Inside one output pixel"]),
        ("cost", []),
        ("tinynet", []),
        ("learned", []),
    ],
)
def test_every_chart_has_one_toolbar_button_and_a_name(page, app_url, path, clicks):
    _open(page, f"{app_url}/{path}", *clicks, ready=".js-plotly-plot")
    charts = page.evaluate(CHARTS)
    assert charts
    for c in charts:
        assert c["buttons"] <= 1, c
        assert c["name"] and c["name"] != "Chart" and len(c["name"]) > 8, c
        # a summary of its numbers, not the title alone ("MobileNet v1" is no summary)
        assert re.search(r"\d", c["name"].replace(c["title"], "", 1)), c


# Per chart: its title and the smallest font size of any text drawn in it.
TEXT_SIZES = """() => [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
  .map(plot => {
    const sizes = [...plot.querySelectorAll('text')]
      .filter(t => t.textContent.trim() && t.getBBox().width > 0)
      .map(t => parseFloat(getComputedStyle(t).fontSize));
    const title = (plot.querySelector('.gtitle') || {}).textContent || '';
    return {title, min: Math.min(...sizes)};
  })"""


@pytest.mark.parametrize(
    "path, clicks",
    [
        ("", []),
        ("spatial", []),
        ("depthwise", ["2 · Pointwise"]),
        ("cost", []),
        ("tinynet", []),
    ],
)
def test_all_chart_text_is_legible_and_grows_in_teacher_mode(page, app_url, path, clicks):
    """Every text of every chart (ticks, legends, titles, labels) is at least 11 px at 1400 px
    wide, and in teacher mode each chart's smallest text is at least 1.3 times as large."""
    sizes = {}
    for teacher in (False, True):
        link = f"{app_url}/{path}" + ("?teacher=1" if teacher else "")
        _open(page, link, *clicks, ready=".js-plotly-plot")
        sizes[teacher] = page.evaluate(TEXT_SIZES)
    plain, teacher = sizes[False], sizes[True]
    assert plain and [c["title"] for c in plain] == [c["title"] for c in teacher]
    for a, b in zip(plain, teacher, strict=True):
        assert a["min"] >= MIN_PX, a
        assert b["min"] >= 1.3 * a["min"], (a, b)


# Tables: how many canvas-drawn dataframes, and the font size of every table cell.
TABLES = """() => ({
  frames: document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame]').length,
  cells: [...document.querySelectorAll('[data-testid=stMain] :is(td, th)')]
    .filter(t => t.textContent.trim()).map(t => parseFloat(getComputedStyle(t).fontSize)),
})"""


@pytest.mark.parametrize(
    "path, clicks",
    [("cost", []), ("tinynet", []), ("depthwise", ["4 · Inside one output pixel"])],
)
def test_tables_grow_in_teacher_mode(page, app_url, path, clicks):
    """In teacher mode every table is text the page's stylesheet enlarges (no canvas-drawn
    dataframe, which no stylesheet reaches), its cells as large as the enlarged paragraphs."""
    _open(page, f"{app_url}/{path}", *clicks, ready="h1")
    plain = page.evaluate(TABLES)
    _open(page, f"{app_url}/{path}?teacher=1", *clicks, ready="h1")
    teacher = page.evaluate(TABLES)
    assert teacher["frames"] == 0 and teacher["cells"], teacher
    body = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('[data-testid=stMain] "
        "[data-testid=stMarkdown] p')).fontSize)"
    )
    assert min(teacher["cells"]) >= body >= 1.3 * 16
    assert all(size < min(teacher["cells"]) for size in plain["cells"])


@pytest.fixture()
def phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


PHONE_GEOMETRY = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const radio = main.querySelector('[data-testid=stRadio]');
  let box = radio;  // the bordered box of controls around the first radio
  while (box && !(parseFloat(getComputedStyle(box).borderTopWidth) > 0)) box = box.parentElement;
  return {
    height: main.scrollHeight,
    controls: box ? box.getBoundingClientRect().height : null,
    width: main.scrollWidth,
  };
}"""


def test_depthwise_page_on_a_phone(phone, app_url):
    """390×844: the controls take well under a screen, nothing is wider than the screen, and
    step 4 is far shorter than the 8,700 px it was."""
    _open(phone, f"{app_url}/depthwise")
    first = phone.evaluate(PHONE_GEOMETRY)
    assert first["controls"] is not None and first["controls"] < 0.6 * 844, first
    assert first["width"] <= 390, first
    shot(phone, "phone-depthwise-step0")
    phone.get_by_text("4 · Inside one output pixel", exact=True).click()
    settle(phone)
    phone.wait_for_timeout(800)
    step4 = phone.evaluate(PHONE_GEOMETRY)
    assert step4["height"] < 6_500, step4
    shot(phone, "phone-depthwise-step4")


PHONE_CHARTS = """() => ({
  width: document.querySelector('[data-testid=stMain]').scrollWidth,
  charts: [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
    .map(p => p.getBoundingClientRect().width),
  toolbars: [...document.querySelectorAll('[data-testid=stMain] .modebar-container')]
    .filter(m => getComputedStyle(m).display !== 'none').length,
})"""


def test_tiny_mobilenet_charts_take_a_phones_width(phone, app_url):
    """At 390 px every chart of the Tiny MobileNet page has the screen's width (not half of
    it, where titles ran off the screen), nothing is wider than the screen, and no toolbar
    covers a title."""
    _open(phone, f"{app_url}/tinynet", ready=".js-plotly-plot")
    geometry = phone.evaluate(PHONE_CHARTS)
    assert geometry["width"] <= 390, geometry
    assert len(geometry["charts"]) >= 6 and min(geometry["charts"]) >= 330, geometry
    assert geometry["toolbars"] == 0, geometry
    shot(phone, "phone-tinynet")
