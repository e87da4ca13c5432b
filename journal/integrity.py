"""Journal integrity: torn-tail recovery (modifies files) and verification (read-only).

What "tail" means: damage in the last segment file after which no valid record follows, which
is what a crash in the middle of a write leaves. Damage in a segment that any later segment file
follows (even an empty one, left by a crash during a roll) is corruption: the writer syncs a
segment before it creates the next. ``recover`` truncates such a tail and removes
trailing segment files that hold no valid record (a crash during a segment roll), then makes
the result durable. Damage followed by a valid record is mid-log corruption: ``recover`` raises
``JournalCorruption`` naming the segment and byte offset, and changes nothing.

``recover`` checks every record of the last segment only (what a crash can touch: the writer
syncs a segment before it creates the next one); ``verify`` checks every record of every
segment and reports the first damage, classified as torn tail or corruption.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from journal.errors import JournalCorruption, JournalFormatError
from journal.layout import INDEX_ENTRY, index_name
from journal.scan import SegmentScan, list_segments, scan_segment


@dataclass(frozen=True, slots=True)
class Damage:
    """The first damage found: where, what, and whether it is a torn tail."""

    segment: str
    offset: int
    reason: str
    torn_tail: bool
    dropped_bytes: int = 0  # for a torn tail: bytes from the damage to the end of the journal
    dropped_records: int = 0

    def describe(self) -> str:
        kind = "torn tail" if self.torn_tail else "mid-log corruption"
        text = f"{kind} in {self.segment} at byte {self.offset}: {self.reason}"
        if self.torn_tail:
            text += f" ({self.dropped_bytes} bytes, {self.dropped_records} record(s) after it)"
        return text


@dataclass(slots=True)
class RecoveryReport:
    """What ``recover`` found and did. ``tail`` is the scan of the segment to append to."""

    dropped_bytes: int = 0
    dropped_records: int = 0
    damage: Damage | None = None
    removed_segments: list[str] = field(default_factory=list)
    truncated: tuple[str, int] | None = None  # (segment, new size)
    tail: SegmentScan | None = None

    @property
    def clean(self) -> bool:
        return self.dropped_bytes == 0 and not self.removed_segments


@dataclass(slots=True)
class VerifyReport:
    """Everything ``verify`` saw; ``damage`` is None when the journal is clean."""

    segments: list[SegmentScan] = field(default_factory=list)
    damage: Damage | None = None

    @property
    def records(self) -> int:
        return sum(s.records for s in self.segments)

    @property
    def bytes(self) -> int:
        return sum(s.file_size for s in self.segments)

    @property
    def first_seq(self) -> int | None:
        return next((s.first_seq for s in self.segments if s.first_seq is not None), None)

    @property
    def last_seq(self) -> int | None:
        seqs = [s.last_seq for s in self.segments if s.last_seq is not None]
        return seqs[-1] if seqs else None

    @property
    def types(self) -> dict[int, int]:
        total: dict[int, int] = {}
        for scan in self.segments:
            for rtype, count in scan.types.items():
                total[rtype] = total.get(rtype, 0) + count
        return dict(sorted(total.items()))


def verify(directory: str | os.PathLike[str]) -> VerifyReport:
    """Check every record of every segment; never modifies anything.

    Raises FileNotFoundError for a missing directory and JournalFormatError when it holds no
    segment file.
    """
    path = Path(directory)
    segments = _segments_or_raise(path)
    report = VerifyReport()
    prev_last = -1
    for i, (name_seq, seg_path) in enumerate(segments):
        scan = scan_segment(seg_path, name_seq, prev_last)
        report.segments.append(scan)
        if scan.damage_offset is not None:
            later = [scan_segment(p, s, -1) for s, p in segments[i + 1 :]]
            report.damage = classify_damage(scan, later)
            report.segments.extend(later)
            break
        if scan.last_seq is not None:
            prev_last = scan.last_seq
    return report


def recover(directory: str | os.PathLike[str]) -> RecoveryReport:
    """Truncate a torn tail and drop empty trailing segments; raise on mid-log corruption."""
    path = Path(directory)
    report = RecoveryReport()
    segments = list_segments(path)
    # Decide everything first, then modify: a JournalCorruption must leave the files untouched.
    removals: list[SegmentScan] = []
    truncate: SegmentScan | None = None
    while segments:
        name_seq, seg_path = segments[-1]
        scan = scan_segment(seg_path, name_seq, -1)
        if scan.damage_offset is not None:
            damage = classify_damage(scan, removals)
            if not damage.torn_tail:
                raise JournalCorruption(damage.segment, damage.offset, damage.reason)
            report.damage = damage  # only the last segment can be torn; the rest raise
            report.dropped_bytes += damage.dropped_bytes
            report.dropped_records += damage.dropped_records
        if scan.header_ok and (scan.records > 0 or len(segments) == 1):
            if scan.damage_offset is not None:
                truncate = scan
            report.tail = scan
            break
        # A trailing segment with no valid record: a crash during a roll (or before anything
        # was written); its bytes were already counted as dropped if they were damage.
        report.dropped_bytes += scan.file_size if scan.damage_offset is None else scan.damage_offset
        removals.append(scan)
        segments.pop()
    for scan in removals:
        _remove_segment(scan.path)
        report.removed_segments.append(scan.path.name)
    if truncate is not None:
        _truncate(truncate.path, truncate.valid_end)
        report.truncated = (truncate.path.name, truncate.valid_end)
        truncate.file_size = truncate.valid_end
        truncate.damage_offset = truncate.damage_reason = None
    if report.tail is not None:
        _rewrite_index(report.tail)
    if removals:
        fsync_directory(path)
    return report


def make_directory(path: Path, *, durable: bool = True) -> None:
    """``mkdir -p path``; when ``durable``, fsync the parent of every directory it created so
    the new entries survive a crash (a file synced in a directory whose own entry is lost is
    lost with it)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    if durable:
        for created in reversed(missing):
            fsync_directory(created.parent)


