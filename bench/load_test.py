"""A classroom as a load test: N real Streamlit sessions against a local server.

    python bench/load_test.py --sessions 30 --duration 60
    python bench/load_test.py --quick            # 5 sessions, 20 s

The script starts ``streamlit run app.py`` on a free port of 127.0.0.1 (and only there), then
speaks Streamlit's own protocol to it, as the browser does: a GET of ``/_stcore/health`` for the
XSRF cookie, a websocket on ``/_stcore/stream``, protobuf ``BackMsg`` out (``rerun_script`` with
the page and every widget's state) and ``ForwardMsg`` in, until ``script_finished``. No browser
is started: thirty Chromium pages on two cores would measure Chromium.

Each session, once connected and through its first run:

1. after a think time, uploads its own photo (a 4000×3000 JPEG made in memory, different for
   every session) the way the browser does: a ``file_urls_request`` BackMsg, a ``PUT`` to the
   upload URL the server answers with, then a rerun with the uploader's state;
2. walks a fixed lesson across the pages (spatial, depthwise, cost, learned, overview), each
   student starting at a random page and going round: presets, sliders, padding, typed kernels
   (one of them bad, as students type), steps, the working size, one press of Train, with a
   random think time between actions, until ``--duration`` or ``--max-actions``.

A rerun's latency is the time from sending its BackMsg to receiving ``script_finished``. Memory is
the server process's resident set (VmRSS in /proc): after a warm-up session has visited every page
(one-time imports and shared caches), after N sessions connected and ran the app once (idle), and
after the workload. Per session = the increase divided by N.

Like the browser, each tab tells the server which large messages it still holds
(``cached_message_hashes``), so unchanged figures come back as short references. The server runs
without a file watcher, as a deployment does (an edited source file would otherwise be purged
from ``sys.modules`` under the running sessions).

Nothing here is imported by the app or the tests. Needs only what Streamlit itself installs
(``websockets``, protobuf, Pillow, numpy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import websockets
from PIL import Image
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileURLs, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
FINISHED = {
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}

# One lesson: (action, widget key or page, value). "pick" chooses an option by its index, so the
# labels may change without breaking the script; an action whose widget is not on the page is
# skipped and counted. The upload comes first, once per session.
LESSON = [
    ("page", "spatial", None),
    ("pick", "sp_preset", 3),
    ("set", "sp_stride", 2),
    ("pick", "sp_padding", 1),
    ("pick", "sp_source", 3),
    ("set", "sp_text", "1 2 1\n2 4 2\n1 2 1"),
    ("set", "sp_text", "1 2 1\n2 four 2\n1 2 1"),
    ("set", "sp_stride", 1),
    ("page", "depthwise", None),
    ("pick", "dw_step", 1),
    ("pick", "dw_step", 2),
    ("pick", "dw_step", 3),
    ("set", "dw_m", 2),
    ("pick", "dw_input", 1),
    ("pick", "dw_step", 1),
    ("pick", "work_size", 4),  # 192
    ("pick", "work_size", 3),  # back to the default 128
    ("page", "cost", None),
    ("set", "cost_cout", 64),
    ("set", "cost_k", 3),
    ("pick", "cost_padding", 1),
    ("pick", "mb_alpha", 1),
    ("page", "learned", None),
    ("pick", "ln_task", 1),
    ("click", "ln_train", None),  # trains two small layers (~0.4 s of CPU), once per task
    ("page", "overview", None),
]


# The synchronised class of issue 11: everyone uploads, goes to the depthwise page, sets the
# working size to 256 and the input to it, then follows the teacher through steps 1 to 4.
CLASS_SETUP = [
    ("page", "depthwise", None),
    ("pick", "work_size", 5),  # 256
    ("pick", "dw_input", 1),  # the working-size image, not the tiny 12×12
]
CLASS_STEPS = [("pick", "dw_step", i) for i in (1, 2, 3, 4)]
# The student who trains meanwhile: a new task each time, so nothing is already cached.
TRAIN_TASKS = 7
# Seconds after the last upload before "before Train" starts: every student through steps 1-4.
WARM_S = 10.0

# ------------------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (replicas, nginx, pool workers)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    family, grew = {pid}, True
    while grew:
        more = {p for p, pp in parents.items() if pp in family} - family
        family |= more
        grew = bool(more)
    total = 0.0
    for p in family:
        with contextlib.suppress(OSError, RuntimeError):  # exited meanwhile, or a zombie
            total += rss_mb(p)
    return total


def tree_cpu_seconds(pid: int) -> float:
    """CPU of ``pid`` and its descendants that are still running (children's ended work too)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or _descends(int(stat.parent.name), pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _descends(p: int, ancestor: int) -> bool:
    for _ in range(10):
        try:
            p = int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
        if p == ancestor:
            return True
        if p <= 1:
            return False
    return False


def start_classroom(port: int, replicas: int) -> subprocess.Popen:
    """``bash deploy/serve.sh --port PORT --replicas N``: replicas behind nginx, in front."""
    cmd = ["bash", str(ROOT / "deploy" / "serve.sh"), "--port", str(port)]
    cmd += ["--replicas", str(replicas)]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"load_test_serve_{port}.log", "wb")  # noqa: SIM115
    # Its own process group, so that stopping it cannot reach this script.
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"deploy/serve.sh exited with {proc.returncode}; see {log.name}")
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("deploy/serve.sh did not answer /_stcore/health within 120 s")


