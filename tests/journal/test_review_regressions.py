"""Regressions found in review: durability of reopen and of new directories, damage before a
later segment, garbage index sidecars, a torn last header seen by a reader, failed rolls,
record types out of range, one writer per directory, and the sync order of a roll."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from journal import (
    JournalCorruption,
    JournalError,
    JournalReader,
    JournalWriter,
    SnapshotStore,
    SyncPolicy,
    recover,
    verify,
)
from journal.layout import INDEX_ENTRY, encode_file_header, index_name, segment_name

from .helpers import flip_bit, make_records, only_segment, read_all, record_offsets, write_journal

RECORDS = make_records(12, seed=7)
OFFSETS = record_offsets(RECORDS)
LAST_SEQ = RECORDS[-1][1]


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every (call, resolved path) of os.fsync / os.fdatasync, in order."""
    calls: list[tuple[str, str]] = []

    def spy(name: str, real: Callable[[int], None]) -> Callable[[int], None]:
        def wrapper(fd: int) -> None:
            calls.append((name, _fd_path(fd)))
            real(fd)

        return wrapper

    real_pwrite = os.pwrite

    def pwrite(fd: int, data: Any, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DSYNC:  # a synchronous write: a sync too
            calls.append(("dsync-write", _fd_path(fd)))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "fsync", spy("fsync", os.fsync))
    monkeypatch.setattr(os, "fdatasync", spy("fdatasync", os.fdatasync))
    monkeypatch.setattr(os, "pwrite", pwrite)
    return calls


# --- durability -----------------------------------------------------------------------------
def test_reopen_syncs_the_recovered_tail_before_reporting_it_durable(
    tmp_path: Path, synced: list[tuple[str, str]]
) -> None:
    # A process crash between write() and fdatasync() leaves records that are only in the
    # page cache; the next writer must not call them durable until it synced them itself.
    write_journal(tmp_path, RECORDS)  # never policy: nothing was synced
    segment = str(only_segment(tmp_path))
    synced.clear()
    with JournalWriter(tmp_path) as writer:
        assert writer.durable_seq == LAST_SEQ
        paths = [path for _call, path in synced]
        assert segment in paths, synced
        assert str(tmp_path) in paths, synced  # and its directory entry


def test_a_new_journal_directory_is_durable_in_its_parent(
    tmp_path: Path, synced: list[tuple[str, str]]
) -> None:
    with JournalWriter(tmp_path / "a" / "b"):
        pass
    paths = [path for _call, path in synced]
    assert str(tmp_path) in paths and str(tmp_path / "a") in paths, synced
    synced.clear()
    SnapshotStore(tmp_path / "snaps").write(1, b"x")
    assert str(tmp_path) in [path for _call, path in synced], synced


def test_a_roll_syncs_the_old_segment_before_the_new_one_exists(
    tmp_path: Path, synced: list[tuple[str, str]]
) -> None:
    first = str(tmp_path / segment_name(1))
    second = str(tmp_path / segment_name(2))
    with JournalWriter(tmp_path, segment_bytes=200) as writer:
        writer.append(1, 1, bytes(60))
        writer.append(1, 2, bytes(60))  # rolls: the pending record 1 goes to the first segment
        assert Path(second).exists()
        assert synced.index(("fdatasync", first)) < synced.index(("fsync", second))
        created = synced.index(("fsync", second))
        assert ("fsync", str(tmp_path)) in synced[created:]  # and its directory entry
        synced.clear()
        assert writer.commit() == 2
        # the segment first, then the durable checkpoint that says so
        checkpoint = str(tmp_path / "durable.ckpt")
        assert synced in (
            [("fdatasync", second), ("fdatasync", checkpoint)],
            [("fdatasync", second), ("dsync-write", checkpoint)],  # written with O_DIRECT|O_DSYNC
        )


