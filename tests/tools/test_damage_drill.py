"""The damage drill (`sequex drill damage`): every kind of damage ends refused, cut, found by
the scrub, skipped or harmless, and never in a lost acknowledgement; and the drill itself
fails when a start does lose one. The long version runs in ``make stress``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tools.damage_drill as drill
from engine.start_point import StartPoint, prepare_start
from engine.topology import TopologySpec
from journal.repair import apply_repair, plan_repair
from tools.cli import main
from tools.damage_kinds import KINDS

#: what each kind may end in (the drill checks the invariants; this checks the kinds bite)
ALLOWED = {
    "truncate": {"refused", "scrub-alert"},
    "truncate-boundary": {"refused", "scrub-alert"},
    "bitflip": {"refused", "scrub-alert"},
    "delete-segment": {"refused", "scrub-alert"},
    "duplicate-segment": {"refused", "scrub-alert", "cut"},
    "torn-append": {"cut"},
    "unsynced-tail": {"cut", "harmless"},
    "checkpoint-delete": {"refused"},
    "checkpoint-bitflip": {"harmless"},
    "snapshot-bitflip": {"snapshot-skipped", "harmless"},
    "snapshot-truncate": {"snapshot-skipped", "harmless"},
    "index": {"harmless"},
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drill.build_sample(tmp_path_factory.mktemp("sample"), 2500)


def test_every_kind_is_detected_or_harmless_and_nothing_acknowledged_is_lost(
    sample: Path,
) -> None:
    report = drill.run_drill(sample, cases=6 * len(KINDS), seed=5)
    assert [c.failures for c in report.failures] == []
    assert set(report.by_kind()) == set(KINDS) == set(ALLOWED)
    for kind, counts in report.by_kind().items():
        assert set(counts) <= ALLOWED[kind], (kind, counts)
    for case in report.cases:
        if case.outcome == "cut":
            assert ".quarantine" in case.detail and "never reported durable" in case.detail
        if case.base_seq is not None:
            assert case.base_seq >= case.damage.acked
    outcomes = report.outcomes()
    assert outcomes["refused"] and outcomes["cut"] and outcomes["scrub-alert"]


def test_the_same_seed_runs_the_same_cases(sample: Path) -> None:
    first = drill.run_drill(sample, cases=10, seed=9)
    second = drill.run_drill(sample, cases=10, seed=9)
    assert [(c.damage, c.outcome, c.base_seq) for c in first.cases] == [
        (c.damage, c.outcome, c.base_seq) for c in second.cases
    ]


def test_a_start_that_cuts_acknowledged_data_fails_the_drill(
    sample: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def careless_start(spec: TopologySpec) -> StartPoint:
        # what the host did before: cut whatever is damaged and carry on (and, so that no
        # snapshot stands in the way, forget the snapshots)
        directory = Path(spec.data_dir, "journal")
        plan = plan_repair(directory, contiguous_from=1)
        if plan.needed:
            apply_repair(plan, accept_loss=True, reason="careless")
        drill.shutil.rmtree(Path(spec.data_dir, "snapshots"), ignore_errors=True)
        return prepare_start(spec)

    monkeypatch.setattr(drill, "prepare_start", careless_start)
    report = drill.run_drill(sample, cases=4, seed=1, kinds=["truncate"], keep=tmp_path)
    assert report.failures
    assert any("lost acknowledged seqs" in f for c in report.failures for f in c.failures)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"case-{c.number:05d}" for c in report.failures
    ]


def test_the_command_prints_counts_and_where_it_cut(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "damage", "--cases", "12", "--sample-commands", "1500"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("damage drill, seed 1: 12 cases on a journal through seq ")
    assert "0 failed" in out and "where each cut was made:" in out
    assert main(["drill", "damage", "--cases", "6", "--kinds", "torn-append", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["cases"], report["failed"], report["outcomes"]["cut"]) == (6, 0, 6)
    assert all(c["kind"] == "torn-append" for c in report["cases_detail"])


def test_bad_arguments_and_a_damaged_source_exit_2(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drill", "damage", "--kinds", "fire"]) == 2
    assert "unknown damage kind(s) fire" in capsys.readouterr().err
    assert main(["drill", "damage", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
    damaged = tmp_path / "damaged"
    drill.shutil.copytree(sample, damaged)
    (damaged / "journal" / "durable.ckpt").unlink()
    assert main(["drill", "damage", str(damaged), "--cases", "1"]) == 2
    assert "must verify clean" in capsys.readouterr().err
