"""The lean ceiling: how fast pure Python can run the book benchmark's workload at best.

`sequex bench book` measures `Exchange.submit`; this module answers the question that figure
raises: how much of the gap to the 1,000,000 commands/s goal is the engine's design, and how
much is CPython itself? :func:`run_lean` is the hot path of the exchange stripped of
everything a library needs and a benchmark does not: one flat loop over the whole command
list (no call per command), orders as plain lists, levels as lists, no dispatch table, no
snapshot-friendly records. It still does the same work per command as the engine: every risk
check of a plain limit order, the wallet holds, price-time matching with cancel-resting
self-trade prevention, the makers' and taker's settlement, the band moving with the last
trade, and every event, built as the same NamedTuples (``tuple.__new__``).

Contract: for the commands of :mod:`tools.workload` (plain limit DAY/GTC/IOC orders by funded
accounts, cancels by the owner, no STP modes set, no replaces) ``run_lean`` returns exactly
the events `Exchange(feedback_window=1)` returns, command by command (a test checks this).
Anything else (another command kind, market/FOK/post-only orders, any refusal) raises
`OutsideLeanModel`: this is a measuring instrument, not a second engine. The measured ceiling
is an upper bound in a precise sense: a faithful engine must do at least this work per
command, in CPython, in this order.

``plain_tuples=True`` builds every event as a plain tuple instead (same values), which shows
what the typed events cost on their own.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from typing import Any

from engine.domain.symbols import BPS
from engine.domain.types import (
    CASH,
    EXEC_IDS_PER_COMMAND,
    KEEP_LIMIT,
    Accepted,
    AddSymbol,
    BookAdd,
    BookDelete,
    BookExecute,
    Cancelled,
    CancelOrder,
    CancelReason,
    Command,
    Deposit,
    Expired,
    ExpireReason,
    Fill,
    Liquidity,
    NewOrder,
    OpenAccount,
    OrderType,
    SetRiskLimits,
    Side,
    TimeInForce,
)


class OutsideLeanModel(ValueError):
    """A command the lean ceiling does not model (it only measures the benchmark workload)."""


# Order record indices (a plain list: the cheapest mutable record CPython builds).
_LEAVES, _OID, _ACCOUNT, _FIRM, _PRICE, _NEXT, _PREV, _LEVEL, _OWNER, _HOLD, _OTHER, _SIDE = range(
    12
)
# Level: [head, tail, total, count]; a side: [levels by price, sorted sign*price keys, sign].


class _Symbol:
    __slots__ = ("asks", "band_bps", "bids", "lot", "max_price", "min_price", "name", "tick")

    def __init__(self, cmd: AddSymbol) -> None:
        self.name = cmd.symbol
        self.tick = cmd.tick_size
        self.lot = cmd.lot_size
        self.band_bps = cmd.band_bps
        self.bids: tuple[dict[int, list[Any]], list[int], int] = ({}, [], 1)
        self.asks: tuple[dict[int, list[Any]], list[int], int] = ({}, [], -1)
        self.move_band(cmd.reference_price)

    def move_band(self, reference: int) -> None:
        half = reference * self.band_bps // BPS
        self.min_price = max(reference - half, 1)
        self.max_price = reference + half


class _Position:
    __slots__ = ("held", "total")

    def __init__(self) -> None:
        self.total = 0
        self.held = 0


class _Account:
    __slots__ = ("firm", "limited", "name", "open_orders", "positions")

    def __init__(self, name: str) -> None:
        self.name = name
        self.firm = ""
        self.limited = True
        self.open_orders = 0
        self.positions: dict[str, _Position] = {}


class LeanState:
    """Symbols and accounts built from a workload's setup commands."""

    def __init__(self, setup: Sequence[Command]) -> None:
        self.symbols: dict[str, _Symbol] = {}
        self.accounts: dict[str, _Account] = {}
        self.orders: dict[int, list[Any]] = {}
        for cmd in setup:
            if isinstance(cmd, AddSymbol):
                self.symbols[cmd.symbol] = _Symbol(cmd)
            elif isinstance(cmd, OpenAccount):
                acct = self._account(cmd.account)
                acct.firm, acct.limited = cmd.firm, False
            elif isinstance(cmd, SetRiskLimits):
                limits = (cmd.max_order_qty, cmd.max_notional, cmd.max_open_orders)
                if KEEP_LIMIT in limits:  # would need the limit values, not just `limited`
                    raise OutsideLeanModel("setup SetRiskLimits keeping a limit is not modelled")
                self._account(cmd.account).limited = any(limits)
            elif isinstance(cmd, Deposit):
                acct = self._account(cmd.account)
                acct.positions.setdefault(cmd.asset, _Position()).total += cmd.amount
            else:
                raise OutsideLeanModel(f"setup command {type(cmd).__name__} is not modelled")
        for acct in self.accounts.values():
            for asset in (CASH, *self.symbols):
                acct.positions.setdefault(asset, _Position())

    def _account(self, name: str) -> _Account:
        acct = self.accounts.get(name)
        if acct is None:
            acct = self.accounts[name] = _Account(name)
        return acct


