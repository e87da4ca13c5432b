"""Accounts: balances (total and held) per asset, risk limits and the open-order count.

An account owns one `Position` per asset: ``CASH`` or a symbol. ``total`` is what the account
owns, ``held`` the part reserved for its open orders, so ``free = total - held``. The risk stage
is the only writer. Holds are conservative (a buy holds qty x its limit price, a sell holds its
shares), which keeps ``0 <= held <= total`` true whatever the feedback window.

A position is a tiny mutable object rather than a pair of dict entries so that an order can keep
direct references to the two positions it touches: settling a fill is then attribute arithmetic,
with no lookups on the hot path.
"""

from __future__ import annotations

from typing import NamedTuple


class Balance(NamedTuple):
    """What ``Exchange.balance`` answers: ``free = total - held``."""

    total: int
    held: int


class Position:
    """One asset of one account."""

    __slots__ = ("held", "total")

    def __init__(self, total: int = 0, held: int = 0) -> None:
        self.total = total
        self.held = held


class Account:
    """An account's positions, its risk limits (0 = no limit) and its open-order count.

    ``open_orders`` counts the orders the risk stage has accepted and not yet seen end (through
    the matcher's feedback), so with a feedback window above 1 it may briefly over-count: that
    errs on the safe side of ``max_open_orders``.
    """

    __slots__ = (
        "limited",
        "max_notional",
        "max_open_orders",
        "max_order_qty",
        "name",
        "open_orders",
        "positions",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.positions: dict[str, Position] = {}
        self.max_order_qty = 0
        self.max_notional = 0
        self.max_open_orders = 0
        #: whether any limit is set: one test on the hot path when none is
        self.limited = False
        self.open_orders = 0

    def set_limits(self, max_order_qty: int, max_notional: int, max_open_orders: int) -> None:
        self.max_order_qty = max_order_qty
        self.max_notional = max_notional
        self.max_open_orders = max_open_orders
        self.limited = bool(max_order_qty or max_notional or max_open_orders)

    def position(self, asset: str) -> Position:
        """The position for ``asset``, created empty on first use."""
        pos = self.positions.get(asset)
        if pos is None:
            pos = self.positions[asset] = Position()
        return pos

    def balance(self, asset: str) -> Balance:
        pos = self.positions.get(asset)
        if pos is None:
            return Balance(0, 0)
        return Balance(pos.total, pos.held)
