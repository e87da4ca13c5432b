"""The matcher: the books of a set of symbols, price-time priority matching.

Contract. The matcher only ever sees commands the risk stage accepted (it trusts symbol, halt,
lot, tick, band, limits, funds and ownership checks already done) and answers each with its
events. The only rejects it emits are those only the book can decide: POST_ONLY_WOULD_TAKE,
and UNKNOWN_ORDER for a cancel/replace of an order that already ended (the risk stage's view of
live orders may lag by the feedback window).

Trades happen at the resting order's price. Market orders never trade outside the protection
band around the reference price at their arrival (the last trade price once there is one); a
market buy is further capped at the price the risk stage held cash for (``cap``).

Event order, fixed and relied upon by the canonical stream:

* NewOrder: ``Accepted``; then per trade ``Fill`` (taker), ``Fill`` (maker), ``BookExecute``
  (maker); a self-trade prevention cancel of a resting order is ``Cancelled`` + ``BookDelete``
  at the point it is met, of the incoming order ``Cancelled`` (both: resting first); then
  ``BookAdd`` if the remainder rests, or ``Expired`` for an IOC/FOK/market remainder. A FOK that
  cannot fill completely is ``Accepted``, ``Expired`` and touches nothing. Post-only that would
  cross: ``Rejected`` alone.
* CancelOrder: ``Cancelled`` (USER), ``BookDelete``.
* ReplaceOrder: qty at or below filled: ``Cancelled`` (REPLACED_AWAY), ``BookDelete``. Pure size
  decrease (or no change): ``Replaced`` (priority kept) + ``BookReduce`` (omitted if nothing
  changed). Price change or size increase: ``Replaced`` (priority lost) + ``BookReplace``; if at
  its new price it crosses the book it trades as an incoming order: ``Replaced``,
  ``BookDelete``, the trades as above, then ``BookAdd`` for a remainder.
* EndOfDay: per resting DAY order (bids then asks, best level first, time priority)
  ``Expired`` (END_OF_DAY) + ``BookDelete``; then ``DayEnded``.
* AddSymbol ``SymbolAdded``; Halt/Resume ``TradingStatus``. SetSelfTradePrevention is emitted
  by the risk stage; the matcher only records the mode (``set_stp``).

Self-trade prevention applies when the incoming and the resting order have the same firm, with
the incoming firm's mode (default CANCEL_RESTING). FOK's fill check uses the same rule: resting
orders of the own firm are skipped under CANCEL_RESTING and end the count otherwise.
"""

from __future__ import annotations

from engine.domain.book import Book, BookSide, Order
from engine.domain.hot import (
    BUY,
    CANCEL_INCOMING,
    CANCEL_RESTING,
    DAY,
    EXPIRED_EOD,
    EXPIRED_FOK,
    EXPIRED_IOC,
    EXPIRED_MARKET,
    FOK,
    GTC,
    IOC,
    MAKER,
    MARKET,
    REPLACED_AWAY,
    SELF_TRADE,
    SELL,
    TAKER,
    USER_CANCEL,
    new_tuple,
)
from engine.domain.reasons import reject
from engine.domain.symbols import SymbolSpec
from engine.domain.types import (
    EXEC_IDS_PER_COMMAND,
    Accepted,
    AddSymbol,
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Cancelled,
    CancelOrder,
    DayEnded,
    EndOfDay,
    Event,
    Expired,
    Fill,
    NewOrder,
    RejectReason,
    Replaced,
    ReplaceOrder,
    SelfTradePrevention,
    SymbolAdded,
    TradingStatus,
)


