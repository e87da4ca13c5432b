"""Golden scenarios: order types, price-time priority, market band, FOK, post-only, holds."""

from __future__ import annotations

from engine.domain.reasons import TEXT
from engine.domain.types import (
    CASH,
    Accepted,
    BookAdd,
    BookExecute,
    Deposit,
    Expired,
    ExpireReason,
    Fill,
    Liquidity,
    Rejected,
    RejectReason,
)
from tests.engine.golden import (
    BUY,
    CASH0,
    FOK,
    IOC,
    SELL,
    SHARES0,
    SYM,
    Sim,
)

X = 1_000_000  # EXEC_IDS_PER_COMMAND
TAKER = Liquidity.TAKER
MAKER = Liquidity.MAKER


def test_limit_buy_rests_and_holds_qty_times_limit_price() -> None:
    sim = Sim()
    assert sim.buy("alice", 100, 10_000) == [
        Accepted(8, 8, "alice", "alice-8"),
        BookAdd(SYM, 8, BUY, 100, 10_000),
    ]
    assert sim.cash("alice") == (CASH0, 1_000_000)
    assert sim.ex.depth(SYM, BUY) == [(10_000, 100, 1)]


def test_limit_sell_rests_and_holds_its_shares() -> None:
    sim = Sim()
    assert sim.sell("bob", 30, 10_100) == [
        Accepted(8, 8, "bob", "bob-8"),
        BookAdd(SYM, 8, SELL, 30, 10_100),
    ]
    assert sim.shares("bob") == (SHARES0, 30)
    assert sim.cash("bob") == (CASH0, 0)


def test_trade_at_resting_price_releases_the_price_improvement() -> None:
    sim = Sim()
    sim.sell("bob", 100, 9_900)
    ts = sim.ts(9)
    assert sim.buy("alice", 100, 10_100) == [
        Accepted(9, 9, "alice", "alice-9"),
        Fill(9, "alice", SYM, BUY, 100, 9_900, 0, ts, TAKER, 9 * X),
        Fill(8, "bob", SYM, SELL, 100, 9_900, 0, ts, MAKER, 9 * X),
        BookExecute(SYM, 8, 100, 9_900, 9 * X),
    ]
    assert sim.cash("alice") == (CASH0 - 990_000, 0)
    assert sim.shares("alice") == (SHARES0 + 100, 0)
    assert sim.cash("bob") == (CASH0 + 990_000, 0)
    assert sim.shares("bob") == (SHARES0 - 100, 0)


def test_partial_fill_rests_the_remainder_after_the_trades() -> None:
    sim = Sim()
    sim.sell("bob", 40, 10_000)
    ts = sim.ts(9)
    assert sim.buy("alice", 100, 10_000) == [
        Accepted(9, 9, "alice", "alice-9"),
        Fill(9, "alice", SYM, BUY, 40, 10_000, 60, ts, TAKER, 9 * X),
        Fill(8, "bob", SYM, SELL, 40, 10_000, 0, ts, MAKER, 9 * X),
        BookExecute(SYM, 8, 40, 10_000, 9 * X),
        BookAdd(SYM, 9, BUY, 60, 10_000),
    ]
    assert sim.cash("alice") == (CASH0 - 400_000, 600_000)


def test_better_price_first_then_time_priority_and_exec_ids_count_per_command() -> None:
    sim = Sim()
    sim.sell("bob", 10, 10_000)  # 8
    sim.sell("carol", 10, 10_000)  # 9
    sim.sell("bob", 10, 9_990)  # 10
    events = sim.buy("alice", 30, 10_000)  # 11
    executes = [e for e in events if isinstance(e, BookExecute)]
    assert [(e.order_id, e.price, e.exec_id) for e in executes] == [
        (10, 9_990, 11 * X),
        (8, 10_000, 11 * X + 1),
        (9, 10_000, 11 * X + 2),
    ]
    taker_leaves = [e.leaves_qty for e in events if isinstance(e, Fill) and e.order_id == 11]
    assert taker_leaves == [20, 10, 0]
    assert sim.ex.depth(SYM, SELL) == []


def test_ioc_remainder_expires_and_releases_its_hold() -> None:
    sim = Sim()
    sim.sell("bob", 30, 10_000)
    ts = sim.ts(9)
    assert sim.buy("alice", 50, 10_000, IOC) == [
        Accepted(9, 9, "alice", "alice-9"),
        Fill(9, "alice", SYM, BUY, 30, 10_000, 20, ts, TAKER, 9 * X),
        Fill(8, "bob", SYM, SELL, 30, 10_000, 0, ts, MAKER, 9 * X),
        BookExecute(SYM, 8, 30, 10_000, 9 * X),
        Expired(9, "alice", 20, ExpireReason.IOC),
    ]
    assert sim.cash("alice") == (CASH0 - 300_000, 0)
    assert sim.ex.depth(SYM, BUY) == []


def test_ioc_with_nothing_to_trade_expires_whole() -> None:
    sim = Sim()
    assert sim.sell("bob", 30, 10_000, IOC) == [
        Accepted(8, 8, "bob", "bob-8"),
        Expired(8, "bob", 30, ExpireReason.IOC),
    ]
    assert sim.shares("bob") == (SHARES0, 0)


