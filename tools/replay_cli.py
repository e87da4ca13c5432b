"""`sequex replay DATA_DIR [--from-start] [--snapshot] [--events FILE]`: rebuild the state.

Loads the newest usable snapshot of ``DATA_DIR/snapshots`` (none with ``--from-start``), replays
the commands of ``DATA_DIR/journal`` after it (see :mod:`engine.rebuild`) and prints one
``key value`` pair a line: ``state_hash`` (16 hex digits: the whole state, pending feedback
as it stands), ``live_state_hash`` (the state as far as every future output is concerned: the
value a host prints when it stops, for every W; ``engine.stages.state_parts``), ``digest``
(of the replayed commands' events: the tail after the snapshot, or with ``--from-start`` the
whole stream, equal to what ``sequex simulate`` prints for the same commands; ``none (no
command after snapshot N)`` when no command was replayed, never the digest of an empty stream
passed off as the state's), ``commands``, ``events``, ``snapshot`` (the seq used or ``none``),
``last_seq``, ``feedback_window``, ``seconds`` and ``rate`` (commands/s). Skipped snapshots
and a torn journal tail are reported on stderr.

``--events FILE`` also writes the replayed commands' events to FILE as canonical JSON lines:
byte for byte what ``sequex simulate`` writes for the same commands (the digest is of exactly
these bytes). ``--events -`` writes them to stdout and moves the summary to stderr, as
``sequex simulate --out -`` does. FILE is written as the replay goes: a replay that fails
leaves the events of the commands before the failure.

What it checks, so that damage is never passed over in silence: every record it replays by
checksum; the journal's end against its durable checkpoint (a journal that ends before it lost
durable, maybe acknowledged, commands: exit 1; a journal without a checkpoint, written before
sequex kept one, is replayed with a warning); and, since a replay from a snapshot does not read
the segments before it, those segments too (``journal.verify(before_seq=...)``): damage there
is reported and exits 1, after the state is printed (that state does not depend on them, but a
replay from the start, or a new standby, does).
``--snapshot`` then writes a snapshot of the rebuilt state (``snapshot_written PATH``). The
journal itself is never modified. A progress bar is drawn on stderr when it is a terminal.

A live journal. Plain ``sequex replay`` only reads, so it may run while a host writes the
journal: it sees each segment as it was when it read it (records written but maybe not yet
fsynced included), a record being written at that moment shows as a torn tail (reported,
the valid prefix replayed), and ``last_seq``/``state_hash`` describe that prefix, not what the
host holds by the time they are printed. ``--snapshot`` writes into the data directory, so it
first takes the journal writer's own lock (the exclusive ``flock`` a ``journal.JournalWriter``
holds on the journal directory for its whole life) without waiting, and keeps it until the
snapshot is written: if a host (or any writer) holds it, nothing is replayed or written and the
exit code is 4. Holding it, a host that starts meanwhile is refused by its own writer ("in use
by another writer") instead of racing this snapshot; a live host is never disturbed. A stopping
host holds the lock until its shutdown snapshot is done (``engine.supervisor``). The one
window: between a host's recovery and its journaler's start the lock is free; a ``--snapshot``
taken then makes that host's journaler fail to start (nothing is lost: it stops, exit 1).

Exit codes: 0 done, 1 the data is damaged or inconsistent (mid-log corruption, a gap in the
seqs, a snapshot of another feedback window, a foreign record), 2 DATA_DIR is missing or holds
no sequex journal, 3 the engine raised while replaying (a bug: reported, never a traceback),
4 ``--snapshot`` refused: the journal is in use by a live host.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

EXIT_OK = 0
EXIT_DAMAGED = 1
EXIT_USAGE = 2
EXIT_ENGINE_ERROR = 3
EXIT_IN_USE = 4


def register(subparsers: Any) -> None:
    """Add the ``replay`` subcommand; its ``func`` is :func:`run`."""
    parser = subparsers.add_parser(
        "replay",
        help="rebuild the state from snapshot + journal",
        description="Rebuild the exchange state from the newest snapshot and the journal "
        "after it, check the journal on the way, and print the state hash, the digest of the "
        "replayed commands' events and the counts. Read only, safe beside a running host "
        "(except --snapshot, refused while a host holds the journal).",
        epilog="exit codes: 0 done, 1 damaged or inconsistent data, 2 bad arguments or no "
        "journal in DATA_DIR, 3 the engine failed (a bug), 4 --snapshot refused: a live host "
        "holds the journal",
    )
    parser.add_argument("data_dir", metavar="DATA_DIR", help="host data directory (./var)")
    parser.add_argument(
        "--from-start", action="store_true", help="ignore snapshots; replay the whole journal"
    )
    parser.add_argument(
        "--snapshot", action="store_true", help="write a snapshot of the rebuilt state"
    )
    parser.add_argument(
        "--events",
        metavar="FILE",
        help="write the replayed commands' events to FILE as JSON lines, as `sequex simulate` "
        "does ('-' = stdout; the summary then goes to stderr)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``sequex replay`` with parsed arguments; returns the exit code."""
    from engine.journal_format import journal_dir
    from journal import JournalError

    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        _error(f"{data_dir}: no such directory")
        return EXIT_USAGE
    if not args.snapshot or not journal_dir(data_dir).is_dir():
        return _replay(args, data_dir)  # read-only (no journal: _replay reports it)
    try:
        lock = _writer_lock(journal_dir(data_dir))
    except JournalError as exc:
        _error(f"refusing to write a snapshot: {exc} (a live host?); stop it first")
        return EXIT_IN_USE
    except OSError as exc:
        _error(f"I/O error: {exc}")
        return EXIT_USAGE
    try:
        return _replay(args, data_dir)
    finally:
        os.close(lock)  # releases the flock


