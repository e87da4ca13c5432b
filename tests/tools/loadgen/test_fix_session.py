"""The load generator's FIX 4.4 initiator, sans-IO, against the project's acceptor session
(FixSession): bytes are handed across by the test, the clock is the test's."""

from __future__ import annotations

import dataclasses

from engine.domain.types import OrderType, Side, TimeInForce
from engine.protocols.fix import reports
from engine.protocols.fix.codec import FixMessage, encode
from engine.protocols.fix.events import (
    NEED_DATA,
    PAUSED,
    ApplicationMessage,
    LogonRequest,
    SessionClosed,
    SessionNotice,
)
from engine.protocols.fix.framer import FixFramer
from engine.protocols.fix.messages import NewOrderSingle, parse_application
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.store import MemoryStore
from engine.protocols.fix.timestamps import NS_PER_SECOND, format_utc_timestamp
from tools.loadgen.clients.fix_session import NEED_DATA as INITIATOR_NEED_DATA
from tools.loadgen.clients.fix_session import (
    Broken,
    ExecReport,
    FixInitiator,
    InitiatorEvent,
    LoggedOn,
    LoggedOut,
    Refused,
)

T0 = 1_709_294_400 * NS_PER_SECOND


def events_of(initiator: FixInitiator) -> list[InitiatorEvent | object]:
    out = []
    while (event := initiator.next_event()) is not INITIATOR_NEED_DATA:
        out.append(event)
        if isinstance(event, Broken):
            break  # sticky: it would come again
    return out


def acceptor_events(acceptor: FixSession, data: bytes, now: int) -> list[object]:
    acceptor.receive_data(data, now)
    out = []
    while (event := acceptor.next_event()) is not NEED_DATA and event is not PAUSED:
        out.append(event)
        if isinstance(event, SessionClosed):
            break
    return out


def messages(data: bytes) -> list[FixMessage]:
    framer = FixFramer()
    framer.receive_data(data)
    out = []
    while isinstance(item := framer.next_event(), FixMessage):
        out.append(item)
    return out


def logged_on() -> tuple[FixInitiator, FixSession]:
    initiator = FixInitiator("ALPHA", "SEQUEX", username="ALPHA", password="alpha-pass")
    acceptor = FixSession(SessionConfig(), MemoryStore())
    initiator.logon(T0)
    [logon] = acceptor_events(acceptor, initiator.data_to_send(), T0)
    assert isinstance(logon, LogonRequest)
    acceptor.accept_logon(T0)
    initiator.receive_data(acceptor.data_to_send(), T0)
    assert events_of(initiator) == [LoggedOn()]
    return initiator, acceptor


def test_the_logon_carries_credentials_and_resets_sequence_numbers() -> None:
    initiator = FixInitiator("ALPHA-2", "SEQUEX", username="ALPHA", password="alpha-pass")
    acceptor = FixSession(SessionConfig(), MemoryStore(), next_sender_seq=40, next_target_seq=90)
    initiator.logon(T0)
    [logon] = acceptor_events(acceptor, initiator.data_to_send(), T0)
    assert isinstance(logon, LogonRequest)
    assert (logon.sender_comp_id, logon.username, logon.password) == (
        "ALPHA-2", "ALPHA", "alpha-pass",
    )  # fmt: skip
    assert logon.reset_seq_num and logon.msg_seq_num == 1 and logon.heart_bt_int == 30
    acceptor.accept_logon(T0)
    assert acceptor.next_sender_seq == 2 and acceptor.next_target_seq == 2  # both restarted
    initiator.receive_data(acceptor.data_to_send(), T0)
    assert events_of(initiator) == [LoggedOn()] and initiator.logged_on


def test_a_new_order_single_is_one_the_acceptor_takes_as_sent() -> None:
    initiator, acceptor = logged_on()
    seq = initiator.new_order(
        "ab0000000001", account="ALPHA-1", symbol="ACME", side=Side.SELL, qty=3,
        price=1_000_100, now_ns=T0 + 5, tif=TimeInForce.IOC,
    )  # fmt: skip
    assert seq == 2
    [event] = acceptor_events(acceptor, initiator.data_to_send(), T0 + 5)
    assert isinstance(event, ApplicationMessage)
    order = parse_application(event.message)
    assert isinstance(order, NewOrderSingle)
    assert (order.cl_ord_id, order.account, order.symbol, order.side) == (
        "ab0000000001", "ALPHA-1", "ACME", Side.SELL,
    )  # fmt: skip
    assert (order.qty, order.price, order.order_type, order.tif) == (
        3, 1_000_100, OrderType.LIMIT, TimeInForce.IOC,
    )  # fmt: skip
    assert order.transact_time_ns == T0  # UTCTimestamp keeps milliseconds


