"""The OUCH adapter against an in-process OUCH server built from the project's SoupBinTCP and
OUCH server sessions (no host needed), and a short driver run over it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import Side, TimeInForce
from engine.protocols import ouch
from engine.protocols.ouch import OuchClientSession, OuchServerSession
from engine.protocols.ouch.outbound import CancelReject
from engine.protocols.soupbin import Debug, ServerHeartbeat, encode
from tests.tools.loadgen.fake_servers import FakeOuchServer
from tools.loadgen.clients import (
    ACK,
    DONE,
    FILL,
    MAKER,
    TAKER,
    ClientError,
    Identity,
    OrderSpec,
    Report,
)
from tools.loadgen.clients.ouch import OuchClient, _report
from tools.loadgen.driver import Driver, event_loop
from tools.loadgen.plan import LoadSettings

T = TypeVar("T")
ALPHA = Identity("ALPHA", "ALPHA-1", "alpha-pass")
BETA = Identity("BETA", "BETA-1", "beta-pass")
BUY = OrderSpec("ACME", Side.BUY, 1, 1_000_000)
SELL_IOC = OrderSpec("ACME", Side.SELL, 1, 1_000_000, TimeInForce.IOC)


def with_server(scenario: Callable[[FakeOuchServer], Awaitable[T]]) -> tuple[FakeOuchServer, T]:
    async def main() -> tuple[FakeOuchServer, T]:
        server = FakeOuchServer()
        await server.start()
        try:
            return server, await asyncio.wait_for(scenario(server), 20)
        finally:
            await server.stop()

    with asyncio.Runner(loop_factory=event_loop) as runner:
        return runner.run(main())


async def collect(client: OuchClient, wanted: int) -> list[Report]:
    got: list[Report] = []
    async for batch in client.reports():
        got.extend(batch)
        if len(got) >= wanted:
            break
    return got


def test_enter_orders_are_acked_and_filled_by_their_tokens() -> None:
    async def scenario(server: FakeOuchServer) -> tuple[list[Report], list[Report]]:
        maker, taker = OuchClient(ALPHA, "ab00"), OuchClient(BETA, "ab01")
        await maker.connect("127.0.0.1", server.port, 5)
        await taker.connect("127.0.0.1", server.port, 5)
        maker.send_new_order(BUY)
        await maker.flush()
        made = await collect(maker, 1)
        taker.send_new_order(SELL_IOC)
        taker.send_new_order(SELL_IOC)  # nothing left to meet: expires
        await taker.flush()
        taken = await collect(taker, 4)
        made += await collect(maker, 1)
        await maker.close(1)
        await taker.close(1)
        return made, taken

    server, (made, taken) = with_server(scenario)
    assert [(k, i, d) for k, i, _, d in made] == [
        (ACK, "ab0000000001", ""),
        (FILL, "ab0000000001", MAKER),
    ]
    assert [(k, i, d) for k, i, _, d in taken] == [
        (ACK, "ab0100000001", ""),
        (FILL, "ab0100000001", TAKER),
        (ACK, "ab0100000002", ""),
        (DONE, "ab0100000002", "canceled: I"),
    ]
    assert [(r.username, r.password) for r in server.logins] == [
        ("ALPHA", "alpha-pass"),
        ("BETA", "beta-pass"),
    ]
    first = server.entered[0]
    assert (first.token, first.side, first.shares, first.stock, first.price) == (
        "ab0000000001", "B", 1, "ACME", 1_000_000,
    )  # fmt: skip
    assert (first.time_in_force, server.entered[1].time_in_force) == (99_998, 0)


def test_a_refused_login_is_a_client_error() -> None:
    async def scenario(server: FakeOuchServer) -> None:
        await OuchClient(Identity("ALPHA", "ALPHA-1", "wrong"), "cd00").connect(
            "127.0.0.1", server.port, 5
        )

    with pytest.raises(ClientError, match="login refused: not authorized"):
        with_server(scenario)


def test_the_sender_option_names_the_ouch_username() -> None:
    async def scenario(server: FakeOuchServer) -> None:
        client = OuchClient(Identity("ALPHA", "ALPHA-1", "beta-pass", sender="BETA"), "ef00")
        await client.connect("127.0.0.1", server.port, 5)
        await client.close(1)

    server, _ = with_server(scenario)
    assert server.logins[0].username == "BETA"


def test_a_short_driver_run_over_ouch_acks_and_fills_everything() -> None:
    async def scenario(server: FakeOuchServer) -> Driver:
        settings = LoadSettings(
            "127.0.0.1", server.port, 200, 1.0, 2, (ALPHA, BETA), "ACME", 1_000_000, drain=2.0
        )
        driver = Driver(settings, OuchClient)
        await driver.run()
        return driver

    _, driver = with_server(scenario)
    counts = driver.counts
    # The pacing is the driver's, not the test's: a loaded machine can stall this process past
    # the send grace, and the orders it held back are counted unsent, never lost. What must hold
    # whatever the timing: every order is accounted for, every order sent is acked, and the
    # crossing flow fills all but the few left over by one side sending more than the other.
    assert counts.sent + counts.unsent == counts.planned == 200 and counts.errors == 0
    assert counts.sent >= 20 and counts.acked == counts.sent
    assert counts.filled >= counts.sent - counts.unsent - 10


def test_a_symbol_ouch_cannot_carry_stops_the_connection_as_a_refusal() -> None:
    async def scenario(server: FakeOuchServer) -> Driver:
        settings = LoadSettings(
            "127.0.0.1", server.port, 100, 0.2, 2, (ALPHA, BETA), "TOOLONGNAME", 1_000_000
        )
        driver = Driver(settings, OuchClient)
        await driver.run()
        return driver

    server, driver = with_server(scenario)
    counts = driver.counts
    assert counts.sent == 0 and counts.refused == 2 and counts.unsent == counts.planned - 2
    assert server.entered == []
    assert any("stock" in reason for reason in counts.reasons)


def test_a_username_soupbintcp_cannot_carry_is_a_client_error() -> None:
    async def scenario(server: FakeOuchServer) -> None:
        identity = Identity("ALPHA", "ALPHA-1", "alpha-pass", sender="MUCH-TOO-LONG")
        await OuchClient(identity, "gh00").connect("127.0.0.1", server.port, 5)

    with pytest.raises(ClientError, match=r"cannot log in: .*username"):
        with_server(scenario)


# -- the fast reader: the same reports as the full decoder, however the bytes are cut ----------

_tokens = st.text(alphabet="ABCZ019-", min_size=1, max_size=14)
_outbound = st.one_of(
    st.builds(
        lambda t, q: ouch.Accepted(
            5, t, "B", q, "ACME", 1_000_000, 99998, "", "Y", 9, "A", "N", 0, "N", "L"
        ),
        _tokens,
        st.integers(0, 9),
    ),
    st.builds(lambda t, f: ouch.Executed(5, t, 1, 1_000_000, f, 7), _tokens, st.sampled_from("AR")),
    st.builds(lambda t, r: ouch.Canceled(5, t, 1, r), _tokens, st.sampled_from("UIQT")),
    st.builds(lambda t: ouch.Rejected(5, t, "X"), _tokens),
    st.builds(lambda t: CancelReject(5, t), _tokens),
    st.builds(lambda c: ouch.SystemEvent(5, c), st.sampled_from("SE")),
)


def _server() -> OuchServerSession:
    """A server session that has logged a client in."""
    server = OuchServerSession()
    server.receive_data(OuchClientSession().login("ALPHA1", "pw"))
    server.next_event()
    return server


def _logged_in(client: OuchClient) -> None:
    client.session.login("ALPHA1", "pw")
    assert client._login_answer(_server().accept_login("SEQUEX", 1))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(_outbound, st.just("heartbeat"), st.just("debug")), max_size=40),
    st.lists(st.integers(1, 200), max_size=12),
)
def test_the_fast_reader_gives_what_the_full_decoder_gives(
    items: list[object], cuts: list[int]
) -> None:
    server = _server()
    server.accept_login("SEQUEX", 1)
    stream = b""
    for item in items:
        if item == "heartbeat":
            stream += encode(ServerHeartbeat())
        elif item == "debug":
            stream += encode(Debug("hello"))
        else:
            stream += server.send(item)  # type: ignore[arg-type]
    expected = [
        report
        for item in items
        if not isinstance(item, str) and (report := _report(item, 1)) is not None  # type: ignore[arg-type]
    ]
    client = OuchClient(ALPHA, "ab00")
    _logged_in(client)
    got: list[Report] = []
    at = 0
    for cut in [*cuts, len(stream)]:
        got.extend(client._parse(stream[at : at + cut], 1))
        at += cut
    got.extend(client._parse(stream[at:], 1))
    assert got == expected
    assert client.session.soupbin.resume_point[1] == 1 + sum(
        not isinstance(item, str) for item in items
    )
