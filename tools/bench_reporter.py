"""`sequex bench reporter`: rows into the reports database, SQLite and PostgreSQL.

Method: the standard book workload (``--commands`` commands after its setup) is journaled once
in the host's format (W = ``--feedback-window``) into a temporary data directory on the real
disk (``--dir``). The journal's records are replayed once, untimed, through an ``Exchange``
(what ``engine.reporter.follower`` does): each command, its origin and its events are kept,
cut into the stage's batches (``--batch`` commands, ``engine.stages.reporter.BATCH``).

Each repeat then opens a new database (SQLite: a file in the data directory, WAL; PostgreSQL:
a schema of its own, dropped afterwards) and, batch after batch, times the two things the
reporter does with a batch: the real row builder (``engine.reporter.rows.Projector``) turns
the commands and events into a ``RowBatch``; the real writer (``ReportWriter.write``) stores it
with the position in one transaction. Then it writes every batch again, as a replay over the
database does: each row is skipped by its key, and the bench checks that the row count is
unchanged (a duplicate is an error, not a figure). ``--sync-repeats`` times ``sequex report
sync`` end to end (journal read, verify, decode, the exchange's replay, rows, writes) into a
new database. The collector runs as in the reporter stage: start-up objects frozen, enabled, with
the stage processes' thresholds.

Figures (rows per second; median, ``_min`` / ``_max`` over the repeats):

* ``rows_per_s``: SQLite, rows built and written (builder + writer, the reporter's own work);
  ``commands_per_s``: the same work per command (its median), which compares schemas that
  make different numbers of rows of a command; ``rows_per_cpu_s``: the same rows over the
  process's CPU time instead of the wall clock (SQLite works in the process), which a machine
  shared with other work moves much less;
* ``builder_rows_per_s``: the row builder alone; ``writer_rows_per_s``: SQLite's writer alone;
* ``replay_rows_per_s``: the same batches written again (every row skipped by its key);
* ``sync_rows_per_s``: ``report sync`` from the journal, the exchange's replay included;
* ``pg_rows_per_s``, ``pg_commands_per_s``, ``pg_writer_rows_per_s``, ``pg_replay_rows_per_s``,
  ``pg_sync_rows_per_s``: the same with PostgreSQL (``--dsn``; ``--no-pg`` skips it);
* ``rows``, ``rows_per_command`` and the rows of each table.

Measures only; never asserts a goal. An unreachable PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine import native
from engine.command_batches import CommandBatchReader
from engine.command_reader import CommandReader
from engine.config import ReporterConfig
from engine.domain.exchange import Exchange
from engine.domain.types import Command, Event
from engine.journal_format import journal_dir
from engine.rebuild import read_header
from engine.records import ORIGIN_OFFSET, RECORD_SIZE
from engine.reporter.follower import sync
from engine.reporter.rows import Projector, RowBatch
from engine.reporter.schema import SHAPES, TABLES
from engine.reporter.writer import ReportWriter, open_writer
from engine.stage_factories import STAGE_GC_THRESHOLD
from engine.stages.reporter import BATCH
from tools.bench_replay import journal_workload

DEFAULT_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
#: One command of a batch: the command, the gateway session that sent it, its events.
Step = tuple[Command, int, list[Event]]
_DEFAULT_GC_THRESHOLD = gc.get_threshold()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--commands", type=int, default=100_000, help="workload commands")
    parser.add_argument("--batch", type=int, default=BATCH, help="commands per transaction")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per backend")
    parser.add_argument(
        "--sync-repeats", type=int, default=1, help="timed 'report sync' runs per backend"
    )
    parser.add_argument(
        "--feedback-window", type=int, default=1024, metavar="W", help="W of the exchange"
    )
    parser.add_argument("--dir", default=".", help="where the journal and SQLite go (a disk)")
    parser.add_argument("--seed", type=int, default=1, help="workload seed")
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="the PostgreSQL server to write to")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")


def replayed_batches(data_dir: Path, batch: int) -> list[list[Step]]:
    """The journal's commands with their origins and events, ``batch`` commands a list."""
    header = read_header(data_dir)
    exchange = Exchange(header.feedback_window, header.rules)
    decode = CommandReader().decode_many
    steps: list[Step] = []
    for records, _seqs in CommandBatchReader(journal_dir(data_dir)).batches(1):
        view = np.frombuffer(records, dtype=np.uint8).reshape(-1, RECORD_SIZE)
        origins = view[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4].copy().view("<u4")[:, 0].tolist()
        for cmd, origin in zip(decode(records), origins, strict=True):
            steps.append((cmd, origin, exchange.submit(cmd)))
    return [steps[lo : lo + batch] for lo in range(0, len(steps), batch)]


