"""The ITCH 5.0 feed as a pure projection of the canonical event stream.

:class:`ItchProjection` is fed each command's events in ``(seq_no, sub_seq)`` order with the
command's ``seq_no`` and ``ts`` (ring[events] carries both in every record's header) and
answers the ITCH messages they make. A command's events may come in several calls (a poll may
cut them), as long as the order holds. Deterministic: the messages are a function of the
events, so a replay of the journal regenerates the feed byte for byte; timestamps come from
the commands' ``ts``, never from a clock. Pure: no I/O.

What is published, from which events (the book events are the engine's order-level market
data; execution reports, fills and account events are never shown)::

    first message of the feed  System Event O (start of messages), S, Q      locate 0
    SymbolAdded                Stock Directory R, then Trading Action H 'T' (trading)
    TradingStatus              Trading Action H: 'H' reason "O1" (halted), 'T' blank (trading)
    BookAdd                    Add Order A: the order rests (an IOC, FOK or market remainder
                               never rests, so it never appears; neither does a rejected order)
    BookExecute                Order Executed E against the resting order's reference, match
                               number = the engine exec id (both sides of a trade share it);
                               C (printable) if the price ever differs from the order's price
    BookReduce                 Order Cancel X: a size decrease that keeps priority
    BookDelete                 Order Delete D: cancel, expiry, self-trade prevention, a replace
                               to at most the filled qty, or a replace that crosses
    BookReplace                Order Replace U: new price and/or larger size, priority lost

The engine has no non-displayed or reserve orders, so every resting share is displayed and no
Trade (P) message is ever needed: the taker's side of a trade is never an order on the book.

Reference numbers. The reference of an order version on the book is the ``seq_no`` of the
command that put it there: the NewOrder's (so an unmodified order's reference is its order id)
or, after a U or a crossing replace's D + A, the ReplaceOrder's. A command places at most one
order version, so references are unique for the day - and strictly increasing, which the
projection checks - and need no counter beyond the journal.

Stock locate codes are 1, 2, ... in the order the symbols were added (SymbolAdded); tracking
numbers are 0. Prices are engine price units, which are Price(4) already (see
:mod:`engine.protocols.itch.fields`); a price or quantity that does not fit 32 bits cannot be
published and raises :class:`ProjectionError`, as does an event about an order the projection
never saw rest (a stream that did not start at the beginning or a snapshot).

State: the resting orders' current references, sides, prices and open shares, each symbol's
locate code and trading state. That is also exactly what a book snapshot needs:
:meth:`ItchProjection.book_messages` spells the current books as ITCH messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from engine.domain.types import (
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Event,
    Side,
    SymbolAdded,
    TradingStatus,
)
from engine.protocols.itch import (
    MAX_PRICE,
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
    ns_since_midnight,
)

__all__ = ["HALT_REASON", "OPENING_EVENTS", "ItchProjection", "ProjectionError", "RestingOrder"]

#: Trading Action reason of an operator's halt: "Operations Halt; Contact Market Operations".
HALT_REASON: Final = "O1"
_MAX_LOCATE: Final = 0xFFFF
_SIDE_CHAR: Final = {Side.BUY: "B", Side.SELL: "S"}
#: System Event codes of the first message(s) of a feed: start of messages, of system hours,
#: of market hours (the engine trades one continuous session).
OPENING_EVENTS: Final = "OSQ"


class ProjectionError(ValueError):
    """The events cannot be published as ITCH: an order never seen, a number too large."""


class RestingOrder:
    """One order version on the book, as the feed last described it."""

    __slots__ = ("locate", "price", "ref", "shares", "side")

    def __init__(self, ref: int, locate: int, side: str, price: int, shares: int) -> None:
        self.ref = ref
        self.locate = locate
        self.side = side
        self.price = price
        self.shares = shares

    def as_list(self) -> list[int | str]:
        return [self.ref, self.locate, self.side, self.price, self.shares]


def _u32(value: int, what: str) -> int:
    if not 0 <= value <= MAX_PRICE:
        raise ProjectionError(f"{what} {value} does not fit ITCH's 4 unsigned bytes")
    return value


class ItchProjection:
    """Canonical events in, ITCH 5.0 messages out (module docstring)."""

    def __init__(self, *, utc_offset_s: int = 0) -> None:
        #: east of UTC: timestamps are nanoseconds since the exchange's local midnight
        self.utc_offset_s = utc_offset_s
        #: symbol -> stock locate code, in order of addition
        self.locates: dict[str, int] = {}
        #: symbol -> halted
        self.halted: dict[str, bool] = {}
        #: symbol -> round lot size
        self.lots: dict[str, int] = {}
        #: order id -> its version on the book, in the order the versions were placed
        self.orders: dict[int, RestingOrder] = {}
        self.last_ref = 0
        self.started = False

    def reference_of(self, order_id: int) -> int | None:
        """The ITCH reference number the resting order ``order_id`` has now."""
        order = self.orders.get(order_id)
        return None if order is None else order.ref

    def apply(self, seq_no: int, ts: int, events: Iterable[Event]) -> list[ItchMessage]:
        """The ITCH messages of (some of) command ``seq_no``'s events, in order."""
        out: list[ItchMessage] = []
        t = ns_since_midnight(ts, self.utc_offset_s)
        handlers = _HANDLERS
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:  # fills, execution reports, account events: never shown
                handler(self, seq_no, t, event, out)
        if out and not self.started:
            self.started = True
            out[:0] = [SystemEvent(0, 0, t, code) for code in OPENING_EVENTS]
        return out

    # One handler per published event class (the table after the class); each appends the
    # event's messages to ``out``. Events are read by position: they are NamedTuples.

    def _on_execute(self, _seq: int, t: int, e: BookExecute, out: list[ItchMessage]) -> None:
        order_id, qty, price = e[1], e[2], e[3]
        order = self._order(order_id)
        order.shares -= _u32(qty, "executed shares")
        if order.shares < 0:
            raise ProjectionError(f"order {order_id} executed beyond its shares")
        if order.shares == 0:
            del self.orders[order_id]
        if price == order.price:
            out.append(OrderExecuted(order.locate, 0, t, order.ref, qty, e[4]))
        else:
            out.append(
                OrderExecutedWithPrice(
                    order.locate, 0, t, order.ref, qty, e[4], "Y", _u32(price, "execution price")
                )
            )

    def _on_add(self, seq_no: int, t: int, e: BookAdd, out: list[ItchMessage]) -> None:
        symbol, order_id, qty, price = e[0], e[1], e[3], e[4]
        locate = self._locate(symbol)
        _u32(qty, "shares")
        _u32(price, "price")
        ref = self._new_ref(seq_no)
        side = _SIDE_CHAR[e[2]]
        self.orders[order_id] = RestingOrder(ref, locate, side, price, qty)
        out.append(AddOrder(locate, 0, t, ref, side, qty, symbol, price))

    def _on_reduce(self, _seq: int, t: int, e: BookReduce, out: list[ItchMessage]) -> None:
        order_id, qty = e[1], e[2]
        order = self._order(order_id)
        order.shares -= _u32(qty, "cancelled shares")
        if order.shares <= 0:
            raise ProjectionError(f"order {order_id} reduced to {order.shares}")
        out.append(OrderCancel(order.locate, 0, t, order.ref, qty))

    def _on_delete(self, _seq: int, t: int, e: BookDelete, out: list[ItchMessage]) -> None:
        order = self._order(e[1])
        del self.orders[e[1]]
        out.append(OrderDelete(order.locate, 0, t, order.ref))

    def _on_replace(self, seq_no: int, t: int, e: BookReplace, out: list[ItchMessage]) -> None:
        order_id, qty, price = e[1], e[3], e[4]
        old = self._order(order_id)
        _u32(qty, "shares")
        _u32(price, "price")
        ref = self._new_ref(seq_no)
        del self.orders[order_id]  # re-inserted below: last in priority order
        self.orders[order_id] = RestingOrder(ref, old.locate, old.side, price, qty)
        out.append(OrderReplace(old.locate, 0, t, old.ref, ref, qty, price))

    def _on_symbol(self, _seq: int, t: int, e: SymbolAdded, out: list[ItchMessage]) -> None:
        out.extend(self._add_symbol(e.symbol, e.lot_size, t))

    def _on_status(self, _seq: int, t: int, e: TradingStatus, out: list[ItchMessage]) -> None:
        self.halted[e.symbol] = e.halted
        out.append(self._trading_action(e.symbol, t))

    def _order(self, order_id: int) -> RestingOrder:
        order = self.orders.get(order_id)
        if order is None:
            raise ProjectionError(f"order {order_id} is not on the book")
        return order

    def _locate(self, symbol: str) -> int:
        locate = self.locates.get(symbol)
        if locate is None:
            raise ProjectionError(f"symbol {symbol!r} was never added")
        return locate

    def _new_ref(self, seq_no: int) -> int:
        if seq_no <= self.last_ref:
            raise ProjectionError(f"reference {seq_no} is not above the last one {self.last_ref}")
        self.last_ref = seq_no
        return seq_no

    def _add_symbol(self, symbol: str, lot: int, t: int) -> list[ItchMessage]:
        if symbol in self.locates:
            raise ProjectionError(f"symbol {symbol!r} was added twice")
        if len(self.locates) == _MAX_LOCATE:
            raise ProjectionError(f"more than {_MAX_LOCATE} symbols have no locate code")
        locate = self.locates[symbol] = len(self.locates) + 1
        self.halted[symbol] = False
        self.lots[symbol] = lot
        return [self._directory(symbol, locate, lot, t), self._trading_action(symbol, t)]

    @staticmethod
    def _directory(symbol: str, locate: int, lot: int, t: int) -> StockDirectory:
        # Orders must be whole lots (the engine refuses others): round lots only. The fields
        # that describe a listing (category, status, classification) say "not available".
        return StockDirectory(
            locate, 0, t, symbol, " ", " ", _u32(lot, "round lot size"), "Y", "C", "Z", "P",
            " ", " ", " ", " ", 0, "N",
        )  # fmt: skip

    def _trading_action(self, symbol: str, t: int) -> StockTradingAction:
        halted = self.halted[symbol]
        return StockTradingAction(
            self.locates[symbol], 0, t, symbol, "H" if halted else "T", " ",
            HALT_REASON if halted else "",
        )  # fmt: skip

    # -- the current books, and the projection's own state --------------------------------

    def book_messages(self, ts: int) -> list[ItchMessage]:
        """Every symbol's directory, trading state and resting orders (in priority order) as
        ITCH messages stamped ``ts``: what a late joiner needs before the live feed."""
        t = ns_since_midnight(ts, self.utc_offset_s)
        out: list[ItchMessage] = []
        for symbol, locate in self.locates.items():
            out.append(self._directory(symbol, locate, self.lots[symbol], t))
            out.append(self._trading_action(symbol, t))
        symbols = {locate: symbol for symbol, locate in self.locates.items()}
        for order in sorted(self.orders.values(), key=lambda o: o.ref):
            out.append(
                AddOrder(
                    order.locate, 0, t, order.ref, order.side, order.shares,
                    symbols[order.locate], order.price,
                )
            )  # fmt: skip
        return out

    def snapshot(self) -> bytes:
        """The projection's state as canonical JSON."""
        state = {
            "utc_offset_s": self.utc_offset_s,
            "last_ref": self.last_ref,
            "started": self.started,
            "symbols": [[s, loc, self.halted[s], self.lots[s]] for s, loc in self.locates.items()],
            "orders": [[oid, *o.as_list()] for oid, o in self.orders.items()],
        }
        return json.dumps(state, separators=(",", ":")).encode()

    @classmethod
    def restore(cls, data: bytes) -> ItchProjection:
        state = json.loads(data)
        projection = cls(utc_offset_s=state["utc_offset_s"])
        projection.last_ref = state["last_ref"]
        projection.started = state["started"]
        for symbol, locate, halted, lot in state["symbols"]:
            projection.locates[symbol] = locate
            projection.halted[symbol] = halted
            projection.lots[symbol] = lot
        for oid, ref, locate, side, price, shares in state["orders"]:
            projection.orders[oid] = RestingOrder(ref, locate, side, price, shares)
        return projection


_Handler = Callable[[ItchProjection, int, int, Any, list[ItchMessage]], None]
#: published event class -> its handler; every other event class is not market data
_HANDLERS: Final[dict[type, _Handler]] = {
    BookExecute: ItchProjection._on_execute,
    BookAdd: ItchProjection._on_add,
    BookReduce: ItchProjection._on_reduce,
    BookDelete: ItchProjection._on_delete,
    BookReplace: ItchProjection._on_replace,
    SymbolAdded: ItchProjection._on_symbol,
    TradingStatus: ItchProjection._on_status,
}
