"""Cutting a sound journal at a seq (a former primary's divergent tail): everything from that
seq is kept in quarantine files, the snapshots past the new end are moved aside, the
checkpoint says the new end, repair.log says why; the journal then reopens and goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal import JournalError, JournalWriter, SyncPolicy, read_checkpoint
from journal.divergence import plan_cut
from journal.repair import REPAIR_LOG, apply_repair
from journal.snapshot import SnapshotStore
from tests.journal.helpers import flip_bit, only_segment, read_all

PAYLOAD = 100


def journal(
    directory: Path, last: int, segment_bytes: int = 1 << 20
) -> list[tuple[int, int, bytes]]:
    records = [(1, seq, bytes([seq % 251]) * PAYLOAD) for seq in range(1, last + 1)]
    with JournalWriter(directory, policy=SyncPolicy.never(), segment_bytes=segment_bytes) as w:
        w.append_many(records)
        w.commit()
    return records


@pytest.mark.parametrize("segment_bytes", [1 << 20, 1000])  # one segment; several
@pytest.mark.parametrize("cut", [1, 2, 17, 30])
def test_the_tail_from_a_seq_goes_to_quarantine_and_the_journal_goes_on(
    tmp_path: Path, segment_bytes: int, cut: int
) -> None:
    directory, snapshots = tmp_path / "journal", tmp_path / "snapshots"
    records = journal(directory, 30, segment_bytes)
    store = SnapshotStore(snapshots)
    for seq in (10, 20, 30):
        store.write(seq, b"state")
    before = sum(p.stat().st_size for p in directory.glob("journal-*.log"))
    plan = plan_cut(directory, cut, "a divergent tail", snapshots)
    assert plan.describe()[0] == "found: a divergent tail"
    done = apply_repair(plan, accept_loss=False, reason="rejoining")
    assert read_all(directory) == records[: cut - 1]
    kept = sum(p.stat().st_size for p in directory.glob("journal-*.log"))
    quarantined = sum(p.stat().st_size for p in directory.glob("*.quarantine"))
    assert quarantined >= before - kept > 0  # every byte cut is kept (whole files with headers)
    assert SnapshotStore(snapshots).seqs() == [s for s in (10, 20, 30) if s < cut]
    checkpoint = read_checkpoint(directory)
    assert checkpoint is not None and checkpoint.seq == cut - 1
    log = (directory / REPAIR_LOG).read_text()
    assert "found: a divergent tail" in log and "reason: rejoining" in log
    assert any("recorded the journal's end" in line for line in done)
    with JournalWriter(directory, policy=SyncPolicy.never(), segment_bytes=segment_bytes) as w:
        w.append(1, cut, b"new history")
        w.commit()
    assert read_all(directory)[-1] == (1, cut, b"new history")


def test_a_cut_past_the_end_changes_nothing_but_the_log(tmp_path: Path) -> None:
    directory = tmp_path / "journal"
    records = journal(directory, 5)
    apply_repair(plan_cut(directory, 6, "nothing past the end"), accept_loss=False)
    assert read_all(directory) == records
    assert not list(directory.glob("*.quarantine"))


def test_a_damaged_journal_is_not_cut_but_sent_to_repair(tmp_path: Path) -> None:
    directory = tmp_path / "journal"
    journal(directory, 20)
    flip_bit(only_segment(directory), 2000)
    with pytest.raises(JournalError, match="does not verify; repair it first"):
        plan_cut(directory, 10, "a divergent tail")
