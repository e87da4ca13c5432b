"""The market view fed the engine's own events: its trades are the taker fills, its candles
their fold, its history survives a JSON round trip, and a stretch fed twice counts once."""

from __future__ import annotations

from engine.domain.exchange import Exchange
from engine.domain.types import Fill, Liquidity
from engine.views.candles import INTERVALS, bucket_start
from engine.views.projection import MarketView
from tests.engine.views.streams import fed, shown, stream


def test_the_trades_are_the_taker_fills_of_the_stream_in_order() -> None:
    commands = stream(500)
    exchange = Exchange(4)
    takers: list[tuple[int, str, int, int]] = []
    makers: set[int] = set()
    view = MarketView(tape_size=10_000)
    for cmd in commands:
        events = exchange.submit(cmd)
        view.apply(cmd.seq_no, events)
        for e in events:
            if isinstance(e, Fill):
                if e.liquidity == Liquidity.TAKER:
                    takers.append((e.exec_id, e.symbol, e.fill_price, e.fill_qty))
                else:
                    makers.add(e.exec_id)
    assert takers, "the stream must trade"
    assert {t[0] for t in takers} == makers  # one maker fill for every trade
    assert view.trade_count == len(takers)
    for symbol in view.symbols:
        tape = view.last_trades(symbol, 10_000)[::-1]
        assert [(t.exec_id, t.symbol, t.price, t.qty) for t in tape] == [
            t for t in takers if t[1] == symbol
        ]


def test_every_candle_folds_the_trades_of_its_bucket() -> None:
    view = fed(stream(500))
    for symbol in view.symbols:
        trades = view.last_trades(symbol, 10_000)[::-1]
        for interval, width in INTERVALS.items():
            for candle in view.last_candles(symbol, interval, 10_000):
                mine = [t for t in trades if bucket_start(t.ts, width) == candle.start]
                assert candle.open == mine[0].price and candle.close == mine[-1].price
                assert candle.high == max(t.price for t in mine)
                assert candle.low == min(t.price for t in mine)
                assert candle.volume == sum(t.qty for t in mine)
                assert candle.trades == len(mine)
    minutes = {c.start for s in view.symbols for c in view.last_candles(s, "1m", 100)}
    assert len(minutes) > 2, "the stream spans several minutes"


def test_the_history_round_trips_through_its_json() -> None:
    view = fed(stream(400))
    again = MarketView.restore_history(view.history_bytes())
    assert again.history_bytes() == view.history_bytes()
    before, after = shown(view), shown(again)
    del before["depth"], after["depth"]  # the history holds no resting order
    assert after == before


def test_a_stretch_fed_twice_counts_its_trades_once() -> None:
    commands = stream(400)
    once = fed(commands)
    history = fed(commands[:250])
    # a restart from the history at 250 replays from seq 1: the first 250 again
    twice = fed(commands, view=MarketView.restore_history(history.history_bytes()))
    assert shown(twice)["tape"] == shown(once)["tape"]
    assert shown(twice)["candles"] == shown(once)["candles"]
    assert twice.trade_count == once.trade_count


def test_versions_move_only_for_the_symbols_that_changed() -> None:
    commands = stream(300)
    view = fed(commands[:-1])
    before = dict(view.versions)
    exchange = Exchange(4)
    for cmd in commands[:-1]:
        exchange.submit(cmd)
    changed = view.apply(commands[-1].seq_no, exchange.submit(commands[-1]))
    for symbol, version in view.versions.items():
        assert (version != before.get(symbol, 0)) == (symbol in changed)
