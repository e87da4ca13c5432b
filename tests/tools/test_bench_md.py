"""`sequex bench md` with tiny counts: every figure exists, and the baseline is uncompiled."""

from __future__ import annotations

import json

import pytest

from tools.cli import main


def test_bench_md_prints_every_figure_with_the_pure_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["bench", "md", "--json", "--commands", "3000", "--repeats", "2", "--pure-repeats", "1"]
    assert main(args) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("events_per_s", "events_per_s_min", "events_per_s_max", "records_per_s",
                "messages_per_s", "datagrams_per_s", "pure_events_per_s", "speedup"):  # fmt: skip
        assert figures[key] > 0, key
    assert figures["events_per_s_min"] <= figures["events_per_s"] <= figures["events_per_s_max"]
    assert figures["market_events"] > 1_000 and figures["send_drops"] == 0
    assert 1_000 < figures["bytes_per_datagram"] <= 1_400  # full datagrams
    assert figures["build"].startswith("compiled") and figures["listener"]
