"""The L2 depth projection against two references: a naive aggregation of a model of the
resting orders (random event streams, property-based), and the engine's own books (the
events of real command streams, compared with ``Exchange.depth`` after every command)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.exchange import Exchange
from engine.domain.types import (
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Event,
    Side,
)
from engine.views.depth import DepthError, DepthProjection, Level
from tests.engine.reporter.journals import mixed

SYMBOLS = ("AAA", "BBB")


def reference_top(
    orders: dict[int, tuple[str, Side, int, int]], symbol: str, n: int
) -> tuple[list[Level], list[Level]]:
    """The best n levels a side, by summing the orders from scratch."""
    sides: dict[Side, dict[int, list[int]]] = {Side.BUY: {}, Side.SELL: {}}
    for sym, side, price, qty in orders.values():
        if sym == symbol:
            level = sides[side].setdefault(price, [0, 0])
            level[0] += qty
            level[1] += 1
    bids = sorted(sides[Side.BUY].items(), reverse=True)[:n]
    asks = sorted(sides[Side.SELL].items())[:n]
    return (
        [Level(p, q, c) for p, (q, c) in bids],
        [Level(p, q, c) for p, (q, c) in asks],
    )


@st.composite
def book_streams(draw: st.DrawFn) -> list[Event]:
    """A valid stream of book events, built against a model of what rests."""
    orders: dict[int, tuple[str, Side, int, int]] = {}
    events: list[Event] = []
    next_id = 1
    for _ in range(draw(st.integers(0, 120))):
        action = draw(st.sampled_from(["add", "add", "execute", "reduce", "delete", "replace"]))
        if action == "add" or not orders:
            symbol = draw(st.sampled_from(SYMBOLS))
            side = draw(st.sampled_from([Side.BUY, Side.SELL]))
            price, qty = draw(st.integers(95, 105)) * 100, draw(st.integers(1, 50)) * 10
            orders[next_id] = (symbol, side, price, qty)
            events.append(BookAdd(symbol, next_id, side, qty, price))
            next_id += 1
            continue
        order_id = draw(st.sampled_from(sorted(orders)))
        symbol, side, price, qty = orders[order_id]
        if action == "execute":
            take = draw(st.integers(1, qty))
            events.append(BookExecute(symbol, order_id, take, price, order_id * 1000))
            if take == qty:
                del orders[order_id]
            else:
                orders[order_id] = (symbol, side, price, qty - take)
        elif action == "reduce" and qty > 1:
            take = draw(st.integers(1, qty - 1))
            events.append(BookReduce(symbol, order_id, take))
            orders[order_id] = (symbol, side, price, qty - take)
        elif action == "replace":
            new_price, new_qty = draw(st.integers(95, 105)) * 100, draw(st.integers(1, 60)) * 10
            events.append(BookReplace(symbol, order_id, side, new_qty, new_price))
            orders[order_id] = (symbol, side, new_price, new_qty)
        else:
            events.append(BookDelete(symbol, order_id))
            del orders[order_id]
    return events


@settings(deadline=None, max_examples=200)
@given(book_streams(), st.integers(1, 12))
def test_the_depth_is_the_sum_of_the_resting_orders_at_every_step(
    events: list[Event], n: int
) -> None:
    depth = DepthProjection()
    model: dict[int, tuple[str, Side, int, int]] = {}
    for event in events:
        depth.apply([event])
        _model_apply(model, event)
        for symbol in SYMBOLS:
            assert depth.top(symbol, n) == reference_top(model, symbol, n)
    depth.check()


def _model_apply(model: dict[int, tuple[str, Side, int, int]], event: Event) -> None:
    match event:
        case BookAdd(symbol, order_id, side, qty, price):
            model[order_id] = (symbol, side, price, qty)
        case BookExecute(_, order_id, qty, _, _) | BookReduce(_, order_id, qty):
            symbol, side, price, left = model[order_id]
            if left == qty:
                del model[order_id]
            else:
                model[order_id] = (symbol, side, price, left - qty)
        case BookDelete(_, order_id):
            del model[order_id]
        case BookReplace(symbol, order_id, side, qty, price):
            model[order_id] = (symbol, side, price, qty)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_depth_of_real_streams_equals_the_engines_books(seed: int) -> None:
    exchange = Exchange(4)
    depth = DepthProjection()
    for cmd in mixed(400, seed=seed):
        depth.apply(exchange.submit(cmd))
        for symbol in exchange.symbols():
            bids, asks = depth.top(symbol, 5)
            assert [tuple(x) for x in bids] == exchange.depth(symbol, Side.BUY, 5)
            assert [tuple(x) for x in asks] == exchange.depth(symbol, Side.SELL, 5)
    depth.check()


@pytest.mark.parametrize(
    "event",
    [
        BookDelete("AAA", 99),
        BookExecute("AAA", 1, 11, 10_000, 5),
        BookReduce("AAA", 1, 10),
        BookReplace("AAA", 99, Side.BUY, 10, 10_000),
    ],
)
def test_an_event_the_depth_cannot_apply_is_an_error(event: Event) -> None:
    depth = DepthProjection()
    depth.apply([BookAdd("AAA", 1, Side.BUY, 10, 10_000)])
    with pytest.raises(DepthError):
        depth.apply([event])


def test_a_symbol_without_orders_has_an_empty_book() -> None:
    depth = DepthProjection()
    depth.add_symbol("AAA")
    assert depth.top("AAA", 10) == ([], [])
    assert depth.top("ZZZ", 10) == ([], [])
