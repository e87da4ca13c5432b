"""OUCH tokens are day-unique per session: an Enter Order or a Replace Order that would bring a
token the session used today into use again is ignored (OUCH 4.2: inbound messages may be
repeated benignly), whether the token's order is live or long done, across a host restart,
until the EndOfDay of its symbol."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.domain.types import Command, NewOrder, ReplaceOrder
from engine.gateway.ouch_orders import OuchOrders
from engine.gateway.outbound import OrderReport, OutboundProjection, ReportKind
from engine.protocols.ouch.inbound import EnterOrder
from engine.protocols.ouch.inbound import ReplaceOrder as OuchReplace
from engine.protocols.ouch.outbound import Accepted, Replaced
from tests.engine.gateway_harness import Host, gateway_host
from tests.engine.test_ouch_gateway import DAY, Ouch, enter

GTC = 99999


@pytest.fixture
def host() -> Iterator[Host]:
    with gateway_host() as running:
        yield running


def _next_token(client: Ouch, token: str) -> object:
    """Send an order with a fresh ``token``; its answer must be the next message (so whatever
    was sent before it was answered with nothing)."""
    client.send(enter(token, "B", 1, 900_000))
    (_, answer), = client.messages(1)  # fmt: skip
    assert isinstance(answer, Accepted) and answer.token == token, answer
    return answer


def test_a_replace_to_a_token_used_today_is_ignored(host: Host) -> None:
    alpha = Ouch(host, "ALPHA1", "alpha-pass")
    try:
        alpha.send(enter("R-1", "B", 10, 1_000_000))
        alpha.send(enter("R-2", "B", 10, 1_000_000))
        assert [type(m) for _, m in alpha.messages(2)] == [Accepted, Accepted]
        alpha.send(OuchReplace("R-1", "R-2", 20, 1_000_000, DAY))  # R-2 is live: ignored
        _next_token(alpha, "R-9")
        alpha.send(OuchReplace("R-1", "R-3", 20, 1_000_000, DAY))
        (_, replaced), = alpha.messages(1)  # fmt: skip
        assert isinstance(replaced, Replaced) and replaced.token == "R-3"
        alpha.send(OuchReplace("R-3", "R-1", 5, 1_000_000, DAY))  # R-1 is done, but today's
        alpha.send(enter("R-1", "B", 5, 1_000_000))
        _next_token(alpha, "R-10")
    finally:
        alpha.close()


def test_end_of_day_frees_the_days_tokens_but_not_a_live_orders(host: Host) -> None:
    alpha = Ouch(host, "ALPHA1", "alpha-pass")
    try:
        alpha.send(enter("D-1", "B", 10, 1_000_000))
        alpha.send(EnterOrder("G-1", "B", 10, "ACME", 900_000, GTC))
        assert [type(m) for _, m in alpha.messages(2)] == [Accepted, Accepted]
        admin = host.client()
        try:
            assert admin.login(None, "admin-pass")["type"] == "login_ok"
            admin.send({"type": "end_of_day", "symbol": "ACME"})
            assert admin.read_until(lambda m: m.get("type") == "day_ended")
        finally:
            admin.close()
        alpha.messages(1)  # D-1 (a DAY order) expired at the end of its day
        alpha.send(enter("G-1", "B", 10, 900_000))  # the GTC order is live: still taken
        _next_token(alpha, "D-1")  # a new day: D-1 names a new order
    finally:
        alpha.close()


def test_the_days_tokens_survive_a_host_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with gateway_host(data_dir=data) as first:
        alpha = Ouch(first, "ALPHA1", "alpha-pass")
        try:
            alpha.send(EnterOrder("S-1", "B", 10, "ACME", 1_000_000, 0))  # IOC: ends at once
            assert len(alpha.messages(2)) == 2  # Accepted, Canceled
        finally:
            alpha.close()
        exchange, last_seq = first.pipeline.exchange, first.pipeline.last_seq
    with gateway_host(data_dir=data, exchange=exchange, base_seq=last_seq, setup=False) as host:
        alpha = Ouch(host, "ALPHA1", "alpha-pass", sequence=3)
        try:
            alpha.send(enter("S-1", "B", 10, 1_000_000))  # resent after the restart: ignored
            _next_token(alpha, "S-2")
        finally:
            alpha.close()


# -- the translation alone (no sockets) -------------------------------------------------------


def _orders(taken: set[tuple[int, str]]) -> tuple[OuchOrders, list[tuple[str, str]]]:
    refused: list[tuple[str, str]] = []
    projection = OutboundProjection()
    orders = OuchOrders(lambda: projection, lambda o, t: (o, t) in taken)
    return orders, refused


def test_an_enter_with_a_token_the_day_names_is_ignored_without_an_answer() -> None:
    orders, refused = _orders({(7, "used")})
    add = lambda token, reason: refused.append((token, reason))  # noqa: E731
    message = EnterOrder("used", "B", 10, "ACME", 1_000_000, DAY)
    assert orders.command(7, "ALPHA", "ALPHA-1", message, add) is None and refused == []
    fresh = orders.command(8, "ALPHA", "ALPHA-1", message, add)  # another session's day
    assert isinstance(fresh, NewOrder) and fresh.client_order_id == "used"
    # entered and not answered yet: taken as well
    assert orders.command(8, "ALPHA", "ALPHA-1", message, add) is None and refused == []


def test_a_replacement_token_is_taken_from_its_sending_until_the_day_has_it() -> None:
    day: set[tuple[int, str]] = set()
    orders, _ = _orders(day)
    refuse = lambda token, reason: None  # noqa: E731
    entered = orders.command(7, "ALPHA", "A-1", EnterOrder("X", "B", 10, "ACME", 100, DAY), refuse)
    assert isinstance(entered, NewOrder)
    commands: list[Command] = [entered]
    orders.sequenced(7, commands, [5])
    replace = OuchReplace("X", "Y", 5, 100, DAY)
    sent = orders.command(7, "ALPHA", "A-1", replace, refuse)
    assert isinstance(sent, ReplaceOrder) and sent.client_order_id == "Y"
    assert (
        orders.command(7, "ALPHA", "A-1", EnterOrder("Y", "B", 1, "ACME", 100, DAY), refuse) is None
    )
    day.add((7, "Y"))  # the ledger noted its Replaced, then the listener hands it over
    replaced = OrderReport(
        ReportKind.REPLACED, 9, 0, 0, 5, "A-1", "ACME", 1, 1, 1, False, "Y", "X",
        5, 100, 5, 0, 0,
    )  # fmt: skip
    orders.answered(7, [(2, replaced)])
    assert (
        orders.command(7, "ALPHA", "A-1", EnterOrder("Y", "B", 1, "ACME", 100, DAY), refuse) is None
    )
    day.clear()  # its EndOfDay
    again = orders.command(7, "ALPHA", "A-1", EnterOrder("Y", "B", 1, "ACME", 100, DAY), refuse)
    assert isinstance(again, NewOrder)


def test_an_answer_ends_the_pendency_of_its_own_order_only() -> None:
    """``ouch_pending.answered``: a NEW or REJECTED report ends the pendency of the order
    under its token when that order is unsequenced or has the report's seq_no (read by
    position from a pending NewOrder, by name from anything else), and no other."""
    from engine.gateway.ouch_pending import answered

    def order(seq_no: int, token: str) -> NewOrder:
        return NewOrder(seq_no, 0, "ALPHA", "A-1", "ACME", 1, 1, 1, 5, 100, token, False)

    def report(kind: ReportKind, seq_no: int, token: str) -> OrderReport:
        return OrderReport(
            kind, seq_no, 0, 0, seq_no, "A-1", "ACME", 1, 1, 1, False, token, "", 5, 100, 5,
            0, 0,
        )  # fmt: skip

    class Other:  # not a NewOrder: its seq_no read by name
        seq_no = 4

    pending: dict[tuple[int, str], object] = {
        (7, "a"): order(3, "a"), (7, "b"): order(0, "b"), (7, "c"): order(9, "c"),
        (7, "d"): Other(), (7, "e"): order(5, "e"), (8, "a"): order(3, "a"),
    }  # fmt: skip
    numbered = [
        (1, report(ReportKind.NEW, 3, "a")),  # its own: ended
        (2, report(ReportKind.REJECTED, 6, "b")),  # unsequenced: ended
        (3, report(ReportKind.NEW, 8, "c")),  # another order's answer: kept
        (4, report(ReportKind.NEW, 4, "d")),  # by name: ended
        (5, report(ReportKind.TRADE, 5, "e")),  # not an answer: kept
    ]
    answered(pending, set(), 7, numbered)
    assert sorted(pending) == [(7, "c"), (7, "e"), (8, "a")]
