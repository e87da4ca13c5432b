"""Minimal reproductions of engine deviations from the issue-3 semantics, found while checking
the engine against the reference model (tests/engine/reference_model.py).

Each test states what the semantics require; it failed when the deviation was found and stays
as a guard once the engine is fixed. The domain code is not edited from here.
"""

from __future__ import annotations

from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    AddSymbol,
    Deposit,
    NewOrder,
    OpenAccount,
    OrderType,
    Replaced,
    ReplaceOrder,
    Side,
    TimeInForce,
)


def test_serial_replace_of_a_buy_needs_only_the_new_terms_funded() -> None:
    """W = 1: a buy holds qty x limit. 10 @ 100,000 holds all 1,000,000 of the cash; replacing
    it by 11 @ 90,000 needs 990,000 once the old hold is released, so it must be accepted.
    The engine once refused it with INSUFFICIENT_CASH because it funded the maximum of the old
    and the new terms ((11 - 0) x 100,000 = 1,100,000): a guard for replaces in flight when
    W > 1 that also applied at W = 1, where nothing is in flight."""
    ex = Exchange(feedback_window=1)
    ex.submit(AddSymbol(1, 0, "S", 100, 1, 100_000, 1_000))
    ex.submit(OpenAccount(2, 0, "F", "A"))
    ex.submit(Deposit(3, 0, "A", CASH, 1_000_000))
    ex.submit(
        NewOrder(4, 0, "F", "A", "S", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 10, 100_000, "")
    )
    events = ex.submit(ReplaceOrder(5, 0, "A", 4, 11, 90_000))
    assert events[0] == Replaced(4, "A", 11, 90_000, 11, False)
    assert ex.balance("A", CASH) == (1_000_000, 990_000)
