"""The fused path for feedback windows W > 1: risk + hold + match in one pass, settlement deferred.

Contract. `WindowedPath.submit` is `Exchange.submit` for W > 1: it returns exactly the events,
and leaves exactly the state (risk stage, matcher, feedback queue), of the separable path

    drain(<= N - W); RiskStage.new_order; Matcher.new_order; queue (N, events); drain(<= N+1-W)

(likewise cancel), where drain settles queued entries in seq order as `Settler.apply` does. It
takes itself only a NewOrder that is a plain limit order (DAY, GTC or IOC, not post-only)
passing every risk check, and a CancelOrder by its owner of an order still resting; anything
else goes to the Exchange's separable handlers (after the same drain), so each reject keeps one
implementation. The fast path changes nothing before it decides, so handing over is safe.

Why it is exact. The front does what the two stages do, in their order, to their own objects:
the risk checks read the risk stage's spec (its band lags the matcher's), the hold and the
`RiskOrder` are those `RiskStage.new_order` makes, matching uses the matcher's book and spec
only. Nothing is settled in closed form (unlike W = 1): the events are queued as they are and
settled when the window says, because replaces may be put in flight meanwhile (``pending``,
``max_qty``, ``hi``, ``pool`` change) and later risk decisions must not see this feedback yet.
The drain is `Settler.apply` itself; it skips ``[Accepted, BookAdd]`` (which the settler
walks without effect) and ends a plain cancel's order inline (`Settler.ended`'s arithmetic).
The one difference in state: a maker filled away keeps stale ``prev``/``next``/``level``
pointers, and nothing refers to it any more.

Complexity: as the separable path (O(1) per order added, cancelled, consumed or settled, plus
O(log L) / O(L) when a price level appears or disappears); it saves calls, not steps.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from typing import Any

from engine.domain.book import Book, BookSide, Level, Order
from engine.domain.hot import (
    BUY,
    CANCEL_INCOMING,
    CANCEL_RESTING,
    DAY,
    EXPIRED_IOC,
    GTC,
    IOC,
    LIMIT,
    MAKER,
    SELF_TRADE,
    SELL,
    TAKER,
    USER_CANCEL,
    Handler,
    new_tuple,
)
from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage
from engine.domain.risk_order import RiskOrder
from engine.domain.symbols import BPS
from engine.domain.types import (
    CASH,
    EXEC_IDS_PER_COMMAND,
    Accepted,
    BookAdd,
    BookDelete,
    BookExecute,
    Cancelled,
    CancelOrder,
    Event,
    Expired,
    Fill,
    NewOrder,
    Side,
)
from engine.domain.wallet import Position

Queue = deque[tuple[int, list[Event]]]


class WindowedPath:
    """The W > 1 fast path over the risk stage's, the matcher's and the Exchange's own state."""

    __slots__ = (
        "accounts",
        "books",
        "handlers",
        "last_seq",
        "morders",
        "queue",
        "rorders",
        "settler",
        "stp",
        "symbols",
        "window",
    )

    def __init__(
        self,
        risk: RiskStage,
        matcher: Matcher,
        queue: Queue,
        window: int,
        handlers: dict[type, Handler],
        last_seq: int,
    ) -> None:
        # The tables are bound once: they are never rebound (restore builds new stages, a new
        # queue and a new WindowedPath).
        self.symbols = risk.symbols
        self.accounts = risk.accounts
        self.rorders = risk.orders
        self.books = matcher.books
        self.morders = matcher.orders
        self.stp = matcher.stp
        #: the Exchange's queue itself: the separable handlers append to it too
        self.queue = queue
        self.window = window
        #: the Exchange's separable handlers of every command type
        self.handlers = handlers
        #: the settler, for the rare events (kept as their one implementation)
        self.settler = risk.settler
        #: the seq_no of the last command submitted (what Exchange.submit would record)
        self.last_seq = last_seq

    def submit(self, cmd: Any) -> list[Event]:
        """`Exchange.submit` for W > 1: drain, decide, drain (as `Exchange.submit`)."""
        seq = cmd[0]
        queue = self.queue
        window = self.window
        # Feedback of every command <= seq - W must be applied before the risk stage decides.
        # After a previous submit this already holds unless seq_no jumped.
        while queue and queue[0][0] <= seq - window:
            self.settler.apply(queue.popleft()[1])
        cls = cmd.__class__
        if cls is NewOrder:
            events = self.new_order(cmd)
        elif cls is CancelOrder:
            events = self.cancel(cmd)
        else:
            events = self.handlers[cls](cmd)
        self.last_seq = seq
        upto = seq + 1 - window
        if queue and queue[0][0] <= upto:
            # Usually exactly one entry (the command W - 1 before this one): drained inline.
            popleft = queue.popleft
            while queue and queue[0][0] <= upto:
                done = popleft()[1]
                if len(done) == 2:
                    cls = done[1].__class__
                    # [Accepted, BookAdd]: a resting order that did not trade changes no wallet.
                    if cls is BookAdd:
                        continue
                    # [Cancelled, BookDelete]: a cancel ends the order (Settler._end's
                    # arithmetic, its twin: keep the two alike).
                    first = done[0]
                    if cls is BookDelete and first.__class__ is Cancelled:
                        order = self.rorders.pop(first[0])
                        order.hold.held -= order.pool
                        order.pool = 0
                        order.owner.open_orders -= 1
                        continue
                self.settler.apply(done)
        return events

    def new_order(self, cmd: NewOrder) -> list[Event]:
        seq, ts, firm, account, symbol, side, otype, tif, qty, price, clid, post_only = cmd
        spec = self.symbols.get(symbol)
        acct = self.accounts.get(account)
        # RiskStage.new_order's checks as one guard: any failure -> the separable path. Enums
        # are tested by identity (a plain int equal to a member just goes the slow way); the
        # band is the risk stage's (min_price >= 1 also refuses a price that is not positive).
        if (
            otype is not LIMIT
            or post_only
            or (tif is not DAY and tif is not GTC and tif is not IOC)
            or (side is not BUY and side is not SELL)
            or spec is None
            or spec.halted
            or qty <= 0
            or qty % spec.lot
            or not spec.min_price <= price <= spec.max_price
            or price % spec.tick
            or acct is None
        ):
            return self.handlers[NewOrder](cmd)
        if acct.limited and (
            (acct.max_order_qty and qty > acct.max_order_qty)
            or (acct.max_notional and qty * price > acct.max_notional)
            or (acct.max_open_orders and acct.open_orders >= acct.max_open_orders)
        ):
            return self.handlers[NewOrder](cmd)
        is_buy = side is BUY
        need = qty * price if is_buy else qty
        positions = acct.positions
        hold = positions.get(CASH if is_buy else symbol)
        if hold is None or hold.total - hold.held < need:
            return self.handlers[NewOrder](cmd)
        asset = symbol if is_buy else CASH
        other = positions.get(asset)
        if other is None:
            other = positions[asset] = Position()

        # Accepted: the hold and the risk stage's record, as RiskOrder.create makes it.
        hold.held += need
        acct.open_orders += 1
        ro = RiskOrder()
        ro.order_id = seq
        ro.owner = acct
        ro.spec = spec
        ro.is_buy = is_buy
        ro.tif = tif
        ro.price = price
        ro.qty = qty
        ro.leaves = qty
        ro.pool = need
        ro.pending = 0
        ro.max_qty = qty
        ro.hi = price
        ro.hold = hold
        ro.other = other
        self.rorders[seq] = ro

        # Matcher.new_order for a plain limit order; its events go to the queue as they are.
        book = self.books[symbol]
        events: list[Event] = [new_tuple(Accepted, (seq, seq, account, clid))]
        self.queue.append((seq, events))
        opp = book.asks if is_buy else book.bids
        keys = opp.keys
        leaves = qty
        if keys and (-keys[-1] <= price if is_buy else keys[-1] >= price):
            leaves = self._take(book, opp, seq, ts, firm, account, side, is_buy, price, qty, events)
            if leaves < 0:
                return events  # self-trade prevention cancelled the incoming order
        if not leaves:
            return events
        if tif is IOC:
            events.append(new_tuple(Expired, (seq, account, leaves, EXPIRED_IOC)))
            return events

        # Rest: Order.create + BookSide.append, inlined.
        order = Order()
        order.order_id = seq
        order.account = account
        order.firm = firm
        order.side = side
        order.price = price
        order.qty = qty
        order.leaves = leaves
        order.tif = tif
        order.book = book
        order.next = None
        own = book.bids if is_buy else book.asks
        level = own.levels.get(price)
        if level is None:
            level = own.levels[price] = Level()
            level.price = price
            level.head = order
            level.total = leaves
            level.count = 1
            insort(own.keys, own.sign * price)
            order.prev = None
        else:
            tail = level.tail
            tail.next = order  # type: ignore[union-attr]
            order.prev = tail
            level.total += leaves
            level.count += 1
        level.tail = order
        order.level = level
        self.morders[seq] = order
        events.append(new_tuple(BookAdd, (symbol, seq, side, leaves, price)))
        return events

    def _take(
        self,
        book: Book,
        opp: BookSide,
        seq: int,
        ts: int,
        firm: str,
        account: str,
        side: Side,
        is_buy: bool,
        limit: int,
        leaves: int,
        events: list[Event],
    ) -> int:
        """Matcher._match for a limit taker (no settlement: that is the queue's); return its
        leaves, or -1 if self-trade prevention cancelled it."""
        spec = book.spec
        symbol = spec.symbol
        mode = self.stp.get(firm, CANCEL_RESTING)
        keys = opp.keys
        levels = opp.levels
        sign = opp.sign
        mside = SELL if is_buy else BUY
        exec_id = seq * EXEC_IDS_PER_COMMAND
        append = events.append
        morders = self.morders
        last = 0
        cancelled = False
        while leaves and keys:
            px = sign * keys[-1]
            if (px > limit) if is_buy else (px < limit):
                break
            level = levels[px]
            maker = level.head
            while maker is not None:
                nxt = maker.next
                mid = maker.order_id
                if maker.firm == firm:
                    if mode != CANCEL_INCOMING:
                        opp.unlink(maker)
                        del morders[mid]
                        append(new_tuple(Cancelled, (mid, maker.account, maker.leaves, SELF_TRADE)))
                        append(new_tuple(BookDelete, (symbol, mid)))
                    if mode != CANCEL_RESTING:
                        cancelled = True
                        break
                    maker = nxt
                    continue
                mleaves = maker.leaves
                q = leaves if leaves < mleaves else mleaves
                leaves -= q
                mleaves -= q
                maker.leaves = mleaves
                level.total -= q
                append(
                    new_tuple(Fill, (seq, account, symbol, side, q, px, leaves, ts, TAKER, exec_id))
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
                    # Every maker before it in this level was filled or STP-cancelled, so it
                    # is the head of the best level: pop it without the general unlink.
                    level.head = nxt
                    if nxt is None:
                        level.tail = None
                    else:
                        nxt.prev = None
                    level.count -= 1
                    if not level.count:
                        keys.pop()
                        del levels[px]
                    del morders[mid]
                if not leaves:
                    break
                maker = nxt
            if cancelled:
                break
        if last:
            # The matcher's reference becomes the last trade price (the risk stage's follows
            # when the fills are settled). SymbolSpec.set_reference, inlined.
            half = last * spec.band_bps // BPS
            low = last - half
            spec.reference = last
            spec.min_price = low if low > 1 else 1
            spec.max_price = last + half
        if cancelled:
            append(new_tuple(Cancelled, (seq, account, leaves, SELF_TRADE)))
            return -1
        return leaves

    def cancel(self, cmd: CancelOrder) -> list[Event]:
        """RiskStage.cancel + Matcher.cancel for a resting order cancelled by its owner."""
        oid = cmd.order_id
        ro = self.rorders.get(oid)
        if ro is None or ro.owner.name != cmd.account:
            return self.handlers[CancelOrder](cmd)
        order = self.morders.pop(oid, None)
        if order is None:
            # Ended in the matcher, not yet in the risk stage: the matcher's reject.
            return self.handlers[CancelOrder](cmd)
        book = order.book
        (book.bids if order.side == BUY else book.asks).unlink(order)
        events: list[Event] = [
            new_tuple(Cancelled, (oid, order.account, order.leaves, USER_CANCEL)),
            new_tuple(BookDelete, (book.spec.symbol, oid)),
        ]
        self.queue.append((cmd.seq_no, events))
        return events
