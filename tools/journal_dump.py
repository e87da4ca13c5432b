"""`sequex journal dump PATH`: print a journal's records; a host journal's as commands and events.

Three forms, all read only:

* plain: one line per record, ``seq=N type=T len=L payload=<first 16 bytes in hex>``; works
  on any journal;
* ``--json``: a sequex host journal's commands, one canonical JSON line each
  (``engine.canonical.command_to_json``, compact), carrying the journal seq as ``seq_no``.
  ``sequex simulate --in`` reads these lines back (docs/commands-jsonl.md);
* ``--events``: each selected command's line followed by the canonical event lines it
  produced (as ``sequex simulate`` writes them), found by a replay from the newest snapshot
  before the first selected seq (``tools.journal_select``). That needs the data directory's
  snapshots; given a journal directory without them, the replay starts at seq 1 (said on
  stderr).

Selection: ``--seq N`` or ``--from A``/``--to B`` (a range), ``--firm``, ``--account``,
``--symbol`` (commands with that field equal to the value; commands without the field are left
out), ``--limit N`` (at most N lines of records or commands). A field filter implies
``--json``. Asking for a seq past the journal's end, or one it does not hold, exits 2 naming
the journal's seqs; a range reaching past the end prints what there is and says so on stderr.

Exit codes: 0 done, 1 damage (mid-log corruption, a torn tail after the records printed, a
record that is not a host command, a gap before an --events range), 2 bad arguments, an unusable
path, a seq the journal does not hold, or ``--json`` on a journal that is not a host's, 3 the
engine raised during an --events replay (a bug).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.canonical import command_to_json, json_encode
from engine.command_batches import RecoveryError
from engine.domain.types import Command
from journal import Damage, JournalCorruption, JournalReader
from journal.layout import SEGMENT_RE
from tools.journal_paths import JournalPath, resolve
from tools.journal_select import (
    FILTER_FIELDS,
    CommandScan,
    EngineFailure,
    NotHostJournal,
    Selection,
    journal_extent,
)

EXIT_OK = 0
EXIT_DAMAGED = 1
EXIT_UNUSABLE = 2
EXIT_ENGINE_ERROR = 3
PREVIEW_BYTES = 16

Command_ = Callable[[argparse.Namespace], int]


def add_parser(commands: Any, guard: Callable[[Command_], Command_]) -> None:
    """Add ``dump`` to the ``sequex journal`` subcommands; ``guard`` wraps its function."""
    dump = commands.add_parser(
        "dump",
        help="print the records; a host journal's as JSON commands, with their events",
        description="Print a journal's records, one line each. A sequex host journal can be "
        "printed as its commands in JSON lines (which `sequex simulate --in` reads back), "
        "filtered, each followed by the events it produced. Read only.",
    )
    dump.add_argument(
        "path", metavar="PATH", help="data directory (./var), journal directory or segment file"
    )
    dump.add_argument(
        "--json", action="store_true", help="commands as JSON lines (a host journal only)"
    )
    dump.add_argument(
        "--events",
        action="store_true",
        help="after each command, the events it produced (replays from the newest snapshot "
        "before it: give the data directory); implies --json",
    )
    dump.add_argument("--seq", type=_seq, metavar="SEQ", help="only seq SEQ (--from SEQ --to SEQ)")
    dump.add_argument(
        "--from",
        dest="from_seq",
        type=_seq,
        metavar="SEQ",
        help="start at SEQ (default: the first)",
    )
    dump.add_argument(
        "--to",
        dest="to_seq",
        type=_seq,
        metavar="SEQ",
        help="end at SEQ, included (default: the last)",
    )
    for field in FILTER_FIELDS:
        dump.add_argument(
            f"--{field}",
            metavar=field.upper(),
            help=f"only commands whose {field} is {field.upper()}; implies --json",
        )
    dump.add_argument(
        "--limit", type=_count, metavar="N", help="print at most N records or commands"
    )
    dump.set_defaults(func=guard(run))


def _seq(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"a seq is at least 1, got {value}")
    return value


def _count(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Run ``sequex journal dump`` with parsed arguments; returns the exit code."""
    selection = _selection(args)
    if selection is None:
        return EXIT_UNUSABLE
    where = resolve(args.path)
    if where is None:
        return EXIT_UNUSABLE
    if not any(SEGMENT_RE.match(p.name) for p in where.journal.iterdir()):
        _error(f"{args.path}: holds no journal segment")
        return EXIT_UNUSABLE
    asked = _json_option(args)
    if asked is None:
        return _hex(where.journal, selection, args.limit)
    try:
        scan = CommandScan(where.journal, selection)
    except NotHostJournal as exc:
        _error(
            f"{args.path}: {asked} needs a sequex host journal, and this one is not ({exc}); "
            "without it, `sequex journal dump` prints the records in hex"
        )
        return EXIT_UNUSABLE
    try:
        if args.events:
            _print_outcomes(scan, where, args.limit)
        else:
            _print_commands(scan, args.limit)
    except RecoveryError as exc:
        _error(f"{args.path}: {exc}")
        return EXIT_DAMAGED
    except EngineFailure as exc:
        _error(f"{args.path}: {exc}")
        return EXIT_ENGINE_ERROR
    return _verdict(
        where.journal, selection, args.limit, scan.in_range, scan.last_seq, scan.tail_damage
    )


