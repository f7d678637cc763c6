"""The one timing helper the benchmarks share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], rounds: int, *, warm_up: bool = True) -> float:
    """The median wall time of `rounds` calls of `fn` (after one unmeasured call)."""
    if warm_up:
        fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
