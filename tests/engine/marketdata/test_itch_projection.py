"""The ITCH projection, message by message: what each engine outcome puts on the feed.

Scenarios run through the golden driver (symbol ABC: tick 10, lot 10, prices 9_000..11_000;
command N has ts N * 1000), so the events are the engine's own.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.domain.types import (
    BookAdd,
    BookExecute,
    Command,
    EndOfDay,
    Event,
    Halt,
    Resume,
    SelfTradePrevention,
    SetSelfTradePrevention,
    Side,
    SymbolAdded,
)
from engine.marketdata.itch_projection import HALT_REASON, ItchProjection, ProjectionError
from engine.protocols.itch import (
    AddOrder,
    ItchMessage,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderReplace,
    StockDirectory,
    StockTradingAction,
    SystemEvent,
)
from tests.engine.golden import FOK, IOC, MARKET, SYM, Sim

LOCATE = 1  # ABC is the first (only) symbol


class Feed(Sim):
    """A golden Sim whose every command's events also go through the projection."""

    def __init__(self, **kw: Any) -> None:
        self.projection = ItchProjection()
        self.log: list[ItchMessage] = []
        self.last: list[ItchMessage] = []
        super().__init__(**kw)

    def send(self, cls: type[Any], *fields: Any) -> list[Event]:
        self.seq += 1
        cmd: Command = cls(self.seq, self.seq * 1000, *fields)
        events = self.ex.submit(cmd)
        self.ex.check_invariants()
        self.last = self.projection.apply(cmd.seq_no, cmd.ts, events)
        self.log += self.last
        return events


@pytest.fixture
def feed() -> Feed:
    return Feed()


def test_the_feed_opens_with_system_events_and_the_stock_directory(feed: Feed) -> None:
    assert feed.log[:5] == [
        SystemEvent(0, 0, 1000, "O"),
        SystemEvent(0, 0, 1000, "S"),
        SystemEvent(0, 0, 1000, "Q"),
        StockDirectory(LOCATE, 0, 1000, SYM, " ", " ", 10, "Y", "C", "Z", "P", " ", " ", " ",
                       " ", 0, "N"),
        StockTradingAction(LOCATE, 0, 1000, SYM, "T", " ", ""),
    ]  # fmt: skip
    assert len(feed.log) == 5  # deposits are not market data


def test_a_resting_order_is_an_add_order_whose_reference_is_its_order_id(feed: Feed) -> None:
    seq = feed.next_seq
    feed.buy("alice", 30, 9_990)
    assert feed.last == [AddOrder(LOCATE, 0, seq * 1000, seq, "B", 30, SYM, 9_990)]
    assert feed.projection.reference_of(seq) == seq


@pytest.mark.parametrize("kwargs", [{"tif": IOC}, {"tif": FOK}, {"tif": IOC, "order_type": MARKET}])
def test_orders_that_never_rest_never_appear(feed: Feed, kwargs: dict[str, Any]) -> None:
    price = 0 if kwargs.get("order_type") is MARKET else 10_000
    feed.order("alice", Side.BUY, 30, price, **kwargs)
    assert feed.last == []


def test_an_execution_names_the_resting_order_and_the_trade(feed: Feed) -> None:
    maker = feed.next_seq
    feed.sell("alice", 50, 10_010)
    taker = feed.next_seq
    events = feed.buy("bob", 20, 10_010, IOC)
    (execute,) = [e for e in events if isinstance(e, BookExecute)]
    assert feed.last == [OrderExecuted(LOCATE, 0, taker * 1000, maker, 20, execute.exec_id)]
    feed.buy("carol", 30, 10_020)  # the rest of it: executed away, no delete
    assert [type(m) for m in feed.last] == [OrderExecuted]
    assert feed.projection.reference_of(maker) is None


def test_a_remainder_that_rests_after_trading_is_added_after_the_executions(feed: Feed) -> None:
    feed.sell("alice", 20, 10_000)
    seq = feed.next_seq
    feed.buy("bob", 50, 10_000)
    assert [type(m) for m in feed.last] == [OrderExecuted, AddOrder]
    assert feed.last[1] == AddOrder(LOCATE, 0, seq * 1000, seq, "B", 30, SYM, 10_000)


def test_cancels_expiries_and_self_trade_cancels_delete_the_order(feed: Feed) -> None:
    a = feed.next_seq
    feed.buy("alice", 10, 9_900)
    feed.cancel("alice", a)
    assert feed.last == [OrderDelete(LOCATE, 0, (a + 1) * 1000, a)]
    b = feed.next_seq
    feed.buy("alice", 10, 9_900)
    feed.send(EndOfDay, SYM)
    assert [(type(m), getattr(m, "order_reference_number", 0)) for m in feed.last] == [
        (OrderDelete, b)
    ]
    feed.send(SetSelfTradePrevention, "alice", SelfTradePrevention.CANCEL_RESTING)
    c = feed.next_seq
    feed.sell("alice", 10, 10_100)
    feed.buy("alice", 10, 10_100, IOC)
    assert [(type(m), getattr(m, "order_reference_number", 0)) for m in feed.last] == [
        (OrderDelete, c)
    ]


