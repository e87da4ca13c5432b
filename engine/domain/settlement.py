"""Settlement: the risk stage applying the matcher's events to wallets and its order table.

This is the feedback half of two-phase risk. Events are applied strictly in (seq_no, sub_seq)
order; which commands' events have been applied when the risk stage decides command N is fixed
by the feedback window (see `engine.domain.exchange`), never by timing.

* ``Fill`` of a buy: cash total and hold -qty x fill price, shares +qty; of a sell: shares total
  and hold -qty, cash +qty x fill price. The reference price becomes the fill price. Then, with
  no replace in flight, the hold is trued up to ``leaves x limit`` (releasing price improvement);
  at leaves 0 the order ends.
* ``Cancelled`` / ``Expired``: the order ends.
* ``Replaced``: the confirmed terms change; with no other replace in flight the hold is trued
  up to the new terms.
* ``Rejected`` by the matcher of a NewOrder (post-only; its order_id is 0, its seq_no is the
  order id): the order ends. A matcher reject of a cancel/replace needs nothing: the order had
  already ended, and that end was fed back earlier because it came from an earlier command.

An order that ends releases its whole pool and leaves the table. Book events carry nothing the
wallets need and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from engine.domain.risk_order import RiskOrder
from engine.domain.types import Cancelled, Event, Expired, Fill, Rejected, Replaced

#: The event classes the settler acts on; it skips every other one (book events, Accepted...).
SETTLED_EVENTS: Final = frozenset({Fill, Cancelled, Expired, Replaced, Rejected})


class Settler:
    __slots__ = ("orders",)

    def __init__(self, orders: dict[int, RiskOrder]) -> None:
        self.orders = orders

    def apply(self, events: Iterable[Event]) -> None:
        """Apply one command's events in order. Dispatch is by class identity in this one frame
        (the hot events, fills and ends, cost no further call): the feedback of every
        forwarded command passes here, in the risk stage process and in `Exchange`."""
        orders = self.orders
        evs: Iterable[Any] = events  # fields read by index below, by class
        for ev in evs:
            cls = ev.__class__
            if cls is Fill:
                order = orders[ev[0]]
                qty = ev[4]
                price = ev[5]
                order.spec.set_reference(price)
                hold = order.hold
                if order.is_buy:
                    cost = qty * price
                    hold.total -= cost
                    hold.held -= cost
                    order.pool -= cost
                    order.other.total += qty
                else:
                    hold.total -= qty
                    hold.held -= qty
                    order.pool -= qty
                    order.other.total += qty * price
                leaves = order.leaves = ev[6]
                if not leaves:
                    self._end(order)
                elif not order.pending:
                    target = leaves * order.price if order.is_buy else leaves
                    hold.held -= order.pool - target
                    order.pool = target
            elif cls is Cancelled or cls is Expired:
                self._end(orders[ev[0]])
            elif cls is Replaced:
                self.replaced(ev)
            elif cls is Rejected:
                self.rejected(ev)

    def ended(self, ev: Cancelled | Expired) -> None:
        self._end(self.orders[ev.order_id])

    def replaced(self, ev: Replaced) -> None:
        order = self.orders[ev.order_id]
        order.qty = ev.qty
        order.price = ev.price
        order.leaves = ev.leaves_qty
        order.pending -= 1
        if not order.pending:
            order.max_qty = ev.qty
            order.hi = ev.price
            target = order.target()
            order.hold.held -= order.pool - target
            order.pool = target

    def rejected(self, ev: Rejected) -> None:
        if ev.order_id == 0:
            order = self.orders.get(ev.seq_no)
            if order is not None:
                self._end(order)

    def _end(self, order: RiskOrder) -> None:
        # Twin: engine.domain.windowed.WindowedPath.submit ends a plain cancel's order inline
        # with this arithmetic, and skips [Accepted, BookAdd] because apply ignores both
        # classes; a change here (or to which classes apply settles) must be made there too.
        order.hold.held -= order.pool
        order.pool = 0
        order.owner.open_orders -= 1
        del self.orders[order.order_id]
