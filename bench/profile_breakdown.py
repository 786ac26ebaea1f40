"""Where a server's CPU goes, from a py-spy profile: computing, figures, PNG, JSON, Streamlit.

    py-spy record --format raw --subprocesses --gil --pid PID --output prof.txt --duration 60
    python bench/profile_breakdown.py prof.txt

``bench/load_test.py --py-spy prof.txt`` records the server under load and prints this too.
Each sample (one stack) is given to one category, found by walking the stack from the
innermost frame outwards and taking the first frame that belongs to a known place: numpy and
the standard library say nothing by themselves (numpy called from ``sepconv_core`` is
computing, from Plotly's validators it is figures). "inclusive" counts a sample for every
category that appears anywhere on its stack.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

# (category, pattern on the frame's file), most specific first.
PLACES = [
    ("PNG / image encoding (Pillow)", r"(^|/)PIL/"),
    ("JSON (plotly to_json, orjson, json)", r"plotly/io/_json|(^|/)json/|orjson"),
    ("figures (Plotly, ui/figures.py)", r"(^|/)plotly/|_plotly_utils/|ui/figures\.py"),
    ("training (learn.py, ui/training.py)", r"sepconv_core/learn\.py|ui/training\.py"),
    ("computing (sepconv_core, ui/compute.py)", r"sepconv_core/|ui/compute\.py|ui/walkthrough\.py"),
    ("protobuf / messages", r"google/protobuf|(^|/)proto/"),
    ("Streamlit runtime", r"(^|/)streamlit/"),
    (
        "web server (uvicorn, starlette, asyncio)",
        r"(^|/)(uvicorn|starlette|websockets|h11|tornado|asyncio)/",
    ),
    (
        "app pages and ui (other)",
        r"app_pages/|(^|/)ui/|^(app|overview|spatial|depthwise|learned|cost)\.py",
    ),
]
TRAINING = PLACES[3][0]
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _file(frame: str) -> str:
    m = FRAME.match(frame.strip())
    return m.group("file") if m else frame


def _place(file: str) -> str | None:
    for name, pattern in PLACES:
        if re.search(pattern, file):
            return name
    return None


# Waiting, not working (py-spy's --nonblocking mode cannot always tell).
IDLE = re.compile(r"^(EpollSelector\.select|select|poll|Condition\.wait|Event\.wait|sleep) ")


def category(frames: list[str]) -> str:
    if any(_place(_file(f)) == TRAINING for f in frames):
        return TRAINING  # the convolutions inside a training step count as training
    for frame in reversed(frames):  # innermost last in py-spy's raw format
        name = _place(_file(frame))
        if name is not None:
            return name
    return "other (interpreter, stdlib, numpy alone)"


def breakdown(lines) -> tuple[Counter, Counter, int]:
    exclusive, inclusive, total = Counter(), Counter(), 0
    for line in lines:
        line = line.rstrip("\n")
        if not line or " " not in line:
            continue
        stack, count = line.rsplit(" ", 1)
        n = int(count)
        # py-spy's first frame names the process ("process 123:"python -m streamlit ...""):
        # not code, and its command line would match the patterns.
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames or IDLE.match(frames[-1]):
            continue
        exclusive[category(frames)] += n
        seen = {_place(_file(frame)) for frame in frames} - {None}
        for name in seen:
            inclusive[name] += n
        total += n
    return exclusive, inclusive, total


def report(path: str) -> str:
    with open(path) as f:
        exclusive, inclusive, total = breakdown(f)
    out = [f"{total} samples from {path}", f"{'where':44} {'self':>7} {'inclusive':>10}"]
    for name, n in exclusive.most_common():
        out.append(f"{name:44} {n / total:7.1%} {inclusive.get(name, 0) / total:10.1%}")
    return "\n".join(out)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(report(p))
