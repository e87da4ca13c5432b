"""One short round of the crash drill on a real host: every protocol's sessions under load, one
SIGKILL of the whole host, a restart, recovered sessions, and a verdict that finds nothing.
The report it prints is the one docs/drills.md shows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.drills.cli import run_crash
from tools.drills.crash import RoundResult
from tools.drills.report import as_json, exit_status, print_report

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "drills.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def one_round(tmp_path_factory: pytest.TempPathFactory) -> RoundResult:
    keep = tmp_path_factory.mktemp("crash-drill")
    (result,) = run_crash(1, seed=5, protocol="mixed", orders=240, keep=keep)
    return result


@pytest.mark.timeout(600)
def test_a_crash_round_loses_and_duplicates_nothing(one_round: RoundResult) -> None:
    verdict = one_round.verdict
    assert verdict.findings == []
    assert exit_status([one_round]) == 0
    # every load order and each session's last one was sent; those unacknowledged were
    # rejected, or sent over JSON just before the kill and never journaled: no finding
    assert verdict.acked + verdict.unacked >= 240 + 12
    assert verdict.acked > verdict.unacked
    assert verdict.trades > 0 and verdict.fills_seen >= 2 * verdict.trades  # both sides told
    assert 0 < one_round.acked_at_kill < verdict.acked  # killed under the load
    assert len(one_round.logins) == 12  # two sessions per firm and protocol
    assert all(n >= 2 for n in one_round.logins.values())  # each logged in again
    assert one_round.restart_ms > 0


@pytest.mark.timeout(600)
def test_the_report_is_the_one_the_doc_shows(
    one_round: RoundResult, capsys: pytest.CaptureFixture[str]
) -> None:
    print_report("crash", 5, [one_round])
    printed = capsys.readouterr().out.splitlines()
    header = printed[1]
    assert header in DOC  # the table's columns, as docs/drills.md quotes them
    samples = [json.loads(text) for text in re.findall(r"```json\n(.*?)```", DOC, re.S)]
    (documented,) = [sample for sample in samples if sample["drill"] == "crash"]
    real = as_json("crash", 5, [one_round])
    assert set(documented) == set(real)
    assert set(documented["rounds"][0]) == set(real["rounds"][0])
    assert set(documented["total"]) == set(real["total"])


def test_a_drill_that_cannot_run_exits_2() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tools.cli", "drill", "crash", "--rounds", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "--rounds and --orders must be at least 1" in run.stderr
