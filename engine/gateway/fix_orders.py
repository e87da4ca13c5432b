"""FIX orders in: a parsed application message becomes a domain command or the FIX answer
that refuses it (pure: the time and the ExecID of an answer are arguments).

* NewOrderSingle -> ``NewOrder`` for the session's firm. Account(1), when given, must be one
  of the firm's accounts in the gateway's registry (``engine.gateway.accounts``), else the
  session's account is used. ClOrdID(11) is the client order id: 1 to 20 ASCII characters.
  Refused: ExecutionReport 150=8.
* **A ClOrdID is taken once a day.** A request whose ClOrdID the session used today
  (``known``: a NewOrder's, accepted or refused by the exchange, a replace's or a cancel's,
  still in flight or long done: ``engine.gateway.clordids``) is never sequenced again:

  - flagged as resent, PossResend(97)=Y or PossDupFlag(43)=Y (a client resending its queue
    after a reconnect, or answering our ResendRequest for a message whose number a crash made
    us forget), it is answered with the current state of the order that ClOrdID named,
    ExecutionReport 150=I (:func:`engine.gateway.fix_render.render_status`): it asks "did
    you get this?", and a reject would read as the order's end (a resent replace applied
    again could even undo a later one). While the first is still being sequenced there is
    no state yet: no answer, its own reports follow;
  - any other reuse is refused: a NewOrderSingle with 150=8 and OrdRejReason(103)=6
    (duplicate order), a cancel or replace with OrderCancelReject CxlRejReason(102)=6.
* OrderCancelRequest / OrderCancelReplaceRequest find the order among the session's own live
  orders (the outbound projection, ``engine.gateway.outbound``): by OrderID(37) when given,
  else by OrigClOrdID(41), which may also name an order still being sequenced (``pending``:
  its NewOrderSingle, or a cancel or replace that gave it that ClOrdID, went in and its
  report is not back yet): a client may cancel what it just sent without waiting for the
  ack, and the exchange, which sequences the cancel after the order, decides. They
  become ``CancelOrder`` / ``ReplaceOrder`` with their ClOrdID
  journaled as the client order id (the order's ClOrdID from then on). An order that is not
  found, whoever's it is, gets one answer that depends only on the request: OrderCancelReject
  with CxlRejReason 1 (unknown order), so another firm's order (or one of another session:
  its reports go to the session that entered it) is never confirmed to exist. A replace may
  change OrderQty(38) (the new total, filled part included) and Price(44), nothing else.
* A message of a session over its rate (:class:`RateWindow`) is never sequenced: an order
  that would be is answered :func:`throttled`; one the gateway answers itself (a refusal, a
  resent order's status) gets that answer, never a "throttled" reject of a known ClOrdID.

Account(1) on a cancel or a replace is not read: the order's own account acts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.domain.types import CancelOrder, Command, NewOrder, ReplaceOrder
from engine.gateway.accounts import AccountRegistry
from engine.gateway.clordids import Known
from engine.gateway.fix_render import render_status
from engine.gateway.outbound import LiveOrder, OutboundProjection
from engine.protocols.fix import reports
from engine.protocols.fix.codec import OutboundMessage
from engine.protocols.fix.messages import (
    AppRefusal,
    AppRequest,
    CancelRefused,
    NewOrderSingle,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
    OrderRefused,
    reply_to,
)
from engine.protocols.fix.tags import CxlRejReason, CxlRejResponseTo, OrdRejReason, OrdStatus
from engine.records import (
    ACCOUNT_MAX,
    CLIENT_ORDER_ID_MAX,
    FIRM_MAX,
    SYMBOL_MAX,
    RecordError,
    encode_command,
)

UNKNOWN_ORDER_TEXT = "unknown order"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
BAD_CL_ORD_ID = f"ClOrdID(11) must be 1 to {CLIENT_ORDER_ID_MAX} printable ASCII characters"
DUPLICATE_TEXT = "duplicate ClOrdID(11): the session used it today"

#: known(ClOrdID) -> what it named today on the session, or None (``ReportLedger.known``
#: with what is in flight)
KnownIds = Callable[[str], Known | None]
#: pending(OrigClOrdID) -> (the order's id, its NewOrder when that is what is in flight)
#: while what the ClOrdID names is still being sequenced (``InFlight.order``), or None
PendingOrders = Callable[[str], tuple[int, NewOrder | None] | None]


@dataclass(frozen=True, slots=True)
class _Entering:
    """An order whose NewOrder is still being sequenced, as a cancel or a replace sees it
    (nothing filled yet as far as the session knows)."""

    account: str
    symbol: str
    side: int
    order_type: int
    cum_qty: int = 0


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends: a configured FIX session."""

    firm: str
    origin: int
    #: the account of orders that name none
    account: str


