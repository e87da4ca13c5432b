"""`sequex bench pipeline` with tiny counts: every figure, the pure baseline really pure, and a
paced run that measured exactly the commands it injected at the rate asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.cli import main


def test_bench_pipeline_fused_with_a_paced_run_and_the_pure_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["bench", "pipeline", "--json", "--fused", "--no-digest", "--dir", str(tmp_path)]
    args += ["--commands", "3000", "--repeats", "1", "--pure-repeats", "1"]
    args += ["--rate", "4000", "--latency-seconds", "0.5", "--tick-us", "500", "--market-data"]
    args += ["--consumers"]
    assert main(args) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("orders_per_s", "sharded_orders_per_s", "pure_orders_per_s", "speedup",
                "exchange_commands_per_s", "exchange_w1_commands_per_s",
                "market_data_orders_per_s", "consumers_orders_per_s"):  # fmt: skip
        assert figures[key] > 0, key
    assert figures["market_data_drop"] < 1 and figures["consumers_drop"] < 1
    # the reporter was waited for until its database held every command (or the run failed);
    # one repeat: a catch-up rate exactly when it was behind
    assert 0 <= figures["reporter_behind"] <= 2 * figures["commands"]
    caught_up = figures.get("reporter_catchup_commands_per_s")
    assert (caught_up is not None and caught_up > 0) == (figures["reporter_behind"] > 0)
    assert figures["build"].startswith("compiled")
    assert (figures["topology"], figures["output_digest"], figures["pure_repeats"]) == (
        "fused",
        False,
        1,
    )
    # 4000 orders/s for 0.5 s: 2000 commands, each one latency sample (its first report)
    assert figures["latency_samples"] == 2000
    assert (figures["latency_rate_per_s"], figures["latency_tick_us"]) == (4000, 500)
    assert 0 < figures["p50_us"] <= figures["p99_us"] <= figures["p999_us"]
    assert list(tmp_path.iterdir()) == []  # the journals are removed
