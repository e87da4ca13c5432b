"""L2 depth: each symbol's price levels (total shares, order count) from order-level events.

Contract. :class:`DepthProjection` is fed the book events of the canonical stream in order
(``BookAdd``, ``BookExecute``, ``BookReduce``, ``BookDelete``, ``BookReplace``; every other
event is ignored here) and keeps, per symbol and side, the aggregate of the resting orders at
each price. :meth:`DepthProjection.top` answers the best ``n`` levels: bids from the highest
price down, asks from the lowest up. Deterministic and pure: integer prices (engine price
units) and shares, no clock, no I/O.

Each event kind is one method over plain integers (:meth:`~DepthProjection.add`,
:meth:`~DepthProjection.execute`, :meth:`~DepthProjection.reduce`,
:meth:`~DepthProjection.delete`, :meth:`~DepthProjection.replace`): the one implementation of
the rules, which :meth:`DepthProjection.apply` (event objects) and the views stage's reader of
ring records (``engine.views.columns``: no event object at all) both call.

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
from collections.abc import Iterable
from typing import NamedTuple

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
        level = self.levels[price]
        level[0] -= qty
        if orders:
            level[1] -= 1
            if level[1] == 0:
                if level[0] != 0:
                    raise DepthError(f"level {price} has {level[0]} shares and no order")
                del self.levels[price]
                del self.prices[bisect.bisect_left(self.prices, price)]

    def best(self, n: int, descending: bool) -> list[Level]:
        prices = self.prices[::-1][:n] if descending else self.prices[:n]
        levels = self.levels
        return [Level(p, levels[p][0], levels[p][1]) for p in prices]

    def total_levels(self) -> int:
        return len(self.prices)


class _Resting:
    """An order on the book, as the depth knows it (mutable: executions shrink it)."""

    __slots__ = ("levels", "price", "qty", "side", "symbol")

    def __init__(self, symbol: str, side: int, price: int, qty: int, levels: SideLevels) -> None:
        self.symbol = symbol
        self.side = side
        self.price = price
        self.qty = qty
        self.levels = levels


class DepthProjection:
    """Order-level book events in, L2 levels out (see the module contract)."""

    def __init__(self) -> None:
        #: order id -> the order as it rests now
        self._orders: dict[int, _Resting] = {}
        #: symbol -> (bids, asks)
        self.books: dict[str, tuple[SideLevels, SideLevels]] = {}

    def add_symbol(self, symbol: str) -> None:
        """Make ``symbol`` known with an empty book (a symbol with no order is still shown)."""
        self.books.setdefault(symbol, (SideLevels(), SideLevels()))

    def seed(self, orders: Iterable[tuple[int, RestingOrder]]) -> None:
        """Rest ``(order id, order)`` pairs, as a state restored from a snapshot holds them."""
        for order_id, o in orders:
            self.add(o.symbol, order_id, o.side, o.qty, o.price)

    @property
    def orders(self) -> dict[int, RestingOrder]:
        """Every resting order (a copy, for tests and snapshots)."""
        return {
            oid: RestingOrder(o.symbol, Side(o.side), o.price, o.qty)
            for oid, o in self._orders.items()
        }

    # -- the rules: one method per book event ------------------------------------------------

    def add(self, symbol: str, order_id: int, side: int, qty: int, price: int) -> None:
        """BookAdd: the order rests."""
        if order_id in self._orders:
            raise DepthError(f"order {order_id} rests twice")
        if qty <= 0:
            raise DepthError(f"order {order_id} rests with {qty} shares")
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = (SideLevels(), SideLevels())
        levels = book[0] if side == Side.BUY else book[1]
        self._orders[order_id] = _Resting(symbol, side, price, qty, levels)
        levels.add(price, qty)

    def _shrink(self, order_id: int, qty: int, to_zero: bool) -> _Resting:
        order = self._orders.get(order_id)
        if order is None:
            raise DepthError(f"order {order_id} is not on the book")
        left = order.qty - qty
        if qty <= 0 or left < 0 or (left == 0 and not to_zero):
            raise DepthError(f"order {order_id} of {order.qty} shares cannot lose {qty}")
        if left == 0:
            del self._orders[order_id]
            order.levels.take(order.price, qty, 1)
        else:
            order.qty = left
            order.levels.take(order.price, qty, 0)
        return order

    def execute(self, order_id: int, qty: int) -> str:
        """BookExecute: ``qty`` of the order traded (all of it: the order leaves the book)."""
        return self._shrink(order_id, qty, True).symbol

    def reduce(self, order_id: int, qty: int) -> str:
        """BookReduce: the order lost ``qty`` shares and keeps resting."""
        return self._shrink(order_id, qty, False).symbol

    def delete(self, order_id: int) -> str:
        """BookDelete: the order left the book."""
        order = self._orders.get(order_id)
        if order is None:
            raise DepthError(f"order {order_id} is not on the book")
        return self._shrink(order_id, order.qty, True).symbol

    def replace(self, order_id: int, qty: int, price: int) -> str:
        """BookReplace: the order rests again with a new price and/or size, same side."""
        order = self._orders.get(order_id)
        if order is None:
            raise DepthError(f"order {order_id} is not on the book")
        self._shrink(order_id, order.qty, True)
        self.add(order.symbol, order_id, order.side, qty, price)
        return order.symbol

    def apply(self, events: Iterable[Event]) -> set[str]:
        """Apply the book events among ``events``; returns the symbols whose depth changed."""
        changed: set[str] = set()
        for e in events:
            match e:
                case BookAdd(symbol, order_id, side, qty, price):
                    self.add(symbol, order_id, side, qty, price)
                    changed.add(symbol)
                case BookExecute(_, order_id, qty, _, _):
                    changed.add(self.execute(order_id, qty))
                case BookReduce(_, order_id, qty):
                    changed.add(self.reduce(order_id, qty))
                case BookDelete(_, order_id):
                    changed.add(self.delete(order_id))
                case BookReplace(_, order_id, _, qty, price):
                    changed.add(self.replace(order_id, qty, price))
        return changed

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
        expected: dict[tuple[str, int, int], list[int]] = {}
        for order in self._orders.values():
            assert order.qty > 0, order
            book = self.books[order.symbol]
            assert order.levels is book[0 if order.side == Side.BUY else 1]
            level = expected.setdefault((order.symbol, order.side, order.price), [0, 0])
            level[0] += order.qty
            level[1] += 1
        seen: dict[tuple[str, int, int], list[int]] = {}
        for symbol, (bids, asks) in self.books.items():
            for side, levels in ((Side.BUY, bids), (Side.SELL, asks)):
                assert levels.prices == sorted(levels.levels), (symbol, side)
                for price, level in levels.levels.items():
                    seen[(symbol, side, price)] = list(level)
        assert seen == expected, (seen, expected)
