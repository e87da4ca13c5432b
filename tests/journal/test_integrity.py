"""Torn-tail recovery and verification: the tail is damage after which nothing valid follows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from journal import (
    CheckpointError,
    DurableDataMissing,
    JournalCorruption,
    JournalWriter,
    SyncPolicy,
    read_checkpoint,
    recover,
    verify,
)
from journal.layout import FILE_HEADER_SIZE, RECORD_HEADER_SIZE

from .helpers import (
    dir_bytes,
    flip_bit,
    make_records,
    only_segment,
    quarantined,
    read_all,
    record_offsets,
    rewind_checkpoint,
    write_journal,
)

RECORDS = make_records(12, seed=7)
OFFSETS = record_offsets(RECORDS)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    directory = tmp_path_factory.mktemp("pristine")
    write_journal(directory, RECORDS)
    return only_segment(directory).read_bytes()


def test_truncation_past_the_checkpoint_recovers_the_valid_prefix_and_keeps_the_cut(
    tmp_path: Path, pristine: bytes
) -> None:
    # the writer crashed after writing the last records but before recording them durable
    name = "journal-00000000000000000001.log"
    for cut in range(OFFSETS[-4], OFFSETS[-1] + 1):
        directory = tmp_path / f"cut{cut}"
        directory.mkdir()
        (directory / name).write_bytes(pristine[:cut])
        rewind_checkpoint(directory, RECORDS[:-3])
        kept = sum(1 for end in OFFSETS[1:] if end <= cut)
        prefix_end = OFFSETS[kept]
        writer = JournalWriter(directory, policy=SyncPolicy.never())
        report = writer.recovery
        assert report.dropped_bytes == cut - prefix_end, cut
        assert report.dropped_records == (1 if cut > prefix_end else 0), cut
        assert writer.last_seq == RECORDS[kept - 1][1]
        assert writer.durable_seq == writer.last_seq  # what was kept is durable from now on
        if cut > prefix_end:  # the cut bytes are kept beside the segment
            assert quarantined(directory) == {
                f"{name}.cut-at-{prefix_end}.quarantine": pristine[prefix_end:cut]
            }
        else:
            assert quarantined(directory) == {}
        writer.append(1, writer.last_seq + 1, b"after")  # appends land right after the prefix
        writer.close()
        assert read_all(directory) == [*RECORDS[:kept], (1, RECORDS[kept - 1][1] + 1, b"after")]
        assert read_checkpoint(directory) is not None
        assert read_checkpoint(directory).seq == RECORDS[kept - 1][1] + 1  # type: ignore[union-attr]
        shutil.rmtree(directory)


def test_truncation_before_the_checkpoint_is_refused_and_changes_nothing(
    tmp_path: Path, pristine: bytes
) -> None:
    # every record was recorded durable: a journal that ends sooner has lost durable data,
    # whether it was cut on a record boundary or inside a record
    name = "journal-00000000000000000001.log"
    for cut in range(OFFSETS[-4], OFFSETS[-1]):
        directory = tmp_path / f"cut{cut}"
        directory.mkdir()
        (directory / name).write_bytes(pristine[:cut])
        rewind_checkpoint(directory, RECORDS)
        before = dir_bytes(directory)
        kept = sum(1 for end in OFFSETS[1:] if end <= cut)
        with pytest.raises(DurableDataMissing) as info:
            JournalWriter(directory, policy=SyncPolicy.never())
        assert (info.value.first_missing, info.value.last_missing) == (
            RECORDS[kept - 1][1] + 1,
            RECORDS[-1][1],
        )
        assert name in str(info.value) and "Nothing was changed" in str(info.value)
        assert dir_bytes(directory) == before, cut
        report = verify(directory)
        assert report.durable_missing == (RECORDS[kept - 1][1] + 1, RECORDS[-1][1])
        assert not report.ok
        shutil.rmtree(directory)


def test_a_deleted_last_segment_is_refused(tmp_path: Path) -> None:
    records = make_records(60, seed=2)
    write_journal(tmp_path, records, segment_bytes=600)
    segments = sorted(tmp_path.glob("journal-*.log"))
    segments[-1].unlink()
    before = dir_bytes(tmp_path)
    with pytest.raises(DurableDataMissing, match=f"{segments[-1].name} is missing"):
        JournalWriter(tmp_path, policy=SyncPolicy.never())
    assert dir_bytes(tmp_path) == before


def test_every_segment_deleted_is_refused(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS)
    only_segment(tmp_path).unlink()
    with pytest.raises(DurableDataMissing, match="no segment with a valid record is left"):
        JournalWriter(tmp_path, policy=SyncPolicy.never())


def test_segments_without_a_checkpoint_are_refused(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS)
    (tmp_path / "durable.ckpt").unlink()
    before = dir_bytes(tmp_path)
    with pytest.raises(CheckpointError, match="no durable checkpoint"):
        JournalWriter(tmp_path, policy=SyncPolicy.never())
    assert dir_bytes(tmp_path) == before
    (tmp_path / "durable.ckpt").write_bytes(b"garbage" * 20)
    with pytest.raises(CheckpointError, match="unreadable"):
        JournalWriter(tmp_path, policy=SyncPolicy.never())


def test_a_flipped_bit_in_the_last_durable_record_is_refused(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS)
    segment = only_segment(tmp_path)
    flip_bit(segment, OFFSETS[-2] + RECORD_HEADER_SIZE + 1, bit=3)
    damage = verify(tmp_path).damage
    assert damage is not None and damage.torn_tail
    assert (damage.segment, damage.offset, damage.reason) == (
        segment.name,
        OFFSETS[-2],
        "checksum mismatch",
    )
    before = dir_bytes(tmp_path)
    with pytest.raises(DurableDataMissing) as info:
        recover(tmp_path)
    assert info.value.first_missing == info.value.last_missing == RECORDS[-1][1]
    assert f"at byte {OFFSETS[-2]}" in str(info.value)
    assert dir_bytes(tmp_path) == before  # the damaged record is still there to look at


def test_a_flipped_bit_in_a_record_past_the_checkpoint_is_a_torn_tail(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS)
    rewind_checkpoint(tmp_path, RECORDS[:-1])
    segment = only_segment(tmp_path)
    flip_bit(segment, OFFSETS[-2] + RECORD_HEADER_SIZE + 1, bit=3)
    damaged = segment.read_bytes()[OFFSETS[-2] :]
    report = recover(tmp_path)
    assert (report.dropped_bytes, report.dropped_records) == (OFFSETS[-1] - OFFSETS[-2], 1)
    assert read_all(tmp_path) == RECORDS[:-1]
    assert verify(tmp_path).ok
    assert list(quarantined(tmp_path).values()) == [damaged]
    assert report.quarantined == [f"{segment.name}.cut-at-{OFFSETS[-2]}.quarantine"]
    assert "never reported durable" in report.describe()


def test_mid_log_damage_past_the_checkpoint_is_cut_with_everything_after_it(
    tmp_path: Path,
) -> None:
    # a crash between write and sync can leave a page unwritten before pages that were: valid
    # records follow the damage, but none of them from the checkpoint on was ever acknowledged
    write_journal(tmp_path, RECORDS)
    rewind_checkpoint(tmp_path, RECORDS[:6])
    segment = only_segment(tmp_path)
    flip_bit(segment, OFFSETS[8] + RECORD_HEADER_SIZE + 1)
    cut = segment.read_bytes()[OFFSETS[8] :]
    damage = verify(tmp_path).damage
    assert damage is not None and not damage.torn_tail and damage.past_checkpoint
    assert damage.describe().startswith("damage past the durable checkpoint")
    report = recover(tmp_path)
    assert report.damage is not None and report.damage.past_checkpoint
    assert "damage past the durable checkpoint" in report.describe()
    assert (report.dropped_bytes, report.dropped_records) == (OFFSETS[-1] - OFFSETS[8], 4)
    assert read_all(tmp_path) == RECORDS[:8]  # the intact records before it stay
    assert list(quarantined(tmp_path).values()) == [cut]
    assert verify(tmp_path).ok


def test_mid_log_damage_straddling_the_checkpoint_is_refused(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS)
    rewind_checkpoint(tmp_path, RECORDS[:6])
    segment = only_segment(tmp_path)
    flip_bit(segment, OFFSETS[5] + RECORD_HEADER_SIZE + 1)  # the last durable record
    before = dir_bytes(tmp_path)
    with pytest.raises(JournalCorruption, match="a valid record follows"):
        recover(tmp_path)
    assert dir_bytes(tmp_path) == before


def test_a_scrub_finds_a_segment_missing_just_before_the_ones_it_leaves_alone(
    tmp_path: Path,
) -> None:
    records = [(1, seq, bytes(20)) for seq in range(1, 61)]  # a host journal: no gaps
    write_journal(tmp_path, records, segment_bytes=600)
    segments = sorted(tmp_path.glob("journal-*.log"))
    assert len(segments) >= 4
    second_last = int(segments[-2].name[8:28])
    assert verify(tmp_path, before_seq=second_last, contiguous_from=1).ok
    segments[-3].unlink()  # the start reads from segments[-2] on: this one only a scrub sees
    scrub = verify(tmp_path, before_seq=second_last, contiguous_from=1)
    assert scrub.damage is not None and scrub.damage.segment == segments[-2].name
    assert "are missing" in scrub.damage.reason
    assert not verify(tmp_path, contiguous_from=1).ok


@pytest.mark.parametrize("record", [0, 5, 10])
def test_a_flipped_bit_mid_log_is_corruption_naming_segment_and_offset(
    tmp_path: Path, record: int
) -> None:
    write_journal(tmp_path, RECORDS)
    segment = only_segment(tmp_path)
    flip_bit(segment, OFFSETS[record] + 9)  # in the seq field
    before = segment.read_bytes()
    with pytest.raises(JournalCorruption) as info:
        JournalWriter(tmp_path)
    assert (info.value.segment, info.value.offset) == (segment.name, OFFSETS[record])
    assert f"{segment.name} at byte {OFFSETS[record]}" in str(info.value)
    assert segment.read_bytes() == before  # recovery changes nothing when it refuses
    damage = verify(tmp_path).damage
    assert damage is not None and not damage.torn_tail and damage.offset == OFFSETS[record]
    with pytest.raises(JournalCorruption):
        read_all(tmp_path)


def test_a_corrupt_length_mid_log_is_still_found_to_be_followed_by_valid_records(
    tmp_path: Path,
) -> None:
    write_journal(tmp_path, RECORDS)
    segment = only_segment(tmp_path)
    flip_bit(segment, OFFSETS[3] + 2)  # length += 65536: the walk cannot hop over it
    with pytest.raises(JournalCorruption, match="a valid record follows"):
        recover(tmp_path)


def test_damage_in_an_earlier_segment_is_corruption_even_at_its_end(tmp_path: Path) -> None:
    records = make_records(60, seed=2)
    write_journal(tmp_path, records, segment_bytes=600)
    first = sorted(tmp_path.glob("journal-*.log"))[0]
    data = first.read_bytes()
    first.write_bytes(data[:-3])  # the end of a finished segment
    damage = verify(tmp_path).damage
    assert damage is not None and not damage.torn_tail
    assert damage.segment == first.name
    assert "valid records follow in journal-" in damage.reason
    with pytest.raises(JournalCorruption):
        read_all(tmp_path)


def test_a_torn_segment_header_after_a_roll_is_quarantined(tmp_path: Path) -> None:
    records = make_records(40, seed=4)
    write_journal(tmp_path, records)
    torn = tmp_path / "journal-00000000000000009999.log"
    torn.write_bytes(b"SQXJRNL\x00\x01\x00")
    report = recover(tmp_path)
    assert report.removed_segments == [torn.name]
    assert report.dropped_bytes == 10
    assert not torn.exists()
    assert quarantined(tmp_path) == {f"{torn.name}.quarantine": b"SQXJRNL\x00\x01\x00"}
    assert read_all(tmp_path) == records


def test_an_empty_trailing_segment_is_removed_and_its_seq_is_reusable(tmp_path: Path) -> None:
    records = make_records(5, seed=5)
    write_journal(tmp_path, records)
    with JournalWriter(tmp_path / "x", first_seq=10_000, policy=SyncPolicy.never()):
        pass
    (tmp_path / "x" / "journal-00000000000000010000.log").rename(
        tmp_path / "journal-00000000000000010000.log"
    )
    shutil.rmtree(tmp_path / "x")
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        assert writer.recovery.removed_segments == ["journal-00000000000000010000.log"]
        assert writer.last_seq == records[-1][1]
        writer.append(1, records[-1][1] + 1, b"next")
    assert read_all(tmp_path)[-1] == (1, records[-1][1] + 1, b"next")


def test_an_out_of_order_seq_with_a_valid_checksum_is_corruption(tmp_path: Path) -> None:
    write_journal(tmp_path / "a", [(1, 1, b"a"), (1, 9, b"b")])
    write_journal(tmp_path / "b", [(1, 5, b"c")], first_seq=5)
    data = only_segment(tmp_path / "a").read_bytes()
    tail = only_segment(tmp_path / "b").read_bytes()[FILE_HEADER_SIZE:]
    only_segment(tmp_path / "a").write_bytes(data + tail)
    with pytest.raises(JournalCorruption, match="seq 5 is not greater than the previous seq 9"):
        recover(tmp_path / "a")


def test_verify_never_modifies_files(tmp_path: Path) -> None:
    write_journal(tmp_path, RECORDS)
    segment = only_segment(tmp_path)
    segment.write_bytes(segment.read_bytes()[:-5])
    before = segment.read_bytes()
    report = verify(tmp_path)
    assert report.damage is not None and report.damage.torn_tail
    assert report.records == len(RECORDS) - 1
    assert segment.read_bytes() == before


def test_an_empty_new_journal_recovers_to_nothing(tmp_path: Path) -> None:
    report = recover(tmp_path)
    assert report.clean and report.tail is None


def test_a_damaged_newest_checkpoint_slot_cuts_nothing_it_cannot_vouch_for(
    tmp_path: Path,
) -> None:
    # the older slot says the 6th record; the damaged newer one may have said the 12th: damage
    # past the 6th may then hold acknowledged records, so nothing is cut automatically
    write_journal(tmp_path, RECORDS)
    rewind_checkpoint(tmp_path, RECORDS[:6])  # generation 1, in slot B
    with open(tmp_path / "durable.ckpt", "r+b") as f:  # slot A: a damaged generation 2
        f.write(b"\xff" * 64)
    checkpoint = read_checkpoint(tmp_path)
    assert checkpoint is not None and checkpoint.other_slot_damaged
    assert checkpoint.seq == RECORDS[5][1]
    assert "other slot is damaged" in checkpoint.describe()
    segment = only_segment(tmp_path)
    pristine = segment.read_bytes()
    flip_bit(segment, OFFSETS[9] + RECORD_HEADER_SIZE + 1)
    before = dir_bytes(tmp_path)
    with pytest.raises(CheckpointError, match="newest slot is damaged") as info:
        recover(tmp_path)
    assert "Nothing was changed" in str(info.value)
    assert dir_bytes(tmp_path) == before
    segment.write_bytes(pristine)  # a journal that ends cleanly starts (a crash tore the slot)
    with JournalWriter(tmp_path, policy=SyncPolicy.never()) as writer:
        assert writer.last_seq == RECORDS[-1][1]
    healed = read_checkpoint(tmp_path)  # and the open wrote the damaged slot afresh
    assert healed is not None and not healed.other_slot_damaged
    assert healed.seq == RECORDS[-1][1]
