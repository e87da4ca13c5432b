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

from typing import Any

import cython

from engine.domain.symbols import SymbolSpec
from engine.domain.wallet import Account, Position


@cython.final
@cython.freelist(256)
@cython.cclass
class RiskOrder:
    order_id: Any
    owner: Account
    spec: SymbolSpec
    is_buy: cython.bint
    tif: cython.longlong
    #: the hold price of a buy (its limit price, or the band top for a market buy)
    price: cython.longlong
    qty: cython.longlong
    leaves: cython.longlong
    pool: cython.longlong
    pending: cython.longlong
    max_qty: cython.longlong
    hi: cython.longlong
    #: the position the order holds from (cash for a buy, shares for a sell) ...
    hold: Position
    #: ... and the one its fills credit
    other: Position

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
        return new_risk_order(order_id, account, spec, is_buy, tif, price, qty, pool, hold, other)

    @cython.ccall
    def target(self) -> cython.longlong:
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


@cython.cfunc
def new_risk_order(
    order_id: Any,
    account: Account,
    spec: SymbolSpec,
    is_buy: cython.bint,
    tif: cython.longlong,
    price: cython.longlong,
    qty: cython.longlong,
    pool: cython.longlong,
    hold: Position,
    other: Position,
) -> RiskOrder:
    """A risk order holding ``pool``, before any fill or replace."""
    order: RiskOrder = RiskOrder.__new__(RiskOrder)
    order.order_id = order_id
    order.owner = account
    order.spec = spec
    order.is_buy = is_buy
    order.tif = tif
    order.price = price
    order.qty = qty
    order.leaves = qty
    order.pool = pool
    order.pending = 0
    order.max_qty = qty
    order.hi = price
    order.hold = hold
    order.other = other
    return order
