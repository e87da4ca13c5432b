"""Every message sequex sends, checked by QuickFIX against its FIX 4.4 data dictionary.

The messages are produced by the real code paths (the builders stamped by ``Outbound``, a
session answering a TestRequest and serving a ResendRequest), then validated by
``quickfix.Message(raw, dd, True)`` + ``DataDictionary.validate`` in a child process (see
quickfix_check), plus the required header fields from the same FIX44.xml.
"""

from __future__ import annotations

import pytest

from engine.domain.types import OrderType, RejectReason, Side, TimeInForce
from engine.protocols.fix import admin, reports
from engine.protocols.fix.codec import FixMessage, OutboundMessage, decode_fields
from engine.protocols.fix.framer import FixFramer
from engine.protocols.fix.messages import (
    CancelRefused,
    OrderRefused,
    SessionLevelReject,
    UnsupportedMessage,
    reply_to,
)
from engine.protocols.fix.outbound import Outbound
from engine.protocols.fix.store import MemoryStore
from engine.protocols.fix.tags import (
    FIX44_MSG_TYPES,
    BusinessRejectReason,
    CxlRejReason,
    CxlRejResponseTo,
    ExecType,
    OrdRejReason,
    OrdStatus,
    SessionRejectReason,
    Tag,
)
from tests.engine.protocols.fix.peer import T0, Peer, body_of, new_session
from tests.engine.protocols.fix.quickfix_check import (
    enum_values,
    fix44_msg_types,
    missing_required,
    quickfix_errors,
)

LIMIT = reports.OrderView(
    order_id="1042",
    cl_ord_id="c-1",
    symbol="ACME",
    side=Side.BUY,
    order_qty=300,
    order_type=OrderType.LIMIT,
    price=1_234_500,
    leaves_qty=300,
    account="ALPHA-1",
    tif=TimeInForce.GTC,
)
PARTIAL = reports.OrderView(
    order_id="1042",
    cl_ord_id="c-1",
    symbol="ACME",
    side=Side.BUY,
    order_qty=300,
    order_type=OrderType.LIMIT,
    price=1_234_500,
    cum_qty=100,
    cum_cost=100 * 1_234_400,
    leaves_qty=200,
)
MARKET = reports.OrderView(
    order_id="77",
    cl_ord_id="m-1",
    symbol="GLOBEX",
    side=Side.SELL,
    order_qty=50,
    order_type=OrderType.MARKET,
    price=0,
    cum_qty=30,
    cum_cost=30 * 99_999,
    leaves_qty=20,
    tif=TimeInForce.IOC,
)


def outbound_app_messages() -> dict[str, OutboundMessage]:
    """One of each application message the builders make, by a descriptive name."""
    filled = reports.OrderView(**{**_fields(PARTIAL), "cum_qty": 300, "leaves_qty": 0})
    replaced = reports.OrderView(**{**_fields(PARTIAL), "orig_cl_ord_id": "c-0"})
    t = T0 + 123_456_789
    return {
        "new limit": reports.execution_new(LIMIT, exec_id="1042-0", transact_ns=t, seq_no=1042),
        "new market": reports.execution_new(MARKET, exec_id="77-0", transact_ns=t, seq_no=77),
        "partial fill": reports.execution_trade(
            PARTIAL, exec_id="1043000000", transact_ns=t, last_qty=100, last_px=1_234_400
        ),
        "full fill": reports.execution_trade(
            filled, exec_id="1044000000", transact_ns=t, last_qty=200, last_px=1_234_400
        ),
        "canceled": reports.execution_canceled(replaced, exec_id="1045-0", transact_ns=t),
        "replaced": reports.execution_replaced(replaced, exec_id="1046-0", transact_ns=t),
        "expired": reports.execution_expired(MARKET, exec_id="78-0", transact_ns=t),
        "rejected": reports.execution_rejected(
            cl_ord_id="c-9",
            symbol="ACME",
            side=Side.SELL,
            exec_id="R-1",
            transact_ns=t,
            reason=reports.ord_rej_reason_for(RejectReason.INSUFFICIENT_SHARES),
            text="insufficient shares",
            order_qty=10,
            account="ALPHA-1",
        ),
        "rejected, no qty": reports.execution_rejected(
            cl_ord_id="c-10",
            symbol="ACME",
            side=Side.BUY,
            exec_id="R-2",
            transact_ns=t,
            reason=OrdRejReason.INCORRECT_QUANTITY,
            text="quantity 1.5 is not a whole number of shares",
        ),
        "cancel reject": reports.order_cancel_reject(
            cl_ord_id="c-11",
            orig_cl_ord_id="c-1",
            response_to=CxlRejResponseTo.CANCEL_REQUEST,
            reason=reports.cxl_rej_reason_for(RejectReason.UNKNOWN_ORDER),
            text="unknown order",
            transact_ns=t,
        ),
        "replace reject": reports.order_cancel_reject(
            cl_ord_id="c-12",
            orig_cl_ord_id="c-1",
            response_to=CxlRejResponseTo.CANCEL_REPLACE_REQUEST,
            reason=CxlRejReason.BROKER_EXCHANGE_OPTION,
            text="symbol halted",
            transact_ns=t,
            order_id="1042",
            ord_status=OrdStatus.PARTIALLY_FILLED,
            account="ALPHA-1",
        ),
        "business reject": reports.business_message_reject(
            ref_seq_num=7,
            ref_msg_type="R",
            reason=BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE,
            text="QuoteRequest is not served",
            ref_id="q-1",
        ),
    }


