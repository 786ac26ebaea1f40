"""Time sepconv_core.conv against PyTorch on the CPU, side by side in one run.

    python bench/bench_conv.py              # every shape, 15 repeats
    python bench/bench_conv.py --quick      # a few shapes, 5 repeats
    python bench/bench_conv.py --torch-thp  # torch on transparent huge pages, as numpy is

For each operation and shape it times ours (numpy, (H, W, C) layout) and
``torch.nn.functional.conv2d`` (NCHW, groups=C for depthwise, a 1x1 kernel for
pointwise), alternating the two so a busy moment slows both, and reports the
median time, the ratio ours/torch against its target, and whether the two
outputs agree. Layout conversions happen before the clock starts. It reports;
it never fails on slowness (exit status 0).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

from sepconv_core.conv import (
    conv2d,
    depthwise_conv2d,
    pointwise_conv2d,
    separable_conv2d,
)

TORCH_PIN = "torch==2.13.0"
# Target: our time at most this many times PyTorch's.
TARGETS = {"standard": 4.0, "depthwise": 4.0, "pointwise": 1.5, "separable": 4.0}

# (operation, H, W, Cin, k, Cout) -- Cout is unused by depthwise (multiplier 1).
CLASSROOM = [
    (op, 512, 512, 3, k, cout)
    for k in (3, 5)
    for cout in (16, 64)
    for op in ("standard", "separable")
] + [
    ("depthwise", 512, 512, 3, 3, 3),
    ("depthwise", 512, 512, 3, 5, 3),
    ("pointwise", 512, 512, 3, 1, 16),
    ("pointwise", 512, 512, 3, 1, 64),
]
MOBILENET = [
    ("depthwise", 128, 128, 64, 3, 64),
    ("pointwise", 128, 128, 64, 1, 128),
    ("separable", 128, 128, 64, 3, 128),
    ("standard", 128, 128, 64, 3, 128),
]
QUICK = [
    ("standard", 512, 512, 3, 3, 16),
    ("depthwise", 512, 512, 3, 3, 3),
    ("pointwise", 512, 512, 3, 1, 16),
    ("separable", 512, 512, 3, 3, 16),
] + MOBILENET[:3]


def _case(op, h, w, cin, k, cout, torch, rng):
    """Inputs for one case: (ours, theirs), two zero-argument callables."""
    F = torch.nn.functional
    x = rng.standard_normal((h, w, cin), dtype=np.float32)
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))[None])
    if op == "standard":
        kern = rng.standard_normal((k, k, cin, cout), dtype=np.float32)
        kt = torch.from_numpy(np.ascontiguousarray(kern.transpose(3, 2, 0, 1)))
        return (
            lambda: conv2d(x, kern, padding="same"),
            lambda: F.conv2d(xt, kt, padding="same"),
        )
    d = rng.standard_normal((k, k, cin, 1), dtype=np.float32)
    dt = torch.from_numpy(np.ascontiguousarray(d.transpose(2, 3, 0, 1)))  # (Cin, 1, k, k)
    p = rng.standard_normal((cin, cout), dtype=np.float32)
    pt = torch.from_numpy(np.ascontiguousarray(p.T)[:, :, None, None])  # (Cout, Cin, 1, 1)
    if op == "depthwise":
        return (
            lambda: depthwise_conv2d(x, d, padding="same"),
            lambda: F.conv2d(xt, dt, padding="same", groups=cin),
        )
    if op == "pointwise":
        return lambda: pointwise_conv2d(x, p), lambda: F.conv2d(xt, pt)
    return (
        lambda: separable_conv2d(x, d, p, padding="same"),
        lambda: F.conv2d(F.conv2d(xt, dt, padding="same", groups=cin), pt),
    )


def _time(ours, theirs, repeats: int) -> tuple[float, float]:
    """Median milliseconds of each, measured alternately after one warm-up call."""
    ours(), theirs()
    a, b = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours()
        t1 = time.perf_counter()
        theirs()
        t2 = time.perf_counter()
        a.append(t1 - t0)
        b.append(t2 - t1)
    return 1e3 * statistics.median(a), 1e3 * statistics.median(b)


def _agree(ours: np.ndarray, theirs) -> bool:
    ref = theirs[0].permute(1, 2, 0).numpy()
    scale = float(np.abs(ref).max()) or 1.0
    return ours.shape == ref.shape and bool(np.allclose(ours, ref, rtol=1e-4, atol=1e-5 * scale))


def _blas() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - only a label for the report
        return "unknown"


def _header(torch, repeats: int) -> str:
    names = (
        "OPENBLAS_CORETYPE",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "THP_MEM_ALLOC_ENABLE",
    )
    env = " ".join(f"{v}={os.environ[v]}" for v in names if v in os.environ) or "none set"
    return "\n".join(
        [
            f"python {platform.python_version()}, numpy {np.__version__} ({_blas()}), "
            f"torch {torch.__version__}",
            f"cpus {os.cpu_count()}, torch threads {torch.get_num_threads()} (default), env: {env}",
            f"float32, padding='same', stride 1, median of {repeats} alternating runs",
        ]
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


ROW = "{:<10} {:<22} {:>8} {:>8} {:>6} {:>7} {:>4} {:>5}"
COLUMNS = ("operation", "shape", "ours ms", "torch ms", "ratio", "target", "met", "same")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few shapes, 5 repeats")
    parser.add_argument("--repeats", type=int, help="timed calls per case (median reported)")
    parser.add_argument(
        "--torch-thp",
        action="store_true",
        help="let torch allocate transparent huge pages (THP_MEM_ALLOC_ENABLE=1), as numpy does",
    )
    args = parser.parse_args(argv)
    if args.torch_thp:  # read by torch's CPU allocator, so set before the import
        os.environ["THP_MEM_ALLOC_ENABLE"] = "1"
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed; this benchmark compares against it. Install it with")
        print(f"    pip install {TORCH_PIN}")
        return 0
    cases = QUICK if args.quick else CLASSROOM + MOBILENET
    repeats = args.repeats or (5 if args.quick else 15)
    print(_header(torch, repeats) + "\n")
    title = ROW.format(*COLUMNS)
    print(title + "\n" + "-" * len(title))
    rng = np.random.default_rng(0)
    missed = []
    with torch.inference_mode():
        runs = [(case, *_case(*case, torch, rng)) for case in cases]
        agree = [_agree(ours(), theirs()) for _, ours, theirs in runs]  # also warms both up
        for ((op, h, w, cin, k, cout), ours, theirs), same in zip(runs, agree, strict=True):
            t_ours, t_torch = _time(ours, theirs, repeats)
            ratio, target = t_ours / t_torch, TARGETS[op]
            shape = f"{h}x{w}x{cin} {k}x{k}->{cin if op == 'depthwise' else cout}"
            if ratio > target:
                missed.append(f"{op} {shape}")
            cells = (f"{t_ours:.2f}", f"{t_torch:.2f}", f"{ratio:.2f}", f"<={target}")
            print(ROW.format(op, shape, *cells, _yes(ratio <= target), _yes(same)))
    print(
        "\nall targets met" if not missed else f"\ntargets missed in this run: {', '.join(missed)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
