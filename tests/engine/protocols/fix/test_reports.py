"""The outbound application builders: what each ExecutionReport says, and that every message
survives the wire (encode, frame, decode) unchanged."""

from __future__ import annotations

import pytest

from engine.domain.types import OrderType, RejectReason, Side
from engine.protocols.fix import reports
from engine.protocols.fix.codec import OutboundMessage, decode_fields, encode
from engine.protocols.fix.tags import CxlRejReason, OrdRejReason
from tests.engine.protocols.fix.peer import T0, body_of
from tests.engine.protocols.fix.test_quickfix_dictionary import (
    LIMIT,
    MARKET,
    PARTIAL,
    outbound_admin_messages,
    outbound_app_messages,
    refusal_replies,
)


def summary(message: OutboundMessage, *tags: int) -> tuple[str | None, ...]:
    return tuple(message.get(tag) for tag in tags)


def test_the_new_ack_carries_the_seq_no_in_secondary_order_id() -> None:
    ack = reports.execution_new(LIMIT, exec_id="1042-0", transact_ns=T0, seq_no=1042)
    assert summary(ack, 37, 198, 11, 17, 150, 39) == ("1042", "1042", "c-1", "1042-0", "0", "0")
    assert summary(ack, 1, 55, 54, 38, 40, 44, 59) == (
        "ALPHA-1",
        "ACME",
        "1",
        "300",
        "2",
        "123.45",
        "1",
    )
    assert summary(ack, 151, 14, 6, 60) == ("300", "0", "0", "20240301-12:00:00.000")


def test_a_partial_fill_reports_last_and_cumulative_quantities() -> None:
    fill = reports.execution_trade(
        PARTIAL, exec_id="e1", transact_ns=T0, last_qty=100, last_px=1_234_400
    )
    assert summary(fill, 150, 39, 32, 31, 151, 14, 6) == (
        "F",
        "1",
        "100",
        "123.44",
        "200",
        "100",
        "123.44",
    )


def test_the_last_fill_reports_the_order_filled() -> None:
    filled = reports.OrderView(
        "9", "c", "ACME", Side.SELL, 10, OrderType.LIMIT, 10_000, 10, 10 * 10_001, 0
    )
    fill = reports.execution_trade(filled, exec_id="e2", transact_ns=T0, last_qty=4, last_px=10_001)
    assert summary(fill, 39, 151, 14, 6) == ("2", "0", "10", "1.0001")


def test_a_market_order_report_has_no_price() -> None:
    report = reports.execution_expired(MARKET, exec_id="x", transact_ns=T0)
    assert summary(report, 40, 44, 150, 39, 151, 14) == ("1", None, "C", "C", "0", "30")


def test_canceled_and_replaced_reports_name_the_orig_cl_ord_id() -> None:
    view = reports.OrderView(
        "9",
        "c-2",
        "ACME",
        Side.BUY,
        300,
        OrderType.LIMIT,
        10_000,
        leaves_qty=300,
        orig_cl_ord_id="c-1",
    )
    canceled = reports.execution_canceled(view, exec_id="x", transact_ns=T0)
    replaced = reports.execution_replaced(view, exec_id="y", transact_ns=T0)
    assert summary(canceled, 11, 41, 150, 39, 151) == ("c-2", "c-1", "4", "4", "0")
    assert summary(replaced, 11, 41, 150, 39, 151) == ("c-2", "c-1", "5", "0", "300")


def test_a_replaced_order_that_traded_is_partially_filled() -> None:
    replaced = reports.execution_replaced(PARTIAL, exec_id="y", transact_ns=T0)
    assert summary(replaced, 150, 39) == ("5", "1")


@pytest.mark.parametrize(
    ("reason", "ord_rej", "cxl_rej"),
    [
        (
            RejectReason.UNKNOWN_SYMBOL,
            OrdRejReason.UNKNOWN_SYMBOL,
            CxlRejReason.BROKER_EXCHANGE_OPTION,
        ),
        (
            RejectReason.SYMBOL_HALTED,
            OrdRejReason.EXCHANGE_CLOSED,
            CxlRejReason.BROKER_EXCHANGE_OPTION,
        ),
        (
            RejectReason.INVALID_QTY,
            OrdRejReason.INCORRECT_QUANTITY,
            CxlRejReason.BROKER_EXCHANGE_OPTION,
        ),
        (RejectReason.UNKNOWN_ORDER, OrdRejReason.UNKNOWN_ORDER, CxlRejReason.UNKNOWN_ORDER),
        (RejectReason.NOT_ORDER_OWNER, OrdRejReason.OTHER, CxlRejReason.UNKNOWN_ORDER),
        (RejectReason.INSUFFICIENT_CASH, OrdRejReason.OTHER, CxlRejReason.BROKER_EXCHANGE_OPTION),
    ],
)
def test_domain_reject_reasons_map_to_fix_codes(
    reason: RejectReason, ord_rej: OrdRejReason, cxl_rej: CxlRejReason
) -> None:
    assert reports.ord_rej_reason_for(reason) is ord_rej
    assert reports.cxl_rej_reason_for(reason) is cxl_rej


def test_every_domain_reject_reason_has_a_fix_code() -> None:
    for reason in RejectReason:
        assert isinstance(reports.ord_rej_reason_for(reason), OrdRejReason)
        assert isinstance(reports.cxl_rej_reason_for(reason), CxlRejReason)


def test_texts_are_made_safe_for_the_wire() -> None:
    rejected = reports.execution_rejected(
        cl_ord_id="c",
        symbol="ACME",
        side=Side.BUY,
        exec_id="x",
        transact_ns=T0,
        reason=OrdRejReason.OTHER,
        text="bad\x01value \u2603 " + "y" * 500,
    )
    text = rejected.get(58) or ""
    assert "\x01" not in text and len(text) == 200 and text.isascii()


ALL = {**outbound_app_messages(), **outbound_admin_messages(), **refusal_replies()}


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_outbound_message_round_trips_through_the_codec(name: str) -> None:
    message = ALL[name]
    raw = encode(message.msg_type, message.body)
    decoded = decode_fields(body_of(raw), raw)
    assert decoded.problem is None
    assert decoded.msg_type == message.msg_type
    assert decoded.fields[1:] == message.body
