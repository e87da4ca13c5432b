"""Accounts: balances (total and held) per asset, risk limits and the open-order count.

An account owns one `Position` per asset: ``CASH`` or a symbol. ``total`` is what the account
owns, ``held`` the part reserved for its open orders, so ``free = total - held``. The risk stage
is the only writer. Holds are conservative (a buy holds qty x its limit price, a sell holds its
shares), which keeps ``0 <= held <= total`` true whatever the feedback window.

A position is a tiny mutable object rather than a pair of dict entries so that an order can keep
direct references to the two positions it touches: settling a fill is then attribute arithmetic,
with no lookups on the hot path. The fields are signed 64-bit integers compiled (the risk stage
caps every asset's supply at 2**63 - 1, so no balance or hold can leave that range).

Rules 3 (settlement) adds ``receiving``: the gross unsettled credits of trades (shares bought,
cash from sales), which a withdrawal may not take: ``withdrawable = total - held - receiving``.
"""

from __future__ import annotations

from typing import NamedTuple

import cython


class Balance(NamedTuple):
    """What ``Exchange.balance`` answers: ``free = total - held``."""

    total: int
    held: int


@cython.final
@cython.cclass
class Position:
    """One asset of one account."""

    total: cython.longlong
    held: cython.longlong
    #: rules 3: what trades credited to this position and has not settled yet (shares bought,
    #: sale proceeds): part of ``total``, but not withdrawable before it settles
    receiving: cython.longlong

    def __init__(
        self, total: cython.longlong = 0, held: cython.longlong = 0, receiving: cython.longlong = 0
    ) -> None:
        self.total = total
        self.held = held
        self.receiving = receiving


@cython.final
@cython.cclass
class Account:
    """An account's positions, its risk limits (0 = no limit) and its open-order count.

    ``open_orders`` counts the orders the risk stage has accepted and not yet seen end (through
    the matcher's feedback), so with a feedback window above 1 it may briefly over-count: that
    errs on the safe side of ``max_open_orders``.
    """

    name: str
    #: the firm that opened the account ("" for an account created by a deposit under rules 1)
    firm: str
    positions: dict[str, Position]
    max_order_qty: cython.longlong
    max_notional: cython.longlong
    max_open_orders: cython.longlong
    #: whether any limit is set: one test on the hot path when none is
    limited: cython.bint
    open_orders: cython.longlong

    def __init__(self, name: str, firm: str = "") -> None:
        self.name = name
        self.firm = firm
        self.positions = {}
        self.max_order_qty = 0
        self.max_notional = 0
        self.max_open_orders = 0
        self.limited = False
        self.open_orders = 0

    @cython.ccall
    def set_limits(
        self,
        max_order_qty: cython.longlong,
        max_notional: cython.longlong,
        max_open_orders: cython.longlong,
    ) -> cython.void:
        self.max_order_qty = max_order_qty
        self.max_notional = max_notional
        self.max_open_orders = max_open_orders
        self.limited = max_order_qty != 0 or max_notional != 0 or max_open_orders != 0

    @cython.ccall
    def position(self, asset: str) -> Position:
        """The position for ``asset``, created empty on first use."""
        pos: Position | None = self.positions.get(asset)
        if pos is None:
            pos = Position()
            self.positions[asset] = pos
        return pos

    def balance(self, asset: str) -> Balance:
        pos = self.positions.get(asset)
        if pos is None:
            return Balance(0, 0)
        return Balance(pos.total, pos.held)
