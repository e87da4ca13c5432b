"""Golden scenarios: symbols, halts, end of day, wallets, risk limits and every reject reason."""

from __future__ import annotations

import pytest

from engine.domain.reasons import TEXT
from engine.domain.types import (
    CASH,
    Accepted,
    AddSymbol,
    BalanceChanged,
    BookAdd,
    BookDelete,
    DayEnded,
    Deposit,
    EndOfDay,
    Expired,
    ExpireReason,
    Halt,
    LimitsSet,
    Rejected,
    RejectReason,
    Resume,
    SetRiskLimits,
    SymbolAdded,
    TradingStatus,
    Withdraw,
)
from tests.engine.golden import BUY, CASH0, DAY, FOK, GTC, IOC, MARKET, SELL, SHARES0, SYM, Sim

R = RejectReason


def _rej(seq: int, reason: R, account: str = "", clid: str = "", oid: int = 0) -> Rejected:
    return Rejected(seq, account, clid, oid, reason, TEXT[reason])


def test_add_symbol_is_answered_by_symbol_added() -> None:
    sim = Sim(funded=False)
    assert sim.send(AddSymbol, "XYZ", 1, 100, 500, 200) == [SymbolAdded("XYZ", 1, 100, 500, 200)]
    assert sim.ex.symbols() == [SYM, "XYZ"]


@pytest.mark.parametrize(
    "spec",
    [(0, 10, 100, 10), (1, 0, 100, 10), (1, 10, 0, 10), (1, 10, 100, 0), (1, 10, 100, -5)],
)
def test_add_symbol_with_a_non_positive_number_is_rejected(spec: tuple[int, ...]) -> None:
    sim = Sim(funded=False)
    assert sim.send(AddSymbol, "XYZ", *spec) == [_rej(2, R.INVALID_SYMBOL_SPEC)]
    assert sim.ex.symbols() == [SYM]


def test_add_symbol_twice_or_named_like_cash_is_rejected() -> None:
    sim = Sim(funded=False)
    assert sim.send(AddSymbol, SYM, 1, 1, 1, 1) == [_rej(2, R.DUPLICATE_SYMBOL)]
    assert sim.send(AddSymbol, CASH, 1, 1, 1, 1) == [_rej(3, R.INVALID_SYMBOL_SPEC)]


def test_halt_rejects_new_orders_and_replaces_but_not_cancels_until_resume() -> None:
    sim = Sim()
    sim.buy("alice", 10, 10_000)  # 8
    sim.buy("alice", 10, 9_990)  # 9
    assert sim.send(Halt, SYM) == [TradingStatus(SYM, True)]
    assert sim.buy("bob", 10, 10_000) == [_rej(11, R.SYMBOL_HALTED, "bob", "bob-11")]
    assert sim.replace("alice", 8, 20, 10_000) == [_rej(12, R.SYMBOL_HALTED, "alice", oid=8)]
    assert sim.cancel("alice", 9)[0].order_id == 9
    assert sim.send(Resume, SYM) == [TradingStatus(SYM, False)]
    assert sim.buy("bob", 10, 10_000)[0] == Accepted(15, 15, "bob", "bob-15")


def test_symbol_commands_for_an_unknown_symbol_are_rejected() -> None:
    sim = Sim(funded=False)
    assert sim.send(Halt, "NOPE") == [_rej(2, R.UNKNOWN_SYMBOL)]
    assert sim.send(Resume, "NOPE") == [_rej(3, R.UNKNOWN_SYMBOL)]
    assert sim.send(EndOfDay, "NOPE") == [_rej(4, R.UNKNOWN_SYMBOL)]


def test_end_of_day_expires_day_orders_and_keeps_gtc() -> None:
    sim = Sim()
    sim.buy("alice", 10, 9_990)  # 8
    sim.sell("bob", 20, 10_100, GTC)  # 9
    sim.sell("carol", 30, 10_100)  # 10
    sim.buy("carol", 40, 9_980, GTC)  # 11
    assert sim.send(EndOfDay, SYM) == [
        Expired(8, "alice", 10, ExpireReason.END_OF_DAY),
        BookDelete(SYM, 8),
        Expired(10, "carol", 30, ExpireReason.END_OF_DAY),
        BookDelete(SYM, 10),
        DayEnded(SYM),
    ]
    assert sim.ex.orders_at(SYM, SELL, 10_100) == [9]
    assert sim.ex.orders_at(SYM, BUY, 9_980) == [11]
    assert sim.cash("alice") == (CASH0, 0)
    assert sim.shares("carol") == (SHARES0, 0)
    assert sim.cash("carol") == (CASH0, 40 * 9_980)


def test_deposit_and_withdraw_change_the_total_and_report_it() -> None:
    sim = Sim(funded=False)
    assert sim.send(Deposit, "dan", CASH, 500) == [BalanceChanged("dan", CASH, 500, 500)]
    assert sim.send(Deposit, "dan", SYM, 70) == [BalanceChanged("dan", SYM, 70, 70)]
    assert sim.send(Withdraw, "dan", CASH, 200) == [BalanceChanged("dan", CASH, -200, 300)]
    assert sim.ex.balance("dan", CASH) == (300, 0)
    assert sim.ex.accounts() == ["dan"]


def test_withdraw_can_only_take_what_is_free() -> None:
    sim = Sim()
    sim.buy("alice", 100, 10_000)  # 8: holds 1_000_000
    sim.sell("alice", 900, 10_100)  # 9: holds 900 shares
    assert sim.send(Withdraw, "alice", CASH, CASH0 - 999_999) == [
        _rej(10, R.INSUFFICIENT_CASH, "alice")
    ]
    assert sim.send(Withdraw, "alice", SYM, 101) == [_rej(11, R.INSUFFICIENT_SHARES, "alice")]
    assert sim.send(Withdraw, "alice", SYM, 100) == [BalanceChanged("alice", SYM, -100, 900)]
    assert sim.send(Withdraw, "nobody", CASH, 1) == [_rej(13, R.INSUFFICIENT_CASH, "nobody")]


