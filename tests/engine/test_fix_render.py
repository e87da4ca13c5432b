"""Every stored report renders to exactly one FIX message, the one FIX 4.4 prescribes, and each
passes QuickFIX's FIX 4.4 data dictionary once stamped by a session."""

from __future__ import annotations

from dataclasses import replace

from engine.domain.types import (
    CancelReason,
    ExpireReason,
    Liquidity,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
)
from engine.gateway.fix_render import render, render_status
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.fix.codec import FixMessage, OutboundMessage, decode_fields
from engine.protocols.fix.outbound import Outbound
from engine.protocols.fix.store import MemoryStore
from tests.engine.fix_client import assert_valid_fix44
from tests.engine.protocols.fix.peer import T0, body_of

BASE = OrderReport(
    ReportKind.NEW, 9, 0, T0, 9, "ALPHA-1", "ACME", int(Side.BUY), int(OrderType.LIMIT),
    int(TimeInForce.DAY), False, "c-2", "c-1", 100, 1_000_000, 60, 40, 40_000_150,
    entered_seq=9,
)  # fmt: skip

CASES = {
    "new": replace(BASE, kind=ReportKind.NEW, cum_qty=0, cum_cost=0, leaves_qty=100),
    "rejected": replace(
        BASE, kind=ReportKind.REJECTED, order_id=0, reason=int(RejectReason.PRICE_OFF_TICK)
    ),
    "trade": replace(
        BASE,
        kind=ReportKind.TRADE,
        last_qty=10,
        last_price=1_000_100,
        exec_id=77,
        liquidity=int(Liquidity.MAKER),
    ),
    "canceled": replace(BASE, kind=ReportKind.CANCELED, reason=int(CancelReason.USER)),
    "canceled by stp": replace(BASE, kind=ReportKind.CANCELED, reason=int(CancelReason.SELF_TRADE)),
    "expired": replace(BASE, kind=ReportKind.EXPIRED, reason=int(ExpireReason.IOC)),
    "replaced": replace(BASE, kind=ReportKind.REPLACED, priority_kept=True),
    "cancel rejected": replace(
        BASE, kind=ReportKind.CANCEL_REJECTED, reason=int(RejectReason.UNKNOWN_ORDER)
    ),
    "cancel rejected, unknown": replace(  # no live order of the session: nothing known
        BASE,
        kind=ReportKind.CANCEL_REJECTED,
        order_id=404,
        symbol="",
        side=0,
        order_type=0,
        tif=0,
        client_order_id="x-1",
        orig_client_order_id="",
        order_qty=0,
        price=0,
        leaves_qty=0,
        cum_qty=0,
        cum_cost=0,
        entered_seq=0,
        reason=int(RejectReason.NOT_ORDER_OWNER),
    ),
    "replace rejected": replace(
        BASE, kind=ReportKind.REPLACE_REJECTED, reason=int(RejectReason.POST_ONLY_WOULD_TAKE)
    ),
    "local rejected": replace(BASE, kind=ReportKind.LOCAL_REJECTED, reason=ord("O")),
    "market": replace(BASE, kind=ReportKind.NEW, order_type=int(OrderType.MARKET), price=0),
}


def _wire(messages: dict[str, OutboundMessage]) -> dict[str, FixMessage]:
    out = Outbound("SEQUEX", 1, MemoryStore())
    out.target_comp_id = "ALPHAFIX"
    wire: dict[str, FixMessage] = {}
    for name, message in messages.items():
        out.send(message, T0 + 1_000_000)
        raw = out.take()
        wire[name] = decode_fields(body_of(raw), raw)
    return wire


def rendered() -> dict[str, FixMessage]:
    return _wire({name: render(report) for name, report in CASES.items()})


def test_each_kind_is_the_fix_message_fix44_prescribes() -> None:
    got = {name: (m.msg_type, m.get(150), m.get(39)) for name, m in rendered().items()}
    assert got == {
        "new": ("8", "0", "0"),
        "rejected": ("8", "8", "8"),
        "trade": ("8", "F", "1"),
        "canceled": ("8", "4", "4"),
        "canceled by stp": ("8", "4", "4"),
        "expired": ("8", "C", "C"),
        "replaced": ("8", "5", "1"),
        "cancel rejected": ("9", None, "1"),
        "cancel rejected, unknown": ("9", None, "8"),
        "replace rejected": ("9", None, "1"),
        "local rejected": ("8", "8", "8"),
        "market": ("8", "0", "0"),
    }


def test_the_fields_carry_the_order_its_ids_and_an_exact_average_price() -> None:
    m = rendered()
    assert [m["new"].get(t) for t in (37, 198, 11, 17, 44, 151)] == [
        "9", "9", "c-2", "9-0", "100", "100",
    ]  # fmt: skip
    assert m["new"].get(41) is None and m["market"].get(44) is None
    # 40 shares cost 4,000.0150 in all: AvgPx 100.000375, not a float's approximation
    assert [m["trade"].get(t) for t in (32, 31, 14, 6, 151)] == [
        "10", "100.01", "40", "100.000375", "60",
    ]  # fmt: skip
    assert (m["replaced"].get(11), m["replaced"].get(41)) == ("c-2", "c-1")
    assert (m["canceled"].get(41), m["canceled by stp"].get(41)) == ("c-1", None)
    assert [m["rejected"].get(t) for t in (37, 103, 58)] == ["NONE", "99", "price off tick"]
    unknown = m["cancel rejected, unknown"]
    # another firm's order: told as an unknown one, in code and in words
    assert [unknown.get(t) for t in (37, 11, 41, 102, 434, 58)] == [
        "404", "x-1", "NONE", "1", "1", "unknown order",
    ]  # fmt: skip
    assert m["replace rejected"].get(434) == "2"


def test_every_rendered_report_passes_quickfix() -> None:
    assert_valid_fix44(list(rendered().values()))


def test_an_order_status_of_any_report_is_150_i_with_the_status_it_leaves_and_passes_quickfix(
) -> None:  # fmt: skip
    statuses = {
        name: render_status(r, text=f"status of {name}", exec_id="L1", now_ns=T0 + 2_000_000)
        for name, r in CASES.items()
    }  # any report, even one a status is never made of, renders without raising
    wire = _wire(statuses)
    assert {name: m.get(39) for name, m in wire.items() if m.get(150) == "I"} == {
        "new": "0", "rejected": "8", "trade": "1", "canceled": "4", "canceled by stp": "4",
        "expired": "C", "replaced": "1", "cancel rejected": "1",
        "cancel rejected, unknown": "0", "replace rejected": "1", "local rejected": "1",
        "market": "1",
    }  # fmt: skip
    filled = _wire({"f": render_status(replace(BASE, kind=ReportKind.TRADE, leaves_qty=0),
                                       text="t", exec_id="L2", now_ns=T0)})["f"]  # fmt: skip
    assert [filled.get(t) for t in (39, 151, 14)] == ["2", "0", "40"]
    assert [wire["rejected"].get(t) for t in (37, 151, 14, 58)] == [
        "NONE", "0", "40", "status of rejected",
    ]  # fmt: skip
    assert [wire["trade"].get(t) for t in (37, 11, 17, 60)] == [
        "9", "c-2", "L1", "20240301-12:00:00.002",
    ]  # fmt: skip
    assert_valid_fix44([*wire.values(), filled])