def test_fok_that_cannot_fill_completely_expires_and_touches_nothing() -> None:
    sim = Sim()
    sim.sell("bob", 30, 10_000)
    sim.sell("bob", 30, 10_100)  # beyond the FOK's limit: does not count
    before = sim.ex.depth(SYM, SELL)
    assert sim.buy("alice", 50, 10_000, FOK) == [
        Accepted(10, 10, "alice", "alice-10"),
        Expired(10, "alice", 50, ExpireReason.FOK),
    ]
    assert sim.ex.depth(SYM, SELL) == before
    assert sim.cash("alice") == (CASH0, 0)


def test_fok_that_can_fill_fills_completely() -> None:
    sim = Sim()
    sim.sell("bob", 30, 10_000)  # 8
    sim.sell("carol", 30, 10_000)  # 9
    ts = sim.ts(10)
    assert sim.buy("alice", 50, 10_000, FOK) == [
        Accepted(10, 10, "alice", "alice-10"),
        Fill(10, "alice", SYM, BUY, 30, 10_000, 20, ts, TAKER, 10 * X),
        Fill(8, "bob", SYM, SELL, 30, 10_000, 0, ts, MAKER, 10 * X),
        BookExecute(SYM, 8, 30, 10_000, 10 * X),
        Fill(10, "alice", SYM, BUY, 20, 10_000, 0, ts, TAKER, 10 * X + 1),
        Fill(9, "carol", SYM, SELL, 20, 10_000, 10, ts, MAKER, 10 * X + 1),
        BookExecute(SYM, 9, 20, 10_000, 10 * X + 1),
    ]
    assert sim.ex.orders_at(SYM, SELL, 10_000) == [9]


def test_post_only_that_would_take_is_rejected_alone_and_holds_nothing() -> None:
    sim = Sim()
    sim.sell("bob", 10, 10_000)
    reason = RejectReason.POST_ONLY_WOULD_TAKE
    assert sim.buy("alice", 10, 10_000, post_only=True) == [
        Rejected(9, "alice", "alice-9", 0, reason, TEXT[reason]),
    ]
    assert sim.cash("alice") == (CASH0, 0)
    assert sim.ex.open_order(9) is None


def test_post_only_that_does_not_cross_rests() -> None:
    sim = Sim()
    sim.sell("bob", 10, 10_000)
    assert sim.buy("alice", 10, 9_990, post_only=True) == [
        Accepted(9, 9, "alice", "alice-9"),
        BookAdd(SYM, 9, BUY, 10, 9_990),
    ]


def test_market_buy_never_trades_beyond_the_band_around_the_last_trade() -> None:
    sim = Sim()
    sim.sell("bob", 10, 9_500)  # 8
    sim.sell("carol", 10, 10_500)  # 9: inside today's band 9_000..11_000
    sim.buy("alice", 10, 9_500)  # 10: last trade 9_500 -> band 8_550..10_450
    assert sim.market("alice", BUY, 20) == [
        Accepted(11, 11, "alice", "alice-11"),
        Expired(11, "alice", 20, ExpireReason.MARKET),
    ]
    assert sim.ex.orders_at(SYM, SELL, 10_500) == [9]
    assert sim.cash("alice") == (CASH0 - 95_000, 0)


def test_market_sell_sweeps_the_bids_inside_the_band_and_expires_the_rest() -> None:
    sim = Sim()
    sim.buy("alice", 10, 10_000)  # 8
    sim.buy("carol", 10, 9_500)  # 9
    ts = sim.ts(10)
    assert sim.market("bob", SELL, 30) == [
        Accepted(10, 10, "bob", "bob-10"),
        Fill(10, "bob", SYM, SELL, 10, 10_000, 20, ts, TAKER, 10 * X),
        Fill(8, "alice", SYM, BUY, 10, 10_000, 0, ts, MAKER, 10 * X),
        BookExecute(SYM, 8, 10, 10_000, 10 * X),
        Fill(10, "bob", SYM, SELL, 10, 9_500, 10, ts, TAKER, 10 * X + 1),
        Fill(9, "carol", SYM, BUY, 10, 9_500, 0, ts, MAKER, 10 * X + 1),
        BookExecute(SYM, 9, 10, 9_500, 10 * X + 1),
        Expired(10, "bob", 10, ExpireReason.MARKET),
    ]
    assert sim.shares("bob") == (SHARES0 - 20, 0)
    assert sim.cash("bob") == (CASH0 + 195_000, 0)


def test_market_buy_holds_cash_at_the_band_top() -> None:
    sim = Sim(funded=False)
    sim.send(Deposit, "dan", CASH, 10 * 11_000 - 1)
    reason = RejectReason.INSUFFICIENT_CASH
    assert sim.market("dan", BUY, 10) == [Rejected(3, "dan", "dan-3", 0, reason, TEXT[reason])]
    sim.send(Deposit, "dan", CASH, 1)
    assert sim.market("dan", BUY, 10, FOK) == [
        Accepted(5, 5, "dan", "dan-5"),
        Expired(5, "dan", 10, ExpireReason.FOK),
    ]
    assert sim.cash("dan") == (110_000, 0)


def test_trading_conserves_cash_and_shares() -> None:
    sim = Sim()
    sim.sell("bob", 50, 10_000)
    sim.sell("carol", 50, 9_900)
    sim.buy("alice", 80, 10_100)
    sim.market("carol", SELL, 20)
    sim.buy("bob", 10, 9_800)
    accounts = sim.ex.accounts()
    assert accounts == ["alice", "bob", "carol"]
    assert sum(sim.cash(a).total for a in accounts) == 3 * CASH0
    assert sum(sim.shares(a).total for a in accounts) == 3 * SHARES0
