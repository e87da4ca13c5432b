"""pyperf: time per order through the whole host (stages as processes, durable journal), the
same runs as the throughput part of `sequex bench pipeline`.

    .venv/bin/python perf/bench_pipeline.py [--fast] [-o out.json]

Each value is the time of one fresh host publishing the standard book workload, divided by its
size (``inner_loops``), so pyperf's mean is 1 / sustained orders per second. Latency figures
and the in-process baseline come from `sequex bench pipeline`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyperf

from tools.bench_pipeline import bench_spec, time_pipeline
from tools.workload import standard_book_workload

COMMANDS = 100_000


def time_host(loops: int, shards: int) -> float:
    workload = standard_book_workload(COMMANDS, seed=1)
    root = Path(tempfile.mkdtemp(prefix="perf-pipeline-", dir="."))
    try:
        return sum(
            time_pipeline(bench_spec(root, f"r{i}", shards=shards), workload) for i in range(loops)
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    runner = pyperf.Runner(values=3, processes=1, warmups=0, loops=1)
    runner.metadata["description"] = "sequex host pipeline, durable journal, per order"
    runner.bench_time_func("pipeline_1shard_per_order", time_host, 1, inner_loops=COMMANDS)
    runner.bench_time_func("pipeline_2shards_per_order", time_host, 2, inner_loops=COMMANDS)


if __name__ == "__main__":
    main()
