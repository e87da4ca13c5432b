"""pyperf harness for the ring: the same runs as `sequex bench ring`, timed per message.

Run: ``.venv/bin/python perf/bench_ring.py [-o ring.json] [--fast]``. Each value is the time
per message of one run (process start-up excluded), so pyperf's mean is 1 / throughput.
"""

from __future__ import annotations

import pyperf

from tools.bench_ring import run_queue_once, run_ring_once

MESSAGES = 2_000_000
QUEUE_MESSAGES = 100_000


def time_ring(loops: int, stages: int) -> float:
    return sum(run_ring_once(MESSAGES, stages) for _ in range(loops))


def time_queue(loops: int) -> float:
    return sum(run_queue_once(QUEUE_MESSAGES) for _ in range(loops))


def main() -> None:
    runner = pyperf.Runner(values=3, processes=2, warmups=0, loops=1)
    runner.metadata["description"] = "sequex disruptor ring throughput across processes"
    runner.bench_time_func("ring_1p1c_per_msg", time_ring, 1, inner_loops=MESSAGES)
    runner.bench_time_func("pipeline4_per_msg", time_ring, 3, inner_loops=MESSAGES)
    runner.bench_time_func("queue_1p1c_per_msg", time_queue, inner_loops=QUEUE_MESSAGES)


if __name__ == "__main__":
    main()
