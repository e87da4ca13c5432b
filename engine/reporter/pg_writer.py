"""The PostgreSQL backend of the reporter: ``[reporter] dsn`` in the host configuration.

psycopg 3. The tables live in one schema (``[reporter] schema``, default ``sequex``), created
if missing; the connection's ``search_path`` is that schema alone, so the statements of
``engine.reporter.schema`` are the same as SQLite's. An unreachable server is a
:class:`~engine.reporter.errors.ReporterError` naming the DSN's host and database, never a
silent fallback to SQLite.

Each batch is one transaction, which first locks the position row (``FOR UPDATE``: a second
writer waits, then sees the new position). Rows go in by binary COPY, and where they go
depends on the position (``Shape.seq_column``):

* a row of a command past the position cannot be stored yet (rows and position are committed
  together), so it is COPYed straight into its table: the catch-up's case, every row;
* a row of a command at or before it (a batch written twice, a replay over the database) is
  COPYed into a temporary staging table (``ON COMMIT DELETE ROWS``) and moved with
  ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (COPY itself cannot skip a stored row);
* should a straight COPY still meet a stored key (a database that holds rows past its
  position: written by hand, or by another journal), the transaction is rolled back and the
  whole batch is written again through staging. No row is ever duplicated.

The session runs with ``synchronous_commit = off``, the PostgreSQL twin of SQLite's
``synchronous = NORMAL``: a server crash may lose the last transactions (never part of one),
and the reporter writes them again from the journal. Measured in docs/performance.md ("The
reporter"): straight binary COPY against the staging path, and the commit's flush.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from engine.reporter.errors import ReporterError
from engine.reporter.rows import Row, RowBatch
from engine.reporter.schema import (
    BY_NAME,
    INT,
    POSITION_TABLE,
    SCHEMA_VERSION,
    SHAPES,
    VERSION_TABLE,
    Shape,
    advance_statement,
    create_statements,
    version_problem,
)

#: A schema name the config accepts (also checked there): a plain lower-case identifier.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
CONNECT_TIMEOUT_S = 10
_LOCK_POSITION = f"SELECT last_seq FROM {POSITION_TABLE} WHERE id = 1 FOR UPDATE".encode()


def _shown(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "an unparsable DSN"
    parts.pop("password", None)
    return " ".join(f"{key}={value}" for key, value in sorted(parts.items()))


def _stage(name: str) -> str:
    return f"stage_{name}"


def _copy(table: str, shape: Shape) -> bytes:
    """COPY of the shape's columns (the table's others are NULL: their default)."""
    columns = ", ".join(shape.column_names)
    return f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)".encode()


class PostgresWriter:
    """A ``ReportWriter`` over one schema of a PostgreSQL database."""

    backend = "postgres"

    def __init__(self, dsn: str, schema: str = "sequex") -> None:
        if not SCHEMA_NAME.fullmatch(schema):
            raise ReporterError(f"reporter schema must be a lower-case identifier, not {schema!r}")
        self.schema = schema
        try:
            self._db = psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
        except psycopg.Error as exc:
            raise ReporterError(f"cannot connect to PostgreSQL ({_shown(dsn)}): {exc}") from exc
        info = self._db.info
        self.where = f"postgresql://{info.host}:{info.port}/{info.dbname} schema {schema}"
        db = self._db
        try:
            db.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            db.execute(b"SET synchronous_commit TO off")
            problem = version_problem(self._found_version(), self.where)
            if problem is not None:
                db.close()
                raise ReporterError(problem)
            with db.transaction():
                for statement in create_statements("postgres"):
                    db.execute(statement.encode())
            for name in BY_NAME:
                stage = f"CREATE TEMPORARY TABLE {_stage(name)} (LIKE {name}) ON COMMIT DELETE ROWS"
                db.execute(stage.encode())
        except psycopg.Error as exc:
            db.close()
            raise ReporterError(f"{self.where}: cannot create the reports schema: {exc}") from exc
        # by shape (``engine.reporter.schema.SHAPES``): a shape goes to its table's columns
        self._copies = {name: _copy(s.table.name, s) for name, s in SHAPES.items()}
        self._stage_copies = {name: _copy(_stage(s.table.name), s) for name, s in SHAPES.items()}
        self._types = {
            name: ["int8" if kind == INT else "text" for _, kind in s.columns]
            for name, s in SHAPES.items()
        }
        self._moves = {
            name: (
                f"INSERT INTO {s.table.name} SELECT * FROM {_stage(s.table.name)} "
                "ON CONFLICT DO NOTHING"
            ).encode()
            for name, s in SHAPES.items()
        }
        self._advance = advance_statement("postgres", "%s").encode()

    def _found_version(self) -> int:
        """The schema version of the schema's tables (none yet: the current one)."""
        found = self._db.execute(
            b"SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
            (f"{self.schema}.{POSITION_TABLE}", f"{self.schema}.{VERSION_TABLE}"),
        ).fetchone()
        assert found is not None
        has_position, has_version = found
        if not has_position:
            return SCHEMA_VERSION
        if not has_version:
            return 1  # written before the schema had a version
        row = self._db.execute(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1".encode())
        version = row.fetchone()
        return int(version[0]) if version is not None else 1

    def position(self) -> int:
        row = self._db.execute(
            f"SELECT last_seq FROM {POSITION_TABLE} WHERE id = 1".encode()
        ).fetchone()
        assert row is not None, "the schema holds the position row"
        return int(row[0])

    def write(self, batch: RowBatch) -> None:
        try:
            self._write(batch, straight=True)
        except psycopg.errors.UniqueViolation:
            self._write(batch, straight=False)  # rolled back: every row through staging

    def _write(self, batch: RowBatch, *, straight: bool) -> None:
        db = self._db
        with db.transaction(), db.cursor() as cursor:
            locked = cursor.execute(_LOCK_POSITION).fetchone()
            assert locked is not None, "the schema holds the position row"
            position = int(locked[0]) if straight else None
            for name, rows in batch.rows.items():
                if not rows:
                    continue
                if position is None:
                    new, stored = [], rows
                else:
                    at = SHAPES[name].seq_column
                    new = [row for row in rows if row[at] > position]
                    stored = rows if not new else [row for row in rows if row[at] <= position]
                if new:
                    self._copy_rows(cursor, self._copies[name], name, new)
                if stored:
                    self._copy_rows(cursor, self._stage_copies[name], name, stored)
                    cursor.execute(self._moves[name])
            cursor.execute(self._advance, (batch.through_seq,))

    def _copy_rows(self, cursor: Any, statement: bytes, name: str, rows: list[Row]) -> None:
        with cursor.copy(statement) as copy:
            copy.set_types(self._types[name])
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def account_firms(self) -> dict[str, str]:
        rows = self._db.execute(b"SELECT account, firm FROM accounts").fetchall()
        return {str(account): str(firm) for account, firm in rows}

    def query(
        self, text: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """``text`` with ``?`` placeholders (they become psycopg's ``%s``; a literal ``%`` is
        escaped), run in a read-only transaction."""
        statement = text.replace("%", "%%").replace("?", "%s")
        with self._db.transaction(), self._db.cursor() as cursor:
            cursor.execute(b"SET TRANSACTION READ ONLY")
            cursor.execute(statement.encode(), tuple(params))
            names = [d.name for d in cursor.description or ()]
            return names, [tuple(row) for row in cursor.fetchall()]

    def drop_schema(self) -> None:
        """Remove the schema and everything in it (tests: each run writes its own schema)."""
        self._db.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
        )

    def close(self) -> None:
        self._db.close()