def run_lean(
    state: LeanState,
    commands: Sequence[Command],
    *,
    plain_tuples: bool = False,
    keep: list[list[Any]] | None = None,
) -> int:
    """Apply ``commands``; return how many events they produced. With ``keep``, each command's
    events are appended to it (the benchmark keeps none, like its engine loop, so that neither
    side pays for holding millions of events)."""
    symbols, accounts, orders = state.symbols, state.accounts, state.orders
    new: Any = (lambda cls, values: values) if plain_tuples else tuple.__new__
    buy, sell, limit = Side.BUY, Side.SELL, OrderType.LIMIT
    day, gtc, ioc = TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC
    maker, taker = Liquidity.MAKER, Liquidity.TAKER
    self_trade, user, expired_ioc = CancelReason.SELF_TRADE, CancelReason.USER, ExpireReason.IOC
    produced = 0
    for cmd in commands:
        if cmd.__class__ is CancelOrder:
            o = orders.pop(cmd[3], None)
            if o is None or o[_OWNER].name != cmd[2]:
                raise OutsideLeanModel(f"cancel seq {cmd[0]} would be refused")
            level, prev, nxt, leaves = o[_LEVEL], o[_PREV], o[_NEXT], o[_LEAVES]
            if prev is None:
                level[0] = nxt
            else:
                prev[_NEXT] = nxt
            if nxt is None:
                level[1] = prev
            else:
                nxt[_PREV] = prev
            level[2] -= leaves
            level[3] -= 1
            spec = symbols[o[_LEVEL][4]]
            if not level[3]:
                levels, keys, sign = spec.bids if o[_SIDE] is buy else spec.asks
                del levels[o[_PRICE]]
                keys.remove(sign * o[_PRICE])
            o[_HOLD].held -= leaves * o[_PRICE] if o[_SIDE] is buy else leaves
            o[_OWNER].open_orders -= 1
            events = [
                new(Cancelled, (o[_OID], o[_ACCOUNT], leaves, user)),
                new(BookDelete, (spec.name, o[_OID])),
            ]
            produced += 2
            if keep is not None:
                keep.append(events)
            continue
        if cmd.__class__ is not NewOrder:
            raise OutsideLeanModel(f"{type(cmd).__name__} is not modelled")
        seq, ts, firm, account, symbol, side, otype, tif, qty, price, clid, post_only = cmd
        spec = symbols.get(symbol)  # type: ignore[assignment]
        acct = accounts.get(account)
        if (
            otype is not limit
            or post_only
            or (tif is not day and tif is not gtc and tif is not ioc)
            or spec is None
            or qty <= 0
            or qty % spec.lot
            or not spec.min_price <= price <= spec.max_price
            or price % spec.tick
            or acct is None
            or acct.firm != firm
            or acct.limited
        ):
            raise OutsideLeanModel(f"new order seq {seq} is not a plain accepted limit order")
        positions = acct.positions
        is_buy = side is buy
        if is_buy:
            hold, other = positions[CASH], positions[symbol]
            if hold.total - hold.held < qty * price:
                raise OutsideLeanModel(f"new order seq {seq} would be refused")
            levels, keys, sign = spec.asks
        else:
            hold, other = positions[symbol], positions[CASH]
            if hold.total - hold.held < qty:
                raise OutsideLeanModel(f"new order seq {seq} would be refused")
            levels, keys, sign = spec.bids
        events = [new(Accepted, (seq, seq, account, clid))]
        leaves = qty
        if keys and (-keys[-1] <= price if is_buy else keys[-1] >= price):
            append = events.append
            exec_id = seq * EXEC_IDS_PER_COMMAND
            cost = last = 0
            mside = sell if is_buy else buy
            while leaves and keys:
                px = sign * keys[-1]
                if (px > price) if is_buy else (px < price):
                    break
                level = levels[px]
                m = level[0]
                while m is not None:
                    nxt, mleaves, mid = m[_NEXT], m[_LEAVES], m[_OID]
                    if m[_FIRM] == firm:  # self-trade: cancel the resting order (the default)
                        m[_HOLD].held -= mleaves if is_buy else mleaves * px
                        append(new(Cancelled, (mid, m[_ACCOUNT], mleaves, self_trade)))
                        append(new(BookDelete, (symbol, mid)))
                        level[2] -= mleaves
                    else:
                        q = leaves if leaves < mleaves else mleaves
                        leaves -= q
                        mleaves -= q
                        m[_LEAVES] = mleaves
                        level[2] -= q
                        append(
                            new(Fill, (seq, account, symbol, side, q, px, leaves, ts, taker,
                                       exec_id))
                        )  # fmt: skip
                        append(
                            new(Fill, (mid, m[_ACCOUNT], symbol, mside, q, px, mleaves, ts, maker,
                                       exec_id))
                        )  # fmt: skip
                        append(new(BookExecute, (symbol, mid, q, px, exec_id)))
                        exec_id += 1
                        last = px
                        notional = q * px
                        cost += notional
                        mhold = m[_HOLD]
                        if is_buy:
                            mhold.total -= q
                            mhold.held -= q
                            m[_OTHER].total += notional
                        else:
                            mhold.total -= notional
                            mhold.held -= notional
                            m[_OTHER].total += q
                        if mleaves:
                            break  # the taker is done and this maker stays at the head
                    # the maker leaves the book: it is the head of the best level
                    level[0] = nxt
                    if nxt is None:
                        level[1] = None
                    else:
                        nxt[_PREV] = None
                    level[3] -= 1
                    del orders[mid]
                    m[_OWNER].open_orders -= 1
                    if not leaves:
                        break
                    m = nxt
                if level[0] is None:
                    keys.pop()
                    del levels[px]
            if is_buy:
                hold.total -= cost
                other.total += qty - leaves
            else:
                hold.total -= qty - leaves
                other.total += cost
            if last:
                spec.move_band(last)
        if leaves:
            if tif is ioc:
                events.append(new(Expired, (seq, account, leaves, expired_ioc)))
            else:
                hold.held += leaves * price if is_buy else leaves
                levels, keys, sign = spec.bids if is_buy else spec.asks
                acct.open_orders += 1
                o = [leaves, seq, account, firm, price, None, None, None, acct, hold, other, side]
                level = levels.get(price)
                if level is None:
                    level = levels[price] = [o, o, leaves, 1, symbol]
                    insort(keys, sign * price)
                else:
                    tail = level[1]
                    tail[_NEXT] = o
                    o[_PREV] = tail
                    level[1] = o
                    level[2] += leaves
                    level[3] += 1
                o[_LEVEL] = level
                orders[seq] = o
                events.append(new(BookAdd, (symbol, seq, side, leaves, price)))
        produced += len(events)
        if keep is not None:
            keep.append(events)
    return produced
