"""`sequex bench replay` with tiny counts: the figures exist, and the baseline is uncompiled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.cli import main


def test_bench_replay_prints_every_figure_with_the_pure_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["bench", "replay", "--json", "--commands", "2000", "--dir", str(tmp_path)]
    assert main([*args, "--repeats", "2", "--pure-repeats", "1"]) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("commands_per_s", "commands_per_s_min", "commands_per_s_max",
                "digest_commands_per_s", "ingest_commands_per_s", "pure_commands_per_s",
                "pure_digest_commands_per_s"):  # fmt: skip
        assert figures[key] > 0, key
    assert figures["commands_per_s_min"] <= figures["commands_per_s"]
    assert figures["commands_per_s"] <= figures["commands_per_s_max"]
    assert figures["commands"] > 2000 and figures["feedback_window"] == 1024
    assert figures["build"].startswith("compiled")
    assert list(tmp_path.iterdir()) == []  # the journal is removed
