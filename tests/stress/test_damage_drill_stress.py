"""The long damage drill (``make stress``): thousands of damaged copies of a larger sample, on
several seeds, each started by the host's start-up code; not one may lose an acknowledged seq,
rebuild a wrong state, change files while refusing or go unreported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.damage_drill import build_sample, run_drill
from tools.damage_kinds import KINDS
from tools.drill_cli import print_report


@pytest.mark.stress
@pytest.mark.parametrize("seed", [101, 202])
def test_a_long_damage_drill_finds_no_failure(tmp_path: Path, seed: int) -> None:
    sample = build_sample(tmp_path / "sample", 8000)
    report = run_drill(sample, cases=60 * len(KINDS), seed=seed)
    print_report(report, seed)  # `make stress` shows it (-rP): the counts and every cut
    failures = [(c.number, c.damage.where, c.failures) for c in report.failures]
    assert failures == []
    assert set(report.by_kind()) == set(KINDS)
