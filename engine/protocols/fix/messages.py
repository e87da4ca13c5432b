"""Inbound application messages: NewOrderSingle (D), OrderCancelRequest (F) and
OrderCancelReplaceRequest (G) into typed frozen dataclasses, or a typed refusal.

:func:`parse_application` takes an :class:`~.session.ApplicationMessage`'s FixMessage and
returns an order request or one of four refusals, each of which knows its FIX answer
(:func:`reply_to` builds it; the caller sends it with ``FixSession.send``). A NewOrderSingle
whose every field is taken as it stands is read in C (:mod:`.order_scan`); anything else,
and so every refusal, is read here:

* :class:`SessionLevelReject` -> Reject (35=3): the message breaks the FIX rules: a required
  tag missing (373=1), a value in the wrong format (6), a Side other than 1 / 2 (5).
* :class:`UnsupportedMessage` -> BusinessMessageReject (35=j, 380=3): a FIX 4.4 message type
  sequex does not serve.
* :class:`OrderRefused` -> ExecutionReport 150=8 / 39=8 with OrdRejReason(103): a well-formed
  NewOrderSingle the exchange cannot take (a price finer than 1/10,000, a fractional or
  non-positive quantity, an order type / TimeInForce / ExecInst it does not offer).
* :class:`CancelRefused` -> OrderCancelReject (35=9): the same for a cancel or a replace.

Values: Side 1 buy, 2 sell; OrdType 1 market, 2 limit; TimeInForce 0 Day (the default),
1 GTC, 3 IOC, 4 FOK; ExecInst(18) ``6`` (participate, don't initiate) = post-only. TransactTime
(60) is required, as FIX 4.4 says, and must be a UTCTimestamp. Account(1) is optional: the
gateway maps a missing one to the firm's default. PossDupFlag(43) and PossResend(97) are
carried (``poss_dup``, ``poss_resend``): the gateway answers a resent ClOrdID it knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias

from engine.domain.types import OrderType, Side, TimeInForce
from engine.protocols.fix import admin, reports
from engine.protocols.fix.codec import FixMessage, OutboundMessage
from engine.protocols.fix.decimals import BadFormat, NotRepresentable, parse_price, parse_qty
from engine.protocols.fix.frozen import built, field_names
from engine.protocols.fix.order_scan import new_order_fields, parse_utc
from engine.protocols.fix.tags import (
    ADMIN_MSG_TYPES,
    BusinessRejectReason,
    CxlRejReason,
    CxlRejResponseTo,
    MsgType,
    OrdRejReason,
    SessionRejectReason,
    Tag,
)

__all__ = [
    "AppRefusal",
    "AppRequest",
    "CancelRefused",
    "NewOrderSingle",
    "OrderCancelReplaceRequest",
    "OrderCancelRequest",
    "OrderRefused",
    "SessionLevelReject",
    "UnsupportedMessage",
    "parse_application",
    "reply_to",
]

_SIDES: Final = {"1": Side.BUY, "2": Side.SELL}
_ORD_TYPES: Final = {"1": OrderType.MARKET, "2": OrderType.LIMIT}
_TIFS: Final = {
    "0": TimeInForce.DAY,
    "1": TimeInForce.GTC,
    "3": TimeInForce.IOC,
    "4": TimeInForce.FOK,
}
_POST_ONLY: Final = "6"  # ExecInst: participate, don't initiate


@dataclass(frozen=True, slots=True)
class NewOrderSingle:
    seq_num: int
    cl_ord_id: str
    account: str | None
    symbol: str
    side: Side
    order_type: OrderType
    tif: TimeInForce
    qty: int
    #: limit price in price units (1/10,000); 0 for a market order
    price: int
    post_only: bool
    transact_time_ns: int
    poss_dup: bool = False
    poss_resend: bool = False


@dataclass(frozen=True, slots=True)
class OrderCancelRequest:
    seq_num: int
    cl_ord_id: str
    orig_cl_ord_id: str
    #: the exchange's OrderID(37), when the client names it
    order_id: str | None
    account: str | None
    symbol: str
    side: Side
    transact_time_ns: int
    poss_dup: bool = False
    poss_resend: bool = False


@dataclass(frozen=True, slots=True)
class OrderCancelReplaceRequest:
    seq_num: int
    cl_ord_id: str
    orig_cl_ord_id: str
    order_id: str | None
    account: str | None
    symbol: str
    side: Side
    order_type: OrderType
    #: the new total order qty, filled part included (FIX and the domain agree on this)
    qty: int
    price: int
    transact_time_ns: int
    poss_dup: bool = False
    poss_resend: bool = False


@dataclass(frozen=True, slots=True)
class SessionLevelReject:
    ref_seq_num: int
    ref_msg_type: str
    ref_tag: int | None
    reason: SessionRejectReason
    text: str


@dataclass(frozen=True, slots=True)
class UnsupportedMessage:
    ref_seq_num: int
    msg_type: str


@dataclass(frozen=True, slots=True)
class OrderRefused:
    cl_ord_id: str
    account: str | None
    symbol: str
    side: Side
    qty: int | None
    reason: OrdRejReason
    text: str


@dataclass(frozen=True, slots=True)
class CancelRefused:
    cl_ord_id: str
    orig_cl_ord_id: str
    order_id: str | None
    account: str | None
    response_to: CxlRejResponseTo
    reason: CxlRejReason
    text: str


AppRequest: TypeAlias = NewOrderSingle | OrderCancelRequest | OrderCancelReplaceRequest
AppRefusal: TypeAlias = SessionLevelReject | UnsupportedMessage | OrderRefused | CancelRefused


_NEW_ORDER_SINGLE: Final = field_names(NewOrderSingle)


class _Refuse(Exception):
    """Carries a refusal out of the nested checks; never leaves this module."""

    def __init__(self, refusal: AppRefusal) -> None:
        super().__init__(refusal)
        self.refusal = refusal


def parse_application(message: FixMessage) -> AppRequest | AppRefusal:
    """The typed request of an application message, or why it is refused. Never raises for
    the peer's input; handing it an administrative message is our bug (ValueError)."""
    seq = message.seq_num or 0
    if message.msg_type == MsgType.NEW_ORDER_SINGLE:
        fields = new_order_fields(message.getter)  # the C lane: an order taken as it stands
        if fields is not None:  # built without the dataclass's __init__ (frozen.built)
            values = (seq, *fields, message.poss_dup, message.poss_resend)
            return built(NewOrderSingle, _NEW_ORDER_SINGLE, values)
    parse = _PARSERS.get(message.msg_type)
    if parse is None:
        if message.msg_type in ADMIN_MSG_TYPES:  # the session's own; never reaches here
            raise ValueError(f"35={message.msg_type} is a session message")
        return UnsupportedMessage(seq, message.msg_type)
    try:
        return parse(_Reader(message, seq))
    except _Refuse as refused:
        return refused.refusal


