"""FIX 4.4 against the real gateway (fake pipeline, real sockets), with a raw FIX client:
logons, orders in, ExecutionReports and OrderCancelRejects out. Every message the gateway
sends in these tests passes QuickFIX's FIX 4.4 data dictionary (``Clients.close``)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import pytest

from engine.config import HostConfig
from engine.gateway.fix_logon import LOGON_REFUSED, SESSION_BUSY
from engine.gateway.fix_orders import BAD_CL_ORD_ID
from engine.protocols.fix.codec import FixMessage
from tests.engine.fix_client import Clients, FixClient, fields
from tests.engine.gateway_harness import Host, gateway_host


@pytest.fixture
def host() -> Iterator[Host]:
    with gateway_host() as running:
        yield running


@pytest.fixture
def fix(host: Host) -> Iterator[Clients]:
    clients = Clients(host.fix_address)
    yield clients
    clients.close()


def report(client: FixClient) -> FixMessage:
    """The next ExecutionReport (asserted)."""
    msg = client.app()
    assert msg.msg_type == "8", msg.fields
    return msg


def answer_without_header(msg: FixMessage) -> list[tuple[int, str]]:
    """What a message says, without its number and times."""
    return [(t, v) for t, v in msg.fields if t not in (34, 52, 60)]


def test_a_wrong_session_firm_or_password_gets_one_and_the_same_logout(
    host: Host, fix: Clients
) -> None:
    for comp_id, username, password in (
        ("ALPHAFIX", "ALPHA", "wrong"),
        ("ALPHAFIX", "BETA", "beta-pass"),  # a firm that is not the session's
        ("NOPE", "ALPHA", "alpha-pass"),
    ):
        client = fix.connect(comp_id)
        answer = client.logon(username, password)
        assert (answer.msg_type, answer.get(58)) == ("5", LOGON_REFUSED)
        assert client.is_closed()
    wrong_target = FixClient(host.fix_address, target="NASDAQ")
    fix.made.append(wrong_target)
    answer = wrong_target.logon()
    assert (answer.msg_type, answer.get(58)) == ("5", "TargetCompID(56) must be SEQUEX")
    first = fix.logged_on()  # none of that used the session's numbers: it starts at 1
    assert first.received[0].seq_num == 1
    second = fix.connect()
    answer = second.logon()
    assert (answer.msg_type, answer.get(58)) == ("5", SESSION_BUSY)  # one connection each
    assert first.still_up("still-here")


def test_an_order_is_acked_with_its_order_id_and_seq_no_and_fills_carry_cum_qty_and_avg_px(
    host: Host, fix: Clients
) -> None:
    alpha, beta = fix.logged_on(), fix.logged_on("BETAFIX")
    beta.new_order("b1", "2", 30, "100")
    beta.new_order("b2", "2", 50, "100.03")
    assert [fields(report(beta), 150, 11) for _ in range(2)] == [("0", "b1"), ("0", "b2")]
    alpha.new_order("a1", "1", 100, "100.05")
    ack = report(alpha)
    assert fields(ack, 150, 39, 11, 38, 44, 151, 14, 6) == (
        "0", "0", "a1", "100", "100.05", "100", "0", "0",
    )  # fmt: skip
    order_id, seq_no = ack.get(37), ack.get(198)
    assert order_id is not None and seq_no == str(host.pipeline.last_seq)
    assert host.pipeline.exchange.open_order(int(order_id)) is not None
    first, second = report(alpha), report(alpha)
    assert fields(first, 150, 39, 37, 32, 31, 14, 6, 151) == (
        "F", "1", order_id, "30", "100", "30", "100", "70",
    )  # fmt: skip
    # (30 x 100.00 + 50 x 100.03) / 80, exactly
    assert fields(second, 150, 39, 32, 31, 14, 6, 151) == (
        "F", "1", "50", "100.03", "80", "100.01875", "20",
    )  # fmt: skip
    assert first.get(17) != second.get(17)  # ExecIDs are unique
    beta.new_order("b3", "2", 20, "100.05")
    last = report(alpha)
    assert fields(last, 150, 39, 32, 31, 14, 6, 151) == (
        "F", "2", "20", "100.05", "100", "100.025", "0",
    )  # fmt: skip
    assert [fields(report(beta), 150, 11) for _ in range(4)] == [
        ("F", "b1"), ("F", "b2"), ("0", "b3"), ("F", "b3"),
    ]  # fmt: skip


def test_a_replace_then_a_cancel_follow_the_clordid_chain(host: Host, fix: Clients) -> None:
    alpha = fix.logged_on()
    alpha.new_order("a1", "1", 100, "99")
    order_id = report(alpha).get(37)
    alpha.replace("a2", "a1", "1", 60, "99.5")
    replaced = report(alpha)
    assert fields(replaced, 150, 39, 37, 11, 41, 38, 44, 151) == (
        "5", "0", order_id, "a2", "a1", "60", "99.5", "60",
    )  # fmt: skip
    alpha.cancel("a3", "a2")
    canceled = report(alpha)
    assert fields(canceled, 150, 39, 37, 11, 41, 151) == ("4", "4", order_id, "a3", "a2", "0")
    assert order_id is not None and host.pipeline.exchange.open_order(int(order_id)) is None
    alpha.cancel("a4", "a3")  # gone: unknown
    reject = alpha.app()
    assert fields(reject, 35, 434, 102, 11, 41, 39) == ("9", "1", "1", "a4", "a3", "8")
    alpha.new_order("a5", "1", 10, "99")
    report(alpha)
    alpha.replace("a6", "a5", "2", 10, "99")  # the side cannot change
    assert fields(alpha.app(), 35, 434, 102, 39) == ("9", "2", "2", "0")


def _one_read_of_orders(alpha: FixClient, corked: bool) -> dict[str, list[tuple[str, ...]]]:
    """Orders, a cancel between them and reused ClOrdIDs, sent in one write or one by one;
    what each ClOrdID was answered."""
    alpha.new_order("c0", "1", 10, "90")
    assert report(alpha).get(150) == "0"  # live before the rest is sent
    with alpha.corked() if corked else contextlib.nullcontext():
        alpha.new_order("c1", "1", 10, "99")
        alpha.new_order("c2", "1", 10, "98")
        alpha.cancel("c3", "c0")  # not an order of the batch: the batch goes in before it
        alpha.new_order("c2", "1", 10, "97")  # reuses a ClOrdID of the same read
        alpha.new_order("c4", "1", 10, "96")
        alpha.new_order("c4", "1", 10, "95")  # and again, with no cancel between
    answers: dict[str, list[tuple[str, ...]]] = {}
    for _ in range(6):
        msg = alpha.app()
        got = fields(msg, 35, 150, 39, 41, 103, 38, 44)
        answers.setdefault(str(msg.get(11)), []).append(tuple(str(v) for v in got))
    return answers


@pytest.mark.parametrize("corked", [False, True])
def test_the_orders_of_one_read_see_each_other_as_when_sent_one_by_one(
    host: Host, fix: Clients, corked: bool
) -> None:
    answers = _one_read_of_orders(fix.logged_on(), corked)
    # (a refusal is the gateway's own answer: it may come before the acks of earlier orders)
    ack, dup = ("8", "0", "0", "None", "None", "10"), ("8", "8", "8", "None", "6", "10", "None")
    assert {clid: sorted(got) for clid, got in answers.items()} == {
        "c1": [(*ack, "99")],
        "c3": [("8", "4", "4", "c0", "None", "10", "90")],
        "c2": [(*ack, "98"), dup],
        "c4": [(*ack, "96"), dup],
    }


def test_an_order_can_be_cancelled_or_replaced_before_its_ack(host: Host, fix: Clients) -> None:
    alpha = fix.logged_on()
    with alpha.corked():  # in one read: the orders are in flight when the requests come
        alpha.new_order("p1", "1", 10, "99")
        alpha.cancel("p2", "p1")
        alpha.new_order("p3", "1", 10, "98")
        alpha.replace("p4", "p3", "1", 6, "98.5")
        alpha.cancel("p5", "p4")  # the replace is in flight too: by its ClOrdID
        alpha.new_order("p6", "1", 10, "99.005")  # off tick: the exchange rejects it
        alpha.cancel("p7", "p6")  # so it rejects the cancel too
        alpha.new_order("p8", "1", 10, "99.005")
        alpha.replace("p9", "p8", "1", 5, "99")  # and a replace of one it rejects
    answers, response_to = {}, {}
    for _ in range(9):
        msg = alpha.app()
        answers.setdefault(str(msg.get(11)), []).append(fields(msg, 35, 150, 39, 41, 38, 44))
        response_to[str(msg.get(11))] = msg.get(434)
    assert answers == {
        "p1": [("8", "0", "0", None, "10", "99")],
        "p2": [("8", "4", "4", "p1", "10", "99")],
        "p3": [("8", "0", "0", None, "10", "98")],
        "p4": [("8", "5", "0", "p3", "6", "98.5")],
        "p5": [("8", "4", "4", "p4", "6", "98.5")],
        "p6": [("8", "8", "8", None, "10", None)],
        # the exchange's answer: the order never was, so 41 is the request's own OrigClOrdID
        # (journaled with the cancel or the replace: it comes from the journal like the rest)
        "p7": [("9", None, "8", "p6", None, None)],
        "p8": [("8", "8", "8", None, "10", None)],
        "p9": [("9", None, "8", "p8", None, None)],
    }
    assert (response_to["p7"], response_to["p9"]) == ("1", "2")  # a cancel's, a replace's
    assert all(
        host.pipeline.exchange.open_order(int(m.get(37) or 0)) is None
        for m in alpha.received
        if m.get(37) not in (None, "NONE")
    )


def test_another_firms_order_is_answered_exactly_as_an_unknown_one(
    host: Host, fix: Clients
) -> None:
    alpha, beta = fix.logged_on(), fix.logged_on("BETAFIX")
    beta.new_order("b1", "2", 10, "101")
    beta_order = report(beta).get(37)
    assert beta_order is not None

    def try_beta_order() -> list[list[tuple[int, str]]]:
        alpha.cancel("x1", "b1", "2")  # by its ClOrdID
        alpha.cancel("x2", "zz", "2", order_id=beta_order)  # by its OrderID
        alpha.replace("x3", "b1", "2", 5, "101", order_id=beta_order)
        answers = [alpha.app() for _ in range(3)]
        assert [fields(m, 35, 434, 102) for m in answers] == [
            ("9", "1", "1"), ("9", "1", "1"), ("9", "2", "1"),
        ]  # fmt: skip
        return [answer_without_header(m) for m in answers]

    while_live = try_beta_order()
    assert host.pipeline.exchange.open_order(int(beta_order)) is not None  # untouched
    beta.cancel("b2", "b1", "2")
    assert report(beta).get(150) == "4"
    assert try_beta_order() == while_live  # now truly unknown: the very same answers


def test_what_the_gateway_refuses_itself_is_answered_and_the_session_stays_up(
    host: Host, fix: Clients
) -> None:
    alpha = fix.logged_on()
    alpha.new_order("x" * 21, "1", 10, "99")
    assert fields(report(alpha), 150, 39, 103, 58) == ("8", "8", "99", BAD_CL_ORD_ID)
    alpha.new_order("a1", "1", 10, "99", account="BETA-1")  # another firm's account
    assert fields(report(alpha), 150, 103) == ("8", "15")
    alpha.new_order("a1", "1", 10, "99", account="ALPHA-1")
    assert fields(report(alpha), 150, 1) == ("0", "ALPHA-1")
    alpha.new_order("a1", "1", 10, "98")  # the ClOrdID of a live order
    assert fields(report(alpha), 150, 103) == ("8", "6")
    alpha.new_order("a2", "1", 10, "99.005")  # off the 0.01 tick: the engine refuses it
    assert fields(report(alpha), 150, 39, 103, 58, 37) == (
        "8", "8", "99", "price off tick", "NONE",
    )  # fmt: skip
    alpha.send("H", [(11, "s1"), (55, "ACME"), (54, "1")])  # OrderStatusRequest: not served
    assert fields(alpha.app(), 35, 380, 372) == ("j", "3", "H")
    alpha.send("D", [(11, "a3"), (55, "ACME"), (60, "20260101-00:00:00"), (38, "1"), (40, "2")])
    assert fields(alpha.app(), 35, 373, 371) == ("3", "1", "54")  # Side missing
    assert alpha.still_up("up")


def _throttle_alpha(config: HostConfig) -> HostConfig:
    firms = []
    for firm in config.firms:
        sessions = tuple(
            dataclasses.replace(s, max_messages_per_second=3) if s.name == "ALPHAFIX" else s
            for s in firm.sessions
        )
        firms.append(dataclasses.replace(firm, sessions=sessions))
    return dataclasses.replace(config, firms=tuple(firms))


def test_orders_over_the_sessions_rate_are_rejected_with_a_reason_and_it_stays_up() -> None:
    with gateway_host(configure=_throttle_alpha) as host:
        clients = Clients(host.fix_address)
        try:
            alpha = clients.logged_on()
            for i in range(6):
                alpha.new_order(f"t{i}", "1", 1, "90")
            answers = [report(alpha) for _ in range(6)]
            assert sorted(m.get(150) for m in answers) == ["0"] * 3 + ["8"] * 3
            refused = [m for m in answers if m.get(150) == "8"]
            assert {m.get(58) for m in refused} == {"throttled: more than 3 messages per second"}
            assert alpha.still_up("alive")
        finally:
            clients.close()


def test_what_an_ioc_order_cannot_fill_expires(host: Host, fix: Clients) -> None:
    alpha, beta = fix.logged_on(), fix.logged_on("BETAFIX")
    beta.new_order("b1", "2", 30, "100")
    report(beta)
    alpha.new_order("a1", "1", 50, "100", tif="3")
    answers = [report(alpha) for _ in range(3)]
    assert [fields(m, 150, 39, 14, 151) for m in answers] == [
        ("0", "0", "0", "50"), ("F", "1", "30", "20"), ("C", "C", "30", "0"),
    ]  # fmt: skip
    assert answers[0].get(59) == "3"
