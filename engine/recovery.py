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
* mid-log damage: ``journal.JournalCorruption`` passes through (it names segment and offset).
  A torn tail (a crash mid-write) is not an error: the valid prefix is replayed and the damage
  reported in ``Rebuilt.tail_damage`` (the journal is never modified here; the writer
  truncates it when the host reopens it).

Speed: replay reads a segment in one read and, when it is made entirely of verified command
frames (the normal case), checks lengths, types and seq order with numpy over the whole segment,
computes the per-record xxh3 checksums in one tight loop, then hands contiguous runs of
``BATCH`` 128-byte records to ``CommandDecoder.decode_many``; the digest is fed once per batch.
Any segment that does not pass that check (damage, a torn tail, a foreign record) is read
from there on through ``journal.JournalReader``, whose verdicts and messages are the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import xxhash

from engine.canonical import OutputDigest, encode_events
from engine.domain.exchange import Exchange
from engine.journal_format import (
    COMMAND_FRAME_SIZE,
    RECORD_COMMAND,
    HostFormatError,
    decode_snapshot_payload,
    decode_user_header,
    encode_snapshot_payload,
    journal_dir,
    snapshot_dir,
)
from engine.records import RECORD_SIZE, CommandDecoder
from journal import Damage, JournalError, JournalFormatError, JournalReader, SnapshotStore
from journal.layout import FILE_HEADER_SIZE, decode_file_header, snapshot_name

#: Commands decoded and replayed per batch.
BATCH = 4096
#: Snapshots kept by take_snapshot.
KEEP_SNAPSHOTS = 3

#: progress(commands replayed so far, estimated total to replay); called once per batch.
Progress = Callable[[int, int], None]
_Seqs = npt.NDArray[np.uint64]
_Batch = tuple[memoryview, _Seqs]

_FRAME = np.dtype(
    [
        ("length", "<u4"),
        ("type", "<u4"),
        ("seq", "<u8"),
        ("checksum", "<u8"),
        ("payload", "u1", (RECORD_SIZE,)),
    ]
)
assert _FRAME.itemsize == COMMAND_FRAME_SIZE


class RecoveryError(Exception):
    """The data directory cannot be replayed into a state that matches the journal."""


class NoJournalError(RecoveryError):
    """The data directory holds no journal written by a sequex host."""


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


def read_window(data_dir: str | Path) -> int:
    """The feedback window W in the header of the journal of ``data_dir``; NoJournalError if
    there is no journal or it was not written by a sequex host."""
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
        return decode_user_header(raw)
    except HostFormatError as exc:
        raise NoJournalError(f"{segments[0][1]}: not a sequex host journal: {exc}") from None


def rebuild(
    data_dir: str | Path,
    *,
    from_start: bool = False,
    progress: Progress | None = None,
    digest: bool = True,
) -> Rebuilt:
    """Rebuild the exchange of ``data_dir`` (snapshot + tail, or the whole journal with
    ``from_start``); ``digest=False`` skips encoding the events (faster, ``digest`` None)."""
    window = read_window(data_dir)
    exchange = Exchange(window)
    snapshot_seq: int | None = None
    skipped: list[tuple[str, str]] = []
    if not from_start:
        loaded = _load_snapshot(snapshot_dir(data_dir), window, skipped)
        if loaded is not None:
            exchange, snapshot_seq = loaded
    tail = CommandBatchReader(journal_dir(data_dir))
    from_seq = 0 if snapshot_seq is None else snapshot_seq + 1
    out = OutputDigest() if digest else None
    commands, last_seq = _replay(exchange, tail.batches(from_seq), out, progress, tail.estimate)
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
    )


