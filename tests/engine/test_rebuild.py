"""Recovery: torn tails, damaged snapshots, mismatched windows, foreign data, the host formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.exchange import Exchange
from engine.domain.rules import CURRENT_RULES, RULES_V1
from engine.domain.types import Command
from engine.journal_format import (
    COMMAND_FRAME_SIZE,
    RECORD_COMMAND,
    HostFormatError,
    JournalHeader,
    decode_header,
    decode_snapshot_payload,
    decode_user_header,
    encode_commands,
    encode_snapshot_payload,
    encode_user_header,
    journal_dir,
    snapshot_dir,
)
from engine.rebuild import NoJournalError, RecoveryError, rebuild, take_snapshot
from engine.records import RECORD_SIZE, encode_command
from journal import JournalCorruption, JournalWriter, SnapshotStore, SyncPolicy
from journal.layout import FILE_HEADER_SIZE
from tests.engine.test_replay_equivalence import (
    generate_commands,
    run_in_process,
    write_journal,
)

COMMANDS = generate_commands(2_000, seed=7)


def _segments(data_dir: Path) -> list[Path]:
    return sorted(journal_dir(data_dir).glob("journal-*.log"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_journal(tmp_path, COMMANDS, 1)
    return tmp_path


# --- formats --------------------------------------------------------------------------------


def test_user_header_round_trips_and_fits_the_journal_header() -> None:
    for window in (1, 1024, 2**32 - 1):
        for rules in (RULES_V1, CURRENT_RULES):
            header = encode_user_header(window, rules)
            assert len(header) <= 64
            assert decode_user_header(header) == window
            assert decode_header(header) == JournalHeader(window, rules)
    with pytest.raises(ValueError, match="outside"):
        encode_user_header(0)
    with pytest.raises(ValueError, match="rules version 9"):
        encode_user_header(1, 9)


def test_a_journal_from_before_rules_versions_has_a_version_1_header_and_runs_rules_1() -> None:
    """The header every journal had before rules versions: 16 bytes, version 1, no rules."""
    old = b"SQXHOST\x00" + (1).to_bytes(2, "little") + (128).to_bytes(2, "little")
    old += (1024).to_bytes(4, "little")
    assert decode_header(old) == JournalHeader(1024, RULES_V1)
    assert encode_user_header(1024, RULES_V1) == old  # its new segments get the same header
    assert len(encode_user_header(1024)) == 20


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "no user header"),
        (b"x" * 10, "10 bytes"),
        (b"NOTSQX\x00\x00" + encode_user_header(1)[8:], "magic"),
        (encode_user_header(1)[:8] + b"\x09\x00" + encode_user_header(1)[10:], "version 9"),
        (encode_user_header(1)[:10] + b"\x40\x00" + encode_user_header(1)[12:], "64 bytes"),
        (encode_user_header(1)[:12] + b"\x00" * 4 + encode_user_header(1)[16:], "below 1"),
        (
            encode_user_header(1, RULES_V1)[:8] + b"\x02\x00" + encode_user_header(1)[10:16],
            "16 bytes",
        ),
        (encode_user_header(1)[:16] + b"\x01\x00\x00\x00", "rules 1"),
        (encode_user_header(1)[:16] + b"\x09\x00\x00\x00", "rules version 9"),
    ],
)
def test_a_foreign_user_header_is_refused_with_the_reason(raw: bytes, message: str) -> None:
    with pytest.raises(HostFormatError, match=message):
        decode_user_header(raw)


def test_snapshot_payload_round_trips_and_bad_ones_say_why() -> None:
    payload = decode_snapshot_payload(encode_snapshot_payload(1024, 77, b"state"))
    assert (payload.feedback_window, payload.seq, payload.state) == (1024, 77, b"state")
    with pytest.raises(HostFormatError, match="shorter"):
        decode_snapshot_payload(b"abc")
    with pytest.raises(HostFormatError, match="magic"):
        decode_snapshot_payload(b"\x00" * 40)


# --- torn tails and corruption ---------------------------------------------------------------


@pytest.mark.parametrize("cut_into_record", [1, 23, 24, 100, COMMAND_FRAME_SIZE - 1])
def test_a_torn_tail_replays_the_valid_prefix(data_dir: Path, cut_into_record: int) -> None:
    last = _segments(data_dir)[-1]
    whole = (last.stat().st_size - FILE_HEADER_SIZE) // COMMAND_FRAME_SIZE
    keep = whole // 2
    with open(last, "r+b") as f:
        f.truncate(FILE_HEADER_SIZE + keep * COMMAND_FRAME_SIZE + cut_into_record)
    survivors = len(COMMANDS) - (whole - keep)
    rebuilt = rebuild(data_dir)
    expected, digest = run_in_process(COMMANDS[:survivors], 1)
    assert (rebuilt.commands, rebuilt.last_seq) == (survivors, survivors)
    assert rebuilt.exchange.state_hash() == expected.state_hash()
    assert rebuilt.digest == digest
    assert rebuilt.tail_damage is not None and rebuilt.tail_damage.segment == last.name


def test_a_torn_segment_header_after_a_roll_is_a_torn_tail(data_dir: Path) -> None:
    last = _segments(data_dir)[-1]
    first_seq = int(last.stem.split("-")[1])
    with open(last, "r+b") as f:
        f.truncate(40)
    rebuilt = rebuild(data_dir)
    assert rebuilt.last_seq == first_seq - 1
    assert (
        rebuilt.exchange.state_hash()
        == run_in_process(COMMANDS[: first_seq - 1], 1)[0].state_hash()
    )


def test_mid_log_corruption_names_segment_and_offset(data_dir: Path) -> None:
    middle = _segments(data_dir)[2]
    offset = FILE_HEADER_SIZE + 5 * COMMAND_FRAME_SIZE + 60
    raw = bytearray(middle.read_bytes())
    raw[offset] ^= 0xFF
    middle.write_bytes(raw)
    with pytest.raises(JournalCorruption) as info:
        rebuild(data_dir)
    assert middle.name in str(info.value)
    assert str(FILE_HEADER_SIZE + 5 * COMMAND_FRAME_SIZE) in str(info.value)


def test_a_record_that_is_not_a_command_is_refused(tmp_path: Path) -> None:
    with JournalWriter(journal_dir(tmp_path), user_header=encode_user_header(1)) as writer:
        writer.append(RECORD_COMMAND, 1, encode_command(COMMANDS[0]))
        writer.append(9, 2, b"marker")
        writer.commit()
    with pytest.raises(RecoveryError, match="seq 2 has type 9"):
        rebuild(tmp_path)


def test_a_record_whose_seq_differs_from_its_command_seq_no_is_refused(tmp_path: Path) -> None:
    with JournalWriter(journal_dir(tmp_path), user_header=encode_user_header(1)) as writer:
        writer.append_fixed(RECORD_COMMAND, 5, encode_commands(COMMANDS[:3]), RECORD_SIZE)
        writer.commit()
    with pytest.raises(RecoveryError, match="seq 5 holds a command with seq_no 1"):
        rebuild(tmp_path)


# --- snapshots -----------------------------------------------------------------------------


def _snapshot_at(data_dir: Path, commands: list[Command], cut: int, window: int = 1) -> None:
    exchange, _ = run_in_process(commands[:cut], window)
    take_snapshot(exchange, cut, data_dir)


def test_a_corrupt_snapshot_falls_back_to_an_older_one_then_to_the_start(data_dir: Path) -> None:
    full, _ = run_in_process(COMMANDS, 1)
    _snapshot_at(data_dir, COMMANDS, 500)
    _snapshot_at(data_dir, COMMANDS, 1500)
    newest = snapshot_dir(data_dir) / "snapshot-00000000000000001500.snap"
    raw = bytearray(newest.read_bytes())
    raw[100] ^= 0x01
    newest.write_bytes(raw)
    rebuilt = rebuild(data_dir)
    assert (rebuilt.snapshot_seq, rebuilt.commands) == (500, 1500)
    assert [name for name, _ in rebuilt.skipped_snapshots] == [newest.name]
    assert rebuilt.exchange.state_hash() == full.state_hash()

    (snapshot_dir(data_dir) / "snapshot-00000000000000000500.snap").write_bytes(b"junk")
    rebuilt = rebuild(data_dir)
    assert (rebuilt.snapshot_seq, rebuilt.commands) == (None, 2000)
    assert len(rebuilt.skipped_snapshots) == 2
    assert rebuilt.exchange.state_hash() == full.state_hash()


def test_a_snapshot_whose_payload_does_not_restore_is_skipped(data_dir: Path) -> None:
    store = SnapshotStore(snapshot_dir(data_dir))
    store.write(900, b"not a sequex host snapshot payload")
    store.write(1000, encode_snapshot_payload(1, 1000, b"{not json"))
    rebuilt = rebuild(data_dir)
    assert rebuilt.snapshot_seq is None
    reasons = dict(rebuilt.skipped_snapshots)
    assert "magic" in reasons["snapshot-00000000000000000900.snap"]
    assert "does not restore" in reasons["snapshot-00000000000000001000.snap"]


def test_a_snapshot_of_another_feedback_window_is_refused(data_dir: Path) -> None:
    exchange, _ = run_in_process(COMMANDS[:300], 1024)
    SnapshotStore(snapshot_dir(data_dir)).write(
        300, encode_snapshot_payload(1024, 300, exchange.snapshot())
    )
    with pytest.raises(RecoveryError, match="feedback window 1024 but the journal header says 1"):
        rebuild(data_dir)
    assert rebuild(data_dir, from_start=True).commands == len(COMMANDS)


def test_take_snapshot_refuses_an_exchange_of_another_window(data_dir: Path) -> None:
    with pytest.raises(RecoveryError, match="differ from the journal's 1 and"):
        take_snapshot(Exchange(8), 0, data_dir)


def test_a_snapshot_ahead_of_the_journal_is_refused(tmp_path: Path) -> None:
    write_journal(tmp_path, COMMANDS[:100], 1)
    _snapshot_at(tmp_path, COMMANDS, 150)
    with pytest.raises(RecoveryError, match="journal ends before it"):
        rebuild(tmp_path)


def test_take_snapshot_keeps_the_three_newest(data_dir: Path) -> None:
    for cut in (100, 200, 300, 400, 500):
        _snapshot_at(data_dir, COMMANDS, cut)
    assert SnapshotStore(snapshot_dir(data_dir)).seqs() == [300, 400, 500]


# --- directories, progress, options ----------------------------------------------------------


def test_missing_or_foreign_directories_are_not_journals(tmp_path: Path) -> None:
    with pytest.raises(NoJournalError, match="no journal directory"):
        rebuild(tmp_path / "nowhere")
    journal_dir(tmp_path).mkdir()
    with pytest.raises(NoJournalError, match="no journal segment"):
        rebuild(tmp_path)
    with JournalWriter(journal_dir(tmp_path), user_header=b"other", policy=SyncPolicy.never()):
        pass
    with pytest.raises(NoJournalError, match="not a sequex host journal"):
        rebuild(tmp_path)


def test_an_empty_host_journal_rebuilds_the_empty_state(tmp_path: Path) -> None:
    with JournalWriter(journal_dir(tmp_path), user_header=encode_user_header(4)):
        pass
    rebuilt = rebuild(tmp_path)
    assert (rebuilt.commands, rebuilt.last_seq, rebuilt.feedback_window) == (0, 0, 4)
    assert rebuilt.exchange.state_hash() == Exchange(4).state_hash()


def test_progress_reports_each_batch_and_digest_can_be_skipped(data_dir: Path) -> None:
    calls: list[tuple[int, int]] = []
    rebuilt = rebuild(data_dir, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == rebuilt.commands == len(COMMANDS)
    assert all(done <= total for done, total in calls)
    fast = rebuild(data_dir, digest=False)
    assert fast.digest is None and fast.exchange.state_hash() == rebuilt.exchange.state_hash()


def test_a_healthy_journal_is_read_on_the_bulk_path_only(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.rebuild import CommandBatchReader

    def refuse(self: CommandBatchReader, from_seq: int) -> None:
        raise AssertionError(f"fell back to the record-by-record reader at seq {from_seq}")

    monkeypatch.setattr(CommandBatchReader, "_slow", refuse)
    assert rebuild(data_dir).commands == len(COMMANDS)
    _snapshot_at(data_dir, COMMANDS, 1234)
    assert rebuild(data_dir).commands == len(COMMANDS) - 1234
