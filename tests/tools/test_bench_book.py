"""`sequex bench book` with tiny counts: the figures exist and are consistent."""

from __future__ import annotations

import json

import pytest

from tools.cli import main


def test_bench_book_prints_every_figure_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "book", "--json", "--commands", "3000", "--deep-commands", "2000"]
    assert main([*args, "--repeats", "3", "--deep-repeats", "1", "--pure-repeats", "1"]) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("commands_per_s", "commands_per_s_min", "commands_per_s_max",
                "deep_commands_per_s", "deep_ratio", "events_per_command",
                "baseline_dict_deque_ops_per_s", "lean_ceiling_ops_per_s",
                "lean_ceiling_plain_tuples_ops_per_s", "pure_commands_per_s",
                "pure_deep_commands_per_s", "speedup"):  # fmt: skip
        assert figures[key] > 0, key
    assert figures["commands_per_s_min"] <= figures["commands_per_s"]
    assert figures["commands_per_s"] <= figures["commands_per_s_max"]
    assert (figures["commands"], figures["deep_commands"]) == (3000, 2000)
    assert figures["build"].startswith("compiled") and figures["pure_repeats"] == 1
