"""The settlement ledger of one symbol: its unsettled trades, netted per trade date and account.

Rules version 3 (`engine.domain.rules`). The matcher that owns a symbol keeps its ledger and
records both sides of every trade as it happens (:func:`record`), under the trade's date: the
UTC epoch day of the command's ``ts`` (`engine.domain.dates`), or, if that date is settled
already (a clock stepped back, or a Settle ran early), the first date not settled, so that no
trade is ever settled without a Settle and none is settled twice. A `Settle` takes every date
up to the one it names out of the ledger (:meth:`Ledger.take_through`).

A :class:`Cell` is one account's trades of the symbol on one date: gross shares bought and
sold, cash paid and received. Gross figures (not just the net) are kept because what an account
*receives* stays unwithdrawable until it settles (`engine.domain.risk`), whatever it delivers.

Cost on the hot path: per matched command one call (:meth:`Ledger.cells_for`, a division and a
compare), per trade two dict lookups and four additions.
"""

from __future__ import annotations

from typing import Any, Final

import cython

#: "no date": before every epoch day a ts can give
NO_DAY: Final = -(1 << 62)
_NO_DAY: cython.longlong = -(1 << 62)
_NS_PER_DAY: Final = 86_400 * 1_000_000_000


@cython.final
@cython.cclass
class Cell:
    """One account's trades of one symbol on one trade date (all four figures >= 0)."""

    firm: str
    bought: cython.longlong
    sold: cython.longlong
    paid: cython.longlong
    received: cython.longlong

    def __init__(
        self,
        firm: str,
        bought: cython.longlong = 0,
        sold: cython.longlong = 0,
        paid: cython.longlong = 0,
        received: cython.longlong = 0,
    ) -> None:
        self.firm = firm
        self.bought = bought
        self.sold = sold
        self.paid = paid
        self.received = received

    def as_list(self) -> list[Any]:
        return [self.firm, self.bought, self.sold, self.paid, self.received]


@cython.final
@cython.cclass
class Ledger:
    """A symbol's unsettled trades: epoch day -> account -> Cell, and the last settled day."""

    #: the last epoch day settled (NO_DAY: none yet)
    settled: cython.longlong
    #: every unsettled trade date: epoch day -> {account: Cell}
    days: dict[int, dict[str, Cell]]
    #: the date the last trade went to, and its cells (a cache: one compare per command)
    day: cython.longlong
    cells: dict[str, Cell]

    def __init__(self) -> None:
        self.settled = _NO_DAY
        self.days = {}
        self.day = _NO_DAY
        self.cells = {}

    @cython.ccall
    def cells_for(self, ts: Any) -> dict[str, Any]:
        """The cells of the trade date of a command stamped ``ts``."""
        day: Any = ts // _NS_PER_DAY  # a Python int: ts may be any integer in a test
        if day <= self.settled:
            day = self.settled + 1
        if day != self.day:
            cells: dict[str, Cell] | None = self.days.get(day)
            if cells is None:
                cells = {}
                self.days[day] = cells
            self.day = day
            self.cells = cells
        return self.cells

    def take_through(self, day: int) -> list[tuple[int, dict[str, Cell]]]:
        """Remove and return every date up to ``day`` (> ``settled``) in date order; ``day``
        becomes the last settled date."""
        taken = sorted((d, cells) for d, cells in self.days.items() if d <= day)
        for d, _ in taken:
            del self.days[d]
        self.settled = day
        if self.day <= day:
            self.day = _NO_DAY
            self.cells = {}
        return taken


@cython.cfunc
@cython.inline
def record(
    cells: dict[str, Any],
    account: str,
    firm: str,
    is_buy: cython.bint,
    qty: cython.longlong,
    price: cython.longlong,
) -> cython.void:
    """One side of one trade (``qty * price`` fits: the risk stage held it)."""
    cell: Cell | None = cells.get(account)
    if cell is None:
        cell = Cell(firm)
        cells[account] = cell
    if is_buy:
        cell.bought += qty
        cell.paid += qty * price
    else:
        cell.sold += qty
        cell.received += qty * price


def record_trade(
    cells: dict[str, Any], account: str, firm: str, is_buy: bool, qty: int, price: int
) -> None:
    """:func:`record` for Python callers (tests)."""
    record(cells, account, firm, is_buy, qty, price)