def outbound_admin_messages() -> dict[str, OutboundMessage]:
    return {
        "logon": admin.logon(30),
        "logon with reset": admin.logon(5, reset_seq_num=True),
        "heartbeat": admin.heartbeat(),
        "heartbeat answering a test request": admin.heartbeat("TEST-1"),
        "test request": admin.test_request("TEST-2"),
        "resend request": admin.resend_request(3, 0),
        "reject, every field": admin.reject(
            4,
            SessionRejectReason.TAG_APPEARS_MORE_THAN_ONCE,
            ref_tag=55,
            ref_msg_type="D",
            text="tag 55 appears twice",
        ),
        "reject, bare": admin.reject(5, SessionRejectReason.OTHER),
        "sequence reset": admin.sequence_reset(10, gap_fill=False),
        "gap fill": admin.sequence_reset(10, gap_fill=True),
        "logout": admin.logout(),
        "logout with text": admin.logout("MsgSeqNum too low, expecting 9 but received 3"),
    }


def refusal_replies() -> dict[str, OutboundMessage]:
    """The answers messages.reply_to builds for each kind of refusal."""
    refusals = {
        "session-level reject": SessionLevelReject(
            3, "D", 44, SessionRejectReason.INCORRECT_DATA_FORMAT, "'1,5' is not a number"
        ),
        "unsupported message": UnsupportedMessage(4, "V"),
        "order refused": OrderRefused(
            "c-1", None, "ACME", Side.BUY, 100, OrdRejReason.OTHER, "more than 4 decimals"
        ),
        "cancel refused": CancelRefused(
            "c-2",
            "c-1",
            None,
            None,
            CxlRejResponseTo.CANCEL_REPLACE_REQUEST,
            CxlRejReason.BROKER_EXCHANGE_OPTION,
            "qty must be positive",
        ),
    }
    return {k: reply_to(v, exec_id="R-7", transact_ns=T0) for k, v in refusals.items()}


def _fields(view: reports.OrderView) -> dict[str, object]:
    return {name: getattr(view, name) for name in view.__slots__}


def stamped(messages: dict[str, OutboundMessage]) -> dict[str, bytes]:
    """Each message with the session header and trailer, as it goes on the wire."""
    out = Outbound("SEQUEX", 1, MemoryStore())
    out.target_comp_id = "ALPHA"
    wire: dict[str, bytes] = {}
    for name, message in messages.items():
        out.send(message, T0 + 1_000_000)
        wire[name] = out.take()
    return wire


