"""Journal recovery at open: plans (read-only), then modifies.

What a torn tail is, and what corruption: ``journal.damage``. Recovery never loses durable
data silently and never destroys evidence:

* **The durable checkpoint decides what may be cut** (``journal.checkpoint``): every seq the
  writer ever reported durable is at most the checkpoint's seq. A journal whose valid records
  end before it (cut short, a flipped bit in a durable record, a deleted last segment) has lost
  durable, possibly acknowledged, data: :func:`recover` raises :class:`DurableDataMissing`
  naming the segment, the offset and the missing seqs. A journal with segments but no
  checkpoint, or an unreadable one, raises ``CheckpointError``. Only damage past the
  checkpoint, which holds nothing anybody was told about, is cut: a torn tail, or damage in
  the last segment that starts at or after the checkpoint's end even if valid records follow
  it (a crash can leave a page unwritten before pages that were), since every record from
  the checkpoint on was never reported durable. Mid-log corruption before it, and a record
  out of order anywhere (never a crash's doing), is refused.
* **It decides everything before it changes anything** (:func:`plan_recovery` is read-only;
  :func:`apply_recovery` carries the plan out), so a refusal changes nothing on disk.
* **What it cuts it keeps**: the cut bytes of a torn tail are copied to a quarantine file
  beside the segment, and a trailing segment with no valid record (a crash during a roll) is
  renamed to a quarantine name, both durably, before the journal changes
  (``journal.durable_files``). :attr:`RecoveryReport.quarantined` lists them.

``recover`` checks every record of the last segment only (what a crash can touch: the writer
syncs a segment before it creates the next one); ``journal.verification`` checks them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from journal.checkpoint import CHECKPOINT_NAME, Checkpoint, CheckpointError, read_checkpoint
from journal.damage import Damage, classify_damage, never_acknowledged, past_checkpoint
from journal.durable_files import (
    fsync_directory,
    quarantine_file,
    quarantine_tail,
    truncate_durably,
)
from journal.errors import JournalCorruption, JournalError
from journal.layout import INDEX_ENTRY, index_name
from journal.scan import SegmentScan, list_segments, scan_segment


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
        where = "empty trailing segment"
        if self.damage is not None:
            where = self.damage.describe(with_dropped=False)  # the counts lead the line
        durable = self.checkpoint.seq if self.checkpoint is not None else None
        text = (
            f"cut {self.dropped_bytes} byte(s), {self.dropped_records} record(s) never reported "
            f"durable (past the durable checkpoint at seq {durable}): {where}"
        )
        if self.quarantined:
            text += f"; kept in {', '.join(self.quarantined)}"
        return text


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
                # a record out of order is never a crash's doing (a second writer?): refuse
                if scan.damage_hard or not past_checkpoint(checkpoint, name_seq, damage.offset):
                    raise JournalCorruption(damage.segment, damage.offset, damage.reason + _HINT)
                damage = never_acknowledged(scan, damage)
            if checkpoint is not None and checkpoint.other_slot_damaged:
                raise CheckpointError(
                    f"{path}: the journal ends in damage ({damage.describe(with_dropped=False)}) "
                    f"and the durable checkpoint's newest slot is damaged too: the durable end "
                    f"may lie past seq {checkpoint.seq}, the older slot, so the damaged records "
                    f"may have been acknowledged{_HINT}"
                )
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


#: What a refusal of damage adds: nothing changed, and what the operator can do.
_HINT = (
    ". Nothing was changed. Restore the journal from a copy (or a standby); `sequex journal "
    "repair` cuts it at the damage instead, keeping what it cuts in quarantine"
)


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
        ends = f"the first damage is a {damage.describe()}"
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
        truncate_durably(truncate.path, truncate.valid_end)
        report.truncated = (truncate.path.name, truncate.valid_end)
        truncate.file_size = truncate.valid_end
        truncate.damage_offset = truncate.damage_reason = None
    if report.tail is not None:
        _rewrite_index(report.tail)
    if report.removals:
        fsync_directory(path)
    report.applied = True


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