def take_snapshot(
    exchange: Exchange, last_seq: int, data_dir: str | Path, *, keep: int = KEEP_SNAPSHOTS
) -> Path:
    """Durably write the state of ``exchange`` (covering every command with seq_no <=
    ``last_seq``) as a snapshot of ``data_dir`` and prune all but the ``keep`` newest valid
    ones. Refuses (RecoveryError) an exchange whose W differs from the journal's, if any."""
    if journal_dir(data_dir).is_dir():
        window = read_window(data_dir)
        if window != exchange.feedback_window:
            raise RecoveryError(
                f"exchange feedback window {exchange.feedback_window} differs from the "
                f"journal's {window}: a snapshot of it could never be replayed"
            )
    payload = encode_snapshot_payload(exchange.feedback_window, last_seq, exchange.snapshot())
    store = SnapshotStore(snapshot_dir(data_dir))
    path = store.write(last_seq, payload)
    store.prune(keep)
    return path


# --- snapshot -----------------------------------------------------------------------------


def _load_snapshot(
    directory: Path, window: int, skipped: list[tuple[str, str]]
) -> tuple[Exchange, int] | None:
    """The newest snapshot that loads, as (exchange, seq); unusable ones go to ``skipped``.
    A usable snapshot taken with another W is an error, not something to skip."""
    if not directory.is_dir():
        return None
    store = SnapshotStore(directory)
    for seq in reversed(store.seqs()):
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
        if exchange.feedback_window != window:
            raise RecoveryError(
                f"snapshot {name} holds a state with feedback window "
                f"{exchange.feedback_window}, the journal header says {window}"
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
    batches: Iterator[_Batch],
    out: OutputDigest | None,
    progress: Progress | None,
    estimate: Callable[[], int],
) -> tuple[int, int]:
    """Submit every command of ``batches``; returns (commands, last seq)."""
    decode_many = CommandDecoder().decode_many
    submit = exchange.submit
    encode = encode_events
    commands = 0
    last_seq = 0
    for payload, seqs in batches:
        _check_seq_nos(payload, seqs)
        batch = decode_many(payload)
        if out is None:
            for cmd in batch:
                submit(cmd)
        else:
            parts: list[bytes] = []
            lines = 0
            for cmd in batch:
                events = submit(cmd)
                if events:
                    parts.append(encode(cmd.seq_no, events))
                    lines += len(events)
            out.update_bytes(b"".join(parts), lines)
        commands += len(batch)
        last_seq = int(seqs[-1])
        if progress is not None:
            progress(commands, max(commands, estimate()))
    return commands, last_seq


def _check_seq_nos(payload: memoryview, seqs: _Seqs) -> None:
    """Every record's journal seq must equal its command's seq_no (bytes 8..16)."""
    count = len(seqs)
    seq_nos = np.ndarray((count,), dtype="<i8", buffer=payload, offset=8, strides=(RECORD_SIZE,))
    bad = np.flatnonzero(seq_nos != seqs.astype(np.int64))
    if bad.size:
        i = int(bad[0])
        raise RecoveryError(
            f"journal record seq {int(seqs[i])} holds a command with seq_no {int(seq_nos[i])}"
        )


