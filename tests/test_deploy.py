"""The classroom command: `bash deploy/serve.sh --replicas 2` puts two replicas behind nginx.

A tab's websocket and its upload PUT must reach the same replica, or the upload fails; the
sessions must still be spread over both replicas; a real browser must get a page and an upload
through; SIGTERM must stop nginx, both replicas and everything they started.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import IDLE, _free_port
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def _load_test():
    """bench/load_test.py speaks Streamlit's protocol as a browser tab does."""
    spec = importlib.util.spec_from_file_location("load_test", ROOT / "bench" / "load_test.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_test"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    family = {pid}
    while more := {p for p, pp in parents.items() if pp in family} - family:
        family |= more
    return family - {pid}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Classroom:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ROOT / "tests" / "serve-sh.log"
        self.proc = subprocess.Popen(
            ["bash", "deploy/serve.sh", "--port", str(self.port), "--replicas", "2"]
            + ["--address", "127.0.0.1"],
            cwd=ROOT,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("deploy/serve.sh did not come up:\n" + self.log.read_text())
            time.sleep(0.3)
        found = re.search(r"replicas on 127\.0\.0\.1:(\d+) (\d+)", self.log.read_text())
        assert found, self.log.read_text()
        self.replicas = [int(p) for p in found.groups()]

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="module")
def classroom():
    c = Classroom()
    yield c
    c.stop()


def _owner(port: int, session_id: str) -> bool:
    """True if the replica on ``port`` holds ``session_id``: it accepts an upload for it."""
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nprobe\r\n--{boundary}--\r\n"
    ).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
        cookie = next(c for c in r.headers.get_all("Set-Cookie") if "_streamlit_xsrf" in c)
    cookie = cookie.split(";")[0]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_stcore/upload_file/{session_id}/{uuid.uuid4()}",
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": cookie,
            "X-Xsrftoken": cookie.split("=", 1)[1],
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status in (200, 204)
    except urllib.error.HTTPError:
        return False


def test_every_upload_reaches_the_replica_of_its_websocket(classroom):
    """Twelve tabs, each with nginx's cookie: every upload is used, and both replicas serve."""
    lt = _load_test()

    async def tab(n: int):
        s = lt.Student(n, classroom.port, lt.make_photo(n, 800, 600), lt.Stats(), 120)
        await s.connect()
        await s.upload()
        options = list(s.widgets["image_choice"][1].options)
        # While the tab is open, ask each replica directly whether it holds this session.
        owned = [p for p in classroom.replicas if await asyncio.to_thread(_owner, p, s.session_id)]
        await s.close()
        return s, options, owned

    async def tabs():
        return await asyncio.gather(*(tab(n) for n in range(12)))

    # In its own thread: a Playwright sync session left open by an earlier browser test keeps an
    # event loop running in this one, where asyncio.run refuses to start.
    with concurrent.futures.ThreadPoolExecutor(1) as one:
        results = one.submit(asyncio.run, tabs()).result()
    owners = []
    for s, options, owned in results:
        assert "sepconv_replica=" in s.cookie
        assert s.stats.exceptions == [] and s.stats.failures == []
        assert "Your upload" in options  # the replica that ran the tab decoded the photo
        assert len(owned) == 1, owned  # exactly one replica knows this tab
        owners.append(owned[0])
    assert set(owners) == set(classroom.replicas)  # the class is spread over both


@pytest.mark.browser
def test_page_and_upload_in_chromium(classroom, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{classroom.url}/depthwise")
        page.wait_for_selector("h1")
        page.wait_for_selector(IDLE)
        page.wait_for_selector(".js-plotly-plot", state="attached")
        img = Image.new("RGB", (640, 480), (20, 120, 200))
        buf = io.BytesIO()
        img.save(buf, format="JPEG")
        page.locator("[data-testid=stSidebar] input[type=file]").set_input_files(
            files=[{"name": "class.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}]
        )
        page.get_by_text("Working image: 96 × 128 × 3").wait_for()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE)
        assert page.get_by_role("combobox", name="Sample image").input_value() == "Your upload"
        assert page.locator("[data-testid=stException]").count() == 0
        cookies = {c["name"] for c in context.cookies()}
        assert "sepconv_replica" in cookies
        (ROOT / "tests" / "artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "tests" / "artifacts" / "classroom-upload.png"))
    finally:
        context.close()


def test_sigterm_stops_nginx_and_every_replica(classroom):
    children = _descendants(classroom.proc.pid)
    assert len(children) >= 3  # two replicas and nginx, at least
    assert classroom.stop(signal.SIGTERM) != 0  # stopped by the signal, not finished
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in children if _alive(p)]
    for port in [classroom.port, *classroom.replicas]:
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)


def test_ctrl_c_stops_everything():
    """Ctrl-C in a terminal sends SIGINT to the foreground group: the script stops it all."""
    port = _free_port()
    proc = subprocess.Popen(
        ["bash", "deploy/serve.sh", "--port", str(port), "--replicas", "1"]
        + ["--address", "127.0.0.1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # As in a terminal: SIGINT not ignored (a background job of a script would ignore it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.3)
        children = _descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(60) == 130
        time.sleep(1)
        assert not [p for p in children if _alive(p)]
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
