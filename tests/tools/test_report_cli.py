"""`sequex report`: status, orders (a firm's, and one command in full), executions, blotter
as CSV, SQL, and sync refused while a host holds the journal. Over the session of
docs/reporter.md, in SQLite."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from engine.journal_format import journal_dir
from journal import lock_directory
from tests.docs.test_reporter_doc import session
from tests.engine.reporter.journals import write_journal
from tools.cli import main


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "var"
    write_journal(directory, session(), window=1)
    return directory


def _report(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str]:
    code = main(["report", args[0], "--data-dir", str(data_dir), *args[1:]])
    out, err = capsys.readouterr()
    return code, out + err


def test_sync_then_status_shows_no_lag(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out = _report(capsys, data_dir, "status")
    assert code == 0 and "position     0" in out and "lag          18" in out
    code, out = _report(capsys, data_dir, "sync")
    assert code == 0 and "position 0 -> 18" in out, out
    code, out = _report(capsys, data_dir, "status")
    assert code == 0 and "position     18" in out and "lag          0" in out


def test_orders_lists_a_firms_orders_and_shows_one_in_full(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _report(capsys, data_dir, "sync")
    code, out = _report(capsys, data_dir, "orders", "--firm", "BETA")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == [
        "10",
        "12",
        "13",
        "15",
        "16",
        "17",
    ]
    code, out = _report(capsys, data_dir, "orders", "--firm", "BETA", "--seq", "16")
    assert code == 0
    assert "B-5" in out and "expired" in out and "16000001" in out and "ALPHA" in out
    code, out = _report(capsys, data_dir, "orders", "--firm", "ALPHA", "--seq", "16")
    assert code == 1 and "ALPHA sent no command at seq 16" in out


def test_the_blotter_and_executions_go_to_csv(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    _report(capsys, data_dir, "sync")
    target = tmp_path / "blotter.csv"
    code, _ = _report(capsys, data_dir, "blotter", "--date", "2026-12-07", "--csv", str(target))
    assert code == 0
    rows = list(csv.DictReader(target.open()))
    assert [(r["exec_id"], r["qty"], r["buy_firm"], r["sell_firm"]) for r in rows] == [
        ("10000000", "30", "BETA", "ALPHA"),
        ("16000000", "70", "BETA", "ALPHA"),
        ("16000001", "40", "BETA", "ALPHA"),
    ]
    assert rows[1]["notional"] == str(70 * 1_000_000)
    code, out = _report(
        capsys, data_dir, "executions", "--date", "2026-12-07", "--firm", "ALPHA", "--csv", "-"
    )
    assert code == 0
    sides = [(r["side"], r["qty"]) for r in csv.DictReader(io.StringIO(out))]
    assert sides == [("sell", "30"), ("sell", "70"), ("sell", "40")]


def test_sql_runs_a_query_with_parameters(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    _report(capsys, data_dir, "sync")
    code, out = _report(
        capsys,
        data_dir,
        "sql",
        "SELECT order_id FROM orders WHERE firm = ? AND qty > ?",
        "BETA",
        "20",
    )
    assert code == 0 and out.split() == ["order_id", "10", "16"]


def test_sync_is_refused_while_a_host_holds_the_journal(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    lock = lock_directory(journal_dir(data_dir))
    try:
        code, out = _report(capsys, data_dir, "sync")
    finally:
        import os

        os.close(lock)
    assert code == 4 and "refusing to sync" in out
