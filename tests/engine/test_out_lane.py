"""The out lane (``engine.gateway.out_lane.project_into``) held to its reference model,
``OutboundProjection.apply``: on random command streams run through the real exchange
(orders of every type and time in force, partial fills, cancels and replaces of live, ended
and unknown orders with and without their own client order ids, rejects, end of day, two
firms with two sessions each and an ephemeral connection), both give the same reports to
the same sessions in the same order, the same store records, and the same live-order
snapshot after every command."""

from __future__ import annotations

from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    NewOrder,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Side,
    TimeInForce,
)
from engine.gateway.ledger import numbered_reports
from engine.gateway.out_lane import POSITIONS, project_into
from engine.gateway.outbound import OrderReport, OutboundProjection
from engine.gateway.report_store import encode_report
from engine.session_ids import session_origin

A1, A2 = session_origin("ALPHA", "AO1"), session_origin("ALPHA", "AF1")
B1, B2 = session_origin("BETA", "BO1"), session_origin("BETA", "BF1")
EPHEMERAL = 7
ORIGINS = (A1, A2, B1, B2, EPHEMERAL, 0)
ACCOUNTS = {A1: "A-1", A2: "A-1", B1: "B-1", B2: "B-1", EPHEMERAL: "B-1", 0: "A-1"}
FIRM = {"A-1": "ALPHA", "B-1": "BETA"}

SETUP: list[Command] = [
    AddSymbol(1, 0, "ACME", 100, 1, 1_000_000, 1000),
    AddSymbol(2, 0, "BOLT", 100, 1, 1_000_000, 1000),
    OpenAccount(3, 0, "ALPHA", "A-1"),
    OpenAccount(4, 0, "BETA", "B-1"),
    Deposit(5, 0, "A-1", CASH, 10**12),
    Deposit(6, 0, "B-1", CASH, 10**12),
    Deposit(7, 0, "A-1", "ACME", 10**6),
    Deposit(8, 0, "B-1", "ACME", 10**6),
    Deposit(9, 0, "A-1", "BOLT", 10**6),
    Deposit(10, 0, "B-1", "BOLT", 10**6),
]

_new = st.tuples(
    st.just("new"),
    st.sampled_from(ORIGINS),
    st.sampled_from(["ACME", "BOLT", "NOPE"]),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET]),
    st.sampled_from(list(TimeInForce)),
    st.integers(0, 30),  # qty (0: rejected)
    st.integers(990, 1010),  # price in ticks of 1000
    st.sampled_from(["", "c1", "c2", "c3"]),
    st.booleans(),  # post only
)
#: cancel/replace of an order: an index back into the orders entered, or an unknown id
_change = st.tuples(
    st.sampled_from(["cancel", "replace"]),
    st.sampled_from(ORIGINS),
    st.integers(0, 12),
    st.integers(0, 30),
    st.integers(990, 1010),
    st.sampled_from(["", "r1", "r2"]),
)
_end = st.tuples(st.just("end"), st.sampled_from(["ACME", "BOLT"]))
_steps = st.lists(st.one_of(_new, _new, _change, _end), min_size=1, max_size=40)


def _commands(steps: list[tuple[Any, ...]]) -> list[tuple[Command, int]]:
    out: list[tuple[Command, int]] = []
    entered: list[int] = []
    for seq_no, step in enumerate(steps, start=len(SETUP) + 1):
        ts = seq_no * 1_000_000_007
        match step:
            case ("new", origin, symbol, side, otype, tif, qty, ticks, clid, post):
                account = ACCOUNTS[origin]
                price = 0 if otype is OrderType.MARKET else ticks * 1000
                cmd: Command = NewOrder(
                    seq_no, ts, FIRM[account], account, symbol, side, otype, tif, qty, price,
                    clid, post,
                )  # fmt: skip
                entered.append(seq_no)
            case (what, origin, back, qty, ticks, clid):
                account = ACCOUNTS[origin]
                order_id = entered[-1 - back] if back < len(entered) else 999_999
                if what == "cancel":
                    cmd = CancelOrder(seq_no, ts, account, order_id, clid)
                else:
                    cmd = ReplaceOrder(seq_no, ts, account, order_id, qty, ticks * 1000, clid)
            case ("end", symbol):
                cmd, origin = EndOfDay(seq_no, ts, symbol), 0
            case _:
                raise AssertionError(step)
        out.append((cmd, origin))
    return out


def _grouped(owed: list[tuple[int, OrderReport]]) -> dict[int, list[OrderReport]]:
    by_origin: dict[int, list[OrderReport]] = {}
    for target, report in owed:
        by_origin.setdefault(target, []).append(report)
    return by_origin


@settings(max_examples=150, deadline=None)
@given(_steps)
def test_the_out_lane_owes_what_the_projection_owes(steps: list[tuple[Any, ...]]) -> None:
    exchange = Exchange()
    for cmd in SETUP:
        exchange.submit(cmd)
    reference, lane = OutboundProjection(), OutboundProjection()
    for cmd, origin in _commands(steps):
        events = numbered_reports(exchange.submit(cmd))
        expected = _grouped(reference.apply(cmd, origin, events))
        got: dict[int, list[OrderReport]] = {}
        project_into(lane, cmd, origin, events, got)
        assert got == expected
        for target, reports in got.items():
            assert [encode_report(r) for r in reports] == [
                encode_report(r) for r in expected[target]
            ]
        assert lane.snapshot() == reference.snapshot()
        assert lane.by_token == reference.by_token


def test_the_streams_reach_every_kind_the_lane_makes() -> None:
    """The generator is not vacuous: a fixed stream makes NEW, TRADE, CANCELED, EXPIRED,
    REPLACED and both refusals, through the lane, equal to the reference."""
    steps: list[tuple[Any, ...]] = [
        ("new", A1, "ACME", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 10, 1000, "c1", False),
        ("new", B1, "ACME", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 4, 1000, "c1", False),
        ("replace", A1, 1, 8, 1000, "r1"),
        ("cancel", A2, 12, 0, 0, "r2"),
        ("new", B2, "ACME", Side.SELL, OrderType.LIMIT, TimeInForce.IOC, 9, 1000, "c2", False),
        ("new", A1, "BOLT", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 5, 999, "c3", False),
        ("new", B1, "NOPE", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 5, 999, "c3", False),
        ("end", "BOLT"),
    ]
    exchange = Exchange()
    for cmd in SETUP:
        exchange.submit(cmd)
    reference, lane = OutboundProjection(), OutboundProjection()
    kinds: set[str] = set()
    for cmd, origin in _commands(steps):
        events = numbered_reports(exchange.submit(cmd))
        expected = _grouped(reference.apply(cmd, origin, events))
        got: dict[int, list[OrderReport]] = {}
        project_into(lane, cmd, origin, events, got)
        assert got == expected
        kinds.update(r.kind.name for reports in got.values() for r in reports)
    assert {"NEW", "TRADE", "REPLACED", "CANCEL_REJECTED", "EXPIRED", "REJECTED"} <= kinds


def test_the_lane_reads_the_fields_where_the_classes_have_them() -> None:
    for cls, name, position in POSITIONS:
        assert cls._fields[position] == name, (cls.__name__, name, position)  # type: ignore[attr-defined]
    for cls in get_args(Command):  # a command's seq_no and ts are read as its first two items
        assert cls._fields[:2] == ("seq_no", "ts"), cls.__name__
