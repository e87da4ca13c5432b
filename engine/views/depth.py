"""L2 depth: each symbol's price levels (total shares, order count) from order-level events.

Contract. :class:`DepthProjection` is fed the book events of the canonical stream in order
(``BookAdd``, ``BookExecute``, ``BookReduce``, ``BookDelete``, ``BookReplace``; every other
event is ignored here) and keeps, per symbol and side, the aggregate of the resting orders at
each price. :meth:`DepthProjection.top` answers the best ``n`` levels: bids from the highest
price down, asks from the lowest up. Deterministic and pure: integer prices (engine price
units) and shares, no clock, no I/O.

It must see every event from the start of the stream, or be seeded with the resting orders
of a state (:meth:`DepthProjection.seed`); an event about an order it never saw rest raises
:class:`DepthError`, as does a change that would leave an order or a level with fewer than
zero shares: the view would be wrong, and a wrong view is a bug to stop on (fail fast).

Complexity: an event costs O(1) dict work, plus O(log L + L) (``bisect.insort`` into the
sorted prices of a side with L levels) when a level appears or empties. :meth:`top` is
O(n). :meth:`check` (O(orders)) asserts every structural invariant, for tests.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any, Final, NamedTuple

from engine.domain.types import (
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Event,
    Side,
)

__all__ = ["DepthError", "DepthProjection", "Level", "RestingOrder", "SideLevels"]


class DepthError(ValueError):
    """An event the depth view cannot apply: an unknown order, a quantity below zero."""


class Level(NamedTuple):
    """One price level of one side: the total resting shares and how many orders hold them."""

    price: int
    qty: int
    orders: int


class RestingOrder(NamedTuple):
    symbol: str
    side: Side
    price: int
    qty: int


class SideLevels:
    """One side of one book: price -> [shares, orders], and the prices in ascending order."""

    __slots__ = ("levels", "prices")

    def __init__(self) -> None:
        self.levels: dict[int, list[int]] = {}
        self.prices: list[int] = []

    def add(self, price: int, qty: int) -> None:
        level = self.levels.get(price)
        if level is None:
            self.levels[price] = [qty, 1]
            bisect.insort(self.prices, price)
        else:
            level[0] += qty
            level[1] += 1

    def take(self, price: int, qty: int, orders: int) -> None:
        """Remove ``qty`` shares and ``orders`` orders (0 or 1) from the level at ``price``."""
        level = self.levels.get(price)
        if level is None:
            raise DepthError(f"no level at price {price}")
        level[0] -= qty
        level[1] -= orders
        if level[1] == 0:
            if level[0] != 0:
                raise DepthError(f"level {price} has {level[0]} shares and no order")
            del self.levels[price]
            del self.prices[bisect.bisect_left(self.prices, price)]
        elif level[0] <= 0:
            raise DepthError(f"level {price} has {level[0]} shares and {level[1]} orders")

    def best(self, n: int, descending: bool) -> list[Level]:
        prices = self.prices[::-1][:n] if descending else self.prices[:n]
        levels = self.levels
        return [Level(p, levels[p][0], levels[p][1]) for p in prices]

    def total_levels(self) -> int:
        return len(self.prices)


_DESCENDING: Final = {Side.BUY: True, Side.SELL: False}


class DepthProjection:
    """Order-level book events in, L2 levels out (see the module contract)."""

    def __init__(self) -> None:
        #: order id -> the order as it rests now
        self.orders: dict[int, RestingOrder] = {}
        #: symbol -> (bids, asks)
        self.books: dict[str, tuple[SideLevels, SideLevels]] = {}

    def _side(self, symbol: str, side: Side) -> SideLevels:
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = (SideLevels(), SideLevels())
        return book[0] if side == Side.BUY else book[1]

    def add_symbol(self, symbol: str) -> None:
        """Make ``symbol`` known with an empty book (a symbol with no order is still shown)."""
        self.books.setdefault(symbol, (SideLevels(), SideLevels()))

    def seed(self, orders: Iterable[tuple[int, RestingOrder]]) -> None:
        """Rest ``(order id, order)`` pairs, as a state restored from a snapshot holds them."""
        for order_id, order in orders:
            self._rest(order_id, order)

    def _rest(self, order_id: int, order: RestingOrder) -> None:
        if order_id in self.orders:
            raise DepthError(f"order {order_id} rests twice")
        if order.qty <= 0:
            raise DepthError(f"order {order_id} rests with {order.qty} shares")
        self.orders[order_id] = order
        self._side(order.symbol, order.side).add(order.price, order.qty)

    def _order(self, order_id: int) -> RestingOrder:
        order = self.orders.get(order_id)
        if order is None:
            raise DepthError(f"order {order_id} is not on the book")
        return order

    def apply(self, events: Iterable[Event]) -> set[str]:
        """Apply the book events among ``events``; returns the symbols whose depth changed."""
        changed: set[str] = set()
        for event in events:
            handler = _HANDLERS.get(type(event))
            if handler is not None:
                changed.add(handler(self, event))
        return changed

    def _on_add(self, e: BookAdd) -> str:
        self._rest(e.order_id, RestingOrder(e.symbol, Side(e.side), e.price, e.qty))
        return e.symbol

    def _shrink(self, order_id: int, qty: int) -> str:
        order = self._order(order_id)
        left = order.qty - qty
        if qty <= 0 or left < 0:
            raise DepthError(f"order {order_id} of {order.qty} shares cannot lose {qty}")
        side = self._side(order.symbol, order.side)
        if left == 0:
            del self.orders[order_id]
            side.take(order.price, qty, 1)
        else:
            self.orders[order_id] = order._replace(qty=left)
            side.take(order.price, qty, 0)
        return order.symbol

    def _on_execute(self, e: BookExecute) -> str:
        return self._shrink(e.order_id, e.qty)

    def _on_reduce(self, e: BookReduce) -> str:
        order = self._order(e.order_id)
        if e.qty >= order.qty:
            raise DepthError(f"order {e.order_id} of {order.qty} shares reduced by {e.qty}")
        return self._shrink(e.order_id, e.qty)

    def _on_delete(self, e: BookDelete) -> str:
        order = self._order(e.order_id)
        return self._shrink(e.order_id, order.qty)

    def _on_replace(self, e: BookReplace) -> str:
        old = self._order(e.order_id)
        self._shrink(e.order_id, old.qty)
        self._rest(e.order_id, RestingOrder(old.symbol, old.side, e.price, e.qty))
        return old.symbol

    # -- queries ----------------------------------------------------------------------------

    def top(self, symbol: str, n: int) -> tuple[list[Level], list[Level]]:
        """The best ``n`` bid levels (highest first) and ask levels (lowest first)."""
        book = self.books.get(symbol)
        if book is None:
            return [], []
        return book[0].best(n, True), book[1].best(n, False)

    def level_counts(self, symbol: str) -> tuple[int, int]:
        book = self.books.get(symbol)
        return (0, 0) if book is None else (book[0].total_levels(), book[1].total_levels())

    def check(self) -> None:
        """Assert that every level is the sum of its orders and the prices are sorted (O(n))."""
        expected: dict[tuple[str, Side, int], list[int]] = {}
        for order in self.orders.values():
            assert order.qty > 0, order
            level = expected.setdefault((order.symbol, order.side, order.price), [0, 0])
            level[0] += order.qty
            level[1] += 1
        seen: dict[tuple[str, Side, int], list[int]] = {}
        for symbol, (bids, asks) in self.books.items():
            for side, levels in ((Side.BUY, bids), (Side.SELL, asks)):
                assert levels.prices == sorted(levels.levels), (symbol, side)
                for price, level in levels.levels.items():
                    seen[(symbol, side, price)] = list(level)
        assert seen == expected, (seen, expected)


_HANDLERS: Final[dict[type, Callable[[DepthProjection, Any], str]]] = {
    BookAdd: DepthProjection._on_add,
    BookExecute: DepthProjection._on_execute,
    BookReduce: DepthProjection._on_reduce,
    BookDelete: DepthProjection._on_delete,
    BookReplace: DepthProjection._on_replace,
}
