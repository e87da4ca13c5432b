"""The commands an operator picked out of a host journal, and the events each one produced.

:class:`Selection` is the pick: a seq range and field filters (``firm``, ``account``,
``symbol``; a command matches a filter when it has that field with that value, so a command
without the field never matches). :class:`CommandScan` reads a host journal for it:

* :meth:`CommandScan.commands` yields the selected commands in seq order, read as verified
  batches (``engine.command_batches.CommandBatchReader``: every record by checksum, each
  record's seq equal to its command's seq_no) and decoded by ``CommandReader.decode_many``;
* :meth:`CommandScan.outcomes` yields ``(command, its canonical event lines)``. The events of
  a command depend on every command before it, so it replays: from the newest snapshot that
  precedes the range (``engine.rebuild.load_snapshot``; with no snapshot directory, from seq
  1), every command up to the range's end, checked to run without a gap, and keeps the lines
  of the selected ones only. The lines are the bytes ``sequex simulate`` and the output
  digest use (``engine.canonical.lines.EventLines``).

Both count what they read in the range (``in_range``, ``last_seq``), so that the caller can
tell "nothing selected" from "that seq is not in the journal". Errors: :class:`NotHostJournal`
for a journal a sequex host did not write; ``RecoveryError`` for records that are not the
host's commands, a gap, a snapshot of another feedback window; :class:`EngineFailure` when
the engine raises (a bug).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.canonical.lines import EventLines
from engine.command_batches import CommandBatchReader, check_seq_nos, contiguous
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.journal_format import HostFormatError, JournalHeader, decode_header
from engine.rebuild import load_snapshot
from journal import Damage, JournalFormatError, JournalReader

#: The command fields an operator may filter on.
FILTER_FIELDS = ("firm", "account", "symbol")


class NotHostJournal(Exception):
    """The journal was not written by a sequex host: its records are not commands."""


class EngineFailure(Exception):
    """The engine raised while replaying a command (a bug in the engine, not in the data)."""


@dataclass(frozen=True, slots=True)
class Selection:
    """Seqs ``first`` through ``last`` (None: to the end) whose fields equal ``fields``."""

    first: int = 1
    last: int | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def matches(self, cmd: Command) -> bool:
        return all(getattr(cmd, name, None) == value for name, value in self.fields)

    def describe(self) -> str:
        """``seq 16``, ``seqs 10..20`` or ``seqs 10..`` (the end of the journal)."""
        if self.last == self.first:
            return f"seq {self.first}"
        return f"seqs {self.first}..{'' if self.last is None else self.last}"


def host_header(journal: Path) -> JournalHeader:
    """The window and rules of a sequex host journal; NotHostJournal for any other."""
    try:
        return decode_header(JournalReader(journal).user_header())
    except (HostFormatError, JournalFormatError) as exc:
        raise NotHostJournal(str(exc)) from None


class CommandScan:
    """One pass over a host journal for a :class:`Selection` (see the module docstring)."""

    def __init__(self, journal: Path, selection: Selection) -> None:
        self.header = host_header(journal)
        self.journal = journal
        self.selection = selection
        #: commands read in the selection's seq range (filtered out or not), the last one's seq
        self.in_range = 0
        self.last_seq: int | None = None
        #: a torn tail the pass reached (the valid records before it were read)
        self.tail_damage: Damage | None = None
        #: outcomes(): the snapshot it started from, and the unusable ones it skipped
        self.snapshot_seq: int | None = None
        self.skipped: list[tuple[str, str]] = []

    def commands(self) -> Iterator[Command]:
        """The selected commands, in seq order."""
        reader = CommandBatchReader(self.journal)
        decode_many = CommandReader().decode_many
        selection = self.selection
        for payload, seqs in reader.batches(selection.first, selection.last):
            check_seq_nos(payload, seqs)
            for cmd in decode_many(payload):
                self.in_range += 1
                self.last_seq = cmd.seq_no
                if selection.matches(cmd):
                    yield cmd
        self.tail_damage = reader.tail_damage

    def outcomes(self, snapshots: Path | None) -> Iterator[tuple[Command, bytes]]:
        """``(command, its event lines)`` of the selected commands, replayed from the newest
        usable snapshot of ``snapshots`` that precedes the range (None: from seq 1)."""
        selection = self.selection
        exchange = Exchange(self.header.feedback_window, self.header.rules)
        if snapshots is not None:
            loaded = load_snapshot(snapshots, self.header, self.skipped, below=selection.first)
            if loaded is not None:
                exchange, self.snapshot_seq = loaded
        start = (self.snapshot_seq or 0) + 1
        reader = CommandBatchReader(self.journal)
        batches = contiguous(reader.batches(start, selection.last), start, self.journal)
        decode_many = CommandReader().decode_many
        submit = exchange.submit
        lines = EventLines()
        for payload, seqs in batches:
            check_seq_nos(payload, seqs)
            for cmd in decode_many(payload):
                try:
                    events = submit(cmd)
                except Exception as exc:  # an engine bug: reported, never a traceback
                    raise EngineFailure(
                        f"the engine raised on seq {cmd.seq_no}: {type(exc).__name__}: {exc}"
                    ) from None
                if cmd.seq_no < selection.first:
                    continue
                self.in_range += 1
                self.last_seq = cmd.seq_no
                if selection.matches(cmd):
                    lines.add_events(cmd.seq_no, events)
                    yield cmd, lines.take()
        self.tail_damage = reader.tail_damage


def journal_extent(journal: Path) -> tuple[int, int] | None:
    """(first seq, last seq) of the journal's valid records, None when it holds none. Reads
    only the last segment that holds a record (error messages only)."""
    reader = JournalReader(journal)
    segments = reader.segments()
    for first_seq, _path in reversed(segments):
        last = None
        for _type, seq, _payload in reader.records(first_seq):
            last = seq
        if last is not None:
            return segments[0][0], last
    return None