def fsync_directory(path: Path) -> None:
    """Make creations, renames and removals of directory entries durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _segments_or_raise(path: Path) -> list[tuple[int, Path]]:
    if not path.exists():
        raise FileNotFoundError(f"no such journal directory: {path}")
    if not path.is_dir():
        raise JournalFormatError(f"{path} is not a directory")
    segments = list_segments(path)
    if not segments:
        raise JournalFormatError(f"{path} holds no journal segment (journal-<seq>.log)")
    return segments


def classify_damage(scan: SegmentScan, later: list[SegmentScan]) -> Damage:
    """Torn tail when nothing valid follows the damage and no later segment file exists.

    The writer syncs a segment before it creates the next, so any later segment file (even an
    empty one left by a crash during a roll) proves this one was complete: damage in it is
    corruption, never a tail to truncate.
    """
    assert scan.damage_offset is not None and scan.damage_reason is not None
    followed_by = next((s for s in later if s.records or s.resume_offset is not None), None)
    if scan.damage_hard or scan.resume_offset is not None or later:
        reason = scan.damage_reason
        if scan.resume_offset is not None:
            reason += f"; a valid record follows at byte {scan.resume_offset}"
        elif followed_by is not None:
            reason += f"; valid records follow in {followed_by.path.name}"
        elif later:
            reason += f"; a later segment {later[0].path.name} exists"
        return Damage(scan.path.name, scan.damage_offset, reason, torn_tail=False)
    dropped = scan.file_size - scan.damage_offset  # torn tail: no later segment (see above)
    return Damage(
        scan.path.name,
        scan.damage_offset,
        scan.damage_reason,
        torn_tail=True,
        dropped_bytes=dropped,
        dropped_records=scan.torn_records,
    )


def _truncate(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_segment(path: Path) -> None:
    path.unlink()
    path.with_suffix(".idx").unlink(missing_ok=True)


def _rewrite_index(scan: SegmentScan) -> None:
    """Replace the index sidecar of the tail segment by the entries the scan just verified.

    The sidecar is a hint written without fsync, so after a crash it may hold garbage; it
    needs no fsync here either.
    """
    if not scan.header_ok:
        return
    idx_path = scan.path.with_name(index_name(scan.header_first_seq))
    data = b"".join(INDEX_ENTRY.pack(seq, offset) for seq, offset in scan.index)
    idx_path.write_bytes(data)
