"""Verification of a journal: every record, its seqs, and its end against the checkpoint.

Read-only. :func:`verify` checks every record of every segment (or, for a background scrub,
of the segments before a seq) and reports the first damage, classified as torn tail or
corruption (``journal.damage``), a gap in the seqs of a host journal, and a journal that ends
before its durable checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from journal.checkpoint import CHECKPOINT_NAME, Checkpoint, CheckpointError, read_checkpoint
from journal.damage import Damage, classify_damage, never_acknowledged, past_checkpoint
from journal.errors import JournalFormatError
from journal.scan import SegmentScan, list_segments, scan_segment


@dataclass(slots=True)
class VerifyReport:
    """Everything ``verify`` saw; ``damage`` is None when the journal is clean."""

    segments: list[SegmentScan] = field(default_factory=list)
    damage: Damage | None = None
    #: the durable checkpoint (None: none, or not checked: a scrub of old segments)
    checkpoint: Checkpoint | None = None
    #: why the journal's end could not be checked against a checkpoint (missing, unreadable)
    checkpoint_problem: str | None = None
    #: (first, last) seq the checkpoint says are durable but the valid records do not reach
    durable_missing: tuple[int, int] | None = None
    #: the last seq of the valid records before any damage (None: none)
    valid_through: int | None = None

    @property
    def ok(self) -> bool:
        """No damage, and the end agrees with the durable checkpoint (when it was checked)."""
        return self.damage is None and self.checkpoint_problem is None and not self.durable_missing

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


def verify(
    directory: str | os.PathLike[str],
    *,
    before_seq: int | None = None,
    contiguous_from: int | None = None,
) -> VerifyReport:
    """Check every record of every segment, and the end against the durable checkpoint;
    never modifies anything. With ``before_seq`` (a background scrub) only the segments whose
    first seq is below it, and not the checkpoint: damage there is corruption (later segments
    follow). With ``contiguous_from`` (a host journal: seqs 1, 2, 3, ...) a gap in the seqs is
    damage too (a segment deleted or cut out), reported at the segment where it shows.

    Raises FileNotFoundError for a missing directory and JournalFormatError when it holds no
    segment file.
    """
    path = Path(directory)
    segments = _segments_or_raise(path)
    report = VerifyReport()
    checking_end = before_seq is None
    following: tuple[int, Path] | None = None  # a scrub: the first segment it leaves alone
    if before_seq is not None:
        following = next(((seq, p) for seq, p in segments if seq >= before_seq), None)
        segments = [(seq, p) for seq, p in segments if seq < before_seq]
    else:
        # read before the segments: a live writer only ever moves the checkpoint after the
        # records it covers are on disk, so what we then read reaches at least this far
        try:
            report.checkpoint = read_checkpoint(path)
            if report.checkpoint is None:
                report.checkpoint_problem = f"no durable checkpoint ({CHECKPOINT_NAME})"
        except CheckpointError as exc:
            report.checkpoint_problem = str(exc)
    prev_last = -1
    expected = contiguous_from
    for i, (name_seq, seg_path) in enumerate(segments):
        scan = scan_segment(seg_path, name_seq, prev_last)
        report.segments.append(scan)
        if expected is not None and scan.first_seq is not None and scan.damage_offset is None:
            gap = _gap(scan, expected)
            if gap is not None:
                report.damage = gap
                break
            expected = (scan.last_seq or 0) + 1
        if scan.last_seq is not None:
            report.valid_through = scan.last_seq
        if scan.damage_offset is not None:
            if checking_end:
                later = [scan_segment(p, s, -1) for s, p in segments[i + 1 :]]
                damage = classify_damage(scan, later)
                checkpoint = report.checkpoint
                if (
                    checkpoint is not None
                    and not damage.torn_tail
                    and not scan.damage_hard
                    and past_checkpoint(checkpoint, name_seq, damage.offset)
                ):
                    damage = never_acknowledged(scan, damage)  # what a start would cut
                report.damage = damage
                report.segments.extend(later)
            else:
                report.damage = _old_damage(scan)
            break
        if scan.last_seq is not None:
            prev_last = scan.last_seq
    if report.damage is None and expected is not None and following is not None:
        # the seam: a segment deleted (or cut short) just before the ones the start reads
        report.damage = _seam_gap(following, expected)
    checkpoint = report.checkpoint
    if checkpoint is not None and checkpoint.has_records:
        through = report.valid_through
        if through is None or through < checkpoint.seq:
            report.durable_missing = (0 if through is None else through + 1, checkpoint.seq)
    return report


def _gap(scan: SegmentScan, expected: int) -> Damage | None:
    """Damage when ``scan``'s seqs do not continue at ``expected`` one by one."""
    assert scan.first_seq is not None and scan.last_seq is not None
    if scan.first_seq != expected:
        reason = (
            f"seq {scan.first_seq} where seq {expected} was expected: seqs {expected}.."
            f"{scan.first_seq - 1} are missing (a segment deleted or cut out?)"
        )
        return Damage(scan.path.name, 0, reason, torn_tail=False)  # the segment as a whole
    if scan.last_seq - scan.first_seq + 1 != scan.records:
        reason = (
            f"{scan.records} records hold seqs {scan.first_seq}..{scan.last_seq}: some seqs "
            "inside the segment are missing"
        )
        return Damage(scan.path.name, 0, reason, torn_tail=False)
    return None


def _seam_gap(following: tuple[int, Path], expected: int) -> Damage | None:
    """Damage when the segment after the scrubbed ones does not start at ``expected``."""
    first, path = following
    if first == expected:
        return None
    if first > expected:
        what = f"seqs {expected}..{first - 1} are missing (a segment deleted or cut short?)"
    else:
        what = f"seqs from {first} are in two segments (a stray copy?)"
    reason = f"the segment starts at seq {first} where seq {expected} was expected: {what}"
    return Damage(path.name, 0, reason, torn_tail=False)


def _old_damage(scan: SegmentScan) -> Damage:
    """Damage found by a scrub of old segments: corruption, since later segments follow."""
    assert scan.damage_offset is not None and scan.damage_reason is not None
    reason = scan.damage_reason + "; later segments follow"
    return Damage(scan.path.name, scan.damage_offset, reason, torn_tail=False)


def _segments_or_raise(path: Path) -> list[tuple[int, Path]]:
    if not path.exists():
        raise FileNotFoundError(f"no such journal directory: {path}")
    if not path.is_dir():
        raise JournalFormatError(f"{path} is not a directory")
    segments = list_segments(path)
    if not segments:
        raise JournalFormatError(f"{path} holds no journal segment (journal-<seq>.log)")
    return segments
