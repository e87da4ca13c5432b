"""`sequex bench gateway` with tiny counts: it does the whole job it times, and reports it."""

from __future__ import annotations

import json

import pytest

from tools.cli import main


def test_bench_gateway_takes_in_and_answers_every_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "gateway", "--json", "--orders", "400", "--repeats", "2"]) == 0
    figures = json.loads(capsys.readouterr().out)
    # every order was taken in, traded, and answered with an Accepted and an Executed
    assert figures["bytes_per_order"] == 69 + 43
    for key in (
        "in_us_per_order",
        "out_us_per_order",
        "gateway_orders_per_s",
        "in_cpu_us_per_order",
        "out_cpu_us_per_order",
    ):
        assert 0 < figures[f"{key}_min"] <= figures[key] <= figures[f"{key}_max"], key
