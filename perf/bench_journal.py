"""pyperf micro benchmarks of the journal, on the harness of `sequex bench journal`.

* journal_append_fixed_commit: per-record time of append_fixed + commit (one fdatasync per
  batch of 1024 records of 64 bytes) to a temp directory on the real disk.
* journal_replay: per-record time of reading a 100,000-record journal back, verifying checksums.

Run: ``.venv/bin/python perf/bench_journal.py [-o result.json]``.
"""

from __future__ import annotations

import time

import pyperf

from journal import JournalReader, JournalWriter, SyncPolicy
from tools.bench_journal import append_records, bench_directory, choose_parent, make_payloads

BATCH = 1024
PAYLOAD = 64
REPLAY_RECORDS = 100_000


def time_append_commit(loops: int) -> float:
    """``loops`` batches of BATCH records, each made durable; returns seconds."""
    payloads = make_payloads(BATCH, PAYLOAD)
    with bench_directory(choose_parent(None)) as directory:
        writer = JournalWriter(directory, policy=SyncPolicy.every_batch())
        seq = 1
        start = time.perf_counter()
        for _ in range(loops):
            writer.append_fixed(1, seq, payloads, PAYLOAD)
            writer.commit()
            seq += BATCH
        elapsed = time.perf_counter() - start
        writer.close()
    return elapsed


def time_replay(loops: int) -> float:
    """Read REPLAY_RECORDS records ``loops`` times; returns seconds."""
    with bench_directory(choose_parent(None)) as directory:
        append_records(directory, REPLAY_RECORDS, BATCH, PAYLOAD, 64 * 1024 * 1024)
        reader = JournalReader(directory)
        start = time.perf_counter()
        for _ in range(loops):
            for _record in reader.records():
                pass
        return time.perf_counter() - start


def main() -> None:
    runner = pyperf.Runner()
    runner.bench_time_func("journal_append_fixed_commit", time_append_commit, inner_loops=BATCH)
    runner.bench_time_func("journal_replay", time_replay, inner_loops=REPLAY_RECORDS)


if __name__ == "__main__":
    main()
