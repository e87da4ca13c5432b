"""What `sequex md watch` draws: one symbol's book and recent trades, as text or with rich.

Both views read a :class:`sequex.feed.FeedClient`'s books (``ItchBook``) and trades; prices
are ITCH Price(4), the engine's price units, shown with 4 decimals, exactly (no float).
:func:`book_text` is the plain-text form (``--once`` and ``--count N`` print it, tests read
it); :func:`book_panel` the rich renderable the live view refreshes.
"""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from sequex.feed import FeedClient

__all__ = ["book_panel", "book_text", "price_text"]

_SIDE_NAMES = {"B": "buy", "S": "sell"}


def price_text(price: int) -> str:
    """``1_000_000`` -> ``"100.0000"``."""
    return f"{price // 10_000}.{price % 10_000:04d}"


def _status(feed: FeedClient, symbol: str) -> str:
    locate = feed.book.locates.get(symbol)
    info = None if locate is None else feed.book.stocks.get(locate)
    state = "unknown symbol" if info is None else f"trading state {info.trading_state}"
    session = "" if feed.receiver is None else feed.receiver.session or ""
    end = f", ended at {feed.ended.next_sequence}" if feed.ended is not None else ""
    return (
        f"{symbol}: {state}; session {session}, next message {feed.next_sequence}{end}, "
        f"{feed.requests} retransmission request(s)"
    )


def book_text(feed: FeedClient, symbol: str, levels: int = 10, trades: int = 10) -> str:
    """The book (best ``levels`` per side) and the latest ``trades`` as plain text."""
    bids = feed.book.depth(symbol, "B", levels)
    asks = feed.book.depth(symbol, "S", levels)
    lines = [_status(feed, symbol), f"{'bid orders':>10} {'bid shares':>12} {'bid':>12}  "
             f"{'ask':<12} {'ask shares':<12} {'ask orders':<10}"]  # fmt: skip
    for i in range(max(len(bids), len(asks))):
        left = right = ""
        if i < len(bids):
            price, shares, orders = bids[i]
            left = f"{orders:>10} {shares:>12} {price_text(price):>12}"
        if i < len(asks):
            price, shares, orders = asks[i]
            right = f"{price_text(price):<12} {shares:<12} {orders:<10}"
        lines.append(f"{left:>36}  {right}".rstrip())
    lines.append("trades (latest first):")
    recent = [t for t in reversed(feed.trades) if t.stock == symbol][:trades]
    for trade in recent:
        lines.append(
            f"  {trade.shares} @ {price_text(trade.price)} ({_SIDE_NAMES[trade.side]} order "
            f"traded, match {trade.match_number})"
        )
    if not recent:
        lines.append("  none yet")
    return "\n".join(lines)


def book_panel(feed: FeedClient, symbol: str, levels: int = 10, trades: int = 10) -> Panel:
    """The live view: the depth ladder and the tape."""
    ladder = Table(expand=True, show_edge=False)
    for name, style in (("orders", "green"), ("shares", "green"), ("bid", "bold green"),
                        ("ask", "bold red"), ("shares", "red"), ("orders", "red")):  # fmt: skip
        ladder.add_column(name, justify="right" if style.endswith("green") else "left",
                          style=style)  # fmt: skip
    bids = feed.book.depth(symbol, "B", levels)
    asks = feed.book.depth(symbol, "S", levels)
    for i in range(max(len(bids), len(asks), 1)):
        row = ["", "", "", "", "", ""]
        if i < len(bids):
            price, shares, orders = bids[i]
            row[0:3] = [str(orders), f"{shares:,}", price_text(price)]
        if i < len(asks):
            price, shares, orders = asks[i]
            row[3:6] = [price_text(price), f"{shares:,}", str(orders)]
        ladder.add_row(*row)
    tape = Table(expand=True, show_edge=False)
    for name in ("shares", "price", "resting side", "match"):
        tape.add_column(name, justify="right")
    for trade in [t for t in reversed(feed.trades) if t.stock == symbol][:trades]:
        tape.add_row(
            f"{trade.shares:,}", price_text(trade.price), _SIDE_NAMES[trade.side],
            str(trade.match_number),
        )  # fmt: skip
    return Panel(Group(ladder, tape), title=_status(feed, symbol), title_align="left")
