"""The operator's repair of a journal that recovery refuses: explicit, logged, and lossless on disk.

Recovery (``journal.integrity``) cuts only a torn tail past the durable checkpoint. Everything
else it refuses: a journal that ends before its checkpoint, mid-log corruption, a missing or
unreadable checkpoint. :func:`plan_repair` says what a repair would do, reading only:

* every record is verified; the journal is cut at the first damage (if any);
* what the cut removes (the rest of the damaged segment, every later segment) is **kept**: the
  bytes are copied or the files renamed to quarantine names (``journal.durable_files``);
* the checkpoint is rewritten to the end that is left;
* given the snapshot directory (``snapshots``), every snapshot past that end is moved to
  quarantine too: it covers seqs the journal no longer holds, and a start would refuse it.

When the cut loses records the checkpoint says were durable (and so may have been
acknowledged), or when there is no checkpoint to tell, :func:`apply_repair` refuses unless the
operator accepts the loss (``accept_loss``). Every applied repair appends what it did to
``repair.log`` in the journal directory (fsynced), with the time and the user. The caller
holds the writer's lock (``journal.lock_directory``): a live writer is never repaired under.
"""

from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from journal.checkpoint import write_checkpoint
from journal.durable_files import (
    fsync_directory,
    quarantine_file,
    quarantine_tail,
    truncate_durably,
)
from journal.errors import JournalError
from journal.layout import FILE_HEADER_SIZE, snapshot_name
from journal.scan import SegmentScan, list_segments, scan_segment
from journal.snapshot import SnapshotStore
from journal.verification import VerifyReport, verify

REPAIR_LOG = "repair.log"


class RepairRefused(JournalError):
    """The repair would lose durable (maybe acknowledged) records and the loss was not
    accepted; nothing was changed."""


@dataclass(slots=True)
class RepairPlan:
    """What a repair does: cut ``cut_segment`` at ``cut_offset`` (or drop it whole when the
    offset is inside its header), quarantine ``drop_segments``, and record the end left
    (``end_seq`` in ``end_segment_seq`` at ``end_offset``; ``end_offset`` 0: no record is
    left) as the durable checkpoint. ``lost`` are the seqs the cut removes that were durable
    (or cannot be told not to be: no checkpoint)."""

    directory: Path
    report: VerifyReport
    cut_segment: SegmentScan | None = None
    cut_offset: int = 0
    drop_segments: list[SegmentScan] = field(default_factory=list)
    end_seq: int = 0
    end_segment_seq: int = 0
    end_offset: int = 0
    lost: tuple[int, int] | None = None
    unknown_loss: bool = False  # no checkpoint: whether the cut records were durable is unknown
    drop_snapshots: list[Path] = field(default_factory=list)  # past the end that is left
    #: why a journal that verifies is cut anyway (``journal.divergence``: a tail that another
    #: host's history does not hold); "" for a repair of damage
    cause: str = ""

    @property
    def needed(self) -> bool:
        return bool(self.cause) or not self.report.ok

    @property
    def needs_accepting(self) -> bool:
        return self.lost is not None or self.unknown_loss

    def describe(self) -> list[str]:
        """The plan for an operator, one step a line."""
        if not self.needed:
            return ["nothing to repair: every record verifies and the end matches the checkpoint"]
        steps: list[str] = [f"found: {self.cause}"] if self.cause else []
        report = self.report
        if report.damage is not None:
            steps.append(f"found: {report.damage.describe()}")
        if report.checkpoint_problem is not None:
            steps.append(f"found: {report.checkpoint_problem}")
        if report.durable_missing is not None:
            first, last = report.durable_missing
            steps.append(
                f"found: durable seqs {first}..{last} are not readable: missing, or after "
                "the damage"
            )
        cut = self.cut_segment
        if cut is not None and self.cut_offset >= FILE_HEADER_SIZE:
            steps.append(
                f"cut {cut.path.name} at byte {self.cut_offset}, keeping the "
                f"{cut.file_size - self.cut_offset} byte(s) after it in a quarantine file"
            )
        elif cut is not None:
            steps.append(f"move {cut.path.name} to quarantine whole (the damage is at its start)")
        steps.extend(f"move {s.path.name} to quarantine" for s in self.drop_segments)
        steps.extend(
            f"move {p.name} to quarantine (it covers seqs past the new end)"
            for p in self.drop_snapshots
        )
        end = "no record" if self.end_offset == 0 else f"seq {self.end_seq}"
        steps.append(f"record the journal's end, {end}, as its durable checkpoint")
        if self.lost is not None:
            first, last = self.lost
            steps.append(f"LOSES durable (maybe acknowledged) seqs {first}..{last}")
        elif self.unknown_loss:
            steps.append(
                "MAY LOSE acknowledged records: without a checkpoint nobody can tell whether "
                "the records cut were ever reported durable"
            )
        return steps