def _writer_lock(directory: Path) -> int:
    """The journal writer's exclusive lock on ``directory``, taken without waiting: a
    descriptor to close to release it; JournalError when a writer (a live host) holds it.

    The very function ``JournalWriter`` locks with (journal/ offers no public name for it):
    whatever it locks, a host and this tool exclude each other."""
    from journal import lock_directory

    return lock_directory(directory)


def _replay(args: argparse.Namespace, data_dir: Path) -> int:
    with ExitStack() as stack:
        if args.events is None:
            sink = None
        elif args.events == "-":
            sink = sys.stdout.buffer
        else:
            try:
                sink = stack.enter_context(open(args.events, "wb"))
            except OSError as exc:
                _error(f"cannot write the events: {exc.filename}: {exc.strerror or exc}")
                return EXIT_USAGE
        code = _replay_into(args, data_dir, sink)
        if sink is not None:
            sink.flush()
        return code


def _replay_into(args: argparse.Namespace, data_dir: Path, sink: IO[bytes] | None) -> int:
    """The replay, its summary (on stderr when the events go to stdout) and its checks."""
    from engine.rebuild import NoJournalError, RecoveryError, rebuild, take_snapshot
    from engine.stages.state_parts import live_state_hash
    from journal import JournalCorruption, JournalError

    summary = sys.stderr if args.events == "-" else sys.stdout
    started = time.perf_counter()
    try:
        # read before the journal: a live writer moves it only after the records it covers
        checkpoint = _read_checkpoint(data_dir)
        through = _unacknowledged_damage(data_dir)
        with _progress_bar() as progress:
            rebuilt = rebuild(
                data_dir,
                from_start=args.from_start,
                progress=progress,
                through_seq=through,
                sink=None if sink is None else sink.write,
            )
    except NoJournalError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except JournalCorruption as exc:
        _error(f"journal corruption in {exc}")
        return EXIT_DAMAGED
    except (RecoveryError, JournalError) as exc:
        _error(str(exc))
        return EXIT_DAMAGED
    except BrokenPipeError:
        raise  # the reader of --events - went away (`| head`): `sequex` stops quietly
    except OSError as exc:
        _error(f"I/O error: {exc}")
        return EXIT_USAGE
    except Exception as exc:  # the engine raised: a bug, reported without a traceback
        _error(f"engine error during replay: {type(exc).__name__}: {exc}")
        return EXIT_ENGINE_ERROR
    seconds = time.perf_counter() - started
    for name, reason in rebuilt.skipped_snapshots:
        _error(f"skipped snapshot {name}: {reason}")
    if rebuilt.tail_damage is not None:
        damage = rebuilt.tail_damage
        _error(
            f"torn journal tail in {damage.segment} at offset {damage.offset}: {damage.reason} "
            "(replayed the valid prefix)"
        )
    rate = rebuilt.commands / seconds if seconds > 0 else 0.0
    snapshot = "none" if rebuilt.snapshot_seq is None else str(rebuilt.snapshot_seq)
    for line in (
        f"state_hash {rebuilt.exchange.state_hash() & 0xFFFF_FFFF_FFFF_FFFF:016x}",
        f"live_state_hash {live_state_hash(rebuilt.exchange):016x}",  # what a stop prints
        f"digest {_digest(rebuilt)}",
        f"commands {rebuilt.commands}",
        f"events {rebuilt.events}",
        f"snapshot {snapshot}",
        f"last_seq {rebuilt.last_seq}",
        f"feedback_window {rebuilt.feedback_window}",
        f"seconds {seconds:.3f}",
        f"rate {rate:.0f}",
    ):
        print(line, file=summary)
    problems = _journal_problems(data_dir, checkpoint, rebuilt)
    for problem in problems:
        _error(problem)
    if problems:
        return EXIT_DAMAGED
    if args.snapshot:
        try:
            path = take_snapshot(rebuilt.exchange, rebuilt.last_seq, data_dir)
        except (RecoveryError, OSError, ValueError) as exc:
            _error(f"cannot write the snapshot: {exc}")
            return EXIT_USAGE
        print(f"snapshot_written {path}", file=summary)
    return EXIT_OK


