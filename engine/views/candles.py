"""OHLCV candlesticks per symbol at 1 s, 1 min, 5 min and 1 h, built from the trades.

Contract. A trade with ts ``t`` (ns since the Unix epoch, the causing command's ts from the
sequenced input: never a clock) falls in the bucket that starts at ``t - t % width`` for each
interval's ``width`` (buckets align to UTC seconds, minutes and hours). A candle holds open
(its first trade's price in stream order), high, low, close (its last trade's), volume
(shares), notional (price x shares, in cash units) and its trade count. Buckets without a
trade have no candle (a chart shows a gap).

:class:`CandleSeries` keeps at most ``size`` candles, oldest first; when a new bucket would
exceed that, the oldest goes. Trades normally arrive with non-decreasing ts (the gateway
never stamps one below the last journaled ts), but the projection does not rely on it: a
trade for an older bucket that is still held updates it (a missing one is inserted in order);
one older than every held candle of a full series is counted in ``late`` and dropped. The
result equals, for any order of trades, the reference: group every trade by bucket, fold each
group in stream order, keep the ``size`` newest buckets (tests compare them).

Pure and deterministic: integers only.
"""

from __future__ import annotations

import bisect
from collections import deque
from typing import Final

__all__ = [
    "DEFAULT_CANDLES",
    "INTERVALS",
    "Candle",
    "CandleSeries",
    "Candles",
    "bucket_start",
]

_NS: Final = 1_000_000_000
#: Interval name -> width in nanoseconds (the names the HTTP API accepts).
INTERVALS: Final[dict[str, int]] = {
    "1s": _NS,
    "1m": 60 * _NS,
    "5m": 300 * _NS,
    "1h": 3600 * _NS,
}
#: Candles kept per symbol and interval: 10 min of seconds, 12 h of minutes, 2.5 days of
#: 5 minutes, 25 days of hours.
DEFAULT_CANDLES: Final = 600


def bucket_start(ts: int, width: int) -> int:
    return ts - ts % width


class Candle:
    """One bucket's OHLCV (mutable while its bucket is open)."""

    __slots__ = ("close", "high", "low", "notional", "open", "start", "trades", "volume")

    def __init__(self, start: int, price: int, qty: int) -> None:
        self.start = start
        self.open = self.high = self.low = self.close = price
        self.volume = qty
        self.notional = price * qty
        self.trades = 1

    def add(self, price: int, qty: int) -> None:
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price
        self.volume += qty
        self.notional += price * qty
        self.trades += 1

    def as_tuple(self) -> tuple[int, int, int, int, int, int, int, int]:
        return (
            self.start, self.open, self.high, self.low, self.close, self.volume,
            self.notional, self.trades,
        )  # fmt: skip

    @classmethod
    def from_tuple(cls, values: list[int] | tuple[int, ...]) -> Candle:
        start, open_, high, low, close, volume, notional, trades = values
        candle = cls(start, open_, 0)
        candle.high, candle.low, candle.close = high, low, close
        candle.volume, candle.notional, candle.trades = volume, notional, trades
        return candle

    def __repr__(self) -> str:
        return f"Candle{self.as_tuple()}"


class CandleSeries:
    """The candles of one symbol at one interval, oldest first, at most ``size``."""

    __slots__ = ("candles", "late", "size", "width")

    def __init__(self, width: int, size: int = DEFAULT_CANDLES) -> None:
        if width < 1 or size < 1:
            raise ValueError(f"a series needs a positive width and size, not {width}, {size}")
        self.width = width
        self.size = size
        self.candles: deque[Candle] = deque()
        #: trades dropped because their bucket is older than every candle of a full series
        self.late = 0

    def add(self, ts: int, price: int, qty: int) -> None:
        start = ts - ts % self.width
        candles = self.candles
        if candles:
            last = candles[-1]
            if start == last.start:  # the usual case: the open bucket
                last.add(price, qty)
                return
            if start < last.start:
                self._add_late(start, price, qty)
                return
        candles.append(Candle(start, price, qty))
        if len(candles) > self.size:
            candles.popleft()

    def _add_late(self, start: int, price: int, qty: int) -> None:
        candles = self.candles
        starts = [c.start for c in candles]
        i = bisect.bisect_left(starts, start)
        if i < len(starts) and starts[i] == start:
            candles[i].add(price, qty)
        elif i == 0 and len(candles) >= self.size:
            self.late += 1
        else:
            candles.insert(i, Candle(start, price, qty))
            if len(candles) > self.size:
                candles.popleft()

    def last(self, n: int) -> list[Candle]:
        """The ``n`` newest candles, oldest first."""
        if n <= 0:
            return []
        count = len(self.candles)
        return [self.candles[i] for i in range(max(0, count - n), count)]


class Candles:
    """Every symbol's series at every interval of :data:`INTERVALS`."""

    def __init__(self, size: int = DEFAULT_CANDLES) -> None:
        self.size = size
        #: symbol -> interval name -> series
        self.series: dict[str, dict[str, CandleSeries]] = {}
        #: symbol -> its series, finest first (the trade path)
        self._all: dict[str, list[CandleSeries]] = {}

    def of(self, symbol: str) -> dict[str, CandleSeries]:
        by_interval = self.series.get(symbol)
        if by_interval is None:
            by_interval = self.series[symbol] = {
                name: CandleSeries(width, self.size) for name, width in INTERVALS.items()
            }
            self._all[symbol] = list(by_interval.values())
        return by_interval

    def add(self, symbol: str, ts: int, price: int, qty: int) -> None:
        every = self._all.get(symbol)
        if every is None:
            self.of(symbol)
            every = self._all[symbol]
        first = every[0].candles
        if first and first[-1].start == ts - ts % every[0].width:
            # the finest bucket is open, so is every coarser one (they nest): the usual case
            for series in every:
                series.candles[-1].add(price, qty)
            return
        for series in every:
            series.add(ts, price, qty)

    def last(self, symbol: str, interval: str, n: int) -> list[Candle]:
        by_interval = self.series.get(symbol)
        if by_interval is None:
            return []
        return by_interval[interval].last(n)
