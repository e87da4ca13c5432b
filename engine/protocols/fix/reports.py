"""Builders of the application messages sequex sends: ExecutionReport (8), OrderCancelReject (9)
and BusinessMessageReject (j).

Every builder returns an :class:`~.codec.OutboundMessage` for ``FixSession.send``, with only
fields QuickFIX's FIX44.xml defines for that message (the tests validate each one against it).
Prices and quantities come in as the exchange's integers and go out as exact decimal strings.

ExecutionReports describe the order *after* the event, from an :class:`OrderView` the gateway
keeps per order (it knows the cumulative quantity and cost; the domain events carry the
deltas). ExecType / OrdStatus per report::

    new        150=0 39=0          trade     150=F 39=1 (partial) or 2 (filled), 32/31 set
    canceled   150=4 39=4          replaced  150=5 39=0, or 1 once something filled
    expired    150=C 39=C          rejected  150=8 39=8 with OrdRejReason(103)
    status     150=I 39=the order's current status (an answer, nothing happened)

**Where the exchange's seq_no goes.** The New ack carries the ``seq_no`` that sequenced the
order in SecondaryOrderID(198). It is a standard FIX 4.4 ExecutionReport field, so any FIX
engine's dictionary accepts it, unlike a user-defined tag (5000-9999), which strict engines
reject unless their dictionary is extended. OrderID(37) is the exchange's order id (which
today equals that seq_no, but the contract is 198). SecondaryExecID(527) would misstate what
the number is, so it is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.types import OrderType, RejectReason, Side, TimeInForce
from engine.protocols.fix.admin import clean_text
from engine.protocols.fix.codec import OutboundMessage
from engine.protocols.fix.decimals import format_avg_px, format_price
from engine.protocols.fix.tags import (
    BusinessRejectReason,
    CxlRejReason,
    CxlRejResponseTo,
    ExecType,
    MsgType,
    OrdRejReason,
    OrdStatus,
    Tag,
)
from engine.protocols.fix.timestamps import format_utc_timestamp

__all__ = [
    "UNKNOWN_ORDER_ID",
    "OrderView",
    "business_message_reject",
    "cxl_rej_reason_for",
    "execution_canceled",
    "execution_expired",
    "execution_new",
    "execution_rejected",
    "execution_replaced",
    "execution_status",
    "execution_trade",
    "ord_rej_reason_for",
    "order_cancel_reject",
]

#: OrderID(37) of a report about no order the exchange knows (a rejected NewOrderSingle).
UNKNOWN_ORDER_ID = "NONE"

_ORD_TYPE = {OrderType.MARKET: "1", OrderType.LIMIT: "2"}
_TIF = {TimeInForce.DAY: "0", TimeInForce.GTC: "1", TimeInForce.IOC: "3", TimeInForce.FOK: "4"}


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as an ExecutionReport describes it, after the event being reported."""

    order_id: str
    cl_ord_id: str
    symbol: str
    side: Side
    order_qty: int
    order_type: OrderType
    #: limit price in price units; 0 for a market order (no Price(44) is sent)
    price: int
    cum_qty: int = 0
    #: sum of fill qty x fill price (price units x shares): AvgPx = cum_cost / cum_qty
    cum_cost: int = 0
    leaves_qty: int = 0
    #: the ClOrdID this one replaced or cancelled (OrigClOrdID(41)), if any
    orig_cl_ord_id: str | None = None
    account: str | None = None
    tif: TimeInForce | None = None


def execution_new(
    order: OrderView, *, exec_id: str, transact_ns: int, seq_no: int
) -> OutboundMessage:
    """The acknowledgement of an accepted order; ``seq_no`` goes in SecondaryOrderID(198)."""
    return _execution(
        order,
        ExecType.NEW,
        OrdStatus.NEW,
        exec_id,
        transact_ns,
        extra_head=[(Tag.SECONDARY_ORDER_ID, str(seq_no))],
    )


def execution_trade(
    order: OrderView, *, exec_id: str, transact_ns: int, last_qty: int, last_px: int
) -> OutboundMessage:
    """A fill of ``last_qty`` at ``last_px``; ``order`` already includes it."""
    status = OrdStatus.FILLED if order.leaves_qty == 0 else OrdStatus.PARTIALLY_FILLED
    fill = [(Tag.LAST_QTY, str(last_qty)), (Tag.LAST_PX, format_price(last_px))]
    return _execution(order, ExecType.TRADE, status, exec_id, transact_ns, extra_tail=fill)


