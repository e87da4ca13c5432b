"""Fill feedback: the risk stage applying the matcher's events to its wallets and order table.

This is the second half of two-phase risk (hold before matching, release after); it is not
T+2 settlement, which moves cash and shares on the settlement date. Events are applied strictly
in (seq_no, sub_seq) order; which commands' events have been applied when the risk stage
decides command N is fixed by the feedback window W (see `engine.domain.exchange`), never by
timing.

* ``Fill`` of a buy: cash total and hold -qty x fill price, shares +qty; of a sell: shares total
  and hold -qty, cash +qty x fill price. The reference price becomes the fill price. Then, with
  no replace in flight, the hold is trued up to ``leaves x limit`` (releasing price improvement);
  at leaves 0 the order ends.
* ``Cancelled`` / ``Expired``: the order ends.
* ``Replaced``: the confirmed terms change; with no other replace in flight the hold is trued
  up to the new terms.
* ``Rejected`` by the matcher of a NewOrder (post-only; its order_id is 0, its seq_no is the
  order id): the order ends. A matcher reject of a replace of a live order (rules 2: a
  post-only order that would take; its order_id is the order's) undoes the replace's hold like
  a ``Replaced`` to the unchanged terms. Any other matcher reject of a cancel/replace needs
  nothing: the order had already ended, and that end was fed back earlier because it came from
  an earlier command, so the order is no longer in the table.

* ``AccountSettled`` (rules 3, a Settle's): what the account received in those trades is
  settled, so it leaves the positions' ``receiving``.

Under rules 3 a fill also adds what it credits (shares bought, sale proceeds) to the credited
position's ``receiving``: one flag test and one addition per fill.

An order that ends releases its whole pool and leaves the table. Book events carry nothing the
wallets need and are skipped.

W changes the risk stage's decisions in exactly two ways, and both are decided here or by the
caller of `apply`: *when* feedback arrives (at once for W = 1, W - 1 commands later otherwise:
`engine.domain.exchange` and the risk stage adapter), and *what a replace must stay funded for*
until its own feedback arrives (:meth:`FillFeedback.replace_qty` / :meth:`replace_price`): with
W = 1 nothing can fill at the old terms after the decision, with W > 1 fills at any terms in
flight still can.
"""

from __future__ import annotations

from typing import Final

import cython

from engine.domain.risk_order import RiskOrder
from engine.domain.types import (
    CASH,
    AccountSettled,
    Cancelled,
    Event,
    Expired,
    Fill,
    Rejected,
    Replaced,
)
from engine.domain.wallet import Account, Position

#: The event classes the feedback acts on; it skips every other one (book events, Accepted...).
FEEDBACK_EVENTS: Final = frozenset({Fill, Cancelled, Expired, Replaced, Rejected, AccountSettled})


@cython.final
@cython.cclass
class FillFeedback:
    #: the risk stage's table of live orders (shared with it, never rebound)
    orders: dict[int, RiskOrder]
    #: W = 1: a command's feedback is applied before the next command is decided
    serial: cython.bint
    #: rules 3: fills credit ``receiving``, AccountSettled settles it
    settling: cython.bint
    #: the risk stage's accounts (shared with it, never rebound): what AccountSettled names
    accounts: dict[str, Account]

    def __init__(
        self,
        orders: dict[int, RiskOrder],
        serial: cython.bint = True,
        accounts: dict[str, Account] | None = None,
        settling: cython.bint = False,
    ) -> None:
        self.orders = orders
        self.serial = serial
        self.accounts = {} if accounts is None else accounts
        self.settling = settling

    @cython.ccall
    def apply(self, events: list[Event]) -> cython.void:
        """Apply one command's events (or several commands', in seq order) in order."""
        ev: tuple
        for item in events:
            ev = cython.cast(tuple, item)
            cls = type(item)
            if cls is Fill:
                self.fill(ev)
            elif cls is Cancelled or cls is Expired:
                self.end(self.orders[ev[0]])
            elif cls is Replaced:
                self.replaced(ev)
            elif cls is Rejected:
                order: RiskOrder | None
                if ev[3] == 0:
                    order = self.orders.get(ev[0])
                    if order is not None:
                        self.end(order)
                else:
                    order = self.orders.get(ev[3])
                    if order is not None:
                        self.replace_done(order)
            elif cls is AccountSettled:
                self.settled(ev)

    @cython.cfunc
    def fill(self, ev: tuple) -> cython.void:
        order: RiskOrder = self.orders[ev[0]]
        qty: cython.longlong = ev[4]
        price: cython.longlong = ev[5]
        leaves: cython.longlong = ev[6]
        cost: cython.longlong
        order.spec.set_reference(price)
        hold = order.hold
        if order.is_buy:
            cost = qty * price  # <= what the buy holds, so it fits
            hold.total -= cost
            hold.held -= cost
            order.pool -= cost
            order.other.total += qty
            if self.settling:
                order.other.receiving += qty
        else:
            hold.total -= qty
            hold.held -= qty
            order.pool -= qty
            cost = qty * price
            order.other.total += cost
            if self.settling:
                order.other.receiving += cost
        order.leaves = leaves
        if leaves == 0:
            self.end(order)
        elif order.pending == 0:
            target: cython.longlong = leaves * order.price if order.is_buy else leaves
            hold.held -= order.pool - target
            order.pool = target

    @cython.cfunc
    def settled(self, ev: tuple) -> cython.void:
        """An account's trades of a symbol and date settled: its receipts are settled."""
        acct: Account = self.accounts[ev[0]]
        bought: cython.longlong = ev[4]
        received: cython.longlong = ev[7]
        pos: Position
        if bought:
            pos = acct.positions[ev[1]]
            pos.receiving -= bought
        if received:
            pos = acct.positions[CASH]
            pos.receiving -= received

    @cython.cfunc
    def replaced(self, ev: tuple) -> cython.void:
        order: RiskOrder = self.orders[ev[0]]
        order.qty = ev[2]
        order.price = ev[3]
        order.leaves = ev[4]
        self.replace_done(order)

    @cython.cfunc
    def replace_done(self, order: RiskOrder) -> cython.void:
        """A replace the risk stage held for was decided: applied (the terms are set already)
        or refused by the matcher (a post-only order that would take keeps its terms). With no
        other replace in flight, the hold is trued up to the order's terms."""
        order.pending -= 1
        if order.pending == 0:
            order.max_qty = order.qty
            order.hi = order.price
            target: cython.longlong = order.target()
            order.hold.held -= order.pool - target
            order.pool = target

    @cython.ccall
    def end(self, order: RiskOrder) -> cython.void:
        """The order ended: release its whole pool and forget it."""
        order.hold.held -= order.pool
        order.pool = 0
        order.owner.open_orders -= 1
        del self.orders[order.order_id]

    @cython.ccall
    def replace_qty(self, order: RiskOrder, qty: cython.longlong) -> cython.longlong:
        """The largest total qty ``order`` may still trade at once a replace to ``qty`` is
        decided: the new qty with W = 1, else the largest of every terms still in flight."""
        if self.serial:
            return qty
        return order.max_qty if order.max_qty > qty else qty

    @cython.ccall
    def replace_price(self, order: RiskOrder, price: cython.longlong) -> cython.longlong:
        """Likewise the highest price it may still trade at (what a buy holds per share)."""
        if self.serial:
            return price
        return order.hi if order.hi > price else price
