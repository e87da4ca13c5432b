"""Snapshots: atomic, checksummed, the latest valid one wins, damaged ones are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal import JournalFormatError, SnapshotStore
from journal.layout import SNAPSHOT_HEADER_SIZE, snapshot_name


def test_load_latest_returns_the_newest_snapshot(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.write(10, b"ten")
    store.write(30, b"thirty")
    store.write(20, b"twenty")
    result = store.load_latest()
    assert result.snapshot is not None
    assert (result.snapshot.seq, result.snapshot.payload) == (30, b"thirty")
    assert result.skipped == []


def test_a_corrupt_newest_snapshot_is_skipped_with_a_report(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.write(10, b"ten")
    path = store.write(20, b"twenty")
    data = bytearray(path.read_bytes())
    data[SNAPSHOT_HEADER_SIZE + 2] ^= 0x10
    path.write_bytes(bytes(data))
    (tmp_path / snapshot_name(25)).write_bytes(b"partial")
    result = store.load_latest()
    assert result.snapshot is not None and result.snapshot.seq == 10
    assert [name for name, _ in result.skipped] == [snapshot_name(25), snapshot_name(20)]
    assert "checksum mismatch" in result.skipped[1][1]
    with pytest.raises(JournalFormatError):
        store.load(20)


def test_temp_files_of_an_interrupted_write_are_ignored_and_pruned(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.write(5, b"five")
    (tmp_path / ".snapshot-00000000000000000009.tmp").write_bytes(b"half written")
    assert store.seqs() == [5]
    result = store.load_latest()
    assert result.snapshot is not None and result.snapshot.seq == 5
    assert ".snapshot-00000000000000000009.tmp" in store.prune(keep=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [snapshot_name(5)]


def test_prune_keeps_the_newest_valid_snapshots(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    for seq in (1, 2, 3, 4):
        store.write(seq, bytes([seq]))
    (tmp_path / snapshot_name(4)).write_bytes(b"garbage")
    removed = store.prune(keep=2)
    assert sorted(removed) == [snapshot_name(1), snapshot_name(4)]
    assert store.seqs() == [2, 3]


def test_a_snapshot_renamed_to_another_seq_is_rejected(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.write(7, b"x").rename(tmp_path / snapshot_name(8))
    assert store.load_latest().snapshot is None


def test_no_snapshot_at_all(tmp_path: Path) -> None:
    result = SnapshotStore(tmp_path / "new").load_latest()
    assert result.snapshot is None and result.skipped == []
