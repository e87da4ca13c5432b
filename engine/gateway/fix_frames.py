"""ExecutionReports written straight from the typed report: the FIX out side's one encoding.

:func:`report_body` is the body of ``render(r)`` (``engine.gateway.fix_render``, the
reference) as the codec encodes it (``engine.protocols.fix.codec.encode``: ``tag=value<SOH>``
for every field after the standard header), for the five kinds that are ExecutionReports of
an order the exchange has (NEW, TRADE, CANCELED, REPLACED, EXPIRED): nearly every report an
order makes. Any other kind (a refusal, a cancel reject) and any report whose fields the lane
does not take as they are (a side, order type or TimeInForce the tables do not name, a
number that is not an int, a text that is not Latin-1 or holds SOH, a time outside the years
1970-2262) gives None, and the caller renders that one through the reference, which raises
what it raises. ``FixSession.send_encoded`` then puts the header around the body and uses
the same bytes for the wire and for the message store (``engine.gateway.fix_outbox``).

:func:`report_bodies` is the run of such bodies a batch of numbered reports starts with
(``engine.gateway.fix_outbox.render_into`` sends the run at once).

``tests/engine/test_fix_frames.py`` holds the lane to the reference byte for byte, compiled
and uncompiled, for random reports of every kind.

Compiled by Cython (``engine.native``; it reads a report's fields with C loads), a checked
report's body is written by C stores into one buffer (``engine.gateway.fix_written``);
:func:`_text_body` (f-strings, joined and encoded) writes it otherwise, and in the pure
build, which runs the same source.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.domain.types import CancelReason, OrderType, Side, TimeInForce
from engine.gateway.fix_render import NO_ID, NO_SYMBOL
from engine.gateway.fix_written import written
from engine.gateway.report_types import ReportKind
from engine.protocols.fix.decimals import format_avg_px
from engine.protocols.fix.wire import utc_stamp

if cython.compiled:
    from cython.cimports.cpython.unicode import PyUnicode_KIND
    from cython.cimports.engine.gateway.report_types import OrderReport
else:
    from engine.gateway.report_types import OrderReport

__all__ = ["report_bodies", "report_body"]

_NEW, _TRADE, _CANCELED = ReportKind.NEW, ReportKind.TRADE, ReportKind.CANCELED
_REPLACED, _EXPIRED = ReportKind.REPLACED, ReportKind.EXPIRED
_BUY, _SELL = int(Side.BUY), int(Side.SELL)
_LIMIT, _MARKET = int(OrderType.LIMIT), int(OrderType.MARKET)
#: TimeInForce -> TimeInForce(59), as ``engine.protocols.fix.reports`` writes it
_TIF: dict[int, str] = {
    int(TimeInForce.DAY): "0",
    int(TimeInForce.GTC): "1",
    int(TimeInForce.IOC): "3",
    int(TimeInForce.FOK): "4",
}
#: cancels whose OrigClOrdID is the ClOrdID the order had before (fix_render's _REQUESTED)
_REQUESTED = frozenset({int(CancelReason.USER), int(CancelReason.REPLACED_AWAY)})
_MAX_NS = 9_223_372_036_854_775_807  # int64 (a ts past the year 2262: the reference's)
_PRICE_UNITS: cython.longlong = 10_000


@cython.cfunc
def _price(units: cython.longlong) -> str:
    """``format_price``: ``12345`` -> ``1.2345``, ``10000`` -> ``1`` (sign kept)."""
    sign = "-" if units < 0 else ""
    magnitude: cython.longlong = -units if units < 0 else units
    whole: cython.longlong = magnitude // _PRICE_UNITS
    fraction: cython.longlong = magnitude % _PRICE_UNITS
    if fraction == 0:
        return f"{sign}{whole}"
    digits = f"{fraction:04d}".rstrip("0")
    return f"{sign}{whole}.{digits}"


@cython.cfunc
def _wire_text(value: Any) -> cython.bint:
    """Whether ``value`` is a str the codec writes as it is (non-empty, Latin-1, no SOH)."""
    if not isinstance(value, str) or not value or "\x01" in value:
        return False
    if cython.compiled and type(value) is str:
        text: str = value
        return PyUnicode_KIND(text) == 1  # one byte a character: none above U+00FF
    return max(value) <= "\xff"


@cython.cfunc
def _is_int(value: Any) -> cython.bint:
    """A plain int (not a bool, not an enum: those the reference formats its own way)."""
    return type(value) is int


@cython.ccall
def report_body(report: Any) -> bytes | None:
    """The encoded body of ``render(report)``, or None (see the module docstring)."""
    if not isinstance(report, OrderReport):
        return None
    r: OrderReport = report
    kind = r.kind
    if not (
        kind is _NEW or kind is _TRADE or kind is _CANCELED or kind is _REPLACED or kind is _EXPIRED
    ):
        return None
    side, order_type, tif = r.side, r.order_type, r.tif
    if not (_is_int(side) and _is_int(order_type) and _is_int(tif)):
        return None
    if (side != _BUY and side != _SELL) or (order_type != _LIMIT and order_type != _MARKET):
        return None
    tif_text = _TIF.get(tif)
    if tif_text is None:
        return None
    for number in (r.order_id, r.seq_no, r.sub, r.order_qty, r.price, r.leaves_qty, r.cum_qty):
        if not _is_int(number):
            return None
    if not (_is_int(r.cum_cost) and _is_int(r.ts) and 0 <= r.ts <= _MAX_NS):
        return None
    if kind is _NEW and not _is_int(r.entered_seq):
        return None
    if order_type == _LIMIT and not -_MAX_NS <= r.price <= _MAX_NS:
        return None
    if kind is _TRADE:
        last_qty, last_price = r.last_qty, r.last_price
        if not (_is_int(last_qty) and _is_int(last_price) and -_MAX_NS <= last_price <= _MAX_NS):
            return None
    cl_ord_id = r.client_order_id or NO_ID
    symbol = r.symbol or NO_SYMBOL
    account = r.account
    orig = r.orig_client_order_id
    orig = orig or "" if kind is _REPLACED or (kind is _CANCELED and r.reason in _REQUESTED) else ""
    if not (_wire_text(cl_ord_id) and _wire_text(symbol)):
        return None
    if (account and not _wire_text(account)) or (orig and not _wire_text(orig)):
        return None
    if cython.compiled:
        try:
            body = written(r, cl_ord_id, symbol, account or "", orig, tif_text)
        except OverflowError:  # a number past int64: the texts below write it
            body = None
        if body is not None:
            return body
    return _text_body(r, cl_ord_id, symbol, account or "", orig, tif_text)


@cython.ccall
def _text_body(
    r: OrderReport, cl_ord_id: Any, symbol: Any, account: Any, orig: Any, tif_text: Any
) -> bytes:
    """The body from Python's texts, for a report :func:`report_body` has checked: the pure
    build's, and the compiled build's for what ``fix_written.written`` does not take."""
    kind = r.kind
    done = kind is _CANCELED or kind is _EXPIRED
    parts: list[str] = [f"37={r.order_id}\x01"]
    if kind is _NEW:
        parts.append(f"198={r.entered_seq}\x01")
    parts.append(f"11={cl_ord_id}\x01")
    if orig:
        parts.append(f"41={orig}\x01")
    parts.append(f"17={r.seq_no}-{r.sub}\x01{_status(r)}\x01")
    if account:
        parts.append(f"1={account}\x01")
    parts.append(f"55={symbol}\x0154={r.side}\x0138={r.order_qty}\x01")
    if r.order_type == _LIMIT:
        parts.append(f"40=2\x0144={_price(r.price)}\x01")
    else:
        parts.append("40=1\x01")
    parts.append(f"59={tif_text}\x01")
    if kind is _TRADE:
        parts.append(f"32={r.last_qty}\x0131={_price(r.last_price)}\x01")
    leaves = "0" if done else str(r.leaves_qty)
    avg_px = format_avg_px(r.cum_cost, r.cum_qty)
    parts.append(f"151={leaves}\x0114={r.cum_qty}\x016={avg_px}\x0160={utc_stamp(r.ts)}\x01")
    return "".join(parts).encode("latin-1")


@cython.cfunc
def _status(r: OrderReport) -> str:
    """ExecType(150) and OrdStatus(39) of a report of one of the five kinds."""
    kind = r.kind
    if kind is _NEW:
        return "150=0\x0139=0"
    if kind is _TRADE:
        return "150=F\x0139=2" if r.leaves_qty == 0 else "150=F\x0139=1"
    if kind is _CANCELED:
        return "150=4\x0139=4"
    if kind is _REPLACED:
        return "150=5\x0139=1" if r.cum_qty > 0 else "150=5\x0139=0"
    return "150=C\x0139=C"


@cython.ccall
def report_bodies(
    numbered: list[tuple[int, Any]], start: cython.Py_ssize_t, first_number: int
) -> list[bytes]:
    """The bodies of ``numbered[start:]`` (``(number, report)`` pairs) while the numbers run
    on from ``first_number`` and each report has one (:func:`report_body` is not None)."""
    bodies: list[bytes] = []
    expected = first_number
    i: cython.Py_ssize_t
    for i in range(start, len(numbered)):
        number, report = numbered[i]
        if number != expected:
            break
        body = report_body(report)
        if body is None:
            break
        bodies.append(body)
        expected += 1
    return bodies
