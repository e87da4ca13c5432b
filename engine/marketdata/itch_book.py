"""Order books rebuilt from ITCH 5.0 messages: what a consumer of the feed does.

:class:`ItchBook` applies messages in feed order and keeps, per stock, every displayed order
(reference number, side, price, shares) and each price level's orders in priority order: an
Add joins the back of its level, an Order Replace puts the new reference at the back of its
new level, Executed and Cancel shrink an order in place, an order executed or cancelled to
zero shares or deleted leaves. Stock Directory and Trading Action give names and states.

It never raises for what a feed says: :meth:`ItchBook.apply` answers ``None`` or a text saying
why the message does not fit the book (an unknown reference, more shares than the order has,
a stock never announced...), and leaves the book as it was. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.protocols.itch import (
    AddOrder,
    AddOrderAttributed,
    ItchMessage,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderReplace,
    StockDirectory,
    StockTradingAction,
)

__all__ = ["BookOrder", "ItchBook", "StockInfo"]


@dataclass(slots=True)
class BookOrder:
    locate: int
    side: str
    price: int
    shares: int


@dataclass(slots=True)
class StockInfo:
    stock: str
    round_lot_size: int
    trading_state: str = "T"


#: (locate, side) -> price -> the level's references in priority order (dict as ordered set)
_Levels = dict[tuple[int, str], dict[int, dict[int, None]]]


class ItchBook:
    """Every stock's displayed book, from the feed (module docstring)."""

    def __init__(self) -> None:
        self.stocks: dict[int, StockInfo] = {}
        self.locates: dict[str, int] = {}
        self.orders: dict[int, BookOrder] = {}
        self._levels: _Levels = {}
        self.messages_applied = 0

    def apply(self, message: ItchMessage) -> str | None:
        """Apply one message; None, or why it does not fit (then nothing changed)."""
        error: str | None
        match message:
            case AddOrder() | AddOrderAttributed():
                error = self._add(message)
            case OrderExecuted() | OrderExecutedWithPrice():
                error = self._reduce(message.order_reference_number, message.executed_shares)
            case OrderCancel():
                error = self._reduce(message.order_reference_number, message.cancelled_shares)
            case OrderDelete():
                error = self._reduce(message.order_reference_number, None)
            case OrderReplace():
                error = self._replace(message)
            case StockDirectory():
                error = self._directory(message)
            case StockTradingAction():
                info = self.stocks.get(message.stock_locate)
                if info is None:
                    error = f"trading action for unknown locate {message.stock_locate}"
                else:
                    info.trading_state = message.trading_state
                    error = None
            case _:
                error = None  # system events, trades of non-displayed orders: no book change
        if error is None:
            self.messages_applied += 1
        return error

    def _directory(self, m: StockDirectory) -> str | None:
        known = self.stocks.get(m.stock_locate)
        if known is not None and known.stock != m.stock:
            return f"locate {m.stock_locate} is {known.stock!r}, not {m.stock!r}"
        self.stocks[m.stock_locate] = StockInfo(m.stock, m.round_lot_size)
        self.locates[m.stock] = m.stock_locate
        return None

    def _add(self, m: AddOrder | AddOrderAttributed) -> str | None:
        locate, ref = m.stock_locate, m.order_reference_number
        info = self.stocks.get(locate)
        if info is None:
            return f"add order {ref} for unknown locate {locate}"
        if info.stock != m.stock:
            return f"add order {ref}: locate {locate} is {info.stock!r}, not {m.stock!r}"
        if ref in self.orders:
            return f"add order {ref}: the reference is on the book already"
        if m.shares == 0:
            return f"add order {ref} of 0 shares"
        self._place(ref, BookOrder(locate, m.side, m.price, m.shares))
        return None

    def _place(self, ref: int, order: BookOrder) -> None:
        self.orders[ref] = order
        side = self._levels.setdefault((order.locate, order.side), {})
        side.setdefault(order.price, {})[ref] = None

    def _remove(self, ref: int) -> BookOrder:
        order = self.orders.pop(ref)
        side = self._levels[(order.locate, order.side)]
        level = side[order.price]
        del level[ref]
        if not level:
            del side[order.price]
        return order

    def _reduce(self, ref: int, shares: int | None) -> str | None:
        """``shares`` fewer on order ``ref``; None: all of them (a delete)."""
        order = self.orders.get(ref)
        if order is None:
            return f"order {ref} is not on the book"
        if shares is None or shares == order.shares:
            self._remove(ref)
        elif shares > order.shares:
            return f"order {ref} has {order.shares} shares, not {shares}"
        else:
            order.shares -= shares
        return None

    def _replace(self, m: OrderReplace) -> str | None:
        old, new = m.original_order_reference_number, m.new_order_reference_number
        order = self.orders.get(old)
        if order is None:
            return f"replace of order {old}, which is not on the book"
        if new in self.orders and new != old:
            return f"replace of order {old}: the new reference {new} is on the book already"
        if m.shares == 0:
            return f"replace of order {old} to 0 shares"
        self._remove(old)
        self._place(new, BookOrder(order.locate, order.side, m.price, m.shares))
        return None

    # -- views ------------------------------------------------------------------------------

    def depth(self, stock: str, side: str, levels: int = 10) -> list[tuple[int, int, int]]:
        """The best ``levels`` price levels of one side: (price, shares, orders), best first."""
        locate = self.locates.get(stock)
        book = {} if locate is None else self._levels.get((locate, side), {})
        prices = sorted(book, reverse=side == "B")[:levels]
        orders = self.orders
        return [
            (price, sum(orders[ref].shares for ref in book[price]), len(book[price]))
            for price in prices
        ]

    def level(self, stock: str, side: str, price: int) -> list[tuple[int, int]]:
        """The orders at one price, in priority order: (reference, shares)."""
        locate = self.locates.get(stock)
        refs = {} if locate is None else self._levels.get((locate, side), {}).get(price, {})
        return [(ref, self.orders[ref].shares) for ref in refs]
