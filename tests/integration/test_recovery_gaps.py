"""A journal with missing seqs (segments deleted by hand, a record missing) is refused by
``engine.rebuild.rebuild``, naming the expected and the found seq and where the found one is:
never a silently wrong state."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.exchange import Exchange
from engine.journal_format import (
    COMMAND_FRAME_SIZE,
    RECORD_COMMAND,
    encode_commands,
    encode_user_header,
    journal_dir,
)
from engine.rebuild import RecoveryError, rebuild, take_snapshot
from engine.start_point import prepare_start
from engine.topology import TopologySpec
from journal import JournalReader, JournalWriter
from journal.layout import FILE_HEADER_SIZE, index_name
from tests.engine.test_replay_equivalence import generate_commands, write_journal
from tools.cli import main

WINDOW = 16
COMMANDS = generate_commands(2_000, seed=5)  # ~430 frames a segment: 5 segments


def _segments(data_dir: Path) -> list[tuple[int, Path]]:
    return JournalReader(journal_dir(data_dir)).segments()


def _delete(path: Path, first_seq: int) -> None:
    path.unlink()
    path.with_name(index_name(first_seq)).unlink(missing_ok=True)


def _snapshot_at(data_dir: Path, seq: int) -> None:
    exchange = Exchange(WINDOW)
    for cmd in COMMANDS[:seq]:
        exchange.submit(cmd)
    take_snapshot(exchange, seq, data_dir)


def test_segments_deleted_after_the_snapshot_are_a_gap(tmp_path: Path) -> None:
    write_journal(tmp_path, COMMANDS, WINDOW)
    segments = _segments(tmp_path)
    first, path = segments[2]
    _delete(path, first)
    _snapshot_at(tmp_path, first - 1)  # the tail must start with the deleted segment
    resumes, resumed_in = segments[3]
    message = (
        f"expected seq {first} \\(snapshot covers {first - 1}\\), found seq {resumes} in "
        f"{resumed_in.name} at byte {FILE_HEADER_SIZE}; seqs {first}..{resumes - 1} are missing"
    )
    with pytest.raises(RecoveryError, match=message):
        rebuild(tmp_path)
    with pytest.raises(RecoveryError, match=message):
        prepare_start(TopologySpec(prefix="gap-", data_dir=str(tmp_path), feedback_window=WINDOW))


def test_a_segment_deleted_in_the_middle_is_a_gap_from_the_start(tmp_path: Path) -> None:
    write_journal(tmp_path, COMMANDS, WINDOW)
    segments = _segments(tmp_path)
    first, path = segments[1]
    _delete(path, first)
    with pytest.raises(RecoveryError, match=f"expected seq {first}, found seq {segments[2][0]}"):
        rebuild(tmp_path, from_start=True)


def test_a_first_segment_deleted_is_a_gap_at_seq_1(tmp_path: Path) -> None:
    write_journal(tmp_path, COMMANDS, WINDOW)
    first, path = _segments(tmp_path)[0]
    _delete(path, first)
    with pytest.raises(RecoveryError, match="expected seq 1, found seq"):
        rebuild(tmp_path)


def test_a_missing_record_inside_a_segment_is_a_gap_with_its_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # seqs 1..99, 101..300: the journal only checks that seqs increase, so it accepts this
    with JournalWriter(journal_dir(tmp_path), user_header=encode_user_header(WINDOW)) as writer:
        for cmd in COMMANDS[:99] + COMMANDS[100:300]:
            writer.append(RECORD_COMMAND, cmd.seq_no, encode_commands([cmd]))
        writer.commit()
    at = FILE_HEADER_SIZE + 99 * COMMAND_FRAME_SIZE
    with pytest.raises(RecoveryError, match=f"expected seq 100, found seq 101 in .* at byte {at};"):
        rebuild(tmp_path)
    assert main(["replay", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "expected seq 100, found seq 101" in err and "Traceback" not in err


def test_a_contiguous_journal_still_rebuilds_with_and_without_a_snapshot(tmp_path: Path) -> None:
    write_journal(tmp_path, COMMANDS, WINDOW)
    whole = rebuild(tmp_path, from_start=True)
    _snapshot_at(tmp_path, _segments(tmp_path)[2][0] - 1)  # the tail starts a segment
    tail = rebuild(tmp_path)
    assert tail.snapshot_seq is not None and tail.commands == len(COMMANDS) - tail.snapshot_seq
    assert tail.exchange.state_hash() == whole.exchange.state_hash()
    assert whole.last_seq == tail.last_seq == len(COMMANDS)