def test_a_size_decrease_is_an_order_cancel_that_keeps_the_reference(feed: Feed) -> None:
    a = feed.next_seq
    feed.buy("alice", 50, 9_900)
    feed.replace("alice", a, 30, 9_900)
    assert feed.last == [OrderCancel(LOCATE, 0, (a + 1) * 1000, a, 20)]
    assert feed.projection.reference_of(a) == a


def test_a_replace_that_loses_priority_is_an_order_replace_to_a_new_reference(
    feed: Feed,
) -> None:
    a = feed.next_seq
    feed.buy("alice", 50, 9_900)
    r = feed.next_seq
    feed.replace("alice", a, 60, 9_910)
    assert feed.last == [OrderReplace(LOCATE, 0, r * 1000, a, r, 60, 9_910)]
    assert feed.projection.reference_of(a) == r
    feed.cancel("alice", a)
    assert feed.last == [OrderDelete(LOCATE, 0, (r + 1) * 1000, r)]


def test_a_replace_that_crosses_deletes_trades_and_adds_the_rest_anew(feed: Feed) -> None:
    ask = feed.next_seq
    feed.sell("bob", 20, 10_050)
    bid = feed.next_seq
    feed.buy("alice", 50, 9_900)
    r = feed.next_seq
    feed.replace("alice", bid, 50, 10_050)
    assert [type(m) for m in feed.last] == [OrderDelete, OrderExecuted, AddOrder]
    assert feed.last[0] == OrderDelete(LOCATE, 0, r * 1000, bid)
    assert isinstance(feed.last[1], OrderExecuted) and feed.last[1].order_reference_number == ask
    assert feed.last[2] == AddOrder(LOCATE, 0, r * 1000, r, "B", 30, SYM, 10_050)


def test_a_replace_to_the_filled_qty_deletes_the_order(feed: Feed) -> None:
    feed.sell("bob", 20, 10_050)
    bid = feed.next_seq
    feed.buy("alice", 50, 10_050)  # 20 traded, 30 rest
    feed.replace("alice", bid, 20, 10_050)
    assert [type(m) for m in feed.last] == [OrderDelete]


def test_halts_and_resumes_are_trading_actions(feed: Feed) -> None:
    seq = feed.next_seq
    feed.send(Halt, SYM)
    assert feed.last == [StockTradingAction(LOCATE, 0, seq * 1000, SYM, "H", " ", HALT_REASON)]
    feed.send(Resume, SYM)
    assert feed.last == [StockTradingAction(LOCATE, 0, (seq + 1) * 1000, SYM, "T", " ", "")]


def test_timestamps_are_the_commands_ts_in_nanoseconds_since_midnight() -> None:
    projection = ItchProjection(utc_offset_s=-5 * 3600)
    day = 20_000 * 86_400 * 10**9
    ts = day + (14 * 3600 + 30 * 60) * 10**9 + 7  # 14:30 UTC = 09:30 five hours west
    out = projection.apply(1, ts, [SymbolAdded("X", 1, 1, 100, 100)])
    assert {m.timestamp for m in out} == {(9 * 3600 + 30 * 60) * 10**9 + 7}


def test_an_execution_at_another_price_than_the_orders_is_shown_with_its_price() -> None:
    projection = ItchProjection()
    projection.apply(1, 0, [SymbolAdded("X", 1, 1, 100, 100)])
    projection.apply(2, 0, [BookAdd("X", 2, Side.SELL, 10, 100)])
    (message,) = projection.apply(3, 0, [BookExecute("X", 2, 4, 99, 3_000_000)])
    assert message == OrderExecutedWithPrice(1, 0, 0, 2, 4, 3_000_000, "Y", 99)


@pytest.mark.parametrize(
    "events",
    [
        [BookExecute("X", 99, 1, 100, 1)],  # an order never seen
        [BookAdd("Y", 5, Side.BUY, 1, 100)],  # a symbol never added
        [BookAdd("X", 5, Side.BUY, 1, 2**32)],  # a price Price(4) cannot carry
        [BookAdd("X", 5, Side.BUY, 2**32, 100)],  # shares beyond 4 bytes
        [BookAdd("X", 3, Side.BUY, 1, 100)],  # a second order placed by one command
    ],
)
def test_events_that_cannot_be_published_raise_a_projection_error(events: list[Any]) -> None:
    projection = ItchProjection()
    projection.apply(1, 0, [SymbolAdded("X", 1, 1, 100, 100)])
    projection.apply(2, 0, [BookAdd("X", 2, Side.SELL, 1, 100)])
    with pytest.raises(ProjectionError):
        projection.apply(2, 0, events)
