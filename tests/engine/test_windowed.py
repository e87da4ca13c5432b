"""The W > 1 fast path (`engine.domain.windowed`) against the separable path it replaces.

Every stream runs through two exchanges with the same window: one with the fast path (the
default) and one with it switched off (``exchange._FAST_WINDOWED = False`` while it is built or
restored), which sends every command through RiskStage -> Matcher -> queue -> Settler. The
events must be equal command by command (classes included: NamedTuples of equal fields compare
equal across classes), and the snapshots byte for byte at several points, including after a
snapshot/restore in the middle of the stream.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.domain.exchange as exchange_module
from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Halt,
    NewOrder,
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
from engine.domain.windowed import WindowedPath
from tools.workload import deep_book_workload, standard_book_workload

WINDOWS = [2, 8, 64, 1024]


@contextlib.contextmanager
def _fast(enabled: bool) -> Iterator[None]:
    saved = exchange_module._FAST_WINDOWED
    exchange_module._FAST_WINDOWED = enabled
    try:
        yield
    finally:
        exchange_module._FAST_WINDOWED = saved


def _build(window: int, fast: bool) -> Exchange:
    with _fast(fast):
        ex = Exchange(feedback_window=window)
    assert isinstance(ex._fast, WindowedPath) == fast
    return ex


def _restore(data: bytes, fast: bool) -> Exchange:
    with _fast(fast):
        ex = Exchange.restore(data)
    assert isinstance(ex._fast, WindowedPath) == fast
    return ex


def _typed(events: list[Event]) -> list[tuple[type, Event]]:
    return [(e.__class__, e) for e in events]


def _same_stream(
    window: int, commands: Sequence[Command], checkpoints: int = 4, invariants: bool = False
) -> Exchange:
    """Run both paths over ``commands``; restore both mid-stream; return the fast exchange."""
    fast = _build(window, True)
    slow = _build(window, False)
    every = max(1, len(commands) // checkpoints)
    middle = len(commands) // 2
    for i, cmd in enumerate(commands):
        got = fast.submit(cmd)
        want = slow.submit(cmd)
        assert _typed(got) == _typed(want), (i, cmd)
        if i % every == every - 1 or i == middle:
            snap = fast.snapshot()
            assert snap == slow.snapshot(), (i, cmd)
            assert fast.state_hash() == slow.state_hash()
            assert fast.pending_feedback() == slow.pending_feedback()
            if invariants:
                fast.check_invariants()
        if i == middle:
            # Continue from restored states: the fast one must go on exactly as before.
            fast = _restore(snap, True)
            slow = _restore(snap, False)
    assert fast.snapshot() == slow.snapshot()
    fast.check_invariants()
    return fast


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_standard_workload_is_identical(window: int, seed: int) -> None:
    wl = standard_book_workload(20_000, seed=seed)
    _same_stream(window, wl.setup + wl.commands)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("seed", [1, 2])
def test_deep_workload_is_identical(window: int, seed: int) -> None:
    wl = deep_book_workload(20_000, seed=seed)
    _same_stream(window, wl.setup + wl.commands)


def test_fast_path_takes_the_hot_commands() -> None:
    """Guard against a silently dead fast path: plain orders and cancels never reach the
    separable handlers."""
    ex = _build(64, True)
    wl = standard_book_workload(5_000, seed=4)
    for cmd in wl.setup:
        ex.submit(cmd)
    calls = {"new": 0, "cancel": 0}
    path = ex._fast
    assert isinstance(path, WindowedPath)
    slow_new = path.handlers[NewOrder]
    slow_cancel = path.handlers[CancelOrder]

    def count_new(cmd: NewOrder) -> list[Event]:
        calls["new"] += 1
        return slow_new(cmd)

    def count_cancel(cmd: CancelOrder) -> list[Event]:
        calls["cancel"] += 1
        return slow_cancel(cmd)

    path.handlers[NewOrder] = count_new
    path.handlers[CancelOrder] = count_cancel
    for cmd in wl.commands:
        ex.submit(cmd)
    # A cancel of an order that already traded away in the matcher (its end not yet fed
    # back) is the matcher's reject: the separable path's. Nothing else goes there.
    assert calls["new"] == 0
    assert calls["cancel"] < len(wl.commands) // 100


# -- a hypothesis stream of every command kind ---------------------------------------------

SYMBOLS = {"AAA": 1_000_000, "BBB": 250_000}
TICK = 100
LOT = 10
#: account -> firm; acc1 and acc2 share a firm, so self-trade prevention triggers.
ACCOUNTS = {"acc1": "F1", "acc2": "F1", "acc3": "F2", "acc4": "F3"}
NAMES = list(ACCOUNTS)
TIFS = list(TimeInForce)
MODES = list(SelfTradePrevention)

_step = st.tuples(
    st.integers(0, 99),  # command kind
    st.integers(0, 3),  # account
    st.integers(0, 1),  # symbol
    st.integers(-20, 20),  # price offset in ticks, or a choice
    st.integers(-1, 40),  # qty in lots, or an amount scale
    st.integers(0, 15),  # flags / a choice
    st.integers(0, 7),  # seq gap (7: a jump)
)


def _commands(steps: list[tuple[int, int, int, int, int, int, int]], cash: int) -> list[Command]:
    """Materialise hypothesis' draws as commands (ids of earlier orders are known here).

    Mostly orders that pass risk and cross (prices a few ticks around one reference), with
    cancels and replaces of recent orders by their owner, so fills often meet replaces in
    flight; every reject and admin command appears too.
    """
    seq = 1
    out: list[Command] = []

    def add(cmd: Command) -> None:
        nonlocal seq
        out.append(cmd._replace(seq_no=seq, ts=seq * 1000))
        seq += 1

    for sym, ref in SYMBOLS.items():
        add(AddSymbol(0, 0, sym, TICK, LOT, ref, 500))
    for acct in ACCOUNTS:
        add(Deposit(0, 0, acct, CASH, cash))
        for sym in SYMBOLS:
            add(Deposit(0, 0, acct, sym, 3_000))
    orders: list[tuple[int, str, str]] = []
    for kind, a, s, off, q, flag, gap in steps:
        if gap == 7:
            seq += 3 + flag * 40  # a jump in seq_no: the window drains before the command
        acct = NAMES[a]
        sym = list(SYMBOLS)[s]
        price = SYMBOLS[sym] + TICK * off
        cmd: Command
        if kind < 50 or kind >= 97:
            otype = OrderType.MARKET if flag == 15 else OrderType.LIMIT
            tif = TIFS[flag % 4] if flag < 12 else TimeInForce.DAY
            side = Side.BUY if kind % 2 else Side.SELL
            post_only = flag in (12, 13)
            if otype == OrderType.MARKET:
                price = 0
            elif flag == 14:
                price += 1  # off tick
            qty = LOT * q + (kind == 7)  # 7: off-lot
            if kind == 97:
                sym = "ZZZ"  # unknown symbol
            if kind == 98:
                # Plain ints where enums are expected: the fast path hands these over.
                cmd = NewOrder(0, 0, ACCOUNTS[acct], acct, sym, 1, 1, 1, LOT, price, "int")  # type: ignore[arg-type]
            else:
                cmd = NewOrder(
                    0, 0, ACCOUNTS[acct], acct, sym, side, otype, tif, qty, price, "c", post_only
                )
            if otype == OrderType.LIMIT and tif in (TimeInForce.DAY, TimeInForce.GTC):
                orders.append((seq, acct, sym))
        elif kind < 85:
            oid, owner, osym = orders[-1 - flag % len(orders)] if orders else (999, acct, sym)
            owner = owner if off > -17 else acct  # sometimes another account's order
            price = SYMBOLS.get(osym, 1_000_000) + TICK * off
            if kind < 65:
                cmd = CancelOrder(0, 0, owner, oid if off < 19 else 12_345)
            else:
                cmd = ReplaceOrder(0, 0, owner, oid, LOT * q, price)
        elif kind < 88:
            cmd = Deposit(0, 0, acct, CASH if flag % 2 else sym, max(q, 0) * 10**flag)
        elif kind < 90:
            cmd = Withdraw(0, 0, acct, CASH if flag % 2 else sym, max(q, 0) * 10**flag)
        elif kind < 92:
            cmd = SetRiskLimits(0, 0, acct, [0, 100, 400][flag % 3], [0, 10**8][flag % 2], q)
        elif kind < 94:
            cmd = (Halt if flag < 2 else Resume)(0, 0, sym)
        elif kind < 95:
            cmd = EndOfDay(0, 0, sym)
        else:
            cmd = SetSelfTradePrevention(0, 0, f"F{1 + a % 3}", MODES[flag % 3])
        add(cmd)
    return out


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    steps=st.lists(_step, min_size=1, max_size=400),
    window=st.sampled_from([*WINDOWS, 3, 5]),
    cash=st.sampled_from([10**6, 10**9, 10**12]),
)
def test_every_command_kind_is_identical(
    steps: list[tuple[int, int, int, int, int, int, int]], window: int, cash: int
) -> None:
    _same_stream(window, _commands(steps, cash), checkpoints=8, invariants=True)


def test_long_mixed_stream_is_identical() -> None:
    """One long fixed stream of every kind (the feedback test's generator) for each window."""
    from tests.engine.test_wallet_feedback import random_commands

    commands = list(random_commands(seed=5, n=6_000))
    for window in WINDOWS:
        _same_stream(window, commands, checkpoints=6, invariants=True)


def _replace_heavy(seed: int, n: int, jump: int) -> list[Command]:
    """Resting orders replaced up, down and across prices while takers fill them: with W > 1
    fills meet replaces in flight (``pending``, ``max_qty``, ``hi`` above the confirmed terms)."""
    rng = random.Random(seed)
    ref = SYMBOLS["AAA"]
    setup: list[Command] = [AddSymbol(0, 0, "AAA", TICK, LOT, ref, 500)]
    for acct in ACCOUNTS:
        setup += [Deposit(0, 0, acct, CASH, 10**10), Deposit(0, 0, acct, "AAA", 20_000)]
    out = [cmd._replace(seq_no=i + 1, ts=i + 1) for i, cmd in enumerate(setup)]
    live: list[tuple[int, str]] = []
    seq = len(out)
    for _ in range(n):
        # Sometimes seq_no jumps: the window must drain before the next command is decided.
        seq += 1 + (rng.randint(1, jump) if rng.random() < 0.05 else 0)
        acct = rng.choice(NAMES)
        roll = rng.random()
        cmd: Command
        if roll < 0.45 or not live:
            side = rng.choice([Side.BUY, Side.SELL])
            sign = 1 if side == Side.BUY else -1
            # Mostly passive, sometimes through the touch.
            off = -sign * rng.randint(1, 6) if rng.random() < 0.7 else sign * rng.randint(0, 6)
            tif = rng.choice([TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC])
            qty = LOT * rng.randint(1, 30)
            cmd = NewOrder(
                seq,
                seq,
                ACCOUNTS[acct],
                acct,
                "AAA",
                side,
                OrderType.LIMIT,
                tif,
                qty,
                ref + TICK * off,
                "r",
            )
            if tif != TimeInForce.IOC:
                live.append((seq, acct))
        elif roll < 0.85:
            oid, owner = live[-1 - rng.randrange(min(len(live), 12))]
            qty = LOT * rng.randint(1, 40)
            cmd = ReplaceOrder(seq, seq, owner, oid, qty, ref + TICK * rng.randint(-6, 6))
        else:
            oid, owner = live[-1 - rng.randrange(min(len(live), 12))]
            cmd = CancelOrder(seq, seq, owner, oid)
        out.append(cmd)
    return out


@pytest.mark.parametrize("window", [*WINDOWS, 3, 17])
def test_replaces_in_flight_are_identical(window: int) -> None:
    _same_stream(window, _replace_heavy(window, 4_000, 2 * window), checkpoints=8, invariants=True)