def _selection(args: argparse.Namespace) -> Selection | None:
    """The selection the options ask for, or None after saying why it is not one."""
    fields = tuple((f, getattr(args, f)) for f in FILTER_FIELDS if getattr(args, f) is not None)
    if args.seq is not None:
        if args.from_seq is not None or args.to_seq is not None:
            _error("--seq is one seq: give either --seq or --from/--to")
            return None
        return Selection(args.seq, args.seq, fields)
    first = 1 if args.from_seq is None else args.from_seq
    if args.to_seq is not None and args.to_seq < first:
        _error(f"--to {args.to_seq} is below --from {first}: the range is empty")
        return None
    return Selection(first, args.to_seq, fields)


def _json_option(args: argparse.Namespace) -> str | None:
    """The option that asks for decoded commands (for messages), None for the hex dump."""
    if args.events:
        return "--events"
    if args.json:
        return "--json"
    return next((f"--{f}" for f in FILTER_FIELDS if getattr(args, f) is not None), None)


def _print_commands(scan: CommandScan, limit: int | None) -> None:
    write = sys.stdout.write
    for shown, cmd in enumerate(scan.commands()):
        if limit is not None and shown >= limit:
            break
        write(_command_line(cmd))


def _print_outcomes(scan: CommandScan, where: JournalPath, limit: int | None) -> None:
    if where.snapshots is None:
        _error(
            f"note: {where.journal} has no snapshots beside it (give the host's data "
            "directory to replay from its newest snapshot): replaying from seq 1"
        )
    write = sys.stdout.write
    for shown, (cmd, lines) in enumerate(scan.outcomes(where.snapshots)):
        if limit is not None and shown >= limit:
            break
        write(_command_line(cmd))
        write(lines.decode("ascii"))
    for name, reason in scan.skipped:
        _error(f"skipped snapshot {name}: {reason}")


def _command_line(cmd: Command) -> str:
    return json_encode(command_to_json(cmd)) + "\n"


def _hex(journal: Path, selection: Selection, limit: int | None) -> int:
    """The plain dump: any journal, one line per record in the selection's seq range."""
    reader = JournalReader(journal)
    write = sys.stdout.write
    in_range = 0
    last_seq = None
    try:
        for rtype, seq, payload in reader.records(selection.first):
            if selection.last is not None and seq > selection.last:
                break
            if limit is not None and in_range >= limit:
                break
            in_range += 1
            last_seq = seq
            preview = payload[:PREVIEW_BYTES].hex(" ")
            more = " ..." if len(payload) > PREVIEW_BYTES else ""
            write(f"seq={seq} type={rtype} len={len(payload)} payload={preview}{more}\n")
    except JournalCorruption as exc:
        _error(f"mid-log corruption in {exc}")
        return EXIT_DAMAGED
    return _verdict(journal, selection, limit, in_range, last_seq, reader.tail_damage)


def _verdict(
    journal: Path,
    selection: Selection,
    limit: int | None,
    in_range: int,
    last_seq: int | None,
    damage: Damage | None,
) -> int:
    """The exit code once the records are printed: damage first, then whether the journal
    holds what was asked for (a seq past its end or missing from it is the operator's error)."""
    code = EXIT_OK
    if damage is not None:
        _error(damage.describe())
        code = EXIT_DAMAGED
    if in_range == 0:
        extent = journal_extent(journal)
        if extent is None:
            _error(f"{selection.describe()}: the journal holds no record")
        elif selection.first > extent[1]:
            _error(
                f"{selection.describe()}: past the end of the journal (its last seq is {extent[1]})"
            )
        else:
            _error(
                f"{selection.describe()}: not in the journal (it holds seqs "
                f"{extent[0]}..{extent[1]})"
            )
        return code or EXIT_UNUSABLE
    stopped_by_limit = limit is not None and in_range >= limit
    if selection.last is not None and last_seq is not None and last_seq < selection.last:
        extent = None if stopped_by_limit or damage else journal_extent(journal)
        if extent is not None and extent[1] < selection.last:
            _error(f"note: the journal ends at seq {extent[1]}, before --to {selection.last}")
    return code


def _error(message: str) -> None:
    print(f"sequex journal: {message}", file=sys.stderr)
