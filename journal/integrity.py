"""Journal integrity: recovery at open (plans, then modifies) and verification (read-only).

What "tail" means: damage in the last segment file after which no valid record follows, which
is what a crash in the middle of a write leaves. Damage in a segment that any later segment file
follows (even an empty one, left by a crash during a roll) is corruption: the writer syncs a
segment before it creates the next. Damage followed by a valid record is mid-log corruption.

Recovery never loses durable data silently and never destroys evidence:

* **The durable checkpoint decides what may be cut** (``journal.checkpoint``): every seq the
  writer ever reported durable is at most the checkpoint's seq. A journal whose valid records
  end before it (cut short, a flipped bit in a durable record, a deleted last segment) has lost
  durable, possibly acknowledged, data: :func:`recover` raises :class:`DurableDataMissing`
  naming the segment, the offset and the missing seqs. A journal with segments but no
  checkpoint, or an unreadable one, raises ``CheckpointError``. Only a torn tail past the
  checkpoint, which holds nothing anybody was told about, is cut.
* **It decides everything before it changes anything** (:func:`plan_recovery` is read-only;
  :func:`apply_recovery` carries the plan out), so a refusal changes nothing on disk.
* **What it cuts it keeps**: the cut bytes of a torn tail are copied to a quarantine file
  beside the segment, and a trailing segment with no valid record (a crash during a roll) is
  renamed to a quarantine name, both durably, before the journal changes
  (``journal.durable_files``). :attr:`RecoveryReport.quarantined` lists them.

``recover`` checks every record of the last segment only (what a crash can touch: the writer
syncs a segment before it creates the next one); ``verify`` checks every record of every
segment (or, for a background scrub, of the segments before a seq) and reports the first
damage, classified as torn tail or corruption, and a journal that ends before its checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from journal.checkpoint import CHECKPOINT_NAME, Checkpoint, CheckpointError, read_checkpoint
from journal.durable_files import (
    fsync_directory,
    quarantine_file,
    quarantine_tail,
)
from journal.errors import JournalCorruption, JournalError, JournalFormatError
from journal.layout import FILE_HEADER_SIZE, INDEX_ENTRY, index_name
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


class DurableDataMissing(JournalError):
    """The journal ends before its durable checkpoint: records the writer reported durable
    (and that may have been acknowledged) are gone. Nothing was changed on disk."""

    def __init__(self, message: str, first_missing: int, last_missing: int) -> None:
        super().__init__(message)
        self.first_missing = first_missing
        self.last_missing = last_missing


@dataclass(slots=True)
class RecoveryReport:
    """What recovery found and planned (:func:`plan_recovery`), then did
    (:func:`apply_recovery`). ``tail`` is the scan of the segment to append to; ``truncate``
    and ``removals`` are the plan; ``truncated``, ``removed_segments`` and ``quarantined``
    what was done (empty until applied)."""

    dropped_bytes: int = 0
    dropped_records: int = 0
    damage: Damage | None = None
    checkpoint: Checkpoint | None = None
    tail: SegmentScan | None = None
    truncate: SegmentScan | None = None
    removals: list[SegmentScan] = field(default_factory=list)
    applied: bool = False
    removed_segments: list[str] = field(default_factory=list)
    truncated: tuple[str, int] | None = None  # (segment, new size)
    quarantined: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.dropped_bytes == 0 and not self.removals

    @property
    def last_seq(self) -> int | None:
        """The last valid seq the journal keeps (None: no segment is kept)."""
        if self.tail is None:
            return None
        if self.tail.last_seq is not None:
            return self.tail.last_seq
        return self.tail.header_first_seq - 1

    def describe(self) -> str:
        """One line for an operator: what recovery cut and where it kept it."""
        if self.clean:
            return "the journal ended cleanly"
        where = self.damage.describe() if self.damage is not None else "empty trailing segment"
        durable = self.checkpoint.seq if self.checkpoint is not None else None
        text = (
            f"cut {self.dropped_bytes} byte(s), {self.dropped_records} record(s) never reported "
            f"durable (past the durable checkpoint at seq {durable}): {where}"
        )
        if self.quarantined:
            text += f"; kept in {', '.join(self.quarantined)}"
        return text


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
    if before_seq is not None:
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
                report.damage = classify_damage(scan, later)
                report.segments.extend(later)
            else:
                report.damage = _old_damage(scan)
            break
        if scan.last_seq is not None:
            prev_last = scan.last_seq
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
        return Damage(scan.path.name, FILE_HEADER_SIZE, reason, torn_tail=False)
    if scan.last_seq - scan.first_seq + 1 != scan.records:
        reason = (
            f"{scan.records} records hold seqs {scan.first_seq}..{scan.last_seq}: some seqs "
            "inside the segment are missing"
        )
        return Damage(scan.path.name, FILE_HEADER_SIZE, reason, torn_tail=False)
    return None


def _old_damage(scan: SegmentScan) -> Damage:
    """Damage found by a scrub of old segments: corruption, since later segments follow."""
    assert scan.damage_offset is not None and scan.damage_reason is not None
    reason = scan.damage_reason + "; later segments follow"
    return Damage(scan.path.name, scan.damage_offset, reason, torn_tail=False)


def recover(directory: str | os.PathLike[str], *, apply: bool = True) -> RecoveryReport:
    """Plan the recovery of ``directory`` and (``apply``) carry it out; see the module
    docstring. Raises DurableDataMissing, CheckpointError or JournalCorruption, having changed
    nothing, when the journal cannot be recovered without losing durable data."""
    path = Path(directory)
    report = plan_recovery(path)
    if apply:
        apply_recovery(path, report)
    return report


def plan_recovery(path: Path) -> RecoveryReport:
    """Decide what recovery does to ``path``; reads only."""
    report = RecoveryReport()
    segments = list_segments(path)
    report.checkpoint = checkpoint = read_checkpoint(path)
    if segments and checkpoint is None:
        raise CheckpointError(
            f"{path}: holds journal segments but no durable checkpoint ({CHECKPOINT_NAME}): it "
            "was written by an older sequex, or the file was removed, so the journal's durable "
            "end cannot be checked; `sequex journal repair` verifies every record and records "
            "the end it finds as durable"
        )
    last_damage: Damage | None = None
    while segments:
        name_seq, seg_path = segments[-1]
        scan = scan_segment(seg_path, name_seq, -1)
        if scan.damage_offset is not None:
            damage = classify_damage(scan, report.removals)
            if not damage.torn_tail:
                raise JournalCorruption(damage.segment, damage.offset, damage.reason)
            report.damage = last_damage = damage  # only the last segment can be torn
            report.dropped_bytes += damage.dropped_bytes
            report.dropped_records += damage.dropped_records
        if scan.header_ok and (scan.records > 0 or len(segments) == 1):
            if scan.damage_offset is not None:
                report.truncate = scan
            report.tail = scan
            break
        # A trailing segment with no valid record: a crash during a roll (or before anything
        # was written); its bytes were already counted as dropped if they were damage.
        report.dropped_bytes += scan.file_size if scan.damage_offset is None else scan.damage_offset
        report.removals.append(scan)
        segments.pop()
    _check_durable_end(path, report, last_damage)
    return report


def _check_durable_end(path: Path, report: RecoveryReport, damage: Damage | None) -> None:
    """Raise DurableDataMissing when the kept records end before the checkpoint."""
    checkpoint = report.checkpoint
    if checkpoint is None or not checkpoint.has_records:
        return
    kept = report.last_seq
    if kept is not None and kept >= checkpoint.seq:
        return
    first_missing = 0 if kept is None else kept + 1
    tail = report.tail
    if damage is not None:
        ends = f"they end at {damage.describe()}"
    elif tail is None:
        ends = "no segment with a valid record is left"
    else:
        ends = f"they end at byte {tail.valid_end} of {tail.path.name}, a record boundary"
    gone = not (path / checkpoint.segment).exists()
    missing_segment = f"; {checkpoint.segment} is missing" if gone else ""
    raise DurableDataMissing(
        f"{path}: durable data is missing: the durable checkpoint says seqs through "
        f"{checkpoint.seq} were made durable (and may have been acknowledged), ending at byte "
        f"{checkpoint.end_offset} of {checkpoint.segment}{missing_segment}, but the journal's "
        f"valid records stop at seq {'none' if kept is None else kept}: {ends}. Seqs "
        f"{first_missing}..{checkpoint.seq} are missing. Nothing was changed. Restore the "
        "journal from a copy (or a standby); `sequex journal repair --accept-loss` cuts it "
        "there instead, keeping what it cuts in quarantine",
        first_missing,
        checkpoint.seq,
    )


def apply_recovery(path: Path, report: RecoveryReport) -> None:
    """Carry out a plan of :func:`plan_recovery`: quarantine, then cut and drop."""
    for scan in report.removals:
        report.quarantined.append(quarantine_file(scan.path).name)
        scan.path.with_suffix(".idx").unlink(missing_ok=True)
        report.removed_segments.append(scan.path.name)
    truncate = report.truncate
    if truncate is not None:
        report.quarantined.append(quarantine_tail(truncate.path, truncate.valid_end).name)
        _truncate(truncate.path, truncate.valid_end)
        report.truncated = (truncate.path.name, truncate.valid_end)
        truncate.file_size = truncate.valid_end
        truncate.damage_offset = truncate.damage_reason = None
    if report.tail is not None:
        _rewrite_index(report.tail)
    if report.removals:
        fsync_directory(path)
    report.applied = True


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
