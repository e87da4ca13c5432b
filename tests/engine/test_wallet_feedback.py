"""The feedback window W: invariants, no overspend and conservation for any W, determinism per W.

The stream is pseudo-random but fixed by its seed; it exercises every command kind, the three
self-trade prevention modes, halts and end of day, and cancels/replaces of live, ended, foreign
and unknown orders.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    AddSymbol,
    BalanceChanged,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Halt,
    NewOrder,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SetRiskLimits,
    SetSelfTradePrevention,
    Side,
    TimeInForce,
    Withdraw,
)

SYMBOLS = {"AAA": 1_000_000, "BBB": 250_000}
TICK = 100
LOT = 10
# account -> firm; acc1 and acc2 share a firm so self-trade prevention triggers.
ACCOUNTS = {"acc1": "F1", "acc2": "F1", "acc3": "F2", "acc4": "F3"}


def random_commands(seed: int, n: int, start_seq: int = 1) -> Iterator[Command]:
    """A setup block, then ``n`` random trading/admin commands."""
    rng = random.Random(seed)
    seq = start_seq
    setup: list[Command] = []
    for sym, ref in SYMBOLS.items():
        setup.append(AddSymbol(0, 0, sym, TICK, LOT, ref, 500))
    for acct, firm in ACCOUNTS.items():
        setup.append(OpenAccount(0, 0, firm, acct))
        setup.append(Deposit(0, 0, acct, CASH, 2_000_000_000))
        for sym in SYMBOLS:
            setup.append(Deposit(0, 0, acct, sym, 5_000))
    setup.append(SetSelfTradePrevention(0, 0, "F2", SelfTradePrevention.CANCEL_INCOMING))
    setup.append(SetSelfTradePrevention(0, 0, "F3", SelfTradePrevention.CANCEL_BOTH))
    for cmd in setup:
        yield cmd._replace(seq_no=seq, ts=seq)
        seq += 1
    order_ids: list[int] = []
    owners: dict[int, str] = {}

    def pick() -> tuple[int, str]:
        # Mostly recent orders (likely live) and their real owner; sometimes not.
        if not order_ids or rng.random() < 0.03:
            return 999_999, acct
        oid = rng.choice(order_ids[-8:]) if rng.random() < 0.9 else rng.choice(order_ids)
        return oid, owners[oid] if rng.random() < 0.92 else acct

    for _ in range(n):
        ts = seq * 1000
        roll = rng.random()
        acct = rng.choice(list(ACCOUNTS))
        sym = rng.choice(list(SYMBOLS))
        ref = SYMBOLS[sym]
        cmd: Command
        if roll < 0.55:
            otype = OrderType.MARKET if rng.random() < 0.08 else OrderType.LIMIT
            if otype == OrderType.MARKET:
                tif = rng.choice([TimeInForce.IOC, TimeInForce.FOK])
                price = 0
            else:
                tif = rng.choice(
                    [TimeInForce.DAY] * 4
                    + [TimeInForce.GTC] * 2
                    + [TimeInForce.IOC, TimeInForce.FOK]
                )
                price = ref + TICK * rng.randint(-15, 15)
            qty = LOT * rng.randint(1, 30)
            if rng.random() < 0.02:
                qty += 1  # off-lot: INVALID_QTY
            post_only = otype == OrderType.LIMIT and tif == TimeInForce.DAY and rng.random() < 0.1
            side = rng.choice([Side.BUY, Side.SELL])
            cmd = NewOrder(
                seq,
                ts,
                ACCOUNTS[acct],
                acct,
                sym,
                side,
                otype,
                tif,
                qty,
                price,
                f"c{seq}",
                post_only,
            )
            if tif in (TimeInForce.DAY, TimeInForce.GTC):
                order_ids.append(seq)  # only these can still be live later
            owners[seq] = acct
        elif roll < 0.80:
            oid, owner = pick()
            cmd = CancelOrder(seq, ts, owner, oid)
        elif roll < 0.93:
            oid, owner = pick()
            qty = LOT * rng.randint(0, 40)
            price = ref + TICK * rng.randint(-15, 15)
            cmd = ReplaceOrder(seq, ts, owner, oid, qty, price)
        elif roll < 0.95:
            cmd = Deposit(seq, ts, acct, rng.choice([CASH, sym]), rng.randint(1, 10_000_000))
        elif roll < 0.97:
            cmd = Withdraw(seq, ts, acct, rng.choice([CASH, sym]), rng.randint(1, 100_000_000))
        elif roll < 0.98:
            cmd = SetRiskLimits(seq, ts, acct, rng.choice([0, 200]), 0, rng.choice([0, 20]))
        elif roll < 0.99:
            cmd = (Halt if rng.random() < 0.1 else Resume)(seq, ts, sym)
        elif roll < 0.995:
            cmd = EndOfDay(seq, ts, sym)
        else:
            cmd = SetSelfTradePrevention(
                seq, ts, rng.choice(["F1", "F2", "F3"]), rng.choice(list(SelfTradePrevention))
            )
        yield cmd
        seq += 1


def run(ex: Exchange, commands: Iterator[Command], check_every: int = 1) -> list[list[Event]]:
    out = []
    for i, cmd in enumerate(commands):
        out.append(ex.submit(cmd))
        if i % check_every == 0:
            ex.check_invariants()
    return out


def totals(ex: Exchange) -> dict[str, int]:
    sums: dict[str, int] = {}
    for acct in ex.accounts():
        for asset in [CASH, *ex.symbols()]:
            sums[asset] = sums.get(asset, 0) + ex.balance(acct, asset).total
    return sums


def flows(outputs: list[list[Event]]) -> dict[str, int]:
    sums: dict[str, int] = {}
    for events in outputs:
        for ev in events:
            if isinstance(ev, BalanceChanged):
                sums[ev.asset] = sums.get(ev.asset, 0) + ev.amount
    return sums


def close_everything(ex: Exchange, seq: int) -> int:
    """Halt nothing, cancel every live order, then flush the feedback window; return next seq."""
    for oid in range(1, seq):
        view = ex.open_order(oid)
        if view is not None:
            ex.submit(CancelOrder(seq, seq, view.account, oid))
            seq += 1
    for _ in range(ex.feedback_window):
        ex.submit(Deposit(seq, seq, "nobody", CASH, 0))  # refused: moves the window only
        seq += 1
    return seq


@pytest.mark.parametrize("window", [1, 8, 1000])
def test_invariants_and_conservation_hold_for_any_window(window: int) -> None:
    ex = Exchange(feedback_window=window)
    commands = list(random_commands(seed=7, n=3000))
    outputs = run(ex, iter(commands))
    assert totals(ex) == flows(outputs)
    seq = close_everything(ex, commands[-1].seq_no + 1)
    ex.check_invariants()
    assert ex.pending_feedback() == 0
    for acct in ex.accounts():
        for asset in [CASH, *ex.symbols()]:
            assert ex.balance(acct, asset).held == 0, (acct, asset)
    assert totals(ex) == flows(outputs)
    assert seq > commands[-1].seq_no


@pytest.mark.parametrize("window", [1, 8, 1000])
def test_same_window_gives_same_events(window: int) -> None:
    a = run(Exchange(window), random_commands(seed=11, n=2000), check_every=500)
    b = run(Exchange(window), random_commands(seed=11, n=2000), check_every=500)
    assert a == b


def test_stream_trades_and_rejects_enough_to_mean_something() -> None:
    outputs = run(Exchange(8), random_commands(seed=7, n=3000), check_every=1000)
    kinds: dict[str, int] = {}
    for events in outputs:
        for ev in events:
            kinds[type(ev).__name__] = kinds.get(type(ev).__name__, 0) + 1
    for kind in ("Fill", "Cancelled", "Replaced", "Expired", "Rejected", "BookReplace"):
        assert kinds.get(kind, 0) > 10, kinds


def test_a_window_larger_than_one_changes_nothing_for_a_serial_observer_at_the_end() -> None:
    # With every order cancelled and the window flushed, no hold is left whatever W was.
    for window in (2, 50):
        ex = Exchange(window)
        commands = list(random_commands(seed=3, n=800))
        run(ex, iter(commands), check_every=50)
        close_everything(ex, commands[-1].seq_no + 1)
        assert all(ex.balance(a, s).held == 0 for a in ex.accounts() for s in [CASH, *ex.symbols()])
