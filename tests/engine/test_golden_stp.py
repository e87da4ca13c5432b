"""Golden scenarios: self-trade prevention per firm (alice and bob are both firm F)."""

from __future__ import annotations

from engine.domain.types import (
    Accepted,
    BookAdd,
    BookDelete,
    BookExecute,
    Cancelled,
    CancelReason,
    Expired,
    ExpireReason,
    Fill,
    Liquidity,
    SelfTradePrevention,
    SetSelfTradePrevention,
    StpSet,
)
from tests.engine.golden import BUY, CASH0, FOK, SELL, SHARES0, SYM, Sim

X = 1_000_000
STP = CancelReason.SELF_TRADE


def _sim(mode: SelfTradePrevention | None) -> Sim:
    sim = Sim()
    if mode is not None:
        assert sim.send(SetSelfTradePrevention, "F", mode) == [StpSet("F", mode)]
    return sim


def test_default_mode_cancels_the_resting_order_and_keeps_matching() -> None:
    sim = _sim(None)
    sim.sell("bob", 10, 10_000, firm="F")  # 8
    sim.sell("carol", 10, 10_000)  # 9
    ts = sim.ts(10)
    assert sim.buy("alice", 20, 10_000, firm="F") == [
        Accepted(10, 10, "alice", "alice-10"),
        Cancelled(8, "bob", 10, STP),
        BookDelete(SYM, 8),
        Fill(10, "alice", SYM, BUY, 10, 10_000, 10, ts, Liquidity.TAKER, 10 * X),
        Fill(9, "carol", SYM, SELL, 10, 10_000, 0, ts, Liquidity.MAKER, 10 * X),
        BookExecute(SYM, 9, 10, 10_000, 10 * X),
        BookAdd(SYM, 10, BUY, 10, 10_000),
    ]
    assert sim.shares("bob") == (SHARES0, 0)


def test_cancel_incoming_cancels_the_incoming_order_after_what_it_traded() -> None:
    sim = _sim(SelfTradePrevention.CANCEL_INCOMING)  # 8
    sim.sell("carol", 10, 9_990)  # 9
    sim.sell("bob", 10, 10_000, firm="F")  # 10
    ts = sim.ts(11)
    assert sim.buy("alice", 30, 10_000, firm="F") == [
        Accepted(11, 11, "alice", "alice-11"),
        Fill(11, "alice", SYM, BUY, 10, 9_990, 20, ts, Liquidity.TAKER, 11 * X),
        Fill(9, "carol", SYM, SELL, 10, 9_990, 0, ts, Liquidity.MAKER, 11 * X),
        BookExecute(SYM, 9, 10, 9_990, 11 * X),
        Cancelled(11, "alice", 20, STP),
    ]
    assert sim.ex.orders_at(SYM, SELL, 10_000) == [10]
    assert sim.cash("alice") == (CASH0 - 99_900, 0)


def test_cancel_both_cancels_resting_then_incoming() -> None:
    sim = _sim(SelfTradePrevention.CANCEL_BOTH)  # 8
    sim.sell("bob", 10, 10_000, firm="F")  # 9
    assert sim.buy("alice", 20, 10_000, firm="F") == [
        Accepted(10, 10, "alice", "alice-10"),
        Cancelled(9, "bob", 10, STP),
        BookDelete(SYM, 9),
        Cancelled(10, "alice", 20, STP),
    ]
    assert sim.ex.depth(SYM, SELL) == []
    assert sim.cash("alice") == (CASH0, 0)
    assert sim.shares("bob") == (SHARES0, 0)


def test_the_incoming_firms_mode_applies() -> None:
    sim = _sim(SelfTradePrevention.CANCEL_INCOMING)  # 8: firm F
    sim.sell("carol", 10, 10_000, firm="G")  # 9
    # G keeps the default (cancel resting) although F, the resting firm, says otherwise.
    events = sim.buy("bob", 10, 10_000, firm="G")
    assert events[1:] == [
        Cancelled(9, "carol", 10, STP),
        BookDelete(SYM, 9),
        BookAdd(SYM, 10, BUY, 10, 10_000),
    ]


def test_fok_fill_check_skips_own_orders_when_they_would_be_cancelled() -> None:
    sim = _sim(None)
    sim.sell("bob", 10, 10_000, firm="F")  # 8
    sim.sell("carol", 10, 10_000)  # 9
    events = sim.buy("alice", 10, 10_000, FOK, firm="F")
    assert [type(e).__name__ for e in events] == [
        "Accepted",
        "Cancelled",
        "BookDelete",
        "Fill",
        "Fill",
        "BookExecute",
    ]


def test_fok_fill_check_stops_at_own_order_when_the_incoming_would_be_cancelled() -> None:
    sim = _sim(SelfTradePrevention.CANCEL_INCOMING)  # 8
    sim.sell("bob", 10, 10_000, firm="F")  # 9
    sim.sell("carol", 10, 10_000)  # 10
    assert sim.buy("alice", 10, 10_000, FOK, firm="F") == [
        Accepted(11, 11, "alice", "alice-11"),
        Expired(11, "alice", 10, ExpireReason.FOK),
    ]
    assert sim.ex.orders_at(SYM, SELL, 10_000) == [9, 10]
