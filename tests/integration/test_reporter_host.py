"""The reporter of a real host (`sequex run` on the demo config: SQLite DATA_DIR/reports.db).

Firms trade over the JSON gateway; the whole host is SIGKILLed mid-flight and started again;
more trading; a clean stop. Then reports.db holds exactly the journal's order events and
executions, each once: the same rows as an offline replay of the journal into a fresh
database, and the same fills as the canonical event stream of ``sequex replay``. The stop line
reports no lag, and ``sequex report`` answers from the database.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from disruptor import list_names
from engine.config import ReporterConfig
from engine.reporter.follower import sync
from engine.reporter.writer import open_writer
from tests.engine.reporter.backends import dump
from tests.engine.reporter.journals import replayed_events
from tests.integration.test_gateway_host import Firm, host_config, order, sequex
from tests.integration.test_ouch_host import _start


def _trade(endpoint: str, round_: int) -> int:
    """ALPHA rests sells, BETA takes some, ALPHA cancels one, BETA is refused once; returns
    the seq of BETA's last order."""
    alpha = Firm(endpoint, "ALPHA", "alpha-pass")
    beta = Firm(endpoint, "BETA", "beta-pass")
    resting = []
    for k in range(8):
        alpha.send(
            order("ALPHA", "ALPHA-1", "sell", 10, 1_000_000 + 100 * k, "day", f"a{round_}{k}")
        )
        resting.append(alpha.until("accepted")["order_id"])
    for k in range(5):
        beta.send(order("BETA", "BETA-1", "buy", 15, 1_000_300, "ioc", f"b{round_}{k}"))
        beta.until("sequenced")
    alpha.send({"type": "cancel_order", "account": "ALPHA-1", "order_id": resting[-1]})
    alpha.until("cancelled")
    beta.send(order("BETA", "BETA-1", "buy", 10, 1_000_001, "day", f"bad{round_}"))
    last: int = beta.until("sequenced")["seq"]
    beta.until("rejected")
    alpha.close()
    beta.close()
    return last


@pytest.mark.timeout(300)
def test_reports_db_holds_the_journals_orders_and_executions_once_through_a_crash(
    tmp_path: Path,
) -> None:
    config, endpoint = host_config(tmp_path, window=4)
    data_dir = tmp_path / "var"
    prefix = f"sequex-rep{os.getpid()}-"

    host = _start(config, prefix)
    _trade(endpoint, 1)
    os.killpg(host.pid, signal.SIGKILL)  # the whole host: the reporter may be mid-transaction
    host.wait(timeout=60)

    host = _start(config, prefix)  # recovers; the reporter catches up from its position
    last = _trade(endpoint, 2)
    host.send_signal(signal.SIGTERM)
    out, err = host.communicate(timeout=120)
    assert host.returncode == 0, err
    assert list_names(prefix) == []
    (line,) = [x for x in out.splitlines() if x.startswith("reporter: through seq")]
    assert line.endswith(", lag 0"), line

    reports = open_writer(ReporterConfig(), data_dir)
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    reference = open_writer(ReporterConfig(), reference_dir)
    try:
        sync(data_dir, reference, use_snapshots=False)
        tables, expected = dump(reports), dump(reference)
    finally:
        reports.close()
        reference.close()
    assert tables == expected
    assert tables["reporter_position"] == [(last,)]
    events = replayed_events(data_dir)
    fills = sorted((e["exec_id"], e["side"]) for e in events if e["type"] == "fill")
    assert len(fills) >= 2 * 2 * 5  # both sides of at least five trades a round
    assert sorted((row[0], row[1]) for row in tables["executions"]) == fills
    accepted = sorted(e["order_id"] for e in events if e["type"] == "accepted")
    assert sorted(row[0] for row in tables["orders"]) == accepted

    status = sequex("report", "status", "--config", str(config))
    assert status.returncode == 0, status.stderr
    assert f"position     {last}" in status.stdout and "lag          0" in status.stdout
    trail = sequex(
        "report", "orders", "--config", str(config), "--firm", "BETA", "--seq", str(last)
    )
    assert trail.returncode == 0, trail.stderr
    assert "price_off_tick" in trail.stdout
    trades = 0
    for day in sorted({str(row[5]) for row in tables["executions"]}):  # trade dates (UTC)
        blotter = sequex("report", "blotter", "--config", str(config), "--date", day, "--csv", "-")
        assert blotter.returncode == 0, blotter.stderr
        trades += len(blotter.stdout.splitlines()) - 1  # its header
    assert trades == len(fills) // 2


def test_sequex_report_refuses_a_data_directory_without_reports(tmp_path: Path) -> None:
    done = sequex("report", "orders", "--data-dir", str(tmp_path), "--firm", "BETA")
    assert done.returncode == 1 and "no reports database" in done.stderr