def start_server(port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    cmd += ["--server.address", HOST, "--server.headless", "true"]
    # No file watcher: a changed source file would be purged from sys.modules under the
    # sessions' feet (and a deployed app's files do not change).
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"load_test_server_{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the server did not answer /_stcore/health within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------------------ one student


def make_photo(seed: int, width: int = 4000, height: int = 3000) -> bytes:
    """A phone-sized JPEG: smooth colour ramps and a few discs, different for every seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    h8, w8 = y.shape
    img = np.dstack([x / width, y / height, np.full_like(x, rng.uniform(0.2, 0.8))])
    for _ in range(6):
        cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(150, 600)
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(0, 1, 3)
    small = Image.fromarray((img * 255).astype(np.uint8), "RGB")
    assert small.size == (w8, h8)
    photo = np.asarray(small.resize((width, height), Image.Resampling.BILINEAR), np.int16)
    photo += rng.integers(-12, 13, size=(height, 1, 1), dtype=np.int16)  # banding, as sensors do
    photo += rng.integers(-10, 11, size=photo.shape, dtype=np.int16)  # and grain
    photo = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # action kind -> seconds
    exceptions: list[str] = field(default_factory=list)
    error_boxes: int = 0
    skipped: int = 0
    skipped_keys: set[str] = field(default_factory=set)
    timeouts: int = 0
    failures: list[str] = field(default_factory=list)
    bytes_in: int = 0
    timeline: list[tuple[float, str, float]] = field(default_factory=list)  # (end, kind, s)

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.timeline.append((time.monotonic(), kind, seconds))

    def all(self) -> list[float]:
        return [t for ts in self.latencies.values() for t in ts]


class Student:
    """One browser tab, reduced to the protocol."""

    def __init__(self, n: int, port: int, photo: bytes, stats: Stats, timeout: float):
        self.n, self.port, self.photo, self.stats, self.timeout = n, port, photo, stats, timeout
        self.ws = None
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> script hash
        self.page = ""
        # user key -> (element type, proto, id of the fragment it is drawn in, or "")
        self.widgets: dict[str, tuple[str, object, str]] = {}
        self.states: dict[str, WidgetState] = {}  # widget id -> the value this tab holds
        # st.fragment(run_every=...) asks the browser to rerun it: fragment id -> seconds
        self.auto_reruns: dict[str, float] = {}
        # Like the browser, keep large messages by hash and tell the server which ones we hold
        # (they come back as a short reference); the browser forgets them after 2 idle runs.
        self.cache: dict[str, tuple[ForwardMsg, int]] = {}
        self.runs = 0

    async def connect(self) -> None:
        url = f"http://{HOST}:{self.port}/_stcore/health"
        response = await asyncio.to_thread(urllib.request.urlopen, url, timeout=30)
        # Every cookie, as a browser keeps them: Streamlit's XSRF cookie, and behind the
        # classroom command nginx's affinity cookie, which keeps this tab on one replica.
        cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
        xsrf = next(c for c in cookies if c.startswith("_streamlit_xsrf="))
        cookie = "; ".join(cookies)
        self.cookie, self.xsrf = cookie, xsrf.split("=", 1)[1]
        self.ws = await websockets.connect(
            f"ws://{HOST}:{self.port}/_stcore/stream",
            subprotocols=["streamlit", self.xsrf],
            additional_headers={"Origin": f"http://{HOST}:{self.port}", "Cookie": cookie},
            max_size=None,
            open_timeout=self.timeout,
        )
        await self.rerun("first run")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def _receive(self) -> ForwardMsg:
        data = await asyncio.wait_for(self.ws.recv(), self.timeout)
        self.stats.bytes_in += len(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            if msg.ref_hash not in self.cache:
                raise RuntimeError("the server referred to a message this tab never had")
            msg = self.cache[msg.ref_hash][0]
            self.cache[msg.hash] = (msg, self.runs)
            kind = msg.WhichOneof("type")
        elif msg.metadata.cacheable:
            self.cache[msg.hash] = (msg, self.runs)
        if kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            self.auto_reruns = {}  # a full run registers its fragments' timers again
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fid, None)
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, msg.delta.fragment_id)
        return msg

    def _element(self, element, fragment_id: str = "") -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.stats.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == Alert.Format.ERROR:
            self.stats.error_boxes += 1
        widget_id = getattr(getattr(element, kind), "id", "") if kind else ""
        if widget_id.startswith("$$ID-"):
            # A widget drawn inside an st.fragment reruns only that fragment, as in a browser.
            self.widgets[widget_id.split("-", 2)[2]] = (kind, getattr(element, kind), fragment_id)

    async def rerun(
        self, kind: str, page: str | None = None, trigger: str | None = None, fragment: str = ""
    ) -> None:
        """Send a rerun with every widget state this tab holds; wait for script_finished.
        ``fragment``: the id of the fragment whose widget changed (only it reruns)."""
        if page is not None:
            self.page = page
            self.widgets = {}
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = self.pages.get(self.page, "")
        state.fragment_id = fragment
        state.is_auto_rerun = kind == "auto rerun"
        state.widget_states.widgets.extend(self.states.values())
        self.runs += 1
        self.cache = {h: (m, r) for h, (m, r) in self.cache.items() if self.runs - r <= 2}
        state.cached_message_hashes.extend(self.cache)
        if trigger:
            state.widget_states.widgets.add(id=trigger, trigger_value=True)
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        try:
            while True:
                reply = await self._receive()
                if reply.WhichOneof("type") == "script_finished" and reply.script_finished in (
                    FINISHED
                ):
                    break
        except TimeoutError:
            self.stats.timeouts += 1
            raise
        self.stats.add(kind, time.perf_counter() - start)

    async def upload(self) -> None:
        """As the browser does it: ask for an upload URL, PUT the file, rerun with its state."""
        name = f"IMG_{self.n:04d}.jpg"
        msg = BackMsg()
        request_id = uuid.uuid4().hex
        msg.file_urls_request.request_id = request_id
        msg.file_urls_request.session_id = self.session_id
        msg.file_urls_request.file_names.append(name)
        await self.ws.send(msg.SerializeToString())
        while True:
            reply = await self._receive()
            if (
                reply.WhichOneof("type") == "file_urls_response"
                and reply.file_urls_response.response_id == request_id
            ):
                urls = reply.file_urls_response.file_urls[0]
                break
        start = time.perf_counter()
        await asyncio.to_thread(self._put, urls.upload_url, name)
        self.stats.add("upload (PUT)", time.perf_counter() - start)
        kind, proto, _ = self.widgets["uploader"]
        info = UploadedFileInfo(
            file_id=urls.file_id,
            name=name,
            size=len(self.photo),
            file_urls=FileURLs(
                file_id=urls.file_id, upload_url=urls.upload_url, delete_url=urls.delete_url
            ),
        )
        ws = WidgetState(id=proto.id)
        ws.file_uploader_state_value.uploaded_file_info.append(info)
        self.states[proto.id] = ws
        await self.rerun("upload (rerun)")

    def _put(self, upload_url: str, name: str) -> None:
        boundary = uuid.uuid4().hex
        body = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + self.photo
            + f"\r\n--{boundary}--\r\n".encode()
        )
        url = urllib.parse.urljoin(f"http://{HOST}:{self.port}/", upload_url)
        if urllib.parse.urlsplit(url).hostname != HOST:
            raise RuntimeError(f"refusing to upload anywhere but {HOST}: {url}")
        request = urllib.request.Request(url, data=body, method="PUT")
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        request.add_header("X-Xsrftoken", self.xsrf)
        request.add_header("Cookie", self.cookie)
        request.add_header("Origin", f"http://{HOST}:{self.port}")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status not in (200, 204):
                raise RuntimeError(f"upload answered {response.status}")

    async def act(self, action: str, target: str, value) -> None:
        if action == "page":
            await self.rerun("page switch", page="" if target == "overview" else target)
            return
        if target not in self.widgets:
            self.stats.skipped += 1
            self.stats.skipped_keys.add(target)
            return
        kind, proto, fragment = self.widgets[target]
        if action == "click":
            await self.rerun("train (click)", trigger=proto.id, fragment=fragment)
            return
        ws = WidgetState(id=proto.id)
        if action == "pick":
            options = list(proto.options)
            label = options[min(value, len(options) - 1)]
            if kind == "slider":  # a select_slider
                ws.string_array_value.data.append(label)
            else:  # selectbox, radio
                ws.string_value = label
        elif kind == "slider":
            ws.double_array_value.data.append(float(value))
        elif kind == "number_input":
            ws.double_value = float(value)
        elif kind in ("text_area", "text_input"):
            ws.string_value = value
        elif kind == "checkbox":
            ws.bool_value = bool(value)
        else:
            raise ValueError(f"cannot set a {kind}")
        self.states[proto.id] = ws
        await self.rerun("fragment change" if fragment else "widget change", fragment=fragment)


async def student_lesson(s: Student, rng: random.Random, args, deadline: float) -> None:
    # Students go at their own pace: each starts the lesson at a random page (and goes round).
    pages = [i for i, (action, _, _) in enumerate(LESSON) if action == "page"]
    start = rng.choice(pages)
    lesson = LESSON[start:] + LESSON[:start]
    try:
        if not args.upload_together:
            await asyncio.sleep(rng.uniform(args.think_min, args.think_max))  # finding the photo
        await s.upload()
        actions = 1
        while actions < args.max_actions:
            for action in lesson:
                if time.monotonic() >= deadline or actions >= args.max_actions:
                    return
                await asyncio.sleep(rng.uniform(args.think_min, args.think_max))
                await s.act(*action)
                actions += 1
    except Exception as exc:  # one broken tab must not stop the class
        s.stats.failures.append(f"session {s.n}: {type(exc).__name__}: {exc}")


async def class_lesson(s: Student, rng: random.Random, args, deadline: float) -> None:
    """Issue 11's class: upload at once, depthwise page at 256, then steps 1-4 again and again."""
    try:
        await s.upload()
        for action in CLASS_SETUP:
            await asyncio.sleep(rng.uniform(args.think_min, args.think_max))
            await s.act(*action)
        actions = len(CLASS_SETUP) + 1
        while time.monotonic() < deadline and actions < args.max_actions:
            for action in CLASS_STEPS:
                await asyncio.sleep(rng.uniform(args.think_min, args.think_max))
                if time.monotonic() >= deadline:
                    return
                await s.act(*action)
                actions += 1
    except Exception as exc:  # one broken tab must not stop the class
        s.stats.failures.append(f"session {s.n}: {type(exc).__name__}: {exc}")


async def drain(s: Student, seconds: float) -> None:
    """For ``seconds``, do what a browser does on its own: rerun every fragment that asked for
    it (``run_every``, a training page's progress) at its interval, and read what comes."""
    end = time.monotonic() + seconds
    due: dict[str, float] = {}
    while (left := end - time.monotonic()) > 0:
        now = time.monotonic()
        due = {fid: t for fid, t in due.items() if fid in s.auto_reruns}  # stopped: forget
        for fid, interval in list(s.auto_reruns.items()):
            due.setdefault(fid, now + interval)
            if due[fid] <= now:
                due[fid] = now + interval
                await s.rerun("auto rerun", fragment=fid)
        wait = min([left, 0.1] + [t - time.monotonic() for t in due.values()])
        try:
            await asyncio.wait_for(s._receive(), max(wait, 0.01))
        except TimeoutError:
            continue


async def trainer(s: Student, start: float, deadline: float, stats: Stats) -> None:
    """One student on the learned page who presses Train on a new task every few seconds."""
    try:
        await s.act("page", "learned", None)
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        task = 0
        while time.monotonic() < deadline - 3:
            task = task % TRAIN_TASKS + 1
            await s.act("pick", "ln_task", task)
            await s.act("click", "ln_train", None)
            await drain(s, 4.0)
        stats.timeline.append((time.monotonic(), "trainer stopped", 0.0))
    except Exception as exc:
        stats.failures.append(f"trainer: {type(exc).__name__}: {exc}")


async def sample_rss(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], await asyncio.to_thread(tree_rss_mb, pid))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# ------------------------------------------------------------------------------ the class


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def run(args) -> dict:
    port = free_port()
    photos = [make_photo(seed) for seed in range(args.sessions + 1)]
    others = subprocess.run(
        ["ps", "-eo", "pcpu,etime,args", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout.splitlines()[:8]
    load_before = os.getloadavg()
    proc = start_classroom(port, args.replicas) if args.replicas else start_server(port)
    report: dict = {"sessions": args.sessions, "duration_s": args.duration, "port": port}
    report["settings"] = {k: v for k, v in vars(args).items() if k != "json"}
    report["server"] = (
        f"bash deploy/serve.sh --replicas {args.replicas}" if args.replicas else "streamlit run"
    )
    is_class = args.scenario == "class"
    try:
        report["rss_start_mb"] = tree_rss_mb(proc.pid)

        # Warm-up: sessions visit every page, so imports and shared caches are not counted
        # against the students (behind nginx, enough of them to reach every replica).
        async def warm_up(n: int) -> None:
            warm = Student(-1 - n, port, photos[0], Stats(), args.timeout)
            await warm.connect()
            for page in ("spatial", "depthwise", "cost", "overview", "learned"):
                await warm.act("page", page, None)
            # One training run, so that the server's worker process (a fixed ~100 MB once
            # anyone has trained) is part of the warm server, not counted per student.
            await warm.act("click", "ln_train", None)
            await drain(warm, 3.0)
            await warm.close()

        await asyncio.gather(*(warm_up(n) for n in range(3 * max(1, args.replicas))))
        await asyncio.sleep(1)
        report["rss_warm_mb"] = tree_rss_mb(proc.pid)

        stats = Stats()
        students = [Student(n, port, photos[n], stats, args.timeout) for n in range(args.sessions)]
        spy = None
        if args.py_spy:
            # The server and its children (pool workers), for the length of the workload; only
            # the thread holding the GIL in each process, i.e. what keeps everyone else waiting.
            spy = subprocess.Popen(
                ["py-spy", "record", "--format", "raw", "--subprocesses", "--gil"]
                + ["--rate", "100", "--pid", str(proc.pid), "--output", str(args.py_spy)]
                + ["--duration", str(int(args.duration + args.ramp + 5))],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        rngs = [random.Random(1000 + n) for n in range(args.sessions)]
        peak, stop = [report["rss_warm_mb"]], asyncio.Event()
        sampler = asyncio.create_task(sample_rss(proc.pid, peak, stop))

        async def arrive(s: Student, delay: float) -> None:
            await asyncio.sleep(delay)
            try:
                await s.connect()
            except Exception as exc:
                s.stats.failures.append(f"session {s.n}: {type(exc).__name__}: {exc}")
                raise

        delays = np.linspace(0, args.ramp, args.sessions, endpoint=False)
        trainer_stats = Stats()  # the trainer's own: the class's figures are the others'
        if is_class:
            # The teacher says "now": the class arrives within --ramp seconds and goes straight on.
            cpu0, t0 = tree_cpu_seconds(proc.pid), time.monotonic()
            deadline = t0 + args.duration
            mid = t0 + args.duration / 2
            coros = []

            async def student(s, r, d):
                await arrive(s, d)
                await class_lesson(s, r, args, deadline)

            coros = [student(s, r, d) for s, r, d in zip(students, rngs, delays, strict=True)]
            if args.trainer:
                one = Student(args.sessions, port, photos[-1], trainer_stats, args.timeout)
                await one.connect()
                coros.append(trainer(one, mid, deadline, stats))
            await asyncio.gather(*coros, return_exceptions=True)
            report["rss_idle_mb"] = float("nan")
        else:
            # The class arrives within --ramp seconds; each tab runs the app once, then idles.
            await asyncio.gather(*(arrive(s, d) for s, d in zip(students, delays, strict=True)))
            await asyncio.sleep(2)
            report["rss_idle_mb"] = tree_rss_mb(proc.pid)
            cpu0, t0 = tree_cpu_seconds(proc.pid), time.monotonic()
            deadline = t0 + args.duration
            mid = deadline
            await asyncio.gather(
                *(student_lesson(s, r, args, deadline) for s, r in zip(students, rngs, strict=True))
            )
        first = (
            stats.latencies.get("first run", [])
            if is_class
            else stats.latencies.pop("first run", [])
        )
        elapsed = time.monotonic() - t0
        report["server_cpu_s"] = tree_cpu_seconds(proc.pid) - cpu0
        report["workload_s"] = elapsed
        report["rss_after_mb"] = tree_rss_mb(proc.pid)
        stop.set()
        await sampler
        report["rss_peak_mb"] = peak[0]
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
            spy.wait(timeout=30)
        for s in students:
            await s.close()
    finally:
        stop_server(proc)

    everything = stats.all()
    reruns = [t for k, ts in stats.latencies.items() if k != "upload (PUT)" for t in ts]
    # The class uploads at the start, all at once; after the last upload is the steady state.
    uploads_done = max((end for end, k, _ in stats.timeline if k == "upload (rerun)"), default=t0)
    steady = [s for end, k, s in stats.timeline if end - s > uploads_done and k != "upload (PUT)"]
    # With --trainer, one more student trains from the middle on: compare the class's reruns
    # before it with those after it started. "Before" starts WARM_S after the last upload, once
    # every student has been through the four steps: the first pass fills the figure cache
    # and would make any later half look faster, trainer or not. The second half's figures
    # are also reported without a trainer (--no-trainer), for a comparison across two runs.
    warm = uploads_done + WARM_S
    quiet = [x for end, k, x in stats.timeline if warm < end - x and end < mid]
    busy = [x for end, k, x in stats.timeline if end - x > mid + 1 and k != "upload (PUT)"]
    report |= {
        "trainer_reruns": {k: len(v) for k, v in sorted(trainer_stats.latencies.items())},
        "peak_mb_per_session": (report["rss_peak_mb"] - report["rss_warm_mb"]) / args.sessions,
        "before_train_p50_s": percentile(quiet, 50),
        "before_train_p95_s": percentile(quiet, 95),
        "while_training_p50_s": percentile(busy, 50) if args.trainer else float("nan"),
        "while_training_p95_s": percentile(busy, 95) if args.trainer else float("nan"),
        "second_half_p50_s": percentile(busy, 50),
        "second_half_p95_s": percentile(busy, 95),
        "reruns": len(reruns),
        "reruns_per_s": len(reruns) / elapsed,
        "p50_s": percentile(reruns, 50),
        "p95_s": percentile(reruns, 95),
        "max_s": max(reruns, default=float("nan")),
        "uploads_done_after_s": uploads_done - t0,
        "steady_reruns": len(steady),
        "steady_p50_s": percentile(steady, 50),
        "steady_p95_s": percentile(steady, 95),
        "first_run_p50_s": percentile(first, 50),
        "first_run_p95_s": percentile(first, 95),
        "by_kind": {
            k: {"n": len(v), "p50_s": percentile(v, 50), "p95_s": percentile(v, 95)}
            for k, v in sorted(stats.latencies.items())
        },
        "idle_mb_per_session": (report["rss_idle_mb"] - report["rss_warm_mb"]) / args.sessions,
        "after_mb_per_session": (report["rss_after_mb"] - report["rss_warm_mb"]) / args.sessions,
        "exceptions": stats.exceptions[:10],
        "n_exceptions": len(stats.exceptions),
        "error_boxes": stats.error_boxes,
        "skipped_actions": stats.skipped,
        "skipped_keys": sorted(stats.skipped_keys),
        "timeouts": stats.timeouts,
        "failures": stats.failures[:10],
        "mb_received": stats.bytes_in / 1e6,
        "photo_mb": statistics.mean(len(p) for p in photos) / 1e6,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "busiest_processes_before": others,
        "client_cpu_s": time.process_time(),
        "all_latencies": len(everything),
    }
    return report


def print_report(r: dict) -> None:
    print(
        f"\n{r['sessions']} sessions, {r['workload_s']:.0f} s of lesson, server on port {r['port']}"
    )
    print(
        f"reruns: {r['reruns']} ({r['reruns_per_s']:.1f}/s)  p50 {r['p50_s'] * 1e3:.0f} ms  "
        f"p95 {r['p95_s'] * 1e3:.0f} ms  max {r['max_s'] * 1e3:.0f} ms"
    )
    print(f"server: {r['server']}, scenario {r['settings']['scenario']}")
    print(
        f"peak memory {r['rss_peak_mb']:.0f} MB (server and its children), "
        f"{r['peak_mb_per_session']:.1f} MB per student above the warm server"
    )
    if r["settings"]["trainer"]:
        b50, b95 = r["before_train_p50_s"] * 1e3, r["before_train_p95_s"] * 1e3
        t50, t95 = r["while_training_p50_s"] * 1e3, r["while_training_p95_s"] * 1e3
        print(
            f"one student training from half-time: the others' reruns p50 {b50:.0f} -> {t50:.0f} "
            f"ms ({t50 / b50 - 1:+.0%}), p95 {b95:.0f} -> {t95:.0f} ms ({t95 / b95 - 1:+.0%})"
        )
    print(
        f"second half of the lesson: p50 {r['second_half_p50_s'] * 1e3:.0f} ms, "
        f"p95 {r['second_half_p95_s'] * 1e3:.0f} ms"
        + (" (a student training)" if r["settings"]["trainer"] else " (nobody training)")
    )
    if r["trainer_reruns"]:
        counts = ", ".join(f"{n} {kind}" for kind, n in r["trainer_reruns"].items())
        print(f"the training student's own reruns: {counts}")
    print(
        f"after the last upload ({r['uploads_done_after_s']:.0f} s in): {r['steady_reruns']} "
        f"reruns, p50 {r['steady_p50_s'] * 1e3:.0f} ms, p95 {r['steady_p95_s'] * 1e3:.0f} ms"
    )
    print(
        f"first run of each arriving tab: p50 {r['first_run_p50_s'] * 1e3:.0f} ms, "
        f"p95 {r['first_run_p95_s'] * 1e3:.0f} ms"
    )
    for kind, v in r["by_kind"].items():
        p50, p95 = v["p50_s"] * 1e3, v["p95_s"] * 1e3
        print(f"  {kind:16} n={v['n']:4}  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms")
    print(
        f"server RSS: start {r['rss_start_mb']:.0f} MB, after warm-up {r['rss_warm_mb']:.0f} MB, "
        f"{r['sessions']} idle sessions {r['rss_idle_mb']:.0f} MB "
        f"({r['idle_mb_per_session']:.2f} MB each), after the lesson {r['rss_after_mb']:.0f} MB "
        f"({r['after_mb_per_session']:.2f} MB each)"
    )
    print(
        f"server CPU {r['server_cpu_s']:.0f} s in {r['workload_s']:.0f} s; client CPU "
        f"{r['client_cpu_s']:.0f} s; received {r['mb_received']:.0f} MB; photos "
        f"{r['photo_mb']:.1f} MB each"
    )
    print(
        f"exceptions {r['n_exceptions']}, error boxes {r['error_boxes']} (bad kernel text is "
        f"expected to give one per lesson), skipped actions {r['skipped_actions']}, timeouts "
        f"{r['timeouts']}, failed sessions {len(r['failures'])}"
    )
    if r["skipped_keys"]:
        print("   widgets not found when their action came:", ", ".join(r["skipped_keys"]))
    for line in r["exceptions"] + r["failures"]:
        print("  ", line[:200])
    print(f"load average before {r['loadavg_before']}, after {r['loadavg_after']}")
    print("busiest processes before the start:")
    for line in r["busiest_processes_before"]:
        print("  ", line[:160])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=30, help="students (1..100)")
    p.add_argument("--duration", type=float, default=60, help="seconds of lesson (max 600)")
    p.add_argument("--ramp", type=float, default=10, help="seconds over which the class arrives")
    p.add_argument("--think-min", type=float, default=2.0, help="shortest pause between actions")
    p.add_argument("--think-max", type=float, default=6.0, help="longest pause between actions")
    p.add_argument("--max-actions", type=int, default=200, help="per session")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for one rerun")
    p.add_argument(
        "--upload-together",
        action="store_true",
        help="every student uploads in the same second (the worst case), not after a think time",
    )
    p.add_argument(
        "--scenario",
        choices=["lesson", "class"],
        default="lesson",
        help="lesson: students at their own pace across every page (the default); class: issue "
        "11's synchronised class (arrive within 3 s, upload at once, depthwise page at 256, "
        "steps 1-4 with 0.5-2 s between changes, one student training from the middle on)",
    )
    p.add_argument(
        "--trainer",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="one more student presses Train from half-time on (default: on for --scenario class)",
    )
    p.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="serve with `bash deploy/serve.sh --replicas N` (nginx in front) instead of one "
        "`streamlit run app.py`",
    )
    p.add_argument(
        "--py-spy",
        type=Path,
        help="profile the server (plain `streamlit run` only) during the workload into this "
        "file (py-spy's raw format), then print where its CPU went",
    )
    p.add_argument("--quick", action="store_true", help="5 sessions for 20 s")
    p.add_argument("--json", type=Path, help="also write the figures here")
    explicit = {a.split("=")[0] for a in (sys.argv[1:] if argv is None else argv)}
    args = p.parse_args(argv)
    if args.scenario == "class":
        for flag, name, value in [
            ("--ramp", "ramp", 3.0),
            ("--think-min", "think_min", 0.5),
            ("--think-max", "think_max", 2.0),
        ]:
            if flag not in explicit:
                setattr(args, name, value)
        if args.trainer is None:
            args.trainer = True
    args.trainer = bool(args.trainer)
    if args.py_spy and args.replicas:
        p.error("--py-spy profiles one `streamlit run` process: leave out --replicas")
    if args.quick:
        args.sessions, args.duration, args.ramp = 5, 20, 2
    if not (1 <= args.sessions <= 100 and 0 < args.duration <= 600):
        p.error("--sessions must be 1..100 and --duration 0..600 s")
    report = asyncio.run(run(args))
    print_report(report)
    if args.py_spy and args.py_spy.is_file():
        from profile_breakdown import report as breakdown

        print("\nwhere the server's CPU went (py-spy):")
        print(breakdown(str(args.py_spy)))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0 if not report["n_exceptions"] and not report["failures"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
