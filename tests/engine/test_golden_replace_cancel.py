"""Golden scenarios: cancel, and the replace priority rules."""

from __future__ import annotations

from engine.domain.reasons import TEXT
from engine.domain.types import (
    CASH,
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Cancelled,
    CancelReason,
    Deposit,
    Fill,
    Liquidity,
    Rejected,
    RejectReason,
    Replaced,
)
from tests.engine.golden import BUY, CASH0, SELL, SHARES0, SYM, Sim

X = 1_000_000


def _rejected(seq: int, account: str, order_id: int, reason: RejectReason) -> Rejected:
    return Rejected(seq, account, "", order_id, reason, TEXT[reason])


def test_cancel_releases_exactly_the_unfilled_reservation() -> None:
    sim = Sim()
    sim.buy("alice", 100, 10_000)  # 8
    sim.sell("bob", 40, 10_000)  # 9 trades with it
    assert sim.cash("alice") == (CASH0 - 400_000, 600_000)
    assert sim.cancel("alice", 8) == [
        Cancelled(8, "alice", 60, CancelReason.USER),
        BookDelete(SYM, 8),
    ]
    assert sim.cash("alice") == (CASH0 - 400_000, 0)
    assert sim.ex.open_order(8) is None


def test_cancel_of_a_sell_releases_its_shares() -> None:
    sim = Sim()
    sim.sell("bob", 70, 10_500)
    sim.cancel("bob", 8)
    assert sim.shares("bob") == (SHARES0, 0)


def test_cancel_of_an_unknown_or_ended_order_is_rejected() -> None:
    sim = Sim()
    assert sim.cancel("alice", 42) == [_rejected(8, "alice", 42, RejectReason.UNKNOWN_ORDER)]
    sim.buy("alice", 10, 10_000)  # 9
    sim.cancel("alice", 9)
    assert sim.cancel("alice", 9) == [_rejected(11, "alice", 9, RejectReason.UNKNOWN_ORDER)]


def test_cancel_of_another_accounts_order_is_rejected() -> None:
    sim = Sim()
    sim.buy("alice", 10, 10_000)
    assert sim.cancel("bob", 8) == [_rejected(9, "bob", 8, RejectReason.NOT_ORDER_OWNER)]
    assert sim.ex.open_order(8) is not None


def test_size_decrease_keeps_time_priority() -> None:
    sim = Sim()
    sim.buy("alice", 100, 10_000)  # 8
    sim.buy("bob", 100, 10_000)  # 9
    assert sim.replace("alice", 8, 50, 10_000) == [
        Replaced(8, "alice", 50, 10_000, 50, True),
        BookReduce(SYM, 8, 50),
    ]
    assert sim.ex.orders_at(SYM, BUY, 10_000) == [8, 9]
    assert sim.cash("alice") == (CASH0, 500_000)
    assert sim.ex.depth(SYM, BUY) == [(10_000, 150, 2)]


def test_size_increase_loses_time_priority() -> None:
    sim = Sim()
    sim.buy("alice", 100, 10_000)  # 8
    sim.buy("bob", 100, 10_000)  # 9
    assert sim.replace("alice", 8, 150, 10_000) == [
        Replaced(8, "alice", 150, 10_000, 150, False),
        BookReplace(SYM, 8, BUY, 150, 10_000),
    ]
    assert sim.ex.orders_at(SYM, BUY, 10_000) == [9, 8]
    assert sim.cash("alice") == (CASH0, 1_500_000)


def test_price_change_loses_time_priority_and_resizes_the_hold() -> None:
    sim = Sim()
    sim.buy("alice", 100, 10_000)  # 8
    sim.buy("bob", 100, 9_990)  # 9
    assert sim.replace("alice", 8, 100, 9_990) == [
        Replaced(8, "alice", 100, 9_990, 100, False),
        BookReplace(SYM, 8, BUY, 100, 9_990),
    ]
    assert sim.ex.orders_at(SYM, BUY, 9_990) == [9, 8]
    assert sim.ex.orders_at(SYM, BUY, 10_000) == []
    assert sim.cash("alice") == (CASH0, 999_000)


