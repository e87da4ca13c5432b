"""The SQLite backend of the reporter (the default): ``DATA_DIR/reports.db``.

WAL mode, so readers (``sequex report``, a person with ``sqlite3``) never block the writer,
and ``synchronous = NORMAL``: a commit is not fsynced, so a power cut may lose the last
transactions, never corrupt the file; the rows and the position are lost together and the
reporter writes them again from the journal (the writer contract: ``engine.reporter.writer``).
Each batch is one ``BEGIN IMMEDIATE`` ... ``COMMIT``.

Two paths write a batch, with the same statements and so the same rows: in the compiled build,
``engine.reporter.sqlite_batches`` (its own connection, SQLite's C API: each value bound from
the row tuple in C); uncompiled, or with ``fast=False``, the reference below through Python's
``sqlite3``. The Python connection opens the file, creates the schema, reads the position and
answers queries in both.

Tuned for catch-up (docs/performance.md, "The reporter"; ``sequex bench reporter``): rows go
in :data:`ROWS_PER_INSERT` at a time, one multi-row ``INSERT ... VALUES (...), (...), ...``
statement each, which halves the statement steps and resets per row; the page cache holds a
batch's index pages (:data:`CACHE_KIB`); a new file gets 16 KiB pages (fewer B-tree splits
for rows appended in key order), and the WAL is checkpointed every :data:`CHECKPOINT_PAGES`
pages (2 MiB), so that it never grows big on the disk the journal syncs on.

``None`` binds through a registered adapter: Python 3.11's ``sqlite3`` sends every
value that is not exactly an int, float, str or bytearray through its adaptation protocol,
which for ``None`` looks up ``__adapt__`` on a type and raises and clears an AttributeError,
about 0.25 µs a value. A registered adapter is found in the first dict lookup instead; a
fifth of the values of a trading day's rows are NULLs (docs/performance.md, "The reporter").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from engine.reporter.errors import ReporterError
from engine.reporter.rows import RowBatch
from engine.reporter.schema import (
    POSITION_TABLE,
    SCHEMA_VERSION,
    SHAPES,
    VERSION_TABLE,
    advance_statement,
    create_statements,
    insert_statement,
    version_problem,
)
from engine.reporter.sqlite_batches import AVAILABLE, BatchInserter

#: How long a statement waits for another connection's lock (ms): a reader of the WAL never
#: holds one; another writer (``sequex report sync`` beside a host) does for one batch.
BUSY_TIMEOUT_MS = 30_000
#: Rows bound to one INSERT statement (18 columns x 32 stays far below SQLite's 32,766
#: parameters; a narrower shape's statement binds fewer).
ROWS_PER_INSERT = 32
#: The page cache, KiB (SQLite's default is 2,000).
CACHE_KIB = 65_536
#: The page size of a new database (an existing file keeps its own).
PAGE_SIZE = 16_384
#: WAL pages between automatic checkpoints: 2 MiB (SQLite's default is 1,000 pages of 4 KiB).
#: Small on purpose. The reporter shares the disk with the journal, and a WAL that grows to
#: tens of MiB between checkpoints held the journal's fdatasync up: with 4,096 pages an order's
#: ack p99 was 12-17 ms at 1K/s on a quiet machine, with 128 it is 6.5 ms, as with no reporter
#: at all (docs/performance.md, "Where an order's time goes"). The reporter's own rate drops
#: about 10% (``sequex bench reporter``), far above what it needs.
CHECKPOINT_PAGES = 128

#: The settings of each connection (the file keeps its page size and WAL mode itself).
_CONNECTION_PRAGMAS = [
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous = NORMAL",
    f"PRAGMA cache_size = -{CACHE_KIB}",
    f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}",
]

#: Its ``get`` takes one argument and returns None, in C (a Python function would cost a
#: frame a value).
_NOTHING: dict[object, None] = {}
# Process-wide, like every sqlite3 adapter: None still binds as NULL, only found sooner.
sqlite3.register_adapter(type(None), _NOTHING.get)


class SqliteWriter:
    """A ``ReportWriter`` over one SQLite file."""

    backend = "sqlite"

    def __init__(self, path: str | Path, *, fast: bool | None = None) -> None:
        """``fast``: write batches through the compiled C path (None: when the build has it;
        True without it: a ReporterError)."""
        self.where = str(path)
        if fast and not AVAILABLE:
            raise ReporterError("the compiled SQLite batch writer is not built (make build)")
        #: whether batches go through ``engine.reporter.sqlite_batches``
        self.fast = AVAILABLE if fast is None else fast
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute(_CONNECTION_PRAGMAS[0])  # the busy timeout, before any lock
            self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before WAL: new files only
            self._db.execute("PRAGMA journal_mode = WAL")
            for pragma in _CONNECTION_PRAGMAS:
                self._db.execute(pragma)
            problem = version_problem(self._found_version(), self.where)
            if problem is None:
                self._transaction(create_statements("sqlite"))
        except sqlite3.Error as exc:
            if hasattr(self, "_db"):
                self._db.close()
            raise ReporterError(f"{path}: cannot open the reports database: {exc}") from exc
        if problem is not None:
            self._db.close()
            raise ReporterError(problem)
        self._inserts = {name: insert_statement(shape, "?") for name, shape in SHAPES.items()}
        self._bulk_inserts = {
            name: insert_statement(shape, "?", rows=ROWS_PER_INSERT)
            for name, shape in SHAPES.items()
        }
        self._advance = advance_statement("sqlite", "?")
        self._batches: BatchInserter | None = None
        if self.fast:
            try:
                self._batches = BatchInserter(self.where, _CONNECTION_PRAGMAS)
            except sqlite3.Error as exc:
                self._db.close()
                raise ReporterError(f"{path}: cannot open the reports database: {exc}") from exc

    def _found_version(self) -> int:
        """The schema version of the file (a new file: the current one)."""
        names = {
            str(row[0])
            for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if POSITION_TABLE not in names:
            return SCHEMA_VERSION
        if VERSION_TABLE not in names:
            return 1  # written before the schema had a version
        row = self._db.execute(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1").fetchone()
        return int(row[0]) if row is not None else 1

    def _transaction(self, statements: list[str]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                db.execute(statement)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def position(self) -> int:
        row = self._db.execute(f"SELECT last_seq FROM {POSITION_TABLE} WHERE id = 1").fetchone()
        return int(row[0])

    def write(self, batch: RowBatch) -> None:
        if self._batches is not None:
            self._batches.write(batch.rows, batch.through_seq)
            return
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for name, rows in batch.rows.items():
                if rows:
                    self._insert(name, rows)
            db.execute(self._advance, (batch.through_seq,))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _insert(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        """``rows`` of shape ``name`` (``engine.reporter.schema.SHAPES``): whole groups of
        ROWS_PER_INSERT in one statement each, the rest one by one."""
        k = ROWS_PER_INSERT
        whole = len(rows) - len(rows) % k
        if whole:
            flat = chain.from_iterable
            groups = (tuple(flat(rows[lo : lo + k])) for lo in range(0, whole, k))
            self._db.executemany(self._bulk_inserts[name], groups)
        if whole < len(rows):
            self._db.executemany(self._inserts[name], rows[whole:])

    def account_firms(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT account, firm FROM accounts").fetchall())

    def query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self._db.execute(sql, tuple(params))
        names = [d[0] for d in cursor.description or ()]
        return names, [tuple(row) for row in cursor.fetchall()]

    def close(self) -> None:
        if self._batches is not None:
            self._batches.close()
        self._db.close()
