"""`sequex bench replay`: rebuilding the exchange from its journal, compiled and uncompiled.

Method: the standard book workload (``--commands`` timed commands after its setup) is journaled
once in the host's format (W = ``--feedback-window``) into a temporary data directory on the
real disk (``--dir``). Each repeat then runs ``engine.rebuild.rebuild(from_start=True)``, what
``sequex replay --from-start`` does: read and verify every record (checksums, seqs), decode,
``Exchange.submit``. The collector is frozen and off during each timed run. The same
measurement runs in a child process with ``SEQUEX_PURE=1`` (the same sources uncompiled): the
baseline, in the same run.

Figures (commands per second over the whole journal, setup included):

* ``commands_per_s`` (median; ``_min`` / ``_max``): without the output digest, as a host's
  start-up recovery replays;
* ``digest_commands_per_s``: with the canonical output digest, as ``sequex replay`` prints;
* ``ingest_commands_per_s``: read, verify and decode only (what replay adds to the exchange);
* ``pure_commands_per_s`` (and ``pure_digest_commands_per_s``): the uncompiled build's.

Measures only; never asserts a goal.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from engine import native
from engine.command_batches import CommandBatchReader
from engine.command_reader import CommandReader
from engine.journal_format import RECORD_COMMAND, encode_commands, encode_user_header, journal_dir
from engine.rebuild import rebuild
from engine.records import RECORD_SIZE
from journal import JournalWriter, SyncPolicy
from tools.pure_baseline import measure_pure
from tools.workload import standard_book_workload

CHUNK = 4096


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--commands", type=int, default=200_000, help="timed commands journaled")
    parser.add_argument(
        "--feedback-window",
        type=int,
        default=1024,
        metavar="W",
        help="feedback window W of the exchange (default 1024)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed rebuilds per figure")
    parser.add_argument("--pure-repeats", type=int, default=2, help="rebuilds of the baseline")
    parser.add_argument("--dir", default=".", help="where the journal goes (a real disk)")
    parser.add_argument("--seed", type=int, default=1, help="workload seed")
    parser.add_argument("--no-pure", action="store_true", help="skip the uncompiled baseline")
    parser.add_argument("--measure", metavar="DATA_DIR", help=argparse.SUPPRESS)


def journal_workload(data_dir: Path, commands: int, window: int, seed: int) -> int:
    """Journal the workload into ``data_dir``; returns the number of commands."""
    workload = standard_book_workload(commands, seed=seed)
    stream = workload.setup + workload.commands
    with JournalWriter(
        journal_dir(data_dir), user_header=encode_user_header(window), policy=SyncPolicy.never()
    ) as writer:
        for lo in range(0, len(stream), CHUNK):
            chunk = stream[lo : lo + CHUNK]
            writer.append_fixed(
                RECORD_COMMAND, chunk[0].seq_no, encode_commands(chunk), RECORD_SIZE
            )
        writer.commit()
    return len(stream)


def _timed(run: Any) -> float:
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        gc.enable()
        gc.unfreeze()


def _ingest(data_dir: Path) -> None:
    decode = CommandReader().decode_many
    for records, _seqs in CommandBatchReader(journal_dir(data_dir)).batches(0):
        decode(records)


def measure(data_dir: Path, count: int, repeats: int) -> dict[str, list[float]]:
    """Rates (commands/s) of ``repeats`` runs of each kind, in this process's build."""
    kinds = {
        "replay": lambda: rebuild(data_dir, from_start=True, digest=False),
        "digest": lambda: rebuild(data_dir, from_start=True, digest=True),
        "ingest": lambda: _ingest(data_dir),
    }
    return {name: [count / _timed(run) for _ in range(repeats)] for name, run in kinds.items()}


def _pure(data_dir: Path, count: int, repeats: int) -> dict[str, Any]:
    args = ["bench", "replay", "--json", "--measure", str(data_dir)]
    return measure_pure("tools.cli", [*args, "--commands", str(count), "--repeats", str(repeats)])


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.measure:  # the baseline's child: --commands is the journal's whole count
        rates = measure(Path(args.measure), args.commands, args.repeats)
        return {"build": native.describe(), **rates}
    root = Path(tempfile.mkdtemp(prefix="bench-replay-", dir=args.dir))
    try:
        count = journal_workload(root, args.commands, args.feedback_window, args.seed)
        rates = measure(root, count, args.repeats)
        pure = None if args.no_pure else _pure(root, count, args.pure_repeats)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out: dict[str, Any] = {
        "build": native.describe(),
        "commands_per_s": round(statistics.median(rates["replay"])),
        "commands_per_s_min": round(min(rates["replay"])),
        "commands_per_s_max": round(max(rates["replay"])),
        "digest_commands_per_s": round(statistics.median(rates["digest"])),
        "ingest_commands_per_s": round(statistics.median(rates["ingest"])),
    }
    if pure is not None:
        out["pure_commands_per_s"] = round(statistics.median(pure["replay"]))
        out["pure_digest_commands_per_s"] = round(statistics.median(pure["digest"]))
    out.update(commands=count, repeats=args.repeats, feedback_window=args.feedback_window)
    return out
