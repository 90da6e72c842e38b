"""What the benchmarks share: the best of several timed runs."""

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int, clock: Callable[[], float] = time.process_time) -> float:
    """Best of `repeat` runs, by CPU time of this process by default (steadier than wall time on a busy machine)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best
