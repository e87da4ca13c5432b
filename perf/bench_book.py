"""pyperf: time per command of ``Exchange.submit`` on the book workloads, beside the naive
dict-of-deques baseline; the same workloads and timing loops as ``sequex bench book``.

    .venv/bin/python perf/bench_book.py [--fast] [-o out.json]

Each benchmark value is the mean time of one command (``inner_loops`` = workload size); every
loop starts from a fresh, set-up book, timed with the collector frozen and off.
"""

from __future__ import annotations

import pyperf

from tools.bench_book import time_baseline, time_exchange
from tools.workload import Workload, deep_book_workload, standard_book_workload

STANDARD_COMMANDS = 20_000
DEEP_COMMANDS = 20_000


def _exchange(workload: Workload) -> object:
    def bench(loops: int) -> float:
        return sum(time_exchange(workload)[0] for _ in range(loops))

    return bench


def _baseline(workload: Workload) -> object:
    def bench(loops: int) -> float:
        return sum(time_baseline(workload) for _ in range(loops))

    return bench


def main() -> None:
    runner = pyperf.Runner()
    standard = standard_book_workload(STANDARD_COMMANDS, seed=1)
    deep = deep_book_workload(DEEP_COMMANDS, seed=2)
    for name, workload in (("standard", standard), ("deep", deep)):
        inner = len(workload.commands)
        runner.bench_time_func(
            f"book_{name}_exchange_submit", _exchange(workload), inner_loops=inner
        )
        runner.bench_time_func(
            f"book_{name}_dict_deque_baseline", _baseline(workload), inner_loops=inner
        )


if __name__ == "__main__":
    main()
