"""The `sequex` dispatcher: help, unknown commands, and the bench summary format."""

from __future__ import annotations

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
