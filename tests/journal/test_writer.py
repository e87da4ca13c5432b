"""The writer: seq order, group commit and its policies, segment rolls, the fixed-size path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from journal import JournalError, JournalWriter, SequenceError, SyncPolicy
from journal.layout import FILE_HEADER_SIZE

from .helpers import make_records, read_all, write_journal


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_non_increasing_seq_is_rejected_with_a_clear_error(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        writer.append(1, 5, b"a")
        with pytest.raises(SequenceError, match="seq 5 is not greater than the last seq 5"):
            writer.append(1, 5, b"b")
        with pytest.raises(SequenceError, match="seq 3 is not greater"):
            writer.append_fixed(1, 3, b"x" * 8, 8)
        writer.append(1, 6, b"c")
    assert [s for _, s, _ in read_all(tmp_path)] == [5, 6]


def test_first_seq_bounds_the_first_record_of_a_new_journal(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, policy=SyncPolicy.never(), first_seq=0) as writer:
        assert writer.durable_seq == -1
        writer.append(0, 0, b"zero")
    with (
        JournalWriter(tmp_path / "b", policy=SyncPolicy.never()) as writer,
        pytest.raises(SequenceError),
    ):
        writer.append(0, 0, b"zero")


def test_durable_seq_advances_only_on_commit(tmp_path: Path) -> None:
    with JournalWriter(tmp_path) as writer:
        assert writer.durable_seq == 0
        writer.append(1, 1, b"a")
        writer.append_fixed(1, 2, b"b" * 30, 10)
        assert writer.durable_seq == 0
        assert read_all(tmp_path) == []  # nothing reaches the file before commit
        assert writer.commit() == 4
        assert writer.durable_seq == 4
        assert writer.syncs == 1
        assert writer.commit() == 4
        assert writer.syncs == 1  # an empty commit does not sync again
    assert [s for _, s, _ in read_all(tmp_path)] == [1, 2, 3, 4]


def test_interval_policy_syncs_once_the_interval_elapsed(tmp_path: Path) -> None:
    clock = FakeClock()
    writer = JournalWriter(tmp_path, policy=SyncPolicy.every_ms(5), clock=clock)
    writer.append(1, 1, b"a")
    assert writer.commit() == 0  # written, not yet synced
    assert [s for _, s, _ in read_all(tmp_path)] == [1]
    clock.now = 0.004
    writer.append(1, 2, b"b")
    assert writer.commit() == 0
    clock.now = 0.005
    assert writer.commit() == 2
    assert writer.syncs == 1
    writer.append(1, 3, b"c")
    clock.now = 0.006
    assert writer.commit() == 2
    assert writer.sync() == 3  # an explicit sync ignores the interval
    writer.append(1, 4, b"d")
    writer.close()  # close makes everything durable
    assert writer.durable_seq == 4


def test_never_policy_reports_written_records_as_durable(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        writer.append(1, 1, b"a")
        assert writer.commit() == 1
        assert writer.syncs == 0


def test_segments_roll_at_the_size_limit_and_are_named_by_first_seq(tmp_path: Path) -> None:
    records = make_records(200, seed=3)
    write_journal(tmp_path, records, segment_bytes=1024)
    logs = sorted(tmp_path.glob("journal-*.log"))
    assert len(logs) > 5
    assert logs[0].name == "journal-00000000000000000001.log"
    seqs = {s for _, s, _ in records}
    for log in logs:
        assert log.stat().st_size <= 1024
        assert int(log.name[8:28]) in seqs  # every rolled segment starts at a real record
    assert read_all(tmp_path) == records


def test_an_oversized_record_gets_a_segment_of_its_own(tmp_path: Path) -> None:
    records = [(1, 1, b"a" * 10), (1, 2, b"b" * 500), (1, 3, b"c")]
    write_journal(tmp_path, records, segment_bytes=FILE_HEADER_SIZE + 100)
    assert len(list(tmp_path.glob("journal-*.log"))) == 3
    assert read_all(tmp_path) == records


def test_append_fixed_writes_the_same_bytes_as_append(tmp_path: Path) -> None:
    payloads = np.random.default_rng(1).integers(0, 256, 64 * 300, dtype=np.uint8)
    types = np.arange(300) % 5
    with JournalWriter(tmp_path / "fast", policy=SyncPolicy.never(), segment_bytes=8192) as w:
        w.append_fixed(types[:100], 10, payloads[: 64 * 100], 64)
        w.append_fixed(types[100:], 110, payloads[64 * 100 :].tobytes(), 64)
    slow = [(int(types[i]), 10 + i, payloads[64 * i : 64 * i + 64].tobytes()) for i in range(300)]
    write_journal(tmp_path / "slow", slow, segment_bytes=8192)
    fast_files = sorted(p.name for p in (tmp_path / "fast").iterdir())
    assert fast_files == sorted(p.name for p in (tmp_path / "slow").iterdir())
    for name in fast_files:
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "slow" / name).read_bytes()
    assert read_all(tmp_path / "fast") == slow


def test_append_fixed_checks_its_arguments(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        with pytest.raises(ValueError, match="not a multiple of 8"):
            writer.append_fixed(1, 1, b"x" * 12, 8)
        with pytest.raises(ValueError, match="3 types given for 2 records"):
            writer.append_fixed(np.array([1, 2, 3]), 1, b"x" * 16, 8)
        assert writer.append_fixed(1, 1, b"", 8) == 0  # nothing to append


def test_reopen_appends_after_the_last_record_and_keeps_the_user_header(tmp_path: Path) -> None:
    first = make_records(30, seed=1)
    write_journal(tmp_path, first, user_header=b"W=64", segment_bytes=512)
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        assert writer.recovery.clean
        assert writer.last_seq == writer.durable_seq == first[-1][1]
        assert writer.user_header == b"W=64"
        writer.append(2, first[-1][1] + 1, b"more")
    assert read_all(tmp_path) == [*first, (2, first[-1][1] + 1, b"more")]
    with pytest.raises(JournalError, match="user header"):
        JournalWriter(tmp_path, user_header=b"W=1")


def test_a_closed_writer_refuses_appends(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path)
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(JournalError, match="closed"):
        writer.append(1, 1, b"")
