"""Every stored report renders to exactly one OUCH message, which decodes back as the OUCH
message it is: the store's numbers and the SoupBinTCP sequence numbers stay one and the same."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.domain.types import (
    CancelReason,
    ExpireReason,
    Liquidity,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
)
from engine.gateway.ouch_render import render
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.ouch.outbound import (
    Accepted,
    Canceled,
    CancelReject,
    Executed,
    Rejected,
    Replaced,
    decode_outbound,
)

BASE = OrderReport(
    ReportKind.NEW, 9, 0, 86_400 * 10**9 * 20_000 + 5, 9, "A-1", "ACME", int(Side.BUY),
    int(OrderType.LIMIT), int(TimeInForce.DAY), False, "TOK-2", "TOK-1", 100, 1_000_000, 60,
    40, 40_000_000, entered_seq=9,
)  # fmt: skip

CASES = [
    (replace(BASE, kind=ReportKind.NEW), Accepted),
    (replace(BASE, kind=ReportKind.REJECTED, reason=int(RejectReason.PRICE_OFF_TICK)), Rejected),
    (replace(BASE, kind=ReportKind.TRADE, last_qty=10, last_price=999_900, exec_id=77,
             liquidity=int(Liquidity.MAKER)), Executed),
    (replace(BASE, kind=ReportKind.CANCELED, reason=int(CancelReason.USER), last_qty=60),
     Canceled),
    (replace(BASE, kind=ReportKind.EXPIRED, reason=int(ExpireReason.END_OF_DAY), last_qty=60),
     Canceled),
    (replace(BASE, kind=ReportKind.REPLACED, priority_kept=True), Replaced),
    (replace(BASE, kind=ReportKind.CANCEL_REJECTED, reason=int(RejectReason.UNKNOWN_ORDER)),
     CancelReject),
    (replace(BASE, kind=ReportKind.REPLACE_REJECTED,
             reason=int(RejectReason.POST_ONLY_WOULD_TAKE)), Rejected),
    (replace(BASE, kind=ReportKind.LOCAL_REJECTED, reason=ord("O")), Rejected),
]  # fmt: skip


@pytest.mark.parametrize(("report", "cls"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_each_report_is_one_ouch_message(report: OrderReport, cls: type) -> None:
    message = render(report)
    assert type(message) is cls
    assert decode_outbound(message.encode()) == message
    assert message.timestamp == 5  # ns since midnight UTC


def test_the_fields_a_client_needs_come_through() -> None:
    accepted = render(CASES[0][0])
    assert isinstance(accepted, Accepted)
    assert (accepted.token, accepted.shares, accepted.order_reference_number) == ("TOK-2", 60, 9)
    assert (accepted.time_in_force, accepted.display, accepted.order_state) == (99998, "Y", "L")
    replaced = render(CASES[5][0])
    assert isinstance(replaced, Replaced) and replaced.previous_token == "TOK-1"
    refused_replace = render(CASES[7][0])
    assert isinstance(refused_replace, Rejected) and refused_replace.token == "TOK-2"
    assert refused_replace.reason == "D"  # post-only would take
    executed = render(CASES[2][0])
    assert isinstance(executed, Executed) and executed.liquidity_flag == "A"
    eod = render(CASES[4][0])
    assert isinstance(eod, Canceled) and eod.reason == "T"
