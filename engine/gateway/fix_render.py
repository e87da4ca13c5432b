"""Stored reports as FIX 4.4 application messages: one message per report, always (pure).

A FIX session is sent exactly its report store (``engine.gateway.report_store``), each
report rendered here into the message ``FixSession.send`` numbers and stores::

    NEW              ExecutionReport 150=0 39=0, OrderID(37) = the order id,
                     SecondaryOrderID(198) = the seq_no that entered the order
    TRADE            ExecutionReport 150=F 39=1 (partial) or 2 (filled), LastQty(32) /
                     LastPx(31), CumQty(14), AvgPx(6) = cum cost / cum qty, LeavesQty(151)
    CANCELED         ExecutionReport 150=4 39=4 (OrigClOrdID(41) = the ClOrdID before a
                     cancel request or a replace that cut the order away)
    REPLACED         ExecutionReport 150=5, OrigClOrdID(41) = the replaced ClOrdID
    EXPIRED          ExecutionReport 150=C 39=C: an IOC / FOK / market remainder, or a DAY
                     order at its end of day (FIX 4.4's own Expired, rather than 150=4 with an
                     ExecRestatementReason: the order was not cancelled by anyone)
    REJECTED         ExecutionReport 150=8 39=8, OrdRejReason(103) and Text(58)
    CANCEL_REJECTED  OrderCancelReject (9), CxlRejResponseTo(434)=1
    REPLACE_REJECTED OrderCancelReject (9), CxlRejResponseTo(434)=2
    LOCAL_REJECTED   ExecutionReport 150=8 (a refusal its gateway journaled as a note)

:func:`render_status` answers a resent NewOrderSingle whose ClOrdID the session used today
(``engine.gateway.fix_orders``) with the state its order's report gives: ExecutionReport
150=I, OrdStatus(39) 0 / 1 / 2 by CumQty and LeavesQty, 4, C or 8 for an order that ended
(OrderID(37) ``NONE`` for a NewOrder the exchange refused), TransactTime(60) now.

ExecID(17) is ``<seq_no>-<n>``: the seq_no of the command that caused the report and the
report's number among that command's execution reports (the gateway's numbering,
``engine.gateway.router``, not the event's sub_seq). It is unique among every report the
exchange makes, and derived from the journal, so a restart gives the same ExecIDs.
TransactTime(60) is the report's ts. Prices are decimals of the exchange's 1/10,000 units
(``engine.protocols.fix.decimals``), AvgPx exact to 8 decimals by integer arithmetic.
"""

from __future__ import annotations

from engine.domain.types import CancelReason, OrderType, RejectReason, Side, TimeInForce
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.fix import reports
from engine.protocols.fix.codec import OutboundMessage
from engine.protocols.fix.tags import CxlRejResponseTo, OrdRejReason, OrdStatus

#: Symbol(55) of a report that names none (a cancel of an order this session never had)
NO_SYMBOL = "[N/A]"
#: ClOrdID(11) / OrigClOrdID(41) when the report has none (both are required fields)
NO_ID = "NONE"
#: cancels whose OrigClOrdID is the ClOrdID the order had before (a client's own request)
_REQUESTED = (CancelReason.USER, CancelReason.REPLACED_AWAY)


def exec_id(r: OrderReport) -> str:
    return f"{r.seq_no}-{r.sub}"


def reason_text(reason: int) -> str:
    """A domain reject reason in words: ``PRICE_OFF_TICK`` -> ``price off tick``; another
    firm's order is an unknown one, in words too."""
    if reason == RejectReason.NOT_ORDER_OWNER:
        reason = RejectReason.UNKNOWN_ORDER
    try:
        return RejectReason(reason).name.lower().replace("_", " ")
    except ValueError:
        return f"refused (reason {reason})"


def _view(r: OrderReport, *, orig: bool) -> reports.OrderView:
    return reports.OrderView(
        order_id=str(r.order_id),
        cl_ord_id=r.client_order_id or NO_ID,
        symbol=r.symbol or NO_SYMBOL,
        side=Side(r.side),
        order_qty=r.order_qty,
        order_type=OrderType(r.order_type),
        price=r.price,
        cum_qty=r.cum_qty,
        cum_cost=r.cum_cost,
        leaves_qty=r.leaves_qty,
        orig_cl_ord_id=(r.orig_client_order_id or None) if orig else None,
        account=r.account or None,
        tif=TimeInForce(r.tif),
    )


