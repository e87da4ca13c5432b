"""The JSON bodies of the views' HTTP API, built from a :class:`MarketView` (pure functions).

Units, in every body (docs/views.md; ``static/openapi.json`` describes each shape):

* a price is given twice: ``price`` (an integer of engine *price units*, 1/10,000 of the
  currency unit, exactly as the engine and the journal hold it) and ``price_str`` (the same
  amount as a decimal string with 4 decimals, e.g. ``"100.2500"``). Never a float.
  Candles give ``open``/``high``/``low``/``close`` the same way (``open_str`` ...);
* ``notional`` is cash units (price units x shares), an integer;
* quantities (``qty``, ``volume``) are shares; ``ts`` and candle ``start`` are integer
  nanoseconds since the Unix epoch (the gateway's stamp of the causing command), with
  ``time`` an ISO 8601 UTC rendering of the same instant for people;
* ``seq_no`` is the last command the view has applied: two bodies with the same ``seq_no``
  show the same state.

Errors are ``{"error": {"code": ..., "message": ...}}`` (plus fields that help, such as
``allowed``), with the status the code implies (:class:`ViewsError`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from engine.domain.types import PRICE_UNITS_PER_CURRENCY_UNIT, Side
from engine.views.candles import INTERVALS, Candle
from engine.views.depth import Level
from engine.views.projection import MarketView
from engine.views.tape import Trade

__all__ = [
    "DEFAULT_CANDLES",
    "DEFAULT_DEPTH",
    "DEFAULT_TRADES",
    "MAX_CANDLES",
    "MAX_DEPTH",
    "MAX_TRADES",
    "ViewsError",
    "book_body",
    "candles_body",
    "price_str",
    "symbols_body",
    "trades_body",
]

DEFAULT_DEPTH: Final = 10
MAX_DEPTH: Final = 100
DEFAULT_TRADES: Final = 50
MAX_TRADES: Final = 500
DEFAULT_CANDLES: Final = 120
MAX_CANDLES: Final = 600
_DECIMALS: Final = len(str(PRICE_UNITS_PER_CURRENCY_UNIT)) - 1
_SIDE: Final[dict[int, str]] = {Side.BUY: "buy", Side.SELL: "sell"}
#: what every price-bearing body says of its units
UNITS: Final = {"price_scale": PRICE_UNITS_PER_CURRENCY_UNIT, "price_decimals": _DECIMALS}


class ViewsError(Exception):
    """A request the views cannot answer; ``status`` is the HTTP status, ``body()`` the JSON."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": str(self), **self.extra}}


def price_str(price: int) -> str:
    """An integer of price units as an exact decimal string: 1002500 -> ``"100.2500"``."""
    sign = "-" if price < 0 else ""
    whole, frac = divmod(abs(price), PRICE_UNITS_PER_CURRENCY_UNIT)
    return f"{sign}{whole}.{frac:0{_DECIMALS}d}"


def iso_time(ts: int) -> str:
    """ns since the epoch -> ``2026-12-06T09:30:00.123Z`` (milliseconds, UTC)."""
    seconds, ns = divmod(ts, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ns // 1_000_000:03d}Z"


def known_symbol(view: MarketView, symbol: str) -> None:
    if symbol not in view.symbols:
        raise ViewsError(
            404, "unknown_symbol", f"no symbol {symbol!r}", symbols=sorted(view.symbols)
        )


def bounded(text: str | None, name: str, default: int, maximum: int) -> int:
    """A query parameter that must be an integer in 1..maximum (``default`` when absent)."""
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise ViewsError(
            400, f"bad_{name}", f"{name} must be an integer from 1 to {maximum}, not {text!r}",
            minimum=1, maximum=maximum,
        )  # fmt: skip
    return value


def interval_of(text: str | None) -> str:
    interval = "1m" if text is None else text
    if interval not in INTERVALS:
        raise ViewsError(
            400, "bad_interval", f"interval must be one of {', '.join(INTERVALS)}, not {text!r}",
            allowed=list(INTERVALS),
        )  # fmt: skip
    return interval


def _level(level: Level) -> dict[str, Any]:
    return {
        "price": level.price, "price_str": price_str(level.price), "qty": level.qty,
        "orders": level.orders,
    }  # fmt: skip


def _trade(trade: Trade) -> dict[str, Any]:
    return {
        "exec_id": trade.exec_id, "seq_no": trade.seq_no, "ts": trade.ts,
        "time": iso_time(trade.ts), "side": _SIDE[trade.side], "price": trade.price,
        "price_str": price_str(trade.price), "qty": trade.qty,
    }  # fmt: skip


def _candle(c: Candle) -> dict[str, Any]:
    out: dict[str, Any] = {"start": c.start, "time": iso_time(c.start)}
    for name, value in (("open", c.open), ("high", c.high), ("low", c.low), ("close", c.close)):
        out[name] = value
        out[f"{name}_str"] = price_str(value)
    out.update(volume=c.volume, notional=c.notional, trades=c.trades)
    return out


def symbols_body(view: MarketView) -> dict[str, Any]:
    symbols = [
        {
            "symbol": s.symbol, "tick_size": s.tick_size, "tick_size_str": price_str(s.tick_size),
            "lot_size": s.lot_size, "halted": s.halted,
        }
        for s in sorted(view.symbols.values())
    ]  # fmt: skip
    return {"seq_no": view.through_seq, **UNITS, "symbols": symbols}


def book_body(view: MarketView, symbol: str, depth: int) -> dict[str, Any]:
    known_symbol(view, symbol)
    bids, asks = view.depth.top(symbol, depth)
    bid_levels, ask_levels = view.depth.level_counts(symbol)
    last = view.tape.last(symbol, 1)
    return {
        "symbol": symbol,
        "seq_no": view.through_seq,
        "version": view.version(symbol),
        **UNITS,
        "halted": view.symbols[symbol].halted,
        "depth": depth,
        "bids": [_level(x) for x in bids],
        "asks": [_level(x) for x in asks],
        "bid_levels": bid_levels,
        "ask_levels": ask_levels,
        "last_trade": _trade(last[0]) if last else None,
    }


def trades_body(view: MarketView, symbol: str, limit: int) -> dict[str, Any]:
    known_symbol(view, symbol)
    return {
        "symbol": symbol,
        "seq_no": view.through_seq,
        **UNITS,
        "trades": [_trade(t) for t in view.last_trades(symbol, limit)],
    }


def trades_since(view: MarketView, symbol: str, exec_id: int) -> list[dict[str, Any]]:
    """The trades after ``exec_id`` the tape still holds, oldest first (live updates)."""
    return [_trade(t) for t in view.tape.since(symbol, exec_id)]


def candles_body(view: MarketView, symbol: str, interval: str, limit: int) -> dict[str, Any]:
    known_symbol(view, symbol)
    return {
        "symbol": symbol,
        "seq_no": view.through_seq,
        **UNITS,
        "interval": interval,
        "width_ns": INTERVALS[interval],
        "candles": [_candle(c) for c in view.last_candles(symbol, interval, limit)],
    }
