"""The risk stage (order manager): checks and holds before matching, wallet administration.

Contract. For a trading command the stage either refuses it (returns one ``Rejected``; nothing
changed) or accepts it, holding funds first, and lets it go on to the matcher that owns the
symbol, which then emits all of the command's events. Wallet and limits administration
(Deposit, Withdraw, SetRiskLimits, SetSelfTradePrevention) is answered here. Symbol
administration (AddSymbol, Halt, Resume, EndOfDay) is validated and recorded here and answered
by the matcher.

NewOrder checks, in this order: UNKNOWN_SYMBOL, SYMBOL_HALTED, INVALID_ORDER (a market order
must be IOC or FOK and not post-only; post-only needs DAY or GTC), INVALID_QTY, INVALID_PRICE,
PRICE_OFF_TICK, PRICE_OUTSIDE_BAND, QTY_ABOVE_LIMIT, NOTIONAL_ABOVE_LIMIT (a market order's
notional is taken at the band top), TOO_MANY_OPEN_ORDERS, then INSUFFICIENT_CASH (a buy holds
qty x limit price, a market buy qty x band top) or INSUFFICIENT_SHARES (a sell holds its qty).

The stage learns what matching did only through `Settler` (the matcher's events, fed back with
the feedback window), so its view of reference prices, fills and live orders may lag; every
hold is sized so that lag can only make it too large, never too small.
"""

from __future__ import annotations

from engine.domain.reasons import reject
from engine.domain.risk_order import RiskOrder
from engine.domain.settlement import Settler
from engine.domain.symbols import BPS, SymbolSpec, invalid_spec
from engine.domain.types import (
    CASH,
    AddSymbol,
    BalanceChanged,
    CancelOrder,
    Deposit,
    Event,
    LimitsSet,
    NewOrder,
    OrderType,
    Rejected,
    RejectReason,
    ReplaceOrder,
    SetRiskLimits,
    SetSelfTradePrevention,
    Side,
    StpSet,
    TimeInForce,
    Withdraw,
)
from engine.domain.wallet import Account

R = RejectReason
_BUY = Side.BUY
_SELL = Side.SELL
_LIMIT = OrderType.LIMIT
_MARKET = OrderType.MARKET
_DAY = TimeInForce.DAY
_GTC = TimeInForce.GTC
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK
#: The most of one asset that can exist across all accounts: what a signed 64-bit field holds.
MAX_SUPPLY = 2**63 - 1


