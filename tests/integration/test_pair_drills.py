"""One short round of each drill on a primary and standby pair, real processes on loopback:

* failover: the primary SIGKILLed under load, the standby takes over, and every session
  (named JSON, OUCH and FIX) logs in to it and recovers: the FIX sessions with their next
  MsgSeqNum and NextExpectedMsgSeqNum(789), from the sequence marks the primary journaled
  (docs/fix-gateway.md, "Failover"), each report read exactly once (no gap, no repeat: the
  session verdict), and the load goes on there; the verdict on the standby's journal finds
  nothing;
* standby-restart: the standby SIGKILLed under load and restarted; no order entered meanwhile
  is acknowledged before it is back, it catches up, its journal equals the primary's, and the
  verdict finds nothing.

The reports printed are the ones docs/drills.md shows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.drills.failover import FailoverResult
from tools.drills.pair_cli import run_failover, run_standby_restart
from tools.drills.pair_report import as_json, exit_status, print_report
from tools.drills.standby_restart import RestartResult

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "drills.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def failover(tmp_path_factory: pytest.TempPathFactory) -> FailoverResult:
    keep = tmp_path_factory.mktemp("failover-drill")
    (result,) = run_failover(1, seed=5, protocol="mixed", orders=160, keep=keep)
    return result


@pytest.fixture(scope="module")
def restart(tmp_path_factory: pytest.TempPathFactory) -> RestartResult:
    keep = tmp_path_factory.mktemp("standby-restart-drill")
    (result,) = run_standby_restart(1, seed=5, protocol="mixed", orders=160, keep=keep)
    return result


@pytest.mark.timeout(600)
def test_a_failover_round_loses_and_duplicates_nothing(failover: FailoverResult) -> None:
    verdict = failover.verdict
    assert failover.findings == []
    assert exit_status([failover]) == 0
    assert verdict.acked + verdict.unacked >= 12 * (160 // 12) + 12  # the load, the last ones
    assert verdict.trades > 0 and verdict.fills_seen >= 2 * verdict.trades
    assert 0 < failover.acked_at_kill < verdict.acked  # killed under the load
    assert len(failover.logins) == 12  # two named JSON, two OUCH, two FIX sessions per firm
    assert {"ALPHAFIX", "BETAFIX"} <= set(failover.logins)
    assert all(n >= 2 for n in failover.logins.values())  # each logged in to the standby
    assert failover.promoted_from > 1
    assert failover.failover_ms > 0 and failover.promoted_ms > 0


@pytest.mark.timeout(600)
def test_a_standby_restart_round_holds_acks_and_catches_up(restart: RestartResult) -> None:
    verdict = restart.verdict
    assert restart.findings == []
    assert exit_status([restart]) == 0
    assert verdict.acked + verdict.unacked >= 12 * (160 // 12) + 12  # 12 sessions' orders
    assert len(restart.logins) == 12 and all(n == 1 for n in restart.logins.values())
    assert restart.rejoined_at > 0 and restart.held_orders > 0
    # sync replication: an order entered after the standby's death waited for it to be back
    assert restart.held_ms is not None and restart.held_ms >= 1000 * restart.down_s


@pytest.mark.timeout(600)
@pytest.mark.parametrize("drill", ["failover", "standby-restart"])
def test_the_reports_are_the_ones_the_doc_shows(
    drill: str,
    failover: FailoverResult,
    restart: RestartResult,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result: FailoverResult | RestartResult = failover if drill == "failover" else restart
    print_report(drill, 5, [result])
    header = capsys.readouterr().out.splitlines()[1]
    assert header in DOC
    samples = {
        json.loads(text)["drill"]: json.loads(text)
        for text in re.findall(r"```json\n(.*?)```", DOC, re.S)
    }
    documented, real = samples[drill], as_json(drill, 5, [result])
    assert set(documented) == set(real)
    assert set(documented["rounds"][0]) == set(real["rounds"][0])
    assert set(documented["total"]) == set(real["total"])
    if drill == "failover":
        assert {"failover_ms", "acked", "lost", "duplicated"} <= set(real)
        assert real["lost"] == real["duplicated"] == 0


@pytest.mark.parametrize("drill", ["failover", "standby-restart"])
def test_a_pair_drill_that_cannot_run_exits_2(drill: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tools.cli", "drill", drill, "--orders", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "--rounds and --orders must be at least 1" in run.stderr
