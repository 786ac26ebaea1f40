"""What one figure costs the server: building it, and serialising it as Streamlit does.

For each figure a page draws at working size 256 (and a few from the Tiny 12×12 lesson), time
with the figure cache cold (every student brings a different photo, so nothing is shared):

- ``build``: the ``ui.figures`` call that makes the ``go.Figure``;
- ``json``: ``plotly.io.to_json`` of it (what ``st.plotly_chart`` sends);
- ``warm``: the same call again, answered by the figure cache (a second student on a sample).

Median of ``--repeats`` runs, milliseconds, in this process, one core. Print a table; with
``--save FILE`` also write the medians as JSON, and ``--compare FILE`` prints before/after
ratios against such a file. Speed is reported, never asserted.

Usage:  python bench/bench_figures.py [--repeats 7] [--save before.json] [--compare before.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io as pio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sepconv_core import conv, image, kernels  # noqa: E402
from ui import figures  # noqa: E402

logging.disable(logging.WARNING)  # no Streamlit run here: its "bare mode" warnings


def _cases():
    # A real photo through the real layer, as the depthwise page computes it: random pixels
    # would make PNGs many times larger than a photo's.
    data = (ROOT / "assets" / "astronaut.jpg").read_bytes()
    photo = image.load_image(data, max_side=256).astype(np.float32)
    dk = kernels.channel_kernels("sobel", 5, 3, 1, seed=0).astype(np.float32)
    depthwise = conv.depthwise_conv2d(photo, dk)
    outputs16 = conv.pointwise_conv2d(depthwise, kernels.pointwise_weights(3, 16, seed=0))
    tiny = image.resize_to(image.center_square(photo), 12)
    tiny_in = tiny[:, :, 0]
    tiny_out = conv.pointwise_conv2d(
        conv.depthwise_conv2d(tiny, dk), kernels.pointwise_weights(3, 256, seed=0)
    )
    kern = dk[:, :, :, 0]
    weights = kernels.pointwise_weights(3, 16, seed=0)
    mark = figures.Marks(pixel=(3, 4))
    return {
        "image 256x256x3": lambda: figures.image_figure(photo, title="input"),
        "mosaic 252x252x3 (step 1)": lambda: figures.mosaic_figure(
            depthwise, title="depthwise outputs", marks=mark
        ),
        "mosaic 252x252x16 (step 2)": lambda: figures.mosaic_figure(
            outputs16, title="all 16 output channels", marks=mark
        ),
        "mosaic 8x8x256 (tiny step 2)": lambda: figures.mosaic_figure(
            tiny_out, title="all 256 output channels"
        ),
        "heatmap 252x252 (step 3)": lambda: figures.heatmap_figure(
            depthwise[:, :, 0], title="separable, output 0"
        ),
        "heatmap 12x12 numbers": lambda: figures.heatmap_figure(
            tiny_in, title="input channel 0", signed=False, zrange=(0, 1)
        ),
        "mosaic 5x5x3 kernels": lambda: figures.mosaic_figure(kern, title="kernels"),
        "heatmap 3x16 weights": lambda: figures.heatmap_figure(
            weights, title="pointwise weights", square=False
        ),
    }


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args()
    before = json.loads(args.compare.read_text()) if args.compare else {}
    results = {}
    header = f"{'figure':32} {'build ms':>9} {'json ms':>8} {'warm ms':>8} {'json kB':>8}"
    if before:
        header += f" {'build x':>8} {'total x':>8}"
    print(header)
    print("-" * len(header))
    for name, make in _cases().items():
        make()  # imports, colour tables: not what a rerun pays

        def cold(make=make):
            figures.clear_figure_cache()
            return make()

        build = _median_ms(cold, args.repeats)
        fig = cold()
        js = _median_ms(lambda fig=fig: pio.to_json(fig, validate=False), args.repeats)
        make()
        warm = _median_ms(make, args.repeats)
        size = len(pio.to_json(fig, validate=False)) / 1000
        results[name] = dict(build=build, json=js, warm=warm, kb=size)
        line = f"{name:32} {build:9.1f} {js:8.1f} {warm:8.2f} {size:8.0f}"
        if name in before:
            old = before[name]
            total = (old["build"] + old["json"]) / (build + js)
            line += f" {old['build'] / build:7.1f}x {total:7.1f}x"
        print(line)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
