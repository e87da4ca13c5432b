"""The Exchange (W = 1) against the naive reference model, step by step, event by event.

A hypothesis ``RuleBasedStateMachine`` sends the same random commands to both: symbols,
deposits and withdrawals, orders of every type / TIF / side priced around the current
reference price (and some invalid: off-tick, off-lot, outside the band, unfunded), cancels and
replaces of live, dead and other accounts' orders, halts, STP modes, limits and EndOfDay; under
rules 3 days pass and symbols settle (against tests.engine.reference_settlement's netting).
After every step the events must be equal (Rejected compared without its free text), and
books, balances and the structural invariants must agree; wallets must never be overdrawn and
every asset must sum to deposits minus withdrawals.

A second property runs random command lists with feedback windows 1, 7 and 1000: outcomes may
differ across W, but never overspend, conservation and zero holds after cancelling all hold.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from engine.domain.exchange import Exchange
from engine.domain.rules import CURRENT_RULES, RULES_V1, RULES_V2, RULES_V3
from engine.domain.types import (
    CASH,
    AccountSettled,
    AddSymbol,
    BalanceChanged,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Halt,
    NewOrder,
    Obligation,
    OpenAccount,
    OrderType,
    Rejected,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Side,
    TimeInForce,
    Withdraw,
)
from tests.engine.reference_model import ReferenceExchange
from tests.engine.reference_settlement import NS_PER_DAY, yyyymmdd

SYMBOLS = ("AAA", "BBB")
ACCOUNTS = ("A1", "A2", "A3", "A4")
FIRM_OF = {"A1": "F1", "A2": "F1", "A3": "F2", "A4": "F3"}  # A1, A2 share a firm: STP across
FIRMS = ("F1", "F2", "F3")
UNOPENED = "A9"  # an account no command opens
TICK = 100
LOT = 10
REFERENCE = 100_000

offsets = st.integers(-3, 3)
tifs = st.sampled_from(TimeInForce)
sides = st.sampled_from(Side)
lots = st.integers(0, 12)
price_faults = st.sampled_from(["none"] * 20 + ["off_tick", "outside_band", "zero"])


def _comparable(events: Sequence[Event]) -> list[Event]:
    """Events with Rejected's free text blanked (the reference model does not word reasons)."""
    return [e._replace(text="") if type(e) is Rejected else e for e in events]


