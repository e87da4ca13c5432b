"""`sequex bench journal`: append throughput with durable group commit, and replay throughput.

Each repeat appends ``--records`` records of ``--payload`` bytes through the fast path
(``append_fixed``: n fixed-size payloads back to back, as the journaler copies a ring slot
range), committing every ``--batch`` records with one write and one fdatasync. The journal goes
to a fresh temp directory on a real disk (tmpfs would make fdatasync free and the figure
meaningless: the output names the directory and its filesystem) and is removed afterwards.
Measures only; never asserts a goal.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from journal import JournalReader, JournalWriter, SyncPolicy

NON_DURABLE_FILESYSTEMS = frozenset({"tmpfs", "ramfs", "devtmpfs", "overlay"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records", type=int, default=1_000_000, help="records per repeat")
    parser.add_argument("--batch", type=int, default=1024, help="records per group commit")
    parser.add_argument("--payload", type=int, default=64, help="payload bytes per record")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats")
    parser.add_argument(
        "--segment-mib", type=int, default=64, help="segment size limit in MiB (default 64)"
    )
    parser.add_argument(
        "--dir",
        default=None,
        help="parent directory of the temp journal (default: the current directory, or "
        "/var/tmp when that is tmpfs)",
    )


def filesystem_of(path: Path) -> str:
    """Type of the filesystem holding ``path`` (longest matching mount point)."""
    best, fstype = "", "unknown"
    resolved = str(path.resolve())
    with contextlib.suppress(OSError), open("/proc/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if len(fields) < 3:
                continue
            mount = fields[1]
            inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) > len(best):
                best, fstype = mount, fields[2]
    return fstype


def choose_parent(requested: str | None) -> Path:
    """The requested parent directory, else the current one unless it is not durable."""
    if requested is not None:
        return Path(requested)
    cwd = Path.cwd()
    if filesystem_of(cwd) in NON_DURABLE_FILESYSTEMS:
        return Path("/var/tmp")
    return cwd


@contextlib.contextmanager
def bench_directory(parent: Path) -> Iterator[Path]:
    """A fresh temp directory under ``parent``, removed with everything in it afterwards."""
    with tempfile.TemporaryDirectory(prefix=".sequex-bench-journal-", dir=parent) as name:
        yield Path(name)


def make_payloads(batch: int, payload_size: int) -> npt.NDArray[np.uint8]:
    """One batch of fixed-size payloads back to back, like a ring slot range."""
    rng = np.random.default_rng(12345)
    return rng.integers(0, 256, batch * payload_size, dtype=np.uint8)


def append_records(
    directory: Path,
    records: int,
    batch: int,
    payload_size: int,
    segment_bytes: int,
    *,
    checkpoint_sync: bool = True,
) -> tuple[float, int, int]:
    """Append ``records`` with a durable commit per batch: (seconds, records, fdatasyncs).
    ``checkpoint_sync=False`` is the baseline that prices the durable checkpoint: the writer
    still writes it after every sync, but skips its own fdatasync (never do that for real:
    a crash could then leave a checkpoint behind records that were acknowledged)."""
    payloads = make_payloads(batch, payload_size)
    writer = JournalWriter(directory, segment_bytes=segment_bytes, policy=SyncPolicy.every_batch())
    if not checkpoint_sync:
        checkpoint = writer._checkpoint
        assert checkpoint is not None
        checkpoint._fall_back()  # a plain descriptor (not O_DIRECT | O_DSYNC) ...
        checkpoint._sync = False  # ... never synced: the baseline only (see the docstring)
    seq = 1
    written = 0
    start = time.perf_counter()
    while written < records:
        count = min(batch, records - written)
        writer.append_fixed(1, seq, payloads[: count * payload_size], payload_size)
        writer.commit()
        seq += count
        written += count
    elapsed = time.perf_counter() - start
    syncs = writer.syncs
    writer.close()
    return elapsed, written, syncs


def replay_records(directory: Path) -> tuple[float, int]:
    """Read every record back, verifying checksums: (seconds, records)."""
    count = 0
    start = time.perf_counter()
    for _record in JournalReader(directory).records():
        count += 1
    return time.perf_counter() - start, count


def run(args: argparse.Namespace) -> dict[str, Any]:
    parent = choose_parent(args.dir)
    segment_bytes = args.segment_mib * 1024 * 1024
    rates: list[float] = []
    sync_rates: list[float] = []
    replay_rates: list[float] = []
    baseline_rates: list[float] = []
    baseline_sync_rates: list[float] = []
    for repeat in range(args.repeats):
        # the baseline (checkpoint not synced) interleaved, first on odd repeats: drift on a
        # shared machine then falls on both alike
        for checkpoint_sync in (True, False) if repeat % 2 == 0 else (False, True):
            with bench_directory(parent) as directory:
                elapsed, written, syncs = append_records(
                    directory,
                    args.records,
                    args.batch,
                    args.payload,
                    segment_bytes,
                    checkpoint_sync=checkpoint_sync,
                )
                if not checkpoint_sync:
                    baseline_rates.append(written / elapsed)
                    baseline_sync_rates.append(syncs / elapsed)
                    continue
                rates.append(written / elapsed)
                sync_rates.append(syncs / elapsed)
                replay_elapsed, replayed = replay_records(directory)
                replay_rates.append(replayed / replay_elapsed)
    fstype = filesystem_of(parent)
    return {
        "records_per_s": round(statistics.median(rates)),
        "records_per_s_min": round(min(rates)),
        "records_per_s_max": round(max(rates)),
        "fsyncs_per_s": round(statistics.median(sync_rates)),
        # the price of the durable checkpoint (one pwrite + fdatasync of durable.ckpt a sync)
        "no_checkpoint_sync_records_per_s": round(statistics.median(baseline_rates)),
        "no_checkpoint_sync_records_per_s_min": round(min(baseline_rates)),
        "no_checkpoint_sync_records_per_s_max": round(max(baseline_rates)),
        "no_checkpoint_sync_fsyncs_per_s": round(statistics.median(baseline_sync_rates)),
        "replay_records_per_s": round(statistics.median(replay_rates)),
        "replay_records_per_s_min": round(min(replay_rates)),
        "replay_records_per_s_max": round(max(replay_rates)),
        "batch_records": args.batch,
        "payload_bytes": args.payload,
        "records_per_repeat": args.records,
        "repeats": args.repeats,
        "sync": "fdatasync per batch",
        "directory": str(parent.resolve()),
        "filesystem": fstype,
        "durable": fstype not in NON_DURABLE_FILESYSTEMS,
        "cpus": os.cpu_count() or 0,
    }
