"""NewOrderSingle / OrderCancelRequest / OrderCancelReplaceRequest into typed requests, and
every refusal with the answer FIX prescribes for it."""

from __future__ import annotations

import pytest

from engine.domain.types import OrderType, Side, TimeInForce
from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.messages import (
    CancelRefused,
    NewOrderSingle,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
    OrderRefused,
    SessionLevelReject,
    UnsupportedMessage,
    parse_application,
    reply_to,
)
from engine.protocols.fix.tags import CxlRejResponseTo, OrdRejReason, SessionRejectReason, Tag

NOW = "20240301-12:00:00.250"
NOW_NS = 1_709_294_400_250_000_000
HEADER = [(49, "ALPHA"), (56, "SEQUEX"), (34, "7"), (52, NOW)]
LIMIT_BUY = {11: "c1", 1: "ALPHA-1", 55: "ACME", 54: "1", 38: "100", 40: "2", 44: "12.3456"}


def message(msg_type: str, fields: dict[int, str], drop: tuple[int, ...] = ()) -> FixMessage:
    body = [(t, v) for t, v in {**fields, 60: fields.get(60, NOW)}.items() if t not in drop]
    return FixMessage(msg_type, ((35, msg_type), *HEADER, *body))


def new_order(**changes: str | None) -> FixMessage:
    fields = dict(LIMIT_BUY)
    for key, value in changes.items():
        tag = int(key[1:])
        if value is None:
            fields.pop(tag, None)
        else:
            fields[tag] = value
    return message("D", fields)


def test_a_limit_order_parses_into_a_typed_request() -> None:
    assert parse_application(new_order(t59="1", t18="6")) == NewOrderSingle(
        seq_num=7,
        cl_ord_id="c1",
        account="ALPHA-1",
        symbol="ACME",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        tif=TimeInForce.GTC,
        qty=100,
        price=123_456,
        post_only=True,
        transact_time_ns=NOW_NS,
    )


@pytest.mark.parametrize(
    ("fix", "tif"),
    [
        (None, TimeInForce.DAY),
        ("0", TimeInForce.DAY),
        ("3", TimeInForce.IOC),
        ("4", TimeInForce.FOK),
    ],
)
def test_time_in_force_maps_to_the_domains(fix: str | None, tif: TimeInForce) -> None:
    parsed = parse_application(new_order(t59=fix))
    assert isinstance(parsed, NewOrderSingle) and parsed.tif is tif


def test_a_market_sell_has_no_price_and_account_is_optional() -> None:
    parsed = parse_application(new_order(t40="1", t44=None, t54="2", t1=None, t59="3"))
    assert isinstance(parsed, NewOrderSingle)
    assert (parsed.order_type, parsed.price, parsed.side, parsed.account) == (
        OrderType.MARKET,
        0,
        Side.SELL,
        None,
    )


@pytest.mark.parametrize(
    ("changes", "reason", "tag"),
    [
        ({"t11": None}, SessionRejectReason.REQUIRED_TAG_MISSING, 11),
        ({"t55": None}, SessionRejectReason.REQUIRED_TAG_MISSING, 55),
        ({"t54": None}, SessionRejectReason.REQUIRED_TAG_MISSING, 54),
        ({"t38": None}, SessionRejectReason.REQUIRED_TAG_MISSING, 38),
        ({"t40": None}, SessionRejectReason.REQUIRED_TAG_MISSING, 40),
        ({"t54": "5"}, SessionRejectReason.VALUE_IS_INCORRECT, 54),
        ({"t38": "lots"}, SessionRejectReason.INCORRECT_DATA_FORMAT, 38),
        ({"t44": "12,5"}, SessionRejectReason.INCORRECT_DATA_FORMAT, 44),
        ({"t60": "yesterday"}, SessionRejectReason.INCORRECT_DATA_FORMAT, 60),
    ],
)
def test_fix_rule_breaches_get_a_session_level_reject(
    changes: dict[str, str | None], reason: SessionRejectReason, tag: int
) -> None:
    refused = parse_application(new_order(**changes))
    assert refused == SessionLevelReject(7, "D", tag, reason, refused.text)  # type: ignore[union-attr]
    reply = reply_to(refused, exec_id="x", transact_ns=NOW_NS)  # type: ignore[arg-type]
    assert reply.msg_type == "3"
    assert (reply.get(45), reply.get(371), reply.get(372), reply.get(373)) == (
        "7",
        str(tag),
        "D",
        str(int(reason)),
    )


def test_a_missing_transact_time_is_a_missing_required_tag() -> None:
    refused = parse_application(message("D", LIMIT_BUY, drop=(60,)))
    assert isinstance(refused, SessionLevelReject) and refused.ref_tag == 60


