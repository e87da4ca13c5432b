"""The reader: from any seq via the sparse index, hints verified, damage reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal import JournalCorruption, JournalReader, JournalWriter, SyncPolicy
from journal.layout import INDEX_ENTRY

from .helpers import make_records, only_segment, read_all, write_journal


def test_reading_from_any_seq_yields_exactly_the_suffix(tmp_path: Path) -> None:
    records = make_records(300, seed=11, max_len=600)
    write_journal(tmp_path, records, segment_bytes=40_000)
    assert len(list(tmp_path.glob("*.log"))) > 2
    seqs = [s for _, s, _ in records]
    for probe in [0, 1, *seqs[::7], seqs[-1], seqs[-1] + 1, seqs[-1] + 100]:
        assert read_all(tmp_path, probe) == [r for r in records if r[1] >= probe], probe


def test_the_index_has_one_entry_per_stride_and_is_used(tmp_path: Path) -> None:
    records = [(1, i, bytes(1000)) for i in range(1, 301)]  # ~300 KB: several 64 KiB strides
    write_journal(tmp_path, records)
    raw = (tmp_path / "journal-00000000000000000001.idx").read_bytes()
    entries = [INDEX_ENTRY.unpack_from(raw, o) for o in range(0, len(raw), 16)]
    assert len(entries) == 5  # offsets 96, then the first record past 64K, 128K, 192K, 256K
    assert entries[0] == (1, 96)
    assert all(off // 65536 == i for i, (_, off) in enumerate(entries))
    assert read_all(tmp_path, 250) == records[249:]


def test_a_stale_index_entry_falls_back_to_a_scan(tmp_path: Path) -> None:
    records = [(1, i, bytes(1000)) for i in range(1, 301)]
    write_journal(tmp_path, records)
    idx = tmp_path / "journal-00000000000000000001.idx"
    idx.write_bytes(INDEX_ENTRY.pack(1, 96) + INDEX_ENTRY.pack(200, 70_001))  # points mid-record
    assert read_all(tmp_path, 250) == records[249:]
    idx.unlink()
    assert read_all(tmp_path, 250) == records[249:]


def test_a_torn_tail_ends_the_iteration_and_is_reported(tmp_path: Path) -> None:
    records = make_records(10, seed=1)
    write_journal(tmp_path, records)
    segment = only_segment(tmp_path)
    segment.write_bytes(segment.read_bytes()[:-4])
    reader = JournalReader(tmp_path)
    assert [(t, s, bytes(p)) for t, s, p in reader] == records[:-1]
    assert reader.tail_damage is not None
    assert reader.tail_damage.torn_tail and reader.tail_damage.dropped_records == 1


def test_a_bad_segment_header_mid_log_is_corruption(tmp_path: Path) -> None:
    write_journal(tmp_path, make_records(100, seed=2), segment_bytes=800)
    second = sorted(tmp_path.glob("*.log"))[1]
    data = bytearray(second.read_bytes())
    data[0] ^= 0xFF
    second.write_bytes(bytes(data))
    with pytest.raises(JournalCorruption, match="bad segment header"):
        read_all(tmp_path)


def test_the_user_header_is_readable(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, user_header=b"cfg", policy=SyncPolicy.never()):
        pass
    assert JournalReader(tmp_path).user_header() == b"cfg"


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such journal directory"):
        JournalReader(tmp_path / "nope")
