"""Deterministic order-book workloads: the input of the book benchmark and of the load generator.

A workload is *input*, not an outcome: the same arguments give the same commands on every run
and machine (a seeded ``random.Random``, integer prices, ``ts`` derived from ``seq_no``). It
comes as :class:`Workload` ``(setup, commands)``: the setup (add the symbol, fund the accounts
with Deposits, lift risk limits) is applied untimed; ``commands`` are the timed NewOrder and
CancelOrder commands, numbered right after the setup.

To aim cancels at orders that are still live and to price orders near the touch, the
generator keeps a shadow :class:`DictDequeBook`, the naive book (dict of price -> deque, no
risk, no events) that the benchmark also times as its baseline. The shadow applies price-time
priority and cancel-resting self-trade prevention like the engine; the funding makes every
order pass risk, so the shadow's idea of which orders are live matches the engine's.

* :func:`standard_book_workload`: one symbol, a few accounts; about 60 % resting limit orders
  a few ticks off the touch, 25 % cancels of live orders (uniform), 15 % marketable limit
  orders (DAY or IOC) priced through the touch.
* :func:`deep_book_workload`: orders drawn from a few fixed price levels per side that the
  setup pre-fills to about ``orders_per_level`` each; 2 % marketable orders, and cancels
  (still uniform over live orders) that rise or fall with the live count so depth stays there.
"""

from __future__ import annotations

import bisect
import random
from collections import deque
from dataclasses import dataclass

from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    NewOrder,
    OpenAccount,
    OrderType,
    Side,
    TimeInForce,
)

SYMBOL = "BENCH"
TICK = 100  # 0.01 in price units
LOT = 1
REFERENCE_PRICE = 1_000_000  # 100.0000
BAND_BPS = 5_000  # +-50 %: wide enough that a random walk never leaves it
TS_BASE = 1_700_000_000_000_000_000  # ns; ts = TS_BASE + seq_no * TS_STEP
TS_STEP = 1_000
CASH_PER_ACCOUNT = 10**18
SHARES_PER_ACCOUNT = 10**12


@dataclass(frozen=True, slots=True)
class Workload:
    """Setup commands (untimed, seq_no 1..len(setup)) and the timed commands that follow."""

    setup: list[Command]
    commands: list[Command]


class DictDequeBook:
    """The naive baseline book: per side a dict price -> deque of ``[order_id, firm, qty]``.

    Only NewOrder (limit or market; IOC/FOK remainders are dropped, other remainders rest) and
    CancelOrder are applied; everything else is ignored. No risk, no events. Cancels are lazy
    (qty set to 0, skipped when matching); a level's live count drops it from the sorted price
    list as soon as it empties, so :meth:`best_bid` / :meth:`best_ask` are exact.
    """

    __slots__ = ("_levels", "_prices", "orders", "trades")

    def __init__(self) -> None:
        # index 0 = bids, 1 = asks; level = [deque of entries, live count]
        self._levels: tuple[dict[int, list[object]], dict[int, list[object]]] = ({}, {})
        self._prices: tuple[list[int], list[int]] = ([], [])  # both ascending
        #: live resting orders: order_id -> (side index, price, entry)
        self.orders: dict[int, tuple[int, int, list[object]]] = {}
        self.trades = 0

    def best_bid(self) -> int | None:
        prices = self._prices[0]
        return prices[-1] if prices else None

    def best_ask(self) -> int | None:
        prices = self._prices[1]
        return prices[0] if prices else None

    def submit(self, cmd: Command) -> None:
        if type(cmd) is NewOrder:
            self._new_order(cmd)
        elif type(cmd) is CancelOrder:
            self.cancel(cmd.order_id)

    def cancel(self, order_id: int) -> bool:
        found = self.orders.pop(order_id, None)
        if found is None:
            return False
        side, price, entry = found
        entry[2] = 0
        level = self._levels[side][price]
        level[1] = count = level[1] - 1  # type: ignore[operator]
        if count == 0:
            self._drop_level(side, price)
        return True

    def _drop_level(self, side: int, price: int) -> None:
        del self._levels[side][price]
        prices = self._prices[side]
        del prices[bisect.bisect_left(prices, price)]

    def _new_order(self, cmd: NewOrder) -> None:
        mine = 0 if cmd.side == Side.BUY else 1
        other = 1 - mine
        market = cmd.order_type == OrderType.MARKET
        qty = cmd.qty
        levels = self._levels[other]
        prices = self._prices[other]
        orders = self.orders
        while qty and prices:
            best = prices[-1] if other == 0 else prices[0]
            if not market and (best > cmd.price if other == 1 else best < cmd.price):
                break
            level = levels[best]
            queue: deque[list[object]] = level[0]  # type: ignore[assignment]
            while qty and queue:
                entry = queue[0]
                resting: int = entry[2]  # type: ignore[assignment]
                if resting == 0:  # lazily cancelled
                    queue.popleft()
                    continue
                if entry[1] == cmd.firm:  # self-trade prevention: cancel the resting order
                    self.cancel(entry[0])  # type: ignore[arg-type]
                    if best not in levels:
                        break
                    continue
                traded = min(qty, resting)
                qty -= traded
                self.trades += 1
                if traded == resting:
                    queue.popleft()
                    del orders[entry[0]]  # type: ignore[arg-type]
                    level[1] -= 1  # type: ignore[operator]
                else:
                    entry[2] = resting - traded
            if best in levels and not level[1]:
                self._drop_level(other, best)
        if qty and not market and cmd.tif in (TimeInForce.DAY, TimeInForce.GTC):
            self._rest(mine, cmd.price, [cmd.seq_no, cmd.firm, qty])

    def _rest(self, side: int, price: int, entry: list[object]) -> None:
        levels = self._levels[side]
        level = levels.get(price)
        if level is None:
            level = levels[price] = [deque(), 0]
            bisect.insort(self._prices[side], price)
        level[0].append(entry)  # type: ignore[attr-defined]
        level[1] += 1  # type: ignore[operator]
        self.orders[entry[0]] = (side, price, entry)  # type: ignore[index]