@pytest.mark.parametrize(
    ("changes", "reason", "words"),
    [
        ({"t44": "12.34567"}, OrdRejReason.OTHER, "more than 4 decimals"),
        ({"t44": "0"}, OrdRejReason.OTHER, "positive Price"),
        ({"t44": "-1"}, OrdRejReason.OTHER, "positive Price"),
        ({"t44": None}, OrdRejReason.OTHER, "positive Price"),
        ({"t40": "1"}, OrdRejReason.OTHER, "market order carries no Price"),
        ({"t38": "0"}, OrdRejReason.INCORRECT_QUANTITY, "positive"),
        ({"t38": "10.5"}, OrdRejReason.INCORRECT_QUANTITY, "whole number"),
        ({"t40": "3"}, OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC, "OrdType"),
        ({"t59": "6"}, OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC, "TimeInForce"),
        ({"t18": "6 E"}, OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC, "ExecInst"),
    ],
)
def test_orders_the_exchange_cannot_take_get_an_execution_report_reject(
    changes: dict[str, str | None], reason: OrdRejReason, words: str
) -> None:
    refused = parse_application(new_order(**changes))
    assert isinstance(refused, OrderRefused)
    assert (refused.reason, refused.cl_ord_id, refused.symbol) == (reason, "c1", "ACME")
    assert words in refused.text
    reply = reply_to(refused, exec_id="R-1", transact_ns=NOW_NS)
    assert reply.msg_type == "8"
    assert (reply.get(Tag.EXEC_TYPE), reply.get(Tag.ORD_STATUS), reply.get(103)) == (
        "8",
        "8",
        str(int(reason)),
    )
    assert (reply.get(Tag.CL_ORD_ID), reply.get(Tag.EXEC_ID), reply.get(60)) == ("c1", "R-1", NOW)


def test_an_order_cancel_request_parses() -> None:
    fields = {41: "c1", 11: "c2", 37: "1042", 55: "ACME", 54: "1"}
    assert parse_application(message("F", fields)) == OrderCancelRequest(
        seq_num=7,
        cl_ord_id="c2",
        orig_cl_ord_id="c1",
        order_id="1042",
        account=None,
        symbol="ACME",
        side=Side.BUY,
        transact_time_ns=NOW_NS,
    )
    refused = parse_application(message("F", fields, drop=(41,)))
    assert isinstance(refused, SessionLevelReject) and refused.ref_tag == 41


def test_an_order_cancel_replace_request_parses() -> None:
    fields = {41: "c1", 11: "c3", 55: "ACME", 54: "2", 38: "50", 40: "2", 44: "99.5"}
    assert parse_application(message("G", fields)) == OrderCancelReplaceRequest(
        seq_num=7,
        cl_ord_id="c3",
        orig_cl_ord_id="c1",
        order_id=None,
        account=None,
        symbol="ACME",
        side=Side.SELL,
        order_type=OrderType.LIMIT,
        qty=50,
        price=995_000,
        transact_time_ns=NOW_NS,
    )


def test_a_replace_the_exchange_cannot_take_gets_an_order_cancel_reject() -> None:
    fields = {41: "c1", 11: "c3", 37: "1042", 55: "ACME", 54: "2", 38: "-5", 40: "2", 44: "1"}
    refused = parse_application(message("G", fields))
    assert isinstance(refused, CancelRefused)
    assert refused.response_to is CxlRejResponseTo.CANCEL_REPLACE_REQUEST
    reply = reply_to(refused, exec_id="unused", transact_ns=NOW_NS)
    assert reply.msg_type == "9"
    assert (reply.get(37), reply.get(11), reply.get(41), reply.get(434), reply.get(102)) == (
        "1042",
        "c3",
        "c1",
        "2",
        "2",
    )


@pytest.mark.parametrize("msg_type", ["V", "R", "8", "AE", "H"])
def test_other_fix_application_messages_get_a_business_message_reject(msg_type: str) -> None:
    refused = parse_application(message(msg_type, {}))
    assert refused == UnsupportedMessage(7, msg_type)
    reply = reply_to(refused, exec_id="x", transact_ns=NOW_NS)
    assert (reply.msg_type, reply.get(45), reply.get(372), reply.get(380)) == (
        "j",
        "7",
        msg_type,
        "3",
    )


def test_a_poss_dup_order_says_so() -> None:
    msg = FixMessage("D", ((35, "D"), *HEADER, (43, "Y"), *LIMIT_BUY.items(), (60, NOW)))
    parsed = parse_application(msg)
    assert isinstance(parsed, NewOrderSingle) and parsed.poss_dup


def test_session_messages_are_not_the_applications() -> None:
    with pytest.raises(ValueError):
        parse_application(message("0", {}))
