"""`sequex report`: status, orders (a firm's, and one command in full), executions, blotter
as CSV, settlement obligations, SQL, and sync refused while a host holds the journal. Over the
session of docs/reporter.md (settled T+2 for the obligations), in SQLite."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from engine.domain.types import Settle
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


@pytest.fixture
def settled_dir(tmp_path: Path) -> Path:
    """The session, then ACME's trades of 2026-12-07 settled on 2026-12-09 (seq 19)."""
    directory = tmp_path / "settled"
    commands = session()
    write_journal(directory, [*commands, Settle(0, commands[0].ts, "ACME", 20261207, 20261209)])
    return directory


def _csv(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_obligations_net_each_firms_trades_of_the_day_to_zero(
    capsys: pytest.CaptureFixture[str], settled_dir: Path
) -> None:
    _report(capsys, settled_dir, "sync")
    code, out = _report(capsys, settled_dir, "executions", "--date", "2026-12-07", "--csv", "-")
    assert code == 0
    expected: dict[str, tuple[int, int]] = {}
    for e in _csv(out):  # the firm's net from its executions: + received, - delivered or paid
        sign = 1 if e["side"] == "buy" else -1
        shares, cash = expected.get(e["firm"], (0, 0))
        expected[e["firm"]] = (shares + sign * int(e["qty"]), cash - sign * int(e["notional"]))
    for by in (("--date", "2026-12-07"), ("--settle-date", "2026-12-09")):
        code, out = _report(capsys, settled_dir, "obligations", *by, "--csv", "-")
        assert code == 0, out
        rows = _csv(out)
        assert {r["firm"]: (int(r["shares"]), int(r["cash"])) for r in rows} == expected
        assert {(r["trade_date"], r["settle_date"], r["symbol"], r["seq_no"]) for r in rows} == {
            ("2026-12-07", "2026-12-09", "ACME", "19")
        }
    code, out = _report(capsys, settled_dir, "obligations", "--date", "2026-12-08")
    assert code == 0 and out.split() == ["trade_date", "settle_date", "symbol", "firm", "shares",
                                         "cash", "seq_no"]  # fmt: skip


def test_obligations_per_account_and_of_one_firm(
    capsys: pytest.CaptureFixture[str], settled_dir: Path, tmp_path: Path
) -> None:
    _report(capsys, settled_dir, "sync")
    target = tmp_path / "settled.csv"
    code, _ = _report(
        capsys, settled_dir, "obligations", "--date", "2026-12-07", "--firm", "BETA",
        "--accounts", "--csv", str(target),
    )  # fmt: skip
    assert code == 0
    (beta,) = list(csv.DictReader(target.open()))
    code, out = _report(capsys, settled_dir, "blotter", "--date", "2026-12-07", "--csv", "-")
    trades = _csv(out)
    assert (beta["account"], beta["firm"], beta["sold"], beta["received"]) == (
        "BETA-1",
        "BETA",
        "0",
        "0",
    )
    assert int(beta["bought"]) == sum(int(t["qty"]) for t in trades)
    assert int(beta["paid"]) == sum(int(t["notional"]) for t in trades)
    code, out = _report(
        capsys, settled_dir, "obligations", "--date", "2026-12-07", "--firm", "ALPHA"
    )
    assert code == 0
    assert [line.split()[3] for line in out.splitlines()[1:]] == ["ALPHA"]


def test_obligations_needs_one_well_formed_date(
    capsys: pytest.CaptureFixture[str], settled_dir: Path
) -> None:
    _report(capsys, settled_dir, "sync")
    with pytest.raises(SystemExit) as exit_:
        _report(capsys, settled_dir, "obligations", "--date", "2026-12-7")
    assert exit_.value.code == 2
    assert "not a date YYYY-MM-DD: '2026-12-7'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        _report(capsys, settled_dir, "obligations", "--date", "2026-12-07", "--settle-date",
                "2026-12-09")  # fmt: skip
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        _report(capsys, settled_dir, "obligations")
    assert exit_.value.code == 2


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
