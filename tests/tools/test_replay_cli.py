"""`sequex replay`: summary lines, snapshots, exit codes and messages (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.canonical import OutputDigest, command_to_json, json_encode
from engine.journal_format import journal_dir, snapshot_dir
from engine.rebuild import take_snapshot
from journal import read_checkpoint
from journal.checkpoint import write_checkpoint
from journal.layout import FILE_HEADER_SIZE
from tests.engine.test_replay_equivalence import (
    generate_commands,
    run_in_process,
    write_journal,
)
from tools.cli import main

COMMANDS = generate_commands(1_500, seed=11)


def _summary(text: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in text.splitlines())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_journal(tmp_path, COMMANDS, 16)
    return tmp_path


def test_replay_prints_hash_digest_counts_snapshot_and_rate(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(data_dir)]) == 0
    out = capsys.readouterr()
    summary = _summary(out.out)
    expected, digest = run_in_process(COMMANDS, 16)
    assert summary["state_hash"] == f"{expected.state_hash():016x}"
    assert summary["digest"] == digest
    assert (summary["commands"], summary["snapshot"], summary["last_seq"]) == (
        "1500",
        "none",
        "1500",
    )
    assert summary["feedback_window"] == "16"
    assert float(summary["rate"]) > 0
    assert out.err == ""  # quiet when stderr is not a terminal


def test_snapshot_option_writes_one_that_the_next_replay_starts_from(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(data_dir), "--snapshot"]) == 0
    first = _summary(capsys.readouterr().out)
    assert Path(first["snapshot_written"]).parent == snapshot_dir(data_dir)
    assert main(["replay", str(data_dir)]) == 0
    second = _summary(capsys.readouterr().out)
    assert (second["snapshot"], second["commands"]) == ("1500", "0")
    assert second["digest"] == "none (no command after snapshot 1500)"
    assert second["state_hash"] == first["state_hash"]
    assert main(["replay", str(data_dir), "--from-start"]) == 0
    third = _summary(capsys.readouterr().out)
    assert (third["snapshot"], third["digest"]) == ("none", first["digest"])


def test_skipped_snapshots_and_a_torn_tail_are_reported_on_stderr(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exchange, _ = run_in_process(COMMANDS[:700], 16)
    take_snapshot(exchange, 700, data_dir)
    (snapshot_dir(data_dir) / "snapshot-00000000000000000700.snap").write_bytes(b"x")
    last = sorted(journal_dir(data_dir).glob("*.log"))[-1]
    with open(last, "r+b") as f:
        f.truncate(last.stat().st_size - 7)
    # The cut record was reported durable: replay prints the state but fails, naming the loss.
    assert main(["replay", str(data_dir)]) == 1
    out = capsys.readouterr()
    assert "skipped snapshot snapshot-00000000000000000700.snap" in out.err
    assert f"torn journal tail in {last.name}" in out.err
    assert "durable data is missing" in out.err and "seqs 1500..1500" in out.err
    assert _summary(out.out)["commands"] == "1499"
    # A checkpoint that stops before it (a crash between write and sync): an unacked torn tail.
    checkpoint = read_checkpoint(journal_dir(data_dir))
    assert checkpoint is not None and checkpoint.seq == 1500
    torn_at = int(out.err.split(f"torn journal tail in {last.name} at offset ")[1].split(":")[0])
    write_checkpoint(journal_dir(data_dir), 1499, checkpoint.segment_seq, torn_at)
    assert main(["replay", str(data_dir)]) == 0
    out = capsys.readouterr()
    assert f"torn journal tail in {last.name}" in out.err
    assert "durable data is missing" not in out.err
    assert _summary(out.out)["commands"] == "1499"


def test_a_progress_bar_is_drawn_when_stderr_is_a_terminal(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["replay", str(data_dir)]) == 0
    assert _summary(capsys.readouterr().out)["commands"] == "1500"


def test_missing_directory_and_a_directory_without_journal_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["replay", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no journal directory" in err and "Traceback" not in err


def test_corruption_and_window_mismatch_exit_1_with_a_clear_message(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exchange, _ = run_in_process(COMMANDS[:10], 1)
    from engine.journal_format import encode_snapshot_payload
    from journal import SnapshotStore

    SnapshotStore(snapshot_dir(data_dir)).write(
        10, encode_snapshot_payload(1, 10, exchange.snapshot())
    )
    assert main(["replay", str(data_dir)]) == 1
    assert "feedback window 1 but the journal header says 16" in capsys.readouterr().err

    first = sorted(journal_dir(data_dir).glob("*.log"))[0]
    raw = bytearray(first.read_bytes())
    raw[FILE_HEADER_SIZE + 30] ^= 0x10
    first.write_bytes(raw)
    assert main(["replay", str(data_dir), "--from-start"]) == 1
    err = capsys.readouterr().err
    assert f"journal corruption in {first.name}" in err and str(FILE_HEADER_SIZE) in err


def test_the_installed_command_fails_without_a_traceback(tmp_path: Path) -> None:
    journal_dir(tmp_path).mkdir()
    (journal_dir(tmp_path) / "journal-00000000000000000001.log").write_bytes(b"garbage")
    done = subprocess.run(
        [sys.executable, "-m", "tools.cli", "replay", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2, done.stderr
    assert "sequex replay:" in done.stderr and "Traceback" not in done.stderr


def test_no_command_replayed_prints_no_digest_rather_than_the_empty_streams(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_journal(tmp_path, COMMANDS[:700], 16)
    exchange, _ = run_in_process(COMMANDS[:700], 16)
    take_snapshot(exchange, 700, tmp_path)
    assert main(["replay", str(tmp_path), "--events", str(tmp_path / "events.jsonl")]) == 0
    summary = _summary(capsys.readouterr().out)
    assert summary["digest"] == "none (no command after snapshot 700)"
    assert OutputDigest().hexdigest() not in summary["digest"]
    assert (summary["commands"], summary["events"]) == ("0", "0")
    assert (tmp_path / "events.jsonl").read_bytes() == b""


def _simulated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[bytes, str]:
    """What `sequex simulate` writes and prints as digest for COMMANDS."""
    source, events = tmp_path / "commands.jsonl", tmp_path / "simulated.jsonl"
    source.write_text("".join(json_encode(command_to_json(c)) + "\n" for c in COMMANDS))
    args = ["simulate", "--in", str(source), "--out", str(events), "--feedback-window", "16"]
    assert main(args) == 0
    return events.read_bytes(), _summary(capsys.readouterr().out)["digest"]


def test_events_file_holds_exactly_what_simulate_writes_for_the_same_commands(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simulated, digest = _simulated(tmp_path, capsys)
    events = tmp_path / "replayed.jsonl"
    assert main(["replay", str(data_dir), "--from-start", "--events", str(events)]) == 0
    summary = _summary(capsys.readouterr().out)
    assert events.read_bytes() == simulated
    assert summary["digest"] == digest
    assert summary["events"] == str(simulated.count(b"\n"))


def test_events_after_a_snapshot_are_those_of_the_tail_only(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simulated, _ = _simulated(tmp_path, capsys)
    exchange, _ = run_in_process(COMMANDS[:900], 16)
    take_snapshot(exchange, 900, data_dir)
    events = tmp_path / "tail.jsonl"
    assert main(["replay", str(data_dir), "--events", str(events)]) == 0
    summary = _summary(capsys.readouterr().out)
    tail = [line for line in simulated.splitlines(keepends=True) if json.loads(line)["seq"] > 900]
    assert events.read_bytes() == b"".join(tail)
    assert summary["snapshot"] == "900" and summary["events"] == str(len(tail))


def test_events_to_stdout_move_the_summary_to_stderr(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simulated, digest = _simulated(tmp_path, capsys)
    assert main(["replay", str(data_dir), "--from-start", "--events", "-"]) == 0
    out = capsys.readouterr()
    assert out.out.encode() == simulated
    assert _summary(out.err)["digest"] == digest


def test_an_unwritable_events_file_is_a_clear_error_with_exit_2(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = data_dir / "no-such-dir" / "events.jsonl"
    assert main(["replay", str(data_dir), "--events", str(target)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert f"cannot write the events: {target}: No such file or directory" in out.err
