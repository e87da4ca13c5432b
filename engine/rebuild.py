"""Rebuilding the exchange from its data directory: latest snapshot + journal tail replay.

Host code (file I/O), not domain code. The formats are those of ``engine.journal_format``.

``rebuild(data_dir)`` loads the newest usable snapshot (a snapshot that fails its checksum, its
payload header or ``Exchange.restore`` is skipped and the next older one tried, down to the
empty start state; with ``from_start=True`` none is used), then submits every journaled command
with a later seq to ``Exchange(W)``, where W comes from the journal header. It returns a
:class:`Rebuilt`; its ``digest`` is the ``engine.canonical.OutputDigest`` of the events of the
*replayed* commands only: with a snapshot it covers the tail, from the start it covers the
whole stream and equals the digest ``sequex simulate`` prints for the same commands.

Errors:

* no journal directory, no segment, or a header that is not a sequex host header:
  :class:`NoJournalError`;
* a snapshot taken with another W than the journal's, a record that is not a command, a
  record whose seq differs from its command's seq_no, a snapshot newer than the whole
  journal: :class:`RecoveryError` (never silently skipped: the outputs would differ);
* a gap in the replayed seqs (the tail must start at snapshot seq + 1, or 1, and go on one by
  one; e.g. segments deleted by hand): :class:`RecoveryError` naming the expected seq, the
  found seq and its segment and byte offset;
* mid-log damage: ``journal.JournalCorruption`` passes through (it names segment and offset).
  A torn tail (a crash mid-write) is not an error: the valid prefix is replayed and the damage
  reported in ``Rebuilt.tail_damage`` (the journal is never modified here; the writer
  truncates it when the host reopens it).

Speed: the journal is read as verified batches of command records
(``engine.command_batches.CommandBatchReader``: numpy checks and one checksum loop per
segment), each batch decoded by the compiled ``CommandReader.decode_many``; the digest is fed
once per batch. ``sink`` receives those event lines too, batch by batch: the bytes that
``sequex simulate`` writes for the same commands (``sequex replay --events``).

:func:`load_snapshot` is the snapshot choice on its own; ``below`` picks the newest snapshot
that covers only seqs before a given one (``sequex journal dump --events`` replays from there).
"""

from __future__ import annotations

__all__ = [
    "CommandBatchReader",
    "NoJournalError",
    "Rebuilt",
    "RecoveryError",
    "load_snapshot",
    "read_header",
    "read_window",
    "rebuild",
    "take_snapshot",
]

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.canonical import OutputDigest
from engine.canonical.lines import EventLines
from engine.command_batches import (
    Batch,
    CommandBatchReader,
    NoJournalError,
    RecoveryError,
    check_seq_nos,
    contiguous,
)
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.journal_format import (
    HostFormatError,
    JournalHeader,
    decode_header,
    decode_snapshot_payload,
    encode_snapshot_payload,
    journal_dir,
    snapshot_dir,
)
from journal import Damage, JournalFormatError, JournalReader, SnapshotStore
from journal.layout import snapshot_name

#: Snapshots kept by take_snapshot.
KEEP_SNAPSHOTS = 3

#: progress(commands replayed so far, estimated total to replay); called once per batch.
Progress = Callable[[int, int], None]
#: sink(event lines of one batch of replayed commands); called once per batch.
Sink = Callable[[bytes], object]


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """The outcome of :func:`rebuild`.

    ``last_seq`` is the last command seq_no the state covers (the snapshot's seq when the tail
    is empty, 0 for an empty journal and no snapshot). ``digest`` (16 hex digits, None when
    not computed) and ``events`` cover the replayed commands only.
    """

    exchange: Exchange
    feedback_window: int
    last_seq: int
    snapshot_seq: int | None
    commands: int
    events: int
    digest: str | None
    skipped_snapshots: tuple[tuple[str, str], ...]
    tail_damage: Damage | None
    #: the first seq of the oldest segment read (and so checked by checksum); the segments
    #: before it (covered by the snapshot) were not read: ``journal.verify(before_seq=...)``
    verified_from_seq: int | None = None


