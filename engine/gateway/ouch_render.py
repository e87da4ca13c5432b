"""Stored reports as OUCH 4.2 messages: one sequenced message per report, always (pure).

SoupBinTCP numbers an OUCH session's messages, and a session's report store numbers its
reports (``engine.gateway.report_store``); the two numbers are the same because every report
renders to exactly one message:

    NEW              Accepted (order reference number = the order id, state L)
    REJECTED         Rejected (the reason's OUCH code, engine.protocols.ouch.codes)
    TRADE            Executed (match number = exec id; liquidity A added / R removed)
    CANCELED         Canceled (decrement = the qty that left; USER / SELF_TRADE / ...)
    EXPIRED          Canceled (an IOC/FOK/market remainder 'I', an end of day 'T')
    REPLACED         Replaced (the replacement token, the previous token)
    CANCEL_REJECTED  Cancel Reject (the order had ended, or was never this session's)
    REPLACE_REJECTED Rejected, in the name of the replacement token
    LOCAL_REJECTED   Rejected (the gateway's own code, kept in ``reason``)

Tokens are client order ids: an OUCH order's token is its client order id, and a replace's
replacement token becomes the order's. Timestamps are nanoseconds since midnight UTC of the
report's ts. The order's firm field is left blank (the session's firm is implied).

:func:`render_bytes` is ``render(r).encode()`` without the message object: the gateway's hot
path for the reports every order makes (Accepted, Executed, Canceled, Rejected); a test keeps
the two byte-identical.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from engine.domain.types import (
    CancelReason,
    ExpireReason,
    Liquidity,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
)
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.ouch import codes
from engine.protocols.ouch.fields import ns_since_midnight
from engine.protocols.ouch.outbound import (
    Accepted,
    Canceled,
    CancelReject,
    Executed,
    OutboundMessage,
    Rejected,
    Replaced,
)
from engine.protocols.ouch.terms import display_char, price_field, side_char, tif_field


def _order_fields(r: OrderReport) -> dict[str, Any]:
    side = Side(r.side) if r.side else Side.BUY
    otype = OrderType(r.order_type) if r.order_type else OrderType.LIMIT
    tif = TimeInForce(r.tif) if r.tif else TimeInForce.DAY
    return {
        "side": side_char(side),
        "shares": r.leaves_qty,
        "stock": r.symbol,
        "price": price_field(otype, r.price),
        "time_in_force": tif_field(tif),
        "firm": "",
        "display": display_char(r.post_only),
        "order_reference_number": r.order_id,
        "capacity": "A",
        "intermarket_sweep": "N",
        "minimum_quantity": r.order_qty if tif is TimeInForce.FOK else 0,
        "cross_type": "N",
        "order_state": "L" if r.leaves_qty else "D",
    }


def render(r: OrderReport) -> OutboundMessage:
    """The OUCH message of stored report ``r``."""
    ts = ns_since_midnight(r.ts)
    kind = r.kind
    if kind is ReportKind.NEW:
        return Accepted(ts, r.client_order_id, **_order_fields(r))
    if kind is ReportKind.REJECTED:
        return Rejected(ts, r.client_order_id, codes.reject_reason(RejectReason(r.reason)))
    if kind is ReportKind.TRADE:
        flag = codes.liquidity_flag(Liquidity(r.liquidity))
        return Executed(ts, r.client_order_id, r.last_qty, r.last_price, flag, r.exec_id)
    if kind is ReportKind.CANCELED:
        reason = codes.cancel_reason(CancelReason(r.reason))
        return Canceled(ts, r.client_order_id, r.last_qty, reason)
    if kind is ReportKind.EXPIRED:
        reason = codes.expire_reason(ExpireReason(r.reason))
        return Canceled(ts, r.client_order_id, r.last_qty, reason)
    if kind is ReportKind.REPLACED:
        fields = _order_fields(r)
        return Replaced(
            ts,
            r.client_order_id,
            **fields,
            previous_token=r.orig_client_order_id,
        )
    if kind is ReportKind.CANCEL_REJECTED:
        return CancelReject(ts, r.client_order_id or r.orig_client_order_id)
    if kind is ReportKind.REPLACE_REJECTED:
        return Rejected(ts, r.client_order_id, codes.reject_reason(RejectReason(r.reason)))
    assert kind is ReportKind.LOCAL_REJECTED, kind
    return Rejected(ts, r.client_order_id, chr(r.reason))


_ACCEPTED: Final = struct.Struct(">cQ14scI8sII4scQccIccc")
_EXECUTED: Final = struct.Struct(">cQ14sIIcQ")
_CANCELED: Final = struct.Struct(">cQ14sIc")
_REJECTED: Final = struct.Struct(">cQ14sc")
_SIDE: Final = {int(Side.BUY): b"B", int(Side.SELL): b"S", 0: b"B"}
_TIF: Final = {int(t): tif_field(t) for t in TimeInForce} | {0: tif_field(TimeInForce.DAY)}
_LIQUIDITY: Final = {int(v): codes.liquidity_flag(v).encode() for v in Liquidity}
_REJECT: Final = {int(v): codes.reject_reason(v).encode() for v in RejectReason}
_CANCEL: Final = {int(v): codes.cancel_reason(v).encode() for v in CancelReason}
_EXPIRE: Final = {int(v): codes.expire_reason(v).encode() for v in ExpireReason}
_NEW, _TRADE = ReportKind.NEW, ReportKind.TRADE
_CANCELED_KIND, _EXPIRED, _REJECTED_KIND = (
    ReportKind.CANCELED,
    ReportKind.EXPIRED,
    ReportKind.REJECTED,
)


def render_bytes(r: OrderReport) -> bytes:
    """``render(r).encode()``, built directly for the common kinds."""
    kind = r.kind
    token = r.client_order_id.encode("ascii").ljust(14)
    if kind is _NEW and r.order_type != OrderType.MARKET and r.tif != TimeInForce.FOK:
        return _ACCEPTED.pack(
            b"A", ns_since_midnight(r.ts), token, _SIDE[r.side], r.leaves_qty,
            r.symbol.encode("ascii").ljust(8), r.price, _TIF[r.tif], b"    ",
            b"P" if r.post_only else b"Y", r.order_id, b"A", b"N", 0, b"N",
            b"L" if r.leaves_qty else b"D", b" ",
        )  # fmt: skip
    if kind is _TRADE:
        return _EXECUTED.pack(
            b"E", ns_since_midnight(r.ts), token, r.last_qty, r.last_price,
            _LIQUIDITY[r.liquidity], r.exec_id,
        )  # fmt: skip
    if kind is _CANCELED_KIND and r.reason in _CANCEL:
        return _CANCELED.pack(b"C", ns_since_midnight(r.ts), token, r.last_qty, _CANCEL[r.reason])
    if kind is _EXPIRED and r.reason in _EXPIRE:
        return _CANCELED.pack(b"C", ns_since_midnight(r.ts), token, r.last_qty, _EXPIRE[r.reason])
    if kind is _REJECTED_KIND and r.reason in _REJECT:
        return _REJECTED.pack(b"J", ns_since_midnight(r.ts), token, _REJECT[r.reason])
    return render(r).encode()
