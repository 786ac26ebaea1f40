"""Wall-clock timing of a computation, for showing measured time beside counted multiplications."""

from __future__ import annotations

import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], *, repeats: int = 5, budget: float = 0.5) -> float:
    """Median wall time of ``fn()`` over up to ``repeats`` calls, stopping early after ``budget`` s.

    One warm-up call is not counted (first calls pay for memory allocation and caches).
    """
    fn()
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget:
            break
    times.sort()
    return times[len(times) // 2]
