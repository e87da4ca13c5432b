"""The reporter's backends for tests: SQLite in a temporary directory, and PostgreSQL on this
machine (127.0.0.1:5432, database test; ``SEQUEX_TEST_PG_DSN`` overrides), each test in a
schema of its own that is dropped afterwards. PostgreSQL is required: a test that needs it
fails, naming the DSN, when it is unreachable; it is never skipped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from engine.config import ReporterConfig
from engine.reporter.schema import POSITION_TABLE, TABLES
from engine.reporter.sqlite_writer import SqliteWriter
from engine.reporter.writer import ReportWriter, open_writer, sqlite_path

PG_DSN = os.environ.get("SEQUEX_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")
BACKENDS = ("sqlite", "postgres")
#: The writer contract runs on these: sqlite-reference is the SQLite writer's reference path
#: through Python's sqlite3 (the compiled build writes through SQLite's C API by default,
#: engine.reporter.sqlite_batches)
WRITER_BACKENDS = ("sqlite", "sqlite-reference", "postgres")


def unique_schema() -> str:
    return f"sequex_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"


def require_postgres() -> None:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=10) as db:
            db.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL is required by the reporter tests and unreachable at {PG_DSN!r}: {exc}"
        )


def drop_schema(schema: str) -> None:
    with psycopg.connect(PG_DSN, connect_timeout=10, autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def reporter_config(backend: str) -> Iterator[ReporterConfig]:
    """A config of ``backend`` whose database is new; a PostgreSQL schema is dropped after."""
    if backend.startswith("sqlite"):
        yield ReporterConfig()
        return
    require_postgres()
    schema = unique_schema()
    try:
        yield ReporterConfig(dsn=PG_DSN, schema=schema)
    finally:
        drop_schema(schema)


class Backend:
    """One backend and one data directory: opens writers on the same database."""

    def __init__(
        self, name: str, config: ReporterConfig, data_dir: Path, *, reference: bool = False
    ) -> None:
        self.name = name
        #: SQLite through the reference path (Python's sqlite3), not the build's default
        self.reference = reference
        self.config = config
        self.data_dir = data_dir
        self._open: list[ReportWriter] = []

    def open(self) -> ReportWriter:
        writer: ReportWriter
        if self.reference:
            writer = SqliteWriter(sqlite_path(self.data_dir), fast=False)
        else:
            writer = open_writer(self.config, self.data_dir)
        self._open.append(writer)
        return writer

    def close_all(self) -> None:
        for writer in self._open:
            writer.close()
        self._open.clear()


@contextmanager
def backend_in(name: str, tmp_path: Path) -> Iterator[Backend]:
    """Backend ``name`` with a new data directory and database, its writers closed after."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    with reporter_config(name) as config:
        reference = name == "sqlite-reference"
        chosen = Backend("sqlite" if reference else name, config, data_dir, reference=reference)
        try:
            yield chosen
        finally:
            chosen.close_all()


def dump(writer: ReportWriter) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order, and the position."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        key = ", ".join(table.key)
        _, rows = writer.query(f"SELECT * FROM {table.name} ORDER BY {key}")
        tables[table.name] = rows
    # the orders view (schema version 2), which the tests read like a table
    tables["orders"] = writer.query("SELECT * FROM orders ORDER BY order_id")[1]
    _, position = writer.query(f"SELECT last_seq FROM {POSITION_TABLE}")
    tables[POSITION_TABLE] = position
    return tables