class _Reader:
    """Field access that turns each rule broken into the right refusal."""

    def __init__(self, message: FixMessage, seq: int) -> None:
        self.message, self.seq = message, seq

    def session(self, tag: int, reason: SessionRejectReason, text: str) -> _Refuse:
        msg_type = self.message.msg_type
        return _Refuse(SessionLevelReject(self.seq, msg_type, tag, reason, text))

    def required(self, tag: int) -> str:
        value = self.message.get(tag)
        if value is None:
            reason = SessionRejectReason.REQUIRED_TAG_MISSING
            raise self.session(tag, reason, f"required tag {tag} missing")
        return value

    def optional(self, tag: int) -> str | None:
        return self.message.get(tag)

    def side(self) -> Side:
        side = _SIDES.get(self.required(Tag.SIDE))
        if side is None:
            reason = SessionRejectReason.VALUE_IS_INCORRECT
            raise self.session(Tag.SIDE, reason, "Side(54) must be 1 (buy) or 2 (sell)")
        return side

    def timestamp(self, tag: int) -> int:
        ns = parse_utc(self.required(tag))
        if ns is None:
            reason = SessionRejectReason.INCORRECT_DATA_FORMAT
            raise self.session(tag, reason, f"tag {tag} is not a UTCTimestamp")
        return ns

    def number(self, tag: int, parse_text: Callable[[str], int]) -> int | str:
        """The parsed number, or the text of why the exchange cannot take it."""
        try:
            return parse_text(self.required(tag))
        except BadFormat as exc:
            raise self.session(tag, SessionRejectReason.INCORRECT_DATA_FORMAT, str(exc)) from None
        except NotRepresentable as exc:
            return str(exc)


