"""The reports' standard questions, as SQL that both backends run (``?`` placeholders).

``sequex report`` asks these (``tools.report_cli``); docs/reporter.md shows them with more.
Each is a read-only SELECT over the schema of ``engine.reporter.schema``; prices are price
units, quantities shares, ``notional`` cash units (price x qty), times ns since the epoch.
"""

from __future__ import annotations

from typing import Final

#: A firm's order commands (new, cancel, replace) in seq order, with what came of each and,
#: for a new order, the quantity it has traded so far.
FIRM_ORDERS: Final = """
SELECT c.seq_no, c.kind, c.account, c.symbol, c.side, c.qty, c.price, c.order_id,
       c.client_order_id, c.outcome, c.reason,
       CASE WHEN c.kind = 'new_order' THEN
           COALESCE((SELECT SUM(e.qty) FROM executions e WHERE e.order_id = c.order_id), 0)
       END AS filled
FROM commands c
WHERE c.firm = ? AND c.kind IN ('new_order', 'cancel_order', 'replace_order')
ORDER BY c.seq_no
"""

#: One command: who sent it (firm, account, origin session) and what it asked.
COMMAND_AT: Final = """
SELECT seq_no, ts, origin, kind, firm, account, symbol, side, order_type, tif, qty, price,
       order_id, client_order_id, outcome, reason
FROM commands
WHERE seq_no = ?
"""

#: The order events of a command and, later, of the order it entered or named.
ORDER_TRAIL: Final = """
SELECT seq_no, sub_seq, kind, order_id, qty, price, leaves_qty, reason
FROM order_events
WHERE seq_no = ? OR order_id = (SELECT order_id FROM commands WHERE seq_no = ?)
ORDER BY seq_no, sub_seq
"""

#: The executions of the order a command entered or named, with the other side's firm.
ORDER_EXECUTIONS: Final = """
SELECT e.exec_id, e.seq_no, e.side, e.qty, e.price, e.leaves_qty, e.liquidity,
       x.firm AS counterparty
FROM executions e
JOIN executions x ON x.exec_id = e.exec_id AND x.side <> e.side
WHERE e.order_id = (SELECT order_id FROM commands WHERE seq_no = ?)
ORDER BY e.exec_id
"""

_EXECUTIONS: Final = """
SELECT e.trade_date, e.ts, e.exec_id, e.seq_no, e.firm, e.account, e.symbol, e.side, e.qty,
       e.price, e.qty * e.price AS notional, e.liquidity, e.order_id, o.client_order_id
FROM executions e
LEFT JOIN orders o ON o.order_id = e.order_id
WHERE e.trade_date = ?{firm}
ORDER BY e.exec_id, e.side
"""
#: A day's executions (each side of each trade), all firms.
DAY_EXECUTIONS: Final = _EXECUTIONS.format(firm="")
#: A day's executions of one firm.
DAY_EXECUTIONS_OF_FIRM: Final = _EXECUTIONS.format(firm=" AND e.firm = ?")

_BLOTTER: Final = """
SELECT b.trade_date, b.ts, b.exec_id, b.symbol, b.qty, b.price, b.qty * b.price AS notional,
       CASE WHEN b.liquidity = 'taker' THEN 'buy' ELSE 'sell' END AS aggressor,
       b.firm AS buy_firm, b.account AS buy_account, b.order_id AS buy_order_id,
       s.firm AS sell_firm, s.account AS sell_account, s.order_id AS sell_order_id
FROM executions b
JOIN executions s ON s.exec_id = b.exec_id AND s.side = 'sell'
WHERE b.side = 'buy' AND b.trade_date = ?{firm}
ORDER BY b.exec_id
"""
#: A day's trades, one row each (buyer and seller side by side): the trade blotter.
BLOTTER: Final = _BLOTTER.format(firm="")
#: The trades of a day in which a firm bought or sold.
BLOTTER_OF_FIRM: Final = _BLOTTER.format(firm=" AND (b.firm = ? OR s.firm = ?)")

_OBLIGATIONS: Final = """
SELECT trade_date, settle_date, symbol, firm, shares, cash, seq_no
FROM obligations
WHERE {date} = ?{firm}
ORDER BY trade_date, symbol, firm, seq_no, sub_seq
"""
_SETTLEMENTS: Final = """
SELECT trade_date, settle_date, symbol, firm, account, bought, sold, paid, received, seq_no
FROM settlements
WHERE {date} = ?{firm}
ORDER BY trade_date, symbol, firm, account, seq_no, sub_seq
"""


def obligations(*, by_settle_date: bool, of_firm: bool, accounts: bool) -> str:
    """The settlement obligations of a trade date (or of a settlement date): each firm's net
    of one symbol against the clearinghouse (``shares`` and ``cash`` received, negative when
    delivered or paid); with ``accounts``, each account's settled trades instead (gross
    shares bought and sold, cash paid and received). Parameters: the date (ISO), then the
    firm if ``of_firm``."""
    template = _SETTLEMENTS if accounts else _OBLIGATIONS
    date = "settle_date" if by_settle_date else "trade_date"
    return template.format(date=date, firm=" AND firm = ?" if of_firm else "")
