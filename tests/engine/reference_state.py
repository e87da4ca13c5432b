"""The state of the naive reference exchange: symbols, wallets, limits, the resting orders,
and the administration commands (symbols, transfers, halts, limits, STP modes).

Part of the reference model (see ``reference_model``): written plainly and independently of
``engine.domain``, sharing only its vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.rules import CURRENT_RULES
from engine.domain.types import (
    CASH,
    AccountOpened,
    AddSymbol,
    BalanceChanged,
    Deposit,
    Event,
    Halt,
    LimitsSet,
    OpenAccount,
    Rejected,
    RejectReason,
    Resume,
    SelfTradePrevention,
    SetRiskLimits,
    SetSelfTradePrevention,
    Side,
    StpSet,
    SymbolAdded,
    TimeInForce,
    TradingStatus,
    Withdraw,
)
from tests.engine.reference_settlement import ReferenceSettlement

R = RejectReason


@dataclass
class RefSymbol:
    tick: int
    lot: int
    reference: int  # the band's centre: the reference price, then the last trade price
    band_bps: int
    halted: bool = False

    def band(self) -> tuple[int, int]:
        half = self.reference * self.band_bps // 10_000
        return self.reference - half, self.reference + half


@dataclass
class RefOrder:
    order_id: int
    account: str
    firm: str
    symbol: str
    side: Side
    price: int  # limit price; for a market order the band edge it may trade up to
    qty: int
    filled: int
    tif: TimeInForce
    hold_price: int  # cash held per unfilled share of a buy
    priority: int  # lower trades first at equal price
    post_only: bool = False

    @property
    def leaves(self) -> int:
        return self.qty - self.filled


class Reject(Exception):
    def __init__(self, reason: RejectReason) -> None:
        super().__init__(reason.name)
        self.reason = reason


class ReferenceState:
    """Everything the reference exchange knows; ``resting`` is every order on every book."""

    def __init__(self, rules: int = CURRENT_RULES) -> None:
        #: rules 2 (engine.domain.rules): accounts are opened for a firm; the admin commands
        #: need an opened account, a NewOrder its firm's account; post-only holds on replace
        self.rules = rules
        self.firms: dict[str, str] = {}  # account -> the firm that opened it
        #: accounts that exist: opened, or (rules 1) created by a deposit or a limits change
        self.known: set[str] = set()
        self.symbols: dict[str, RefSymbol] = {}
        self.balances: dict[tuple[str, str], list[int]] = {}  # -> [total, held]
        self.limits: dict[str, tuple[int, int, int]] = {}
        self.stp: dict[str, SelfTradePrevention] = {}
        self.resting: list[RefOrder] = []
        self.next_priority = 0
        self.deposited: dict[str, int] = {}  # asset -> deposits - withdrawals
        #: rules 3: every unsettled side of every trade (tests.engine.reference_settlement)
        self.settlement = ReferenceSettlement()

    def balance(self, account: str, asset: str) -> tuple[int, int]:
        total, held = self.balances.get((account, asset), [0, 0])
        return total, held

    def depth(self, symbol: str, side: Side) -> list[tuple[int, int, int]]:
        prices = sorted(
            {o.price for o in self.resting if o.symbol == symbol and o.side == side},
            reverse=side == Side.BUY,
        )
        out = []
        for price in prices:
            here = [o for o in self.resting if (o.symbol, o.side, o.price) == (symbol, side, price)]
            out.append((price, sum(o.leaves for o in here), len(here)))
        return out

    def orders_at(self, symbol: str, side: Side, price: int) -> list[int]:
        here = [o for o in self.resting if (o.symbol, o.side, o.price) == (symbol, side, price)]
        return [o.order_id for o in sorted(here, key=lambda o: o.priority)]

    def find(self, order_id: int) -> RefOrder | None:
        return next((o for o in self.resting if o.order_id == order_id), None)

    def _position(self, account: str, asset: str) -> list[int]:
        return self.balances.setdefault((account, asset), [0, 0])

    def _add_symbol(self, cmd: AddSymbol) -> list[Event]:
        if cmd.symbol in self.symbols:
            return [self._rejected(cmd.seq_no, "", "", 0, R.DUPLICATE_SYMBOL)]
        specs = (cmd.tick_size, cmd.lot_size, cmd.reference_price, cmd.band_bps)
        if min(specs) <= 0 or not cmd.symbol or cmd.symbol == CASH:
            return [self._rejected(cmd.seq_no, "", "", 0, R.INVALID_SYMBOL_SPEC)]
        self.symbols[cmd.symbol] = RefSymbol(*specs)
        return [SymbolAdded(cmd.symbol, *specs)]

    def _open_account(self, cmd: OpenAccount) -> list[Event]:
        if cmd.account in self.known:
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.DUPLICATE_ACCOUNT)]
        self.known.add(cmd.account)
        self.firms[cmd.account] = cmd.firm
        return [AccountOpened(cmd.firm, cmd.account)]

    def _unopened(self, account: str) -> bool:
        return self.rules >= 2 and account not in self.firms

    def _deposit(self, cmd: Deposit) -> list[Event]:
        if self._unopened(cmd.account):
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.UNKNOWN_ACCOUNT)]
        if cmd.amount <= 0:
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.INVALID_AMOUNT)]
        if cmd.asset != CASH and cmd.asset not in self.symbols:
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.UNKNOWN_ASSET)]
        self.known.add(cmd.account)
        pos = self._position(cmd.account, cmd.asset)
        pos[0] += cmd.amount
        self.deposited[cmd.asset] = self.deposited.get(cmd.asset, 0) + cmd.amount
        return [BalanceChanged(cmd.account, cmd.asset, cmd.amount, pos[0])]

    def _withdraw(self, cmd: Withdraw) -> list[Event]:
        if self._unopened(cmd.account):
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.UNKNOWN_ACCOUNT)]
        if cmd.amount <= 0:
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.INVALID_AMOUNT)]
        if cmd.asset != CASH and cmd.asset not in self.symbols:
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.UNKNOWN_ASSET)]
        total, held = self.balance(cmd.account, cmd.asset)
        if cmd.amount > total - held:
            short = R.INSUFFICIENT_CASH if cmd.asset == CASH else R.INSUFFICIENT_SHARES
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, short)]
        unsettled = self.settlement.receiving(cmd.account, cmd.asset)
        if self.rules >= 3 and cmd.amount > total - held - unsettled:
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.UNSETTLED)]
        pos = self._position(cmd.account, cmd.asset)
        pos[0] -= cmd.amount
        self.deposited[cmd.asset] -= cmd.amount
        return [BalanceChanged(cmd.account, cmd.asset, -cmd.amount, pos[0])]

    def _halt(self, cmd: Halt | Resume) -> list[Event]:
        sym = self.symbols.get(cmd.symbol)
        if sym is None:
            return [self._rejected(cmd.seq_no, "", "", 0, R.UNKNOWN_SYMBOL)]
        sym.halted = type(cmd) is Halt
        return [TradingStatus(cmd.symbol, sym.halted)]

    def _limits(self, cmd: SetRiskLimits) -> list[Event]:
        if self._unopened(cmd.account):
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.UNKNOWN_ACCOUNT)]
        values = (cmd.max_order_qty, cmd.max_notional, cmd.max_open_orders)
        if min(values) < 0:
            return [self._rejected(cmd.seq_no, cmd.account, "", 0, R.INVALID_LIMITS)]
        self.known.add(cmd.account)
        self.limits[cmd.account] = values
        return [LimitsSet(cmd.account, *values)]

    def _set_stp(self, cmd: SetSelfTradePrevention) -> list[Event]:
        self.stp[cmd.firm] = cmd.mode
        return [StpSet(cmd.firm, cmd.mode)]

    @staticmethod
    def _rejected(
        seq_no: int, account: str, client_order_id: str, order_id: int, reason: RejectReason
    ) -> Rejected:
        """Rejected events are compared without their free text (``text`` left empty)."""
        return Rejected(seq_no, account, client_order_id, order_id, reason, "")

    def _check_price(self, sym: RefSymbol, price: int) -> None:
        if price <= 0:
            raise Reject(R.INVALID_PRICE)
        if price % sym.tick:
            raise Reject(R.PRICE_OFF_TICK)
        low, high = sym.band()
        if not low <= price <= high:
            raise Reject(R.PRICE_OUTSIDE_BAND)

    def _check_limits(self, account: str, qty: int, notional: int) -> None:
        max_qty, max_notional, _ = self.limits.get(account, (0, 0, 0))
        if max_qty and qty > max_qty:
            raise Reject(R.QTY_ABOVE_LIMIT)
        if max_notional and notional > max_notional:
            raise Reject(R.NOTIONAL_ABOVE_LIMIT)

    def _check_funds(self, account: str, symbol: str, side: Side, qty: int, price: int) -> None:
        if side == Side.BUY:
            total, held = self.balance(account, CASH)
            if qty * price > total - held:
                raise Reject(R.INSUFFICIENT_CASH)
        else:
            total, held = self.balance(account, symbol)
            if qty > total - held:
                raise Reject(R.INSUFFICIENT_SHARES)

    def _hold(self, order: RefOrder, shares: int) -> None:
        """Hold (shares > 0) or release (shares < 0) what ``shares`` of ``order`` need."""
        if order.side == Side.BUY:
            self._position(order.account, CASH)[1] += shares * order.hold_price
        else:
            self._position(order.account, order.symbol)[1] += shares

    def _remove(self, order: RefOrder) -> None:
        """Take a resting order off the book without trading; release its hold."""
        self.resting.remove(order)
        self._hold(order, -order.leaves)

    def _take_priority(self) -> int:
        self.next_priority += 1
        return self.next_priority
