"""Speed of the tiny MobileNet (sepconv_core.tinynet): the issue's two budgets, measured.

    python bench/bench_tinynet.py            # about a minute on 2 cores

1. Train from scratch: 3 epochs over the first 3,000 training digits (batch 64, Adam), then
   the accuracy on the 1,500 test digits. Budget: 90 % within 60 s. Printed as seconds, the
   ratio to the budget, and the accuracy, for both kinds at width 1.
2. One digit's full forward pass with every layer's activations (``TinyNet.activations``):
   median of 50 runs. Budget: 50 ms.

Run with one BLAS thread (as the app's worker pool does), so that the numbers mean the same on
a busy machine. It reports and exits 0; it never fails on slowness.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import statistics  # noqa: E402
import time  # noqa: E402

from sepconv_core import tinynet  # noqa: E402

TRAIN_BUDGET, FORWARD_BUDGET = 60.0, 0.050


def main() -> None:
    d = tinynet.load_digits()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for kind in tinynet.KINDS:
        net = tinynet.TinyNet(kind, 1.0, seed=0)
        start = time.perf_counter()
        tinynet.train(net, d.train_images[:3000], d.train_labels[:3000], epochs=3)
        seconds = time.perf_counter() - start
        acc = tinynet.accuracy(net, d.test_images, d.test_labels)
        print(
            f"train {kind:9} 3 epochs x 3,000 digits: {seconds:5.1f} s "
            f"({seconds / TRAIN_BUDGET:.2f} of the budget), test accuracy {100 * acc:.1f} %"
        )
    for kind in tinynet.KINDS:
        net = tinynet.load_trained(kind, 1.0)
        net.activations(d.test_images[0])
        times = []
        for i in range(50):
            start = time.perf_counter()
            net.activations(d.test_images[i])
            times.append(time.perf_counter() - start)
        ms = statistics.median(times)
        print(
            f"activations {kind:9} one digit: {1000 * ms:5.2f} ms "
            f"({ms / FORWARD_BUDGET:.2f} of the budget)"
        )


if __name__ == "__main__":
    main()