def execution_canceled(order: OrderView, *, exec_id: str, transact_ns: int) -> OutboundMessage:
    return _execution(order, ExecType.CANCELED, OrdStatus.CANCELED, exec_id, transact_ns, done=True)


def execution_replaced(order: OrderView, *, exec_id: str, transact_ns: int) -> OutboundMessage:
    """The order now has ``order``'s qty and price; OrigClOrdID names the replaced ClOrdID."""
    status = OrdStatus.PARTIALLY_FILLED if order.cum_qty > 0 else OrdStatus.NEW
    return _execution(order, ExecType.REPLACED, status, exec_id, transact_ns)


def execution_expired(order: OrderView, *, exec_id: str, transact_ns: int) -> OutboundMessage:
    """What was left of an IOC / FOK / market order, or a DAY order at the end of the day."""
    return _execution(order, ExecType.EXPIRED, OrdStatus.EXPIRED, exec_id, transact_ns, done=True)


def execution_status(
    order: OrderView, status: OrdStatus, *, exec_id: str, transact_ns: int, text: str
) -> OutboundMessage:
    """Where ``order`` stands now (ExecType I), with ``text`` saying why it is sent."""
    done = status in (OrdStatus.CANCELED, OrdStatus.EXPIRED, OrdStatus.REJECTED)
    tail = [(Tag.TEXT, clean_text(text))]
    message = _execution(order, ExecType.ORDER_STATUS, status, exec_id, transact_ns, done=done)
    return _message(MsgType.EXECUTION_REPORT, [*message.body, *tail])


def execution_rejected(
    *,
    cl_ord_id: str,
    symbol: str,
    side: Side,
    exec_id: str,
    transact_ns: int,
    reason: OrdRejReason,
    text: str,
    order_qty: int | None = None,
    order_id: str = UNKNOWN_ORDER_ID,
    account: str | None = None,
) -> OutboundMessage:
    """A NewOrderSingle refused (by the gateway's checks or by the exchange)."""
    body: list[tuple[int, str]] = [
        (Tag.ORDER_ID, order_id),
        (Tag.CL_ORD_ID, cl_ord_id),
        (Tag.EXEC_ID, exec_id),
        (Tag.EXEC_TYPE, ExecType.REJECTED),
        (Tag.ORD_STATUS, OrdStatus.REJECTED),
        (Tag.ORD_REJ_REASON, str(int(reason))),
    ]
    if account:
        body.append((Tag.ACCOUNT, account))
    body += [(Tag.SYMBOL, symbol), (Tag.SIDE, str(int(side)))]
    if order_qty is not None and order_qty > 0:
        body.append((Tag.ORDER_QTY, str(order_qty)))
    body += [
        (Tag.LEAVES_QTY, "0"),
        (Tag.CUM_QTY, "0"),
        (Tag.AVG_PX, "0"),
        (Tag.TRANSACT_TIME, format_utc_timestamp(transact_ns)),
        (Tag.TEXT, clean_text(text)),
    ]
    return _message(MsgType.EXECUTION_REPORT, body)


def order_cancel_reject(
    *,
    cl_ord_id: str,
    orig_cl_ord_id: str,
    response_to: CxlRejResponseTo,
    reason: CxlRejReason,
    text: str,
    transact_ns: int,
    order_id: str = UNKNOWN_ORDER_ID,
    ord_status: OrdStatus = OrdStatus.REJECTED,
    account: str | None = None,
) -> OutboundMessage:
    """An OrderCancelRequest or OrderCancelReplaceRequest refused; ``ord_status`` is the
    order's current status when it is known (Rejected when the order is unknown)."""
    body: list[tuple[int, str]] = [
        (Tag.ORDER_ID, order_id),
        (Tag.CL_ORD_ID, cl_ord_id),
        (Tag.ORIG_CL_ORD_ID, orig_cl_ord_id),
        (Tag.ORD_STATUS, ord_status),
    ]
    if account:
        body.append((Tag.ACCOUNT, account))
    body += [
        (Tag.TRANSACT_TIME, format_utc_timestamp(transact_ns)),
        (Tag.CXL_REJ_RESPONSE_TO, response_to),
        (Tag.CXL_REJ_REASON, str(int(reason))),
        (Tag.TEXT, clean_text(text)),
    ]
    return _message(MsgType.ORDER_CANCEL_REJECT, body)


