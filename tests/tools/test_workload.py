"""Workload generators: deterministic input whose cancels aim at live orders."""

from __future__ import annotations

from collections import Counter

from engine.domain.exchange import Exchange
from engine.domain.types import CancelOrder, Command, NewOrder, Rejected, Side, TimeInForce
from tools.workload import (
    SYMBOL,
    DictDequeBook,
    Workload,
    deep_book_workload,
    standard_book_workload,
)


def _run(workload: Workload) -> tuple[Exchange, Counter[str]]:
    ex = Exchange()
    kinds: Counter[str] = Counter()
    for cmd in [*workload.setup, *workload.commands]:
        for event in ex.submit(cmd):
            kinds[type(event).__name__] += 1
            assert type(event) is not Rejected, (cmd, event)
    return ex, kinds


def _mix(commands: list[Command]) -> Counter[str]:
    mix: Counter[str] = Counter()
    for cmd in commands:
        if type(cmd) is CancelOrder:
            mix["cancel"] += 1
        elif type(cmd) is NewOrder and cmd.tif == TimeInForce.IOC:
            mix["marketable_ioc"] += 1
        else:
            mix["order"] += 1
    return mix


def test_same_arguments_give_the_same_commands() -> None:
    assert standard_book_workload(2_000, seed=7) == standard_book_workload(2_000, seed=7)
    assert standard_book_workload(2_000, seed=7) != standard_book_workload(2_000, seed=8)
    assert deep_book_workload(500, orders_per_level=20) == deep_book_workload(
        500, orders_per_level=20
    )


def test_setup_and_timed_commands_are_numbered_contiguously_from_first_seq_no() -> None:
    workload = standard_book_workload(1_000, first_seq_no=101)
    seqs = [cmd.seq_no for cmd in [*workload.setup, *workload.commands]]
    assert seqs == list(range(101, 101 + len(seqs)))
    assert len(workload.commands) == 1_000
    assert all(type(cmd) in (NewOrder, CancelOrder) for cmd in workload.commands)
    assert not any(type(cmd) in (NewOrder, CancelOrder) for cmd in workload.setup)


def test_standard_mix_is_about_60_25_15_and_nothing_is_rejected() -> None:
    workload = standard_book_workload(20_000, seed=3)
    mix = _mix(workload.commands)
    assert 0.22 < mix["cancel"] / 20_000 < 0.28
    _, kinds = _run(workload)
    # every cancel found its order live: the shadow book agrees with the engine
    assert kinds["Cancelled"] >= mix["cancel"]
    assert kinds["Fill"] > 2_000


def test_deep_workload_keeps_about_orders_per_level_on_each_level() -> None:
    workload = deep_book_workload(20_000, levels=3, orders_per_level=200, seed=5)
    ex, kinds = _run(workload)
    for side in Side:
        depth = ex.depth(SYMBOL, side, 10)
        assert len(depth) == 3
        assert all(120 <= count <= 300 for _, _, count in depth), depth
    assert kinds["BookExecute"] < kinds["BookAdd"] / 5


def test_dict_deque_baseline_trades_like_the_engine_on_the_workload() -> None:
    workload = standard_book_workload(5_000, seed=11)
    book = DictDequeBook()
    for cmd in [*workload.setup, *workload.commands]:
        book.submit(cmd)
    ex, kinds = _run(workload)
    assert book.trades == kinds["BookExecute"]
    assert book.best_bid() == ex.depth(SYMBOL, Side.BUY, 1)[0][0]
    assert book.best_ask() == ex.depth(SYMBOL, Side.SELL, 1)[0][0]
    assert len(book.orders) == sum(n for _, _, n in ex.depth(SYMBOL, Side.BUY, 1_000)) + sum(
        n for _, _, n in ex.depth(SYMBOL, Side.SELL, 1_000)
    )
