"""`sequex journal dump|verify|stats`: output, exit codes, clear errors, files never modified."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from journal import JournalWriter, SyncPolicy
from journal.layout import INDEX_ENTRY
from tools.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "journal"
    with JournalWriter(directory, policy=SyncPolicy.never(), segment_bytes=400) as writer:
        for seq in range(1, 21):
            writer.append(seq % 3, seq, bytes(range(seq)))
    return directory


def _segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("journal-*.log"))


def test_dump_prints_one_line_per_record(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journal", "dump", str(journal_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20
    assert lines[0] == "seq=1 type=1 len=1 payload=00"
    assert lines[19].startswith("seq=20 type=2 len=20 payload=00 01 02")
    assert lines[19].endswith(" ...")


def test_dump_from_a_seq_with_a_limit(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journal", "dump", str(journal_dir), "--from", "15", "--limit", "3"]) == 0
    seqs = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert seqs == ["seq=15", "seq=16", "seq=17"]


def test_verify_a_clean_journal(journal_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journal", "verify", str(journal_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ")
    assert "20 record(s), seq 1..20" in out


def test_verify_reports_a_torn_tail_without_repairing_it(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = _segments(journal_dir)[-1]
    data = last.read_bytes()[:-5]
    last.write_bytes(data)
    assert main(["journal", "verify", str(journal_dir)]) == 1
    out = capsys.readouterr().out
    assert f"DAMAGED: torn tail in {last.name} at byte " in out
    assert "incomplete record" in out
    assert last.read_bytes() == data


def test_verify_reports_mid_log_corruption_with_segment_and_offset(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _segments(journal_dir)[0]
    data = bytearray(first.read_bytes())
    data[96 + 24] ^= 0x01  # payload of the first record
    first.write_bytes(bytes(data))
    assert main(["journal", "verify", str(journal_dir)]) == 1
    out = capsys.readouterr().out
    assert f"mid-log corruption in {first.name} at byte 96: checksum mismatch" in out
    assert main(["journal", "dump", str(journal_dir)]) == 1
    assert f"{first.name} at byte 96" in capsys.readouterr().err


def test_stats_counts_segments_records_and_types(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journal", "stats", str(journal_dir)]) == 0
    out = capsys.readouterr().out
    assert f"segments    {len(_segments(journal_dir))}" in out
    assert "records     20" in out
    assert "first seq   1" in out and "last seq    20" in out
    assert "type 0      6 record(s)" in out
    assert "type 1      7 record(s)" in out


@pytest.mark.parametrize("command", ["dump", "verify", "stats"])
def test_a_missing_path_is_a_clear_error(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journal", command, str(tmp_path / "nope")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["dump", "verify", "stats"])
def test_a_directory_without_a_journal_is_a_clear_error(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["journal", command, str(tmp_path)]) == 2
    assert "no journal segment" in capsys.readouterr().err
    assert main(["journal", command, str(tmp_path / "notes.txt")]) == 2
    assert "not a journal segment file" in capsys.readouterr().err


def test_a_file_named_like_a_segment_that_is_not_one_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "journal-00000000000000000001.log").write_bytes(b"definitely not a journal" * 9)
    assert main(["journal", "verify", str(tmp_path)]) == 1
    assert "bad segment header: bad magic" in capsys.readouterr().out


def test_the_installed_command_verifies_a_journal(journal_dir: Path) -> None:
    exe = Path(sys.executable).parent / "sequex"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "tools.cli"]
    done = subprocess.run(
        [*command, "journal", "verify", str(journal_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: ") and "20 record(s)" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["dump", "verify", "stats"])
def test_an_unreadable_directory_is_a_clear_error_not_a_traceback(
    journal_dir: Path,
    command: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Tests may run as root, which reads any directory: inject the EACCES a user would get.
    def denied(path: object = ".") -> object:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("os.listdir", denied)
    monkeypatch.setattr("os.scandir", denied)
    assert main(["journal", command, str(journal_dir)]) == 2
    assert "Permission denied" in capsys.readouterr().err


def test_dump_ignores_a_garbage_index_sidecar(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert journal_dir.joinpath("journal-00000000000000000011.log").exists()  # holds seq 15
    for idx in journal_dir.glob("journal-*.idx"):
        # an entry whose offset cannot even be seeked to, then a torn one
        idx.write_bytes(INDEX_ENTRY.pack(0, 2**64 - 1) + b"\xff" * 9)
    assert main(["journal", "dump", str(journal_dir), "--from", "15", "--limit", "2"]) == 0
    seqs = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert seqs == ["seq=15", "seq=16"]


def test_dump_reports_a_torn_last_segment_header_as_a_torn_tail(
    journal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (journal_dir / "journal-00000000000000000021.log").write_bytes(b"SQXJRNL\x00")
    assert main(["journal", "dump", str(journal_dir)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 20
    assert "torn tail in journal-00000000000000000021.log at byte 0" in captured.err
    assert main(["journal", "verify", str(journal_dir)]) == 1
    assert "DAMAGED: torn tail in journal-00000000000000000021.log" in capsys.readouterr().out
