"""Snapshots: restore gives the same state hash and identical future outputs."""

from __future__ import annotations

import pytest

from engine.domain.exchange import Exchange
from engine.domain.types import CASH, AddSymbol, Deposit, OpenAccount, SetRiskLimits
from tests.engine.test_wallet_feedback import random_commands


@pytest.mark.parametrize("window", [1, 8])
@pytest.mark.parametrize("cut", [40, 700, 1500])
def test_restore_gives_the_same_hash_and_identical_future_outputs(window: int, cut: int) -> None:
    commands = list(random_commands(seed=5, n=2500))
    original = Exchange(window)
    for cmd in commands[:cut]:
        original.submit(cmd)
    data = original.snapshot()
    restored = Exchange.restore(data)
    assert restored.state_hash() == original.state_hash()
    assert restored.snapshot() == data
    restored.check_invariants()
    for cmd in commands[cut:]:
        assert restored.submit(cmd) == original.submit(cmd), cmd
    assert restored.state_hash() == original.state_hash()
    restored.check_invariants()


def test_snapshot_with_feedback_in_flight_keeps_it() -> None:
    ex = Exchange(feedback_window=1000)
    for cmd in random_commands(seed=9, n=400):
        ex.submit(cmd)
    assert ex.pending_feedback() > 0
    restored = Exchange.restore(ex.snapshot())
    assert restored.pending_feedback() == ex.pending_feedback()
    assert restored.feedback_window == 1000


def test_state_hash_does_not_depend_on_insertion_order() -> None:
    def build(accounts: list[str]) -> Exchange:
        ex = Exchange()
        seq = 1
        for sym in ("ZZZ", "AAA"):
            ex.submit(AddSymbol(seq, 0, sym, 1, 1, 100, 100))
            seq += 1
        for acct in accounts:
            ex.submit(OpenAccount(seq, 0, "F", acct))
            ex.submit(SetRiskLimits(seq + 1, 0, acct, 5, 0, 0))
            ex.submit(Deposit(seq + 2, 0, acct, CASH, 1000))
            seq += 3
        return ex

    a = build(["x", "y", "z"])
    b = build(["z", "x", "y"])
    assert a.state_hash() == b.state_hash()
    c = build(["z", "x", "w"])
    assert a.state_hash() != c.state_hash()


def test_snapshot_is_deterministic_bytes_and_versioned() -> None:
    ex = Exchange()
    for cmd in random_commands(seed=2, n=300):
        ex.submit(cmd)
    assert Exchange.restore(ex.snapshot()).snapshot() == ex.snapshot()
    with pytest.raises(ValueError):
        Exchange.restore(ex.snapshot().replace(b'"version":1', b'"version":99'))
