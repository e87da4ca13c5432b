"""The writer contract (engine.reporter.writer), one set of tests run against every backend:
SQLite (the compiled build's C path, and the reference path through Python's sqlite3) and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.reporter.errors import ReporterError
from engine.reporter.rows import RowBatch
from engine.reporter.schema import TABLES
from tests.engine.reporter.backends import WRITER_BACKENDS, Backend, backend_in, dump


@pytest.fixture(params=WRITER_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_in(request.param, tmp_path) as chosen:
        yield chosen


def _batch(through: int, seqs: range) -> RowBatch:
    batch = RowBatch(through_seq=through)
    for seq in seqs:
        batch.add(
            "commands",
            (
                seq, 1_000 + seq, 0, "new_order", "BETA", "BETA-1", "ACME", "buy", "limit",
                "day", 10, 1_000_000, seq, f"c{seq}", 0, "accepted", None, "{}",
            ),
        )  # fmt: skip
        batch.add(
            "executions",
            (
                seq * 1_000_000, "buy", seq, 1, 1_000 + seq, "2026-12-07", seq, "BETA", "BETA-1",
                "ACME", 10, 1_000_000, 0, "taker",
            ),
        )  # fmt: skip
    batch.add("accounts", ("BETA-1", "BETA", 1))
    return batch


def test_a_new_database_has_every_table_and_is_at_position_zero(backend: Backend) -> None:
    writer = backend.open()
    assert writer.backend == backend.name
    assert writer.position() == 0
    tables = dump(writer)
    assert all(tables[table.name] == [] for table in TABLES)


def test_the_rows_and_the_position_of_a_batch_are_written_together(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_batch(3, range(1, 4)))
    assert writer.position() == 3
    tables = dump(writer)
    assert [row[0] for row in tables["commands"]] == [1, 2, 3]
    assert [(row[0], row[1]) for row in tables["executions"]] == [
        (1_000_000, "buy"), (2_000_000, "buy"), (3_000_000, "buy"),
    ]  # fmt: skip
    assert tables["commands"][0][10:12] == (10, 1_000_000)


def test_writing_the_same_batch_twice_adds_no_row(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_batch(3, range(1, 4)))
    once = dump(writer)
    writer.write(_batch(3, range(1, 4)))
    writer.write(_batch(5, range(2, 6)))  # overlapping: only seqs 4 and 5 are new
    twice = dump(writer)
    assert [row[0] for row in twice["commands"]] == [1, 2, 3, 4, 5]
    assert twice["commands"][:3] == once["commands"]
    assert len(twice["accounts"]) == 1


def test_the_position_never_moves_back(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_batch(5, range(1, 6)))
    writer.write(_batch(2, range(1, 3)))
    assert writer.position() == 5


def test_a_batch_that_fails_writes_neither_its_rows_nor_its_position(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_batch(1, range(1, 2)))
    bad = _batch(3, range(2, 4))
    bad.add("order_events", ("not", "a", "row"))  # the wrong number of columns: the backend refuses
    with pytest.raises(Exception):  # noqa: B017 (each driver raises its own error class)
        writer.write(bad)
    assert writer.position() == 1
    assert [row[0] for row in dump(writer)["commands"]] == [1]
    writer.write(_batch(3, range(2, 4)))  # and the writer is usable after it
    assert writer.position() == 3


def test_a_database_opened_again_keeps_its_rows_and_position(backend: Backend) -> None:
    first = backend.open()
    first.write(_batch(4, range(1, 5)))
    before = dump(first)
    first.close()
    again = backend.open()
    assert again.position() == 4
    assert dump(again) == before


def test_the_account_firms_are_read_back(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_batch(1, range(1, 2)))
    assert writer.account_firms() == {"BETA-1": "BETA"}


def test_a_query_takes_question_mark_parameters(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_batch(3, range(1, 4)))
    names, rows = writer.query(
        "SELECT seq_no, client_order_id FROM commands WHERE firm = ? AND seq_no >= ? "
        "AND client_order_id LIKE 'c%' ORDER BY seq_no",
        ("BETA", 2),
    )
    assert names == ["seq_no", "client_order_id"]
    assert rows == [(2, "c2"), (3, "c3")]


def test_rows_stored_past_the_position_are_still_written_once(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_batch(3, range(1, 6)))  # rows of seqs 4 and 5 stored, the position at 3
    writer.write(_batch(6, range(1, 7)))  # the writer cannot assume rows past 3 are new
    tables = dump(writer)
    assert [row[0] for row in tables["commands"]] == [1, 2, 3, 4, 5, 6]
    assert len(tables["executions"]) == 6 and len(tables["accounts"]) == 1
    assert writer.position() == 6


def _settlement_batch(through: int) -> RowBatch:
    """The rows of one Settle at ``through``: two obligations and two accounts' settlements."""
    batch = RowBatch(through_seq=through)
    batch.add(
        "obligations", (through, 0, "2026-12-07", "2026-12-09", "ALPHA", "ACME", 10, -1_000_000)
    )
    batch.add(
        "obligations", (through, 1, "2026-12-07", "2026-12-09", "BETA", "ACME", -10, 1_000_000)
    )
    batch.add(
        "settlements",
        (through, 2, "2026-12-07", "2026-12-09", "ALPHA", "ALPHA-1", "ACME", 10, 0, 1_000_000, 0),
    )
    batch.add(
        "settlements",
        (through, 3, "2026-12-07", "2026-12-09", "BETA", "BETA-1", "ACME", 0, 10, 0, 1_000_000),
    )
    return batch


