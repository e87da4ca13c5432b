"""The fused serial path: NewOrder and CancelOrder for feedback window W = 1 in one flat pass.

Contract. `SerialPath.submit` is `Exchange.submit` for W = 1. For a NewOrder (handled in that
frame) and a CancelOrder (`SerialPath.cancel`) it returns exactly the events, and leaves exactly
the state, that the separable path gives for W = 1:

    RiskStage.new_order -> Matcher.new_order -> Settler.apply(events)      (and likewise cancel)

They only take the commands that path would accept and that need no rare handling: a NewOrder
that is a plain limit order (DAY, GTC or IOC, not post-only) passing every risk check, and a
CancelOrder of a live order by its owner. Anything else (every reject, market, FOK and
post-only orders) is handed to the separable path unchanged, so each reject keeps exactly one
implementation. Because the fast path changes nothing before it decides, handing over is
always safe.

Why it is shaped like this. With W = 1 the settler sees a command's events at once, so the
feedback need not be replayed event by event: the taker's net effect on its wallet is closed
form (cash -cost / shares +filled, or the reverse, and a hold of exactly leaves x price or
leaves if it rests), and a maker's risk order always holds exactly its leaves x price (buy) or
leaves (sell) - no replace can be in flight between commands - so its fill needs no true-up.
Book operations are inlined where the general ones would pay a call for a case known here
(a filled maker is always the head of the best level). An order it rests is one
`SerialOrder` in both the risk stage's and the matcher's table (one allocation, not two); the
code here never assumes that, so states restored from a snapshot (two records per order) take
the same path. Everything is bound to locals; events are built with ``tuple.__new__`` (the
NamedTuple constructor is a Python function).

Complexity: the same as the separable path: O(1) per order added, cancelled or consumed, plus
O(log L) search and O(L) list insert/delete when a price level appears or disappears.
"""

from __future__ import annotations

from bisect import insort
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
from engine.domain.risk_order import SerialOrder
from engine.domain.symbols import BPS, SymbolSpec
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


