"""The durable checkpoint: two slots written in turn, a torn slot falls back to the other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from journal import CheckpointError, JournalWriter, SyncPolicy, read_checkpoint
from journal.checkpoint import BLOCK, SLOT_SIZE, Checkpoint, CheckpointWriter, checkpoint_path

from .helpers import make_records, only_segment


def test_no_file_reads_as_none_and_a_new_journal_has_no_durable_record(tmp_path: Path) -> None:
    assert read_checkpoint(tmp_path) is None
    with JournalWriter(tmp_path, policy=SyncPolicy.never(), first_seq=50):
        checkpoint = read_checkpoint(tmp_path)
        assert checkpoint is not None and not checkpoint.has_records
        assert checkpoint.describe() == "no record made durable yet"


def test_updates_alternate_slots_and_the_newest_generation_wins(tmp_path: Path) -> None:
    writer = CheckpointWriter.create(tmp_path, 0, sync=False)
    for seq in range(1, 6):
        writer.update(seq, 1, 96 + 10 * seq)
        data = checkpoint_path(tmp_path).read_bytes()
        assert len(data) == 2 * BLOCK  # in place: the file never grows
        checkpoint = read_checkpoint(tmp_path)
        assert checkpoint is not None
        assert (checkpoint.seq, checkpoint.end_offset) == (seq, 96 + 10 * seq)
    writer.close()


@pytest.mark.parametrize("cut", [1, 20, SLOT_SIZE - 1])
def test_a_torn_write_of_the_newest_slot_falls_back_to_the_previous_checkpoint(
    tmp_path: Path, cut: int
) -> None:
    writer = CheckpointWriter.create(tmp_path, 0, sync=False)
    writer.update(7, 1, 300)
    writer.update(9, 1, 400)  # generation 3: slot B
    writer.close()
    path = checkpoint_path(tmp_path)
    data = bytearray(path.read_bytes())
    newest = BLOCK * (3 % 2)
    data[newest + cut] ^= 0xFF  # a write that did not complete
    path.write_bytes(bytes(data))
    checkpoint = read_checkpoint(tmp_path)
    assert checkpoint is not None and (checkpoint.seq, checkpoint.end_offset) == (7, 300)


def test_both_slots_damaged_is_an_error_naming_the_file(tmp_path: Path) -> None:
    CheckpointWriter.create(tmp_path, 0, sync=False).close()
    checkpoint_path(tmp_path).write_bytes(bytes(2 * SLOT_SIZE))  # the first layout
    with pytest.raises(CheckpointError, match=r"durable\.ckpt"):
        read_checkpoint(tmp_path)
    data = bytearray(_first_file_bytes(tmp_path))
    data[10] ^= 1
    data[BLOCK + 10] ^= 1
    checkpoint_path(tmp_path).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="no valid slot"):
        read_checkpoint(tmp_path)


def test_the_writer_records_each_commit_and_reopens_at_the_same_end(tmp_path: Path) -> None:
    records = make_records(30, seed=3)
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        for record in records:
            writer.append(*record)
            durable = writer.commit()
            checkpoint = read_checkpoint(tmp_path)
            assert checkpoint is not None and checkpoint.seq == durable == record[1]
            assert checkpoint.end_offset == only_segment(tmp_path).stat().st_size
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        assert writer.recovery.clean and writer.durable_seq == records[-1][1]


def test_a_synced_writer_writes_the_same_slots_directly_or_through_fdatasync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mkdir(tmp_path / "a")
    direct = CheckpointWriter.create(tmp_path / "a", 0, sync=True)
    for seq in range(1, 4):
        direct.update(seq, 1, 100 + seq)
    direct.close()
    monkeypatch.delattr(os, "O_DIRECT")  # a platform without it: pwrite + fdatasync
    _mkdir(tmp_path / "b")
    plain = CheckpointWriter.create(tmp_path / "b", 0, sync=True)
    for seq in range(1, 4):
        plain.update(seq, 1, 100 + seq)
    plain.close()
    a = checkpoint_path(tmp_path / "a").read_bytes()
    assert a == checkpoint_path(tmp_path / "b").read_bytes() and len(a) == 2 * BLOCK
    assert read_checkpoint(tmp_path / "a") == Checkpoint(3, 1, 103, 4)


def test_a_checkpoint_of_the_first_layout_is_read_and_rewritten_on_open(tmp_path: Path) -> None:
    writer = CheckpointWriter.create(tmp_path, 0, sync=False)
    writer.update(5, 1, 200)  # generation 2: slot A
    writer.close()
    data = checkpoint_path(tmp_path).read_bytes()
    first_layout = data[:SLOT_SIZE] + data[BLOCK : BLOCK + SLOT_SIZE]  # two bare 64-byte slots
    checkpoint_path(tmp_path).write_bytes(first_layout)
    current = read_checkpoint(tmp_path)
    assert current == Checkpoint(5, 1, 200, 2)
    reopened = CheckpointWriter(tmp_path, current, sync=True)
    assert len(checkpoint_path(tmp_path).read_bytes()) == 2 * BLOCK
    assert read_checkpoint(tmp_path) == current
    reopened.update(6, 1, 240)
    reopened.close()
    assert read_checkpoint(tmp_path) == Checkpoint(6, 1, 240, 3)


def _mkdir(path: Path) -> None:
    path.mkdir()


def _first_file_bytes(directory: Path) -> bytes:
    writer = CheckpointWriter.create(directory, 0, sync=False)
    writer.update(3, 1, 120)  # both slots hold a checkpoint
    writer.close()
    return checkpoint_path(directory).read_bytes()