def test_settlement_rows_are_written_once_and_net_to_zero(backend: Backend) -> None:
    writer = backend.open()
    writer.write(_settlement_batch(7))
    writer.write(_settlement_batch(7))  # a replay: no row twice
    tables = dump(writer)
    assert len(tables["obligations"]) == 2 and len(tables["settlements"]) == 2
    _, rows = writer.query(
        "SELECT SUM(shares), SUM(cash) FROM obligations WHERE trade_date = ? AND symbol = ?",
        ("2026-12-07", "ACME"),
    )
    assert [tuple(int(v) for v in row) for row in rows] == [(0, 0)]
    _, rows = writer.query(
        "SELECT account, bought, received FROM settlements WHERE settle_date = ? ORDER BY account",
        ("2026-12-09",),
    )
    assert [tuple(row) for row in rows] == [("ALPHA-1", 10, 0), ("BETA-1", 0, 1_000_000)]


def test_the_orders_view_is_every_accepted_new_order_as_entered(backend: Backend) -> None:
    writer = backend.open()
    batch = _batch(3, range(1, 4))
    refused = list(batch.rows["commands"][2])
    refused[12], refused[15] = None, "rejected"  # no order_id: the order was refused
    batch.rows["commands"][2] = tuple(refused)
    writer.write(batch)
    names, rows = writer.query("SELECT * FROM orders ORDER BY order_id")
    assert names[:4] == ["order_id", "seq_no", "ts", "origin"]
    assert [(r[0], r[1], r[names.index("client_order_id")]) for r in rows] == [
        (1, 1, "c1"),
        (2, 2, "c2"),
    ]


def _set_version(backend: Backend, version: int | None) -> None:
    """Make the database look written by another schema version (None: by version 1, which
    had no version table)."""
    writer = backend.open()
    writer.write(_batch(2, range(1, 3)))
    statement = (
        "DROP TABLE reporter_schema"
        if version is None
        else f"UPDATE reporter_schema SET version = {version}"
    )
    if backend.name == "sqlite":
        import sqlite3

        with sqlite3.connect(writer.where) as db:
            db.execute(statement)
    else:
        import psycopg

        from tests.engine.reporter.backends import PG_DSN

        with psycopg.connect(PG_DSN, autocommit=True) as db:
            db.execute(f"SET search_path TO {backend.config.schema}")
            db.execute(statement)
    backend.close_all()


@pytest.mark.parametrize(("version", "written_by"), [(None, "an older"), (3, "a newer")])
def test_a_database_of_another_schema_version_is_refused_naming_the_cure(
    backend: Backend, version: int | None, written_by: str
) -> None:
    _set_version(backend, version)
    with pytest.raises(ReporterError) as refused:
        backend.open()
    message = str(refused.value)
    assert f"schema version {version or 1}, written by {written_by} sequex" in message
    assert "this one reads and writes version 2" in message
    assert "sequex report sync" in message


def test_every_value_reads_back_as_written_nulls_and_text_alike(backend: Backend) -> None:
    # 70 rows: two whole multi-row statements of SQLite's writer and 6 single rows, with
    # NULLs in every nullable column (a cancel's row has 9 of them)
    rows = [
        (
            seq, 1_000 + seq, seq % 3, "cancel_order", None if seq % 2 else "BETA", "BETA-1",
            None, None, None, None, None, None, seq // 2, f"c'{seq}\u00e9", None,
            None if seq % 5 else "cancelled", None if seq % 7 else "unknown_order", None,
        )
        for seq in range(1, 71)
    ]  # fmt: skip
    batch = RowBatch(through_seq=70)
    for row in rows:
        batch.add("commands", row)
    writer = backend.open()
    writer.write(batch)
    assert dump(writer)["commands"] == rows


def test_rows_of_a_narrow_shape_are_stored_with_nulls_in_the_other_columns(
    backend: Backend,
) -> None:
    batch = RowBatch(through_seq=40)
    for seq in range(1, 41):  # a whole multi-row statement of each shape, and single rows
        batch.add("commands.cancel", (seq, 7, 0, "cancel_order", "BETA", "BETA-1", seq, "", None))
        batch.add("order_events.closed", (seq, 0, "cancelled", seq, "BETA", "BETA-1", "", 5, "x"))
        batch.add(
            "order_events.accepted",
            (seq, 1, "accepted", seq, "BETA", "BETA-1", "c", 10, 1_000_000, 10),
        )
    writer = backend.open()
    writer.write(batch)
    writer.write(batch)  # at the position: the second time through the duplicate-key path
    stored = dump(writer)
    expected = batch.table_rows()
    assert stored["commands"] == expected["commands"]
    assert stored["order_events"] == expected["order_events"]
    assert stored["commands"][0] == (
        1, 7, 0, "cancel_order", "BETA", "BETA-1", None, None, None, None, None, None, 1, "",
        None, None, None, None,
    )  # fmt: skip
