"""`sequex settle` without a host: the plan it prints, and what it refuses before sending."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine.config import load_config
from tests.demo_config import demo_text
from tools.cli import main
from tools.report_settlement import SettleAnswer, cash, render_report
from tools.settle_cli import plan


@pytest.fixture
def config(tmp_path: Path) -> Path:
    text, _ = demo_text(tmp_path / "var")
    path = tmp_path / "host.toml"
    path.write_text(text)
    return path


def test_a_dry_run_prints_the_trade_date_and_the_symbols(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["settle", "--config", str(config), "--date", "2026-12-28", "--early", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    # the demo's holiday on Friday 2026-12-25: Monday the 28th settles Wednesday the 23rd
    assert out.startswith("settlement date 2026-12-28: trades through 2026-12-23 (T+2")
    assert "symbols ACME, GLOBEX, INITECH" in out


def test_nothing_settles_on_a_holiday_or_after_today(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["settle", "--config", str(config), "--date", "2026-12-25", "--early"]) == 2
    assert "2026-12-25 is not a business day" in capsys.readouterr().err
    assert main(["settle", "--config", str(config), "--date", "2999-01-04"]) == 2
    assert "--early" in capsys.readouterr().err


def test_the_plan_takes_the_symbols_asked_for(config: Path) -> None:
    chosen = plan(load_config(config), date(2026, 12, 9), ["ACME", "ACME"])
    assert (chosen.trade_date, chosen.symbols) == (date(2026, 12, 7), ["ACME"])


def test_the_report_prints_cash_in_currency_and_checks_the_netting() -> None:
    owed = [
        {"type": "obligation", "firm": f, "trade_date": 20261207, "shares": s, "cash": c}
        for f, s, c in (("A", 10, -1_000_500), ("B", -10, 1_000_500))
    ]
    rows = [
        {"type": "account_settled", "account": "A-1", "trade_date": 20261207, "bought": 10,
         "sold": 0, "paid": 1_000_500, "received": 0},
    ]  # fmt: skip
    answers = [
        SettleAnswer("ACME", 7, [*owed, *rows]),
        SettleAnswer("GLOBEX", 8, []),
        SettleAnswer("INITECH", 9, [], "already_settled"),
    ]
    text = render_report(answers)
    assert "    A                shares +10  cash -100.0500" in text
    assert "    A-1              bought 10 sold 0  paid 100.0500 received 0.0000" in text
    assert "check: shares +0, cash 0.0000: net to zero" in text
    assert "GLOBEX (seq 8): nothing to settle" in text
    assert "INITECH (seq 9): not settled: already_settled" in text
    assert cash(-5) == "-0.0005" and cash(12_345_678) == "1234.5678"