class SerialPath:
    """The W = 1 fast path over the risk stage's and the matcher's own state."""

    __slots__ = (
        "accounts",
        "books",
        "handlers",
        "last_seq",
        "morders",
        "rorders",
        "slow_cancel",
        "slow_new",
        "stp",
        "symbols",
    )

    def __init__(
        self,
        risk: RiskStage,
        matcher: Matcher,
        slow_new: Handler,
        slow_cancel: Handler,
        handlers: dict[type, Handler],
        last_seq: int,
    ) -> None:
        # The stages' tables, bound once (they are never rebound; restore builds new stages
        # and a new SerialPath).
        self.symbols = risk.symbols
        self.accounts = risk.accounts
        self.rorders = risk.orders
        self.books = matcher.books
        self.morders = matcher.orders
        self.stp = matcher.stp
        #: the separable path, for every command the fast path does not take
        self.slow_new = slow_new
        self.slow_cancel = slow_cancel
        #: the Exchange's handlers of every other command type
        self.handlers = handlers
        #: the seq_no of the last command submitted (what Exchange.submit would record)
        self.last_seq = last_seq

    def submit(self, cmd: Any) -> list[Event]:
        """`Exchange.submit` for W = 1: a NewOrder is handled in this frame (the dispatch
        costs no extra call on the hottest command), anything else goes to its handler."""
        if cmd.__class__ is not NewOrder:
            self.last_seq = cmd[0]
            if cmd.__class__ is CancelOrder:
                return self.cancel(cmd)
            return self.handlers[cmd.__class__](cmd)
        seq, ts, firm, account, symbol, side, otype, tif, qty, price, clid, post_only = cmd
        self.last_seq = seq
        # The risk checks of RiskStage.new_order, as one guard: any failure -> separable path.
        # Enum fields are tested by identity: an IntEnum ``==`` takes CPython's generic compare,
        # and a plain int that equals a member is merely sent the slow (still exact) way.
        if (
            otype is not LIMIT
            or post_only
            or (tif is not DAY and tif is not GTC and tif is not IOC)
        ):
            return self.slow_new(cmd)
        spec = self.symbols.get(symbol)
        if spec is None or spec.halted or qty <= 0 or qty % spec.lot:
            return self.slow_new(cmd)
        # min_price >= 1, so this also refuses a price that is not positive.
        if not spec.min_price <= price <= spec.max_price or price % spec.tick:
            return self.slow_new(cmd)
        acct = self.accounts.get(account)
        if acct is None:
            return self.slow_new(cmd)
        if acct.limited:
            limit = acct.max_order_qty
            if limit and qty > limit:
                return self.slow_new(cmd)
            limit = acct.max_notional
            if limit and qty * price > limit:
                return self.slow_new(cmd)
            limit = acct.max_open_orders
            if limit and acct.open_orders >= limit:
                return self.slow_new(cmd)
        positions = acct.positions
        if side is BUY:
            is_buy = True
            hold = positions.get(CASH)
            if hold is None or hold.total - hold.held < qty * price:
                return self.slow_new(cmd)
            other = positions.get(symbol)
            if other is None:
                other = positions[symbol] = Position()
        elif side is SELL:
            is_buy = False
            hold = positions.get(symbol)
            if hold is None or hold.total - hold.held < qty:
                return self.slow_new(cmd)
            other = positions.get(CASH)
            if other is None:
                other = positions[CASH] = Position()
        else:
            return self.slow_new(cmd)

        # Accepted: match. The hold is taken and settled in closed form below.
        book = self.books[symbol]
        events: list[Event] = [new_tuple(Accepted, (seq, seq, account, clid))]
        opp = book.asks if is_buy else book.bids
        keys = opp.keys
        leaves = qty
        if keys and (-keys[-1] <= price if is_buy else keys[-1] >= price):
            leaves, cost, cancelled = self._take(
                book, opp, spec, seq, ts, firm, account, side, is_buy, price, qty, events
            )
            filled = qty - leaves
            if filled:
                if is_buy:
                    hold.total -= cost
                    other.total += filled
                else:
                    hold.total -= filled
                    other.total += cost
            if cancelled:
                return events
        if not leaves:
            return events
        if tif is IOC:
            events.append(new_tuple(Expired, (seq, account, leaves, EXPIRED_IOC)))
            return events

        # Rest.
        pool = leaves * price if is_buy else leaves
        hold.held += pool
        acct.open_orders += 1
        # One record in both tables (see SerialOrder): the risk order holding exactly
        # leaves x price (or leaves) and the book order.
        ro = SerialOrder()
        ro.order_id = seq
        ro.owner = acct
        ro.spec = spec
        ro.is_buy = is_buy
        ro.tif = tif
        ro.price = price
        ro.qty = qty
        ro.leaves = leaves
        ro.pool = pool
        ro.pending = 0
        ro.max_qty = qty
        ro.hi = price
        ro.hold = hold
        ro.other = other
        ro.account = account
        ro.firm = firm
        ro.side = side
        ro.book = book
        ro.next = None
        self.rorders[seq] = ro
        order: Order = ro  # type: ignore[assignment]
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
        spec: SymbolSpec,
        seq: int,
        ts: int,
        firm: str,
        account: str,
        side: Side,
        is_buy: bool,
        limit: int,
        leaves: int,
        events: list[Event],
    ) -> tuple[int, int, bool]:
        """Trade a limit taker against ``opp`` up to ``limit`` (Matcher._match plus the makers'
        settlement); return (leaves, cash traded, whether STP cancelled the taker)."""
        symbol = spec.symbol
        mode = self.stp.get(firm, CANCEL_RESTING)
        keys = opp.keys
        levels = opp.levels
        sign = opp.sign
        mside = SELL if is_buy else BUY
        exec_id = seq * EXEC_IDS_PER_COMMAND
        append = events.append
        morders = self.morders
        rorders = self.rorders
        last = 0
        cost = 0
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
                        ro = rorders.pop(mid)
                        ro.hold.held -= ro.pool
                        ro.owner.open_orders -= 1
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
                notional = q * px
                cost += notional
                # The maker's settlement; its pool stays exactly leaves x price (or leaves).
                ro = rorders[mid]
                hold = ro.hold
                if is_buy:
                    hold.total -= q
                    hold.held -= q
                    ro.pool -= q
                    ro.other.total += notional
                else:
                    hold.total -= notional
                    hold.held -= notional
                    ro.pool -= notional
                    ro.other.total += q
                ro.leaves = mleaves
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
                    del rorders[mid]
                    ro.owner.open_orders -= 1
                if not leaves:
                    break
                maker = nxt
            if cancelled:
                break
        if last:
            # Both stages' reference becomes the last trade price (the settler sets it per
            # fill). SymbolSpec.set_reference inlined for both specs (same band).
            half = last * spec.band_bps // BPS
            low = last - half
            low = low if low > 1 else 1
            high = last + half
            mspec = book.spec
            spec.reference = mspec.reference = last
            spec.min_price = mspec.min_price = low
            spec.max_price = mspec.max_price = high
        if cancelled:
            append(new_tuple(Cancelled, (seq, account, leaves, SELF_TRADE)))
        return leaves, cost, cancelled

    def cancel(self, cmd: CancelOrder) -> list[Event]:
        oid = cmd.order_id
        rorders = self.rorders
        ro = rorders.get(oid)
        if ro is None or ro.owner.name != cmd.account:
            return self.slow_cancel(cmd)
        order = self.morders.pop(oid, None)
        if order is None:
            return self.slow_cancel(cmd)
        del rorders[oid]
        # BookSide.unlink, inlined: a quarter of the hot workload is cancels.
        level = order.level
        prev = order.prev
        nxt = order.next
        if prev is None:
            level.head = nxt  # type: ignore[union-attr]
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev  # type: ignore[union-attr]
        else:
            nxt.prev = prev
        level.total -= order.leaves  # type: ignore[union-attr]
        level.count -= 1  # type: ignore[union-attr]
        if not level.count:  # type: ignore[union-attr]
            book = order.book
            (book.bids if order.side == BUY else book.asks).drop_level(level)  # type: ignore[arg-type]
        ro.hold.held -= ro.pool
        ro.owner.open_orders -= 1
        return [
            new_tuple(Cancelled, (oid, order.account, order.leaves, USER_CANCEL)),
            new_tuple(BookDelete, (ro.spec.symbol, oid)),
        ]
