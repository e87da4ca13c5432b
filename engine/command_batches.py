"""A host journal read as verified batches of 128-byte command records (the replay input).

:class:`CommandBatchReader` yields ``(records, seqs)`` batches of at most :data:`BATCH`
commands: ``records`` a memoryview of back-to-back command records (for
``engine.command_reader.CommandReader.decode_many``), ``seqs`` their journal seqs. A segment made
entirely of valid command frames (the normal case) is checked with numpy over the whole
segment (lengths, types, seq order) and its per-record xxh3 checksums computed in one tight
loop; any segment that fails that check (damage, a torn tail, a foreign record) is read from
there on through ``journal.JournalReader``, whose verdicts and messages are the reference.

:func:`contiguous` checks that the batches hold ``first_seq, first_seq + 1, ...`` without a
gap and :func:`check_seq_nos` that each record's journal seq equals its command's seq_no; both
raise :class:`RecoveryError`, the error of ``engine.rebuild`` (defined here, below it, so
that both modules share it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.journal_format import COMMAND_FRAME_SIZE, RECORD_COMMAND
from engine.records import RECORD_SIZE
from journal import Damage, JournalError, JournalReader
from journal.checksums import frame_checksums
from journal.layout import FILE_HEADER_SIZE, decode_file_header
from journal.scan import WalkEnd, iter_frames, list_segments

#: Commands decoded and replayed per batch.
BATCH = 4096

Seqs = npt.NDArray[np.uint64]
#: (back-to-back command records, their journal seqs)
Batch = tuple[memoryview, Seqs]


def checksums_match(frames: npt.NDArray[np.void]) -> bool:
    """Whether every ``FRAME`` in ``frames`` (writable, contiguous) carries the xxh3 checksum of
    its bytes. The checksum is defined over the frame with its checksum field zeroed, so this
    zeroes that field in ``frames`` (pass a copy to keep it)."""
    stored = frames["checksum"].copy()
    frames["checksum"] = 0
    sums = frame_checksums(frames.view(np.uint8).reshape(len(frames), COMMAND_FRAME_SIZE))
    return bool((sums == stored).all())


class RecoveryError(Exception):
    """The data directory cannot be replayed into a state that matches the journal."""


class NoJournalError(RecoveryError):
    """The data directory holds no journal written by a sequex host."""


FRAME = np.dtype(
    [
        ("length", "<u4"),
        ("type", "<u4"),
        ("seq", "<u8"),
        ("checksum", "<u8"),
        ("payload", "u1", (RECORD_SIZE,)),
    ]
)
assert FRAME.itemsize == COMMAND_FRAME_SIZE


def contiguous(batches: Iterator[Batch], first_seq: int, directory: Path) -> Iterator[Batch]:
    """``batches``, checked to hold ``first_seq``, ``first_seq + 1``, ... without a gap. The
    journal already guarantees strictly increasing seqs, so a batch of n records is contiguous
    iff last = first + n - 1: O(1) per batch. Apart from _replay, whose loop it leaves as is."""
    expected = first_seq
    for payload, seqs in batches:
        first = int(seqs[0])
        if first != expected or int(seqs[-1]) - first != len(seqs) - 1:
            check_seq_nos(payload, seqs)  # records that are not their commands: say that first
            if first == expected:  # the gap is inside the batch (error path only)
                at = int(np.flatnonzero(np.diff(seqs) != 1)[0])
                expected, first = int(seqs[at]) + 1, int(seqs[at + 1])
            covers = f" (snapshot covers {first_seq - 1})" if expected == first_seq > 1 else ""
            raise RecoveryError(
                f"journal gap: expected seq {expected}{covers}, found seq {first}"
                f"{_where(directory, first)}; seqs {expected}..{first - 1} are missing "
                "(segments deleted or lost?)"
            )
        expected = first + len(seqs)
        yield payload, seqs


def _where(directory: Path, seq: int) -> str:
    """`` in SEGMENT at byte OFFSET`` of the record ``seq`` (error path only: reads a segment)."""
    path = next((p for first, p in reversed(list_segments(directory)) if first <= seq), None)
    if path is None:
        return ""
    data = bytearray(path.read_bytes())
    for offset, _type, found, _payload in iter_frames(data, FILE_HEADER_SIZE, -1, WalkEnd()):
        if found == seq:
            return f" in {path.name} at byte {offset}"
    return f" in {path.name}"


def check_seq_nos(payload: memoryview, seqs: Seqs) -> None:
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
    ``CommandReader.decode_many``), ``seqs`` their journal seqs (uint64). Verifies every
    record; ``tail_damage`` is set once the iteration reached a torn tail, and
    ``verified_from`` to the first seq of the first segment read (every record from there on
    that the iteration reached was checked by checksum)."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._segments = JournalReader(directory).segments()
        self._estimate = 0
        self.tail_damage: Damage | None = None
        self.verified_from: int | None = None

    def estimate(self) -> int:
        """Commands to replay, estimated from the segment sizes."""
        return self._estimate

    def batches(self, from_seq: int, through_seq: int | None = None) -> Iterator[Batch]:
        """The commands from ``from_seq`` on; with ``through_seq``, none after it, and nothing
        past it is read (recovery stops there: what follows is cut, see
        ``journal.integrity``)."""
        segments = self._segments
        if through_seq is not None:
            segments = [(first, path) for first, path in segments if first <= through_seq]
        if not segments:
            return
        firsts = [first for first, _ in segments]
        start = max(0, int(np.searchsorted(firsts, from_seq, side="right")) - 1)
        self.verified_from = firsts[start]
        sizes = [max(0, p.stat().st_size - FILE_HEADER_SIZE) for _, p in segments[start:]]
        self._estimate = max(0, sum(sizes) // COMMAND_FRAME_SIZE - max(0, from_seq - firsts[start]))
        header = _user_header_of(segments[0][1])
        floor = -1  # seqs must exceed the previous segment's last one
        for index in range(start, len(segments)):
            name_seq, path = segments[index]
            frames = _verified_frames(path, name_seq, header, floor)
            if frames is None:
                if index == start and from_seq > name_seq:
                    # JournalReader seeks to from_seq by the segment's index: the records of
                    # this segment before it are not read, so not checked here either
                    self.verified_from = from_seq
                yield from self._slow(max(from_seq, name_seq), through_seq)
                return
            seqs = frames["seq"]
            if len(seqs):
                floor = int(seqs[-1])
            first = int(np.searchsorted(seqs, from_seq, side="left"))
            stop = len(seqs)
            if through_seq is not None:
                stop = int(np.searchsorted(seqs, through_seq, side="right"))
            if first >= stop:
                continue
            payloads = frames["payload"]
            for lo in range(first, stop, BATCH):
                hi = min(lo + BATCH, stop)
                # one copy per batch (not per segment) keeps the extra memory small
                records = np.ascontiguousarray(payloads[lo:hi]).reshape(-1)
                yield records.data, seqs[lo:hi]

    def _slow(self, from_seq: int, through_seq: int | None) -> Iterator[Batch]:
        """The reference path: every record through JournalReader, from ``from_seq`` on
        (through ``through_seq``: the reader is not asked for more, so damage after it is
        never reached)."""
        reader = JournalReader(self._dir)
        buffer = bytearray()
        seqs: list[int] = []
        for rtype, seq, payload in reader.records(from_seq):
            if through_seq is not None and seq > through_seq:
                break
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
            if seq == through_seq:
                break  # asking the reader for the next record would walk into what follows
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
    frames = np.frombuffer(data, dtype=FRAME, offset=FILE_HEADER_SIZE)
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
    if not checksums_match(frames):
        return None
    return frames