def test_replace_qty_is_the_new_total_including_the_filled_part() -> None:
    sim = Sim()
    sim.buy("alice", 100, 10_000)  # 8
    sim.sell("bob", 60, 10_000)  # 9: alice filled 60, leaves 40
    assert sim.replace("alice", 8, 80, 10_000) == [
        Replaced(8, "alice", 80, 10_000, 20, True),
        BookReduce(SYM, 8, 20),
    ]
    assert sim.cash("alice") == (CASH0 - 600_000, 200_000)


def test_replace_to_at_or_below_the_filled_qty_cancels_the_order() -> None:
    sim = Sim()
    sim.buy("alice", 100, 10_000)  # 8
    sim.sell("bob", 60, 10_000)  # 9
    assert sim.replace("alice", 8, 60, 10_100) == [
        Cancelled(8, "alice", 40, CancelReason.REPLACED_AWAY),
        BookDelete(SYM, 8),
    ]
    assert sim.cash("alice") == (CASH0 - 600_000, 0)


def test_replaced_order_that_now_crosses_trades_as_an_incoming_order() -> None:
    sim = Sim()
    sim.sell("bob", 50, 10_100)  # 8
    sim.buy("alice", 100, 10_000)  # 9
    ts = sim.ts(10)
    assert sim.replace("alice", 9, 100, 10_100) == [
        Replaced(9, "alice", 100, 10_100, 100, False),
        BookDelete(SYM, 9),
        Fill(9, "alice", SYM, BUY, 50, 10_100, 50, ts, Liquidity.TAKER, 10 * X),
        Fill(8, "bob", SYM, SELL, 50, 10_100, 0, ts, Liquidity.MAKER, 10 * X),
        BookExecute(SYM, 8, 50, 10_100, 10 * X),
        BookAdd(SYM, 9, BUY, 50, 10_100),
    ]
    assert sim.cash("alice") == (CASH0 - 505_000, 505_000)
    view = sim.ex.open_order(9)
    assert view is not None
    assert (view.qty, view.filled, view.leaves, view.price) == (100, 50, 50, 10_100)


def test_replace_needing_more_cash_than_is_free_is_rejected() -> None:
    sim = Sim(funded=False)
    sim.send(Deposit, "dan", CASH, 1_000_000)  # 2
    sim.buy("dan", 100, 10_000)  # 3: holds everything
    assert sim.replace("dan", 3, 100, 10_010) == [
        _rejected(4, "dan", 3, RejectReason.INSUFFICIENT_CASH)
    ]
    assert sim.replace("dan", 3, 90, 10_010) == [
        Replaced(3, "dan", 90, 10_010, 90, False),
        BookReplace(SYM, 3, BUY, 90, 10_010),
    ]
    assert sim.cash("dan") == (1_000_000, 900_900)


def test_replace_is_checked_like_a_new_order() -> None:
    sim = Sim()
    sim.sell("bob", 10, 10_500)  # 8
    assert sim.replace("alice", 8, 10, 10_500) == [
        _rejected(9, "alice", 8, RejectReason.NOT_ORDER_OWNER)
    ]
    assert sim.replace("bob", 8, 15, 10_500) == [_rejected(10, "bob", 8, RejectReason.INVALID_QTY)]
    assert sim.replace("bob", 8, 10, 10_505) == [
        _rejected(11, "bob", 8, RejectReason.PRICE_OFF_TICK)
    ]
    assert sim.replace("bob", 8, 10, 11_010) == [
        _rejected(12, "bob", 8, RejectReason.PRICE_OUTSIDE_BAND)
    ]
    assert sim.replace("bob", 8, 10, 0) == [_rejected(13, "bob", 8, RejectReason.INVALID_PRICE)]
    assert sim.replace("bob", 8, 2_000, 10_500) == [
        _rejected(14, "bob", 8, RejectReason.INSUFFICIENT_SHARES)
    ]
    assert sim.replace("bob", 99, 10, 10_500) == [
        _rejected(15, "bob", 99, RejectReason.UNKNOWN_ORDER)
    ]
