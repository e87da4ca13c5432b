"""The `sequex` dispatcher: help, unknown commands, and the bench summary format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.bench_cli import format_summary
from tools.cli import main


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    for name in ("journal", "bench", "simulate"):
        assert name in out


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_bench_summary_aligns_keys_and_separates_thousands() -> None:
    text = format_summary("ring", {"ring_msgs_per_s": 6500000, "queue_ratio": 31.256, "note": "x"})
    assert text.splitlines() == [
        "sequex bench ring",
        "  ring_msgs_per_s  6,500,000",
        "  queue_ratio      31.26",
        "  note             x",
    ]


def test_bench_journal_prints_one_json_object_with_its_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    options = ["--json", "--records", "4096", "--batch", "512", "--repeats", "1"]
    code = main(["bench", "journal", *options, "--dir", str(tmp_path)])
    assert code == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["records_per_s"] > 0
    assert figures["durable"] is True
    assert {"records_per_s_min", "records_per_s_max", "replay_records_per_s"} <= set(figures)
    assert list(tmp_path.iterdir()) == []  # the harness cleans up its temp journal


def test_bench_of_an_unknown_harness_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["bench", "nothing"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    # `sequex ... | head -1`: the pipe closes while the command still prints. The output is
    # several times a pipe's buffer, so the command is still writing when the reader goes.
    import json
    import subprocess
    import sys

    commands = tmp_path / "commands.jsonl"
    lines = [{"type": "open_account", "firm": "F", "account": "A"}]
    lines += [{"type": "deposit", "account": "A", "asset": "CASH", "amount": 1}] * 5000
    commands.write_text("".join(json.dumps(line) + "\n" for line in lines))
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "tools.cli", "simulate", "--in", str(commands), "--out", "-"]
    proc = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.read(10)  # then close our end long before the events are written out
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert first.startswith(b'{"seq":1,') and "Traceback" not in err and err == "", err