def session_output() -> dict[str, bytes]:
    """Messages produced by a live session: answers, a resend with PossDup and gap fills."""
    session, peer = new_session(), Peer()
    session.receive_data(peer.logon(), T0)
    session.next_event()
    session.accept_logon(T0)
    wire = {"session logon answer": session.data_to_send()}
    session.send(reports.execution_new(LIMIT, exec_id="1-0", transact_ns=T0, seq_no=1), T0)
    session.tick(T0 + 31 * 10**9)  # a Heartbeat (admin: becomes a gap fill on resend)
    session.send(reports.execution_new(MARKET, exec_id="2-0", transact_ns=T0, seq_no=2), T0)
    session.data_to_send()
    session.receive_data(peer.build("1", [(112, "ping")]), T0 + 32 * 10**9)
    session.next_event()
    wire["session heartbeat answer"] = session.data_to_send()
    session.receive_data(peer.build("2", [(7, "1"), (16, "0")]), T0 + 33 * 10**9)
    session.next_event()
    for i, raw in enumerate(_split(session.data_to_send())):
        wire[f"session resend part {i}"] = raw
    return wire


def _split(data: bytes) -> list[bytes]:
    framer = FixFramer()
    framer.receive_data(data)
    out = []
    while isinstance(event := framer.next_event(), FixMessage):
        out.append(event.raw)
    return out


def all_outbound() -> dict[str, bytes]:
    wire = stamped(outbound_app_messages())
    wire.update(stamped(outbound_admin_messages()))
    wire.update(stamped(refusal_replies()))
    wire.update(session_output())
    return wire


def test_every_outbound_message_passes_quickfix_validation() -> None:
    wire = all_outbound()
    names = list(wire)
    errors = quickfix_errors([wire[n] for n in names])
    assert {names[i]: text for i, text in errors.items()} == {}


def test_every_outbound_message_carries_the_fields_fix44_requires() -> None:
    for name, raw in all_outbound().items():
        message = decode_fields(body_of(raw), raw)
        present = {8, 9, 10} | {tag for tag, _ in message.fields}
        assert missing_required(message.msg_type, present) == set(), name


def test_resent_messages_are_flagged_poss_dup_with_their_original_sending_time() -> None:
    resent = [
        decode_fields(body_of(raw), raw)
        for name, raw in session_output().items()
        if name.startswith("session resend")
    ]
    # 1 Logon, 2 report, 3 Heartbeat, 4 report, 5 Heartbeat answering the TestRequest
    assert [(m.msg_type, m.seq_num) for m in resent] == [
        ("4", 1),
        ("8", 2),
        ("4", 3),
        ("8", 4),
        ("4", 5),
    ]
    assert all(m.get(Tag.POSS_DUP_FLAG) == "Y" and Tag.ORIG_SENDING_TIME in m for m in resent)
    assert [m.get(Tag.NEW_SEQ_NO) for m in resent if m.msg_type == "4"] == ["2", "4", "6"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([(150, "Z")], id="ExecType value outside its enumeration"),
        pytest.param([(150, "0"), (5001, "7")], id="a user-defined tag FIX44.xml lacks"),
        pytest.param([(150, "0"), (60, "2024-03-01")], id="TransactTime not a UTCTimestamp"),
    ],
)
def test_quickfix_validation_catches_what_it_should(body: list[tuple[int, str]]) -> None:
    # The control: the check above could pass by validating nothing.
    fields = [(37, "1"), (17, "x"), (39, "0"), (55, "A"), (54, "1"), (151, "1"), (14, "0")]
    fields += [(6, "0"), *body]
    raw = stamped({"x": OutboundMessage("8", tuple(fields))})["x"]
    assert quickfix_errors([raw]).keys() == {0}


def test_the_msg_type_table_matches_quickfix_fix44() -> None:
    assert fix44_msg_types() == FIX44_MSG_TYPES


def test_the_enumerations_sequex_sends_are_in_fix44() -> None:
    for tag, enum in (
        (Tag.SESSION_REJECT_REASON, SessionRejectReason),
        (Tag.BUSINESS_REJECT_REASON, BusinessRejectReason),
        (Tag.ORD_REJ_REASON, OrdRejReason),
        (Tag.CXL_REJ_REASON, CxlRejReason),
    ):
        assert {str(int(v)) for v in enum} <= enum_values(tag), tag
    for tag, str_enum in (
        (Tag.EXEC_TYPE, ExecType),
        (Tag.ORD_STATUS, OrdStatus),
        (Tag.CXL_REJ_RESPONSE_TO, CxlRejResponseTo),
    ):
        assert {v.value for v in str_enum} <= enum_values(tag), tag
