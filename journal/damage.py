"""Damage found in a segment, and whether it is a torn tail (the one thing a crash leaves).

What "tail" means: damage in the last segment file after which no valid record follows, which
is what a crash in the middle of a write leaves. Damage in a segment that any later segment file
follows (even an empty one, left by a crash during a roll) is corruption: the writer syncs a
segment before it creates the next. Damage followed by a valid record is mid-log corruption.
Recovery (``journal.integrity``) may also cut damage that lies wholly past the durable
checkpoint (:attr:`Damage.past_checkpoint`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from journal.checkpoint import Checkpoint
from journal.layout import FILE_HEADER_SIZE
from journal.scan import SegmentScan, count_torn_records


@dataclass(frozen=True, slots=True)
class Damage:
    """The first damage found: where, what, and whether it is a torn tail."""

    segment: str
    offset: int
    reason: str
    torn_tail: bool
    dropped_bytes: int = 0  # for a tail to cut: bytes from the damage to the end of the journal
    dropped_records: int = 0
    #: damage that is not a torn write but lies wholly past the durable checkpoint: it can hold
    #: only records never reported durable (never acknowledged), so recovery may cut it too
    past_checkpoint: bool = False

    @property
    def cuttable(self) -> bool:
        """Recovery may cut it (keeping a quarantine copy): nothing acknowledged is lost."""
        return self.torn_tail or self.past_checkpoint

    def describe(self, *, with_dropped: bool = True) -> str:
        kind = "torn tail" if self.torn_tail else "mid-log corruption"
        if self.past_checkpoint:
            kind = "damage past the durable checkpoint"
        text = f"{kind} in {self.segment} at byte {self.offset}: {self.reason}"
        if self.cuttable and with_dropped:
            text += f" ({self.dropped_bytes} bytes, {self.dropped_records} record(s) after it)"
        return text


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


def past_checkpoint(checkpoint: Checkpoint | None, segment_seq: int, offset: int) -> bool:
    """Damage at ``offset`` of the segment starting at ``segment_seq`` lies wholly past what
    the checkpoint says was made durable (records there were never acknowledged)."""
    if checkpoint is None or not checkpoint.has_records:
        return True
    if segment_seq != checkpoint.segment_seq:
        return segment_seq > checkpoint.segment_seq
    return offset >= checkpoint.end_offset


def never_acknowledged(scan: SegmentScan, damage: Damage) -> Damage:
    """``damage`` (past the checkpoint) as a tail to cut: everything from it to the end."""
    dropped = scan.file_size - damage.offset
    # from the first record: damage at byte 0 (the header) drops the segment's every record
    records = count_torn_records(scan.path.read_bytes(), max(damage.offset, FILE_HEADER_SIZE))
    return replace(damage, past_checkpoint=True, dropped_bytes=dropped, dropped_records=records)
