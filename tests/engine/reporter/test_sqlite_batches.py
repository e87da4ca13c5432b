"""The compiled SQLite batch writer (``engine.reporter.sqlite_batches``) against the reference
writer through Python's ``sqlite3`` (``SqliteWriter(fast=False)``): the same rows in the
database, value for value, for journals of every command kind, for random rows of every shape
(text of any script, integers at the 64-bit limits, NULLs), for batches written twice, cut
anywhere or killed mid-transaction; and the same refusals.

In the compiled build these compare two implementations (and the writer must choose the C
path by itself); in the SEQUEX_PURE run the C path is absent and they compare the reference
with itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import native
from engine.config import ReporterConfig
from engine.reporter.errors import ReporterError
from engine.reporter.follower import ReportFollower, sync
from engine.reporter.rows import RowBatch
from engine.reporter.schema import SHAPES
from engine.reporter.sqlite_batches import AVAILABLE
from engine.reporter.sqlite_writer import SqliteWriter
from engine.reporter.writer import sqlite_path
from tests.engine.reporter.backends import dump
from tests.engine.reporter.journals import mixed, write_journal

ROOT = Path(__file__).resolve().parents[3]
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
# any text SQLite stores as UTF-8: every plane, no lone surrogate (not encodable)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)


def _writers(tmp: Path) -> tuple[SqliteWriter, SqliteWriter]:
    (tmp / "fast").mkdir()
    (tmp / "ref").mkdir()
    return SqliteWriter(tmp / "fast" / "r.db"), SqliteWriter(tmp / "ref" / "r.db", fast=False)


def test_a_compiled_build_writes_through_the_c_path_and_the_reference_can_be_chosen(
    tmp_path: Path,
) -> None:
    fast, ref = _writers(tmp_path)
    try:
        assert fast.fast == native.is_compiled() == AVAILABLE
        assert not ref.fast
    finally:
        fast.close()
        ref.close()


def test_asking_for_the_c_path_in_a_build_without_it_is_refused(tmp_path: Path) -> None:
    if AVAILABLE:
        SqliteWriter(tmp_path / "r.db", fast=True).close()
        return
    with pytest.raises(ReporterError, match="not built"):
        SqliteWriter(tmp_path / "r.db", fast=True)


@pytest.mark.parametrize(("count", "seed", "snapshots"), [(600, 3, 0), (900, 11, 150)])
def test_a_journal_synced_by_both_writers_gives_the_same_database(
    tmp_path: Path, count: int, seed: int, snapshots: int
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    write_journal(data_dir, mixed(count, seed), snapshot_every=snapshots)
    fast, ref = _writers(tmp_path)
    try:
        sync(data_dir, fast)
        sync(data_dir, ref)
        tables = dump(fast)
        assert tables == dump(ref)
        assert len(tables["executions"]) > 20 and len(tables["order_events"]) > count // 2
        # a replay from seq 1 over itself: every row is skipped by its key
        fast.query("UPDATE reporter_position SET last_seq = 0")
        assert sync(data_dir, fast, use_snapshots=False).rows > count
        assert dump(fast) == tables
    finally:
        fast.close()
        ref.close()


def _value(column: str) -> st.SearchStrategy[Any]:
    """Values a column of the schema holds: integers, text, or NULL."""
    return st.one_of(st.none(), INT64, TEXT) if column != "seq_no" else st.integers(1, 10**6)


@st.composite
def _batches(draw: st.DrawFn) -> list[RowBatch]:
    """A few batches of random rows of random shapes; keys repeat across and within them."""
    out: list[RowBatch] = []
    through = 0
    for _ in range(draw(st.integers(1, 4))):
        through += draw(st.integers(0, 5))
        batch = RowBatch(through_seq=through)
        for name in draw(st.lists(st.sampled_from(sorted(SHAPES)), max_size=6)):
            shape = SHAPES[name]
            key = set(shape.table.key)
            for _ in range(draw(st.integers(1, 5))):
                row = tuple(
                    draw(st.integers(0, 8)) if c in key else draw(_value(c))
                    for c in shape.column_names
                )
                batch.add(name, row)
        out.append(batch)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches())
def test_random_rows_of_every_shape_are_stored_alike(batches: list[RowBatch]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fast, ref = _writers(Path(tmp))
        try:
            for batch in batches:
                outcomes = []
                for writer in (fast, ref):
                    try:
                        writer.write(batch)
                        outcomes.append(None)
                    except sqlite3.IntegrityError as exc:  # a NOT NULL key column drawn NULL
                        outcomes.append(type(exc).__name__)
                    except sqlite3.Error as exc:
                        outcomes.append(type(exc).__name__)
                assert outcomes[0] == outcomes[1]
                assert dump(fast) == dump(ref)
            for batch in batches:  # every batch again: nothing changes
                for writer in (fast, ref):
                    with contextlib.suppress(sqlite3.Error):
                        writer.write(batch)
            assert dump(fast) == dump(ref)
        finally:
            fast.close()
            ref.close()


def _one_row_batch(value: Any) -> RowBatch:
    batch = RowBatch(through_seq=1)
    batch.add("accounts", ("ACC-1", value, 1))
    return batch


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (2**63, OverflowError),
        (-(2**63) - 1, OverflowError),
        (object(), sqlite3.ProgrammingError),
        ("lone \ud800 surrogate", UnicodeEncodeError),
        (b"\x00bytes", None),
        (1.5, None),
        (True, None),
    ],
)
def test_a_value_of_any_type_is_stored_or_refused_as_the_reference_does(
    tmp_path: Path, value: object, error: type[Exception] | None
) -> None:
    fast, ref = _writers(tmp_path)
    try:
        raised: list[type[BaseException] | None] = []
        for writer in (fast, ref):
            try:
                writer.write(_one_row_batch(value))
                raised.append(None)
            except (OverflowError, UnicodeEncodeError, sqlite3.Error) as exc:
                raised.append(type(exc))
        assert raised == [error, error]
        assert dump(fast) == dump(ref)
        if error is not None:  # refused: neither the row nor the position
            assert fast.position() == 0 and dump(fast)["accounts"] == []
    finally:
        fast.close()
        ref.close()


def test_a_row_of_the_wrong_length_rolls_the_whole_batch_back(tmp_path: Path) -> None:
    fast, ref = _writers(tmp_path)
    try:
        for writer in (fast, ref):
            batch = _one_row_batch("ALPHA")
            batch.add("accounts", ("ACC-2", "ALPHA"))
            with pytest.raises(sqlite3.ProgrammingError):
                writer.write(batch)
            assert writer.position() == 0 and dump(writer)["accounts"] == []
            writer.write(_one_row_batch("ALPHA"))  # and it writes on afterwards
        assert dump(fast) == dump(ref)
    finally:
        fast.close()
        ref.close()


def test_a_batch_cut_anywhere_and_written_again_whole_stores_each_row_once(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    write_journal(data_dir, mixed(500, 5))
    fast, ref = _writers(tmp_path)
    try:
        sync(data_dir, ref)
        sync(data_dir, fast, through_seq=333)  # a restart mid-way: the first part is stored
        sync(data_dir, fast)
        whole = ReportFollower(data_dir, 0, use_snapshots=False)
        batch = RowBatch()
        from engine.command_batches import CommandBatchReader, contiguous
        from engine.journal_format import journal_dir

        directory = journal_dir(data_dir)
        for payload, _ in contiguous(CommandBatchReader(directory).batches(1, None), 1, directory):
            part = whole.apply_records(payload)
            for name, rows in part.rows.items():
                batch.rows.setdefault(name, []).extend(rows)
            batch.through_seq = part.through_seq
        fast.write(batch)  # every row once more, in one transaction
        assert dump(fast) == dump(ref)
    finally:
        fast.close()
        ref.close()


_KILLED_WRITER = """
import sys
from pathlib import Path
from engine.reporter.follower import sync
from engine.reporter.sqlite_writer import SqliteWriter

