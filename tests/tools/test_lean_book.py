"""The lean ceiling of `sequex bench book` returns exactly the engine's events."""

from __future__ import annotations

from typing import Any

import pytest

from engine.domain.exchange import Exchange
from engine.domain.types import NewOrder, OrderType, Side, TimeInForce
from tools.lean_book import LeanState, OutsideLeanModel, run_lean
from tools.workload import SYMBOL, standard_book_workload


@pytest.mark.parametrize("seed", [1, 7, 23])
def test_lean_ceiling_equals_the_engine_command_by_command(seed: int) -> None:
    workload = standard_book_workload(20_000, seed=seed)
    exchange = Exchange(feedback_window=1)
    for cmd in workload.setup:
        exchange.submit(cmd)
    expected = [exchange.submit(cmd) for cmd in workload.commands]
    got: list[list[Any]] = []
    produced = run_lean(LeanState(workload.setup), workload.commands, keep=got)
    assert produced == sum(len(events) for events in expected)
    assert len(got) == len(expected)
    for cmd, lean, engine in zip(workload.commands, got, expected, strict=True):
        assert lean == engine, cmd
        assert [type(e) for e in lean] == [type(e) for e in engine], cmd
    kinds = {type(e).__name__ for events in got for e in events}
    # the workload exercises every branch the ceiling models
    assert kinds >= {"Accepted", "BookAdd", "Fill", "BookExecute", "Cancelled", "BookDelete",
                     "Expired"}  # fmt: skip
    plain: list[list[Any]] = []
    run_lean(LeanState(workload.setup), workload.commands, plain_tuples=True, keep=plain)
    assert [[tuple(e) for e in events] for events in got] == plain


def test_lean_ceiling_refuses_what_it_does_not_model() -> None:
    workload = standard_book_workload(10, seed=1)
    market = NewOrder(10_000, 0, "F0", "A0", SYMBOL, Side.BUY, OrderType.MARKET,
                      TimeInForce.IOC, 100, 0, "m")  # fmt: skip
    with pytest.raises(OutsideLeanModel):
        run_lean(LeanState(workload.setup), [market])