def business_message_reject(
    *,
    ref_seq_num: int,
    ref_msg_type: str,
    reason: BusinessRejectReason,
    text: str | None = None,
    ref_id: str | None = None,
) -> OutboundMessage:
    """An application message refused as a whole (e.g. a MsgType sequex does not serve)."""
    body: list[tuple[int, str]] = [
        (Tag.REF_SEQ_NUM, str(ref_seq_num)),
        (Tag.REF_MSG_TYPE, ref_msg_type),
    ]
    if ref_id:
        body.append((Tag.BUSINESS_REJECT_REF_ID, ref_id))
    body.append((Tag.BUSINESS_REJECT_REASON, str(int(reason))))
    if text:
        body.append((Tag.TEXT, clean_text(text)))
    return _message(MsgType.BUSINESS_MESSAGE_REJECT, body)


def _execution(
    order: OrderView,
    exec_type: ExecType,
    status: OrdStatus,
    exec_id: str,
    transact_ns: int,
    *,
    done: bool = False,
    extra_head: list[tuple[Tag, str]] | None = None,
    extra_tail: list[tuple[Tag, str]] | None = None,
) -> OutboundMessage:
    body: list[tuple[int, str]] = [(Tag.ORDER_ID, order.order_id)]
    body += extra_head or []
    body.append((Tag.CL_ORD_ID, order.cl_ord_id))
    if order.orig_cl_ord_id:
        body.append((Tag.ORIG_CL_ORD_ID, order.orig_cl_ord_id))
    body += [(Tag.EXEC_ID, exec_id), (Tag.EXEC_TYPE, exec_type), (Tag.ORD_STATUS, status)]
    if order.account:
        body.append((Tag.ACCOUNT, order.account))
    body += [
        (Tag.SYMBOL, order.symbol),
        (Tag.SIDE, str(int(order.side))),
        (Tag.ORDER_QTY, str(order.order_qty)),
        (Tag.ORD_TYPE, _ORD_TYPE[order.order_type]),
    ]
    if order.order_type is OrderType.LIMIT:
        body.append((Tag.PRICE, format_price(order.price)))
    if order.tif is not None:
        body.append((Tag.TIME_IN_FORCE, _TIF[order.tif]))
    body += extra_tail or []
    body += [
        # A canceled or expired order has nothing left open, whatever was unfilled.
        (Tag.LEAVES_QTY, "0" if done else str(order.leaves_qty)),
        (Tag.CUM_QTY, str(order.cum_qty)),
        (Tag.AVG_PX, format_avg_px(order.cum_cost, order.cum_qty)),
        (Tag.TRANSACT_TIME, format_utc_timestamp(transact_ns)),
    ]
    return _message(MsgType.EXECUTION_REPORT, body)


def _message(msg_type: MsgType, body: list[tuple[int, str]]) -> OutboundMessage:
    # Enum members become plain ints and strs: what a store keeps and a test compares.
    return OutboundMessage(str(msg_type), tuple((int(t), str(v)) for t, v in body))


#: The domain's reject reasons as OrdRejReason(103) values on a rejected NewOrderSingle.
_ORD_REJ: dict[RejectReason, OrdRejReason] = {
    RejectReason.UNKNOWN_SYMBOL: OrdRejReason.UNKNOWN_SYMBOL,
    RejectReason.SYMBOL_HALTED: OrdRejReason.EXCHANGE_CLOSED,
    RejectReason.INVALID_QTY: OrdRejReason.INCORRECT_QUANTITY,
    RejectReason.QTY_ABOVE_LIMIT: OrdRejReason.ORDER_EXCEEDS_LIMIT,
    RejectReason.NOTIONAL_ABOVE_LIMIT: OrdRejReason.ORDER_EXCEEDS_LIMIT,
    RejectReason.TOO_MANY_OPEN_ORDERS: OrdRejReason.ORDER_EXCEEDS_LIMIT,
    RejectReason.UNKNOWN_ORDER: OrdRejReason.UNKNOWN_ORDER,
    RejectReason.INVALID_ORDER: OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC,
}


def ord_rej_reason_for(reason: RejectReason) -> OrdRejReason:
    """The OrdRejReason for a domain reject; the Text(58) carries the precise reason."""
    return _ORD_REJ.get(reason, OrdRejReason.OTHER)


def cxl_rej_reason_for(reason: RejectReason) -> CxlRejReason:
    """The CxlRejReason for a domain reject of a cancel or replace."""
    if reason in (RejectReason.UNKNOWN_ORDER, RejectReason.NOT_ORDER_OWNER):
        return CxlRejReason.UNKNOWN_ORDER  # never confirm that another firm's order exists
    return CxlRejReason.BROKER_EXCHANGE_OPTION