writer = SqliteWriter(Path(sys.argv[2]))
print("fast" if writer.fast else "reference", flush=True)
for through in range(20, int(sys.argv[3]) + 1, 20):  # many small transactions, until killed
    sync(Path(sys.argv[1]), writer, through_seq=through)
"""


def test_a_writer_killed_mid_way_loses_and_duplicates_nothing_once_synced_again(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    commands = mixed(1500, 9)
    write_journal(data_dir, commands, snapshot_every=200)
    fast, ref = _writers(tmp_path)
    try:
        sync(data_dir, ref)
        ref_tables = dump(ref)
    finally:
        ref.close()
        fast.close()
    path = tmp_path / "fast" / "r.db"
    script = [sys.executable, "-c", _KILLED_WRITER, str(data_dir), str(path), str(len(commands))]
    child = subprocess.Popen(script, cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().decode().strip() == ("fast" if AVAILABLE else "reference")
        probe = sqlite3.connect(path, timeout=30)
        deadline = time.monotonic() + 120  # generous: the first rows come within a second
        while probe.execute("SELECT last_seq FROM reporter_position").fetchone()[0] < 200:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        probe.close()
        os.kill(child.pid, signal.SIGKILL)  # wherever it is: often inside a transaction
    finally:
        child.kill()
        child.wait(60)
    again = SqliteWriter(path)
    try:
        assert again.position() >= 200
        sync(data_dir, again)
        assert dump(again) == ref_tables
    finally:
        again.close()


def test_the_configured_sqlite_backend_is_the_fast_writer_of_the_build(tmp_path: Path) -> None:
    from engine.reporter.writer import open_writer

    writer = open_writer(ReporterConfig(), tmp_path)
    try:
        assert isinstance(writer, SqliteWriter)
        assert writer.fast == AVAILABLE
        assert writer.where == str(sqlite_path(tmp_path))
    finally:
        writer.close()