@dataclass(frozen=True, slots=True)
class _Problem:
    """A business reason to refuse a well-formed order: OrdRejReason and text."""

    reason: OrdRejReason
    text: str


def _order_terms(r: _Reader) -> tuple[OrderType, int, int] | _Problem:
    """(order type, qty, price) of a D or G, or why the exchange cannot take them."""
    ord_type = _ORD_TYPES.get(r.required(Tag.ORD_TYPE))
    qty = r.number(Tag.ORDER_QTY, parse_qty)
    price_text = r.optional(Tag.PRICE)
    price: int | str = 0 if price_text is None else r.number(Tag.PRICE, parse_price)
    if ord_type is None:
        return _Problem(OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC, "OrdType(40) not 1 or 2")
    if isinstance(qty, str):
        return _Problem(OrdRejReason.INCORRECT_QUANTITY, qty)
    if qty <= 0:
        return _Problem(OrdRejReason.INCORRECT_QUANTITY, "OrderQty(38) must be positive")
    if isinstance(price, str):
        return _Problem(OrdRejReason.OTHER, price)
    if ord_type is OrderType.LIMIT and (price_text is None or price <= 0):
        return _Problem(OrdRejReason.OTHER, "a limit order needs a positive Price(44)")
    if ord_type is OrderType.MARKET and price_text is not None:
        return _Problem(OrdRejReason.OTHER, "a market order carries no Price(44)")
    return ord_type, qty, price


def _parse_new_order(r: _Reader) -> NewOrderSingle | OrderRefused:
    cl_ord_id, symbol, side = r.required(Tag.CL_ORD_ID), r.required(Tag.SYMBOL), r.side()
    transact_ns = r.timestamp(Tag.TRANSACT_TIME)
    account = r.optional(Tag.ACCOUNT)
    raw_qty = r.number(Tag.ORDER_QTY, parse_qty)
    echo_qty = raw_qty if isinstance(raw_qty, int) else None

    def refuse(reason: OrdRejReason, text: str) -> OrderRefused:
        return OrderRefused(cl_ord_id, account, symbol, side, echo_qty, reason, text)

    terms = _order_terms(r)
    if isinstance(terms, _Problem):
        return refuse(terms.reason, terms.text)
    order_type, qty, price = terms
    tif = _TIFS.get(r.optional(Tag.TIME_IN_FORCE) or "0")
    if tif is None:
        return refuse(OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC, "TimeInForce(59) unknown")
    instructions = (r.optional(Tag.EXEC_INST) or "").split()
    if any(i != _POST_ONLY for i in instructions):
        text = "ExecInst(18) supports only 6 (participate, don't initiate)"
        return refuse(OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC, text)
    return NewOrderSingle(
        seq_num=r.seq,
        cl_ord_id=cl_ord_id,
        account=account,
        symbol=symbol,
        side=side,
        order_type=order_type,
        tif=tif,
        qty=qty,
        price=price,
        post_only=_POST_ONLY in instructions,
        transact_time_ns=transact_ns,
        poss_dup=r.message.poss_dup,
        poss_resend=r.message.poss_resend,
    )


