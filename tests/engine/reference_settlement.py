"""The reference model of T+2 settlement (rules 3), as plain as it gets: a list of trade sides.

Every side of every trade is appended to one list with its trade date (the UTC epoch day of the
command's ts, or the day after the symbol's last settled one if that is later). A Settle takes
the symbol's sides up to its trade date out of the list and sums them per firm and per account
with ``sum`` over list comprehensions; a withdrawal's unsettled receipts are summed the same
way. Nothing is shared with ``engine.domain.ledger`` or ``engine.domain.settlement`` but the
vocabulary of ``engine.domain.types``; the date conversion is the standard library's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from engine.domain.types import (
    CASH,
    AccountSettled,
    Event,
    Obligation,
    RejectReason,
    Settle,
    SettlementDone,
    Side,
)

NS_PER_DAY = 86_400 * 10**9
EPOCH = date(1970, 1, 1)


def yyyymmdd(day: int) -> int:
    when = EPOCH + timedelta(days=day)
    return when.year * 10_000 + when.month * 100 + when.day


def epoch_day(value: int) -> int | None:
    try:
        when = date(value // 10_000, value // 100 % 100, value % 100)
    except ValueError:
        return None
    return (when - EPOCH).days


@dataclass(frozen=True)
class Side_:
    day: int
    symbol: str
    account: str
    firm: str
    side: Side
    qty: int
    price: int


class ReferenceSettlement:
    def __init__(self) -> None:
        self.unsettled: list[Side_] = []
        self.settled: dict[str, int] = {}  # symbol -> last settled epoch day
        self.sides_recorded = 0
        self.sides_settled = 0

    def trade(self, ts: int, symbol: str, account: str, firm: str, side: Side, qty: int,
              price: int) -> None:  # fmt: skip
        day = ts // NS_PER_DAY
        if symbol in self.settled:
            day = max(day, self.settled[symbol] + 1)
        self.unsettled.append(Side_(day, symbol, account, firm, side, qty, price))
        self.sides_recorded += 1

    def receiving(self, account: str, asset: str) -> int:
        """What trades credited ``account`` in ``asset`` and has not settled."""
        mine = [s for s in self.unsettled if s.account == account]
        if asset == CASH:
            return sum(s.qty * s.price for s in mine if s.side == Side.SELL)
        return sum(s.qty for s in mine if s.symbol == asset and s.side == Side.BUY)

    def check(self, cmd: Settle, symbols: set[str]) -> RejectReason | None:
        if cmd.symbol not in symbols:
            return RejectReason.UNKNOWN_SYMBOL
        through, settle_day = epoch_day(cmd.trade_date), epoch_day(cmd.settle_date)
        if through is None or settle_day is None or not settle_day > through:
            return RejectReason.INVALID_SETTLEMENT
        if cmd.symbol in self.settled and through <= self.settled[cmd.symbol]:
            return RejectReason.ALREADY_SETTLED
        return None

    def settle(self, cmd: Settle) -> list[Event]:
        through = epoch_day(cmd.trade_date)
        assert through is not None
        mine = [s for s in self.unsettled if s.symbol == cmd.symbol and s.day <= through]
        self.unsettled = [
            s for s in self.unsettled if not (s.symbol == cmd.symbol and s.day <= through)
        ]
        self.settled[cmd.symbol] = through
        self.sides_settled += len(mine)
        events: list[Event] = []
        for day in sorted({s.day for s in mine}):
            sides = [s for s in mine if s.day == day]
            when = yyyymmdd(day)
            for firm in sorted({s.firm for s in sides}):
                own = [s for s in sides if s.firm == firm]
                shares = sum(s.qty if s.side == Side.BUY else -s.qty for s in own)
                cash = sum(-s.qty * s.price if s.side == Side.BUY else s.qty * s.price for s in own)
                events.append(Obligation(firm, cmd.symbol, when, cmd.settle_date, shares, cash))
            for account in sorted({s.account for s in sides}):
                buys = [s for s in sides if s.account == account and s.side == Side.BUY]
                sells = [s for s in sides if s.account == account and s.side == Side.SELL]
                events.append(
                    AccountSettled(
                        account, cmd.symbol, when, cmd.settle_date,
                        sum(s.qty for s in buys), sum(s.qty for s in sells),
                        sum(s.qty * s.price for s in buys), sum(s.qty * s.price for s in sells),
                    )
                )  # fmt: skip
        events.append(SettlementDone(cmd.symbol, cmd.trade_date, cmd.settle_date))
        return events
