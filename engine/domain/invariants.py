"""O(n) structural checks over the whole exchange state (sortedcontainers ``_check`` style).

Raises AssertionError with a message naming what is broken. Checked:

* every book: levels sorted and consistent, level totals and counts, links; no crossed book;
  the matcher's order index is exactly the set of resting orders;
* every position: 0 <= held <= total, and held == the sum of the pools of the orders holding
  from it; every risk order's pool covers its confirmed terms, and equals them exactly when no
  replace is in flight; open-order counts match the risk order table;
* every resting order is known to the risk stage (the risk stage forgets an order only after
  the matcher ended it), and with no feedback pending both tables agree exactly;
* rules 3: every position's ``receiving`` is >= 0, and with no feedback pending it equals what
  the matchers' settlement ledgers hold unsettled for it (shares bought of the symbol; cash
  received over every symbol); each ledger holds no date at or before its last settled one.
"""

from __future__ import annotations

from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage


def check_matcher(matcher: Matcher) -> None:
    resting = 0
    for symbol, book in matcher.books.items():
        assert book.spec.symbol == symbol, f"book {symbol} has spec {book.spec.symbol}"
        resting += book.bids.check(1) + book.asks.check(2)
        if book.bids.keys and book.asks.keys:
            bid, ask = book.bids.keys[-1], -book.asks.keys[-1]
            assert bid < ask, f"{symbol} crossed: bid {bid} >= ask {ask}"
        for side in (book.bids, book.asks):
            for level in side.levels.values():
                for order in level.orders():
                    indexed = matcher.orders.get(order.order_id)
                    assert indexed is order, f"order {order.order_id} not indexed"
                    assert order.book is book, f"order {order.order_id} in the wrong book"
    assert resting == len(matcher.orders), f"{len(matcher.orders)} indexed, {resting} resting"


def check_risk(risk: RiskStage) -> None:
    held: dict[tuple[str, str], int] = {}
    open_orders: dict[str, int] = {}
    for oid, order in risk.orders.items():
        assert order.order_id == oid, f"risk order {oid} keyed wrongly"
        acct = order.owner
        assert risk.accounts.get(acct.name) is acct, f"order {oid}: unknown account"
        asset = "CASH" if order.is_buy else order.spec.symbol
        assert acct.positions.get(asset) is order.hold, f"order {oid} holds a stray position"
        assert 0 < order.leaves <= order.qty, f"order {oid}: leaves {order.leaves}/{order.qty}"
        target = order.target()
        if order.pending:
            assert order.pool >= target, f"order {oid}: pool {order.pool} < {target}"
        else:
            assert order.pool == target, f"order {oid}: pool {order.pool} != {target}"
        key = (acct.name, asset)
        held[key] = held.get(key, 0) + order.pool
        open_orders[acct.name] = open_orders.get(acct.name, 0) + 1
    for name, acct in risk.accounts.items():
        assert acct.name == name, f"account {name} keyed wrongly"
        count = open_orders.get(name, 0)
        assert acct.open_orders == count, f"{name}: open_orders {acct.open_orders} != {count}"
        for asset, pos in acct.positions.items():
            assert asset == "CASH" or asset in risk.symbols, f"{name}: unknown asset {asset}"
            assert 0 <= pos.held <= pos.total, f"{name} {asset}: held {pos.held} of {pos.total}"
            pools = held.get((name, asset), 0)
            assert pos.held == pools, f"{name} {asset}: held {pos.held} != orders' {pools}"


def check_exchange(risk: RiskStage, matcher: Matcher, settled: bool) -> None:
    check_matcher(matcher)
    check_risk(risk)
    assert sorted(risk.symbols) == sorted(matcher.books), "risk and matcher symbols differ"
    for symbol, spec in risk.symbols.items():
        mspec = matcher.books[symbol].spec
        assert spec.halted == mspec.halted, f"{symbol}: halt flags differ"
        if settled:
            assert spec.as_list() == mspec.as_list(), f"{symbol}: specs differ"
    for oid, order in matcher.orders.items():
        rorder = risk.orders.get(oid)
        assert rorder is not None, f"resting order {oid} unknown to risk"
        assert rorder.owner.name == order.account, f"order {oid}: owners differ"
        if settled:
            assert rorder.leaves == order.leaves, f"order {oid}: leaves differ"
            assert rorder.qty == order.qty, f"order {oid}: qty differs"
            if rorder.is_buy:
                assert rorder.price == order.price, f"order {oid}: price differs"
    if settled:
        assert len(risk.orders) == len(matcher.orders), "risk knows orders that ended"
    if risk.settling:
        check_settlement(risk, matcher, settled)


def check_settlement(risk: RiskStage, matcher: Matcher, settled: bool) -> None:
    owed: dict[tuple[str, str], int] = {}
    for symbol, book in matcher.books.items():
        ledger = book.ledger
        assert ledger is not None, f"{symbol}: no settlement ledger under rules 3"
        assert risk.settled.get(symbol, ledger.settled) == ledger.settled or not settled, (
            f"{symbol}: settled through {risk.settled.get(symbol)} and {ledger.settled}"
        )
        for day, cells in ledger.days.items():
            assert day > ledger.settled, f"{symbol}: day {day} is settled already"
            for account, cell in cells.items():
                figures = (cell.bought, cell.sold, cell.paid, cell.received)
                assert min(figures) >= 0, f"{symbol} {day} {account}: {figures}"
                owed[account, symbol] = owed.get((account, symbol), 0) + cell.bought
                owed[account, "CASH"] = owed.get((account, "CASH"), 0) + cell.received
    for name, acct in risk.accounts.items():
        for asset, pos in acct.positions.items():
            assert pos.receiving >= 0, f"{name} {asset}: receiving {pos.receiving}"
            if settled:
                want = owed.get((name, asset), 0)
                assert pos.receiving == want, f"{name} {asset}: receiving {pos.receiving} != {want}"
