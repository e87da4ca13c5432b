"""The risk stage (order manager): checks and holds before matching, wallet administration.

Contract. For a trading command the stage either refuses it (one ``Rejected``; nothing
changed) or accepts it, holding funds first, and lets it go on to the matcher that owns the
symbol, which then emits all of the command's events. Wallet and limits administration
(OpenAccount, Deposit, Withdraw, SetRiskLimits, SetSelfTradePrevention) is answered here.
Under rules 1 a deposit or a limits change creates the account it names; from rules 2 on only
OpenAccount does, and the others refuse an account never opened (UNKNOWN_ACCOUNT). Symbol
administration (AddSymbol, Halt, Resume, EndOfDay) is validated and recorded here and answered
by the matcher. So is Settle (rules 3): refused UNSUPPORTED_COMMAND under rules 1 and 2, then
UNKNOWN_SYMBOL, INVALID_SETTLEMENT (a date that is not one, or a settlement date not after the
trade date) and ALREADY_SETTLED (a trade date at or before the symbol's last settled one).

Withdrawals under rules 3 take only settled, free assets: ``total - held - receiving``, where
``receiving`` (`engine.domain.wallet`) is what trades credited and has not settled; an amount
that only unsettled receipts would cover is refused UNSETTLED.

NewOrder checks, in this order: from rules version 2 (`engine.domain.rules`)
NOT_FIRMS_ACCOUNT (the account was opened by the order's firm), then UNKNOWN_SYMBOL,
SYMBOL_HALTED, INVALID_ORDER (a market order must be IOC or FOK and not post-only; post-only
needs DAY or GTC), INVALID_QTY, INVALID_PRICE, PRICE_OFF_TICK, PRICE_OUTSIDE_BAND,
QTY_ABOVE_LIMIT, NOTIONAL_ABOVE_LIMIT (a market order's notional is taken at the band top),
TOO_MANY_OPEN_ORDERS, then INSUFFICIENT_CASH (a buy holds qty x limit price, a market buy
qty x band top) or INSUFFICIENT_SHARES (a sell holds its qty). Under rules 1 an account never
funded gets INSUFFICIENT_CASH / INSUFFICIENT_SHARES right after PRICE_OUTSIDE_BAND.

The stage learns what matching did only through `FillFeedback` (the matcher's events, fed back
with the feedback window), so its view of reference prices, fills and live orders may lag; every
hold is sized so that lag can only make it too large, never too small.

Products such as qty x price are compared against limits and balances without ever being
formed when they would not fit in 64 bits (:func:`product_exceeds`), so the compiled build and
the uncompiled one decide alike on every input. Admin commands whose numbers do not fit in a
signed 64-bit integer are refused (INVALID_SYMBOL_SPEC, INVALID_LIMITS) or, for amounts,
caught by the supply cap (AMOUNT_TOO_LARGE).

Fencing (docs/replication.md). A ``Fence(epoch)`` is no trading matter: it changes no book or
wallet and has no event; the stage records ``(epoch, seq_no)`` in ``fences`` when the epoch is
above the current one (an epoch never goes down), so the epoch is part of the state.

Session notes. A ``SessionNote`` (a gateway session's own fact, journaled so that a standby
rebuilds the session exactly) is no trading matter either: in every rules version the stage
answers it with its one ``SessionNoted`` and changes nothing, so it never moves the state hash.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.domain.dates import from_yyyymmdd
from engine.domain.feedback import FillFeedback
from engine.domain.reasons import reject
from engine.domain.risk_order import RiskOrder
from engine.domain.rules import CURRENT_RULES, RULES_V2, RULES_V3, check_rules
from engine.domain.symbols import MAX_INT64, SymbolSpec, invalid_spec
from engine.domain.types import (
    CASH,
    KEEP_LIMIT,
    AccountOpened,
    AddSymbol,
    BalanceChanged,
    CancelOrder,
    Deposit,
    Event,
    Fence,
    LimitsSet,
    NewOrder,
    OpenAccount,
    Rejected,
    RejectReason,
    ReplaceOrder,
    SessionNote,
    SessionNoted,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    StpSet,
    Withdraw,
)
from engine.domain.wallet import Account, Position

if cython.compiled:
    from cython.cimports.engine.domain.hot import BUY, DAY, FOK, GTC, IOC, LIMIT, MARKET, SELL
    from cython.cimports.engine.domain.risk_order import new_risk_order
else:
    from engine.domain.hot import BUY, DAY, FOK, GTC, IOC, LIMIT, MARKET, SELL
    from engine.domain.risk_order import new_risk_order

R = RejectReason
#: The most of one asset that can exist across all accounts: what a signed 64-bit field holds.
MAX_SUPPLY = MAX_INT64


@cython.cfunc
@cython.inline
def product_exceeds(a: cython.longlong, b: cython.longlong, limit: cython.longlong) -> cython.bint:
    """``a * b > limit`` for ``a, b, limit >= 0``, without forming a product that may not fit."""
    return b != 0 and a > limit // b


@cython.final
@cython.cclass
class RiskStage:
    """Symbols, halts, accounts (wallets and limits) and the table of live orders."""

    symbols: dict[str, SymbolSpec]
    accounts: dict[str, Account]
    orders: dict[int, RiskOrder]
    feedback: FillFeedback
    #: the Rejected of the last NewOrder `hold_new` refused
    last_reject: Any
    #: the rules version (`engine.domain.rules`) the stage runs
    rules: cython.longlong
    #: rules >= 2: accounts belong to firms and must be opened
    accounts_opened: cython.bint
    #: rules >= 3: trades settle by Settle commands; withdrawals take settled assets only
    settling: cython.bint
    #: rules 3: symbol -> the epoch day (`engine.domain.dates`) it is settled through
    settled: dict[str, int]
    #: the fencing tokens journaled so far: (epoch, seq_no of its Fence), epochs rising
    fences: list[tuple[int, int]]

    def __init__(self, serial: cython.bint = True, rules: cython.longlong = CURRENT_RULES) -> None:
        self.symbols = {}
        self.accounts = {}
        self.orders = {}
        #: serial (W = 1): see `engine.domain.feedback` for what the window changes here
        self.rules = check_rules(rules)
        self.accounts_opened = rules >= RULES_V2
        self.settling = rules >= RULES_V3
        self.settled = {}
        self.fences = []
        self.feedback = FillFeedback(self.orders, serial, self.accounts, self.settling)
        self.last_reject = None

    @property
    def serial(self) -> bool:
        return self.feedback.serial

    @property
    def epoch(self) -> int:
        """The epoch of the last Fence (0: none was journaled)."""
        return self.fences[-1][0] if self.fences else 0

    def fence(self, cmd: Fence) -> list[Event]:
        """Record a fencing token (no event: see the module contract)."""
        if cmd.epoch > self.epoch:
            self.fences.append((cmd.epoch, cmd.seq_no))
        return []

    def session_note(self, cmd: SessionNote) -> list[Event]:
        """A gateway session's note: its one event, nothing changed (the module contract)."""
        return [
            SessionNoted(cmd.seq_no, cmd.note, cmd.account, cmd.token, cmd.a, cmd.b, cmd.c, cmd.d)
        ]

    @cython.ccall
    def account(self, name: str) -> Account:
        acct: Account | None = self.accounts.get(name)
        if acct is None:
            acct = Account(name)
            self.accounts[name] = acct
        return acct

    # -- trading --------------------------------------------------------------------------

    def new_order(self, cmd: NewOrder) -> Rejected | int:
        """Refuse ``cmd`` or hold for it; on acceptance return the hold price ("cap")."""
        cap = self.hold_new(
            cmd[0], cmd[2], cmd[3], cmd[4], cmd[5], cmd[6], cmd[7], cmd[8], cmd[9], cmd[10],
            cmd[11],
        )  # fmt: skip
        return cap if cap else self.last_reject

    @cython.ccall
    def hold_new(
        self,
        seq: Any,
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
    ) -> cython.longlong:
        """Check and hold for a NewOrder; return its cap (>= 1), or 0 with ``last_reject``."""
        acct: Account | None = self.accounts.get(account)
        if self.accounts_opened and (acct is None or acct.firm != firm):
            return self.refuse(seq, account, clid, R.NOT_FIRMS_ACCOUNT)
        spec: SymbolSpec | None = self.symbols.get(symbol)
        if spec is None:
            return self.refuse(seq, account, clid, R.UNKNOWN_SYMBOL)
        if spec.halted:
            return self.refuse(seq, account, clid, R.SYMBOL_HALTED)
        if otype == LIMIT:
            if tif < DAY or tif > FOK or (post_only and tif != DAY and tif != GTC):
                return self.refuse(seq, account, clid, R.INVALID_ORDER)
        elif otype != MARKET or (tif != IOC and tif != FOK) or post_only:
            return self.refuse(seq, account, clid, R.INVALID_ORDER)
        if side != BUY and side != SELL:
            return self.refuse(seq, account, clid, R.INVALID_ORDER)
        if qty <= 0 or qty % spec.lot:
            return self.refuse(seq, account, clid, R.INVALID_QTY)
        hold_price: cython.longlong
        if otype == MARKET:
            if price != 0:
                return self.refuse(seq, account, clid, R.INVALID_PRICE)
            hold_price = spec.max_price  # the band top
        else:
            if price <= 0:
                return self.refuse(seq, account, clid, R.INVALID_PRICE)
            if price % spec.tick:
                return self.refuse(seq, account, clid, R.PRICE_OFF_TICK)
            # min_price is the band bottom or 1; price >= 1 here, so both tests agree
            if price < spec.min_price or price > spec.max_price:
                return self.refuse(seq, account, clid, R.PRICE_OUTSIDE_BAND)
            hold_price = price
        is_buy: cython.bint = side == BUY
        if acct is None:
            # No account has never been funded: nothing to hold from.
            return self.refuse(
                seq, account, clid, R.INSUFFICIENT_CASH if is_buy else R.INSUFFICIENT_SHARES
            )
        if acct.limited:
            if acct.max_order_qty and qty > acct.max_order_qty:
                return self.refuse(seq, account, clid, R.QTY_ABOVE_LIMIT)
            if acct.max_notional and product_exceeds(qty, hold_price, acct.max_notional):
                return self.refuse(seq, account, clid, R.NOTIONAL_ABOVE_LIMIT)
            if acct.max_open_orders and acct.open_orders >= acct.max_open_orders:
                return self.refuse(seq, account, clid, R.TOO_MANY_OPEN_ORDERS)
        positions = acct.positions
        pos: Position | None
        other: Position | None
        need: cython.longlong
        if is_buy:
            pos = positions.get(CASH)
            if pos is None or product_exceeds(qty, hold_price, pos.total - pos.held):
                return self.refuse(seq, account, clid, R.INSUFFICIENT_CASH)
            need = qty * hold_price
            other = positions.get(symbol)
            if other is None:
                other = acct.position(symbol)
        else:
            need = qty
            pos = positions.get(symbol)
            if pos is None or pos.total - pos.held < need:
                return self.refuse(seq, account, clid, R.INSUFFICIENT_SHARES)
            other = positions.get(CASH)
            if other is None:
                other = acct.position(CASH)
        pos.held += need
        acct.open_orders += 1
        self.orders[seq] = new_risk_order(
            seq, acct, spec, is_buy, tif, hold_price, qty, need, pos, other
        )
        return hold_price

    @cython.cfunc
    def refuse(self, seq: Any, account: str, clid: Any, reason: Any) -> cython.longlong:
        self.last_reject = reject(seq, account, clid, 0, reason)
        return 0

    def cancel(self, cmd: CancelOrder) -> Rejected | None:
        return self.check_cancel(cmd[0], cmd[2], cmd[3])  # type: ignore[no-any-return]

    @cython.ccall
    def check_cancel(self, seq: Any, account: str, oid: Any) -> Any:
        """None if ``account`` may cancel ``oid``, else the Rejected."""
        order: RiskOrder | None = self.orders.get(oid)
        if order is None:
            return reject(seq, account, "", oid, R.UNKNOWN_ORDER)
        if order.owner.name != account:
            return reject(seq, account, "", oid, R.NOT_ORDER_OWNER)
        return None

    def replace(self, cmd: ReplaceOrder) -> Rejected | None:
        return self.check_replace(cmd[0], cmd[2], cmd[3], cmd[4], cmd[5])  # type: ignore[no-any-return]

    @cython.ccall
    def check_replace(
        self,
        seq: Any,
        account: str,
        oid: Any,
        qty: cython.longlong,
        price: cython.longlong,
    ) -> Any:
        """Check a replace and hold for every terms the order may have until it is applied
        (`FillFeedback.replace_qty` / `replace_price`); None if accepted, else the Rejected."""
        order: RiskOrder | None = self.orders.get(oid)
        if order is None or order.tif == IOC or order.tif == FOK:
            return reject(seq, account, "", oid, R.UNKNOWN_ORDER)
        if order.owner.name != account:
            return reject(seq, account, "", oid, R.NOT_ORDER_OWNER)
        spec: SymbolSpec = order.spec
        if spec.halted:
            return reject(seq, account, "", oid, R.SYMBOL_HALTED)
        if qty <= 0 or qty % spec.lot:
            return reject(seq, account, "", oid, R.INVALID_QTY)
        if price <= 0:
            return reject(seq, account, "", oid, R.INVALID_PRICE)
        if price % spec.tick:
            return reject(seq, account, "", oid, R.PRICE_OFF_TICK)
        if price < spec.min_price or price > spec.max_price:
            return reject(seq, account, "", oid, R.PRICE_OUTSIDE_BAND)
        acct: Account = order.owner
        if acct.max_order_qty and qty > acct.max_order_qty:
            return reject(seq, account, "", oid, R.QTY_ABOVE_LIMIT)
        if acct.max_notional and product_exceeds(qty, price, acct.max_notional):
            return reject(seq, account, "", oid, R.NOTIONAL_ABOVE_LIMIT)
        max_qty: cython.longlong = self.feedback.replace_qty(order, qty)
        top: cython.longlong = self.feedback.replace_price(order, price)
        units: cython.longlong = max_qty - (order.qty - order.leaves)
        pos: Position = order.hold
        # need = units x (top for a buy, 1 for a sell); the extra over the pool must be free,
        # i.e. need <= pool + free (which fits: it is at most the position's total)
        room: cython.longlong = order.pool + pos.total - pos.held
        if order.is_buy and units > 0 and product_exceeds(units, top, room):
            return reject(seq, account, "", oid, R.INSUFFICIENT_CASH)
        need: cython.longlong = units * top if order.is_buy else units
        extra: cython.longlong = need - order.pool
        if extra > 0:
            if pos.total - pos.held < extra:
                reason = R.INSUFFICIENT_CASH if order.is_buy else R.INSUFFICIENT_SHARES
                return reject(seq, account, "", oid, reason)
            pos.held += extra
            order.pool = need
        order.max_qty = max_qty
        order.hi = top
        order.pending += 1
        return None

    # -- symbol administration (answered by the matcher) ----------------------------------

    def add_symbol(self, cmd: AddSymbol) -> Rejected | None:
        if cmd.symbol in self.symbols:
            return reject(cmd.seq_no, "", "", 0, R.DUPLICATE_SYMBOL)
        numbers = (cmd.tick_size, cmd.lot_size, cmd.reference_price, cmd.band_bps)
        if invalid_spec(cmd, CASH) or max(numbers) > MAX_INT64:
            return reject(cmd.seq_no, "", "", 0, R.INVALID_SYMBOL_SPEC)
        self.symbols[cmd.symbol] = SymbolSpec.from_command(cmd)
        return None

    def check_symbol(self, seq_no: int, symbol: str) -> Rejected | None:
        if symbol not in self.symbols:
            return reject(seq_no, "", "", 0, R.UNKNOWN_SYMBOL)
        return None

    def check_settle(self, cmd: Settle) -> Rejected | None:
        """Refuse a Settle (see the module docstring) or record the symbol as settled through
        its trade date; the matcher that owns the symbol then answers it."""
        if not self.settling:
            return reject(cmd.seq_no, "", "", 0, R.UNSUPPORTED_COMMAND)
        if cmd.symbol not in self.symbols:
            return reject(cmd.seq_no, "", "", 0, R.UNKNOWN_SYMBOL)
        through = from_yyyymmdd(cmd.trade_date)
        settle_day = from_yyyymmdd(cmd.settle_date)
        if through is None or settle_day is None or settle_day <= through:
            return reject(cmd.seq_no, "", "", 0, R.INVALID_SETTLEMENT)
        last = self.settled.get(cmd.symbol)
        if last is not None and through <= last:
            return reject(cmd.seq_no, "", "", 0, R.ALREADY_SETTLED)
        self.settled[cmd.symbol] = through
        return None

    def set_halted(self, seq_no: int, symbol: str, halted: bool) -> Rejected | None:
        spec = self.symbols.get(symbol)
        if spec is None:
            return reject(seq_no, "", "", 0, R.UNKNOWN_SYMBOL)
        spec.halted = halted
        return None

    # -- wallet and limits administration (answered here) ---------------------------------

    def open_account(self, cmd: OpenAccount) -> list[Event]:
        """Open an account for a firm (every rules version runs it; rules 1 ignores the firm
        when deciding orders)."""
        if cmd.account in self.accounts:
            return [reject(cmd.seq_no, cmd.account, "", 0, R.DUPLICATE_ACCOUNT)]
        self.accounts[cmd.account] = Account(cmd.account, cmd.firm)
        return [AccountOpened(cmd.firm, cmd.account)]

    def unopened(self, seq_no: int, account: str) -> Rejected | None:
        """From rules 2: the reject of an admin command naming an account never opened."""
        if self.accounts_opened and account not in self.accounts:
            return reject(seq_no, account, "", 0, R.UNKNOWN_ACCOUNT)
        return None

    def deposit(self, cmd: Deposit) -> list[Event]:
        bad = self._bad_transfer(cmd.seq_no, cmd.account, cmd.asset, cmd.amount)
        if bad is not None:
            return [bad]
        # Trading conserves each asset's supply, so capping the supply at int64 keeps every
        # balance, hold and event field representable in the 64-bit records forever.
        asset = cmd.asset
        supply = sum(
            a.positions[asset].total for a in self.accounts.values() if asset in a.positions
        )
        if supply + cmd.amount > MAX_SUPPLY:
            return [reject(cmd.seq_no, cmd.account, "", 0, R.AMOUNT_TOO_LARGE)]
        pos = self.account(cmd.account).position(asset)
        pos.total += cmd.amount
        return [BalanceChanged(cmd.account, asset, cmd.amount, pos.total)]

    def withdraw(self, cmd: Withdraw) -> list[Event]:
        bad = self._bad_transfer(cmd.seq_no, cmd.account, cmd.asset, cmd.amount)
        if bad is not None:
            return [bad]
        acct = self.accounts.get(cmd.account)
        pos = acct.positions.get(cmd.asset) if acct is not None else None
        if pos is None or pos.total - pos.held < cmd.amount:
            reason = R.INSUFFICIENT_CASH if cmd.asset == CASH else R.INSUFFICIENT_SHARES
            return [reject(cmd.seq_no, cmd.account, "", 0, reason)]
        if self.settling and pos.total - pos.held - pos.receiving < cmd.amount:
            return [reject(cmd.seq_no, cmd.account, "", 0, R.UNSETTLED)]
        pos.total -= cmd.amount
        return [BalanceChanged(cmd.account, cmd.asset, -cmd.amount, pos.total)]

    def _bad_transfer(self, seq_no: int, account: str, asset: str, amount: int) -> Rejected | None:
        unopened = self.unopened(seq_no, account)
        if unopened is not None:
            return unopened
        if amount <= 0:
            return reject(seq_no, account, "", 0, R.INVALID_AMOUNT)
        if asset != CASH and asset not in self.symbols:
            return reject(seq_no, account, "", 0, R.UNKNOWN_ASSET)
        return None

    def set_limits(self, cmd: SetRiskLimits) -> list[Event]:
        """Set the limits a command gives; a KEEP_LIMIT field keeps that limit's value."""
        limits = (cmd.max_order_qty, cmd.max_notional, cmd.max_open_orders)
        unopened = self.unopened(cmd.seq_no, cmd.account)
        if unopened is not None:
            return [unopened]
        given = [value for value in limits if value is not KEEP_LIMIT]
        if given and (min(given) < 0 or max(given) > MAX_INT64):
            return [reject(cmd.seq_no, cmd.account, "", 0, R.INVALID_LIMITS)]
        acct = self.account(cmd.account)
        qty = acct.max_order_qty if cmd.max_order_qty is KEEP_LIMIT else cmd.max_order_qty
        notional = acct.max_notional if cmd.max_notional is KEEP_LIMIT else cmd.max_notional
        open_orders = (
            acct.max_open_orders if cmd.max_open_orders is KEEP_LIMIT else cmd.max_open_orders
        )
        acct.set_limits(qty, notional, open_orders)
        return [LimitsSet(cmd.account, qty, notional, open_orders)]

    def set_stp(self, cmd: SetSelfTradePrevention) -> list[Event]:
        """Answered here; the matchers record the mode (they apply it)."""
        return [StpSet(cmd.firm, cmd.mode)]