class ExchangeVersusReference(RuleBasedStateMachine):
    #: the rules version both sides run (engine.domain.rules)
    RULES = CURRENT_RULES

    def __init__(self) -> None:
        super().__init__()
        self.exchange = Exchange(feedback_window=1, rules=self.RULES)
        self.reference = ReferenceExchange(self.RULES)
        self.seq = 0
        self.ts = 1_000
        self.ever_ordered: list[int] = []

    def submit(self, make: type, *fields: object) -> list[Event]:
        self.seq += 1
        self.ts += 7
        cmd: Command = make(self.seq, self.ts, *fields)
        got = self.exchange.submit(cmd)
        want = self.reference.submit(cmd)
        assert _comparable(got) == want, f"{cmd}\n engine:    {got}\n reference: {want}"
        return got

    # -- administration -----------------------------------------------------------------

    @initialize()
    def open_the_market(self) -> None:
        for symbol in SYMBOLS:
            self.submit(AddSymbol, symbol, TICK, LOT, REFERENCE, 1_000)
        for account in ACCOUNTS:
            if self.RULES >= RULES_V2:
                self.submit(OpenAccount, FIRM_OF[account], account)
            self.submit(Deposit, account, CASH, 30_000_000)
            for symbol in SYMBOLS:
                self.submit(Deposit, account, symbol, 1_000)

    @rule(
        account=st.sampled_from((*ACCOUNTS, UNOPENED)),
        asset=st.sampled_from((CASH, CASH, *SYMBOLS, "ZZZ")),
        amount=st.integers(-1, 5_000),
        withdraw=st.booleans(),
    )
    def transfer(self, account: str, asset: str, amount: int, withdraw: bool) -> None:
        scale = 100_000 if asset == CASH else 1  # cash for a few orders, shares for a few lots
        self.submit(Withdraw if withdraw else Deposit, account, asset, amount * scale)

    @rule(
        kind=st.sampled_from(
            ["halt", "resume", "resume", "eod", "stp", "stp", "limits", "symbol", "drain", "open"]
        ),
        symbol=st.sampled_from((*SYMBOLS, *SYMBOLS, "ZZZ")),
        firm=st.sampled_from(FIRMS),
        mode=st.sampled_from(SelfTradePrevention),
        account=st.sampled_from(ACCOUNTS),
        limits=st.sampled_from(
            [(0, 0, 0)] * 4 + [(50, 0, 0), (0, 5_000_000, 0), (0, 0, 3), (0, -1, 0)]
        ),
    )
    def admin(
        self, kind: str, symbol: str, firm: str, mode: SelfTradePrevention, account: str,
        limits: tuple[int, int, int],
    ) -> None:  # fmt: skip
        if kind == "halt":
            self.submit(Halt, symbol)
        elif kind == "resume":
            self.submit(Resume, symbol)
        elif kind == "eod":
            self.submit(EndOfDay, symbol)
        elif kind == "symbol":  # a duplicate, an invalid spec, or a new symbol
            self.submit(AddSymbol, symbol if mode != 3 else "CCC", TICK, LOT, REFERENCE, mode - 1)
        elif kind == "stp":
            self.submit(SetSelfTradePrevention, firm, mode)
        elif kind == "drain":  # withdraw every free unit: later orders and replaces run short
            asset = CASH if mode != 3 else symbol
            total, held = self.reference.balance(account, asset)
            self.submit(Withdraw, account, asset, max(total - held, 1))
        elif kind == "open":  # a duplicate: refused
            self.submit(OpenAccount, firm, account)
        else:
            self.submit(SetRiskLimits, account if mode != 3 else UNOPENED, *limits)

    # -- settlement (rules 3; refused before) -------------------------------------------

    @rule(hours=st.integers(1, 60))
    def time_passes(self, hours: int) -> None:
        """The next commands are stamped ``hours`` later: trades fall on several dates."""
        self.ts += hours * 3_600 * 10**9

    @rule(
        symbol=st.sampled_from((*SYMBOLS, *SYMBOLS, "ZZZ")),
        back=st.integers(-1, 3),
        fault=st.sampled_from(["none"] * 6 + ["order", "date"]),
    )
    def settle(self, symbol: str, back: int, fault: str) -> None:
        """Settle through ``back`` days before today's date (-1: tomorrow's); now and then a
        settlement date not after the trade date or no date at all."""
        day = (self.ts + 7) // NS_PER_DAY - back
        trade_date, settle_date = yyyymmdd(day), yyyymmdd(day + 2)
        if fault == "order":
            settle_date = trade_date
        elif fault == "date":
            trade_date = trade_date // 100 * 100 + 32
        events = self.submit(Settle, symbol, trade_date, settle_date)
        dates = {e.trade_date for e in events if type(e) is Obligation}
        for when in dates:  # the netting of each date sums to zero, and so do the accounts
            owed = [e for e in events if type(e) is Obligation and e.trade_date == when]
            rows = [e for e in events if type(e) is AccountSettled and e.trade_date == when]
            assert sum(e.shares for e in owed) == 0 and sum(e.cash for e in owed) == 0
            assert sum(e.bought for e in rows) == sum(e.sold for e in rows)
            assert sum(e.paid for e in rows) == sum(e.received for e in rows)

    # -- orders -------------------------------------------------------------------------

    def _price(self, symbol: str, offset: int, fault: str) -> int:
        spec = self.reference.symbols.get(symbol)
        centre = spec.reference if spec is not None else REFERENCE
        base = centre - centre % TICK + offset * TICK
        if fault == "off_tick":
            return base + 1
        if fault == "outside_band":
            return centre * 2
        if fault == "zero":
            return 0
        return max(base, TICK)

    @rule(
        account=st.sampled_from(ACCOUNTS),
        symbol=st.sampled_from((*SYMBOLS, SYMBOLS[0]) * 3 + ("ZZZ",)),
        side=sides,
        market=st.sampled_from([False] * 4 + [True]),
        tif=tifs,
        lots_=lots,
        off_lot=st.sampled_from([False] * 19 + [True]),
        offset=offsets,
        fault=price_faults,
        post_only=st.sampled_from([False] * 4 + [True]),
        stray=st.sampled_from([False] * 19 + [True]),
    )
    def new_order(
        self, account: str, symbol: str, side: Side, market: bool, tif: TimeInForce,
        lots_: int, off_lot: bool, offset: int, fault: str, post_only: bool, stray: bool,
    ) -> None:  # fmt: skip
        """Mostly a firm ordering for its own account; ``stray``: for another firm's account
        (NOT_FIRMS_ACCOUNT from rules 2) or an account never opened."""
        qty = lots_ * LOT + (3 if off_lot else 0)
        price = 0 if market and fault == "none" else self._price(symbol, offset, fault)
        otype = OrderType.MARKET if market else OrderType.LIMIT
        firm = FIRM_OF[account]
        if stray:
            firm, account = (FIRMS[-1], account) if firm != FIRMS[-1] else (firm, UNOPENED)
        self.submit(
            NewOrder, firm, account, symbol, side, otype, tif, qty, price,
            f"c{self.seq + 1}", post_only,
        )  # fmt: skip
        self.ever_ordered.append(self.seq)

    @precondition(lambda self: self.reference.resting)
    @rule(
        index=st.integers(0, 1_000), account=st.sampled_from(ACCOUNTS), tif=tifs,
        lots_=st.integers(1, 15), through=st.integers(0, 2), market=st.booleans(),
    )  # fmt: skip
    def take_liquidity(
        self, index: int, account: str, tif: TimeInForce, lots_: int, through: int, market: bool
    ) -> None:
        """An order aimed at a resting one: at or through its price, or a market order."""
        target = self.reference.resting[index % len(self.reference.resting)]
        side = Side.SELL if target.side == Side.BUY else Side.BUY
        price = target.price + (through if side == Side.BUY else -through) * TICK
        otype = OrderType.MARKET if market else OrderType.LIMIT
        if market:
            price = 0
            tif = TimeInForce.FOK if tif == TimeInForce.FOK else TimeInForce.IOC
        self.submit(
            NewOrder, FIRM_OF[account], account, target.symbol, side, otype, tif, lots_ * LOT,
            price, "", False,
        )  # fmt: skip
        self.ever_ordered.append(self.seq)

    # hypothesis picks rules uniformly: a second entry point makes orders the commonest step
    new_order_again = new_order

    def _pick_order(self, index: int, live: bool) -> int:
        pool = [o.order_id for o in self.reference.resting] if live else self.ever_ordered
        return pool[index % len(pool)] if pool else 1

    @precondition(lambda self: self.ever_ordered)
    @rule(
        index=st.integers(0, 1_000), live=st.booleans(), account=st.sampled_from(ACCOUNTS),
        own=st.sampled_from([True] * 4 + [False]),
    )  # fmt: skip
    def cancel(self, index: int, live: bool, account: str, own: bool) -> None:
        order_id = self._pick_order(index, live)
        order = self.reference.find(order_id)
        if own and order is not None:
            account = order.account
        self.submit(CancelOrder, account, order_id)

    @precondition(lambda self: self.ever_ordered)
    @rule(
        index=st.integers(0, 1_000), live=st.sampled_from([True] * 4 + [False]),
        own=st.sampled_from([True] * 9 + [False]), lots_=lots, offset=st.integers(-3, 3),
        fault=price_faults, squeeze=st.sampled_from([False, False, True]),
    )  # fmt: skip
    def replace(
        self, index: int, live: bool, own: bool, lots_: int, offset: int, fault: str,
        squeeze: bool,
    ) -> None:  # fmt: skip
        """Replace an order; with ``squeeze`` its owner first withdraws all that is free, so the
        replace is funded (or not) by the order's own hold alone."""
        order_id = self._pick_order(index, live)
        order = self.reference.find(order_id)
        if squeeze and order is not None:
            asset = CASH if order.side == Side.BUY else order.symbol
            total, held = self.reference.balance(order.account, asset)
            if total > held:
                self.submit(Withdraw, order.account, asset, total - held)
        account = order.account if order is not None and own else "A3"
        symbol = order.symbol if order is not None else SYMBOLS[0]
        current = order.price if order is not None else REFERENCE
        price = current + offset * TICK if fault == "none" else self._price(symbol, 0, fault)
        self.submit(ReplaceOrder, account, order_id, lots_ * LOT, max(price, TICK))

    # -- after every step ---------------------------------------------------------------

    @invariant()
    def structure_holds(self) -> None:
        self.exchange.check_invariants()

    @invariant()
    def snapshot_restores_the_same_state(self) -> None:
        restored = Exchange.restore(self.exchange.snapshot())
        assert restored.state_hash() == self.exchange.state_hash()

    @invariant()
    def books_agree(self) -> None:
        for symbol in SYMBOLS:
            for side in Side:
                depth = self.reference.depth(symbol, side)
                assert self.exchange.depth(symbol, side, 1_000) == depth, (symbol, side)
                for price, _, _ in depth:
                    want = self.reference.orders_at(symbol, side, price)
                    assert self.exchange.orders_at(symbol, side, price) == want

    @invariant()
    def balances_agree_and_are_never_overdrawn(self) -> None:
        for account in ACCOUNTS:
            for asset in (CASH, *SYMBOLS):
                total, held = self.exchange.balance(account, asset)
                assert (total, held) == self.reference.balance(account, asset), (account, asset)
                assert 0 <= held <= total, (account, asset, total, held)

    @invariant()
    def unsettled_receipts_agree(self) -> None:
        if self.RULES < RULES_V3:
            return
        for account in ACCOUNTS:
            acct = self.exchange.risk.accounts.get(account)
            for asset in (CASH, *SYMBOLS):
                pos = None if acct is None else acct.positions.get(asset)
                got = 0 if pos is None else pos.receiving
                assert got == self.reference.settlement.receiving(account, asset), (account, asset)

    @invariant()
    def every_asset_sums_to_deposits_minus_withdrawals(self) -> None:
        for asset in (CASH, *SYMBOLS):
            holders = (*ACCOUNTS, UNOPENED)  # rules 1: a deposit opens A9 too
            total = sum(self.exchange.balance(a, asset).total for a in holders)
            assert total == self.reference.deposited.get(asset, 0), asset


