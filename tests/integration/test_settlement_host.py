"""T+2 settlement on a real host (`sequex run` on the demo config, sharded, W = 1).

Firms trade over the JSON gateway; the bought shares cannot be withdrawn before they settle;
`sequex settle --date D` (D: the settlement date of today's trades, by the demo calendar) runs
the settle commands and prints the obligations; then the shares can be withdrawn, the reports
database holds the obligations and the accounts' settlements (netting to zero, equal to the
exchange's events), a second run changes nothing, and the state hash is the same live at the
stop, in an offline replay, and after a restart.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from disruptor import list_names
from engine.config import ReporterConfig, load_config
from engine.reporter.writer import open_writer
from engine.settlement.calendar import BusinessCalendar
from tests.integration.test_gateway_host import Firm, host_config, order, sequex
from tests.integration.test_ouch_host import _start

ADMIN = ("--password", "admin-pass")


def _trade(endpoint: str) -> None:
    """BETA-1 buys 30 ACME from ALPHA-1 (two trades), ALPHA-1 buys 5 back from BETA-1."""
    alpha = Firm(endpoint, "ALPHA", "alpha-pass")
    beta = Firm(endpoint, "BETA", "beta-pass")
    alpha.send(order("ALPHA", "ALPHA-1", "sell", 30, 1_000_000, "gtc", "s1"))
    alpha.until("accepted")
    for k, qty in enumerate((10, 20)):
        beta.send(order("BETA", "BETA-1", "buy", qty, 1_000_000, "ioc", f"b{k}"))
        beta.until("fill")
    beta.send(order("BETA", "BETA-1", "sell", 5, 1_010_000, "gtc", "s2"))
    beta.until("accepted")
    alpha.send(order("ALPHA", "ALPHA-1", "buy", 5, 1_010_000, "ioc", "b9"))
    alpha.until("fill")
    alpha.close()
    beta.close()


def _state_hash(out: str, key: str) -> str:
    (line,) = [x for x in out.splitlines() if x.startswith(f"{key} ")]
    return line.split()[1]


def _settle_run(config: Path, day: str) -> tuple[int, str]:
    done = sequex("settle", "--config", str(config), "--date", day, "--early", *ADMIN)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.timeout(300)
def test_sequex_settle_settles_the_wallets_writes_the_obligations_and_replays(
    tmp_path: Path,
) -> None:
    config, endpoint = host_config(tmp_path, window=1)
    data_dir = tmp_path / "var"
    prefix = f"sequex-settle{os.getpid()}-"
    host = _start(config, prefix)
    try:
        _trade(endpoint)
        today = datetime.now(UTC).date()
        calendar = BusinessCalendar(load_config(config).settlement.holidays)
        day = calendar.settlement_date(today).isoformat()
        withdraw = ("admin", "--endpoint", endpoint, *ADMIN, "withdraw", "BETA-1", "--shares")
        # BETA-1 holds the demo's 100,000 ACME + 30 bought - 5 sold: 99,995 are settled
        refused = sequex(*withdraw, "ACME", "99996")
        assert refused.returncode == 1 and "unsettled" in refused.stderr, refused.stderr

        code, out = _settle_run(config, day)
        assert code == 0, out
        assert (
            f"trades through {calendar.trade_date_through(calendar.settlement_date(today))}" in out
        )
        assert "ALPHA            shares -25  cash 2495.0000" in out, out
        assert "BETA             shares +25  cash -2495.0000" in out, out
        assert "BETA-1           bought 30 sold 5  paid 3000.0000 received 505.0000" in out, out
        assert "net to zero" in out and "DO NOT" not in out

        assert sequex(*withdraw, "ACME", "100025").returncode == 0  # all settled: all may leave
        again, out = _settle_run(config, day)
        assert again == 0 and "already_settled" in out, out
    finally:
        host.send_signal(signal.SIGTERM)
        out, err = host.communicate(timeout=120)
    assert host.returncode == 0, err
    assert list_names(prefix) == []
    live = _state_hash(out, "live_state_hash")

    # the reports database: the obligations net to zero and match the accounts' settlements
    reports = open_writer(ReporterConfig(), data_dir)
    try:
        deadline = time.monotonic() + 30
        _, owed = reports.query("SELECT firm, symbol, shares, cash FROM obligations ORDER BY firm")
        while not owed and time.monotonic() < deadline:  # pragma: no cover - the stop drains it
            time.sleep(0.2)
            _, owed = reports.query("SELECT firm, symbol, shares, cash FROM obligations")
        _, rows = reports.query(
            "SELECT account, firm, bought, sold, paid, received FROM settlements ORDER BY account"
        )
    finally:
        reports.close()
    assert [tuple(r) for r in owed] == [
        ("ALPHA", "ACME", -25, 24_950_000), ("BETA", "ACME", 25, -24_950_000),
    ]  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("ALPHA-1", "ALPHA", 5, 30, 5_050_000, 30_000_000),
        ("BETA-1", "BETA", 30, 5, 30_000_000, 5_050_000),
    ]

    replay = sequex("replay", str(data_dir), "--from-start")
    assert replay.returncode == 0, replay.stderr
    assert _state_hash(replay.stdout, "state_hash") == live

    host = _start(config, prefix)  # recovers through the settlement: the same state
    host.send_signal(signal.SIGTERM)
    out, err = host.communicate(timeout=120)
    assert host.returncode == 0, err
    assert _state_hash(out, "live_state_hash") == live
    assert list_names(prefix) == []
