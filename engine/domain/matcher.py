"""The matcher: the books of a set of symbols, price-time priority matching.

This module is the one implementation of every matching rule: `engine.domain.exchange` calls
it for every window W, and the matcher shards of the pipeline call it in their processes.

Contract. The matcher only ever sees commands the risk stage accepted (it trusts symbol, halt,
lot, tick, band, limits, funds and ownership checks already done) and answers each with its
events. The only rejects it emits are those only the book can decide: POST_ONLY_WOULD_TAKE
(of a new order, or from rules 2 of a replace), and UNKNOWN_ORDER for a cancel/replace of an
order that already ended (the risk stage's view of live orders may lag by the feedback window).

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
  ``BookDelete``, the trades as above, then ``BookAdd`` for a remainder. From rules version 2
  (`engine.domain.rules`) a post-only order that would cross at its new terms is not changed:
  ``Rejected`` (POST_ONLY_WOULD_TAKE, with its order id) alone.
* EndOfDay: per resting DAY order (bids then asks, best level first, time priority)
  ``Expired`` (END_OF_DAY) + ``BookDelete``; then ``DayEnded``.
* Settle (rules 3): the netting of the symbol's unsettled trades through the trade date
  (`engine.domain.settlement`), ending in ``SettlementDone``. Under rules 3 every trade is
  recorded, both sides, in its book's settlement ledger (`engine.domain.ledger`) as it happens.
* AddSymbol ``SymbolAdded``; Halt/Resume ``TradingStatus``. SetSelfTradePrevention is emitted
  by the risk stage; the matcher only records the mode (``set_stp``).

Self-trade prevention applies when the incoming and the resting order have the same firm, with
the incoming firm's mode (default CANCEL_RESTING). FOK's fill check uses the same rule: resting
orders of the own firm are skipped under CANCEL_RESTING and end the count otherwise.

Every quantity and price is a signed 64-bit integer compiled; a trade's exec id is
``seq_no * EXEC_IDS_PER_COMMAND + k``, which `engine.domain.exchange` keeps within 64 bits.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.domain.book import Book, BookSide, Level, Order
from engine.domain.dates import from_yyyymmdd
from engine.domain.hot import (
    EXPIRED_EOD,
    EXPIRED_FOK,
    EXPIRED_IOC,
    EXPIRED_MARKET,
    MAKER,
    REPLACED_AWAY,
    SELF_TRADE,
    SIDES,
    TAKER,
    USER_CANCEL,
)
from engine.domain.ledger import Ledger
from engine.domain.reasons import reject
from engine.domain.rules import CURRENT_RULES, RULES_V2, RULES_V3, check_rules
from engine.domain.settlement import settle_events
from engine.domain.symbols import SymbolSpec
from engine.domain.types import (
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
    Settle,
    SymbolAdded,
    TradingStatus,
)

if cython.compiled:
    from cython.cimports.engine.domain.book import new_order
    from cython.cimports.engine.domain.fast_tuple import (
        tuple2,
        tuple3,
        tuple4,
        tuple5,
        tuple6,
        tuple10,
    )
    from cython.cimports.engine.domain.hot import (
        BUY,
        CANCEL_INCOMING,
        CANCEL_RESTING,
        DAY,
        FOK,
        GTC,
        IOC,
        MARKET,
        SELL,
    )
    from cython.cimports.engine.domain.ledger import record
else:
    from engine.domain.book import new_order
    from engine.domain.fast_tuple import tuple2, tuple3, tuple4, tuple5, tuple6, tuple10
    from engine.domain.hot import (
        BUY,
        CANCEL_INCOMING,
        CANCEL_RESTING,
        DAY,
        FOK,
        GTC,
        IOC,
        MARKET,
        SELL,
    )
    from engine.domain.ledger import record

#: exec ids of one command's trades are seq_no * EXEC_IDS + k (types.EXEC_IDS_PER_COMMAND)
EXEC_IDS: cython.longlong = 1_000_000


@cython.final
@cython.cclass
class Matcher:
    """Books of the symbols this matcher owns, the index of resting orders, firms' STP modes."""

    books: dict[str, Book]
    orders: dict[int, Order]
    stp: dict[str, SelfTradePrevention]
    #: the rules version (`engine.domain.rules`) the matcher runs
    rules: cython.longlong
    #: rules >= 2: a replace that would make a post-only order take is rejected
    post_only_holds: cython.bint
    #: rules >= 3: trades are recorded for settlement (each book has a ledger)
    settling: cython.bint

    def __init__(self, rules: cython.longlong = CURRENT_RULES) -> None:
        self.books = {}
        self.orders = {}
        self.stp = {}
        self.rules = check_rules(rules)
        self.post_only_holds = rules >= RULES_V2
        self.settling = rules >= RULES_V3

    # -- administration -------------------------------------------------------------------

    def add_symbol(self, cmd: AddSymbol) -> list[Event]:
        ledger = Ledger() if self.settling else None
        self.books[cmd.symbol] = Book(SymbolSpec.from_command(cmd), ledger)
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

    def settle(self, cmd: Settle) -> list[Event]:
        """An accepted Settle (the risk stage checked the dates and the rules version)."""
        ledger = self.books[cmd.symbol].ledger
        assert ledger is not None, "a Settle under rules before 3 reached the matcher"
        through = from_yyyymmdd(cmd.trade_date)
        assert through is not None, f"Settle seq {cmd.seq_no}: trade date {cmd.trade_date}"
        return settle_events(ledger, cmd.symbol, through, cmd.settle_date)

    # -- orders ---------------------------------------------------------------------------

    def new_order(self, cmd: NewOrder, cap: int) -> list[Event]:
        """Match an accepted NewOrder. ``cap``: the price risk held cash at (market buys)."""
        return self.match_new(
            cmd[0], cmd[1], cmd[2], cmd[3], cmd[4], cmd[5], cmd[6], cmd[7], cmd[8], cmd[9],
            cmd[10], cmd[11], cap,
        )  # fmt: skip

    @cython.ccall
    def match_new(
        self,
        seq: Any,
        ts: Any,
        firm: str,
        account: str,
        symbol: str,
        side: cython.longlong,
        otype: cython.longlong,
        tif: cython.longlong,
        qty: cython.longlong,
        price: cython.longlong,
        clid: Any,
        post_only: cython.bint,
        cap: cython.longlong,
    ) -> list[Event]:
        """`new_order` with the command's fields unpacked (the compiled callers' entry)."""
        book: Book = self.books[symbol]
        is_buy: cython.bint = side == BUY
        limit: cython.longlong = price
        if otype == MARKET:
            if is_buy:
                limit = book.spec.max_price
                if cap < limit:
                    limit = cap
            else:
                limit = book.spec.band_low()
        opp: BookSide = book.asks if is_buy else book.bids
        keys: list[int] = opp.keys
        crosses: cython.bint = False
        best: cython.longlong
        if len(keys) > 0:
            best = keys[len(keys) - 1]
            crosses = -best <= limit if is_buy else best >= limit
        if post_only and crosses:
            return [reject(seq, account, clid, 0, RejectReason.POST_ONLY_WOULD_TAKE)]
        events: list[Event] = [tuple4(Accepted, seq, seq, account, clid)]
        order: Order = new_order(seq, account, firm, side, price, qty, qty, tif, book, post_only)
        if crosses:
            mode: cython.longlong = self.stp.get(firm, CANCEL_RESTING)
            if tif == FOK and not fillable(opp, is_buy, limit, firm, mode, qty):
                events.append(tuple4(Expired, seq, account, qty, EXPIRED_FOK))
                return events
            if self.match(book, opp, order, limit, mode, seq, ts, events):
                return events  # self-trade prevention cancelled the incoming order
        elif tif == FOK:
            events.append(tuple4(Expired, seq, account, qty, EXPIRED_FOK))
            return events
        leaves: cython.longlong = order.leaves
        if leaves:
            if tif in (DAY, GTC):
                (book.bids if is_buy else book.asks).append(order)
                self.orders[seq] = order
                events.append(tuple5(BookAdd, symbol, seq, SIDES[side], leaves, price))
            else:
                reason = (
                    EXPIRED_MARKET
                    if otype == MARKET
                    else EXPIRED_IOC
                    if tif == IOC
                    else EXPIRED_FOK
                )
                events.append(tuple4(Expired, seq, account, leaves, reason))
        return events

    def cancel(self, cmd: CancelOrder) -> list[Event]:
        return self.cancel_order(cmd[0], cmd[2], cmd[3])

    @cython.ccall
    def cancel_order(self, seq: Any, account: str, oid: Any) -> list[Event]:
        order: Order | None = self.orders.pop(oid, None)
        if order is None:
            return [reject(seq, account, "", oid, RejectReason.UNKNOWN_ORDER)]
        book: Book = order.book
        (book.bids if order.side == BUY else book.asks).unlink(order)
        oid = order.order_id
        return [
            tuple4(Cancelled, oid, order.account, order.leaves, USER_CANCEL),
            tuple2(BookDelete, book.spec.symbol, oid),
        ]

    def replace(self, cmd: ReplaceOrder) -> list[Event]:
        return self.replace_order(cmd[0], cmd[1], cmd[2], cmd[3], cmd[4], cmd[5])

    @cython.ccall
    def replace_order(
        self,
        seq: Any,
        ts: Any,
        account: str,
        oid: Any,
        qty: cython.longlong,
        price: cython.longlong,
    ) -> list[Event]:
        order: Order | None = self.orders.get(oid)
        if order is None:
            return [reject(seq, account, "", oid, RejectReason.UNKNOWN_ORDER)]
        oid = order.order_id
        book: Book = order.book
        symbol = book.spec.symbol
        is_buy: cython.bint = order.side == BUY
        own: BookSide = book.bids if is_buy else book.asks
        owner = order.account
        if qty <= order.qty - order.leaves:
            del self.orders[oid]
            own.unlink(order)
            return [
                tuple4(Cancelled, oid, owner, order.leaves, REPLACED_AWAY),
                tuple2(BookDelete, symbol, oid),
            ]
        events: list[Event]
        if price == order.price and qty <= order.qty:
            cut: cython.longlong = order.qty - qty
            order.qty = qty
            order.leaves -= cut
            level = order.level
            assert level is not None
            level.total -= cut
            events = [tuple6(Replaced, oid, owner, qty, price, order.leaves, True)]
            if cut:
                events.append(tuple3(BookReduce, symbol, oid, cut))
            return events
        opp: BookSide = book.asks if is_buy else book.bids
        keys: list[int] = opp.keys
        best: cython.longlong
        crosses: cython.bint = False
        if len(keys) > 0:
            best = keys[len(keys) - 1]
            crosses = -best <= price if is_buy else best >= price
        if crosses and order.post_only and self.post_only_holds:
            return [reject(seq, account, "", oid, RejectReason.POST_ONLY_WOULD_TAKE)]
        own.unlink(order)
        leaves: cython.longlong = qty - (order.qty - order.leaves)
        order.leaves = leaves
        order.qty = qty
        order.price = price
        events = [tuple6(Replaced, oid, owner, qty, price, leaves, False)]
        if crosses:
            del self.orders[oid]
            events.append(tuple2(BookDelete, symbol, oid))
            mode: cython.longlong = self.stp.get(order.firm, CANCEL_RESTING)
            if self.match(book, opp, order, price, mode, seq, ts, events):
                return events
            leaves = order.leaves
            if leaves:
                own.append(order)
                self.orders[oid] = order
                events.append(tuple5(BookAdd, symbol, oid, SIDES[order.side], leaves, price))
            return events
        own.append(order)
        events.append(tuple5(BookReplace, symbol, oid, SIDES[order.side], leaves, price))
        return events

    @cython.cfunc
    def match(
        self,
        book: Book,
        opp: BookSide,
        taker: Order,
        limit: cython.longlong,
        mode: cython.longlong,
        seq: Any,
        ts: Any,
        events: list[Event],
    ) -> cython.bint:
        """Trade ``taker`` against ``opp`` up to ``limit``; True if STP cancelled the taker."""
        spec: SymbolSpec = book.spec
        symbol = spec.symbol
        keys: list[int] = opp.keys
        levels: dict[int, Level] = opp.levels
        sign: cython.longlong = opp.sign
        is_buy: cython.bint = taker.side == BUY
        firm: str = taker.firm
        tid = taker.order_id
        tacct = taker.account
        tside = SIDES[taker.side]
        mside = SIDES[SELL if is_buy else BUY]
        leaves: cython.longlong = taker.leaves
        seq_no: cython.longlong = seq
        exec_id: cython.longlong = seq_no * EXEC_IDS
        orders = self.orders
        last: cython.longlong = spec.reference
        taker_cancelled: cython.bint = False
        # rules 3: the trade date's ledger cells, looked up at the first trade
        ledger: Ledger | None = book.ledger
        cells: dict[str, Any] | None = None
        mfirm: str
        px: cython.longlong
        q: cython.longlong
        mleaves: cython.longlong
        level: Level
        maker: Order | None
        nxt: Order | None
        key: cython.longlong
        while leaves and len(keys) > 0:
            key = keys[len(keys) - 1]
            px = sign * key
            if (px > limit) if is_buy else (px < limit):
                break
            level = levels[px]
            maker = level.head
            while maker is not None:
                nxt = maker.next
                if maker.firm == firm:
                    if mode != CANCEL_INCOMING:
                        opp.unlink(maker)
                        mid = maker.order_id
                        del orders[mid]
                        events.append(
                            tuple4(Cancelled, mid, maker.account, maker.leaves, SELF_TRADE)
                        )
                        events.append(tuple2(BookDelete, symbol, mid))
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
                events.append(
                    tuple10(Fill, tid, tacct, symbol, tside, q, px, leaves, ts, TAKER, exec_id)
                )
                events.append(
                    tuple10(
                        Fill, mid, maker.account, symbol, mside, q, px, mleaves, ts, MAKER, exec_id
                    )
                )
                events.append(tuple5(BookExecute, symbol, mid, q, px, exec_id))
                if ledger is not None:
                    if cells is None:
                        cells = ledger.cells_for(ts)
                    mfirm = maker.firm
                    record(cells, tacct, firm, is_buy, q, px)
                    record(cells, maker.account, mfirm, not is_buy, q, px)
                exec_id += 1
                last = px
                if mleaves == 0:
                    opp.unlink(maker)
                    del orders[mid]
                if leaves == 0:
                    break
                maker = nxt
            if taker_cancelled:
                break
        if last != spec.reference:
            spec.set_reference(last)
        taker.leaves = leaves
        if taker_cancelled:
            events.append(tuple4(Cancelled, tid, tacct, leaves, SELF_TRADE))
        return taker_cancelled


@cython.cfunc
def fillable(
    opp: BookSide,
    is_buy: cython.bint,
    limit: cython.longlong,
    firm: str,
    mode: cython.longlong,
    need: cython.longlong,
) -> cython.bint:
    """Whether matching would fill ``need`` within ``limit`` (FOK's all-or-nothing check)."""
    sign: cython.longlong = opp.sign
    levels: dict[int, Level] = opp.levels
    total: cython.longlong = 0
    px: cython.longlong
    order: Order | None
    key: cython.longlong
    for key in reversed(opp.keys):
        px = sign * key
        if (px > limit) if is_buy else (px < limit):
            return False
        level: Level = levels[px]
        order = level.head
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
