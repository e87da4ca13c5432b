"""What rules version 2 changes (engine.domain.rules): accounts belong to the firm that opened
them, admin commands need an opened account, and a post-only order stays post-only on replace.
Rules 1, which journals written before versions existed keep running, is pinned here too."""

from __future__ import annotations

import pytest

from engine.domain.exchange import Exchange
from engine.domain.rules import RULES_V1, RULES_V2
from engine.domain.types import (
    CASH,
    Accepted,
    AccountOpened,
    BookAdd,
    BookReplace,
    Deposit,
    LimitsSet,
    OpenAccount,
    Rejected,
    RejectReason,
    Replaced,
    SetRiskLimits,
    Withdraw,
)
from tests.engine.golden import BUY, CASH0, GTC, SELL, SYM, Sim

R = RejectReason


def _reason(events: list[object]) -> RejectReason:
    (only,) = events
    assert isinstance(only, Rejected), events
    return only.reason


def _v2(window: int = 1) -> Sim:
    return Sim(window, rules=RULES_V2, firms={"alice": "A", "bob": "B", "carol": "A"})


# -- accounts and firms ---------------------------------------------------------------------


def test_an_order_for_another_firms_account_is_refused_before_any_other_check() -> None:
    sim = _v2()
    assert _reason(sim.buy("alice", 10, 10_000, firm="B")) == R.NOT_FIRMS_ACCOUNT
    # even an order that is wrong in every other way gets that reason first
    bad = sim.order("alice", BUY, 3, 1, firm="B", symbol="NOPE")
    assert _reason(bad) == R.NOT_FIRMS_ACCOUNT
    assert _reason(sim.buy("zed", 10, 10_000, firm="A")) == R.NOT_FIRMS_ACCOUNT  # never opened
    assert sim.cash("alice") == (CASH0, 0)  # nothing held
    accepted = sim.buy("carol", 10, 10_000, firm="A")  # A opened carol too
    assert type(accepted[0]) is Accepted


def test_admin_commands_need_an_opened_account_and_create_none() -> None:
    sim = _v2()
    before = sim.ex.accounts()
    assert _reason(sim.send(Deposit, "zed", CASH, 100)) == R.UNKNOWN_ACCOUNT
    assert _reason(sim.send(Withdraw, "zed", CASH, 100)) == R.UNKNOWN_ACCOUNT
    assert _reason(sim.send(SetRiskLimits, "zed", 1, 0, 0)) == R.UNKNOWN_ACCOUNT
    # the account check comes first: a bad amount for an unknown account is unknown_account
    assert _reason(sim.send(Deposit, "zed", "NOPE", 0)) == R.UNKNOWN_ACCOUNT
    assert sim.ex.accounts() == before
    assert sim.send(OpenAccount, "Z", "zed") == [AccountOpened("Z", "zed")]
    assert sim.send(SetRiskLimits, "zed", 1, 0, 0) == [LimitsSet("zed", 1, 0, 0)]


def test_an_account_is_opened_once_whatever_the_firm() -> None:
    sim = _v2()
    assert _reason(sim.send(OpenAccount, "A", "alice")) == R.DUPLICATE_ACCOUNT
    assert _reason(sim.send(OpenAccount, "B", "alice")) == R.DUPLICATE_ACCOUNT
    assert sim.ex.risk.accounts["alice"].firm == "A"


def test_rules_1_creates_accounts_by_deposit_and_never_checks_the_firm() -> None:
    sim = Sim(rules=RULES_V1)  # alice, bob, carol were funded without being opened
    assert type(sim.buy("alice", 10, 10_000, firm="ANYONE")[0]) is Accepted
    assert sim.send(Deposit, "zed", CASH, 5)[0].total == 5  # type: ignore[union-attr]
    # an order of an account nobody funded: the funds reject, after the price checks
    assert _reason(sim.buy("nobody", 10, 10_000)) == R.INSUFFICIENT_CASH
    assert _reason(sim.buy("nobody", 10, 10_001)) == R.PRICE_OFF_TICK


