"""The JSON-lines adapter and `sequex loadgen --protocol json` against the real gateway server
(over an in-process exchange: tests/engine/gateway_harness.py)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from engine.domain.types import Side, TimeInForce
from tests.engine.gateway_harness import gateway_host
from tools.cli import main
from tools.loadgen.clients import (
    ACK,
    DONE,
    ERROR,
    FILL,
    MAKER,
    TAKER,
    ClientError,
    Identity,
    OrderSpec,
    Report,
)
from tools.loadgen.clients.json import JsonClient
from tools.loadgen.driver import event_loop

T = TypeVar("T")
ALPHA = Identity("ALPHA", "ALPHA-1", "alpha-pass")
BETA = Identity("BETA", "BETA-1", "beta-pass")
BUY = OrderSpec("ACME", Side.BUY, 1, 1_000_000)
SELL_IOC = OrderSpec("ACME", Side.SELL, 1, 1_000_000, TimeInForce.IOC)


def run(coro: Callable[[], Awaitable[T]]) -> T:
    with asyncio.Runner(loop_factory=event_loop) as runner:
        return runner.run(asyncio.wait_for(coro(), 20))  # type: ignore[arg-type]


async def collect(client: JsonClient, wanted: int) -> list[Report]:
    got: list[Report] = []
    async for batch in client.reports():
        got.extend(batch)
        if len(got) >= wanted:
            break
    return got


def test_orders_of_two_firms_are_acked_and_filled_with_their_liquidity() -> None:
    with gateway_host() as host:

        async def scenario() -> tuple[list[Report], list[Report], str, str]:
            maker, taker = JsonClient(ALPHA, "ab00"), JsonClient(BETA, "ab01")
            await maker.connect("127.0.0.1", host.port, 5)
            await taker.connect("127.0.0.1", host.port, 5)
            buy = maker.send_new_order(BUY)
            await maker.flush()
            maker_reports = await collect(maker, 1)  # the ack: the buy rests
            sell = taker.send_new_order(SELL_IOC)
            await taker.flush()
            taker_reports = await collect(taker, 2)
            maker_reports += await collect(maker, 1)
            await maker.close(1)
            await taker.close(1)
            return maker_reports, taker_reports, buy, sell

        maker_reports, taker_reports, buy, sell = run(scenario)
    assert buy == "ab0000000001" and sell == "ab0100000001"
    assert [(k, i, d) for k, i, _, d in maker_reports] == [(ACK, buy, ""), (FILL, buy, MAKER)]
    assert [(k, i, d) for k, i, _, d in taker_reports] == [(ACK, sell, ""), (FILL, sell, TAKER)]
    assert all(ts > 0 for _, _, ts, _ in maker_reports + taker_reports)


def test_an_unmatched_ioc_ends_and_a_refused_line_is_an_error_for_that_order() -> None:
    with gateway_host() as host:

        async def scenario() -> list[Report]:
            client = JsonClient(BETA, "cd00")
            await client.connect("127.0.0.1", host.port, 5)
            client.send_new_order(SELL_IOC)  # nothing rests: it expires
            client.identity = Identity("BETA", "ALPHA-1", "beta-pass")  # not BETA's account
            client._templates.clear()
            client.send_new_order(SELL_IOC)
            await client.flush()
            reports = await collect(client, 3)
            await client.close(1)
            return reports

        reports = run(scenario)
    # the refusal answers at once; the ack and the expiry come once the exchange processed it
    assert sorted((k, i, d) for k, i, _, d in reports) == [
        (ACK, "cd0000000001", ""),
        (DONE, "cd0000000001", "expired: ioc"),
        (ERROR, "cd0000000002", "not_owner"),
    ]


def test_a_wrong_password_is_refused_at_connect() -> None:
    with gateway_host() as host:

        async def scenario() -> None:
            await JsonClient(Identity("ALPHA", "ALPHA-1", "nope"), "ef00").connect(
                "127.0.0.1", host.port, 5
            )

        with pytest.raises(ClientError, match="login refused: bad_credentials"):
            run(scenario)


def test_a_server_that_never_answers_the_login_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]

        async def scenario() -> None:
            await JsonClient(ALPHA, "gh00").connect("127.0.0.1", port, 0.2)

        with pytest.raises(ClientError, match=r"no login answer .* within 0\.2 s"):
            run(scenario)


def test_loadgen_json_run_acks_and_fills_without_errors_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "latency.png"
    with gateway_host(capacity=1024) as host:
        argv = ["loadgen", "--protocol", "json", "--endpoint", f"127.0.0.1:{host.port}"]
        code = main([*argv, "--rate", "200", "--duration", "1", "--json", "--plot", str(png)])
    out = capsys.readouterr().out
    report = json.loads(out)  # exactly one JSON object, nothing else on stdout
    assert code == 0, report
    assert report["acked"] > 0 and report["filled"] > 0 and report["errors"] == 0
    assert report["planned"] == report["sent"] == 200
    assert 0 < report["ack_p50_us"] <= report["ack_p99_us"] <= report["ack_p999_us"]
    assert report["orders_per_s"] > 100
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_loadgen_prints_the_percentiles_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    with gateway_host(capacity=1024) as host:
        argv = ["loadgen", "--endpoint", f"127.0.0.1:{host.port}", "--rate", "100"]
        code = main([*argv, "--duration", "0.3", "--connections", "4"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "4 connections" in out and "order -> ack" in out and "order -> fill" in out
    assert "p50" in out and "p99.9" in out and "errors: 0" in out


def test_loadgen_without_a_host_exits_2_saying_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        code = main(["loadgen", "--endpoint", f"127.0.0.1:{port}", "--duration", "0.1"])
    assert code == 2
    assert "cannot connect to 127.0.0.1" in capsys.readouterr().err
