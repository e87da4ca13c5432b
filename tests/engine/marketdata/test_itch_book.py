"""The book a feed consumer keeps: priority within levels, and messages that do not fit."""

from __future__ import annotations

from engine.marketdata.itch_book import ItchBook
from engine.protocols.itch import (
    AddOrder,
    AddOrderAttributed,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderReplace,
    StockDirectory,
    StockTradingAction,
    SystemEvent,
    Trade,
)

DIRECTORY = StockDirectory(3, 0, 0, "ACME", " ", " ", 100, "Y", "C", "Z", "P", " ", " ", " ", " ",
                           0, "N")  # fmt: skip


def book_with_orders() -> ItchBook:
    book = ItchBook()
    for message in (
        SystemEvent(0, 0, 0, "O"),
        DIRECTORY,
        AddOrder(3, 0, 1, 10, "B", 100, "ACME", 5_000),
        AddOrderAttributed(3, 0, 2, 11, "B", 200, "ACME", 5_000, "ALPH"),
        AddOrder(3, 0, 3, 12, "B", 300, "ACME", 4_900),
        AddOrder(3, 0, 4, 13, "S", 400, "ACME", 5_100),
    ):
        assert book.apply(message) is None
    return book


def test_levels_keep_time_priority_and_replace_goes_to_the_back() -> None:
    book = book_with_orders()
    assert book.depth("ACME", "B") == [(5_000, 300, 2), (4_900, 300, 1)]
    assert book.depth("ACME", "S") == [(5_100, 400, 1)]
    assert book.apply(OrderReplace(3, 0, 5, 10, 14, 150, 5_000)) is None
    assert book.level("ACME", "B", 5_000) == [(11, 200), (14, 150)]


def test_executions_cancels_and_deletes_shrink_or_remove_orders() -> None:
    book = book_with_orders()
    assert book.apply(OrderExecuted(3, 0, 5, 11, 50, 1)) is None
    assert book.apply(OrderCancel(3, 0, 6, 11, 50)) is None
    assert book.level("ACME", "B", 5_000) == [(10, 100), (11, 100)]
    assert book.apply(OrderExecuted(3, 0, 7, 11, 100, 2)) is None  # executed to zero: gone
    assert book.apply(OrderDelete(3, 0, 8, 12)) is None
    assert book.depth("ACME", "B") == [(5_000, 100, 1)]
    assert book.apply(Trade(3, 0, 9, 0, "B", 10, "ACME", 5_000, 3)) is None  # no book change
    assert book.apply(StockTradingAction(3, 0, 9, "ACME", "H", " ", "O1")) is None
    assert book.stocks[3].trading_state == "H"


def test_messages_that_do_not_fit_the_book_are_refused_and_change_nothing() -> None:
    book = book_with_orders()
    before = (book.depth("ACME", "B"), book.depth("ACME", "S"), book.messages_applied)
    refused = [
        OrderExecuted(3, 0, 5, 99, 1, 1),  # unknown reference
        OrderExecuted(3, 0, 5, 10, 101, 1),  # more than it has
        OrderCancel(3, 0, 5, 10, 101),
        AddOrder(3, 0, 5, 10, "B", 1, "ACME", 1),  # reference on the book already
        AddOrder(4, 0, 5, 20, "B", 1, "ACME", 1),  # unknown locate
        AddOrder(3, 0, 5, 20, "B", 1, "OTHER", 1),  # locate of another stock
        AddOrder(3, 0, 5, 20, "B", 0, "ACME", 1),  # nothing to show
        OrderReplace(3, 0, 5, 99, 21, 1, 1),
        OrderReplace(3, 0, 5, 10, 11, 1, 1),  # onto a live reference
        StockTradingAction(9, 0, 5, "NOPE", "H", " ", ""),
    ]
    for message in refused:
        assert isinstance(book.apply(message), str), message
    assert (book.depth("ACME", "B"), book.depth("ACME", "S"), book.messages_applied) == before