def setup_commands(accounts: int, *, first_seq_no: int = 1) -> list[Command]:
    """AddSymbol, then for each account ``A{i}``: opened for firm ``F{i}`` (no risk limits),
    ample cash and shares. Numbered from ``first_seq_no``."""
    out: list[Command] = []
    seq = first_seq_no

    def ts() -> int:
        return TS_BASE + seq * TS_STEP

    out.append(AddSymbol(seq, ts(), SYMBOL, TICK, LOT, REFERENCE_PRICE, BAND_BPS))
    for i in range(accounts):
        account = f"A{i}"
        seq += 1
        out.append(OpenAccount(seq, ts(), f"F{i}", account))
        seq += 1
        out.append(Deposit(seq, ts(), account, CASH, CASH_PER_ACCOUNT))
        seq += 1
        out.append(Deposit(seq, ts(), account, SYMBOL, SHARES_PER_ACCOUNT))
    return out


class _Generator:
    """Shared state of both workloads: shadow book, live-order sampling, command numbering."""

    def __init__(self, seed: int, accounts: int, first_seq_no: int) -> None:
        self.rng = random.Random(seed)
        self.accounts = accounts
        self.book = DictDequeBook()
        self.seq = first_seq_no
        self.out: list[Command] = []
        self._ids: list[int] = []  # ids that were live once; dead ones are purged lazily
        # One str object per firm and account, as a client (or the record decoder, which
        # interns them) passes them: equal values either way, and hashed once.
        self._firms = [f"F{i}" for i in range(accounts)]
        self._accounts = [f"A{i}" for i in range(accounts)]

    def new_order(self, side: Side, price: int, qty: int, tif: TimeInForce) -> None:
        i = self.rng.randrange(self.accounts)
        seq = self.seq
        cmd = NewOrder(
            seq, TS_BASE + seq * TS_STEP, self._firms[i], self._accounts[i], SYMBOL, side,
            OrderType.LIMIT, tif, qty, price, f"c{seq}",
        )  # fmt: skip
        self._emit(cmd)
        if seq in self.book.orders:
            self._ids.append(seq)

    def cancel_random(self) -> bool:
        """Cancel a live order chosen uniformly, by its owner; False if none is live."""
        orders = self.book.orders
        if len(self._ids) > 2 * len(orders) + 64:
            self._ids = [i for i in self._ids if i in orders]
        while self._ids:
            k = self.rng.randrange(len(self._ids))
            order_id = self._ids[k]
            self._ids[k] = self._ids[-1]
            self._ids.pop()
            if order_id in orders:
                account = self._owner(order_id)
                self._emit(CancelOrder(self.seq, TS_BASE + self.seq * TS_STEP, account, order_id))
                return True
        return False

    def _owner(self, order_id: int) -> str:
        firm: str = self.book.orders[order_id][2][1]  # type: ignore[assignment]
        return self._accounts[self._firms.index(firm)]

    def _emit(self, cmd: Command) -> None:
        self.book.submit(cmd)
        self.out.append(cmd)
        self.seq += 1

    def touch(self, side: Side) -> int:
        """The best price on the opposite side (or a synthetic one): the edge a resting order
        of ``side`` must stay behind."""
        bid, ask = self.book.best_bid(), self.book.best_ask()
        if side == Side.BUY:
            if ask is not None:
                return ask
            return (bid + TICK) if bid is not None else REFERENCE_PRICE + TICK
        if bid is not None:
            return bid
        return (ask - TICK) if ask is not None else REFERENCE_PRICE - TICK


