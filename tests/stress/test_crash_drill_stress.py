"""The long crash drill (``make stress``): at least 50 randomized rounds on a real host, each
with every protocol's sessions, one SIGKILL of the whole host at a seeded moment and a restart;
not one acknowledged order may be lost or doubled, nor any fill, ack or session number."""

from __future__ import annotations

import os

import pytest

from tools.drills.cli import run_crash
from tools.drills.report import print_report


@pytest.mark.stress
@pytest.mark.timeout(0)
def test_fifty_randomized_crash_rounds_find_nothing() -> None:
    seed = int(os.environ.get("SEQUEX_STRESS_SEED", "2026"))
    rounds = max(50, int(os.environ.get("SEQUEX_CRASH_ROUNDS", "50")))
    results = run_crash(rounds, seed=seed, protocol="mixed", orders=400)
    print_report("crash", seed, results)  # `make stress` shows it (-rP): restart_ms and counts
    findings = [(r.scenario.round, f) for r in results for f in r.verdict.findings]
    assert findings == []
    assert len(results) == rounds
