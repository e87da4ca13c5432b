"""The FIX adapter over a socket against an in-process acceptor built from the project's
FixSession (no host needed), and a short driver run over it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from engine.domain.types import Side, TimeInForce
from engine.protocols.fix.messages import NewOrderSingle
from tests.tools.loadgen.fake_servers import FakeFixServer
from tools.loadgen.clients import ACK, DONE, FILL, ClientError, Identity, OrderSpec, Report
from tools.loadgen.clients.fix import FixClient
from tools.loadgen.driver import Driver, event_loop
from tools.loadgen.plan import LoadSettings

T = TypeVar("T")
ALPHA = Identity("ALPHA", "ALPHA-1", "alpha-pass")
BETA = Identity("BETA", "BETA-1", "beta-pass")
BUY = OrderSpec("ACME", Side.BUY, 1, 1_000_000)
SELL_IOC = OrderSpec("ACME", Side.SELL, 1, 1_000_000, TimeInForce.IOC)


def with_server(scenario: Callable[[FakeFixServer], Awaitable[T]]) -> tuple[FakeFixServer, T]:
    async def main() -> tuple[FakeFixServer, T]:
        server = FakeFixServer()
        await server.start()
        try:
            return server, await asyncio.wait_for(scenario(server), 20)
        finally:
            await server.stop()

    with asyncio.Runner(loop_factory=event_loop) as runner:
        return runner.run(main())


async def collect(client: FixClient, wanted: int) -> list[Report]:
    got: list[Report] = []
    async for batch in client.reports():
        got.extend(batch)
        if len(got) >= wanted:
            break
    return got


def test_new_orders_are_acked_filled_and_ended_by_their_cl_ord_ids() -> None:
    async def scenario(server: FakeFixServer) -> tuple[list[Report], list[Report]]:
        maker, taker = FixClient(ALPHA, "ab00"), FixClient(BETA, "ab01")
        await maker.connect("127.0.0.1", server.port, 5)
        await taker.connect("127.0.0.1", server.port, 5)
        maker.send_new_order(BUY)
        await maker.flush()
        made = await collect(maker, 1)
        taker.send_new_order(SELL_IOC)
        taker.send_new_order(SELL_IOC)
        await taker.flush()
        taken = await collect(taker, 4)
        made += await collect(maker, 1)
        await maker.close(1)
        await taker.close(1)
        return made, taken

    server, (made, taken) = with_server(scenario)
    assert [(k, i) for k, i, _, _ in made] == [(ACK, "ab0000000001"), (FILL, "ab0000000001")]
    assert [(k, i) for k, i, _, _ in taken] == [
        (ACK, "ab0100000001"),
        (FILL, "ab0100000001"),
        (ACK, "ab0100000002"),
        (DONE, "ab0100000002"),
    ]
    assert [(lg.sender_comp_id, lg.username, lg.password) for lg in server.logons] == [
        ("ALPHA", "ALPHA", "alpha-pass"),
        ("BETA", "BETA", "beta-pass"),
    ]
    first = server.entered[0]
    assert isinstance(first, NewOrderSingle)
    assert (first.account, first.side, first.tif) == ("ALPHA-1", Side.BUY, TimeInForce.DAY)
    assert server.notices == []  # no session-level Reject of anything we sent


def test_a_refused_logon_is_a_client_error_with_the_acceptors_text() -> None:
    async def scenario(server: FakeFixServer) -> None:
        await FixClient(Identity("BETA", "BETA-1", "wrong"), "cd00").connect(
            "127.0.0.1", server.port, 5
        )

    with pytest.raises(ClientError, match="logon refused: bad credentials"):
        with_server(scenario)


def test_a_short_driver_run_over_fix_acks_and_fills_everything() -> None:
    async def scenario(server: FakeFixServer) -> Driver:
        settings = LoadSettings(
            "127.0.0.1", server.port, 200, 1.0, 2, (ALPHA, BETA), "ACME", 1_000_000, drain=2.0
        )
        driver = Driver(settings, FixClient)
        await driver.run()
        return driver

    server, driver = with_server(scenario)
    counts = driver.counts
    # The pacing is the driver's, not the test's: a loaded machine can stall this process past
    # the send grace, and the orders it held back are counted unsent, never lost. What must hold
    # whatever the timing: every order is accounted for, every order sent is acked, and the
    # crossing flow fills all but the few left over by one side sending more than the other.
    assert counts.sent + counts.unsent == counts.planned == 200 and counts.errors == 0
    assert counts.sent >= 20 and counts.acked == counts.sent
    assert counts.filled >= counts.sent - counts.unsent - 10
    assert server.notices == []