class RiskStage:
    """Symbols, halts, accounts (wallets and limits) and the table of live orders."""

    __slots__ = ("accounts", "orders", "serial", "settler", "symbols")

    def __init__(self, serial: bool = True) -> None:
        #: feedback window 1: no fill can reach an order between this stage's decision on a
        #: replace and the matcher applying it, so a replace holds exactly for its new terms.
        self.serial = serial
        self.symbols: dict[str, SymbolSpec] = {}
        self.accounts: dict[str, Account] = {}
        self.orders: dict[int, RiskOrder] = {}
        self.settler = Settler(self.orders)

    def account(self, name: str) -> Account:
        acct = self.accounts.get(name)
        if acct is None:
            acct = self.accounts[name] = Account(name)
        return acct

    # -- trading --------------------------------------------------------------------------

    def new_order(self, cmd: NewOrder) -> Rejected | int:
        """Refuse ``cmd`` or hold for it; on acceptance return the hold price ("cap")."""
        seq, _ts, _firm, account, symbol, side, otype, tif, qty, price, clid, post_only = cmd
        spec = self.symbols.get(symbol)
        if spec is None:
            return reject(seq, account, clid, 0, R.UNKNOWN_SYMBOL)
        if spec.halted:
            return reject(seq, account, clid, 0, R.SYMBOL_HALTED)
        if otype == _LIMIT:
            if not (_DAY <= tif <= _FOK) or (post_only and tif != _DAY and tif != _GTC):
                return reject(seq, account, clid, 0, R.INVALID_ORDER)
        elif otype != _MARKET or (tif != _IOC and tif != _FOK) or post_only:
            return reject(seq, account, clid, 0, R.INVALID_ORDER)
        if side != _BUY and side != _SELL:
            return reject(seq, account, clid, 0, R.INVALID_ORDER)
        if qty <= 0 or qty % spec.lot:
            return reject(seq, account, clid, 0, R.INVALID_QTY)
        ref = spec.reference
        half = ref * spec.band_bps // BPS
        if otype == _MARKET:
            if price != 0:
                return reject(seq, account, clid, 0, R.INVALID_PRICE)
            hold_price = ref + half
        else:
            if price <= 0:
                return reject(seq, account, clid, 0, R.INVALID_PRICE)
            if price % spec.tick:
                return reject(seq, account, clid, 0, R.PRICE_OFF_TICK)
            if price < ref - half or price > ref + half:
                return reject(seq, account, clid, 0, R.PRICE_OUTSIDE_BAND)
            hold_price = price
        acct = self.accounts.get(account)
        if acct is None:
            # No account has never been funded: nothing to hold from.
            reason = R.INSUFFICIENT_CASH if side == _BUY else R.INSUFFICIENT_SHARES
            return reject(seq, account, clid, 0, reason)
        limit = acct.max_order_qty
        if limit and qty > limit:
            return reject(seq, account, clid, 0, R.QTY_ABOVE_LIMIT)
        limit = acct.max_notional
        if limit and qty * hold_price > limit:
            return reject(seq, account, clid, 0, R.NOTIONAL_ABOVE_LIMIT)
        limit = acct.max_open_orders
        if limit and acct.open_orders >= limit:
            return reject(seq, account, clid, 0, R.TOO_MANY_OPEN_ORDERS)
        positions = acct.positions
        if side == _BUY:
            need = qty * hold_price
            pos = positions.get(CASH)
            if pos is None or pos.total - pos.held < need:
                return reject(seq, account, clid, 0, R.INSUFFICIENT_CASH)
            other = positions.get(symbol) or acct.position(symbol)
        else:
            need = qty
            pos = positions.get(symbol)
            if pos is None or pos.total - pos.held < need:
                return reject(seq, account, clid, 0, R.INSUFFICIENT_SHARES)
            other = positions.get(CASH) or acct.position(CASH)
        pos.held += need
        acct.open_orders += 1
        self.orders[seq] = RiskOrder.create(
            seq, acct, spec, side == _BUY, tif, hold_price, qty, need, pos, other
        )
        return hold_price

    def cancel(self, cmd: CancelOrder) -> Rejected | None:
        order = self.orders.get(cmd.order_id)
        if order is None:
            return reject(cmd.seq_no, cmd.account, "", cmd.order_id, R.UNKNOWN_ORDER)
        if order.owner.name != cmd.account:
            return reject(cmd.seq_no, cmd.account, "", cmd.order_id, R.NOT_ORDER_OWNER)
        return None

    def replace(self, cmd: ReplaceOrder) -> Rejected | None:
        """Check a replace and hold for every terms the order may have until it is applied.

        With W > 1 that is (largest qty of the old and new terms - known filled) x the highest
        of their prices (see `engine.domain.risk_order`): conservative, corrected by feedback.
        """
        seq, _ts, account, oid, qty, price = cmd
        order = self.orders.get(oid)
        if order is None or order.tif == _IOC or order.tif == _FOK:
            return reject(seq, account, "", oid, R.UNKNOWN_ORDER)
        if order.owner.name != account:
            return reject(seq, account, "", oid, R.NOT_ORDER_OWNER)
        spec = order.spec
        if spec.halted:
            return reject(seq, account, "", oid, R.SYMBOL_HALTED)
        if qty <= 0 or qty % spec.lot:
            return reject(seq, account, "", oid, R.INVALID_QTY)
        if price <= 0:
            return reject(seq, account, "", oid, R.INVALID_PRICE)
        if price % spec.tick:
            return reject(seq, account, "", oid, R.PRICE_OFF_TICK)
        lo, hi = spec.band()
        if price < lo or price > hi:
            return reject(seq, account, "", oid, R.PRICE_OUTSIDE_BAND)
        acct = order.owner
        if acct.max_order_qty and qty > acct.max_order_qty:
            return reject(seq, account, "", oid, R.QTY_ABOVE_LIMIT)
        if acct.max_notional and qty * price > acct.max_notional:
            return reject(seq, account, "", oid, R.NOTIONAL_ABOVE_LIMIT)
        if self.serial:
            max_qty, top = qty, price
        else:
            # Fills at the old terms may still arrive before the matcher applies this replace.
            max_qty = max(order.max_qty, qty)
            top = max(order.hi, price)
        need = (max_qty - (order.qty - order.leaves)) * (top if order.is_buy else 1)
        extra = need - order.pool
        if extra > 0:
            pos = order.hold
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
        if invalid_spec(cmd, CASH):
            return reject(cmd.seq_no, "", "", 0, R.INVALID_SYMBOL_SPEC)
        self.symbols[cmd.symbol] = SymbolSpec.from_command(cmd)
        return None

    def check_symbol(self, seq_no: int, symbol: str) -> Rejected | None:
        if symbol not in self.symbols:
            return reject(seq_no, "", "", 0, R.UNKNOWN_SYMBOL)
        return None

    def set_halted(self, seq_no: int, symbol: str, halted: bool) -> Rejected | None:
        spec = self.symbols.get(symbol)
        if spec is None:
            return reject(seq_no, "", "", 0, R.UNKNOWN_SYMBOL)
        spec.halted = halted
        return None

    # -- wallet and limits administration (answered here) ---------------------------------

    def deposit(self, cmd: Deposit) -> list[Event]:
        bad = self._bad_transfer(cmd.seq_no, cmd.account, cmd.asset, cmd.amount)
        if bad is not None:
            return [bad]
        # Trading conserves each asset's supply, so capping the supply at int64 keeps every
        # balance, hold and event field representable in the 64-bit records forever.
        supply = sum(
            a.positions[cmd.asset].total for a in self.accounts.values() if cmd.asset in a.positions
        )
        if supply + cmd.amount > MAX_SUPPLY:
            return [reject(cmd.seq_no, cmd.account, "", 0, R.AMOUNT_TOO_LARGE)]
        pos = self.account(cmd.account).position(cmd.asset)
        pos.total += cmd.amount
        return [BalanceChanged(cmd.account, cmd.asset, cmd.amount, pos.total)]

    def withdraw(self, cmd: Withdraw) -> list[Event]:
        bad = self._bad_transfer(cmd.seq_no, cmd.account, cmd.asset, cmd.amount)
        if bad is not None:
            return [bad]
        acct = self.accounts.get(cmd.account)
        pos = acct.positions.get(cmd.asset) if acct is not None else None
        if pos is None or pos.total - pos.held < cmd.amount:
            reason = R.INSUFFICIENT_CASH if cmd.asset == CASH else R.INSUFFICIENT_SHARES
            return [reject(cmd.seq_no, cmd.account, "", 0, reason)]
        pos.total -= cmd.amount
        return [BalanceChanged(cmd.account, cmd.asset, -cmd.amount, pos.total)]

    def _bad_transfer(self, seq_no: int, account: str, asset: str, amount: int) -> Rejected | None:
        if amount <= 0:
            return reject(seq_no, account, "", 0, R.INVALID_AMOUNT)
        if asset != CASH and asset not in self.symbols:
            return reject(seq_no, account, "", 0, R.UNKNOWN_ASSET)
        return None

    def set_limits(self, cmd: SetRiskLimits) -> list[Event]:
        if cmd.max_order_qty < 0 or cmd.max_notional < 0 or cmd.max_open_orders < 0:
            return [reject(cmd.seq_no, cmd.account, "", 0, R.INVALID_LIMITS)]
        acct = self.account(cmd.account)
        acct.set_limits(cmd.max_order_qty, cmd.max_notional, cmd.max_open_orders)
        return [LimitsSet(cmd.account, cmd.max_order_qty, cmd.max_notional, cmd.max_open_orders)]

    def set_stp(self, cmd: SetSelfTradePrevention) -> list[Event]:
        """Answered here; the matchers record the mode (they apply it)."""
        return [StpSet(cmd.firm, cmd.mode)]
