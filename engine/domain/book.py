"""One symbol's order book: price levels of resting orders in price-time priority.

Layout (chosen so that no operation depends on how many orders share a level):

* A side keeps ``levels: dict[price, Level]`` and ``keys``, a sorted list of ``sign * price``
  (sign +1 for bids, -1 for asks) so that the best level is always ``keys[-1]`` on both sides
  and dropping the best level is a ``list.pop()``.
* A level is an intrusive doubly linked list of `Order` objects (head = oldest = first to
  trade) plus its total open qty and order count.
* Every resting order points at its level, so a cancel unlinks it without any search.
* `Order` and `Level` have no ``__init__``: the fused serial path (`engine.domain.serial`)
  fills their slots in place, which saves a Python frame per object; ``create`` is the
  constructor for everyone else. An order's ``filled`` is derived (``qty - leaves``) so a
  fill writes one field.

Complexity (n = orders at the level, L = price levels on the side):
  add to an existing level O(1); add at a new price O(log L) search + O(L) list insert (L is
  small and bounded by the protection band); cancel O(1) unless it empties a level (then the
  same as a new price); best level O(1); execute against the head O(1) per order consumed;
  depth(k) O(k); ``check`` O(orders + levels).
"""

from __future__ import annotations

from bisect import bisect_left, insort

from engine.domain.symbols import SymbolSpec

BUY = 1
SELL = 2


class Order:
    """A resting order (or the incoming one while it matches)."""

    order_id: int
    account: str
    firm: str
    side: int
    price: int
    qty: int
    leaves: int
    tif: int
    book: Book
    level: Level | None
    prev: Order | None
    next: Order | None

    __slots__ = (
        "account",
        "book",
        "firm",
        "leaves",
        "level",
        "next",
        "order_id",
        "prev",
        "price",
        "qty",
        "side",
        "tif",
    )

    # No __init__: the fused serial path fills the slots in place, which is cheaper than
    # calling a Python __init__ (a frame) or object.__new__ (an argument tuple).

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
    ) -> Order:
        order = cls()
        order.order_id = order_id
        order.account = account
        order.firm = firm
        order.side = side
        order.price = price
        order.qty = qty
        order.leaves = qty - filled
        order.tif = tif
        order.book = book
        order.level = None
        order.prev = None
        order.next = None
        return order

    @property
    def filled(self) -> int:
        """Derived, so that a fill updates one field (leaves) rather than two."""
        return self.qty - self.leaves


class Level:
    """The orders resting at one price, oldest first."""

    __slots__ = ("count", "head", "price", "tail", "total")

    price: int
    head: Order | None
    tail: Order | None
    total: int
    count: int

    @classmethod
    def create(cls, price: int) -> Level:
        level = cls()
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


class BookSide:
    """The bids or the asks of one book."""

    __slots__ = ("keys", "levels", "sign")

    def __init__(self, side: int) -> None:
        self.sign = 1 if side == BUY else -1
        self.levels: dict[int, Level] = {}
        self.keys: list[int] = []

    def append(self, order: Order) -> None:
        """Rest ``order`` at the back of its price level (the order's leaves must be > 0)."""
        price = order.price
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = Level.create(price)
            insort(self.keys, self.sign * price)
            level.head = order
        else:
            tail = level.tail
            assert tail is not None
            tail.next = order
            order.prev = tail
        level.tail = order
        level.total += order.leaves
        level.count += 1
        order.level = level

    def unlink(self, order: Order) -> None:
        """Take ``order`` out of its level; drop the level if it is now empty."""
        level = order.level
        assert level is not None
        prev = order.prev
        nxt = order.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
        order.prev = order.next = order.level = None
        level.total -= order.leaves
        level.count -= 1
        if level.count == 0:
            self.drop_level(level)

    def drop_level(self, level: Level) -> None:
        keys = self.keys
        key = self.sign * level.price
        if keys[-1] == key:
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


class Book:
    """Both sides of one symbol plus its spec as the matcher knows it."""

    __slots__ = ("asks", "bids", "spec")

    def __init__(self, spec: SymbolSpec) -> None:
        self.spec = spec
        self.bids = BookSide(BUY)
        self.asks = BookSide(SELL)

    def side(self, side: int) -> BookSide:
        return self.bids if side == BUY else self.asks