ExchangeVersusReference.TestCase.settings = settings(
    max_examples=int(os.environ.get("SEQUEX_STATEFUL_EXAMPLES", "200")),
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestExchangeVersusReference = ExchangeVersusReference.TestCase


class ExchangeVersusReferenceRules2(ExchangeVersusReference):
    """Rules 2, which every journal written before settlement keeps running: receipts are
    free at once and Settle is refused."""

    RULES = RULES_V2


ExchangeVersusReferenceRules2.TestCase.settings = settings(
    max_examples=int(os.environ.get("SEQUEX_STATEFUL_EXAMPLES", "200")) // 3,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestExchangeVersusReferenceRules2 = ExchangeVersusReferenceRules2.TestCase


class ExchangeVersusReferenceRules1(ExchangeVersusReference):
    """The same comparison under rules 1, which every journal written before rules versions
    keeps running: accounts funded unopened, any firm on any account, post-only replaces
    that trade."""

    RULES = RULES_V1


ExchangeVersusReferenceRules1.TestCase.settings = settings(
    max_examples=int(os.environ.get("SEQUEX_STATEFUL_EXAMPLES", "200")) // 3,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestExchangeVersusReferenceRules1 = ExchangeVersusReferenceRules1.TestCase


# ---------------------------------------------------------------------------------------------
# Feedback windows: safety properties only (outcomes may legitimately differ across W).
# ---------------------------------------------------------------------------------------------

SETUP: list[tuple[type, tuple[object, ...]]] = [
    (AddSymbol, ("AAA", TICK, LOT, REFERENCE, 1_000)),
    *((OpenAccount, (FIRM_OF[a], a)) for a in ACCOUNTS),
    *((Deposit, (a, CASH, 40_000_000)) for a in ACCOUNTS),
    *((Deposit, (a, "AAA", 400)) for a in ACCOUNTS),
]


def _random_command(seq: int, rng: random.Random, ex: Exchange, order_ids: list[int]) -> Command:
    """One command of a busy single-symbol session: mostly orders around the reference price
    (funds run short, so holds matter), cancels and replaces of recent orders, withdrawals."""
    roll = rng.random()
    if roll < 0.6 or not order_ids:
        account = rng.choice(ACCOUNTS)
        market = rng.random() < 0.15
        tif = (
            rng.choice([TimeInForce.IOC, TimeInForce.FOK])
            if market
            else rng.choice(list(TimeInForce))
        )
        otype = OrderType.MARKET if market else OrderType.LIMIT
        price = 0 if market else REFERENCE + rng.randint(-4, 4) * TICK
        side = rng.choice(list(Side))
        order_ids.append(seq)
        return NewOrder(seq, seq, FIRM_OF[account], account, "AAA", side, otype, tif,
                        rng.randint(1, 10) * LOT, price, "", rng.random() < 0.1)  # fmt: skip
    order_id = rng.choice(order_ids[-30:])
    view = ex.open_order(order_id)
    account = view.account if view is not None else rng.choice(ACCOUNTS)
    if roll < 0.8:
        return CancelOrder(seq, seq, account, order_id)
    if roll < 0.97:
        price = (view.price if view is not None else REFERENCE) + rng.randint(-2, 2) * TICK
        return ReplaceOrder(seq, seq, account, order_id, rng.randint(1, 12) * LOT, price)
    free = ex.balance(account, CASH)
    return Withdraw(seq, seq, account, CASH, max(1, (free.total - free.held) // 3))


class _SafetyChecked:
    """An Exchange with the safety checks applied after every command."""

    def __init__(self, window: int) -> None:
        self.exchange = Exchange(feedback_window=window)
        self.window = window
        self.seq = 0
        self.net = {CASH: 0, "AAA": 0}  # deposits - withdrawals

    def run(self, make: type | None, *fields: object, command: Command | None = None) -> None:
        self.seq += 1
        cmd = command if command is not None else make(self.seq, self.seq, *fields)  # type: ignore[misc]
        ex = self.exchange
        for event in ex.submit(cmd):
            if type(event) is BalanceChanged:
                self.net[event.asset] += event.amount
        for account in ACCOUNTS:
            for asset in self.net:
                total, held = ex.balance(account, asset)
                assert 0 <= held <= total, (self.window, cmd, account, asset, total, held)
        for asset, amount in self.net.items():
            assert sum(ex.balance(a, asset).total for a in ACCOUNTS) == amount, (asset, cmd)


@settings(
    max_examples=int(os.environ.get("SEQUEX_WINDOW_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.integers(0, 2**32 - 1))
def test_any_feedback_window_never_overspends_and_conserves_assets(seed: int) -> None:
    for window in (1, 7, 1000):
        rng = random.Random(seed)
        checked = _SafetyChecked(window)
        ex = checked.exchange
        for make, fields in SETUP:
            checked.run(make, *fields)
        order_ids: list[int] = []
        for _ in range(400):
            checked.run(None, command=_random_command(checked.seq + 1, rng, ex, order_ids))
        for order_id in range(1, checked.seq + 1):
            view = ex.open_order(order_id)
            if view is not None:
                checked.run(CancelOrder, view.account, order_id)
        for _ in range(window):  # let every pending feedback reach the risk stage
            checked.run(SetSelfTradePrevention, "F9", SelfTradePrevention.CANCEL_RESTING)
        ex.check_invariants()
        for account in ACCOUNTS:
            assert ex.balance(account, CASH).held == 0
            assert ex.balance(account, "AAA").held == 0
