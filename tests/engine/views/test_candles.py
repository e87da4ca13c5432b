"""OHLCV candles and the tape against reference models: group every trade by bucket and fold
each group in stream order, keep the newest buckets; keep the newest trades."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import Fill, Liquidity, Side
from engine.views.candles import INTERVALS, Candles, CandleSeries, bucket_start
from engine.views.tape import Tape, Trade, trade_of

T0 = 1_796_653_800_000_000_000  # 2026-12-07 14:30:00 UTC
NS = 1_000_000_000

#: (ts, price, qty): mostly rising ts, sometimes a step back (the projection must not rely on
#: the order)
trades_st = st.lists(
    st.tuples(st.integers(-5 * NS, 40 * NS), st.integers(90, 110), st.integers(1, 9)),
    max_size=150,
)


def reference(
    trades: list[tuple[int, int, int]], width: int, size: int
) -> list[tuple[int, int, int, int, int, int, int, int]]:
    buckets: dict[int, list[tuple[int, int]]] = {}
    for ts, price, qty in trades:
        buckets.setdefault(bucket_start(ts, width), []).append((price, qty))
    out = []
    for start in sorted(buckets)[-size:]:
        group = buckets[start]
        prices = [p for p, _ in group]
        out.append(
            (
                start, group[0][0], max(prices), min(prices), group[-1][0],
                sum(q for _, q in group), sum(p * q for p, q in group), len(group),
            )
        )  # fmt: skip
    return out


@settings(deadline=None, max_examples=300)
@given(trades_st, st.sampled_from([NS, 5 * NS, 60 * NS]), st.integers(1, 12))
def test_a_series_equals_the_reference_fold_of_its_trades(
    trades: list[tuple[int, int, int]], width: int, size: int
) -> None:
    series = CandleSeries(width, size)
    drift = T0
    stream = []
    for offset, price, qty in trades:
        drift += NS // 3  # time moves on; offsets make some trades late
        stream.append((drift + offset, price * 100, qty))
    for ts, price, qty in stream:
        series.add(ts, price, qty)
    held = [c.as_tuple() for c in series.candles]
    assert held == reference(stream, width, size)
    assert [c.start for c in series.candles] == sorted({c.start for c in series.candles})


def test_buckets_align_to_utc_seconds_minutes_and_hours() -> None:
    ts = T0 + 3_725 * NS + 123  # 15:32:05.000000123
    starts = {name: bucket_start(ts, width) for name, width in INTERVALS.items()}
    assert starts == {
        "1s": T0 + 3_725 * NS,
        "1m": T0 + 3_720 * NS,
        "5m": T0 + 3_600 * NS,
        "1h": T0 + 1_800 * NS,  # 15:00: T0 is 14:30
    }


def test_a_full_series_drops_its_oldest_candle_and_counts_trades_too_late_for_it() -> None:
    series = CandleSeries(NS, 2)
    for second in (0, 1, 2):
        series.add(T0 + second * NS, 100, 1)
    assert [c.start for c in series.candles] == [T0 + NS, T0 + 2 * NS]
    series.add(T0, 100, 1)  # older than every candle held
    assert series.late == 1
    assert series.last(5) == list(series.candles)
    assert series.last(1)[0].start == T0 + 2 * NS


def _fill(exec_id: int, liquidity: Liquidity, side: Side = Side.BUY) -> Fill:
    return Fill(1, "acc", "AAA", side, 10, 10_000, 0, T0, liquidity, exec_id)


def test_a_trade_is_the_takers_fill_and_the_makers_is_not_another() -> None:
    assert trade_of(7, _fill(7_000_000, Liquidity.MAKER, Side.SELL)) is None
    trade = trade_of(7, _fill(7_000_000, Liquidity.TAKER, Side.BUY))
    assert trade == Trade(7_000_000, 7, T0, "AAA", Side.BUY, 10_000, 10)


@given(st.lists(st.sampled_from(["AAA", "BBB"]), max_size=60), st.integers(1, 10))
def test_the_tape_keeps_the_newest_trades_of_each_symbol(symbols: list[str], size: int) -> None:
    tape = Tape(size)
    trades = [Trade(i + 1, i + 1, T0 + i, s, Side.BUY, 100, 1) for i, s in enumerate(symbols)]
    for trade in trades:
        tape.add(trade)
    for symbol in ("AAA", "BBB"):
        mine = [t for t in trades if t.symbol == symbol]
        assert tape.last(symbol, 100) == mine[::-1][:size]
        assert tape.last(symbol, 2) == mine[::-1][: min(2, size)]
        held = mine[-size:]
        cut = held[len(held) // 2].exec_id if held else 0
        assert tape.since(symbol, cut) == [t for t in held if t.exec_id > cut]


@settings(deadline=None, max_examples=200)
@given(trades_st, st.integers(1, 8))
def test_every_interval_of_a_symbol_equals_the_reference(
    trades: list[tuple[int, int, int]], size: int
) -> None:
    candles = Candles(size)
    stream = [
        (T0 + i * NS // 3 + offset * 40, price * 100, qty)
        for i, (offset, price, qty) in enumerate(trades)
    ]
    for ts, price, qty in stream:
        candles.add("AAA", ts, price, qty)
    for name, width in INTERVALS.items():
        held = [c.as_tuple() for c in candles.last("AAA", name, size)]
        assert held == reference(stream, width, size), name
