"""The timing rule shared by the benchmark scripts."""

from __future__ import annotations

import time


def min_times(fns, rounds=7, reps=3):
    """Best mean-of-``reps`` time (ms) of each function, the rounds alternating between them.

    Each function runs once first (warm-up).  The host's speed drifts by up to ~10% over
    minutes (shared machines); timing one side after the other would fold that drift into
    the ratio, alternating rounds does not.
    """
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / reps)
    return [b * 1e3 for b in best]
