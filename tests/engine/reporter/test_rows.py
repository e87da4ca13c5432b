"""The projection of commands and events into report rows (pure: no database)."""

from __future__ import annotations

from engine.canonical import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    NewOrder,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Side,
    TimeInForce,
)
from engine.reporter.rows import Projector, RowBatch, trade_date
from engine.reporter.schema import BY_NAME, INT, SHAPES
from tests.engine.reporter.journals import TS0, numbered

DAY = TimeInForce.DAY
LIMIT = OrderType.LIMIT


def _setup() -> list[Command]:
    return [
        AddSymbol(0, 0, "ACME", 100, 1, 1_000_000, 1_000),
        OpenAccount(0, 0, "ALPHA", "ALPHA-1"),
        Deposit(0, 0, "ALPHA-1", "ACME", 1_000),
        OpenAccount(0, 0, "BETA", "BETA-1"),
        Deposit(0, 0, "BETA-1", CASH, 10**12),
    ]


def _project(commands: list[Command], origin: int = 7) -> RowBatch:
    exchange = Exchange(1)
    projector = Projector()
    batch = RowBatch()
    for cmd in numbered(commands):
        projector.add(batch, cmd, origin, exchange.submit(cmd))
    return batch


def _rows(batch: RowBatch, table: str) -> list[dict[str, object]]:
    names = BY_NAME[table].column_names
    return [dict(zip(names, row, strict=True)) for row in batch.table_rows().get(table, [])]


def test_a_trade_gives_the_commands_with_their_orders_and_both_sides_of_the_execution() -> None:
    batch = _project(
        [
            *_setup(),
            NewOrder(0, 0, "ALPHA", "ALPHA-1", "ACME", Side.SELL, LIMIT, DAY, 100, 1000000, "s1"),
            NewOrder(0, 0, "BETA", "BETA-1", "ACME", Side.BUY, LIMIT, DAY, 30, 1000000, "b1"),
        ]
    )
    assert batch.through_seq == 7
    (sell, buy) = _rows(batch, "commands")[-2:]  # an accepted order's row of the orders view
    assert (sell["order_id"], sell["firm"], sell["side"], sell["qty"]) == (6, "ALPHA", "sell", 100)
    assert (buy["order_id"], buy["origin"], buy["tif"]) == (7, 7, "day")
    assert (sell["detail"], buy["detail"]) == (None, None)  # the columns hold the whole command
    executions = _rows(batch, "executions")
    assert {
        (e["side"], e["order_id"], e["firm"], e["qty"], e["leaves_qty"]) for e in executions
    } == {
        ("buy", 7, "BETA", 30, 0),
        ("sell", 6, "ALPHA", 30, 70),
    }
    assert {e["exec_id"] for e in executions} == {7_000_000}
    assert {e["trade_date"] for e in executions} == {"2026-12-07"}
    command = _rows(batch, "commands")[-1]
    assert (command["seq_no"], command["kind"], command["firm"], command["outcome"]) == (
        7, "new_order", "BETA", "accepted",
    )  # fmt: skip


def test_a_refused_order_enters_no_order_and_its_command_says_why() -> None:
    batch = _project(
        [
            *_setup(),
            NewOrder(0, 0, "BETA", "BETA-1", "ACME", Side.SELL, LIMIT, DAY, 5, 1000000, "x"),
        ]
    )
    (event,) = _rows(batch, "order_events")
    assert (event["kind"], event["order_id"], event["reason"]) == (
        "rejected", 0, "insufficient_shares",
    )  # fmt: skip
    command = _rows(batch, "commands")[-1]
    assert (command["outcome"], command["reason"], command["order_id"]) == (
        "rejected", "insufficient_shares", None,
    )  # fmt: skip


def test_cancel_and_replace_are_rows_of_their_own_seq_naming_their_order_and_firm() -> None:
    batch = _project(
        [
            *_setup(),
            NewOrder(0, 0, "ALPHA", "ALPHA-1", "ACME", Side.SELL, LIMIT, DAY, 100, 1000000, "s1"),
            ReplaceOrder(0, 0, "ALPHA-1", 6, 60, 1000000, "s2"),
            CancelOrder(0, 0, "ALPHA-1", 6, "s3"),
        ]
    )
    events = [
        (e["seq_no"], e["kind"], e["order_id"], e["firm"]) for e in _rows(batch, "order_events")
    ]
    assert events == [
        (6, "accepted", 6, "ALPHA"),
        (7, "replaced", 6, "ALPHA"),
        (8, "cancelled", 6, "ALPHA"),
    ]
    replaced, cancelled = _rows(batch, "order_events")[1:]
    assert (replaced["qty"], replaced["leaves_qty"], replaced["client_order_id"]) == (60, 60, "s2")
    assert (cancelled["leaves_qty"], cancelled["reason"]) == (60, "user")
    kinds = [(c["kind"], c["firm"], c["order_id"]) for c in _rows(batch, "commands")[-2:]]
    assert kinds == [("replace_order", "ALPHA", 6), ("cancel_order", "ALPHA", 6)]


def test_every_integer_column_holds_an_int_never_a_float() -> None:
    batch = _project(
        [
            *_setup(),
            NewOrder(0, 0, "ALPHA", "ALPHA-1", "ACME", Side.SELL, LIMIT, DAY, 100, 1000000, "s1"),
            NewOrder(0, 0, "BETA", "BETA-1", "ACME", Side.BUY, LIMIT, DAY, 30, 1000000, "b1"),
        ]
    )
    for shape, rows in batch.rows.items():  # as built: each shape's own columns
        for row in rows:
            for (name, kind), value in zip(SHAPES[shape].columns, row, strict=True):
                if value is not None:
                    assert isinstance(value, int if kind == INT else str), (shape, name, value)
                    assert type(value) in (int, str), (shape, name, type(value))


def test_the_trade_date_is_the_utc_day_of_the_ts() -> None:
    assert trade_date(0) == "1970-01-01"
    assert trade_date(TS0) == "2026-12-07"
    assert trade_date(TS0 + 9 * 3_600 * 10**9 + 29 * 60 * 10**9) == "2026-12-07"  # 23:59
    assert trade_date(TS0 + 10 * 3_600 * 10**9) == "2026-12-08"


def test_an_admin_commands_detail_reads_back_as_the_command_and_order_commands_have_none() -> None:
    commands = numbered(
        [
            *_setup(),
            NewOrder(0, 0, "ALPHA", "ALPHA-1", "ACME", Side.SELL, LIMIT, DAY, 100, 1000000, "s1"),
            ReplaceOrder(0, 0, "ALPHA-1", 6, 60, 1000000, "s2"),
            CancelOrder(0, 0, "ALPHA-1", 6, "s3"),
        ]
    )
    rows = _rows(_project(commands), "commands")
    reader = CommandReader()
    for cmd, row in zip(commands, rows, strict=True):
        if isinstance(cmd, NewOrder | ReplaceOrder | CancelOrder):
            assert row["detail"] is None
        else:
            assert isinstance(row["detail"], str)
            assert reader.read_line(row["detail"]) == cmd
