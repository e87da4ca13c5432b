"""`sequex journal dump|verify|stats|repair PATH`: inspect a journal directory, or repair it.

PATH is a journal directory, one segment file inside it (its directory is used) or a host's
data directory (its ``journal/``): see ``tools.journal_paths``.

* ``dump``: read only; its own module, ``tools.journal_dump`` (hex records, or a host
  journal's commands as JSON lines, filtered, with the events each produced).
* ``stats``: read only; a host journal's feedback window too (``sequex simulate
  --feedback-window`` needs it to reproduce the journal's events).
* ``verify``: the full scrub, read only: every record of every segment by checksum, and the
  journal's end against its durable checkpoint (a journal that ends before it has lost durable,
  maybe acknowledged, data). ``--before-seq SEQ`` checks only the segments that start below SEQ
  (the host's background scrub of what its start did not read). Run it periodically (cron) so
  damage is found before it is needed: ``sequex journal verify var/journal``.
* ``repair``: the explicit, logged operator action for what recovery refuses (see
  ``journal.repair``). It prints its plan; ``--apply`` carries it out, and a plan that loses
  durable records also needs ``--accept-loss``. What it cuts is kept in quarantine files; each
  repair is appended to ``repair.log``. It takes the writer's lock: never beside a live host.

Exit codes: 0 clean (repair: done or nothing to do), 1 damage found (torn tail, mid-log
corruption, durable records missing, no checkpoint; with segment file and byte offset; repair:
refused or only planned), 2 bad arguments, or the path is missing or holds no journal, 3 dump
--events: the engine raised (a bug), 4 repair: the journal is in use by a live writer.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.journal_format import HostFormatError, JournalHeader, decode_header, snapshot_dir
from journal import (
    JournalCorruption,
    JournalError,
    JournalFormatError,
    JournalReader,
    VerifyReport,
    lock_directory,
    verify,
)
from journal.repair import REPAIR_LOG, RepairRefused, apply_repair, plan_repair
from tools import journal_dump
from tools.journal_paths import resolve

EXIT_OK = 0
EXIT_DAMAGED = 1
EXIT_UNUSABLE = 2
EXIT_IN_USE = 4


def register(subparsers: Any) -> None:
    """Add ``journal`` and its subcommands; each ``func`` returns the exit code."""
    parser = subparsers.add_parser(
        "journal",
        help="inspect a journal: dump, verify, stats; repair it",
        description="Inspect a journal (dump, verify, stats; all read only) or repair a "
        "damaged one. PATH is the data directory (./var), its journal directory or a "
        "segment file.",
        epilog="exit codes: 0 clean, 1 damage found (or repair refused/only planned), "
        "2 bad arguments or no journal at PATH, 3 the engine failed in dump --events, "
        "4 repair: the journal is in use by a live host",
    )
    commands = parser.add_subparsers(dest="journal_command", metavar="COMMAND", required=True)

    journal_dump.add_parser(commands, _guarded)

    check = commands.add_parser(
        "verify",
        help="check every record; exit 1 on damage",
        description="Check every record of every segment by checksum, and the journal's end "
        "against its durable checkpoint. Read only, safe beside a running host: run it "
        "from cron.",
    )
    check.add_argument("path", metavar="PATH", help=_PATH_HELP)
    check.add_argument(
        "--before-seq",
        type=int,
        default=None,
        metavar="SEQ",
        help="only the segments starting below SEQ (a scrub of old segments)",
    )
    check.add_argument(
        "--contiguous-from",
        type=int,
        default=None,
        metavar="SEQ",
        help="seqs must run SEQ, SEQ+1, ... without a gap (default: 1 for a sequex host "
        "journal, none for another journal)",
    )
    check.add_argument(
        "--nice", type=int, default=0, metavar="N", help="lower this process's priority by N"
    )
    check.set_defaults(func=_guarded(_verify))

    repair = commands.add_parser(
        "repair",
        help="cut a damaged journal at its first damage, keeping what it cuts",
        description="Print the plan to cut a damaged journal at its first damage; --apply "
        "carries it out. What is cut is kept in quarantine files and each repair is logged "
        "in repair.log. Never beside a live host (exit 4).",
    )
    repair.add_argument("path", metavar="PATH", help=_PATH_HELP)
    repair.add_argument("--apply", action="store_true", help="carry the plan out (else: print it)")
    repair.add_argument(
        "--accept-loss",
        action="store_true",
        help="allow a repair that removes durable (maybe acknowledged) records",
    )
    repair.add_argument("--reason", default="", help="why (written to repair.log)")
    repair.set_defaults(func=_guarded(_repair))

    stats = commands.add_parser(
        "stats",
        help="segments, records, seqs, bytes, records per type",
        description="Count a journal's segments, records and bytes, its first and last seq, "
        "the records of each type and, for a host journal, its feedback window. Read only.",
    )
    stats.add_argument("path", metavar="PATH", help=_PATH_HELP)
    stats.set_defaults(func=_guarded(_stats))


_PATH_HELP = "data directory (./var), journal directory or segment file"

Command = Callable[[argparse.Namespace], int]


def _guarded(command: Command) -> Command:
    """Report an error the command did not handle (an unreadable directory or file, ...) as
    one line on stderr with the documented exit code, never as a traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except JournalCorruption as exc:
            print(f"sequex journal: mid-log corruption in {exc}", file=sys.stderr)
            return EXIT_DAMAGED
        except BrokenPipeError:
            raise  # the reader went away (`| head`): `sequex` stops quietly
        except (OSError, JournalError, ValueError) as exc:
            print(f"sequex journal: {args.path}: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE

    return run


def _resolve(raw: str) -> Path | None:
    """The journal directory named by PATH, or None after printing why it is unusable."""
    where = resolve(raw)
    return None if where is None else where.journal


def _verify(args: argparse.Namespace) -> int:
    directory = _resolve(args.path)
    if directory is None:
        return EXIT_UNUSABLE
    if args.nice:
        os.nice(args.nice)
    try:
        contiguous = args.contiguous_from
        if contiguous is None:
            contiguous = _host_contiguous(directory)
        report = verify(directory, before_seq=args.before_seq, contiguous_from=contiguous)
    except (JournalFormatError, OSError) as exc:
        print(f"sequex journal: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    summary = (
        f"{len(report.segments)} segment(s), {report.records} record(s), "
        f"seq {_seq_range(report.first_seq, report.last_seq)}, {report.bytes} bytes"
    )
    if args.before_seq is not None:
        summary += f" (the segments starting below seq {args.before_seq})"
    for line in _problems(report):
        print(line)
    if not report.ok:
        print(f"checked: {summary}")
        return EXIT_DAMAGED
    if report.checkpoint is not None:
        summary += f"; durable checkpoint: {report.checkpoint.describe()}"
    print(f"OK: {summary}")
    return EXIT_OK


def _host_contiguous(directory: Path) -> int | None:
    """1 for a sequex host journal (it numbers its commands 1, 2, 3, ... with no gap, so a
    gap is damage), None for any other journal."""
    return None if _host_header(directory) is None else 1


def _host_header(directory: Path) -> JournalHeader | None:
    """The window and rules of a sequex host journal, None for any other journal."""
    try:
        return decode_header(JournalReader(directory).user_header())
    except (HostFormatError, JournalError, OSError):
        return None


def _problems(report: VerifyReport) -> list[str]:
    lines = []
    if report.damage is not None:
        lines.append(f"DAMAGED: {report.damage.describe()}")
    if report.durable_missing is not None:
        first, last = report.durable_missing
        assert report.checkpoint is not None
        lines.append(
            f"DURABLE DATA MISSING: the durable checkpoint says seqs through {last} were made "
            f"durable ({report.checkpoint.describe()}), but the valid records stop before "
            f"seq {first}: seqs {first}..{last} are missing"
        )
    if report.checkpoint_problem is not None:
        lines.append(f"UNCHECKED END: {report.checkpoint_problem}")
    return lines


def _repair(args: argparse.Namespace) -> int:
    directory = _resolve(args.path)
    if directory is None:
        return EXIT_UNUSABLE
    try:
        lock = lock_directory(directory)
    except JournalError as exc:
        print(f"sequex journal: refusing to repair: {exc}; stop the host first", file=sys.stderr)
        return EXIT_IN_USE
    try:
        contiguous = _host_contiguous(directory)
        snapshots = None
        if contiguous is not None and directory.name == "journal":  # a host's data directory
            snapshots = snapshot_dir(directory.parent)
        plan = plan_repair(directory, contiguous_from=contiguous, snapshots=snapshots)
        if not plan.needed:
            print(plan.describe()[0])
            return EXIT_OK
        for step in plan.describe():
            print(f"plan: {step}")
        if not args.apply:
            print("nothing changed: run again with --apply to carry the plan out")
            return EXIT_DAMAGED
        try:
            done = apply_repair(plan, accept_loss=args.accept_loss, reason=args.reason)
        except RepairRefused as exc:
            print(f"sequex journal: {exc} (--accept-loss)", file=sys.stderr)
            return EXIT_DAMAGED
        for step in done:
            print(f"done: {step}")
        print(f"logged in {directory / REPAIR_LOG}")
        return EXIT_OK
    finally:
        os.close(lock)


def _stats(args: argparse.Namespace) -> int:
    directory = _resolve(args.path)
    if directory is None:
        return EXIT_UNUSABLE
    try:
        report = verify(directory)
    except (JournalFormatError, OSError) as exc:
        print(f"sequex journal: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"directory   {directory}")
    print(f"segments    {len(report.segments)}")
    print(f"records     {report.records}")
    print(f"first seq   {_seq_or_dash(report.first_seq)}")
    print(f"last seq    {_seq_or_dash(report.last_seq)}")
    print(f"bytes       {report.bytes}")
    header = _host_header(directory)
    if header is not None:
        print(f"window      {header.feedback_window} (the feedback window W of this host journal)")
        print(f"rules       {header.rules} (the rules version it runs: docs/rules.md)")
    for rtype, count in report.types.items():
        print(f"type {rtype:<6} {count} record(s)")
    for line in _problems(report):
        print(line)
    return EXIT_OK if report.ok else EXIT_DAMAGED


def _seq_or_dash(seq: int | None) -> str:
    return "-" if seq is None else str(seq)


def _seq_range(first: int | None, last: int | None) -> str:
    return "-" if first is None else f"{first}..{last}"
