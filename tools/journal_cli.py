"""`sequex journal dump|verify|stats PATH`: inspect a journal directory without changing it.

PATH is a journal directory (or one segment file inside it: its directory is used).
Exit codes: 0 clean, 1 damage found (torn tail or mid-log corruption, with segment file and
byte offset), 2 the path is missing or holds no journal.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from journal import JournalCorruption, JournalError, JournalFormatError, JournalReader, verify
from journal.layout import SEGMENT_RE

EXIT_OK = 0
EXIT_DAMAGED = 1
EXIT_UNUSABLE = 2
PREVIEW_BYTES = 16


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("journal", help="inspect a journal: dump, verify, stats")
    commands = parser.add_subparsers(dest="journal_command", metavar="COMMAND", required=True)

    dump = commands.add_parser("dump", help="print one line per record")
    dump.add_argument("path", metavar="PATH", help="journal directory")
    dump.add_argument("--from", dest="from_seq", type=int, default=None, metavar="SEQ")
    dump.add_argument("--limit", type=int, default=None, metavar="N")
    dump.set_defaults(func=_guarded(_dump))

    check = commands.add_parser("verify", help="check every record; exit 1 on damage")
    check.add_argument("path", metavar="PATH", help="journal directory")
    check.set_defaults(func=_guarded(_verify))

    stats = commands.add_parser("stats", help="segments, records, seqs, bytes, records per type")
    stats.add_argument("path", metavar="PATH", help="journal directory")
    stats.set_defaults(func=_guarded(_stats))


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
        except (OSError, JournalError, ValueError) as exc:
            print(f"sequex journal: {args.path}: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE

    return run


def _resolve(raw: str) -> Path | None:
    """The journal directory named by PATH, or None after printing why it is unusable."""
    path = Path(raw)
    if not path.exists():
        print(f"sequex journal: {raw}: no such file or directory", file=sys.stderr)
        return None
    if path.is_file():
        if not SEGMENT_RE.match(path.name):
            print(f"sequex journal: {raw}: not a journal segment file", file=sys.stderr)
            return None
        path = path.parent
    return path


def _dump(args: argparse.Namespace) -> int:
    directory = _resolve(args.path)
    if directory is None:
        return EXIT_UNUSABLE
    if not any(SEGMENT_RE.match(p.name) for p in directory.iterdir()):
        print(f"sequex journal: {args.path}: holds no journal segment", file=sys.stderr)
        return EXIT_UNUSABLE
    reader = JournalReader(directory)
    shown = 0
    out = sys.stdout
    try:
        for rtype, seq, payload in reader.records(args.from_seq):
            if args.limit is not None and shown >= args.limit:
                break
            preview = payload[:PREVIEW_BYTES].hex(" ")
            more = " ..." if len(payload) > PREVIEW_BYTES else ""
            out.write(f"seq={seq} type={rtype} len={len(payload)} payload={preview}{more}\n")
            shown += 1
    except JournalCorruption as exc:
        print(f"sequex journal: mid-log corruption in {exc}", file=sys.stderr)
        return EXIT_DAMAGED
    except OSError as exc:
        print(f"sequex journal: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if reader.tail_damage is not None:
        print(f"sequex journal: {reader.tail_damage.describe()}", file=sys.stderr)
        return EXIT_DAMAGED
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    directory = _resolve(args.path)
    if directory is None:
        return EXIT_UNUSABLE
    try:
        report = verify(directory)
    except (JournalFormatError, OSError) as exc:
        print(f"sequex journal: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    summary = (
        f"{len(report.segments)} segment(s), {report.records} record(s), "
        f"seq {_seq_range(report.first_seq, report.last_seq)}, {report.bytes} bytes"
    )
    if report.damage is not None:
        print(f"DAMAGED: {report.damage.describe()}")
        print(f"checked before the damage: {summary}")
        return EXIT_DAMAGED
    print(f"OK: {summary}")
    return EXIT_OK


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
    for rtype, count in report.types.items():
        print(f"type {rtype:<6} {count} record(s)")
    if report.damage is not None:
        print(f"DAMAGED: {report.damage.describe()}")
        return EXIT_DAMAGED
    return EXIT_OK


def _seq_or_dash(seq: int | None) -> str:
    return "-" if seq is None else str(seq)


def _seq_range(first: int | None, last: int | None) -> str:
    return "-" if first is None else f"{first}..{last}"
