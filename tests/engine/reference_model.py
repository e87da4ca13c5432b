"""A naive reference exchange: the semantics of issue 3 written as plainly as possible.

Written independently of ``engine.domain`` to be compared with it event by event (serial
risk, feedback window W = 1). Clarity over speed: resting orders live in one flat list that is
filtered and sorted whenever the best order is needed, balances in a dict keyed by
``(account, asset)``. Nothing here is shared with the engine except the vocabulary of
``engine.domain.types``.

State, wallets and the administration commands are in ``reference_state``; this module holds
the trading semantics. Conventions the issue leaves open follow the engine's documented
choices (engine/domain/matcher.py and risk.py docstrings), and only those:

* event order: ``Accepted``; per trade taker ``Fill``, maker ``Fill``, ``BookExecute``; an STP
  cancel ``Cancelled`` + ``BookDelete`` (resting) / ``Cancelled`` (incoming); then ``BookAdd``
  or ``Expired``; cancel ``Cancelled`` + ``BookDelete``; EndOfDay bids then asks, best first;
* the order of the NewOrder checks (symbol, halt, order kind, qty, price, limits, funds);
* the band is ``reference +- reference * band_bps // 10_000`` (no tick rounding);
* a replace that crosses the book trades at once, as an incoming order.
"""

from __future__ import annotations

from engine.domain.types import (
    CASH,
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
    CancelReason,
    Command,
    DayEnded,
    Deposit,
    EndOfDay,
    Event,
    Expired,
    ExpireReason,
    Fill,
    Halt,
    Liquidity,
    NewOrder,
    OpenAccount,
    OrderType,
    Replaced,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SessionNote,
    SessionNoted,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Side,
    TimeInForce,
    Withdraw,
)
from tests.engine.reference_state import R, ReferenceState, RefOrder, Reject