def test_execution_reports_become_ack_fill_reject_and_end_events() -> None:
    initiator, acceptor = logged_on()
    view = reports.OrderView(
        "7", "ab0000000001", "ACME", Side.BUY, 1, OrderType.LIMIT, 1_000_000, leaves_qty=1
    )
    filled = dataclasses.replace(view, cum_qty=1, cum_cost=1_000_000, leaves_qty=0)
    for message in (
        reports.execution_new(view, exec_id="1", transact_ns=T0, seq_no=7),
        reports.execution_trade(filled, exec_id="2", transact_ns=T0, last_qty=1, last_px=1),
        reports.execution_expired(view, exec_id="3", transact_ns=T0),
        reports.execution_rejected(
            cl_ord_id="ab0000000002", symbol="ACME", side=Side.BUY, exec_id="4",
            transact_ns=T0, reason=reports.OrdRejReason.OTHER, text="insufficient funds",
        ),
    ):  # fmt: skip
        acceptor.send(message, T0)
    initiator.receive_data(acceptor.data_to_send(), T0)
    assert events_of(initiator) == [
        ExecReport("0", "ab0000000001", ""),
        ExecReport("F", "ab0000000001", ""),
        ExecReport("C", "ab0000000001", ""),
        ExecReport("8", "ab0000000002", "insufficient funds"),
    ]


def test_a_test_request_is_answered_with_its_id() -> None:
    initiator, _acceptor = logged_on()
    header = [(49, "SEQUEX"), (56, "ALPHA"), (34, "2"), (52, format_utc_timestamp(T0))]
    initiator.receive_data(encode("1", [*header, (112, "PING-1")]), T0)
    assert events_of(initiator) == []
    [heartbeat] = messages(initiator.data_to_send())
    assert heartbeat.msg_type == "0" and heartbeat.get(112) == "PING-1"
    assert heartbeat.get(34) == "2"


def test_a_resend_request_is_answered_with_one_gap_fill() -> None:
    initiator, _ = logged_on()
    for n in range(3):
        initiator.new_order(
            f"o{n}", account="A", symbol="ACME", side=Side.BUY, qty=1, price=1, now_ns=T0
        )
    initiator.data_to_send()
    header = [(49, "SEQUEX"), (56, "ALPHA"), (34, "2"), (52, format_utc_timestamp(T0))]
    initiator.receive_data(encode("2", [*header, (7, "2"), (16, "0")]), T0)
    assert events_of(initiator) == []
    [gap_fill] = messages(initiator.data_to_send())
    assert gap_fill.msg_type == "4"
    assert (gap_fill.get(34), gap_fill.get(43), gap_fill.get(123), gap_fill.get(36)) == (
        "2", "Y", "Y", "5",
    )  # fmt: skip
    assert initiator.next_seq == 5  # a gap fill takes no new number


def test_heartbeats_go_out_after_heart_bt_int_of_silence_only() -> None:
    initiator, _ = logged_on()
    initiator.tick(T0 + 29 * NS_PER_SECOND)
    assert initiator.data_to_send() == b""
    initiator.tick(T0 + 30 * NS_PER_SECOND)
    [heartbeat] = messages(initiator.data_to_send())
    assert heartbeat.msg_type == "0" and heartbeat.get(112) is None


def test_rejects_logouts_and_lost_framing_are_events() -> None:
    initiator, _acceptor = logged_on()
    header = [(49, "SEQUEX"), (56, "ALPHA"), (52, format_utc_timestamp(T0))]
    initiator.receive_data(
        encode("3", [*header, (34, "2"), (45, "7"), (373, "1"), (58, "tag missing")])
        + encode("j", [*header, (34, "3"), (45, "x"), (372, "D"), (380, "3")])
        + encode("5", [*header, (34, "4"), (58, "bye")])
        + b"garbage",
        T0,
    )
    events = events_of(initiator)
    assert events[:3] == [Refused(7, "tag missing"), Refused(None, "j"), LoggedOut("bye")]
    [broken] = events[3:]
    assert isinstance(broken, Broken) and "framing lost" in broken.text


def test_the_end_of_input_is_a_broken_session() -> None:
    initiator, _ = logged_on()
    initiator.receive_data(b"", T0)
    assert initiator.next_event() == Broken("the acceptor closed the connection")


def test_what_the_initiator_sends_raises_no_session_reject() -> None:
    initiator, acceptor = logged_on()
    initiator.new_order(
        "z1", account="ALPHA-1", symbol="ACME", side=Side.BUY, qty=1, price=10_000, now_ns=T0
    )
    initiator.tick(T0 + 31 * NS_PER_SECOND)
    initiator.logout(T0 + 31 * NS_PER_SECOND)
    events = acceptor_events(acceptor, initiator.data_to_send(), T0 + 31 * NS_PER_SECOND)
    assert not [e for e in events if isinstance(e, SessionNotice)], events
    assert acceptor.closed  # our Logout was answered and the session ended cleanly