def standard_book_workload(
    count: int, *, seed: int = 1, accounts: int = 4, first_seq_no: int = 1
) -> Workload:
    """``count`` timed commands over one symbol: ~60 % resting limit orders 1-8 ticks behind the
    opposite touch (DAY/GTC, 1-10 lots of 100), ~25 % cancels of live orders (uniform), ~15 %
    marketable limit orders 0-2 ticks through the touch (DAY or IOC, 1-20 lots of 100). The
    book stays shallow (about a hundred live orders over a few levels per side)."""
    setup = setup_commands(accounts, first_seq_no=first_seq_no)
    gen = _Generator(seed, accounts, first_seq_no + len(setup))
    for cmd in setup:
        gen.book.submit(cmd)
    rng = gen.rng
    while len(gen.out) < count:
        roll = rng.random()
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        sign = 1 if side == Side.BUY else -1
        if roll < 0.25 and gen.cancel_random():
            continue
        if roll >= 0.85:
            price = gen.touch(side) + sign * TICK * rng.randrange(3)
            tif = TimeInForce.IOC if rng.random() < 0.5 else TimeInForce.DAY
            gen.new_order(side, price, 100 * rng.randint(1, 20), tif)
        else:
            ticks = 1 + min(int(rng.expovariate(0.6)), 7)
            price = gen.touch(side) - sign * TICK * ticks
            tif = TimeInForce.GTC if rng.random() < 0.1 else TimeInForce.DAY
            gen.new_order(side, price, 100 * rng.randint(1, 10), tif)
    return Workload(setup, gen.out)


def deep_book_workload(
    count: int,
    *,
    seed: int = 2,
    accounts: int = 4,
    levels: int = 3,
    orders_per_level: int = 1_000,
    first_seq_no: int = 1,
) -> Workload:
    """A book of ``levels`` fixed prices per side (bids just below, asks just above the
    reference price), pre-filled by the setup to ``orders_per_level`` orders each, then
    ``count`` timed commands: resting orders on a uniformly drawn level of their side,
    ~2 % marketable IOC orders, and uniform cancels whose share (45 % or 55 %) keeps the live
    count near ``2 * levels * orders_per_level``."""
    base_setup = setup_commands(accounts, first_seq_no=first_seq_no)
    gen = _Generator(seed, accounts, first_seq_no + len(base_setup))
    for cmd in base_setup:
        gen.book.submit(cmd)
    rng = gen.rng
    bids = [REFERENCE_PRICE - TICK * (1 + k) for k in range(levels)]
    asks = [REFERENCE_PRICE + TICK * (1 + k) for k in range(levels)]
    for _ in range(orders_per_level):
        for bid, ask in zip(bids, asks, strict=True):
            gen.new_order(Side.BUY, bid, 100 * rng.randint(1, 10), TimeInForce.DAY)
            gen.new_order(Side.SELL, ask, 100 * rng.randint(1, 10), TimeInForce.DAY)
    setup = base_setup + gen.out
    gen.out = []
    target = 2 * levels * orders_per_level
    while len(gen.out) < count:
        roll = rng.random()
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        cancel_share = 0.55 if len(gen.book.orders) > target else 0.45
        if roll < cancel_share and gen.cancel_random():
            continue
        if roll >= 0.98:
            price = asks[-1] if side == Side.BUY else bids[-1]
            gen.new_order(side, price, 100 * rng.randint(1, 10), TimeInForce.IOC)
        else:
            price = rng.choice(bids if side == Side.BUY else asks)
            gen.new_order(side, price, 100 * rng.randint(1, 10), TimeInForce.DAY)
    return Workload(setup, gen.out)
