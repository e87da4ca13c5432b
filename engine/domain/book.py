"""One symbol's order book: price levels of resting orders in price-time priority.

Layout (chosen so that no operation depends on how many orders share a level):

* A side keeps ``levels: dict[price, Level]`` and ``keys``, a sorted list of ``sign * price``
  (sign +1 for bids, -1 for asks) so that the best level is always ``keys[-1]`` on both sides
  and dropping the best level is a ``list.pop()``.
* A level is an intrusive doubly linked list of `Order` objects (head = oldest = first to
  trade) plus its total open qty and order count.
* Every resting order points at its level, so a cancel unlinks it without any search.
* Compiled, orders and levels are C structs with 64-bit integer fields, allocated from a
  free list; an order's ``filled`` is derived (``qty - leaves``) so a fill writes one field.
  ``order_id`` is kept as the Python int it arrived as: it keys the order tables and goes
  into every event about the order, so it is never boxed again.

Complexity (n = orders at the level, L = price levels on the side):
  add to an existing level O(1); add at a new price O(log L) search + O(L) list insert (L is
  small and bounded by the protection band); cancel O(1) unless it empties a level (then the
  same as a new price); best level O(1); execute against the head O(1) per order consumed;
  depth(k) O(k); ``check`` O(orders + levels).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Any

import cython

from engine.domain.ledger import Ledger
from engine.domain.symbols import SymbolSpec

BUY = 1
SELL = 2


@cython.final
@cython.freelist(256)
@cython.cclass
class Order:
    """A resting order (or the incoming one while it matches)."""

    order_id: Any
    account: str
    firm: str
    side: cython.longlong
    price: cython.longlong
    qty: cython.longlong
    leaves: cython.longlong
    tif: cython.longlong
    #: a post-only order (kept from rules 2 on, where a replace must not make it take)
    post_only: cython.bint
    book: Book
    level: Level | None
    prev: Order | None
    next: Order | None

    @classmethod
    def create(
        cls,
        order_id: int,
        account: str,
        firm: str,
        side: int,
        price: int,
        qty: int,
        filled: int,
        tif: int,
        book: Book,
        post_only: bool = False,
    ) -> Order:
        return new_order(
            order_id, account, firm, side, price, qty, qty - filled, tif, book, post_only
        )

    @property
    def filled(self) -> int:
        """Derived, so that a fill updates one field (leaves) rather than two."""
        return self.qty - self.leaves


@cython.cfunc
def new_order(
    order_id: Any,
    account: str,
    firm: str,
    side: cython.longlong,
    price: cython.longlong,
    qty: cython.longlong,
    leaves: cython.longlong,
    tif: cython.longlong,
    book: Book,
    post_only: cython.bint,
) -> Order:
    """An `Order` not yet in any level (the constructor the compiled modules call)."""
    order: Order = Order.__new__(Order)
    order.order_id = order_id
    order.account = account
    order.firm = firm
    order.side = side
    order.price = price
    order.qty = qty
    order.leaves = leaves
    order.tif = tif
    order.post_only = post_only
    order.book = book
    order.level = None
    order.prev = None
    order.next = None
    return order


@cython.final
@cython.freelist(64)
@cython.cclass
class Level:
    """The orders resting at one price, oldest first."""

    price: cython.longlong
    head: Order | None
    tail: Order | None
    total: cython.longlong
    count: cython.longlong

    @classmethod
    def create(cls, price: int) -> Level:
        level: Level = Level.__new__(Level)
        level.price = price
        level.head = None
        level.tail = None
        level.total = 0
        level.count = 0
        return level

    def orders(self) -> list[Order]:
        out = []
        order = self.head
        while order is not None:
            out.append(order)
            order = order.next
        return out


@cython.final
@cython.cclass
class BookSide:
    """The bids or the asks of one book."""

    sign: cython.longlong
    levels: dict[int, Level]
    keys: list[int]

    def __init__(self, side: cython.longlong) -> None:
        self.sign = 1 if side == BUY else -1
        self.levels = {}
        self.keys = []

    @cython.ccall
    def append(self, order: Order) -> cython.void:
        """Rest ``order`` at the back of its price level (the order's leaves must be > 0)."""
        price: cython.longlong = order.price
        level: Level | None = self.levels.get(price)
        if level is None:
            level = Level.create(price)
            self.levels[price] = level
            insort(self.keys, self.sign * price)
            level.head = order
        else:
            tail: Order | None = level.tail
            assert tail is not None
            tail.next = order
            order.prev = tail
        level.tail = order
        level.total += order.leaves
        level.count += 1
        order.level = level

    @cython.ccall
    def unlink(self, order: Order) -> cython.void:
        """Take ``order`` out of its level; drop the level if it is now empty."""
        level: Level | None = order.level
        assert level is not None
        prev: Order | None = order.prev
        nxt: Order | None = order.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
        order.prev = None
        order.next = None
        order.level = None
        level.total -= order.leaves
        level.count -= 1
        if level.count == 0:
            self.drop_level(level)

    @cython.ccall
    def drop_level(self, level: Level) -> cython.void:
        keys: list[int] = self.keys
        key: cython.longlong = self.sign * level.price
        if keys[len(keys) - 1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]
        del self.levels[level.price]

    def best(self) -> Level | None:
        keys = self.keys
        if not keys:
            return None
        return self.levels[self.sign * keys[-1]]

    def iter_levels(self) -> list[Level]:
        """Levels best first."""
        sign = self.sign
        levels = self.levels
        return [levels[sign * key] for key in reversed(self.keys)]

    def depth(self, n: int) -> list[tuple[int, int, int]]:
        sign = self.sign
        levels = self.levels
        out = []
        for key in self.keys[::-1][:n]:
            level = levels[sign * key]
            out.append((level.price, level.total, level.count))
        return out

    def check(self, side: int) -> int:
        """Assert the side's structure; return the number of orders on it."""
        keys = self.keys
        assert keys == sorted(set(keys)), f"keys not sorted/unique: {keys}"
        assert len(keys) == len(self.levels), "keys and levels disagree"
        n = 0
        for key in keys:
            price = self.sign * key
            level = self.levels.get(price)
            assert level is not None, f"no level at {price}"
            assert level.price == price, f"level price {level.price} under key {price}"
            orders = level.orders()
            assert orders, f"empty level at {price}"
            assert level.tail is orders[-1], f"bad tail at {price}"
            assert level.count == len(orders), f"level {price} count {level.count}"
            assert level.total == sum(o.leaves for o in orders), f"level {price} total"
            prev = None
            for order in orders:
                assert order.prev is prev, f"order {order.order_id} bad prev link"
                assert order.level is level, f"order {order.order_id} bad level"
                assert order.side == side and order.price == price, f"order {order.order_id}"
                assert 0 < order.leaves <= order.qty, f"order {order.order_id}"
                prev = order
            n += len(orders)
        return n


@cython.final
@cython.cclass
class Book:
    """Both sides of one symbol plus its spec as the matcher knows it."""

    spec: SymbolSpec
    bids: BookSide
    asks: BookSide
    #: rules 3: the symbol's unsettled trades (`engine.domain.ledger`); None before rules 3
    ledger: Ledger | None

    def __init__(self, spec: SymbolSpec, ledger: Ledger | None = None) -> None:
        self.spec = spec
        self.bids = BookSide(BUY)
        self.asks = BookSide(SELL)
        self.ledger = ledger

    def side(self, side: int) -> BookSide:
        return self.bids if side == BUY else self.asks
