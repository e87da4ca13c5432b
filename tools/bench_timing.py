"""The timed loop the micro-benchmarks share: seconds per item of a loop, over repeats.

Each repeat collects garbage first and runs with the collector off, so one loop's garbage is
never charged to the next; the caller quotes the median and the range of what it returns.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def seconds_per_item(loop: Callable[[], object], count: int, repeats: int) -> list[float]:
    """Run ``loop`` (which handles ``count`` items) ``repeats`` times; seconds an item each."""
    out = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            loop()
            out.append((time.perf_counter() - start) / count)
        finally:
            gc.enable()
    return out