def _digest(rebuilt: Any) -> str:
    """The digest of the replayed events, or why there is none: with no command replayed the
    digest of the empty stream would describe nothing (the state is the snapshot's)."""
    if rebuilt.commands:
        return str(rebuilt.digest)
    if rebuilt.snapshot_seq is not None:
        return f"none (no command after snapshot {rebuilt.snapshot_seq})"
    return "none (no command in the journal)"


def _unacknowledged_damage(data_dir: Path) -> int | None:
    """Where to stop when the journal ends in damage past its durable checkpoint (a crash
    between write and sync; a host start cuts it there, ``journal.integrity``): the last seq
    before it, said on stderr; else None (replay reads on, and reports what it finds)."""
    from engine.journal_format import journal_dir
    from journal import JournalError
    from journal.integrity import plan_recovery

    directory = journal_dir(data_dir)
    try:
        plan = plan_recovery(directory) if directory.is_dir() else None
    except JournalError:
        return None  # refused by recovery: the replay meets the same damage and says so
    if plan is None or plan.damage is None or not plan.damage.past_checkpoint:
        return None
    _error(f"{plan.damage.describe()}; never acknowledged: replayed through seq {plan.last_seq}")
    return plan.last_seq


def _read_checkpoint(data_dir: Path) -> Any:
    """The journal's durable checkpoint, None without one (warned about), or raises
    CheckpointError (a JournalError) when it is unreadable."""
    from engine.journal_format import journal_dir
    from journal import read_checkpoint

    directory = journal_dir(data_dir)
    if not directory.is_dir():
        return None  # rebuild says there is no journal
    checkpoint = read_checkpoint(directory)
    if checkpoint is None and any(directory.glob("journal-*.log")):
        _error(
            "warning: the journal has no durable checkpoint (written before sequex kept one?): "
            "its end is not checked; `sequex journal repair` records one"
        )
    return checkpoint


def _journal_problems(data_dir: Path, checkpoint: Any, rebuilt: Any) -> list[str]:
    """Durable commands missing from the journal, and damage in the segments the replay did
    not read (before its snapshot)."""
    from engine.journal_format import journal_dir
    from journal import verify

    problems = []
    if checkpoint is not None and checkpoint.has_records and rebuilt.last_seq < checkpoint.seq:
        problems.append(
            f"durable data is missing: the journal's durable checkpoint says seqs through "
            f"{checkpoint.seq} were made durable ({checkpoint.describe()}), but the journal "
            f"replayed only through seq {rebuilt.last_seq}; the state above lacks seqs "
            f"{rebuilt.last_seq + 1}..{checkpoint.seq}"
        )
    if rebuilt.verified_from_seq is not None:
        before = rebuilt.verified_from_seq
        older = verify(journal_dir(data_dir), before_seq=before, contiguous_from=1)
        if older.damage is not None:
            problems.append(
                f"journal damage before the snapshot's tail: {older.damage.describe()}; the "
                "state above does not depend on it, but a replay from the start does "
                "(restore that segment from a copy or a standby: `sequex journal repair` would "
                "cut the journal there and lose every later seq)"
            )
    return problems


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal, else no progress callback."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "replay",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    ) as bar:
        task = bar.add_task("replay", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _error(message: str) -> None:
    print(f"sequex replay: {message}", file=sys.stderr)