class Matcher:
    """Books of the symbols this matcher owns, the index of resting orders, firms' STP modes."""

    __slots__ = ("books", "orders", "stp")

    def __init__(self) -> None:
        self.books: dict[str, Book] = {}
        self.orders: dict[int, Order] = {}
        self.stp: dict[str, SelfTradePrevention] = {}

    # -- administration -------------------------------------------------------------------

    def add_symbol(self, cmd: AddSymbol) -> list[Event]:
        self.books[cmd.symbol] = Book(SymbolSpec.from_command(cmd))
        return [
            SymbolAdded(cmd.symbol, cmd.tick_size, cmd.lot_size, cmd.reference_price, cmd.band_bps)
        ]

    def set_halted(self, symbol: str, halted: bool) -> list[Event]:
        self.books[symbol].spec.halted = halted
        return [TradingStatus(symbol, halted)]

    def set_stp(self, firm: str, mode: SelfTradePrevention) -> None:
        self.stp[firm] = mode

    def end_of_day(self, cmd: EndOfDay) -> list[Event]:
        book = self.books[cmd.symbol]
        symbol = cmd.symbol
        events: list[Event] = []
        for side in (book.bids, book.asks):
            for level in side.iter_levels():
                for order in level.orders():
                    if order.tif == DAY:
                        side.unlink(order)
                        del self.orders[order.order_id]
                        events.append(
                            Expired(order.order_id, order.account, order.leaves, EXPIRED_EOD)
                        )
                        events.append(BookDelete(symbol, order.order_id))
        events.append(DayEnded(symbol))
        return events

    # -- orders ---------------------------------------------------------------------------

    def new_order(self, cmd: NewOrder, cap: int) -> list[Event]:
        """Match an accepted NewOrder. ``cap``: the price risk held cash at (market buys)."""
        seq, ts, firm, account, symbol, side, otype, tif, qty, price, clid, post_only = cmd
        book = self.books[symbol]
        is_buy = side == BUY
        if otype == MARKET:
            lo, hi = book.spec.band()
            limit = (hi if hi < cap else cap) if is_buy else lo
        else:
            limit = price
        opp = book.asks if is_buy else book.bids
        keys = opp.keys
        crosses = False
        if keys:
            best = -keys[-1] if is_buy else keys[-1]
            crosses = best <= limit if is_buy else best >= limit
        if post_only and crosses:
            return [reject(seq, account, clid, 0, RejectReason.POST_ONLY_WOULD_TAKE)]
        events: list[Event] = [new_tuple(Accepted, (seq, seq, account, clid))]
        order = Order.create(seq, account, firm, side, price, qty, 0, tif, book)
        if crosses:
            mode = self.stp.get(firm, CANCEL_RESTING)
            if tif == FOK and not _fillable(opp, is_buy, limit, firm, mode, qty):
                events.append(new_tuple(Expired, (seq, account, qty, EXPIRED_FOK)))
                return events
            if self._match(book, opp, order, limit, mode, seq, ts, events):
                return events  # self-trade prevention cancelled the incoming order
        elif tif == FOK:
            events.append(new_tuple(Expired, (seq, account, qty, EXPIRED_FOK)))
            return events
        leaves = order.leaves
        if leaves:
            if tif in (DAY, GTC):
                (book.bids if is_buy else book.asks).append(order)
                self.orders[seq] = order
                events.append(new_tuple(BookAdd, (symbol, seq, side, leaves, price)))
            else:
                reason = (
                    EXPIRED_MARKET
                    if otype == MARKET
                    else EXPIRED_IOC
                    if tif == IOC
                    else EXPIRED_FOK
                )
                events.append(new_tuple(Expired, (seq, account, leaves, reason)))
        return events

    def cancel(self, cmd: CancelOrder) -> list[Event]:
        order = self.orders.pop(cmd.order_id, None)
        if order is None:
            return [reject(cmd.seq_no, cmd.account, "", cmd.order_id, RejectReason.UNKNOWN_ORDER)]
        book = order.book
        (book.bids if order.side == BUY else book.asks).unlink(order)
        oid = order.order_id
        return [
            new_tuple(Cancelled, (oid, order.account, order.leaves, USER_CANCEL)),
            new_tuple(BookDelete, (book.spec.symbol, oid)),
        ]

    def replace(self, cmd: ReplaceOrder) -> list[Event]:
        seq, ts, _account, oid, qty, price = cmd
        order = self.orders.get(oid)
        if order is None:
            return [reject(seq, cmd.account, "", oid, RejectReason.UNKNOWN_ORDER)]
        book = order.book
        symbol = book.spec.symbol
        is_buy = order.side == BUY
        own = book.bids if is_buy else book.asks
        account = order.account
        if qty <= order.filled:
            del self.orders[oid]
            own.unlink(order)
            return [
                new_tuple(Cancelled, (oid, account, order.leaves, REPLACED_AWAY)),
                new_tuple(BookDelete, (symbol, oid)),
            ]
        if price == order.price and qty <= order.qty:
            cut = order.qty - qty
            order.qty = qty
            order.leaves -= cut
            level = order.level
            assert level is not None
            level.total -= cut
            events: list[Event] = [
                new_tuple(Replaced, (oid, account, qty, price, order.leaves, True)),
            ]
            if cut:
                events.append(new_tuple(BookReduce, (symbol, oid, cut)))
            return events
        own.unlink(order)
        order.leaves = leaves = qty - order.filled
        order.qty = qty
        order.price = price
        events = [new_tuple(Replaced, (oid, account, qty, price, leaves, False))]
        opp = book.asks if is_buy else book.bids
        keys = opp.keys
        if keys and (-keys[-1] <= price if is_buy else keys[-1] >= price):
            del self.orders[oid]
            events.append(new_tuple(BookDelete, (symbol, oid)))
            mode = self.stp.get(order.firm, CANCEL_RESTING)
            if self._match(book, opp, order, price, mode, seq, ts, events):
                return events
            leaves = order.leaves
            if leaves:
                own.append(order)
                self.orders[oid] = order
                events.append(new_tuple(BookAdd, (symbol, oid, order.side, leaves, price)))
            return events
        own.append(order)
        events.append(new_tuple(BookReplace, (symbol, oid, order.side, leaves, price)))
        return events

    def _match(
        self,
        book: Book,
        opp: BookSide,
        taker: Order,
        limit: int,
        mode: int,
        seq: int,
        ts: int,
        events: list[Event],
    ) -> bool:
        """Trade ``taker`` against ``opp`` up to ``limit``; True if STP cancelled the taker."""
        spec = book.spec
        symbol = spec.symbol
        keys = opp.keys
        levels = opp.levels
        sign = opp.sign
        is_buy = taker.side == BUY
        firm = taker.firm
        tid = taker.order_id
        tacct = taker.account
        tside = taker.side
        mside = SELL if is_buy else BUY
        leaves = taker.leaves
        exec_id = seq * EXEC_IDS_PER_COMMAND
        append = events.append
        orders = self.orders
        unlink = opp.unlink
        last = spec.reference
        taker_cancelled = False
        while leaves and keys:
            px = sign * keys[-1]
            if (px > limit) if is_buy else (px < limit):
                break
            level = levels[px]
            maker = level.head
            while maker is not None:
                nxt = maker.next
                if maker.firm == firm:
                    if mode != CANCEL_INCOMING:
                        unlink(maker)
                        mid = maker.order_id
                        del orders[mid]
                        append(new_tuple(Cancelled, (mid, maker.account, maker.leaves, SELF_TRADE)))
                        append(new_tuple(BookDelete, (symbol, mid)))
                    if mode != CANCEL_RESTING:
                        taker_cancelled = True
                        break
                    maker = nxt
                    continue
                mleaves = maker.leaves
                q = leaves if leaves < mleaves else mleaves
                leaves -= q
                mleaves -= q
                maker.leaves = mleaves
                level.total -= q
                mid = maker.order_id
                append(
                    new_tuple(Fill, (tid, tacct, symbol, tside, q, px, leaves, ts, TAKER, exec_id))
                )
                append(
                    new_tuple(
                        Fill,
                        (mid, maker.account, symbol, mside, q, px, mleaves, ts, MAKER, exec_id),
                    )
                )
                append(new_tuple(BookExecute, (symbol, mid, q, px, exec_id)))
                exec_id += 1
                last = px
                if not mleaves:
                    unlink(maker)
                    del orders[mid]
                if not leaves:
                    break
                maker = nxt
            if taker_cancelled:
                break
        if last != spec.reference:
            spec.set_reference(last)
        taker.leaves = leaves
        if taker_cancelled:
            append(new_tuple(Cancelled, (tid, tacct, leaves, SELF_TRADE)))
        return taker_cancelled


def _fillable(opp: BookSide, is_buy: bool, limit: int, firm: str, mode: int, need: int) -> bool:
    """Whether matching would fill ``need`` within ``limit`` (FOK's all-or-nothing check)."""
    sign = opp.sign
    levels = opp.levels
    total = 0
    for key in reversed(opp.keys):
        px = sign * key
        if (px > limit) if is_buy else (px < limit):
            return False
        order = levels[px].head
        while order is not None:
            if order.firm == firm:
                if mode != CANCEL_RESTING:
                    return False
            else:
                total += order.leaves
                if total >= need:
                    return True
            order = order.next
    return False
