"""A small driver for golden scenarios: numbers commands, checks invariants after each one.

Symbol ABC: tick 10, lot 10, reference 10_000, band 1000 bps, i.e. prices 9_000..11_000.
Accounts alice, bob, carol start with 10_000_000 cash and 1_000 shares; each account is its own
firm unless a test says otherwise.

Rules versions (``engine.domain.rules``). The golden files pin the matching and risk rules that
every version shares, and they were written in rules 1 terms: accounts are funded without being
opened, and a test may give an order any firm (to meet self-trade prevention). So ``Sim`` runs
rules 1 by default, which also keeps the rules old journals replay under pinned exactly.
``Sim(rules=2)`` opens every account for a firm first (its own name, or ``firms[account]``),
which shifts the seq_nos of everything after the setup by one per account;
``test_golden_accounts.py`` pins what rules 2 changes.
"""

from __future__ import annotations

from typing import Any

from engine.domain.exchange import Balance, Exchange
from engine.domain.rules import RULES_V1, RULES_V2
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    Event,
    NewOrder,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Side,
    TimeInForce,
)

SYM = "ABC"
CASH0 = 10_000_000
SHARES0 = 1_000
ACCOUNTS = ("alice", "bob", "carol")

BUY = Side.BUY
SELL = Side.SELL
DAY = TimeInForce.DAY
GTC = TimeInForce.GTC
IOC = TimeInForce.IOC
FOK = TimeInForce.FOK
LIMIT = OrderType.LIMIT
MARKET = OrderType.MARKET


class Sim:
    def __init__(
        self,
        window: int = 1,
        funded: bool = True,
        *,
        rules: int = RULES_V1,
        firms: dict[str, str] | None = None,
    ) -> None:
        self.ex = Exchange(feedback_window=window, rules=rules)
        self.firms = firms or {}
        self.seq = 0
        self.send(AddSymbol, SYM, 10, 10, 10_000, 1000)
        if rules >= RULES_V2:
            for acct in ACCOUNTS:
                self.send(OpenAccount, self.firms.get(acct, acct), acct)
        if funded:
            for acct in ACCOUNTS:
                self.send(Deposit, acct, CASH, CASH0)
                self.send(Deposit, acct, SYM, SHARES0)

    @property
    def next_seq(self) -> int:
        return self.seq + 1

    def send(self, cls: type[Any], *fields: Any) -> list[Event]:
        self.seq += 1
        cmd: Command = cls(self.seq, self.seq * 1000, *fields)
        events = self.ex.submit(cmd)
        self.ex.check_invariants()
        return events

    def order(
        self,
        account: str,
        side: Side,
        qty: int,
        price: int,
        tif: TimeInForce = DAY,
        *,
        firm: str | None = None,
        order_type: OrderType = LIMIT,
        post_only: bool = False,
        symbol: str = SYM,
    ) -> list[Event]:
        return self.send(
            NewOrder,
            firm or self.firms.get(account, account),
            account,
            symbol,
            side,
            order_type,
            tif,
            qty,
            price,
            f"{account}-{self.next_seq}",
            post_only,
        )

    def buy(
        self, account: str, qty: int, price: int, tif: TimeInForce = DAY, **kw: Any
    ) -> list[Event]:
        return self.order(account, BUY, qty, price, tif, **kw)

    def sell(
        self, account: str, qty: int, price: int, tif: TimeInForce = DAY, **kw: Any
    ) -> list[Event]:
        return self.order(account, SELL, qty, price, tif, **kw)

    def market(
        self, account: str, side: Side, qty: int, tif: TimeInForce = IOC, **kw: Any
    ) -> list[Event]:
        return self.order(account, side, qty, 0, tif, order_type=MARKET, **kw)

    def cancel(self, account: str, order_id: int) -> list[Event]:
        return self.send(CancelOrder, account, order_id)

    def replace(self, account: str, order_id: int, qty: int, price: int) -> list[Event]:
        return self.send(ReplaceOrder, account, order_id, qty, price)

    def cash(self, account: str) -> Balance:
        return self.ex.balance(account, CASH)

    def shares(self, account: str) -> Balance:
        return self.ex.balance(account, SYM)

    def ts(self, seq: int) -> int:
        return seq * 1000
