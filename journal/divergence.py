"""Cutting a journal that verifies at a given seq: the divergent tail of a former primary.

A former primary that rejoins as the standby of the host that superseded it may hold commands
past the point where the two histories part (``engine.replication.handshake``: the new
primary's fence). Those records are sound on disk but belong to no history that goes on; they
were never acknowledged (the new primary holds every acknowledged command), yet they are never
destroyed either: :func:`plan_cut` plans the same cut as a repair of damage
(``journal.repair``), so :func:`journal.repair.apply_repair` keeps every removed byte in
quarantine files beside the segments, moves the snapshots past the new end to quarantine,
rewrites the checkpoint and logs what it did in ``repair.log``.
"""

from __future__ import annotations

from pathlib import Path

from journal.errors import JournalError
from journal.layout import FILE_HEADER_SIZE, snapshot_name
from journal.repair import RepairPlan
from journal.scan import WalkEnd, iter_frames, list_segments, scan_segment
from journal.snapshot import SnapshotStore
from journal.verification import verify


def plan_cut(
    directory: Path, from_seq: int, cause: str, snapshots: Path | None = None
) -> RepairPlan:
    """The plan that removes every record with seq >= ``from_seq`` from ``directory`` (and the
    snapshots of ``snapshots`` at or past it), for ``cause``; reads only. JournalError when the
    journal does not verify (repair it first: ``sequex journal repair``)."""
    if from_seq < 1:
        raise ValueError(f"cannot cut a journal from seq {from_seq}")
    report = verify(directory)
    if not report.ok:
        raise JournalError(f"the journal in {directory} does not verify; repair it first")
    plan = RepairPlan(directory, report, cause=cause)
    segments = list_segments(directory)
    previous = -1
    for index, (name_seq, path) in enumerate(segments):
        scan = scan_segment(path, name_seq, previous)
        if scan.last_seq is None or scan.last_seq < from_seq:
            if scan.last_seq is not None:
                plan.end_seq = scan.last_seq
                plan.end_segment_seq = scan.header_first_seq
                plan.end_offset = scan.valid_end
                previous = scan.last_seq
            continue
        data = bytearray(path.read_bytes())
        end = WalkEnd()
        cut = scan.valid_end
        last_kept: int | None = None
        for offset, _type, seq, _payload in iter_frames(data, FILE_HEADER_SIZE, name_seq - 1, end):
            if seq >= from_seq:
                cut = offset
                break
            last_kept = seq
        if last_kept is not None:
            plan.cut_segment, plan.cut_offset = scan, cut
            plan.end_seq, plan.end_segment_seq = last_kept, scan.header_first_seq
            plan.end_offset = cut
        else:
            plan.cut_segment, plan.cut_offset = scan, 0  # the whole file goes
        plan.drop_segments = [scan_segment(p, s, -1) for s, p in segments[index + 1 :]]
        break
    if snapshots is not None and snapshots.is_dir():
        plan.drop_snapshots = [
            snapshots / snapshot_name(seq)
            for seq in SnapshotStore(snapshots).seqs()
            if seq >= from_seq
        ]
    return plan
