"""The reporter's one writer interface, and how a backend is chosen.

Contract of a :class:`ReportWriter` (every backend; ``tests/engine/reporter`` runs the same
contract tests against each):

* opening it creates the schema if it is missing (``engine.reporter.schema``) and never
  changes rows that are there;
* :meth:`ReportWriter.write` stores a batch's rows and moves ``reporter_position`` to the
  batch's ``through_seq`` in one transaction: after a crash either both are there or neither.
  A row whose key is stored already is skipped, so writing a batch twice, or replaying the
  journal over a database that holds part of it, never duplicates a row; the position never
  moves back;
* :meth:`ReportWriter.position` is the last command seq whose rows are stored (0: none);
* :meth:`ReportWriter.query` runs one read-only statement written with ``?`` placeholders
  (each backend translates) and returns the column names and the rows.

The backends: SQLite (``DATA_DIR/reports.db``, the default; ``engine.reporter.sqlite_writer``)
and PostgreSQL when ``[reporter] dsn`` is configured (``engine.reporter.pg_writer``). They are
imported only when chosen, and they are the only modules that import a database driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from engine.config import ReporterConfig
from engine.reporter.errors import ReporterError
from engine.reporter.rows import RowBatch

__all__ = ["SQLITE_FILE", "ReportWriter", "ReporterError", "open_writer", "sqlite_path"]

#: The SQLite database's file name in the data directory.
SQLITE_FILE: Final = "reports.db"


class ReportWriter(Protocol):
    #: "sqlite" or "postgres"
    backend: str
    #: where it writes, for people (a path, or the DSN's host/database and the schema)
    where: str

    def position(self) -> int: ...

    def write(self, batch: RowBatch) -> None: ...

    def account_firms(self) -> dict[str, str]: ...

    def query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]: ...

    def close(self) -> None: ...


def sqlite_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / SQLITE_FILE


def open_writer(config: ReporterConfig, data_dir: str | Path) -> ReportWriter:
    """The configured backend: PostgreSQL if ``config.dsn``, else SQLite in ``data_dir``."""
    if config.dsn:
        from engine.reporter.pg_writer import PostgresWriter

        return PostgresWriter(config.dsn, config.schema)
    from engine.reporter.sqlite_writer import SqliteWriter

    return SqliteWriter(sqlite_path(data_dir))
