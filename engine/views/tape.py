"""The tape: each symbol's most recent trades, bounded.

Contract. A trade is one match between a resting order and an incoming one, as the canonical
stream tells it: the taker's ``Fill`` (``liquidity`` TAKER; the maker's fill of the same
trade carries the same ``exec_id`` and is not a second trade). :func:`trade_of` reads it;
:class:`Tape` keeps the last ``size`` trades of each symbol, oldest first, in stream order
(which is ``exec_id`` order). Pure and deterministic: integers only, no clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Final, NamedTuple

from engine.domain.types import Fill, Liquidity

__all__ = ["DEFAULT_TAPE_SIZE", "Tape", "Trade", "trade_of"]

#: Trades kept per symbol.
DEFAULT_TAPE_SIZE: Final = 500


class Trade(NamedTuple):
    """One trade. ``side`` is the aggressor's (the taker's) side, a ``Side`` value (1 buy,
    2 sell); ``price`` is the resting order's price, in engine price units; ``ts`` the causing
    command's ts (ns since the epoch, stamped by the gateway)."""

    exec_id: int
    seq_no: int
    ts: int
    symbol: str
    side: int
    price: int
    qty: int


def trade_of(seq_no: int, fill: Fill) -> Trade | None:
    """The trade a fill reports, from the taker's side only (None for the maker's fill)."""
    if fill.liquidity != Liquidity.TAKER:
        return None
    return Trade(
        fill.exec_id, seq_no, fill.ts, fill.symbol, int(fill.side), fill.fill_price,
        fill.fill_qty,
    )  # fmt: skip


class Tape:
    """The last ``size`` trades of every symbol."""

    def __init__(self, size: int = DEFAULT_TAPE_SIZE) -> None:
        if size < 1:
            raise ValueError(f"a tape keeps at least one trade, not {size}")
        self.size = size
        self._trades: dict[str, deque[Trade]] = {}

    def add(self, trade: Trade) -> None:
        trades = self._trades.get(trade.symbol)
        if trades is None:
            trades = self._trades[trade.symbol] = deque(maxlen=self.size)
        trades.append(trade)

    def last(self, symbol: str, n: int) -> list[Trade]:
        """The ``n`` most recent trades of ``symbol``, newest first."""
        trades = self._trades.get(symbol)
        if not trades or n <= 0:
            return []
        out: list[Trade] = []
        for trade in reversed(trades):
            out.append(trade)
            if len(out) == n:
                break
        return out

    def since(self, symbol: str, exec_id: int) -> list[Trade]:
        """The trades of ``symbol`` after ``exec_id`` that the tape still holds, oldest first."""
        trades = self._trades.get(symbol)
        if not trades:
            return []
        newer: list[Trade] = []
        for trade in reversed(trades):
            if trade.exec_id <= exec_id:
                break
            newer.append(trade)
        newer.reverse()
        return newer

    def __iter__(self) -> Iterator[Trade]:
        """Every trade held, symbol by symbol (for a snapshot)."""
        for trades in self._trades.values():
            yield from trades
