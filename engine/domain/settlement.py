"""What a Settle emits: the netting of a symbol's unsettled trades, per firm and per account.

Contract of :func:`settle_events` (rules version 3, called by the matcher that owns the symbol
for an accepted ``Settle``): every trade date up to ``through`` still in the symbol's
`engine.domain.ledger.Ledger` leaves it, oldest first, and for each date the events are

* one ``Obligation`` per firm that traded (firms in name order): the firm's net against the
  clearinghouse, ``shares`` = bought - sold and ``cash`` = received - paid over its accounts;
* one ``AccountSettled`` per account that traded (names in order): its gross figures;

then one ``SettlementDone``. Every trade of those dates is in exactly one ``AccountSettled``
per side (the ledger recorded each side once), and since each trade's buyer pays what its
seller receives, the obligations of a date sum to zero in shares and in cash.

Pure: no clock (dates are data: the ledger's epoch days and the command's ``settle_date``).
"""

from __future__ import annotations

from engine.domain.dates import to_yyyymmdd
from engine.domain.ledger import Ledger
from engine.domain.types import AccountSettled, Event, Obligation, SettlementDone


def settle_events(ledger: Ledger, symbol: str, through: int, settle_date: int) -> list[Event]:
    """Take every date up to epoch day ``through`` out of ``ledger``; the Settle's events."""
    events: list[Event] = []
    for day, cells in ledger.take_through(through):
        trade_date = to_yyyymmdd(day)
        accounts = sorted(cells)
        nets: dict[str, list[int]] = {}
        for account in accounts:
            cell = cells[account]
            net = nets.setdefault(cell.firm, [0, 0])
            net[0] += cell.bought - cell.sold
            net[1] += cell.received - cell.paid
        for firm in sorted(nets):
            shares, cash = nets[firm]
            events.append(Obligation(firm, symbol, trade_date, settle_date, shares, cash))
        for account in accounts:
            cell = cells[account]
            events.append(
                AccountSettled(
                    account, symbol, trade_date, settle_date, cell.bought, cell.sold, cell.paid,
                    cell.received,
                )
            )  # fmt: skip
    events.append(SettlementDone(symbol, to_yyyymmdd(through), settle_date))
    return events
