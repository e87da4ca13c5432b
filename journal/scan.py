"""Validating walk over segment bytes: the one place that decides whether a record is good.

``iter_frames`` checks record after record (length, checksum, strictly increasing seq) and stops
at the first bad one, leaving the reason in a ``WalkEnd``. ``find_next_valid`` answers the
question that separates a torn tail from mid-log corruption: does any valid record start after
this offset? ``scan_segment`` combines both over one segment file.

Costs: the walk is O(records) with one xxh3 call per record; ``find_next_valid`` runs only on
damage, filters candidate offsets with numpy in windows and hashes only plausible ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xxhash

from journal.errors import JournalFormatError
from journal.layout import (
    CHECKSUM_OFFSET,
    FILE_HEADER_SIZE,
    INDEX_STRIDE,
    MAX_PAYLOAD,
    PAYLOAD_OFFSET,
    RECORD_HEADER,
    RECORD_HEADER_SIZE,
    SEGMENT_RE,
    ZERO_CHECKSUM,
    decode_file_header,
)

_WINDOW = 1 << 20  # bytes of candidate offsets examined per numpy pass


@dataclass(slots=True)
class WalkEnd:
    """Where and why ``iter_frames`` stopped. ``reason`` is None at a clean end of data.

    ``hard`` marks a record whose checksum is valid but whose seq is out of order: the writer
    never produces one, so it is corruption even at the very end of the log.
    """

    offset: int = 0
    reason: str | None = None
    hard: bool = False
    last_seq: int = -1


def iter_frames(
    buf: bytearray, pos: int, last_seq: int, end: WalkEnd
) -> Iterator[tuple[int, int, int, memoryview]]:
    """Yield ``(offset, type, seq, payload)`` for each valid record of ``buf`` from ``pos``.

    Each record must have a seq greater than ``last_seq`` and then than its predecessor. The
    checksum field of each checked record is zeroed in ``buf`` (the hash is defined over the
    frame with that field zero; mutating our own read buffer avoids a copy per record). On
    return ``end`` holds the stop offset, the reason (None when the data ended cleanly on a
    record boundary) and the last good seq.
    """
    mv = memoryview(buf)
    size = len(buf)
    unpack = RECORD_HEADER.unpack_from
    digest = xxhash.xxh3_64_intdigest
    zero = ZERO_CHECKSUM
    header_size = RECORD_HEADER_SIZE
    reason: str | None = None
    hard = False
    while pos < size:
        if size - pos < header_size:
            reason = f"incomplete record header ({size - pos} of {header_size} bytes)"
            break
        length, rtype, seq, checksum = unpack(buf, pos)
        stop = pos + header_size + length
        if length > MAX_PAYLOAD:
            reason = f"record length {length} exceeds the maximum {MAX_PAYLOAD}"
            break
        if stop > size:
            reason = f"incomplete record (length {length}, {size - pos - header_size} present)"
            break
        sum_at = pos + CHECKSUM_OFFSET
        mv[sum_at : sum_at + 8] = zero
        if digest(mv[pos:stop]) != checksum:
            # Put the stored value back: find_next_valid may look at these bytes again.
            RECORD_HEADER.pack_into(buf, pos, length, rtype, seq, checksum)
            reason = "checksum mismatch"
            break
        if seq <= last_seq:
            reason = f"seq {seq} is not greater than the previous seq {last_seq}"
            hard = True
            break
        yield pos, rtype, seq, mv[pos + PAYLOAD_OFFSET : stop]
        last_seq = seq
        pos = stop
    end.offset = pos
    end.reason = reason
    end.hard = hard
    end.last_seq = last_seq


def is_valid_frame(buf: bytearray | bytes, pos: int, min_seq: int) -> bool:
    """True when a complete record with a good checksum and seq >= ``min_seq`` starts at pos."""
    if len(buf) - pos < RECORD_HEADER_SIZE:
        return False
    length, _rtype, seq, checksum = RECORD_HEADER.unpack_from(buf, pos)
    stop = pos + RECORD_HEADER_SIZE + length
    if length > MAX_PAYLOAD or stop > len(buf) or seq < min_seq:
        return False
    frame = bytearray(buf[pos:stop])
    frame[CHECKSUM_OFFSET : CHECKSUM_OFFSET + 8] = ZERO_CHECKSUM
    return bool(xxhash.xxh3_64_intdigest(frame) == checksum)


def find_next_valid(buf: bytearray | bytes, start: int, last_seq: int) -> int | None:
    """Offset of the first valid record starting at or after ``start`` with seq > last_seq.

    A torn write leaves garbage after which nothing valid follows; any hit here means the
    damage is in the middle of the log. numpy rules out most offsets (the length must fit in
    the buffer, the seq must be larger than the last good one) before any hashing.
    """
    size = len(buf)
    last = size - RECORD_HEADER_SIZE  # last offset where a header fits
    pos = start
    while pos <= last:
        count = min(_WINDOW, last - pos + 1)
        # Unaligned strided views: the u32 length and u64 seq as if a record began at each byte.
        length = np.ndarray((count,), dtype="<u4", buffer=buf, offset=pos, strides=(1,))
        room = (size - pos - RECORD_HEADER_SIZE) - np.arange(count, dtype=np.int64)
        ok = length.astype(np.int64) <= room
        if last_seq >= 0:
            seq = np.ndarray((count,), dtype="<u8", buffer=buf, offset=pos + 8, strides=(1,))
            ok &= seq > np.uint64(last_seq)
        for i in np.flatnonzero(ok).tolist():
            if is_valid_frame(buf, pos + i, last_seq + 1):
                return pos + i
        pos += count
    return None


def count_torn_records(buf: bytearray | bytes, pos: int) -> int:
    """How many (partial or garbled) records the bytes from ``pos`` to the end hold.

    Follows the length fields while they are plausible; a piece that does not parse counts as
    one record. Used only to report what a tail truncation drops.
    """
    count = 0
    size = len(buf)
    while pos < size:
        count += 1
        if size - pos < RECORD_HEADER_SIZE:
            break
        length = RECORD_HEADER.unpack_from(buf, pos)[0]
        if length > MAX_PAYLOAD:
            break
        pos += RECORD_HEADER_SIZE + length
    return count


def list_segments(directory: Path) -> list[tuple[int, Path]]:
    """Segment files of ``directory`` as ``(first_seq from the name, path)``, sorted by seq."""
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            match = SEGMENT_RE.match(entry.name)
            if match and entry.is_file():
                found.append((int(match.group(1)), Path(entry.path)))
    found.sort()
    return found


@dataclass(slots=True)
class SegmentScan:
    """What one pass over a segment file found."""

    path: Path
    file_size: int
    header_first_seq: int = -1
    user_header: bytes = b""
    records: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    valid_end: int = 0  # offset just past the last valid record (0 when the header is bad)
    damage_offset: int | None = None
    damage_reason: str | None = None
    damage_hard: bool = False  # corruption whatever follows (e.g. seq out of order)
    resume_offset: int | None = None  # next valid record after the damage, in this segment
    torn_records: int = 0
    index: list[tuple[int, int]] = field(default_factory=list)
    types: dict[int, int] = field(default_factory=dict)

    @property
    def header_ok(self) -> bool:
        return self.header_first_seq >= 0


def scan_segment(path: Path, name_seq: int, prev_last_seq: int) -> SegmentScan:
    """Check every record of one segment file; never modifies it.

    ``prev_last_seq`` is the last seq of the previous segment (-1 when unknown or none).
    """
    data = bytearray(path.read_bytes())
    scan = SegmentScan(path=path, file_size=len(data))
    try:
        first_seq, user_header = decode_file_header(data)
        if first_seq != name_seq:
            raise JournalFormatError(f"header first seq {first_seq} does not match the file name")
    except JournalFormatError as exc:
        scan.damage_offset = 0
        scan.damage_reason = f"bad segment header: {exc}"
        scan.resume_offset = find_next_valid(data, min(FILE_HEADER_SIZE, len(data)), -1)
        if scan.resume_offset is None:
            scan.torn_records = count_torn_records(data, min(FILE_HEADER_SIZE, len(data)))
        return scan
    scan.header_first_seq = first_seq
    scan.user_header = user_header
    if first_seq <= prev_last_seq:
        scan.damage_offset = 0
        scan.damage_reason = (
            f"segment first seq {first_seq} is not greater than the previous segment's last "
            f"seq {prev_last_seq}"
        )
        scan.damage_hard = True
        return scan
    end = WalkEnd()
    types = scan.types
    index = scan.index
    next_mark = 0
    records = 0
    first: int | None = None
    for offset, rtype, seq, _payload in iter_frames(data, FILE_HEADER_SIZE, first_seq - 1, end):
        if offset >= next_mark:
            index.append((seq, offset))
            next_mark = (offset // INDEX_STRIDE + 1) * INDEX_STRIDE
        if first is None:
            first = seq
        types[rtype] = types.get(rtype, 0) + 1
        records += 1
    scan.records = records
    scan.first_seq = first
    scan.last_seq = end.last_seq if records else None
    scan.valid_end = end.offset
    if end.reason is not None:
        scan.damage_offset = end.offset
        scan.damage_reason = end.reason
        scan.damage_hard = end.hard
        scan.resume_offset = find_next_valid(data, end.offset + 1, end.last_seq)
        if scan.resume_offset is None:
            scan.torn_records = count_torn_records(data, end.offset)
    return scan
