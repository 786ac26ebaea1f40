"""How fast each page renders in a real browser, and how many bytes it sends.

Starts `streamlit run app.py` on a free loopback port, opens each page in headless Chromium
(Debian's, through Playwright), and measures, per page, after the app has loaded once:

- time from clicking the page in the navigation until the script has finished and every Plotly
  figure has drawn (median of several visits);
- bytes the server sent for that visit: websocket frames (Streamlit's deltas, with the figures)
  plus HTTP responses (images, media), read through the Chrome DevTools protocol.

Usage:  python bench/page_load.py [--repeats 5]
Targets (issue: the app): under 1.5 s and under 1.5 MB per page at default settings.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["Overview", "Spatially separable", "Depthwise separable", "Learned kernels",
         "Cost calculator", "Tiny MobileNet"]  # fmt: skip
PATHS = ["", "spatial", "depthwise", "learned", "cost", "tinynet"]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def _wait_drawn(page) -> None:
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
        ".every(c => c.querySelector('.main-svg'))"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    proc, url = _server()
    rows, first = [], {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            received = {"bytes": 0}
            cdp.on(
                "Network.webSocketFrameReceived",
                lambda e: received.__setitem__(  # payloadData is base64 for binary frames
                    "bytes", received["bytes"] + len(e["response"]["payloadData"]) * 3 // 4
                ),
            )
            cdp.on(
                "Network.loadingFinished",
                lambda e: received.__setitem__(
                    "bytes", received["bytes"] + int(e.get("encodedDataLength", 0))
                ),
            )
            page.goto(url)
            _wait_drawn(page)
            for name in PAGES * 2:  # warm every cache once, both directions
                page.locator("[data-testid=stSidebarNav]").get_by_text(name, exact=True).click()
                _wait_drawn(page)
            for name in PAGES:
                times, sizes = [], []
                for _ in range(args.repeats):
                    page.locator("[data-testid=stSidebarNav]").get_by_text(
                        "Overview" if name != "Overview" else "Cost calculator", exact=True
                    ).click()  # noqa: E501
                    _wait_drawn(page)
                    received["bytes"] = 0
                    t0 = time.perf_counter()
                    page.locator("[data-testid=stSidebarNav]").get_by_text(name, exact=True).click()
                    _wait_drawn(page)
                    times.append(time.perf_counter() - t0)
                    sizes.append(received["bytes"])
                rows.append((name, statistics.median(times), max(times), statistics.median(sizes)))
            # First visit in a new session (new browser context): nothing cached by the
            # server's message cache for this session; websocket bytes only (the static
            # JavaScript is the same for every page and cached by the browser).
            for name, path in zip(PAGES, PATHS, strict=True):
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                fresh = ctx.new_page()
                fresh.set_default_timeout(60_000)
                ws = {"bytes": 0}
                session = ctx.new_cdp_session(fresh)
                session.send("Network.enable")
                session.on(
                    "Network.webSocketFrameReceived",
                    lambda e, ws=ws: ws.__setitem__(
                        "bytes", ws["bytes"] + len(e["response"]["payloadData"]) * 3 // 4
                    ),
                )
                t0 = time.perf_counter()
                fresh.goto(f"{url}/{path}")
                fresh.wait_for_selector("h1")
                _wait_drawn(fresh)
                first[name] = (time.perf_counter() - t0, ws["bytes"])
                ctx.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print("Switching pages in one session (median of repeats; bytes: websocket + HTTP):")
    print(f"{'page':24s} {'median s':>9s} {'max s':>7s} {'sent MB':>8s}   (targets 1.5 s, 1.5 MB)")
    for name, med, worst, size in rows:
        print(f"{name:24s} {med:9.2f} {worst:7.2f} {size / 1e6:8.3f}")
    print("\nFirst visit of a page in a new session (load + render; websocket bytes):")
    print(f"{'page':24s} {'seconds':>9s} {'sent MB':>16s}")
    for name, (secs, size) in first.items():
        print(f"{name:24s} {secs:9.2f} {size / 1e6:16.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
