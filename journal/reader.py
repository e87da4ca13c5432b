"""Reading the journal from any seq, verifying every record it yields.

Finding a seq costs a bisect over the segment names (their first seqs), then a bisect over the
segment's index sidecar (one entry per INDEX_STRIDE bytes), then a walk of at most one stride.
An index entry is only a hint: if the record it points at is not exactly that seq, the reader
walks from the start of the segment instead.

Each segment is read from the start offset to its end in one read when reached, so the reader
sees the records present at that moment and holds at most one segment in memory. Yielded
payloads are memoryviews into that buffer (copy them to keep them past the next segment only
if memory matters; they stay valid either way).

Damage: a bad record with nothing valid after it in the last segment (a torn tail not yet
recovered, a record the writer is still writing, or a last segment whose header is not written
yet) ends the iteration and is left in ``tail_damage``; a bad record followed by a valid one, or
by any later segment file, raises ``JournalCorruption`` naming segment and offset. Index entries
pointing outside the segment are ignored like any other wrong hint.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator
from pathlib import Path

from journal.damage import Damage, classify_damage
from journal.errors import JournalCorruption, JournalFormatError
from journal.layout import FILE_HEADER_SIZE, INDEX_ENTRY, decode_file_header, index_name
from journal.scan import (
    WalkEnd,
    count_torn_records,
    find_next_valid,
    is_valid_frame,
    iter_frames,
    list_segments,
    scan_segment,
)

Record = tuple[int, int, memoryview]  # (type, seq, payload)


class JournalReader:
    """Iterates the records of a journal directory; any number of readers may coexist."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._dir = Path(directory)
        if not self._dir.is_dir():
            raise FileNotFoundError(f"no such journal directory: {self._dir}")
        self.tail_damage: Damage | None = None

    def segments(self) -> list[tuple[int, Path]]:
        """``(first seq, path)`` of every segment, in order."""
        return list_segments(self._dir)

    def user_header(self) -> bytes:
        """The opaque user header of the first segment (b"" for an empty directory)."""
        segments = self.segments()
        if not segments:
            return b""
        with open(segments[0][1], "rb") as f:
            return decode_file_header(f.read(FILE_HEADER_SIZE))[1]

    def __iter__(self) -> Iterator[Record]:
        return self.records()

    def records(self, from_seq: int | None = None) -> Iterator[Record]:
        """Yield ``(type, seq, payload)`` for every record with seq >= from_seq, in order."""
        self.tail_damage = None
        segments = self.segments()
        start = 0
        if from_seq is not None:
            start = max(0, bisect.bisect_right([s for s, _ in segments], from_seq) - 1)
        last_seq = -1
        for i in range(start, len(segments)):
            name_seq, path = segments[i]
            try:
                data, base, floor = self._load(path, name_seq, from_seq if i == start else None)
            except JournalCorruption:
                if i + 1 < len(segments):
                    raise
                # A bad header in the last segment: a crash during a roll, or a roll this
                # reader raced. A torn tail unless valid records follow the header.
                scan = scan_segment(path, name_seq, -1)
                if scan.damage_offset is None:
                    return  # completed meanwhile: it held no record when we looked
                damage = classify_damage(scan, [])
                if not damage.torn_tail:
                    raise
                self.tail_damage = damage
                return
            end = WalkEnd()
            walk_from = max(last_seq, floor)
            for _offset, rtype, seq, payload in iter_frames(data, 0, walk_from, end):
                if from_seq is None or seq >= from_seq:
                    yield rtype, seq, payload
            if end.reason is not None:
                self._on_damage(segments[i + 1 :], path, data, base, end)
                return
            last_seq = end.last_seq

    def _load(self, path: Path, name_seq: int, from_seq: int | None) -> tuple[bytearray, int, int]:
        """Read the records of a segment from the best start: (bytes, their file offset,
        seq the first record must exceed)."""
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            header = f.read(FILE_HEADER_SIZE)
            try:
                first_seq, _user = decode_file_header(header)
                if first_seq != name_seq:
                    raise JournalFormatError(f"header first seq {first_seq} != file name seq")
            except JournalFormatError as exc:
                raise JournalCorruption(path.name, 0, f"bad segment header: {exc}") from None
            start, floor = FILE_HEADER_SIZE, first_seq - 1
            hint = self._index_hint(path, first_seq, from_seq, size)
            if hint is not None:
                seq, offset = hint
                f.seek(offset)
                data = bytearray(f.read())
                if is_valid_frame(data, 0, seq) and _seq_at(data) == seq:
                    return data, offset, seq - 1
            f.seek(start)
            return bytearray(f.read()), start, floor

    def _index_hint(
        self, path: Path, first_seq: int, from_seq: int | None, size: int
    ) -> tuple[int, int] | None:
        """The last index entry with seq <= from_seq, if the sidecar has one pointing inside
        the records of the segment (``size`` bytes long); garbage entries are ignored."""
        if from_seq is None or from_seq <= first_seq:
            return None
        try:
            raw = path.with_name(index_name(first_seq)).read_bytes()
        except OSError:
            return None
        entries = [INDEX_ENTRY.unpack_from(raw, o) for o in range(0, len(raw) // 16 * 16, 16)]
        pos = bisect.bisect_right(entries, (from_seq, 1 << 64)) - 1
        if pos < 0 or not FILE_HEADER_SIZE < entries[pos][1] < size:
            return None
        seq, offset = entries[pos]
        return int(seq), int(offset)

    def _on_damage(
        self,
        later: list[tuple[int, Path]],
        path: Path,
        data: bytearray,
        base: int,
        end: WalkEnd,
    ) -> None:
        assert end.reason is not None
        offset = base + end.offset
        resume = None if end.hard else find_next_valid(data, end.offset + 1, end.last_seq)
        if end.hard or resume is not None:
            raise JournalCorruption(path.name, offset, end.reason)
        if later:
            # The writer syncs a segment before it creates the next: a later segment file,
            # even an empty one, means this damage is not a torn write.
            scans = [scan_segment(seg_path, name_seq, -1) for name_seq, seg_path in later]
            valid = next((s for s in scans if s.records or s.resume_offset is not None), None)
            what = (
                f"valid records follow in {valid.path.name}"
                if valid is not None
                else f"a later segment {later[0][1].name} exists"
            )
            raise JournalCorruption(path.name, offset, f"{end.reason}; {what}")
        dropped = len(data) - end.offset
        torn = count_torn_records(data, end.offset)
        self.tail_damage = Damage(path.name, offset, end.reason, True, dropped, torn)


def _seq_at(data: bytearray) -> int:
    return int.from_bytes(data[8:16], "little")