def plan_repair(
    directory: Path, *, contiguous_from: int | None = None, snapshots: Path | None = None
) -> RepairPlan:
    """Verify every record of ``directory`` (a gap in the seqs is damage too with
    ``contiguous_from``, as in ``verify``) and plan the repair (the snapshots of
    ``snapshots`` past the end left included); reads only."""
    report = verify(directory, contiguous_from=contiguous_from)
    plan = RepairPlan(directory, report)
    segments = report.segments
    checkpoint = report.checkpoint
    damage = report.damage
    if damage is not None:
        index = next(i for i, s in enumerate(segments) if s.path.name == damage.segment)
        plan.cut_segment = segments[index]
        plan.cut_offset = damage.offset
        # every later segment file, whether or not verify scanned it (it stops at a gap)
        scanned = {scan.path.name: scan for scan in segments}
        plan.drop_segments = [
            scanned.get(path.name) or scan_segment(path, seq, -1)
            for seq, path in list_segments(directory)
            if path.name > damage.segment  # names sort by seq
        ]
        kept = segments[:index] if damage.offset < FILE_HEADER_SIZE else segments[: index + 1]
    else:
        kept = list(segments)
    last_kept = next((s for s in reversed(kept) if s.last_seq is not None), None)
    if last_kept is not None and last_kept.last_seq is not None:
        plan.end_seq = last_kept.last_seq
        plan.end_segment_seq = last_kept.header_first_seq
        plan.end_offset = last_kept.valid_end
    # the first seq the repair removes (nothing kept: the journal's first)
    first = next(iter(list_segments(directory)), (0, None))[0]  # as the first file is named
    cut_from = plan.end_seq + 1 if plan.end_offset else (contiguous_from or first)
    if damage is not None and snapshots is not None and snapshots.is_dir():
        plan.drop_snapshots = [
            snapshots / snapshot_name(seq)
            for seq in SnapshotStore(snapshots).seqs()
            if not plan.end_offset or seq > plan.end_seq
        ]
    if checkpoint is None:
        # missing or unreadable: a clean journal only needs one, a cut may lose acknowledged data
        plan.unknown_loss = damage is not None
    elif checkpoint.has_records and checkpoint.seq >= cut_from:
        plan.lost = (cut_from, checkpoint.seq)
    return plan


def apply_repair(plan: RepairPlan, *, accept_loss: bool, reason: str = "") -> list[str]:
    """Carry ``plan`` out (see the module docstring); returns the lines logged. Raises
    RepairRefused, changing nothing, when it loses records and ``accept_loss`` is False."""
    if not plan.needed:
        return []
    if plan.needs_accepting and not accept_loss:
        raise RepairRefused(
            "refusing to repair: " + "; ".join(plan.describe()) + ". Restore the journal from a "
            "copy or a standby if you can; to cut it anyway, accept the loss explicitly"
        )
    done: list[str] = []
    cut = plan.cut_segment
    if cut is not None and plan.cut_offset >= FILE_HEADER_SIZE:
        kept_at = quarantine_tail(cut.path, plan.cut_offset)
        truncate_durably(cut.path, plan.cut_offset)
        cut.path.with_suffix(".idx").unlink(missing_ok=True)  # a hint: rebuilt by readers
        done.append(f"cut {cut.path.name} at byte {plan.cut_offset}; the rest is in {kept_at.name}")
    elif cut is not None:
        done.append(f"moved {cut.path.name} to {quarantine_file(cut.path).name}")
        cut.path.with_suffix(".idx").unlink(missing_ok=True)
    for scan in plan.drop_segments:
        done.append(f"moved {scan.path.name} to {quarantine_file(scan.path).name}")
        scan.path.with_suffix(".idx").unlink(missing_ok=True)
    for snapshot in plan.drop_snapshots:
        if snapshot.exists():
            done.append(f"moved {snapshot.name} to {quarantine_file(snapshot).name}")
    write_checkpoint(plan.directory, plan.end_seq, plan.end_segment_seq, plan.end_offset)
    end = "no record" if plan.end_offset == 0 else f"seq {plan.end_seq}"
    done.append(f"recorded the journal's end, {end}, as its durable checkpoint")
    if plan.lost is not None:
        done.append(f"accepted the loss of durable seqs {plan.lost[0]}..{plan.lost[1]}")
    elif plan.unknown_loss:
        done.append("accepted cutting records that may have been acknowledged (no checkpoint)")
    _log(plan.directory, plan.describe(), done, reason)
    return done


def _log(directory: Path, found: list[str], done: list[str], reason: str) -> None:
    """Append the repair to ``repair.log`` (an operator's record: wall-clock time is right
    here, nothing decides an outcome from it), durably."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    lines = [f"{stamp} repair by {getpass.getuser()} (pid {os.getpid()})"]
    if reason:
        lines.append(f"  reason: {reason}")
    lines += [f"  plan: {step}" for step in found]
    lines += [f"  done: {step}" for step in done]
    path = directory / REPAIR_LOG
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, ("\n".join(lines) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_directory(directory)
