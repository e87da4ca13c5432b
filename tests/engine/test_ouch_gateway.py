"""OUCH 4.2 over SoupBinTCP against the real gateway (fake pipeline, real sockets): orders in,
Accepted / Executed / Canceled / Replaced / Rejected out, and reports that survive a
disconnect: a client that logs in again asking for sequence N gets everything from N on."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from engine.protocols.ouch.inbound import CancelOrder, EnterOrder, ReplaceOrder
from engine.protocols.ouch.outbound import (
    Accepted,
    Canceled,
    CancelReject,
    Executed,
    Rejected,
    Replaced,
)
from engine.protocols.ouch.session import OuchClientSession, OuchSequenced
from engine.protocols.soupbin.events import NEED_DATA, ConnectionClosed
from engine.protocols.soupbin.packets import SESSION_NOT_AVAILABLE, LoginAccepted, LoginRejected
from tests.engine.gateway_harness import Host, gateway_host

DAY = 99998  # OUCH market hours: a DAY order


class Ouch:
    """A blocking OUCH client with a deadline on every read."""

    def __init__(
        self, host: Host | tuple[str, int], user: str, password: str, sequence: int = 0
    ) -> None:
        address = host if isinstance(host, tuple) else host.server.ouch_address
        assert address is not None
        self.sock = socket.create_connection(address, timeout=10)
        self.session = OuchClientSession()
        self.sock.sendall(self.session.login(user, password, "", sequence))
        self.login = self._next()

    def _next(self) -> object:
        deadline = time.monotonic() + 10
        while True:
            event = self.session.next_event()
            if event is not NEED_DATA:
                return event
            assert time.monotonic() < deadline, "no answer in time"
            self.session.receive_data(self.sock.recv(65536))

    def send(self, message: EnterOrder | CancelOrder | ReplaceOrder) -> None:
        self.sock.sendall(self.session.send(message))

    def messages(self, count: int) -> list[tuple[int, object]]:
        out: list[tuple[int, object]] = []
        while len(out) < count:
            event = self._next()
            if isinstance(event, OuchSequenced):
                out.append((event.sequence, event.message))
        return out

    def rest(self) -> list[tuple[int, object]]:
        """The sequenced messages that come before the gateway closes the connection (the
        socket's timeout bounds the wait)."""
        out: list[tuple[int, object]] = []
        while True:
            event = self.session.next_event()
            if event is NEED_DATA:
                try:
                    data = self.sock.recv(65536)
                except ConnectionResetError:  # closed while something we sent was unread
                    return out
                self.session.receive_data(data)
            elif isinstance(event, OuchSequenced):
                out.append((event.sequence, event.message))
            elif isinstance(event, ConnectionClosed):
                return out

    def close(self) -> None:
        self.sock.close()


def enter(token: str, side: str, shares: int, price: int, **kw: object) -> EnterOrder:
    return EnterOrder(token, side, shares, "ACME", price, DAY, **kw)  # type: ignore[arg-type]


@pytest.fixture
def host() -> Iterator[Host]:
    with gateway_host() as running:
        yield running


def test_a_bad_password_or_user_is_refused_the_same_way(host: Host) -> None:
    for user, password in (("ALPHA1", "wrong"), ("NOPE", "alpha-pass")):
        client = Ouch(host, user, password)
        assert isinstance(client.login, LoginRejected) and client.login.code == "A"
        client.close()


def test_orders_trade_and_every_report_is_numbered_by_the_store(host: Host) -> None:
    alpha, beta = Ouch(host, "ALPHA1", "alpha-pass"), Ouch(host, "BETA1", "beta-pass")
    try:
        assert isinstance(alpha.login, LoginAccepted) and alpha.login.sequence_number == 1
        alpha.send(enter("A-BID-1", "B", 100, 1_000_000))
        (number, accepted), = alpha.messages(1)  # fmt: skip
        assert number == 1 and isinstance(accepted, Accepted)
        assert accepted.token == "A-BID-1" and accepted.shares == 100
        order_id = accepted.order_reference_number
        assert host.pipeline.exchange.open_order(order_id) is not None
        beta.send(enter("B-ASK-1", "S", 30, 990_000))
        beta_msgs = beta.messages(2)
        assert [type(m) for _, m in beta_msgs] == [Accepted, Executed]
        (_, maker_fill), = alpha.messages(1)  # fmt: skip
        assert isinstance(maker_fill, Executed)
        assert (maker_fill.executed_shares, maker_fill.execution_price) == (30, 1_000_000)
        assert maker_fill.match_number == beta_msgs[1][1].match_number  # type: ignore[union-attr]
        alpha.send(ReplaceOrder("A-BID-1", "A-BID-2", 50, 1_000_000, DAY))
        (_, replaced), = alpha.messages(1)  # fmt: skip
        assert isinstance(replaced, Replaced)
        assert (replaced.token, replaced.previous_token, replaced.shares) == (
            "A-BID-2",
            "A-BID-1",
            50,
        )
        alpha.send(CancelOrder("A-BID-2"))
        (_, canceled), = alpha.messages(1)  # fmt: skip
        assert isinstance(canceled, Canceled) and canceled.decrement_shares == 50
        alpha.send(CancelOrder("A-BID-2"))  # no longer live: ignored, as OUCH does
        alpha.send(enter("A-BAD", "B", 10, 1_000_001))  # off tick: the engine refuses
        alpha.send(EnterOrder("A-T", "B", 10, "ACME", 1_000_000, 30))  # timed: not offered
        rejects = alpha.messages(2)
        assert [type(m) for _, m in rejects] == [Rejected, Rejected]
        # the engine's (X: price off tick) and the gateway's own (O: timed orders, journaled
        # as a note), in journal order; the gateway's refusal is a numbered report too
        assert [m.reason for _, m in rejects] == ["X", "O"]  # type: ignore[union-attr]
        assert [n for n, _ in rejects] == [5, 6]
    finally:
        alpha.close()
        beta.close()


def test_a_client_that_comes_back_gets_what_it_missed_from_the_number_it_asks(
    host: Host,
) -> None:
    alpha = Ouch(host, "ALPHA1", "alpha-pass")
    alpha.send(enter("A-1", "B", 100, 1_000_000))
    alpha.messages(1)
    alpha.close()  # away: its resting bid trades meanwhile
    beta = Ouch(host, "BETA1", "beta-pass")
    beta.send(enter("B-1", "S", 40, 1_000_000))
    beta.messages(2)
    beta.close()
    host.wait_for(lambda: host.server._ledger.stores[
        host.server._ouch._sessions["ALPHA1"][1].origin].count == 2)  # fmt: skip
    again = Ouch(host, "ALPHA1", "alpha-pass", sequence=1)
    try:
        assert isinstance(again.login, LoginAccepted) and again.login.sequence_number == 1
        replayed = again.messages(2)
        assert [(n, type(m)) for n, m in replayed] == [(1, Accepted), (2, Executed)]
        again.send(CancelOrder("A-1"))
        assert [(n, type(m)) for n, m in again.messages(1)] == [(3, Canceled)]
    finally:
        again.close()
    fresh = Ouch(host, "ALPHA1", "alpha-pass", sequence=0)  # 0: only what comes next
    try:
        assert isinstance(fresh.login, LoginAccepted) and fresh.login.sequence_number == 4
        fresh.send(CancelOrder("GONE", 0))
        fresh.send(enter("A-2", "B", 10, 1_000_000))
        assert [(n, type(m)) for n, m in fresh.messages(1)] == [(4, Accepted)]
        second = Ouch(host, "ALPHA1", "alpha-pass")
        assert isinstance(second.login, LoginRejected)  # one connection per session
        second.close()
    finally:
        fresh.close()
    assert CancelReject  # rendered for a refused cancel (tests/engine/test_ouch_render.py)


def test_cancel_on_disconnect_cancels_what_the_session_left_resting() -> None:
    with gateway_host(cancel_on_disconnect=("ALPHA",)) as host:
        alpha = Ouch(host, "ALPHA1", "alpha-pass")
        alpha.send(enter("A-1", "B", 100, 990_000))
        alpha.send(enter("A-2", "S", 100, 1_020_000))
        accepted = alpha.messages(2)
        ids = [m.order_reference_number for _, m in accepted]  # type: ignore[union-attr]
        alpha.close()
        exchange = host.pipeline.exchange
        host.wait_for(lambda: all(exchange.open_order(i) is None for i in ids))
        back = Ouch(host, "ALPHA1", "alpha-pass", sequence=3)
        assert sorted(m.token for _, m in back.messages(2)) == ["A-1", "A-2"]  # type: ignore[union-attr]
        back.close()
        beta = Ouch(host, "BETA1", "beta-pass")  # BETA keeps its orders when it goes
        beta.send(enter("B-1", "B", 10, 990_000))
        (_, kept), = beta.messages(1)  # fmt: skip
        beta.close()
        # BETA1 can log in again only once the gateway has ended the first connection, after
        # sending any cancels of it into the sequence (had BETA cancel on disconnect): an
        # order entered after the login is sequenced after them, so once it is accepted they
        # would have been processed, and their Canceled would have taken number 2.
        again = _login_when_free(host, "BETA1", "beta-pass", sequence=2)
        again.send(enter("B-2", "B", 10, 980_000))
        assert [(n, type(m)) for n, m in again.messages(1)] == [(2, Accepted)]
        again.close()
        assert exchange.open_order(kept.order_reference_number) is not None  # type: ignore[union-attr]


def _login_when_free(host: Host, user: str, password: str, sequence: int) -> Ouch:
    """Log in as ``user`` once its previous connection has ended (each refusal for a session
    still connected is answered at once)."""
    deadline = time.monotonic() + 10
    while True:
        client = Ouch(host, user, password, sequence)
        if isinstance(client.login, LoginAccepted):
            return client
        assert isinstance(client.login, LoginRejected), client.login
        assert client.login.code == SESSION_NOT_AVAILABLE
        client.close()
        assert time.monotonic() < deadline, "the session stayed connected"


def test_a_cancel_right_behind_its_order_cancels_it_and_a_reused_token_is_ignored(
    host: Host,
) -> None:
    """One read may carry an order and its cancel: the cancel must find the order (entered in
    the same batch, not acknowledged yet); a second order with its token is ignored (OUCH
    tokens are day-unique per session), even once the order has ended."""
    alpha = Ouch(host, "ALPHA1", "alpha-pass")
    try:
        session = alpha.session
        burst = b"".join(
            session.send(message)
            for message in (
                enter("FAST-1", "B", 100, 1_000_000),
                enter("FAST-1", "B", 5, 1_000_000),  # the token is in use: ignored
                CancelOrder("FAST-1"),
            )
        )
        alpha.sock.sendall(burst)  # one write: the gateway reads it at once
        accepted, canceled = (m for _, m in alpha.messages(2))
        assert isinstance(accepted, Accepted) and isinstance(canceled, Canceled)
        assert (accepted.token, accepted.shares) == ("FAST-1", 100)
        assert canceled.decrement_shares == 100
        assert host.pipeline.exchange.open_order(accepted.order_reference_number) is None
        # ended, its token is still taken today: ignored; the next message answers FAST-2
        alpha.send(enter("FAST-1", "S", 7, 1_100_000))
        alpha.send(enter("FAST-2", "S", 7, 1_100_000))
        (_, again), = alpha.messages(1)  # fmt: skip
        assert isinstance(again, Accepted) and again.token == "FAST-2"
    finally:
        alpha.close()