class ReferenceExchange(ReferenceState):
    """``submit(cmd) -> events``: the semantics of each command, over ReferenceState."""

    def submit(self, cmd: Command) -> list[Event]:
        handler = {
            NewOrder: self._new_order,
            CancelOrder: self._cancel,
            ReplaceOrder: self._replace,
            AddSymbol: self._add_symbol,
            Deposit: self._deposit,
            Withdraw: self._withdraw,
            Halt: self._halt,
            Resume: self._halt,
            SetRiskLimits: self._limits,
            SetSelfTradePrevention: self._set_stp,
            EndOfDay: self._end_of_day,
            OpenAccount: self._open_account,
            Settle: self._settle_command,
            SessionNote: self._session_note,
        }[type(cmd)]
        return handler(cmd)  # type: ignore[operator,no-any-return]

    def _session_note(self, cmd: SessionNote) -> list[Event]:
        """A gateway session's note: its fields back as its one event; nothing changes."""
        return [SessionNoted(cmd.seq_no, cmd.note, cmd.account, cmd.token, *cmd[5:])]

    def _end_of_day(self, cmd: EndOfDay) -> list[Event]:
        """Expire the symbol's DAY orders: bids then asks, each best price first, in time
        priority (the engine's documented order); each ``Expired`` + ``BookDelete``."""
        if cmd.symbol not in self.symbols:
            return [self._rejected(cmd.seq_no, "", "", 0, R.UNKNOWN_SYMBOL)]
        events: list[Event] = []
        for side in (Side.BUY, Side.SELL):
            for price, _, _ in self.depth(cmd.symbol, side):
                for order_id in self.orders_at(cmd.symbol, side, price):
                    order = self.find(order_id)
                    assert order is not None
                    if order.tif == TimeInForce.DAY:
                        leaves = order.leaves
                        self._remove(order)
                        events.append(
                            Expired(order_id, order.account, leaves, ExpireReason.END_OF_DAY)
                        )
                        events.append(BookDelete(cmd.symbol, order_id))
        events.append(DayEnded(cmd.symbol))
        return events

    def _settle_command(self, cmd: Settle) -> list[Event]:
        """Rules 3: the reference netting (tests.engine.reference_settlement); what the
        accounts receive stops counting as unsettled (it is summed from the list)."""
        if self.rules < 3:
            return [self._rejected(cmd.seq_no, "", "", 0, R.UNSUPPORTED_COMMAND)]
        refused = self.settlement.check(cmd, set(self.symbols))
        if refused is not None:
            return [self._rejected(cmd.seq_no, "", "", 0, refused)]
        return self.settlement.settle(cmd)

    def _check_new(self, cmd: NewOrder) -> int:
        """Validate a NewOrder and return the cash held per share of a buy (its limit price or,
        for a market buy, the band's upper edge); raises Reject. Checks in the engine's order:
        symbol, halt, order kind, qty, price, limits, open orders, funds; from rules 2 first
        that the firm opened the account."""
        if self.rules >= 2 and self.firms.get(cmd.account) != cmd.firm:
            raise Reject(R.NOT_FIRMS_ACCOUNT)
        sym = self.symbols.get(cmd.symbol)
        if sym is None:
            raise Reject(R.UNKNOWN_SYMBOL)
        if sym.halted:
            raise Reject(R.SYMBOL_HALTED)
        market = cmd.order_type == OrderType.MARKET
        if market and (cmd.tif in (TimeInForce.DAY, TimeInForce.GTC) or cmd.post_only):
            raise Reject(R.INVALID_ORDER)
        if cmd.post_only and cmd.tif in (TimeInForce.IOC, TimeInForce.FOK):
            raise Reject(R.INVALID_ORDER)
        if cmd.qty <= 0 or cmd.qty % sym.lot:
            raise Reject(R.INVALID_QTY)
        if market:
            if cmd.price != 0:
                raise Reject(R.INVALID_PRICE)
            price = sym.band()[1]  # a market order's notional and a market buy's hold
        else:
            self._check_price(sym, cmd.price)
            price = cmd.price
        self._check_limits(cmd.account, cmd.qty, cmd.qty * price)
        max_open = self.limits.get(cmd.account, (0, 0, 0))[2]
        open_orders = sum(1 for o in self.resting if o.account == cmd.account)
        if max_open and open_orders >= max_open:
            raise Reject(R.TOO_MANY_OPEN_ORDERS)
        self._check_funds(cmd.account, cmd.symbol, cmd.side, cmd.qty, price)
        return price

    def _new_order(self, cmd: NewOrder) -> list[Event]:
        try:
            hold_price = self._check_new(cmd)
        except Reject as reject:
            return [self._rejected(cmd.seq_no, cmd.account, cmd.client_order_id, 0, reject.reason)]
        market = cmd.order_type == OrderType.MARKET
        sym = self.symbols[cmd.symbol]
        # how far the order may trade: its limit, or for a market order the band's edge
        limit = cmd.price if not market else sym.band()[0 if cmd.side == Side.SELL else 1]
        order = RefOrder(
            cmd.seq_no, cmd.account, cmd.firm, cmd.symbol, cmd.side, limit, cmd.qty, 0,
            cmd.tif, hold_price, self._take_priority(), cmd.post_only,
        )  # fmt: skip
        if cmd.post_only and self._opposite(order):
            refusal = R.POST_ONLY_WOULD_TAKE
            return [self._rejected(cmd.seq_no, cmd.account, cmd.client_order_id, 0, refusal)]
        accepted = Accepted(order.order_id, cmd.seq_no, cmd.account, cmd.client_order_id)
        if cmd.tif == TimeInForce.FOK and not self._fok_fills(order):
            return [accepted, Expired(order.order_id, order.account, order.qty, ExpireReason.FOK)]
        self._hold(order, order.qty)
        events: list[Event] = [accepted]
        if self._match(order, cmd.seq_no, cmd.ts, events) or order.leaves == 0:
            return events
        if cmd.tif in (TimeInForce.DAY, TimeInForce.GTC):
            return [*events, self._rest(order)]
        if market:
            reason = ExpireReason.MARKET
        else:
            reason = ExpireReason.IOC if cmd.tif == TimeInForce.IOC else ExpireReason.FOK
        self._hold(order, -order.leaves)
        return [*events, Expired(order.order_id, order.account, order.leaves, reason)]

    def _rest(self, order: RefOrder) -> BookAdd:
        self.resting.append(order)
        return BookAdd(order.symbol, order.order_id, order.side, order.leaves, order.price)

    def _opposite(self, order: RefOrder) -> list[RefOrder]:
        """Resting orders that ``order`` could trade with, in the order it would meet them."""
        if order.side == Side.BUY:
            asks = [o for o in self.resting if o.side == Side.SELL and o.symbol == order.symbol]
            return sorted(
                [o for o in asks if o.price <= order.price], key=lambda o: (o.price, o.priority)
            )
        bids = [o for o in self.resting if o.side == Side.BUY and o.symbol == order.symbol]
        return sorted(
            [o for o in bids if o.price >= order.price], key=lambda o: (-o.price, o.priority)
        )

    def _fok_fills(self, order: RefOrder) -> bool:
        """Would matching fill all of ``order``? Own-firm orders are skipped when the firm's
        STP mode cancels only the resting order; under the other modes they end the attempt."""
        mode = self.stp.get(order.firm, SelfTradePrevention.CANCEL_RESTING)
        available = 0
        for resting in self._opposite(order):
            if resting.firm == order.firm:
                if mode != SelfTradePrevention.CANCEL_RESTING:
                    return False
                continue
            available += resting.leaves
            if available >= order.leaves:
                return True
        return False

    def _match(self, order: RefOrder, seq_no: int, ts: int, events: list[Event]) -> bool:
        """Trade ``order`` against the book at the resting prices, appending the events; True
        if self-trade prevention cancelled ``order`` (its hold is then released)."""
        mode = self.stp.get(order.firm, SelfTradePrevention.CANCEL_RESTING)
        exec_id = seq_no * EXEC_IDS_PER_COMMAND
        for resting in self._opposite(order):
            if order.leaves == 0:
                break
            if resting.firm == order.firm:
                if mode != SelfTradePrevention.CANCEL_INCOMING:
                    leaves = resting.leaves
                    self._remove(resting)
                    events.append(
                        Cancelled(
                            resting.order_id, resting.account, leaves, CancelReason.SELF_TRADE
                        )
                    )
                    events.append(BookDelete(resting.symbol, resting.order_id))
                if mode != SelfTradePrevention.CANCEL_RESTING:
                    leaves = order.leaves
                    self._hold(order, -leaves)
                    events.append(
                        Cancelled(order.order_id, order.account, leaves, CancelReason.SELF_TRADE)
                    )
                    return True
                continue
            qty = min(order.leaves, resting.leaves)
            price = resting.price
            self._settle(order, qty, price)
            self._settle(resting, qty, price)
            if self.rules >= 3:
                for side in (order, resting):
                    self.settlement.trade(
                        ts, side.symbol, side.account, side.firm, side.side, qty, price
                    )
            self.symbols[order.symbol].reference = price
            events.append(self._fill(order, qty, price, ts, Liquidity.TAKER, exec_id))
            events.append(self._fill(resting, qty, price, ts, Liquidity.MAKER, exec_id))
            events.append(BookExecute(order.symbol, resting.order_id, qty, price, exec_id))
            exec_id += 1
            if resting.leaves == 0:
                self.resting.remove(resting)
        return False

    @staticmethod
    def _fill(order: RefOrder, qty: int, price: int, ts: int, liq: Liquidity, exec_id: int) -> Fill:
        return Fill(
            order.order_id, order.account, order.symbol, order.side, qty, price, order.leaves,
            ts, liq, exec_id,
        )  # fmt: skip

    def _settle(self, order: RefOrder, qty: int, price: int) -> None:
        """``order`` traded ``qty`` at ``price``: move cash and shares, consume its hold."""
        self._hold(order, -qty)
        order.filled += qty
        cash = self._position(order.account, CASH)
        shares = self._position(order.account, order.symbol)
        if order.side == Side.BUY:
            cash[0] -= qty * price
            shares[0] += qty
        else:
            cash[0] += qty * price
            shares[0] -= qty

    def _owned(self, account: str, order_id: int) -> RefOrder:
        order = self.find(order_id)
        if order is None:
            raise Reject(R.UNKNOWN_ORDER)
        if order.account != account:
            raise Reject(R.NOT_ORDER_OWNER)
        return order

    def _cancel(self, cmd: CancelOrder) -> list[Event]:
        try:
            order = self._owned(cmd.account, cmd.order_id)
        except Reject as reject:
            return [self._rejected(cmd.seq_no, cmd.account, "", cmd.order_id, reject.reason)]
        leaves = order.leaves
        self._remove(order)
        return [
            Cancelled(order.order_id, order.account, leaves, CancelReason.USER),
            BookDelete(order.symbol, order.order_id),
        ]

    def _check_replace(self, cmd: ReplaceOrder) -> RefOrder:
        order = self._owned(cmd.account, cmd.order_id)
        sym = self.symbols[order.symbol]
        if sym.halted:
            raise Reject(R.SYMBOL_HALTED)
        if cmd.qty <= 0 or cmd.qty % sym.lot:
            raise Reject(R.INVALID_QTY)
        self._check_price(sym, cmd.price)
        self._check_limits(cmd.account, cmd.qty, cmd.qty * cmd.price)
        if cmd.qty > order.filled:
            # fundable once the order's current hold is given back
            if order.side == Side.BUY:
                total, held = self.balance(order.account, CASH)
                free = total - held + order.leaves * order.hold_price
                if (cmd.qty - order.filled) * cmd.price > free:
                    raise Reject(R.INSUFFICIENT_CASH)
            else:
                total, held = self.balance(order.account, order.symbol)
                if cmd.qty - order.filled > total - held + order.leaves:
                    raise Reject(R.INSUFFICIENT_SHARES)
        return order

    def _replace(self, cmd: ReplaceOrder) -> list[Event]:
        """Replace a live limit order; a replace that crosses the book trades at once as an
        incoming order (``Replaced``, ``BookDelete``, trades, ``BookAdd`` for a remainder)."""
        try:
            order = self._check_replace(cmd)
        except Reject as reject:
            return [self._rejected(cmd.seq_no, cmd.account, "", cmd.order_id, reject.reason)]
        if cmd.qty <= order.filled:
            leaves = order.leaves
            self._remove(order)
            return [
                Cancelled(order.order_id, order.account, leaves, CancelReason.REPLACED_AWAY),
                BookDelete(order.symbol, order.order_id),
            ]
        keep = cmd.price == order.price and cmd.qty <= order.qty
        if not keep and order.post_only and self.rules >= 2:
            moved = RefOrder(**{**order.__dict__, "price": cmd.price})
            if self._opposite(moved):  # it would take: refused, the order stays as it was
                refusal = R.POST_ONLY_WOULD_TAKE
                return [self._rejected(cmd.seq_no, cmd.account, "", cmd.order_id, refusal)]
        cut = order.qty - cmd.qty
        self._hold(order, -order.leaves)
        order.qty, order.price, order.hold_price = cmd.qty, cmd.price, cmd.price
        self._hold(order, order.leaves)
        events: list[Event] = [
            Replaced(order.order_id, order.account, order.qty, order.price, order.leaves, keep)
        ]
        if keep:
            return events + ([BookReduce(order.symbol, order.order_id, cut)] if cut else [])
        order.priority = self._take_priority()
        if not self._opposite(order):
            return [
                *events,
                BookReplace(order.symbol, order.order_id, order.side, order.leaves, order.price),
            ]
        self.resting.remove(order)
        events.append(BookDelete(order.symbol, order.order_id))
        if not self._match(order, cmd.seq_no, cmd.ts, events) and order.leaves:
            events.append(self._rest(order))
        return events