# -- post-only on replace -------------------------------------------------------------------


@pytest.mark.parametrize("window", [1, 3])
def test_a_post_only_replace_that_would_take_is_refused_and_changes_nothing(window: int) -> None:
    sim = _v2(window)
    first = sim.next_seq
    sim.buy("alice", 10, 9_900, GTC, post_only=True)
    sim.buy("carol", 10, 9_900, GTC)  # behind alice at 9.90
    sim.sell("bob", 10, 10_000, GTC)
    held = sim.cash("alice")
    snapshot = sim.ex.open_order(first)
    # a price that crosses, with more qty: the risk stage holds for it first
    refused = sim.replace("alice", first, 30, 10_000)
    assert refused == [
        Rejected(sim.seq, "alice", "", first, R.POST_ONLY_WOULD_TAKE, refused[0][5])  # type: ignore[index]
    ]
    for _ in range(window):  # let the matcher's answer reach the risk stage
        sim.send(Deposit, "bob", CASH, 1)
    assert sim.ex.open_order(first) == snapshot
    assert sim.ex.orders_at(SYM, BUY, 9_900) == [first, first + 1]  # still first in line
    assert sim.cash("alice") == held  # the extra hold went back
    assert sim.ex.depth(SYM, SELL) == [(10_000, 10, 1)]  # bob's offer untouched
    # a replace that does not cross is an ordinary one, and the order stays post-only
    assert sim.replace("alice", first, 20, 9_950) == [
        Replaced(first, "alice", 20, 9_950, 20, False),
        BookReplace(SYM, first, BUY, 20, 9_950),
    ]
    assert _reason(sim.replace("alice", first, 20, 10_000)) == R.POST_ONLY_WOULD_TAKE
    sim.ex.check_invariants()


def test_a_plain_order_replaced_through_the_touch_still_trades() -> None:
    sim = _v2()
    first = sim.next_seq
    sim.buy("alice", 10, 9_900, GTC)
    sim.sell("bob", 10, 10_000, GTC)
    events = sim.replace("alice", first, 10, 10_000)
    assert type(events[0]) is Replaced and any(type(e).__name__ == "Fill" for e in events)


def test_under_rules_1_a_post_only_replace_trades_as_it_always_did() -> None:
    sim = Sim(rules=RULES_V1)
    first = sim.next_seq
    sim.buy("alice", 10, 9_900, GTC, post_only=True)
    sim.sell("bob", 10, 10_000, GTC)
    events = sim.replace("alice", first, 10, 10_000)
    assert type(events[0]) is Replaced and any(type(e).__name__ == "Fill" for e in events)


# -- the state carries the rules ------------------------------------------------------------


def test_a_rules_2_snapshot_keeps_firms_and_post_only_and_rules_1_keeps_its_old_bytes() -> None:
    sim = _v2()
    first = sim.next_seq
    sim.buy("alice", 10, 9_900, GTC, post_only=True)
    sim.sell("bob", 10, 10_000, GTC)
    restored = Exchange.restore(sim.ex.snapshot())
    assert restored.rules == RULES_V2 and restored.snapshot() == sim.ex.snapshot()
    assert restored.risk.accounts["alice"].firm == "A"
    assert restored.matcher.orders[first].post_only
    old = Sim(rules=RULES_V1)
    old.buy("alice", 10, 9_900, GTC, post_only=True)
    data = old.ex.snapshot()
    assert b'"rules"' not in data and b'"firm"' not in data
    assert Exchange.restore(data).rules == RULES_V1
    assert b'"rules":2' in sim.ex.snapshot()


def test_the_setup_of_a_sim_opens_each_account_for_its_firm() -> None:
    sim = _v2()
    assert [sim.ex.risk.accounts[a].firm for a in ("alice", "bob", "carol")] == ["A", "B", "A"]
    assert sim.buy("bob", 10, 10_000, firm="B")[1] == BookAdd(SYM, sim.seq, BUY, 10, 10_000)