def test_a_failed_fdatasync_keeps_durable_seq_and_fails_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = JournalWriter(tmp_path)
    writer.append(1, 1, b"a")
    assert writer.commit() == 1

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "injected")

    monkeypatch.setattr(os, "fdatasync", broken)
    writer.append(1, 2, b"b")
    with pytest.raises(OSError, match="injected"):
        writer.commit()
    assert writer.durable_seq == 1
    monkeypatch.undo()
    with pytest.raises(JournalError, match="failed earlier"):
        writer.commit()
    writer.close()


# --- recovery -------------------------------------------------------------------------------
@pytest.mark.parametrize("next_segment", [b"", b"header"])
def test_damage_at_the_end_of_a_segment_that_a_later_segment_follows_is_corruption(
    tmp_path: Path, next_segment: bytes
) -> None:
    # The writer syncs a segment before it creates the next one, so once a later segment file
    # exists (even empty: a crash right after a roll) the earlier one was complete. Damage at
    # its end is corruption of acknowledged records, not a torn write to truncate away.
    write_journal(tmp_path, RECORDS)
    segment = only_segment(tmp_path)
    later = tmp_path / segment_name(LAST_SEQ + 1)
    later.write_bytes(encode_file_header(LAST_SEQ + 1, b"") if next_segment else b"")
    flip_bit(segment, OFFSETS[-2] + 30)
    before = segment.read_bytes()
    with pytest.raises(JournalCorruption) as info:
        JournalWriter(tmp_path)
    assert (info.value.segment, info.value.offset) == (segment.name, OFFSETS[-2])
    assert segment.read_bytes() == before and later.exists()
    damage = verify(tmp_path).damage
    assert damage is not None and not damage.torn_tail and damage.offset == OFFSETS[-2]
    with pytest.raises(JournalCorruption):
        read_all(tmp_path)


def test_recover_still_removes_an_empty_segment_after_a_complete_one(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS)
    (tmp_path / segment_name(LAST_SEQ + 1)).write_bytes(b"SQXJ")
    report = recover(tmp_path)
    assert report.removed_segments == [segment_name(LAST_SEQ + 1)]
    assert read_all(tmp_path) == RECORDS


# --- reader ---------------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [2**64 - 1, 2**63 + 5, 10**9])
def test_an_index_entry_pointing_past_the_file_is_ignored(tmp_path: Path, offset: int) -> None:
    records = [(1, i, bytes(100)) for i in range(1, 50)]
    write_journal(tmp_path, records)
    (tmp_path / index_name(1)).write_bytes(INDEX_ENTRY.pack(20, offset))
    assert read_all(tmp_path, 30) == records[29:]


@pytest.mark.parametrize("torn", [b"", b"SQXJRNL\x00\x01\x00", None])
def test_a_torn_header_of_the_last_segment_is_a_torn_tail_for_the_reader(
    tmp_path: Path, torn: bytes | None
) -> None:
    # What a crash during a roll leaves, and what a reader racing a roll sees for a moment.
    write_journal(tmp_path, RECORDS)
    data = encode_file_header(LAST_SEQ + 1, b"")[:50] if torn is None else torn
    (tmp_path / segment_name(LAST_SEQ + 1)).write_bytes(data)
    reader = JournalReader(tmp_path)
    assert [(t, s, bytes(p)) for t, s, p in reader] == RECORDS
    assert reader.tail_damage is not None and reader.tail_damage.torn_tail
    assert reader.tail_damage.segment == segment_name(LAST_SEQ + 1)
    assert reader.tail_damage.offset == 0


def test_a_bad_header_of_the_last_segment_with_records_after_it_is_corruption(
    tmp_path: Path,
) -> None:
    write_journal(tmp_path, make_records(100, seed=2), segment_bytes=800)
    last = sorted(tmp_path.glob("*.log"))[-1]
    flip_bit(last, 3)
    with pytest.raises(JournalCorruption, match="bad segment header"):
        read_all(tmp_path)


