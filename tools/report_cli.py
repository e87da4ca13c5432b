"""`sequex report ...`: the books and records the reporter keeps (orders, executions, blotter).

Subcommands (each reads the reports database of a data directory: SQLite
``DATA_DIR/reports.db``, or PostgreSQL when the config's ``[reporter] dsn`` or ``--dsn`` says):

* ``status``: the reporter's position, the journal's last seq, the lag between them, and the
  last status the host's reporter stage wrote (``engine.reporter.status``);
* ``sync``: bring the database up to the end of the journal offline (the host stopped: with
  a host running, its reporter stage does this; refused with exit code 4 while a host holds
  the journal);
* ``orders --firm F [--seq N]``: a firm's order commands and what came of them; with
  ``--seq``, that one command in full: who sent it, its events, the executions of its order;
* ``executions --date YYYY-MM-DD [--firm F]``: a day's executions (UTC dates);
* ``blotter --date YYYY-MM-DD [--firm F]``: a day's trades, buyer and seller on one row;
* ``obligations (--date | --settle-date) YYYY-MM-DD [--firm F] [--accounts]``: the T+2
  settlement obligations of a trade date (or due on a settlement date), each firm's net per
  symbol against the clearinghouse; ``--accounts``: each account's settled trades instead;
* ``sql "SELECT ..."``: any read-only query (docs/reporter.md documents the schema).

Tables are printed aligned, or as CSV with ``--csv FILE`` (``-``: stdout). Exit codes: 0 done,
1 the database or journal cannot be used (the message says why), 2 a usage error, 4 ``sync``
refused: a live host holds the journal.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_IN_USE = 4


DESCRIPTION = """\
Look at the books and records: every order event and execution of the exchange, written by
the host's reporter to a database (SQLite DATA_DIR/reports.db by default, PostgreSQL when the
configuration's [reporter] dsn is set) as it follows the journal.

exit status: 0 done, 1 the database or the journal cannot be used, 2 a usage error,
4 sync refused: a running host holds the journal"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="the books and records: orders, executions, trade blotter",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="report", metavar="REPORT", required=True, help="one of:")
    for name, help_text in (
        ("status", "the reporter's position and its lag behind the journal"),
        ("sync", "catch the database up with the journal (host stopped)"),
        ("orders", "a firm's orders and what came of them"),
        ("executions", "a day's executions, each side of each trade"),
        ("blotter", "a day's trades, buyer and seller on one row"),
        ("obligations", "settlement obligations: each firm's net per symbol and trade date"),
        ("sql", "run a read-only SQL query"),
    ):
        p = sub.add_parser(
            name, help=help_text, description=f"{help_text[0].upper()}{help_text[1:]}."
        )
        _target_options(p)
        if name == "orders":
            p.add_argument("--firm", required=True, help="the firm whose orders to list")
            p.add_argument("--seq", type=int, help="one command of the firm, in full")
        if name in ("executions", "blotter"):
            p.add_argument(
                "--date", required=True, type=iso_day, help="trade date YYYY-MM-DD (UTC)"
            )
            p.add_argument("--firm", help="only the trades of this firm")
        if name == "obligations":
            dates = p.add_mutually_exclusive_group(required=True)
            dates.add_argument("--date", type=iso_day, help="trade date YYYY-MM-DD (UTC)")
            dates.add_argument("--settle-date", type=iso_day, help="settlement date YYYY-MM-DD")
            p.add_argument("--firm", help="only this firm's")
            p.add_argument(
                "--accounts", action="store_true", help="each account's settled trades instead"
            )
        if name == "sql":
            p.add_argument("query", help="one SELECT statement, ? placeholders")
            p.add_argument("params", nargs="*", help="its parameters (integers stay integers)")
        if name not in ("status", "sync"):
            p.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-': stdout)")
        p.set_defaults(func=run)


def iso_day(text: str) -> str:
    """A date argument as the tables store it (``YYYY-MM-DD``); anything else is refused
    (argparse: exit status 2 and the message), never an empty answer."""
    import datetime

    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or day.isoformat() != text:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}")
    return text


def _target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="host configuration: data_dir, [reporter]")
    p.add_argument("--data-dir", metavar="DIR", help="data directory (default: the config's)")
    p.add_argument("--dsn", help="PostgreSQL DSN (default: the config's [reporter] dsn)")
    p.add_argument("--schema", help="PostgreSQL schema (default: the config's, else sequex)")


def _target(args: argparse.Namespace) -> tuple[str, Any]:
    from engine.config import ReporterConfig, load_config

    config = load_config(args.config) if args.config else None
    data_dir = args.data_dir or (config.data_dir if config else "var")
    reporter = config.reporter if config else ReporterConfig()
    dsn = args.dsn or reporter.dsn
    schema = args.schema or reporter.schema
    return data_dir, ReporterConfig(True, dsn, schema)