@dataclass(frozen=True, slots=True)
class _LiveRefused:
    """A request refused about a live order of the session: the answer names the order and
    its status."""

    refusal: CancelRefused
    order_id: int
    order: LiveOrder | _Entering

    def answer(self, now_ns: int) -> OutboundMessage:
        r = self.refusal
        return reports.order_cancel_reject(
            cl_ord_id=r.cl_ord_id, orig_cl_ord_id=r.orig_cl_ord_id, response_to=r.response_to,
            reason=r.reason, text=r.text, transact_ns=now_ns, order_id=str(self.order_id),
            ord_status=OrdStatus.PARTIALLY_FILLED if self.order.cum_qty else OrdStatus.NEW,
            account=self.order.account,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Status:
    """A request flagged as resent whose ClOrdID is known: where its order stands (no answer
    while the first is still being sequenced)."""

    cl_ord_id: str
    known: Known

    def answer(self, exec_id: str, now_ns: int) -> OutboundMessage | None:
        state = self.known.state
        if state is None:  # in flight
            return None
        text = f"resent ClOrdID {self.cl_ord_id} was taken already: its order's status"
        return render_status(state, text=text, exec_id=exec_id, now_ns=now_ns)


def _status(req: AppRequest, used: Known | None) -> _Status | None:
    """The answer to ``req`` flagged as resent whose ClOrdID is ``used``, if it has one."""
    if used is None or not (req.poss_resend or req.poss_dup):
        return None
    if used.state is None and not used.in_flight:
        return None  # nothing to show (a refused cancel's ClOrdID): a duplicate
    return _Status(req.cl_ord_id, used)


def _good_id(text: str) -> bool:
    return 0 < len(text) <= CLIENT_ORDER_ID_MAX and text.isascii() and text.isprintable()


def _refuse_order(req: NewOrderSingle, reason: OrdRejReason, text: str) -> OrderRefused:
    return OrderRefused(req.cl_ord_id, req.account, req.symbol, req.side, req.qty, reason, text)


def _refuse_cancel(
    req: OrderCancelRequest | OrderCancelReplaceRequest, reason: CxlRejReason, text: str
) -> CancelRefused:
    response_to = (
        CxlRejResponseTo.CANCEL_REQUEST
        if isinstance(req, OrderCancelRequest)
        else CxlRejResponseTo.CANCEL_REPLACE_REQUEST
    )
    return CancelRefused(
        req.cl_ord_id, req.orig_cl_ord_id, req.order_id, req.account, response_to, reason, text
    )


def throttled(parsed: AppRequest, limit: int, *, exec_id: str, now_ns: int) -> OutboundMessage:
    """The answer to an order message over the session's rate (nothing is sequenced)."""
    text = f"throttled: more than {limit} messages per second"
    return refused_here(parsed, text, exec_id=exec_id, now_ns=now_ns)


def refused_here(parsed: AppRequest, text: str, *, exec_id: str, now_ns: int) -> OutboundMessage:
    """The gateway's own refusal of an order message, with ``text`` (nothing is sequenced)."""
    refusal: AppRefusal
    if isinstance(parsed, NewOrderSingle):
        refusal = _refuse_order(parsed, OrdRejReason.OTHER, text)
    else:
        refusal = _refuse_cancel(parsed, CxlRejReason.BROKER_EXCHANGE_OPTION, text)
    return reply_to(refusal, exec_id=exec_id, transact_ns=now_ns)


def command_for(
    sender: Sender,
    parsed: AppRequest | AppRefusal,
    accounts: AccountRegistry,
    projection: OutboundProjection,
    known: KnownIds,
    *,
    exec_id: str,
    now_ns: int,
    pending: PendingOrders | None = None,
) -> Command | OutboundMessage | None:
    """The command to sequence for ``parsed``, or the FIX answer refusing it (None: no
    answer, see :class:`_Status`). ``pending`` lets a cancel or a replace act on an order
    still being sequenced (its ack not applied yet)."""
    result: NewOrder | CancelOrder | ReplaceOrder | AppRefusal | _LiveRefused | _Status
    match parsed:
        case NewOrderSingle():
            result = _new_order(sender, parsed, accounts, known)
        case OrderCancelRequest() | OrderCancelReplaceRequest():
            result = _amend(sender, parsed, projection, known, pending)
        case _:
            result = parsed
    if isinstance(result, NewOrder | CancelOrder | ReplaceOrder):
        return result
    if isinstance(result, _LiveRefused):
        return result.answer(now_ns)
    if isinstance(result, _Status):
        return result.answer(exec_id, now_ns)
    return reply_to(result, exec_id=exec_id, transact_ns=now_ns)


def _new_order(
    sender: Sender,
    req: NewOrderSingle,
    accounts: AccountRegistry,
    known: KnownIds,
) -> NewOrder | OrderRefused | _Status:
    if not _good_id(req.cl_ord_id):
        return _refuse_order(req, OrdRejReason.OTHER, BAD_CL_ORD_ID)
    used = known(req.cl_ord_id)
    if used is not None:
        return _status(req, used) or _refuse_order(
            req, OrdRejReason.DUPLICATE_ORDER, DUPLICATE_TEXT
        )
    account = sender.account if req.account is None else req.account
    if not accounts.owns(sender.firm, account):
        text = "Account(1) is not one of the firm's accounts"
        return _refuse_order(req, OrdRejReason.UNKNOWN_ACCOUNT, text)
    if not (0 < len(req.symbol) <= SYMBOL_MAX and req.symbol.isascii()):
        return _refuse_order(req, OrdRejReason.UNKNOWN_SYMBOL, "unknown symbol")
    cmd = NewOrder(
        0, 0, sender.firm, account, req.symbol, req.side, req.order_type, req.tif, req.qty,
        req.price, req.cl_ord_id, req.post_only,
    )  # fmt: skip
    if _fits_record(cmd):
        return cmd
    try:
        encode_command(cmd)  # the record's own checks, for the text of what does not fit
    except RecordError as exc:
        return _refuse_order(req, OrdRejReason.OTHER, str(exc)[:120])
    return cmd


def _fits_record(cmd: NewOrder) -> bool:
    """Whether every field of ``cmd`` certainly fits the command record
    (``engine.records.encode_command``): its texts ASCII without NUL and short enough, its
    numbers int64. Cheaper than encoding it; a False is decided by encoding it."""
    return (
        _INT64_MIN <= cmd.qty <= _INT64_MAX
        and _INT64_MIN <= cmd.price <= _INT64_MAX
        and _short_ascii(cmd.firm, FIRM_MAX)
        and _short_ascii(cmd.account, ACCOUNT_MAX)
        and _short_ascii(cmd.symbol, SYMBOL_MAX)
        and _short_ascii(cmd.client_order_id, CLIENT_ORDER_ID_MAX)
    )


def _short_ascii(text: str, limit: int) -> bool:
    return len(text) <= limit and text.isascii() and "\0" not in text


def _find(
    sender: Sender,
    req: OrderCancelRequest | OrderCancelReplaceRequest,
    projection: OutboundProjection,
    pending: PendingOrders | None,
) -> tuple[int, LiveOrder | _Entering] | None:
    """The session's own live order the request names (OrderID first), else None. By
    OrigClOrdID it may also be one still being sequenced: entered (its NewOrder in flight)
    or live with a cancel or replace in flight that gave it that ClOrdID."""
    if req.order_id is None and pending is not None:
        found = projection.find(sender.origin, req.orig_cl_ord_id)
        if found is not None:
            return found
        hit = pending(req.orig_cl_ord_id)
        if hit is None:
            return None
        order_id, entering = hit
        order = projection.orders.get(order_id)  # live by now, or live all along
        if order is not None:
            return (order_id, order) if order.origin == sender.origin else None
        if entering is None:
            return None  # it was live, and is gone
        side, order_type = int(entering.side), int(entering.order_type)
        return order_id, _Entering(entering.account, entering.symbol, side, order_type)
    if req.order_id is not None:
        text = req.order_id
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            return None
        order = projection.orders.get(int(text))
        if order is None or order.origin != sender.origin:
            return None
        return int(text), order
    return projection.find(sender.origin, req.orig_cl_ord_id)


def _amend(
    sender: Sender,
    req: OrderCancelRequest | OrderCancelReplaceRequest,
    projection: OutboundProjection,
    known: KnownIds,
    pending: PendingOrders | None = None,
) -> CancelOrder | ReplaceOrder | CancelRefused | _LiveRefused | _Status:
    used = known(req.cl_ord_id)
    status = _status(req, used)  # of the order it named, whether still live or not
    if status is not None:
        return status
    found = _find(sender, req, projection, pending)
    if found is None:
        return _refuse_cancel(req, CxlRejReason.UNKNOWN_ORDER, UNKNOWN_ORDER_TEXT)
    order_id, order = found

    def refuse(reason: CxlRejReason, text: str) -> _LiveRefused:
        return _LiveRefused(_refuse_cancel(req, reason, text), order_id, order)

    if not _good_id(req.cl_ord_id):
        return refuse(CxlRejReason.BROKER_EXCHANGE_OPTION, BAD_CL_ORD_ID)
    if used is not None:
        return refuse(CxlRejReason.DUPLICATE_CL_ORD_ID, DUPLICATE_TEXT)
    # journaled for the answer's OrigClOrdID(41) should the order never be live (it was found
    # in flight by it, so it is a good id then; any other is not needed and may not fit)
    orig = req.orig_cl_ord_id if _good_id(req.orig_cl_ord_id) else ""
    if isinstance(req, OrderCancelRequest):
        return CancelOrder(0, 0, order.account, order_id, req.cl_ord_id, orig)
    if (req.symbol, int(req.side), int(req.order_type)) != (
        order.symbol,
        order.side,
        order.order_type,
    ):
        text = "only OrderQty(38) and Price(44) can be replaced"
        return refuse(CxlRejReason.BROKER_EXCHANGE_OPTION, text)
    return ReplaceOrder(0, 0, order.account, order_id, req.qty, req.price, req.cl_ord_id, orig)
