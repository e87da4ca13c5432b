"""The risk stage's record of one order it accepted and has not yet seen end.

The record holds the order's *confirmed* terms (price, total qty, leaves) as the matcher last
reported them, and ``pool``: exactly what is held in the wallet for the order (cash for a buy,
shares for a sell). Replaces travel to the matcher after the risk stage held for them, so for a
while the order may have several possible live terms (the confirmed one and each replace in
flight, ``pending`` of them). The invariant the risk stage keeps is

    pool >= max over live terms t of (qty_t - filled) * unit,   unit = hi for buys, 1 for sells

where ``max_qty`` and ``hi`` are the largest qty and price over the live terms. A fill at a price
<= hi consumes at most ``q * hi`` from the pool and lowers every term's need by ``q * hi``, so
the invariant survives any interleaving the feedback window allows; when no replace is in flight
the pool is trued up to exactly ``leaves * price`` (buy) or ``leaves`` (sell).
"""

from __future__ import annotations

from engine.domain.book import Book, Level, Order
from engine.domain.symbols import SymbolSpec
from engine.domain.wallet import Account, Position


class RiskOrder:
    order_id: int
    owner: Account
    spec: SymbolSpec
    is_buy: bool
    tif: int
    price: int
    qty: int
    leaves: int
    pool: int
    pending: int
    max_qty: int
    hi: int
    hold: Position
    other: Position

    __slots__ = (
        "hi",
        "hold",
        "is_buy",
        "leaves",
        "max_qty",
        "order_id",
        "other",
        "owner",
        "pending",
        "pool",
        "price",
        "qty",
        "spec",
        "tif",
    )

    # No __init__ (like book.Order): the fused serial path fills the slots in place.
    @classmethod
    def create(
        cls,
        order_id: int,
        account: Account,
        spec: SymbolSpec,
        is_buy: bool,
        tif: int,
        price: int,
        qty: int,
        pool: int,
        hold: Position,
        other: Position,
    ) -> RiskOrder:
        order = cls()
        order.order_id = order_id
        order.owner = account
        order.spec = spec
        order.is_buy = is_buy
        order.tif = tif
        #: the hold price of a buy (its limit price, or the band top for a market buy)
        order.price = price
        order.qty = qty
        order.leaves = qty
        order.pool = pool
        order.pending = 0
        order.max_qty = qty
        order.hi = price
        #: the position the order holds from (cash for a buy, shares for a sell) ...
        order.hold = hold
        #: ... and the one its fills credit
        order.other = other
        return order

    def target(self) -> int:
        """What the pool must be when no replace is in flight."""
        return self.leaves * self.price if self.is_buy else self.leaves

    def as_list(self) -> list[int | str | bool]:
        return [
            self.order_id,
            self.owner.name,
            self.spec.symbol,
            self.is_buy,
            self.tif,
            self.price,
            self.qty,
            self.leaves,
            self.pool,
            self.pending,
            self.max_qty,
            self.hi,
        ]


class SerialOrder(RiskOrder):
    """One record for both stages: a RiskOrder that is also the book's resting `Order`.

    Only the fused serial path (W = 1) creates these, for the plain limit orders it rests: with
    W = 1 the risk stage's confirmed terms (price, qty, leaves) always equal the book's, so one
    object can sit in both ``RiskStage.orders`` and ``Matcher.orders`` and save an allocation and
    five stores per resting order. It has every slot of `engine.domain.book.Order` (``account``
    is the owner's name there, hence the risk side's ``owner``), so the matcher, the settler,
    the codec and the invariant checks use it as either kind unchanged; every writer of a shared
    field (matcher, settler) writes the same value, since the settler applies the matcher's
    events at once. Nothing relies on the records being merged: a restored state, and orders the
    separable path rests, keep two objects.
    """

    account: str
    firm: str
    side: int
    book: Book
    level: Level | None
    prev: Order | None
    next: Order | None

    __slots__ = ("account", "book", "firm", "level", "next", "prev", "side")

    @property
    def filled(self) -> int:
        """As `engine.domain.book.Order.filled`."""
        return self.qty - self.leaves