def test_transfers_of_bad_amounts_or_assets_are_rejected() -> None:
    sim = Sim()
    assert sim.send(Deposit, "alice", CASH, 0) == [_rej(8, R.INVALID_AMOUNT, "alice")]
    assert sim.send(Withdraw, "alice", CASH, -5) == [_rej(9, R.INVALID_AMOUNT, "alice")]
    assert sim.send(Deposit, "alice", "GOLD", 5) == [_rej(10, R.UNKNOWN_ASSET, "alice")]
    assert sim.ex.accounts() == ["alice", "bob", "carol"]


def test_risk_limits_are_enforced_and_zero_means_none() -> None:
    sim = Sim()
    assert sim.send(SetRiskLimits, "alice", 50, 400_000, 2) == [LimitsSet("alice", 50, 400_000, 2)]
    assert sim.buy("alice", 60, 1_000 * 10) == [_rej(9, R.QTY_ABOVE_LIMIT, "alice", "alice-9")]
    assert sim.buy("alice", 50, 9_000) == [_rej(10, R.NOTIONAL_ABOVE_LIMIT, "alice", "alice-10")]
    sim.buy("alice", 10, 9_000)  # 11
    sim.buy("alice", 10, 9_000)  # 12
    assert sim.buy("alice", 10, 9_000) == [_rej(13, R.TOO_MANY_OPEN_ORDERS, "alice", "alice-13")]
    sim.cancel("alice", 11)
    assert sim.buy("alice", 10, 9_000)[-1] == BookAdd(SYM, 15, BUY, 10, 9_000)
    sim.send(SetRiskLimits, "alice", 0, 0, 0)
    assert sim.buy("alice", 500, 10_000)[0] == Accepted(17, 17, "alice", "alice-17")
    assert sim.send(SetRiskLimits, "alice", -1, 0, 0) == [_rej(18, R.INVALID_LIMITS, "alice")]


def test_a_market_order_notional_is_taken_at_the_band_top() -> None:
    sim = Sim()
    sim.send(SetRiskLimits, "bob", 0, 10 * 11_000 - 1, 0)
    assert sim.market("bob", SELL, 10) == [_rej(9, R.NOTIONAL_ABOVE_LIMIT, "bob", "bob-9")]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"symbol": "NOPE"}, R.UNKNOWN_SYMBOL),
        ({"qty": 0}, R.INVALID_QTY),
        ({"qty": -10}, R.INVALID_QTY),
        ({"qty": 15}, R.INVALID_QTY),
        ({"price": 0}, R.INVALID_PRICE),
        ({"price": -10}, R.INVALID_PRICE),
        ({"price": 10_005}, R.PRICE_OFF_TICK),
        ({"price": 11_010}, R.PRICE_OUTSIDE_BAND),
        ({"price": 8_990}, R.PRICE_OUTSIDE_BAND),
        ({"order_type": MARKET, "tif": DAY, "price": 0}, R.INVALID_ORDER),
        ({"order_type": MARKET, "tif": GTC, "price": 0}, R.INVALID_ORDER),
        ({"order_type": MARKET, "tif": IOC, "price": 10_000}, R.INVALID_PRICE),
        ({"order_type": MARKET, "tif": IOC, "price": 0, "post_only": True}, R.INVALID_ORDER),
        ({"tif": IOC, "post_only": True}, R.INVALID_ORDER),
        ({"tif": FOK, "post_only": True}, R.INVALID_ORDER),
        ({"qty": 1_000 * 1_000}, R.INSUFFICIENT_CASH),
        ({"side": SELL, "qty": SHARES0 + 10}, R.INSUFFICIENT_SHARES),
    ],
)
def test_new_order_rejects_change_nothing(kwargs: dict[str, object], reason: R) -> None:
    sim = Sim()
    fields: dict[str, object] = {"side": BUY, "qty": 10, "price": 10_000, "tif": DAY}
    fields.update(kwargs)
    side, qty, price, tif = (fields.pop(k) for k in ("side", "qty", "price", "tif"))
    events = sim.order("alice", side, qty, price, tif, **fields)  # type: ignore[arg-type]
    assert events == [_rej(8, reason, "alice", "alice-8")]
    # Only the sequence counter moved.
    after = sim.ex.snapshot().replace(b'"last_seq":8', b'"last_seq":7')
    assert after == Sim().ex.snapshot()


def test_a_deposit_that_would_take_the_supply_past_int64_is_refused() -> None:
    """Trading conserves supply, so the cap keeps every balance encodable in 64-bit records;
    without it a second huge deposit crashed the host when its event was encoded."""
    from engine.domain.exchange import Exchange
    from engine.domain.types import CASH, Deposit, OpenAccount, Rejected, RejectReason
    from engine.event_records import encode_event

    ex = Exchange()
    ex.submit(OpenAccount(1, 0, "F", "A"))
    ex.submit(OpenAccount(2, 0, "F", "B"))
    first = ex.submit(Deposit(3, 0, "A", CASH, 2**63 - 1))
    encode_event(3, 0, first[0])
    second = ex.submit(Deposit(4, 0, "B", CASH, 1))
    assert isinstance(second[0], Rejected)
    assert second[0].reason == RejectReason.AMOUNT_TOO_LARGE
    assert ex.balance("B", CASH).total == 0
    encode_event(4, 0, second[0])
