"""OUCH order messages to engine commands, for one gateway (pure: no sockets, no clock).

:class:`OuchOrders` turns an OUCH session's Enter Order, Cancel Order and Replace Order into
the NewOrder, CancelOrder and ReplaceOrder of its account (``command``), or refuses them
through the listener's ``refuse(token, reason letter)`` (journaled: ``engine.gateway.ouch_server``):

* Enter Order: a token the session used today is ignored (below); what the engine cannot
  express (``engine.protocols.ouch.terms``) is refused with its letter.
* Cancel Order (all, or reduce to N open) and Replace Order find the session's order by token:
  a live one (the outbound projection) or one entered and not answered yet (``pending``: its
  order id is its seq_no, known once it is in ring[in]). A cancel of a token that is not live
  is ignored, as OUCH does; a replace whose replacement token the session used today is
  ignored; a replace of a token that is not live is refused ``O``.

**Day-unique tokens.** OUCH 4.2 asks that a token be day-unique per session and lets a
client repeat any inbound message benignly (after a reconnect it may resend what it is not
sure arrived): a message that would bring a used token into use again is ignored, never
entered twice and never answered with a Rejected that would read as that token's order's
end. "Used today" is: named in a stored report of the session's day (the ledger's
``day_ids``, ``engine.gateway.clordids``: rebuilt from the report stores at restart,
forgotten at EndOfDay), or entered or sent as a replacement and not answered yet, or the
token of a live order (a GTC order outlives its day). Checked with dictionary lookups only:
this is on every order's path.

A message that names an order entered in the batch being taken, before that batch is in
ring[in], is held back by the listener (:meth:`names_unsequenced`) until :meth:`sequenced`
has told the order its seq_no: so an order and its cancel may come in one read.
:meth:`answered` forgets a pending order once its Accepted or Rejected is stored.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.domain.types import CancelOrder as EngineCancel
from engine.domain.types import (
    Command,
    NewOrder,
    OrderType,
    ReplaceOrder,
    Side,
    TimeInForce,
)
from engine.gateway.ouch_pending import answered, enter_all, sequence_all
from engine.gateway.outbound import LiveOrder, OrderReport, OutboundProjection
from engine.protocols.ouch.inbound import CancelOrder, EnterOrder
from engine.protocols.ouch.inbound import ReplaceOrder as OuchReplace
from engine.protocols.ouch.terms import (
    CancelAll,
    OrderTerms,
    ReduceTo,
    Refused,
    cancel_terms,
    enter_terms,
    replace_terms,
)

OrderMessage = EnterOrder | CancelOrder | OuchReplace
#: refuse(token, OUCH reject reason letter): the listener journals the refusal (a REFUSED
#: ``SessionNote``), whose event becomes the session's Rejected
Refuse = Callable[[str, str], None]


class OuchOrders:
    """The order translation of every OUCH session of one gateway."""

    def __init__(
        self, projection: Callable[[], OutboundProjection], taken: Callable[[int, str], bool]
    ) -> None:
        #: the ledger's projection (a function: catch-up may replace the ledger's object)
        self._projection = projection
        #: taken(origin, token): whether a stored report of the session's day names the token
        self._taken = taken
        #: (origin, token) -> a NewOrder sent and not answered yet (seq_no 0 until it is in
        #: ring[in]); a token in use, which a cancel or replace may already name
        self._pending: dict[tuple[int, str], NewOrder] = {}
        #: (origin, replacement token) of the replaces sent and not answered yet
        self._replacing: set[tuple[int, str]] = set()

    def answered(self, origin: int, numbered: list[tuple[int, OrderReport]]) -> None:
        """Reports stored for session ``origin``: its orders' answers end their pendency."""
        answered(self._pending, self._replacing, origin, numbered)  # (compiled: ouch_pending)

    def cancels_of(self, origin: int) -> list[Command]:
        """A CancelOrder for every live or pending order session ``origin`` entered."""
        cancels: list[Command] = list(self._projection().cancels_of(origin))
        for (owner, token), order in self._pending.items():
            if owner == origin and order.seq_no:
                cancels.append(EngineCancel(0, 0, order.account, order.seq_no, token))
        return cancels

    def names_unsequenced(self, origin: int, msg: OrderMessage) -> bool:
        """Whether ``msg`` cancels or replaces an order entered in the batch being taken."""
        if isinstance(msg, EnterOrder):
            return False
        token = msg.existing_token if isinstance(msg, OuchReplace) else msg.token
        pending = self._pending.get((origin, token))
        return pending is not None and not pending.seq_no

    def sequenced(self, origin: int, commands: list[Command], seq_nos: list[int]) -> None:
        """The batch is in ring[in]: its new orders' ids (their seq_nos) are known."""
        sequence_all(self._pending, origin, commands, seq_nos)  # (compiled: ouch_pending)

    # -- orders in --------------------------------------------------------------------------

    def command(
        self, origin: int, firm: str, account: str, msg: OrderMessage, refuse: Refuse
    ) -> Command | None:
        """The command an order message makes, or None (refused here, or ignored)."""
        token = msg.replacement_token if isinstance(msg, OuchReplace) else msg.token
        if isinstance(msg, EnterOrder):
            if self._used(origin, token):
                return None  # a token used today: ignored, as OUCH does (module docstring)
            terms = enter_terms(msg)
            if isinstance(terms, Refused):
                refuse(token, terms.reason)
                return None
            entered = NewOrder(0, 0, firm, account, msg.stock, terms.side,
                               terms.order_type, terms.tif, terms.qty, terms.price, token,
                               terms.post_only)  # fmt: skip
            self._pending[origin, token] = entered
            return entered
        replacing = isinstance(msg, OuchReplace) and token != msg.existing_token
        if replacing and self._used(origin, token):
            return None  # its replacement token was used today: ignored, as OUCH does
        found = self._find(origin, msg.existing_token if isinstance(msg, OuchReplace) else token)
        if found is None:
            if isinstance(msg, OuchReplace):
                refuse(token, "O")  # no live order with that token
            return None  # a cancel of an order not live: ignored, as OUCH does
        order_id, order = found
        filled = order.cum_qty
        if isinstance(msg, CancelOrder):
            what = cancel_terms(msg, filled_qty=filled, open_qty=order.leaves)
            if isinstance(what, CancelAll):
                return EngineCancel(0, 0, account, order_id, token)
            if isinstance(what, ReduceTo):
                return ReplaceOrder(0, 0, account, order_id, what.qty, order.price, token)
            return None
        original = OrderTerms(
            Side(order.side), OrderType(order.order_type), TimeInForce(order.tif), order.qty,
            order.price, order.post_only,
        )  # fmt: skip
        new = replace_terms(msg, original, filled)
        if isinstance(new, Refused):
            refuse(token, new.reason)
            return None
        if replacing:
            self._replacing.add((origin, token))
        return ReplaceOrder(0, 0, account, order_id, new.qty, new.price, token)

    def enter_all(
        self,
        origin: int,
        scanned: list[NewOrder],
        over: Callable[[int], bool],
        now: int,
        commands: list[Command],
        refuse: Callable[[str], None],
    ) -> None:
        """The NewOrders the fast lane (``engine.gateway.ouch_scan``) made of Enter Orders
        whose terms the engine can express, in turn: refused (``refuse(token)``) when
        ``over(now)`` (the session's rate); else taken as :meth:`command` takes them (pending
        from now on, appended to ``commands``), or ignored when the token was used today
        (compiled: ``ouch_pending.enter_all``)."""
        by_token = self._projection().by_token
        enter_all(
            self._pending, self._replacing, by_token, self._taken, origin, scanned, over, now,
            commands, refuse,
        )  # fmt: skip

    def _used(self, origin: int, token: str) -> bool:
        """Whether the session used ``token`` today (see the module docstring)."""
        key = (origin, token)
        return (
            key in self._pending
            or self._taken(origin, token)
            or key in self._replacing
            or self._projection().find(origin, token) is not None
        )

    def _find(self, origin: int, token: str) -> tuple[int, LiveOrder] | None:
        """The session's live order of that token: acknowledged (the projection), or entered
        and not answered yet (its order id is its seq_no, known once it is in ring[in])."""
        found = self._projection().find(origin, token)
        if found is not None:
            return found
        pending = self._pending.get((origin, token))
        if pending is None or not pending.seq_no:
            return None
        return pending.seq_no, LiveOrder(
            origin, pending.account, pending.symbol, int(pending.side), int(pending.order_type),
            int(pending.tif), pending.post_only, token, "", pending.qty, pending.price,
            pending.qty, 0, 0, pending.seq_no,
        )  # fmt: skip
