"""pyperf benchmarks of replay: rebuilding the exchange from a journaled workload.

The parent process journals ``standard_book_workload(--commands)`` (setup + timed commands,
host user header with ``--window``) once into a temp data directory, which the workers reuse
and the parent removes at the end. Every figure is per command, so commands/s = 1 / value.

* replay_from_start: ``engine.rebuild.rebuild(from_start=True)`` (read, verify, decode,
  ``Exchange.submit``, output digest): what ``sequex replay --from-start`` does.
* replay_no_digest: the same without encoding the events (host start-up recovery).
* replay_ingest: read + verify + decode only (``CommandBatchReader`` + ``decode_many``), i.e.
  the cost replay adds on top of the exchange itself.

Run: ``.venv/bin/python perf/bench_replay.py [--commands N] [--window W] [-o result.json]``
(``--fast`` for a quick look; the machine is shared, so compare runs made together).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pyperf

from engine.journal_format import RECORD_COMMAND, encode_commands, encode_user_header, journal_dir
from engine.rebuild import CommandBatchReader, rebuild
from engine.records import RECORD_SIZE, CommandDecoder
from journal import JournalWriter, SyncPolicy
from tools.workload import standard_book_workload

CHUNK = 4096


def build_data_dir(directory: Path, commands: int, window: int) -> int:
    """Journal the workload into ``directory``; returns the number of commands."""
    workload = standard_book_workload(commands)
    stream = workload.setup + workload.commands
    with JournalWriter(
        journal_dir(directory), user_header=encode_user_header(window), policy=SyncPolicy.never()
    ) as writer:
        for lo in range(0, len(stream), CHUNK):
            chunk = stream[lo : lo + CHUNK]
            writer.append_fixed(
                RECORD_COMMAND, chunk[0].seq_no, encode_commands(chunk), RECORD_SIZE
            )
        writer.commit()
    return len(stream)


def time_rebuild(data_dir: Path, loops: int, *, digest: bool) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        rebuild(data_dir, from_start=True, digest=digest)
    return time.perf_counter() - start


def time_ingest(data_dir: Path, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        decode_many = CommandDecoder().decode_many
        for records, _seqs in CommandBatchReader(journal_dir(data_dir)).batches(0):
            decode_many(records)
    return time.perf_counter() - start


def _pass_args(cmd: list[str], args: argparse.Namespace) -> None:
    cmd.extend(["--data-dir", args.data_dir, "--commands", str(args.commands)])
    cmd.extend(["--window", str(args.window), "--total", str(args.total)])


def main() -> None:
    runner = pyperf.Runner(add_cmdline_args=_pass_args)
    parser = runner.argparser
    parser.add_argument("--commands", type=int, default=100_000, help="timed commands")
    parser.add_argument("--window", type=int, default=1024, help="feedback window W")
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, default=0, help=argparse.SUPPRESS)
    args = runner.parse_args()
    owned: Path | None = None
    if not args.data_dir:  # the parent: journal the workload once for every worker
        owned = Path(tempfile.mkdtemp(prefix="sequex-bench-replay-"))
        args.data_dir = str(owned)
        args.total = build_data_dir(owned, args.commands, args.window)
    data_dir = Path(args.data_dir)
    try:
        for name, func in (
            ("replay_from_start", lambda n: time_rebuild(data_dir, n, digest=True)),
            ("replay_no_digest", lambda n: time_rebuild(data_dir, n, digest=False)),
            ("replay_ingest", lambda n: time_ingest(data_dir, n)),
        ):
            runner.bench_time_func(name, func, inner_loops=args.total)
    finally:
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)


if __name__ == "__main__":
    main()