class CommandBatchReader:
    """The journaled commands of a journal directory as batches of at most ``BATCH``
    ``(records, seqs)``: ``records`` a memoryview of back-to-back 128-byte command records (for
    ``CommandDecoder.decode_many``), ``seqs`` their journal seqs (uint64). Verifies every
    record; ``tail_damage`` is set once the iteration reached a torn tail."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._segments = JournalReader(directory).segments()
        self._estimate = 0
        self.tail_damage: Damage | None = None

    def estimate(self) -> int:
        """Commands to replay, estimated from the segment sizes."""
        return self._estimate

    def batches(self, from_seq: int) -> Iterator[_Batch]:
        segments = self._segments
        firsts = [first for first, _ in segments]
        start = max(0, int(np.searchsorted(firsts, from_seq, side="right")) - 1)
        sizes = [max(0, p.stat().st_size - FILE_HEADER_SIZE) for _, p in segments[start:]]
        self._estimate = max(0, sum(sizes) // COMMAND_FRAME_SIZE - max(0, from_seq - firsts[start]))
        header = _user_header_of(segments[0][1])
        floor = -1  # seqs must exceed the previous segment's last one
        for index in range(start, len(segments)):
            name_seq, path = segments[index]
            frames = _verified_frames(path, name_seq, header, floor)
            if frames is None:
                yield from self._slow(max(from_seq, name_seq))
                return
            seqs = frames["seq"]
            if len(seqs):
                floor = int(seqs[-1])
            first = int(np.searchsorted(seqs, from_seq, side="left"))
            if first == len(frames):
                continue
            payloads = frames["payload"]
            for lo in range(first, len(seqs), BATCH):
                hi = min(lo + BATCH, len(seqs))
                # one copy per batch (not per segment) keeps the extra memory small
                records = np.ascontiguousarray(payloads[lo:hi]).reshape(-1)
                yield records.data, seqs[lo:hi]

    def _slow(self, from_seq: int) -> Iterator[_Batch]:
        """The reference path: every record through JournalReader, from ``from_seq`` on."""
        reader = JournalReader(self._dir)
        buffer = bytearray()
        seqs: list[int] = []
        for rtype, seq, payload in reader.records(from_seq):
            if rtype != RECORD_COMMAND or len(payload) != RECORD_SIZE:
                raise RecoveryError(
                    f"journal record seq {seq} has type {rtype} and {len(payload)} bytes; a host "
                    f"journal holds only commands (type {RECORD_COMMAND}, {RECORD_SIZE} bytes)"
                )
            buffer += payload
            seqs.append(seq)
            if len(seqs) == BATCH:
                yield memoryview(bytes(buffer)), np.array(seqs, dtype=np.uint64)
                buffer.clear()
                seqs.clear()
        if seqs:
            yield memoryview(bytes(buffer)), np.array(seqs, dtype=np.uint64)
        self.tail_damage = reader.tail_damage


def _user_header_of(path: Path) -> bytes:
    with open(path, "rb") as f:
        return decode_file_header(f.read(FILE_HEADER_SIZE))[1]


def _verified_frames(
    path: Path, name_seq: int, header: bytes, floor: int
) -> npt.NDArray[np.void] | None:
    """The frames of a segment made only of valid command records with seqs increasing from
    above ``floor``, else None (the
    caller then lets JournalReader judge it). A valid segment header with a user header other
    than the first segment's is an error: W cannot change mid-journal."""
    data = bytearray(path.read_bytes())
    try:
        first_seq, user = decode_file_header(data)
    except JournalError:
        return None
    if first_seq != name_seq or (len(data) - FILE_HEADER_SIZE) % COMMAND_FRAME_SIZE:
        return None
    if user != header:
        raise RecoveryError(
            f"{path.name}: user header {user!r} differs from the first segment's {header!r}"
        )
    frames = np.frombuffer(data, dtype=_FRAME, offset=FILE_HEADER_SIZE)
    count = len(frames)
    if count == 0:
        return frames
    seqs = frames["seq"]
    if not (
        (frames["length"] == RECORD_SIZE).all()
        and (frames["type"] == RECORD_COMMAND).all()
        and int(seqs[0]) >= first_seq
        and int(seqs[0]) > floor
        and (seqs[1:] > seqs[:-1]).all()
    ):
        return None
    stored = frames["checksum"].copy()
    frames["checksum"] = 0  # the checksum is defined over the frame with this field zeroed
    view = memoryview(data)
    digest = xxhash.xxh3_64_intdigest
    size = COMMAND_FRAME_SIZE
    end = FILE_HEADER_SIZE + count * size
    sums = [digest(view[pos : pos + size]) for pos in range(FILE_HEADER_SIZE, end, size)]
    if not (np.array(sums, dtype=np.uint64) == stored).all():
        return None
    return frames