class Database:
    """A new reports database of one backend per :meth:`open`, removed by :meth:`close`."""

    def __init__(self, backend: str, data_dir: Path, dsn: str) -> None:
        self.backend = backend
        self._data_dir = data_dir
        self._dsn = dsn
        self._writer: ReportWriter | None = None

    def open(self) -> ReportWriter:
        if self.backend == "sqlite":
            self._remove_sqlite()
            config = ReporterConfig()
        else:
            schema = f"sequex_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            config = ReporterConfig(dsn=self._dsn, schema=schema)
        self._writer = open_writer(config, self._data_dir)
        return self._writer

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        drop = getattr(writer, "drop_schema", None)
        if drop is not None:
            drop()
        writer.close()
        self._remove_sqlite()

    def _remove_sqlite(self) -> None:
        for path in self._data_dir.glob("reports.db*"):  # the file, its -wal and -shm
            path.unlink()


@dataclass(slots=True)
class Run:
    """One repeat of one backend: seconds spent and rows handled."""

    rows: int = 0
    commands: int = 0
    build_s: float = 0.0
    write_s: float = 0.0
    #: this process's CPU time building and writing (SQLite's work is all in it; PostgreSQL's
    #: server is another process, so only the client's share)
    cpu_s: float = 0.0
    replay_s: float = 0.0


def _row_count(writer: ReportWriter) -> int:
    total = 0
    for table in TABLES:
        _, rows = writer.query(f"SELECT COUNT(*) FROM {table.name}")
        total += int(rows[0][0])
    return total


