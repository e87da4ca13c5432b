# distutils: libraries = sqlite3
"""A batch of report rows into SQLite through its C API (compiled build only).

:class:`BatchInserter` is the SQLite writer's fast path (``engine.reporter.sqlite_writer``): it
opens its own connection to the database file (``sqlite3_open_v2``, without SQLite's per-call
mutex: one thread at a time uses it), prepares per row shape a :data:`ROWS`-row and a
single-row ``INSERT ... ON CONFLICT DO NOTHING`` (the very statements of the reference writer,
``engine.reporter.schema.insert_statement``, in the same groups of rows) and the position's
advance, and writes a batch in one ``BEGIN IMMEDIATE`` ... ``COMMIT``: each value of each row
tuple goes to ``sqlite3_bind_int64``, ``sqlite3_bind_text`` (the str's own UTF-8 buffer, not
copied: the row outlives the step) or ``sqlite3_bind_null`` with no Python object made, no
adapter looked up and no statement cache searched. Any failure rolls the whole batch back and
raises ``sqlite3.OperationalError`` (an integer beyond 64 bits: ``OverflowError``; a value of a
type SQLite does not store, or a row of the wrong length: ``sqlite3.ProgrammingError``; bytes
are a BLOB, a float a REAL, though the reporter's rows hold neither), as the reference writer
through Python's ``sqlite3`` does, so the rows stored and the errors raised are the same
(``tests/engine/reporter/test_sqlite_batches.py`` compares the two databases).

Why (docs/performance.md, "The reporter"): through Python's ``sqlite3`` each value costs a
type dispatch and each call the connection's mutex; here the loop over a batch's values is C.

Uncompiled, :data:`AVAILABLE` is False and the writer uses the reference path.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

import cython

from engine.reporter.schema import SHAPES, advance_statement, insert_statement

if cython.compiled:
    from cython.cimports.cpython.unicode import PyUnicode_AsUTF8AndSize
    from cython.cimports.engine.reporter.sqlite_capi import (
        SQLITE_DONE,
        SQLITE_OK,
        SQLITE_OPEN_NOMUTEX,
        SQLITE_OPEN_READWRITE,
        SQLITE_STATIC,
        sqlite3_bind_blob,
        sqlite3_bind_double,
        sqlite3_bind_int64,
        sqlite3_bind_null,
        sqlite3_bind_parameter_count,
        sqlite3_bind_text,
        sqlite3_close_v2,
        sqlite3_errmsg,
        sqlite3_exec,
        sqlite3_finalize,
        sqlite3_get_autocommit,
        sqlite3_libversion,
        sqlite3_open_v2,
        sqlite3_prepare_v2,
        sqlite3_reset,
        sqlite3_step,
    )

#: Whether this build has the C path (the compiled module).
AVAILABLE: Final = bool(cython.compiled)
#: Rows bound to one multi-row statement: a statement's step opens the table's and its
#: indexes' cursors once for all its rows (single-row steps cost 1.3x as much a row).
ROWS: Final = 32
#: Statement slots: a single-row statement per shape (0-15, the last the position's
#: advance), and a ROWS-row statement per shape (16-31).
_SHAPES: Final = 16
_ADVANCE: Final = _SHAPES - 1
assert len(SHAPES) < _ADVANCE


@cython.final
@cython.cclass
class BatchInserter:
    """One connection to ``path`` that writes batches of rows (see the module contract).

    ``pragmas`` are run once after opening (the per-connection settings the reference
    connection has: busy timeout, synchronous, cache size, checkpoints); the file must exist
    with its schema (the reference connection creates it)."""

    _slots: dict[str, int]
    where: str

    def __init__(self, path: str, pragmas: list[str]) -> None:
        if not cython.compiled:
            raise RuntimeError("BatchInserter is the compiled build's (engine.native)")
        self._open(path, pragmas)

    def _open(self, path: str, pragmas: list[str]) -> None:
        if cython.compiled:  # the C path only (mypy checks none of it)
            self.where = path
            self._slots = {}
            linked = sqlite3_libversion().decode()
            if linked != sqlite3.sqlite_version:
                # two copies of SQLite in one process must not open one file: each would drop
                # the other's POSIX locks when it closes a descriptor of it
                raise sqlite3.OperationalError(
                    f"{path}: Python's sqlite3 runs SQLite {sqlite3.sqlite_version}, the compiled "
                    f"writer was linked with {linked}: rebuild it (make build) on this machine"
                )
            encoded = path.encode()
            flags: cython.int = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
            if sqlite3_open_v2(encoded, cython.address(self._db), flags, cython.NULL) != SQLITE_OK:
                self._fail("cannot open")
            for pragma in pragmas:
                self._exec(pragma)
            slot: cython.int
            for slot, (name, shape) in enumerate(SHAPES.items()):
                self._prepare(slot, insert_statement(shape, "?"))
                self._prepare(_SHAPES + slot, insert_statement(shape, "?", rows=ROWS))
                self._columns[slot] = sqlite3_bind_parameter_count(self._statements[slot])
                self._slots[name] = slot
            self._prepare(_ADVANCE, advance_statement("sqlite", "?"))
            self._columns[_ADVANCE] = 1

    def _fail(self, doing: str) -> None:
        if cython.compiled:  # the C path only (mypy checks none of it)
            message = "out of memory"
            if self._db:
                message = sqlite3_errmsg(self._db).decode("utf-8", "replace")
            raise sqlite3.OperationalError(f"{self.where}: {doing}: {message}")

    def _exec(self, sql: str) -> None:
        if cython.compiled:  # the C path only (mypy checks none of it)
            encoded = sql.encode()
            if sqlite3_exec(self._db, encoded, cython.NULL, cython.NULL, cython.NULL) != SQLITE_OK:
                self._fail(sql)

    @cython.cfunc
    def _prepare(self, slot: cython.int, sql: str) -> cython.void:
        if cython.compiled:  # the C path only (mypy checks none of it)
            encoded = sql.encode()
            rc: cython.int = sqlite3_prepare_v2(
                self._db, encoded, -1, cython.address(self._statements[slot]), cython.NULL
            )
            if rc != SQLITE_OK:
                self._fail(f"cannot prepare {sql}")

    def write(self, rows: dict[str, list[tuple[Any, ...]]], through_seq: int) -> None:
        """Store ``rows`` (by shape, in the dict's order, each list in its order) and move the
        position to ``through_seq``, in one transaction; on any error, neither."""
        if cython.compiled:  # the C path only (mypy checks none of it)
            self._exec("BEGIN IMMEDIATE")
            try:
                for name, shape_rows in rows.items():
                    if shape_rows:
                        self._insert(self._slots[name], shape_rows)
                self._insert(_ADVANCE, [(through_seq,)])
                self._exec("COMMIT")
            except BaseException:
                if sqlite3_get_autocommit(self._db) == 0:  # still in the transaction
                    sqlite3_exec(self._db, b"ROLLBACK", cython.NULL, cython.NULL, cython.NULL)
                raise

    @cython.cfunc
    def _insert(self, slot: cython.int, rows: list) -> cython.void:
        """The rows of shape ``slot``: whole groups of ROWS through its multi-row statement
        (slot + 16), the rest one by one; the same groups as the reference writer's."""
        if cython.compiled:  # the C path only (mypy checks none of it)
            n: cython.Py_ssize_t = len(rows)
            whole: cython.Py_ssize_t = n - n % ROWS
            columns: cython.Py_ssize_t = self._columns[slot]
            j: cython.Py_ssize_t = 0
            k: cython.Py_ssize_t
            while j < whole:
                for k in range(ROWS):
                    self._bind(_SHAPES + slot, k * columns, columns, rows[j + k])
                self._step(_SHAPES + slot)
                j += ROWS
            while j < n:
                self._bind(slot, 0, columns, rows[j])
                self._step(slot)
                j += 1

    @cython.cfunc
    def _step(self, slot: cython.int) -> cython.void:
        if cython.compiled:  # the C path only (mypy checks none of it)
            rc: cython.int = sqlite3_step(self._statements[slot])
            sqlite3_reset(self._statements[slot])
            if rc != SQLITE_DONE:
                self._fail("insert")

    @cython.cfunc
    def _bind(
        self, slot: cython.int, first: cython.Py_ssize_t, columns: cython.Py_ssize_t, row: object
    ) -> cython.void:
        """Bind ``row``'s values to parameters ``first + 1`` ... of the statement ``slot``."""
        if cython.compiled:  # the C path only (mypy checks none of it)
            if type(row) is not tuple or len(row) != columns:
                raise sqlite3.ProgrammingError(f"not a row of {columns} values: {row!r}")
            values: tuple = row
            size: cython.Py_ssize_t = 0
            i: cython.Py_ssize_t
            at: cython.int
            rc: cython.int
            text: cython.p_char
            for i in range(columns):
                value = values[i]
                at = first + i + 1
                if value is None:
                    rc = sqlite3_bind_null(self._statements[slot], at)
                elif isinstance(value, int):  # bool too, as Python's sqlite3 binds it
                    # past 64 bits: OverflowError
                    rc = sqlite3_bind_int64(self._statements[slot], at, value)
                elif type(value) is str:
                    text = cython.cast(
                        cython.p_char, PyUnicode_AsUTF8AndSize(value, cython.address(size))
                    )
                    rc = sqlite3_bind_text(self._statements[slot], at, text, size, SQLITE_STATIC)
                elif type(value) is float:
                    rc = sqlite3_bind_double(self._statements[slot], at, value)
                elif type(value) is bytes:
                    blob: bytes = value
                    rc = sqlite3_bind_blob(
                        self._statements[slot], at, cython.cast(cython.p_char, blob), len(blob),
                        SQLITE_STATIC,
                    )  # fmt: skip
                else:
                    raise sqlite3.ProgrammingError(
                        f"a report row holds a {type(value).__name__}: {values!r}"
                    )
                if rc != SQLITE_OK:
                    self._fail("bind")

    @cython.cfunc
    def _release(self) -> cython.void:
        if cython.compiled:  # the C path only (mypy checks none of it)
            if not self._db:
                return
            i: cython.int
            for i in range(2 * _SHAPES):
                if self._statements[i]:
                    sqlite3_finalize(self._statements[i])
                    self._statements[i] = cython.NULL
            sqlite3_close_v2(self._db)
            self._db = cython.NULL

    def close(self) -> None:
        """Finalize the statements and close the connection (twice is harmless)."""
        if cython.compiled:  # the C path only (mypy checks none of it)
            self._release()

    def __dealloc__(self) -> None:
        if cython.compiled:  # the C path only (mypy checks none of it)
            self._release()
