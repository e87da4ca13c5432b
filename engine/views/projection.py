"""The market view: depth, tape and candles of every symbol, fed by the canonical stream.

Contract. :meth:`MarketView.apply` takes (some of) one command's events in ``(seq_no,
sub_seq)`` order with the command's ``seq_no``; a command's events may come in several calls,
as long as the order holds. It keeps:

* the symbols (``SymbolAdded``: tick and lot sizes) and whether each is halted
  (``TradingStatus``);
* the L2 depth (``engine.views.depth``) from the book events;
* the trade history, from the taker fills (``engine.views.tape.trade_of``): the tape and the
  candles (``engine.views.candles``). It is idempotent by ``exec_id``: a trade whose exec id
  is not above the last one applied is skipped, so replaying a stretch of the journal that
  the history already holds (a restart: ``engine.views.rebuild``) never counts a trade
  twice;
* ``versions``: symbol -> the seq_no of the last command that changed anything shown of the
  symbol (the live page follows it; a function of the stream, so a restart shows the same),
  and ``through_seq``: the last command applied *whole*, which only the feeder knows (a poll
  may cut a command's events), so it sets it.

The trade history (symbols, tape, candles, last exec id) has a canonical JSON form
(:meth:`MarketView.history_bytes` / :meth:`MarketView.restore_history`): what a restart
reloads. The depth is not in it: a restart takes the resting orders from the recovered
exchange state (:meth:`MarketView.seed_orders`). Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final, NamedTuple

from engine.domain.types import (
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Event,
    Fill,
    SymbolAdded,
    TradingStatus,
)
from engine.views.candles import DEFAULT_CANDLES, Candle, Candles
from engine.views.depth import DepthProjection, RestingOrder
from engine.views.tape import DEFAULT_TAPE_SIZE, Tape, Trade, trade_of

__all__ = ["HISTORY_VERSION", "VIEW_EVENTS", "MarketView", "SymbolInfo"]

#: The event classes the view reads; every other event (execution reports other than fills,
#: account events) is skipped before decoding where possible.
VIEW_EVENTS: Final = frozenset(
    {BookAdd, BookExecute, BookReduce, BookDelete, BookReplace, Fill, SymbolAdded, TradingStatus}
)
#: The format of :meth:`MarketView.history_bytes`.
HISTORY_VERSION: Final = 1


class SymbolInfo(NamedTuple):
    symbol: str
    tick_size: int
    lot_size: int
    halted: bool


class MarketView:
    """Depth + tape + candles + symbols (see the module contract)."""

    def __init__(self, tape_size: int = DEFAULT_TAPE_SIZE, candles: int = DEFAULT_CANDLES) -> None:
        self.depth = DepthProjection()
        self.tape = Tape(tape_size)
        self.candles = Candles(candles)
        self.symbols: dict[str, SymbolInfo] = {}
        self.versions: dict[str, int] = {}
        self.last_exec_id = 0
        self.through_seq = 0
        self.trade_count = 0

    # -- feeding: one method per event kind (over plain values), and the event adapter -------

    def book_add(
        self, seq_no: int, symbol: str, order_id: int, side: int, qty: int, price: int
    ) -> None:
        self.depth.add(symbol, order_id, side, qty, price)
        self.versions[symbol] = seq_no

    def book_execute(self, seq_no: int, order_id: int, qty: int) -> None:
        self.versions[self.depth.execute(order_id, qty)] = seq_no

    def book_reduce(self, seq_no: int, order_id: int, qty: int) -> None:
        self.versions[self.depth.reduce(order_id, qty)] = seq_no

    def book_delete(self, seq_no: int, order_id: int) -> None:
        self.versions[self.depth.delete(order_id)] = seq_no

    def book_replace(self, seq_no: int, order_id: int, qty: int, price: int) -> None:
        self.versions[self.depth.replace(order_id, qty, price)] = seq_no

    def trade(
        self, seq_no: int, exec_id: int, ts: int, symbol: str, side: int, price: int, qty: int
    ) -> None:
        """A trade (the taker's fill); one the history holds already (by exec id) is skipped."""
        if exec_id <= self.last_exec_id:
            return  # a replayed stretch
        self.last_exec_id = exec_id
        self.tape.add(Trade(exec_id, seq_no, ts, symbol, side, price, qty))
        self.candles.add(symbol, ts, price, qty)
        self.trade_count += 1
        self.versions[symbol] = seq_no

    def symbol_added(self, seq_no: int, symbol: str, tick_size: int, lot_size: int) -> None:
        self.symbols[symbol] = SymbolInfo(symbol, tick_size, lot_size, False)
        self.depth.add_symbol(symbol)
        self.versions[symbol] = seq_no

    def trading_status(self, seq_no: int, symbol: str, halted: bool) -> None:
        info = self.symbols.get(symbol)
        if info is not None:
            self.symbols[symbol] = info._replace(halted=bool(halted))
            self.versions[symbol] = seq_no

    def apply(self, seq_no: int, events: Iterable[Event]) -> set[str]:
        """Apply (some of) command ``seq_no``'s events; returns the symbols that changed."""
        before = dict(self.versions)
        for e in events:
            match e:
                case BookAdd(symbol, order_id, side, qty, price):
                    self.book_add(seq_no, symbol, order_id, side, qty, price)
                case BookExecute(_, order_id, qty, _, _):
                    self.book_execute(seq_no, order_id, qty)
                case BookReduce(_, order_id, qty):
                    self.book_reduce(seq_no, order_id, qty)
                case BookDelete(_, order_id):
                    self.book_delete(seq_no, order_id)
                case BookReplace(_, order_id, _, qty, price):
                    self.book_replace(seq_no, order_id, qty, price)
                case Fill():
                    t = trade_of(seq_no, e)
                    if t is not None:
                        self.trade(seq_no, t.exec_id, t.ts, t.symbol, t.side, t.price, t.qty)
                case SymbolAdded(symbol, tick_size, lot_size, _, _):
                    self.symbol_added(seq_no, symbol, tick_size, lot_size)
                case TradingStatus(symbol, halted):
                    self.trading_status(seq_no, symbol, halted)
        return {s for s, v in self.versions.items() if before.get(s) != v}

    def seed_orders(self, orders: Iterable[tuple[int, RestingOrder]]) -> None:
        """Rest the orders of a recovered state (the depth starts from them)."""
        self.depth.seed(orders)

    def seed_symbol(self, info: SymbolInfo) -> None:
        self.symbols[info.symbol] = info
        self.depth.add_symbol(info.symbol)

    # -- queries ----------------------------------------------------------------------------

    def version(self, symbol: str) -> int:
        return self.versions.get(symbol, 0)

    def last_trades(self, symbol: str, n: int) -> list[Trade]:
        return self.tape.last(symbol, n)

    def last_candles(self, symbol: str, interval: str, n: int) -> list[Candle]:
        return self.candles.last(symbol, interval, n)

    # -- the trade history as canonical JSON --------------------------------------------------

    def history_bytes(self) -> bytes:
        """Symbols, tape, candles and the last exec id, as canonical JSON."""
        state = {
            "version": HISTORY_VERSION,
            "through_seq": self.through_seq,
            "last_exec_id": self.last_exec_id,
            "trade_count": self.trade_count,
            "tape_size": self.tape.size,
            "candle_size": self.candles.size,
            "versions": self.versions,
            "symbols": [list(info) for info in self.symbols.values()],
            "tape": [[t.exec_id, t.seq_no, t.ts, t.symbol, int(t.side), t.price, t.qty]
                     for t in self.tape],
            "candles": {
                symbol: {name: {"late": s.late, "candles": [c.as_tuple() for c in s.candles]}
                         for name, s in by_interval.items()}
                for symbol, by_interval in self.candles.series.items()
            },
        }  # fmt: skip
        return json.dumps(state, separators=(",", ":")).encode()

    @classmethod
    def restore_history(cls, data: bytes) -> MarketView:
        """A view holding the history of :meth:`history_bytes` and no resting order; raises
        ValueError (or KeyError, TypeError) on anything else."""
        state = json.loads(data)
        if state.get("version") != HISTORY_VERSION:
            raise ValueError(f"views history version {state.get('version')!r} is not known")
        view = cls(state["tape_size"], state["candle_size"])
        view.through_seq = int(state["through_seq"])
        view.last_exec_id = int(state["last_exec_id"])
        view.trade_count = int(state["trade_count"])
        view.versions = {str(k): int(v) for k, v in state["versions"].items()}
        for symbol, tick, lot, halted in state["symbols"]:
            view.seed_symbol(SymbolInfo(symbol, tick, lot, bool(halted)))
        for exec_id, seq_no, ts, symbol, side, price, qty in state["tape"]:
            view.tape.add(Trade(exec_id, seq_no, ts, symbol, side, price, qty))
        for symbol, by_interval in state["candles"].items():
            series = view.candles.of(symbol)
            for name, held in by_interval.items():
                series[name].late = held["late"]
                series[name].candles.extend(Candle.from_tuple(c) for c in held["candles"])
        return view