# --- writer ---------------------------------------------------------------------------------
def test_append_fixed_rejects_record_types_out_of_range(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        with pytest.raises(ValueError, match="type"):
            writer.append_fixed(np.array([-1, 2]), 1, bytes(16), 8)
        with pytest.raises(ValueError, match="type"):
            writer.append_fixed(np.array([1, 2**40]), 1, bytes(16), 8)
        with pytest.raises(ValueError, match="type"):
            writer.append_fixed(-1, 1, bytes(16), 8)
        assert writer.last_seq == 0
        writer.append_fixed(np.array([0, 2**32 - 1]), 1, bytes(16), 8)
    assert [(t, s) for t, s, _ in read_all(tmp_path)] == [(0, 1), (2**32 - 1, 2)]


def test_a_failed_roll_fails_the_writer_and_never_touches_reused_descriptors(
    tmp_path: Path,
) -> None:
    writer = JournalWriter(tmp_path / "j", segment_bytes=200, policy=SyncPolicy.never())
    writer.append(1, 1, bytes(60))
    writer.commit()
    (tmp_path / "j" / segment_name(2)).write_bytes(b"")  # the roll's O_EXCL create fails
    with pytest.raises(FileExistsError):
        writer.append(1, 2, bytes(60))
    others = [os.open(tmp_path / f"other{i}", os.O_RDWR | os.O_CREAT, 0o644) for i in range(2)]
    try:
        with pytest.raises(JournalError, match="failed earlier"):
            writer.append(1, 3, b"")
        writer.close()
        for fd in others:
            os.fstat(fd)  # still open: the writer did not close a descriptor it no longer owns
            assert os.fstat(fd).st_size == 0
    finally:
        for fd in others:
            os.close(fd)


def test_a_second_writer_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    first = JournalWriter(tmp_path, policy=SyncPolicy.never())
    first.append(1, 1, b"a")
    first.commit()
    first.append(1, 2, b"b")
    with pytest.raises(JournalError, match="in use"):
        JournalWriter(tmp_path, policy=SyncPolicy.never())
    first.close()
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as second:
        assert second.last_seq == 2


def test_a_failed_open_releases_the_directory(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS, user_header=b"A")
    with pytest.raises(JournalError, match="user header"):
        JournalWriter(tmp_path, user_header=b"B")
    JournalWriter(tmp_path).close()


def test_append_fixed_indexes_like_append_when_a_chunk_ends_across_a_stride(
    tmp_path: Path,
) -> None:
    # 64 records of 1024 bytes from offset 96: the last one straddles 64 KiB, so the next
    # record (a gapped seq) is the first at or after the mark and must get the entry.
    with JournalWriter(tmp_path / "fast", policy=SyncPolicy.never()) as writer:
        writer.append_fixed(1, 1, bytes(64 * 1000), 1000)
        writer.append(1, 1000, bytes(1000))
    slow = [(1, i, bytes(1000)) for i in range(1, 65)] + [(1, 1000, bytes(1000))]
    write_journal(tmp_path / "slow", slow)
    name = index_name(1)
    assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "slow" / name).read_bytes()


def test_the_index_is_really_used_to_start_a_read(tmp_path: Path) -> None:
    # Damage before the indexed offset is invisible to a read that starts at the entry: proof
    # that the read did not walk from the segment header.
    records = [(1, i, bytes(1000)) for i in range(1, 301)]
    write_journal(tmp_path, records)
    flip_bit(only_segment(tmp_path), record_offsets(records)[10] + 100)
    assert read_all(tmp_path, 250) == records[249:]
    with pytest.raises(JournalCorruption):
        read_all(tmp_path)


def test_a_snapshot_is_synced_before_its_rename_and_the_directory_after(
    tmp_path: Path, synced: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SnapshotStore(tmp_path)
    final = str(tmp_path / "snapshot-00000000000000000007.snap")
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        synced.append(("replace", str(dst)))  # one list: the order of every step
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    synced.clear()
    store.write(7, b"state")
    temp = str(tmp_path / ".snapshot-00000000000000000007.tmp")
    assert synced == [("fsync", temp), ("replace", final), ("fsync", str(tmp_path))]
