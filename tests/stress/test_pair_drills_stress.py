"""The long drills on a primary and standby pair (``make stress``):

* at least 50 randomized failover rounds (``SEQUEX_FAILOVER_ROUNDS`` for more): each SIGKILLs
  the primary under the load of every protocol's sessions (named JSON, OUCH, FIX) at a seeded
  moment and lets the standby take over; not one acknowledged order may be lost or doubled,
  nor any fill, ack or session number;
* randomized standby-restart rounds (``SEQUEX_STANDBY_RESTART_ROUNDS``, 10 by default) with
  every protocol's sessions (the primary never dies there).

``SEQUEX_STRESS_SEED`` picks another seed (2026 by default)."""

from __future__ import annotations

import os

import pytest

from tools.drills.pair_cli import run_failover, run_standby_restart
from tools.drills.pair_report import print_report

SEED = int(os.environ.get("SEQUEX_STRESS_SEED", "2026"))


@pytest.mark.stress
@pytest.mark.timeout(0)
def test_fifty_randomized_failover_rounds_find_nothing() -> None:
    rounds = max(50, int(os.environ.get("SEQUEX_FAILOVER_ROUNDS", "50")))
    results = run_failover(rounds, seed=SEED, protocol="mixed", orders=400)
    print_report("failover", SEED, results)  # `make stress` shows it (-rP)
    findings = [(r.scenario.round, f) for r in results for f in r.findings]
    assert findings == []
    assert len(results) == rounds


@pytest.mark.stress
@pytest.mark.timeout(0)
def test_randomized_standby_restart_rounds_find_nothing() -> None:
    rounds = max(1, int(os.environ.get("SEQUEX_STANDBY_RESTART_ROUNDS", "10")))
    results = run_standby_restart(rounds, seed=SEED, protocol="mixed", orders=400)
    print_report("standby-restart", SEED, results)
    findings = [(r.scenario.round, f) for r in results for f in r.findings]
    assert findings == []
    assert all(r.held_ms is not None and r.held_ms >= 1000 * r.down_s for r in results)