def read_window(data_dir: str | Path) -> int:
    """The feedback window W in the header of the journal of ``data_dir``; NoJournalError if
    there is no journal or it was not written by a sequex host."""
    return read_header(data_dir).feedback_window


def read_header(data_dir: str | Path) -> JournalHeader:
    """The window and rules version in the header of the journal of ``data_dir``;
    NoJournalError if there is no journal or it was not written by a sequex host."""
    directory = journal_dir(data_dir)
    if not directory.is_dir():
        raise NoJournalError(f"{data_dir}: no journal directory ({directory} is missing)")
    reader = JournalReader(directory)
    segments = reader.segments()
    if not segments:
        raise NoJournalError(f"{directory}: no journal segment files")
    try:
        raw = reader.user_header()
    except JournalFormatError as exc:
        raise NoJournalError(f"{segments[0][1]}: unreadable segment header: {exc}") from None
    try:
        return decode_header(raw)
    except HostFormatError as exc:
        raise NoJournalError(f"{segments[0][1]}: not a sequex host journal: {exc}") from None


def rebuild(
    data_dir: str | Path,
    *,
    from_start: bool = False,
    progress: Progress | None = None,
    digest: bool = True,
    through_seq: int | None = None,
    sink: Sink | None = None,
) -> Rebuilt:
    """Rebuild the exchange of ``data_dir`` (snapshot + tail, or the whole journal with
    ``from_start``); ``digest=False`` skips encoding the events (faster, ``digest`` None).
    ``through_seq``: stop there, never reading on (what recovery keeps, when it cuts damage
    past the durable checkpoint: ``journal.integrity.plan_recovery``). ``sink`` gets the
    canonical event lines of the replayed commands (needs ``digest``: they are its input)."""
    if sink is not None and not digest:
        raise ValueError("rebuild: a sink needs digest=True (the event lines are its input)")
    header = read_header(data_dir)
    window = header.feedback_window
    exchange = Exchange(window, header.rules)
    snapshot_seq: int | None = None
    skipped: list[tuple[str, str]] = []
    if not from_start:
        loaded = load_snapshot(snapshot_dir(data_dir), header, skipped)
        if loaded is not None:
            exchange, snapshot_seq = loaded
    tail = CommandBatchReader(journal_dir(data_dir))
    from_seq = 0 if snapshot_seq is None else snapshot_seq + 1
    out = OutputDigest() if digest else None
    batches = contiguous(tail.batches(from_seq, through_seq), from_seq or 1, journal_dir(data_dir))
    commands, last_seq = _replay(exchange, batches, out, progress, tail.estimate, sink)
    if commands == 0 and snapshot_seq is not None:
        _check_journal_reaches(journal_dir(data_dir), snapshot_seq)
    if commands == 0:
        last_seq = snapshot_seq or 0
    return Rebuilt(
        exchange=exchange,
        feedback_window=window,
        last_seq=last_seq,
        snapshot_seq=snapshot_seq,
        commands=commands,
        events=out.count if out is not None else 0,
        digest=out.hexdigest() if out is not None else None,
        skipped_snapshots=tuple(skipped),
        tail_damage=tail.tail_damage,
        verified_from_seq=tail.verified_from,
    )


