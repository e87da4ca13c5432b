"""The PostgreSQL backend of the reporter: ``[reporter] dsn`` in the host configuration.

psycopg 3. The tables live in one schema (``[reporter] schema``, default ``sequex``), created
if missing; the connection's ``search_path`` is that schema alone, so the statements of
``engine.reporter.schema`` are the same as SQLite's. Each batch is one transaction: per table,
the rows are COPYed into a temporary staging table (``ON COMMIT DELETE ROWS``), then moved with
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (COPY itself cannot skip the rows a replay
writes again); then the position is advanced. An unreachable server is a
:class:`~engine.reporter.errors.ReporterError` naming the DSN's host and database, never a
silent fallback to SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from engine.reporter.errors import ReporterError
from engine.reporter.rows import RowBatch
from engine.reporter.schema import BY_NAME, POSITION_TABLE, advance_statement, create_statements

#: A schema name the config accepts (also checked there): a plain lower-case identifier.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
CONNECT_TIMEOUT_S = 10


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
            with db.transaction():
                for statement in create_statements("postgres"):
                    db.execute(statement.encode())
            for name in BY_NAME:
                stage = f"CREATE TEMPORARY TABLE {_stage(name)} (LIKE {name}) ON COMMIT DELETE ROWS"
                db.execute(stage.encode())
        except psycopg.Error as exc:
            db.close()
            raise ReporterError(f"{self.where}: cannot create the reports schema: {exc}") from exc
        self._copies = {
            name: f"COPY {_stage(name)} ({', '.join(t.column_names)}) FROM STDIN".encode()
            for name, t in BY_NAME.items()
        }
        self._moves = {
            name: f"INSERT INTO {name} SELECT * FROM {_stage(name)} ON CONFLICT DO NOTHING".encode()
            for name in BY_NAME
        }
        self._advance = advance_statement("postgres", "%s").encode()

    def position(self) -> int:
        row = self._db.execute(
            f"SELECT last_seq FROM {POSITION_TABLE} WHERE id = 1".encode()
        ).fetchone()
        assert row is not None, "the schema holds the position row"
        return int(row[0])

    def write(self, batch: RowBatch) -> None:
        db = self._db
        with db.transaction(), db.cursor() as cursor:
            for name, rows in batch.rows.items():
                if not rows:
                    continue
                with cursor.copy(self._copies[name]) as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(self._moves[name])
            cursor.execute(self._advance, (batch.through_seq,))

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
