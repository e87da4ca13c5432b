"""The reporter's schema: one set of tables, rendered for SQLite and for PostgreSQL.

Every table is insert-only and keyed by what the journal makes unique (``seq_no``, the event's
``sub_seq``, the trade's ``exec_id``), so writing a row twice is a no-op (``ON CONFLICT DO
NOTHING``): a restart, a replay or a duplicate batch never duplicates a row. Integers only for
prices (price units), quantities (shares), cash and times (ns since the epoch); enums are
their lower-case names, as in the canonical JSON (``engine.canonical``).

``reporter_position`` holds one row: the last command seq whose rows are written. A backend
updates it in the same transaction as the rows (``GREATEST``/``MAX``: it never goes back).
``reporter_schema`` holds the schema version (:data:`SCHEMA_VERSION`); a backend refuses a
database of another version with :func:`version_problem`'s message. ``orders`` is a view of
``commands`` (:data:`ORDERS_VIEW`), not a table.

The table definitions are data (:data:`TABLES`): each backend renders its DDL and its insert
statements from them (:func:`create_statements`, :func:`insert_statement`), so the two
backends cannot drift apart. docs/reporter.md documents every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Dialect = Literal["sqlite", "postgres"]
INT: Final = "int"
TEXT: Final = "text"

#: column type -> its SQL type per dialect (SQLite's INTEGER is 64-bit)
_SQL_TYPES: Final[dict[str, dict[Dialect, str]]] = {
    INT: {"sqlite": "INTEGER", "postgres": "BIGINT"},
    TEXT: {"sqlite": "TEXT", "postgres": "TEXT"},
}


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    #: (column, INT | TEXT), in row order
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    #: secondary indexes: each a tuple of columns. Only what the standard reports
    #: (``engine.reporter.queries``) look rows up by: the 4 others schema version 1 had cost
    #: 13% of the writer's time (docs/performance.md, "The reporter"); other questions scan.
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def seq_column(self) -> int:
        """Where a row holds the seq_no of the command that made it: a row is written in the
        transaction that moves the position past that seq, so a row whose seq is past the
        position cannot be stored yet (a writer may skip the conflict check for it)."""
        return self.column_names.index("seq_no")


COMMANDS = Table(
    "commands",
    (
        ("seq_no", INT), ("ts", INT), ("origin", INT), ("kind", TEXT), ("firm", TEXT),
        ("account", TEXT), ("symbol", TEXT), ("side", TEXT), ("order_type", TEXT), ("tif", TEXT),
        ("qty", INT), ("price", INT), ("order_id", INT), ("client_order_id", TEXT),
        ("post_only", INT), ("outcome", TEXT), ("reason", TEXT), ("detail", TEXT),
    ),
    key=("seq_no",),
    indexes=(("firm", "seq_no"),),
)  # fmt: skip
ORDER_EVENTS = Table(
    "order_events",
    (
        ("seq_no", INT), ("sub_seq", INT), ("kind", TEXT), ("order_id", INT), ("firm", TEXT),
        ("account", TEXT), ("client_order_id", TEXT), ("qty", INT), ("price", INT),
        ("leaves_qty", INT), ("reason", TEXT), ("text", TEXT),
    ),
    key=("seq_no", "sub_seq"),
    indexes=(("order_id",),),
)  # fmt: skip
EXECUTIONS = Table(
    "executions",
    (
        ("exec_id", INT), ("side", TEXT), ("seq_no", INT), ("sub_seq", INT), ("ts", INT),
        ("trade_date", TEXT), ("order_id", INT), ("firm", TEXT), ("account", TEXT),
        ("symbol", TEXT), ("qty", INT), ("price", INT), ("leaves_qty", INT),
        ("liquidity", TEXT),
    ),
    key=("exec_id", "side"),
    indexes=(("trade_date", "exec_id"), ("order_id",)),
)  # fmt: skip
ACCOUNTS = Table(
    "accounts",
    (("account", TEXT), ("firm", TEXT), ("seq_no", INT)),
    key=("account",),
)
OBLIGATIONS = Table(
    "obligations",
    (
        ("seq_no", INT), ("sub_seq", INT), ("trade_date", TEXT), ("settle_date", TEXT),
        ("firm", TEXT), ("symbol", TEXT), ("shares", INT), ("cash", INT),
    ),
    key=("seq_no", "sub_seq"),
    indexes=(("trade_date", "firm"), ("settle_date", "firm")),
)  # fmt: skip
SETTLEMENTS = Table(
    "settlements",
    (
        ("seq_no", INT), ("sub_seq", INT), ("trade_date", TEXT), ("settle_date", TEXT),
        ("firm", TEXT), ("account", TEXT), ("symbol", TEXT), ("bought", INT), ("sold", INT),
        ("paid", INT), ("received", INT),
    ),
    key=("seq_no", "sub_seq"),
    indexes=(("trade_date", "account"), ("settle_date", "firm")),
)  # fmt: skip
#: The tables the rows of a batch go to, in insert order.
TABLES: Final = (COMMANDS, ORDER_EVENTS, EXECUTIONS, ACCOUNTS, OBLIGATIONS, SETTLEMENTS)
BY_NAME: Final = {table.name: table for table in TABLES}


@dataclass(frozen=True, slots=True)
class Shape:
    """A kind of row of ``table`` that holds only ``columns`` (in table order); every other
    column of the table is NULL in it. The row builder makes the common rows in their shape
    and the writers name its columns, so those NULLs are never bound: binding costs Python's
    ``sqlite3`` about 0.1 µs a value, and a fifth of a trading day's values were NULLs
    (docs/performance.md, "The reporter"). The stored rows are the same either way."""

    name: str
    table: Table
    columns: tuple[tuple[str, str], ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def seq_column(self) -> int:
        """Where its rows hold the seq_no (``Table.seq_column``; every shape holds it)."""
        return self.column_names.index("seq_no")

    def full_row(self, row: tuple[object, ...]) -> tuple[object, ...]:
        """``row`` as a row of every column of the table (NULLs as None)."""
        held = dict(zip(self.column_names, row, strict=True))
        return tuple(held.get(name) for name in self.table.column_names)


def _shape(name: str, table: Table, *null: str) -> Shape:
    assert set(null) <= set(table.column_names) and table.key[0] not in null
    return Shape(name, table, tuple(c for c in table.columns if c[0] not in null))


#: A new order not rejected (no ``reason``; ``detail`` is only for other commands).
COMMANDS_ORDER: Final = _shape("commands.order", COMMANDS, "reason", "detail")
#: A cancel request not rejected: no order terms, no reason, no detail.
COMMANDS_CANCEL: Final = _shape(
    "commands.cancel", COMMANDS, "symbol", "side", "order_type", "tif", "qty", "price",
    "post_only", "reason", "detail",
)  # fmt: skip
#: An order's ``accepted`` event: no reason, no text.
ORDER_EVENTS_ACCEPTED: Final = _shape("order_events.accepted", ORDER_EVENTS, "reason", "text")
#: A ``cancelled`` or ``expired`` event: no qty, price or text.
ORDER_EVENTS_CLOSED: Final = _shape("order_events.closed", ORDER_EVENTS, "qty", "price", "text")
#: Every shape a batch may hold rows of, by name: each table's own name is its full shape
#: (every column), then the narrower ones. A batch's rows of one table may be in several.
SHAPES: Final = {
    **{table.name: Shape(table.name, table, table.columns) for table in TABLES},
    **{
        shape.name: shape
        for shape in (COMMANDS_ORDER, COMMANDS_CANCEL, ORDER_EVENTS_ACCEPTED, ORDER_EVENTS_CLOSED)
    },
}

POSITION_TABLE: Final = "reporter_position"
#: One row: the schema version the database was written with (:data:`SCHEMA_VERSION`).
VERSION_TABLE: Final = "reporter_schema"
#: 1: ``orders`` a table of its own and ``detail`` on every command (before 2026-12-06);
#: 2: ``orders`` a view of ``commands``, ``detail`` only where the columns do not hold the
#: command (docs/reporter.md, "Schema").
SCHEMA_VERSION: Final = 2

#: ``orders``: every accepted order as entered. A view, not a table: an accepted NewOrder's
#: ``commands`` row holds every term (its ``order_id`` is set only when it was accepted), so a
#: table would store each order twice (docs/performance.md, "The reporter").
ORDERS_VIEW: Final = (
    "CREATE VIEW orders AS SELECT seq_no AS order_id, seq_no, ts, origin, firm, account, symbol, "
    "side, order_type, tif, qty, price, client_order_id, post_only FROM commands "
    "WHERE kind = 'new_order' AND order_id IS NOT NULL"
)


def create_statements(dialect: Dialect) -> list[str]:
    """Every CREATE statement of the schema (idempotent: IF NOT EXISTS), position row too."""
    statements: list[str] = []
    for table in TABLES:
        columns = ", ".join(f"{name} {_SQL_TYPES[kind][dialect]}" for name, kind in table.columns)
        key = ", ".join(table.key)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table.name} ({columns}, PRIMARY KEY ({key}))"
        )
        for columns_of_index in table.indexes:
            index = f"{table.name}_by_{'_'.join(columns_of_index)}"
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table.name} "
                f"({', '.join(columns_of_index)})"
            )
    # SQLite has CREATE VIEW IF NOT EXISTS; PostgreSQL's CREATE OR REPLACE VIEW is as idempotent
    exists = "VIEW IF NOT EXISTS" if dialect == "sqlite" else "OR REPLACE VIEW"
    statements.append(ORDERS_VIEW.replace("VIEW", exists, 1))
    integer = _SQL_TYPES[INT][dialect]
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (id {integer} PRIMARY KEY CHECK (id = 1), "
        f"version {integer} NOT NULL)"
    )
    statements.append(
        f"INSERT INTO {VERSION_TABLE} (id, version) VALUES (1, {SCHEMA_VERSION}) "
        "ON CONFLICT DO NOTHING"
    )
    statements.append(
        f"CREATE TABLE IF NOT EXISTS {POSITION_TABLE} (id {integer} PRIMARY KEY CHECK (id = 1), "
        f"last_seq {integer} NOT NULL)"
    )
    statements.append(
        f"INSERT INTO {POSITION_TABLE} (id, last_seq) VALUES (1, 0) ON CONFLICT DO NOTHING"
    )
    return statements


def version_problem(found: int, where: str) -> str | None:
    """Why a database of schema version ``found`` cannot be written (None: it can). The
    reports are a function of the journal, so the cure is to write them again."""
    if found == SCHEMA_VERSION:
        return None
    older = "an older" if found < SCHEMA_VERSION else "a newer"
    return (
        f"the reports database ({where}) has schema version {found}, written by {older} "
        f"sequex; this one reads and writes version {SCHEMA_VERSION}. The reports are derived "
        "from the journal: move the database away (SQLite: reports.db and its -wal and -shm "
        "files; PostgreSQL: DROP SCHEMA ... CASCADE) and run `sequex report sync` (or start "
        "the host) to write it again"
    )


def insert_statement(shape: Shape, placeholder: str, rows: int = 1) -> str:
    """``INSERT INTO table (...) VALUES (p, p, ...) ON CONFLICT DO NOTHING`` of the shape's
    columns, with ``rows`` parenthesised groups of placeholders (a multi-row insert)."""
    names = shape.column_names
    group = f"({', '.join(placeholder for _ in names)})"
    values = ", ".join(group for _ in range(rows))
    table = shape.table.name
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES {values} ON CONFLICT DO NOTHING"


def advance_statement(dialect: Dialect, placeholder: str) -> str:
    """Move the position forward to the parameter (never back)."""
    larger = "MAX" if dialect == "sqlite" else "GREATEST"
    return f"UPDATE {POSITION_TABLE} SET last_seq = {larger}(last_seq, {placeholder}) WHERE id = 1"