def take_snapshot(
    exchange: Exchange, last_seq: int, data_dir: str | Path, *, keep: int = KEEP_SNAPSHOTS
) -> Path:
    """Durably write the state of ``exchange`` (covering every command with seq_no <=
    ``last_seq``) as a snapshot of ``data_dir`` and prune all but the ``keep`` newest valid
    ones. Refuses (RecoveryError) an exchange whose W or rules differ from the journal's, if
    any."""
    if journal_dir(data_dir).is_dir():
        header = read_header(data_dir)
        if header != JournalHeader(exchange.feedback_window, exchange.rules):
            raise RecoveryError(
                f"exchange feedback window {exchange.feedback_window} and rules "
                f"{exchange.rules} differ from the journal's {header.feedback_window} and "
                f"{header.rules}: a snapshot of it could never be replayed"
            )
    payload = encode_snapshot_payload(exchange.feedback_window, last_seq, exchange.snapshot())
    store = SnapshotStore(snapshot_dir(data_dir))
    path = store.write(last_seq, payload)
    store.prune(keep)
    return path


# --- snapshot -----------------------------------------------------------------------------


def load_snapshot(
    directory: Path,
    header: JournalHeader,
    skipped: list[tuple[str, str]],
    *,
    below: int | None = None,
) -> tuple[Exchange, int] | None:
    """The newest snapshot that loads, as (exchange, seq); unusable ones go to ``skipped``.
    A usable snapshot taken with another W or rules than the journal ``header`` says is an
    error, not something to skip. ``below``: only snapshots with a seq below it (their state
    precedes that command)."""
    window = header.feedback_window
    if not directory.is_dir():
        return None
    store = SnapshotStore(directory)
    for seq in reversed(store.seqs()):
        if below is not None and seq >= below:
            continue
        name = snapshot_name(seq)
        try:
            payload = decode_snapshot_payload(store.load(seq).payload)
            if payload.seq != seq:
                raise HostFormatError(f"payload seq {payload.seq} differs from the file's {seq}")
        except (JournalFormatError, HostFormatError, OSError) as exc:
            skipped.append((name, str(exc)))
            continue
        if payload.feedback_window != window:
            raise RecoveryError(
                f"snapshot {name} was taken with feedback window {payload.feedback_window} but "
                f"the journal header says {window}: refusing to mix them"
            )
        try:
            exchange = Exchange.restore(payload.state)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            skipped.append((name, f"state does not restore: {type(exc).__name__}: {exc}"))
            continue
        if exchange.feedback_window != window or exchange.rules != header.rules:
            raise RecoveryError(
                f"snapshot {name} holds a state with feedback window "
                f"{exchange.feedback_window} and rules {exchange.rules}, the journal header "
                f"says {window} and {header.rules}"
            )
        return exchange, seq
    return None


def _check_journal_reaches(directory: Path, snapshot_seq: int) -> None:
    """A snapshot covers only journaled commands: some record must have seq >= its seq."""
    reader = JournalReader(directory)
    if next(iter(reader.records(snapshot_seq)), None) is None:
        raise RecoveryError(
            f"snapshot {snapshot_name(snapshot_seq)} covers seq {snapshot_seq} but the journal "
            "ends before it (journal lost or truncated?)"
        )


# --- replay -------------------------------------------------------------------------------


def _replay(
    exchange: Exchange,
    batches: Iterator[Batch],
    out: OutputDigest | None,
    progress: Progress | None,
    estimate: Callable[[], int],
    sink: Sink | None = None,
) -> tuple[int, int]:
    """Submit every command of ``batches``; returns (commands, last seq)."""
    decode_many = CommandReader().decode_many
    submit = exchange.submit
    lines = EventLines()
    add = lines.add_events
    commands = 0
    last_seq = 0
    for payload, seqs in batches:
        check_seq_nos(payload, seqs)
        batch = decode_many(payload)
        if out is None:
            for cmd in batch:
                submit(cmd)
        else:
            for cmd in batch:
                events = submit(cmd)
                if events:
                    add(cmd.seq_no, events)
            count = lines.count
            data = lines.take()
            out.update_bytes(data, count)
            if sink is not None:
                sink(data)
        commands += len(batch)
        last_seq = int(seqs[-1])
        if progress is not None:
            progress(commands, max(commands, estimate()))
    return commands, last_seq
