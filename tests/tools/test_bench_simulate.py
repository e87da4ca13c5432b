"""`sequex bench simulate`: a tiny run reports every figure (no timed assertion)."""

from __future__ import annotations

import json

import pytest

from tools.cli import main


def test_bench_simulate_reports_rates_ranges_and_the_pure_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--json", "--lines", "400", "--repeats", "2", "--pure-repeats", "1"]
    assert main(["bench", "simulate", *args]) == 0
    figures = json.loads(capsys.readouterr().out)
    for prefix in ("", "rejects_", "pure_"):
        low, mid, high = (figures[f"{prefix}lines_per_s{s}"] for s in ("_min", "", "_max"))
        assert 0 < low <= mid <= high
    assert figures["build"].startswith("compiled")
    assert figures["lines"] == figures["rejects_lines"] > 400  # the setup lines come first
    assert figures["events_per_line"] > 1 and 0.05 < figures["rejects_per_line"] < 0.5
    assert figures["speedup"] > 0 and figures["pure_repeats"] == 1
