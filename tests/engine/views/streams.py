"""Command streams and reference views for the views tests: the demo-like mixed stream with
ts spread over minutes (so candles of every interval have several buckets), a view fed the
engine's events command by command, and what a view shows, as plain data to compare."""

from __future__ import annotations

from typing import Any

from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.views.candles import INTERVALS
from engine.views.projection import MarketView
from tests.engine.reporter.journals import TS0, mixed

#: ts step between two commands: 0.7 s, so 400 commands span about 5 minutes
STEP_NS = 700_000_000


def spread(commands: list[Command], step: int = STEP_NS) -> list[Command]:
    return [c._replace(ts=TS0 + i * step) for i, c in enumerate(commands)]


def stream(n: int, seed: int = 7) -> list[Command]:
    """Setup and ``n`` commands of every kind, numbered from 1, ts spread."""
    return spread(mixed(n, seed))


def fed(commands: list[Command], window: int = 4, view: MarketView | None = None) -> MarketView:
    """A view fed every command's events from seq 1, as a reader of ring[events] is."""
    exchange = Exchange(window)
    view = MarketView() if view is None else view
    for cmd in commands:
        view.apply(cmd.seq_no, exchange.submit(cmd))
        view.through_seq = cmd.seq_no
    return view


def shown(view: MarketView) -> dict[str, Any]:
    """Everything a view shows, as plain data."""
    return {
        "through_seq": view.through_seq,
        "last_exec_id": view.last_exec_id,
        "trade_count": view.trade_count,
        "symbols": sorted(view.symbols.values()),
        "depth": {s: view.depth.top(s, 1000) for s in sorted(view.symbols)},
        "tape": {s: view.last_trades(s, 10_000) for s in sorted(view.symbols)},
        "candles": {
            (s, i): [c.as_tuple() for c in view.last_candles(s, i, 10_000)]
            for s in sorted(view.symbols)
            for i in INTERVALS
        },
    }