def render(r: OrderReport) -> OutboundMessage:
    """The FIX message of stored report ``r``."""
    kind, xid, ts = r.kind, exec_id(r), r.ts
    if kind is ReportKind.NEW:
        view = _view(r, orig=False)
        return reports.execution_new(view, exec_id=xid, transact_ns=ts, seq_no=r.entered_seq)
    if kind is ReportKind.TRADE:
        return reports.execution_trade(
            _view(r, orig=False), exec_id=xid, transact_ns=ts, last_qty=r.last_qty,
            last_px=r.last_price,
        )  # fmt: skip
    if kind is ReportKind.CANCELED:
        view = _view(r, orig=r.reason in _REQUESTED)
        return reports.execution_canceled(view, exec_id=xid, transact_ns=ts)
    if kind is ReportKind.REPLACED:
        return reports.execution_replaced(_view(r, orig=True), exec_id=xid, transact_ns=ts)
    if kind is ReportKind.EXPIRED:
        return reports.execution_expired(_view(r, orig=False), exec_id=xid, transact_ns=ts)
    if kind is ReportKind.CANCEL_REJECTED or kind is ReportKind.REPLACE_REJECTED:
        return _cancel_reject(r)
    if kind is ReportKind.REJECTED:
        reason = reports.ord_rej_reason_for(RejectReason(r.reason))
        text = reason_text(r.reason)
    else:
        assert kind is ReportKind.LOCAL_REJECTED, kind
        reason, text = OrdRejReason.OTHER, "refused by the gateway"
    return reports.execution_rejected(
        cl_ord_id=r.client_order_id or NO_ID, symbol=r.symbol or NO_SYMBOL,
        side=Side(r.side) if r.side else Side.BUY, exec_id=xid, transact_ns=ts, reason=reason,
        text=text, order_qty=r.order_qty, account=r.account or None,
    )  # fmt: skip


_ENDED = {
    ReportKind.CANCELED: OrdStatus.CANCELED,
    ReportKind.EXPIRED: OrdStatus.EXPIRED,
    ReportKind.REJECTED: OrdStatus.REJECTED,
}


def ord_status(r: OrderReport) -> OrdStatus:
    """The status of the order ``r`` (a state report: ``engine.gateway.clordids``) leaves."""
    ended = _ENDED.get(r.kind)
    if ended is not None:
        return ended
    if r.cum_qty and not r.leaves_qty:
        return OrdStatus.FILLED
    return OrdStatus.PARTIALLY_FILLED if r.cum_qty else OrdStatus.NEW


def render_status(r: OrderReport, *, text: str, exec_id: str, now_ns: int) -> OutboundMessage:
    """An order status ExecutionReport (150=I) of the order whose state report is ``r``."""
    # A stored report is trusted elsewhere; a status may be of any, so nothing here raises.
    view = reports.OrderView(
        order_id=str(r.order_id) if r.order_id else reports.UNKNOWN_ORDER_ID,
        cl_ord_id=r.client_order_id or NO_ID,
        symbol=r.symbol or NO_SYMBOL,
        side=Side(r.side) if r.side in _SIDES else Side.BUY,
        order_qty=r.order_qty,
        order_type=OrderType(r.order_type) if r.order_type in _TYPES else OrderType.LIMIT,
        price=r.price,
        cum_qty=r.cum_qty,
        cum_cost=r.cum_cost,
        leaves_qty=r.leaves_qty,
        account=r.account or None,
        tif=TimeInForce(r.tif) if r.tif in _TIFS else None,
    )
    return reports.execution_status(
        view, ord_status(r), exec_id=exec_id, transact_ns=now_ns, text=text
    )


_SIDES = frozenset(int(s) for s in Side)
_TYPES = frozenset(int(t) for t in OrderType)
_TIFS = frozenset(int(t) for t in TimeInForce)


def _cancel_reject(r: OrderReport) -> OutboundMessage:
    response_to = (
        CxlRejResponseTo.CANCEL_REQUEST
        if r.kind is ReportKind.CANCEL_REJECTED
        else CxlRejResponseTo.CANCEL_REPLACE_REQUEST
    )
    if not r.symbol:  # not a live order of this session when the request was decided
        status = OrdStatus.REJECTED
    else:
        status = OrdStatus.PARTIALLY_FILLED if r.cum_qty else OrdStatus.NEW
    return reports.order_cancel_reject(
        cl_ord_id=r.client_order_id or NO_ID,
        orig_cl_ord_id=r.orig_client_order_id or NO_ID,
        response_to=response_to,
        reason=reports.cxl_rej_reason_for(RejectReason(r.reason)),
        text=reason_text(r.reason),
        transact_ns=r.ts,
        order_id=str(r.order_id) if r.order_id else reports.UNKNOWN_ORDER_ID,
        ord_status=status,
        account=r.account or None,
    )
