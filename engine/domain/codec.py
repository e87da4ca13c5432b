"""Snapshot encoding of the exchange state: versioned, canonical, ours (no pickle).

The state is laid out as nested JSON lists with every collection in a defined order (symbols,
accounts, assets, firms and order ids sorted; book orders best level first, then time
priority), dumped with fixed separators. So the bytes are a pure function of the state, not of
dict insertion order, and `Exchange.state_hash` is xxh3_64 of them.

    {"format": "sequex-state", "version": 1, "window": W, "last_seq": n, ("rules": R,)
     "symbols": [spec, ...], "accounts": [account, ...], "risk_orders": [order, ...],
     "books": [[spec, bids, asks], ...], "stp": [[firm, mode], ...],
     "feedback": [[seq_no, [[event class, field, ...], ...]], ...]}

Rules versions (`engine.domain.rules`). A state of rules 1 is encoded exactly as before rules
versions existed, so the state hashes of old journals never change: no ``rules`` key, an account
row is ``[name, positions, limits]`` and a resting order row has 8 fields. From rules 2 the
state says ``"rules": R``, an account row ends with its firm and an order row with its
post-only flag (0/1): under rules 1 neither decides anything, so they are not state there.
From rules 3 (settlement) a position row ends with its ``receiving``, a book row with its
settlement ledger ``[settled, [[day, [[account, firm, bought, sold, paid, received], ...]],
...]]`` (days and accounts sorted), and the state has ``"settled": [[symbol, day], ...]`` (the
risk stage's record of what each symbol is settled through); rules 2 states are as before.

Fencing (any rules version): a state whose journal holds ``Fence`` commands ends with
``"fences": [[epoch, seq_no], ...]``; a state without (every journal written before fencing
existed) has no such key, so its bytes and hash are what they always were.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable
from enum import IntEnum
from typing import Any

from engine.domain import types as t
from engine.domain.book import Book, Order
from engine.domain.ledger import Cell, Ledger
from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage
from engine.domain.risk_order import RiskOrder
from engine.domain.rules import RULES_V1, RULES_V3
from engine.domain.symbols import SymbolSpec
from engine.domain.types import CASH, Event, SelfTradePrevention
from engine.domain.wallet import Account, Position

FORMAT = "sequex-state"
VERSION = 1

_EVENT_CLASSES: tuple[type, ...] = typing.get_args(t.Event)
_EVENT_BY_NAME: dict[str, type] = {cls.__name__: cls for cls in _EVENT_CLASSES}


def _converters(cls: type) -> list[Any]:
    """Per field, the enum to rebuild it with (JSON keeps only the int), or None."""
    hints = typing.get_type_hints(cls)
    out: list[Any] = []
    for name in cls._fields:  # type: ignore[attr-defined]
        hint = hints[name]
        out.append(hint if isinstance(hint, type) and issubclass(hint, IntEnum) else None)
    return out


_CONVERT = {cls.__name__: _converters(cls) for cls in _EVENT_CLASSES}


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, IntEnum) else value


def _spec(spec: SymbolSpec) -> list[Any]:
    return spec.as_list()


def _side_orders(book: Book, bids: bool, book_rules_extended: bool) -> list[list[Any]]:
    side = book.bids if bids else book.asks
    rows: list[list[Any]] = [
        [o.order_id, o.account, o.firm, int(o.side), o.price, o.qty, o.filled, int(o.tif)]
        for level in side.iter_levels()
        for o in level.orders()
    ]
    if book_rules_extended:
        flags = [int(o.post_only) for level in side.iter_levels() for o in level.orders()]
        for row, flag in zip(rows, flags, strict=True):
            row.append(flag)
    return rows


def _ledger(ledger: Ledger | None) -> list[Any]:
    assert ledger is not None, "a rules 3 book without a settlement ledger"
    days = [
        [day, [[account, *ledger.days[day][account].as_list()] for account in sorted(cells)]]
        for day, cells in sorted(ledger.days.items())
    ]
    return [ledger.settled, days]


def _load_ledger(row: list[Any]) -> Ledger:
    ledger = Ledger()
    settled, days = row
    ledger.settled = settled
    for day, cells in days:
        ledger.days[day] = {account: Cell(*figures) for account, *figures in cells}
    return ledger


def _book(book: Book, extended: bool, settling: bool) -> list[Any]:
    row = [
        _spec(book.spec),
        _side_orders(book, True, extended),
        _side_orders(book, False, extended),
    ]
    if settling:
        row.append(_ledger(book.ledger))
    return row


def encode_state(
    window: int,
    last_seq: int,
    risk: RiskStage,
    matcher: Matcher,
    queue: Iterable[tuple[int, list[Event]]],
) -> bytes:
    rules = int(risk.rules)
    extended = rules != RULES_V1
    settling = rules >= RULES_V3
    accounts = []
    for name in sorted(risk.accounts):
        acct = risk.accounts[name]
        positions: list[list[Any]] = []
        for a in sorted(acct.positions):
            pos = acct.positions[a]
            positions.append(
                [a, pos.total, pos.held, pos.receiving] if settling else [a, pos.total, pos.held]
            )
        limits = [acct.max_order_qty, acct.max_notional, acct.max_open_orders, acct.open_orders]
        accounts.append(
            [name, positions, limits, acct.firm] if extended else [name, positions, limits]
        )
    state: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "window": window,
        "last_seq": last_seq,
    }
    if extended:
        state["rules"] = rules
    state |= {
        "symbols": [_spec(risk.symbols[s]) for s in sorted(risk.symbols)],
        "accounts": accounts,
        "risk_orders": [risk.orders[i].as_list() for i in sorted(risk.orders)],
        "books": [_book(matcher.books[s], extended, settling) for s in sorted(matcher.books)],
        "stp": [[firm, int(matcher.stp[firm])] for firm in sorted(matcher.stp)],
        "feedback": [
            [seq, [[type(e).__name__, *map(_plain, e)] for e in events]] for seq, events in queue
        ],
    }
    if settling:
        state["settled"] = [[symbol, risk.settled[symbol]] for symbol in sorted(risk.settled)]
    if risk.fences:
        state["fences"] = [[epoch, seq] for epoch, seq in risk.fences]
    return json.dumps(state, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _event(row: list[Any]) -> Event:
    name, *fields = row
    conv = _CONVERT[name]
    values = [c(v) if c is not None else v for c, v in zip(conv, fields, strict=True)]
    ev: Event = _EVENT_BY_NAME[name](*values)
    return ev


def decode_state(
    data: bytes,
) -> tuple[int, int, RiskStage, Matcher, list[tuple[int, list[Event]]]]:
    state = json.loads(data)
    if state.get("format") != FORMAT or state.get("version") != VERSION:
        raise ValueError(f"not a {FORMAT} v{VERSION} snapshot")
    rules = state.get("rules", RULES_V1)
    risk = RiskStage(serial=state["window"] == 1, rules=rules)
    for row in state["symbols"]:
        risk.symbols[row[0]] = SymbolSpec(*row)
    for name, positions, limits, *firm in state["accounts"]:
        acct = risk.accounts[name] = Account(name, *firm)
        for asset, *figures in positions:
            acct.positions[asset] = Position(*figures)
        acct.set_limits(*limits[:3])
        acct.open_orders = limits[3]
    for row in state["risk_orders"]:
        oid, name, symbol, is_buy, tif, price, qty, leaves, pool, pending, max_qty, hi = row
        acct = risk.accounts[name]
        cash, shares = acct.position(CASH), acct.position(symbol)
        hold, other = (cash, shares) if is_buy else (shares, cash)
        order = RiskOrder.create(
            oid, acct, risk.symbols[symbol], is_buy, tif, price, qty, pool, hold, other
        )
        order.leaves = leaves
        order.pending = pending
        order.max_qty = max_qty
        order.hi = hi
        risk.orders[oid] = order
    matcher = Matcher(rules)
    for spec_row, bids, asks, *ledger in state["books"]:
        settlement = _load_ledger(ledger[0]) if ledger else None
        book = matcher.books[spec_row[0]] = Book(SymbolSpec(*spec_row), settlement)
        for rows, side in ((bids, book.bids), (asks, book.asks)):
            for oid, account, firm, sd, price, qty, filled, tif, *post_only in rows:
                resting = Order.create(
                    oid, account, firm, t.Side(sd), price, qty, filled, t.TimeInForce(tif), book,
                    bool(post_only and post_only[0]),
                )  # fmt: skip
                side.append(resting)
                matcher.orders[oid] = resting
    for symbol, day in state.get("settled", []):
        risk.settled[symbol] = day
    risk.fences = [(epoch, seq) for epoch, seq in state.get("fences", [])]
    for firm, mode in state["stp"]:
        matcher.stp[firm] = SelfTradePrevention(mode)
    queue = [(seq, [_event(row) for row in events]) for seq, events in state["feedback"]]
    return state["window"], state["last_seq"], risk, matcher, queue
