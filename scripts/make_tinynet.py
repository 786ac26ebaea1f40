"""Train the shipped tiny MobileNets: assets/tinynet.npz and the results table (fixed seed).

    python -m scripts.make_tinynet [--jobs 2] # about 10 minutes on 2 idle cores

Trains ``sepconv_core.tinynet.TinyNet`` of both kinds ("separable", "normal") at widths 1, 0.5
and 0.25, each from seed 0 on the 8,500 training digits of assets/digits.npz (8 epochs,
batch 64, Adam, one-cycle schedule peaking at 0.01), measures it on the 1,500 test digits, and
writes

* assets/tinynet.npz      every network's kernels, batch norm and dense layer, float32;
* bench/TINYNET.md        the results table (accuracy, mult-adds, weights, training time);
* README.md               the same table, between the ``tinynet-results`` markers.

BLAS runs on one thread: these matrices are small, and on a shared machine two BLAS threads
fighting other processes are slower than one.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

from sepconv_core import tinynet  # noqa: E402

EPOCHS = 8
BATCH_SIZE = 64
LEARNING_RATE = 0.01
SEED = 0
TABLE = ROOT / "bench" / "TINYNET.md"
README = ROOT / "README.md"
BEGIN, END = "<!-- tinynet-results -->", "<!-- /tinynet-results -->"


def table(rows: list[dict]) -> str:
    lines = [
        "| network | width | test accuracy | mult-adds | weights | training |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['width']:g} | {100 * r['accuracy']:.1f} % | "
            f"{r['mult_adds'] / 1e6:.2f} M | {r['weights']:,} | {r['seconds']:.0f} s |"
        )
    return "\n".join(lines)


def train_one(kind: str, width: float) -> tuple[dict, dict]:
    """Train one network from seed SEED; its state and its row of the results table."""
    digits = tinynet.load_digits()
    net = tinynet.TinyNet(kind, width, seed=SEED)
    start = time.perf_counter()
    history = tinynet.train(
        net,
        digits.train_images,
        digits.train_labels,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
        seed=SEED,
    )
    seconds = time.perf_counter() - start
    acc = tinynet.accuracy(net, digits.test_images, digits.test_labels)
    print(f"{kind:9} width {width:<4g} test {100 * acc:.2f} %  {seconds:.0f} s", flush=True)
    row = {
        "kind": kind,
        "width": width,
        "accuracy": acc,
        "mult_adds": net.mult_adds,
        "weights": net.weight_count,
        "seconds": seconds,
        "loss": history[-1]["loss"],
    }
    return net.state(), row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs", type=int, default=2, help="networks trained at once (results do not depend on it)"
    )
    jobs = parser.parse_args().jobs
    digits = tinynet.load_digits()
    configs = [(kind, width) for width in tinynet.WIDTHS for kind in tinynet.KINDS]
    # the normal width-1 net takes longest: start it first
    order = sorted(configs, key=lambda c: -tinynet.TinyNet(*c).mult_adds)
    with ProcessPoolExecutor(jobs) as pool:
        done = dict(zip(order, pool.map(train_one, *zip(*order, strict=True)), strict=True))
    nets, rows = [], []
    for kind, width in configs:
        state, row = done[(kind, width)]
        nets.append(tinynet.TinyNet(kind, width).load_state(state))
        rows.append(row)
    metadata = {
        "format": 1,
        "training": {
            "epochs": EPOCHS,
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
            "seed": SEED,
            "train_digits": len(digits.train_labels),
            "test_digits": len(digits.test_labels),
        },
        "nets": {
            tinynet.weights_key(r["kind"], r["width"]): {
                "test_accuracy": r["accuracy"],
                "final_loss": r["loss"],
                "seconds": round(r["seconds"], 1),
            }
            for r in rows
        },
    }
    tinynet.save_trained(nets, metadata=metadata)
    result = table(rows)
    note = (
        f"Measured by `python -m scripts.make_tinynet` ({EPOCHS} epochs over the "
        f"{len(digits.train_labels):,} training digits, batch {BATCH_SIZE}, Adam with a one-cycle "
        f"schedule peaking at {LEARNING_RATE}, seed {SEED}; accuracy on the "
        f"{len(digits.test_labels):,} test digits; mult-adds for one 28 × 28 digit with batch norm "
        f"folded; weights = kernels + biases; training time with {jobs} networks at once on "
        f"{os.cpu_count()} cores (shared with other work), one BLAS "
        f"thread, Python {platform.python_version()})."
    )
    TABLE.write_text(
        "# Tiny MobileNet on MNIST digits: results\n\n"
        "Written by `scripts/make_tinynet.py`; do not edit by hand.\n\n"
        f"{result}\n\n{note}\n"
    )
    text = README.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        README.write_text(f"{head}{BEGIN}\n{result}\n\n{note}\n{END}{tail}")
    print(result)


if __name__ == "__main__":
    main()