def run(args: argparse.Namespace) -> int:
    from engine.config import ConfigError
    from engine.reporter.errors import ReporterError

    try:
        data_dir, target = _target(args)
    except ConfigError as exc:
        print(f"sequex report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.report != "status" and not target.dsn and not _sqlite_exists(data_dir, args):
        print(f"sequex report: no reports database in {data_dir}", file=sys.stderr)
        return EXIT_FAILED
    from engine.reporter.writer import open_writer

    try:
        writer = open_writer(target, data_dir)
    except ReporterError as exc:
        print(f"sequex report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        handler = _HANDLERS[args.report]
        return handler(args, data_dir, writer)
    except ReporterError as exc:
        print(f"sequex report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        writer.close()


def _sqlite_exists(data_dir: str, args: argparse.Namespace) -> bool:
    from engine.reporter.writer import sqlite_path

    return args.report == "sync" or sqlite_path(data_dir).exists()


def _status(args: argparse.Namespace, data_dir: str, writer: Any) -> int:
    from engine.reporter.status import journal_end, read_status, reporter_lag

    position = writer.position()
    end = journal_end(data_dir)
    print(f"database     {writer.backend} {writer.where}")
    print(f"position     {position}")
    print(f"journal_end  {end}")
    print(f"lag          {reporter_lag(end, position)}")
    live = read_status(data_dir)
    if live is not None:
        print(f"stage        {live.describe()}")
    return EXIT_OK


def _sync(args: argparse.Namespace, data_dir: str, writer: Any) -> int:
    import os

    from engine.journal_format import journal_dir
    from engine.rebuild import NoJournalError, RecoveryError
    from engine.reporter.follower import sync
    from journal import JournalError, lock_directory

    try:
        lock = lock_directory(journal_dir(data_dir))
    except JournalError as exc:
        print(f"sequex report: refusing to sync: {exc}", file=sys.stderr)
        return EXIT_IN_USE
    except OSError as exc:
        print(f"sequex report: no journal in {data_dir}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        done = sync(data_dir, writer)
    except (RecoveryError, NoJournalError, JournalError) as exc:
        print(f"sequex report: cannot read the journal: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        os.close(lock)
    start = "seq 1" if done.snapshot_seq is None else f"snapshot {done.snapshot_seq}"
    print(
        f"synced {writer.where}: position {done.before} -> {done.position} "
        f"({done.replayed} commands replayed from {start}, {done.rows} rows offered)"
    )
    return EXIT_OK


def _orders(args: argparse.Namespace, data_dir: str, writer: Any) -> int:
    from engine.reporter import queries

    if args.seq is None:
        _show(args, *writer.query(queries.FIRM_ORDERS, (args.firm,)))
        return EXIT_OK
    if args.csv is not None:
        print(
            "sequex report: --csv lists orders; --seq shows one in full, as text", file=sys.stderr
        )
        return EXIT_USAGE
    names, rows = writer.query(queries.COMMAND_AT, (args.seq,))
    firm = names.index("firm")
    if not rows or rows[0][firm] != args.firm:
        print(f"sequex report: {args.firm} sent no command at seq {args.seq}", file=sys.stderr)
        return EXIT_FAILED
    print("command:")
    _show(args, names, rows)
    print("order events:")
    _show(args, *writer.query(queries.ORDER_TRAIL, (args.seq, args.seq)))
    print("executions of its order:")
    _show(args, *writer.query(queries.ORDER_EXECUTIONS, (args.seq,)))
    return EXIT_OK


def _executions(args: argparse.Namespace, data_dir: str, writer: Any) -> int:
    from engine.reporter import queries

    if args.firm:
        result = writer.query(queries.DAY_EXECUTIONS_OF_FIRM, (args.date, args.firm))
    else:
        result = writer.query(queries.DAY_EXECUTIONS, (args.date,))
    _show(args, *result)
    return EXIT_OK


def _blotter(args: argparse.Namespace, data_dir: str, writer: Any) -> int:
    from engine.reporter import queries

    if args.firm:
        result = writer.query(queries.BLOTTER_OF_FIRM, (args.date, args.firm, args.firm))
    else:
        result = writer.query(queries.BLOTTER, (args.date,))
    _show(args, *result)
    return EXIT_OK


def _obligations(args: argparse.Namespace, data_dir: str, writer: Any) -> int:
    from engine.reporter import queries

    by_settle_date = args.settle_date is not None
    day = args.settle_date if by_settle_date else args.date
    params = (day, args.firm) if args.firm else (day,)
    statement = queries.obligations(
        by_settle_date=by_settle_date, of_firm=bool(args.firm), accounts=args.accounts
    )
    _show(args, *writer.query(statement, params))
    return EXIT_OK


def _sql(args: argparse.Namespace, data_dir: str, writer: Any) -> int:
    params = [int(p) if p.lstrip("-").isdigit() else p for p in args.params]
    _show(args, *writer.query(args.query, params))
    return EXIT_OK


_HANDLERS = {
    "status": _status,
    "sync": _sync,
    "orders": _orders,
    "executions": _executions,
    "blotter": _blotter,
    "obligations": _obligations,
    "sql": _sql,
}


def render(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """An aligned text table: a header line, then one line per row (NULL for None)."""
    cells = [list(names)] + [["NULL" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(names))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]


def _show(args: argparse.Namespace, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    target = getattr(args, "csv", None)
    if target is None:
        for line in render(names, rows):
            print(line)
        return
    if target == "-":
        _write_csv(sys.stdout, names, rows)
        return
    with Path(target).open("w", newline="", encoding="utf-8") as out:
        _write_csv(out, names, rows)


def _write_csv(out: Any, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    writer = csv.writer(out)
    writer.writerow(names)
    writer.writerows(rows)