def _parse_cancel(r: _Reader) -> OrderCancelRequest:
    return OrderCancelRequest(
        seq_num=r.seq,
        cl_ord_id=r.required(Tag.CL_ORD_ID),
        orig_cl_ord_id=r.required(Tag.ORIG_CL_ORD_ID),
        order_id=r.optional(Tag.ORDER_ID),
        account=r.optional(Tag.ACCOUNT),
        symbol=r.required(Tag.SYMBOL),
        side=r.side(),
        transact_time_ns=r.timestamp(Tag.TRANSACT_TIME),
        poss_dup=r.message.poss_dup,
        poss_resend=r.message.poss_resend,
    )


def _parse_replace(r: _Reader) -> OrderCancelReplaceRequest | CancelRefused:
    cl_ord_id, orig = r.required(Tag.CL_ORD_ID), r.required(Tag.ORIG_CL_ORD_ID)
    order_id, account = r.optional(Tag.ORDER_ID), r.optional(Tag.ACCOUNT)
    symbol, side = r.required(Tag.SYMBOL), r.side()
    transact_ns = r.timestamp(Tag.TRANSACT_TIME)
    terms = _order_terms(r)
    if isinstance(terms, _Problem):
        response_to = CxlRejResponseTo.CANCEL_REPLACE_REQUEST
        reason = CxlRejReason.BROKER_EXCHANGE_OPTION
        return CancelRefused(cl_ord_id, orig, order_id, account, response_to, reason, terms.text)
    order_type, qty, price = terms
    return OrderCancelReplaceRequest(
        seq_num=r.seq,
        cl_ord_id=cl_ord_id,
        orig_cl_ord_id=orig,
        order_id=order_id,
        account=account,
        symbol=symbol,
        side=side,
        order_type=order_type,
        qty=qty,
        price=price,
        transact_time_ns=transact_ns,
        poss_dup=r.message.poss_dup,
        poss_resend=r.message.poss_resend,
    )


_PARSERS: Final[dict[str, Callable[[_Reader], AppRequest | AppRefusal]]] = {
    MsgType.NEW_ORDER_SINGLE: _parse_new_order,
    MsgType.ORDER_CANCEL_REQUEST: _parse_cancel,
    MsgType.ORDER_CANCEL_REPLACE_REQUEST: _parse_replace,
}


def reply_to(refusal: AppRefusal, *, exec_id: str, transact_ns: int) -> OutboundMessage:
    """The FIX answer to ``refusal`` (``exec_id`` is used by an ExecutionReport only)."""
    match refusal:
        case SessionLevelReject():
            return admin.reject(
                refusal.ref_seq_num,
                refusal.reason,
                ref_tag=refusal.ref_tag,
                ref_msg_type=refusal.ref_msg_type,
                text=refusal.text,
            )
        case UnsupportedMessage():
            return reports.business_message_reject(
                ref_seq_num=refusal.ref_seq_num,
                ref_msg_type=refusal.msg_type,
                reason=BusinessRejectReason.UNSUPPORTED_MESSAGE_TYPE,
                text=f"MsgType {refusal.msg_type} is not served by this exchange",
            )
        case OrderRefused():
            return reports.execution_rejected(
                cl_ord_id=refusal.cl_ord_id,
                symbol=refusal.symbol,
                side=refusal.side,
                exec_id=exec_id,
                transact_ns=transact_ns,
                reason=refusal.reason,
                text=refusal.text,
                order_qty=refusal.qty,
                account=refusal.account,
            )
        case CancelRefused():
            return reports.order_cancel_reject(
                cl_ord_id=refusal.cl_ord_id,
                orig_cl_ord_id=refusal.orig_cl_ord_id,
                response_to=refusal.response_to,
                reason=refusal.reason,
                text=refusal.text,
                transact_ns=transact_ns,
                order_id=refusal.order_id or reports.UNKNOWN_ORDER_ID,
                account=refusal.account,
            )