def _prepared_gc() -> None:
    """As the reporter stage runs: start-up objects frozen, the collector on, with the stage
    processes' thresholds (``engine.stage_factories.STAGE_GC_THRESHOLD``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*STAGE_GC_THRESHOLD)


def _released_gc() -> None:
    """The collector as it was before :func:`_prepared_gc`."""
    gc.unfreeze()
    gc.set_threshold(*_DEFAULT_GC_THRESHOLD)


def one_run(database: Database, batches: list[list[Step]]) -> tuple[Run, dict[str, int]]:
    """Build and write every batch into a new database, then write them all again.

    The timed pass holds one batch at a time, as the stage does: keeping every batch's rows
    alive for the second pass would make each of the collector's full passes walk all of them
    (a cost the stage does not have). The second pass builds the batches again, untimed."""
    writer = database.open()
    try:
        projector = Projector(writer.account_firms())
        add = projector.add
        run = Run()
        tables: dict[str, int] = {}
        clock = time.perf_counter
        cpu = time.process_time
        _prepared_gc()
        for steps in batches:
            start, cpu_start = clock(), cpu()
            batch = RowBatch()
            for cmd, origin, events in steps:
                add(batch, cmd, origin, events)
            built_at = clock()
            writer.write(batch)
            run.build_s += built_at - start
            run.write_s += clock() - built_at
            run.cpu_s += cpu() - cpu_start
            run.rows += batch.count()
            run.commands += len(steps)
            for name, rows in batch.rows.items():
                table = SHAPES[name].table.name
                tables[table] = tables.get(table, 0) + len(rows)
        stored = _row_count(writer)
        if stored != run.rows:
            raise RuntimeError(f"{database.backend}: {run.rows} rows written, {stored} stored")
        again = Projector()  # the same rows: a new database had no accounts
        for steps in batches:
            batch = RowBatch()
            for cmd, origin, events in steps:
                again.add(batch, cmd, origin, events)
            start = clock()
            writer.write(batch)
            run.replay_s += clock() - start
        if _row_count(writer) != stored:
            raise RuntimeError(f"{database.backend}: writing the batches again duplicated rows")
        return run, tables
    finally:
        _released_gc()
        database.close()


def sync_run(database: Database, data_dir: Path) -> tuple[float, int, int]:
    """``report sync`` of the whole journal into a new database: (seconds, rows, commands)."""
    writer = database.open()
    try:
        _prepared_gc()
        start = time.perf_counter()
        done = sync(data_dir, writer, use_snapshots=False)
        return time.perf_counter() - start, done.rows, done.replayed
    finally:
        _released_gc()
        database.close()


def _spread(prefix: str, rates: list[float]) -> dict[str, int]:
    """``prefix`` (median), ``prefix_min``, ``prefix_max``."""
    return {
        prefix: round(statistics.median(rates)),
        f"{prefix}_min": round(min(rates)),
        f"{prefix}_max": round(max(rates)),
    }


def measure_backend(
    name: str, database: Database, batches: list[list[Step]], data_dir: Path, args: Any
) -> tuple[dict[str, Any], dict[str, int]]:
    """Every figure of one backend, keys prefixed ``pg_`` for PostgreSQL."""
    runs: list[Run] = []
    tables: dict[str, int] = {}
    for _ in range(args.repeats):
        run, tables = one_run(database, batches)
        runs.append(run)
    syncs = [sync_run(database, data_dir) for _ in range(args.sync_repeats)]
    prefix = "" if name == "sqlite" else "pg_"

    def rate(seconds: Callable[[Run], float]) -> list[float]:
        return [r.rows / seconds(r) for r in runs]

    out: dict[str, Any] = {
        **_spread(f"{prefix}rows_per_s", rate(lambda r: r.build_s + r.write_s)),
        f"{prefix}commands_per_s": round(
            statistics.median([r.commands / (r.build_s + r.write_s) for r in runs])
        ),
    }
    if name == "sqlite":  # the builder is the same for both backends: quoted once
        out.update(_spread("builder_rows_per_s", rate(lambda r: r.build_s)))
        out.update(_spread("rows_per_cpu_s", rate(lambda r: r.cpu_s)))
    out.update(_spread(f"{prefix}writer_rows_per_s", rate(lambda r: r.write_s)))
    out.update(_spread(f"{prefix}replay_rows_per_s", rate(lambda r: r.replay_s)))
    if syncs:
        out.update(_spread(f"{prefix}sync_rows_per_s", [rows / s for s, rows, _ in syncs]))
        out[f"{prefix}sync_commands_per_s"] = round(
            statistics.median([commands / s for s, _, commands in syncs])
        )
    return out, tables


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-reporter-", dir=args.dir))
    try:
        commands = journal_workload(root, args.commands, args.feedback_window, args.seed)
        batches = replayed_batches(root, args.batch)
        out: dict[str, Any] = {"build": native.describe()}
        backends = ["sqlite"] if args.no_pg else ["sqlite", "postgres"]
        tables: dict[str, int] = {}
        for name in backends:
            figures, tables = measure_backend(
                name, Database(name, root, args.dsn), batches, root, args
            )
            out.update(figures)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = sum(tables.values())
    out.update(
        rows=rows,
        rows_per_command=round(rows / commands, 2),
        **{f"rows_{name}": count for name, count in tables.items()},
        commands=commands,
        batch=args.batch,
        repeats=args.repeats,
        feedback_window=args.feedback_window,
    )
    return out
