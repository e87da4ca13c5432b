"""Journals written before the compiled core replay to exactly what they replayed to then.

The fixtures (tests/fixtures/journal-w*-main-366ab95.tar.gz) were written by main at commit
366ab95, the last commit before the hot path was compiled: a full mix of every command kind
(tests.engine.mixed_commands, renumbered without gaps) journaled in the host's format, one at
W = 1 and one at W = 1024, each with a snapshot that main took halfway. old_journals.json holds
what that commit's ``sequex replay`` printed for them, from the snapshot and from the start.
The journal format, the snapshot format, the canonical event lines and the state hash must
not change: this build (compiled, and uncompiled in the SEQUEX_PURE run) prints the same.

The fixtures journal-w*-rules2-main-ea70fd5.tar.gz were written the same way (tests.engine.
mixed_commands.every_kind, seeds 12 and 1035, 6,000 commands, a snapshot halfway) by main at
ea70fd5, the last commit before settlement (rules 3): rules 2 journals, which must replay to
what that commit printed although the current rules settle trades and keep more state.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from engine.config import load_config, setup_commands
from engine.domain.exchange import Exchange
from engine.domain.rules import RULES_V1, RULES_V2
from engine.domain.types import OpenAccount
from engine.journal_format import JournalHeader, encode_user_header, journal_dir
from engine.rebuild import read_header, rebuild
from engine.start_point import prepare_start, setup_under_rules
from engine.topology import TopologySpec
from journal import JournalReader, JournalWriter
from tests.engine.test_replay_equivalence import generate_commands, run_in_process, write_journal
from tools.cli import main

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.toml"

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED: dict[str, dict[str, dict[str, str]]] = json.loads(
    (FIXTURES / "old_journals.json").read_text()
)
COMPARED = ("state_hash", "digest", "commands", "events", "snapshot", "last_seq")


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
@pytest.mark.parametrize("mode", ["snapshot", "--from-start"])
def test_an_old_journal_replays_to_the_same_hash_and_digest(
    fixture: str, mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with tarfile.open(FIXTURES / fixture) as archive:
        archive.extractall(tmp_path, filter="data")
    args = ["replay", str(tmp_path)] + ([] if mode == "snapshot" else [mode])
    assert main(args) == 0
    got = dict(line.split(" ", 1) for line in capsys.readouterr().out.splitlines())
    want = EXPECTED[fixture][mode]
    assert {k: got[k] for k in COMPARED} == {k: want[k] for k in COMPARED}


def test_an_old_journal_says_it_runs_rules_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with tarfile.open(FIXTURES / sorted(EXPECTED)[0]) as archive:
        archive.extractall(tmp_path, filter="data")
    assert read_header(tmp_path).rules == RULES_V1
    assert rebuild(tmp_path, digest=False).exchange.rules == RULES_V1
    # exit 1: these journals predate the durable checkpoint, which stats reports as unchecked
    assert main(["journal", "stats", str(tmp_path / "journal")]) == 1
    out = capsys.readouterr().out
    assert "rules       1 (" in out and "no durable checkpoint" in out


@pytest.mark.parametrize("window", [1, 1024])
def test_a_rules_2_journal_runs_rules_2(window: int, tmp_path: Path) -> None:
    with tarfile.open(FIXTURES / f"journal-w{window}-rules2-main-ea70fd5.tar.gz") as archive:
        archive.extractall(tmp_path, filter="data")
    assert read_header(tmp_path).rules == RULES_V2
    assert rebuild(tmp_path, digest=False).exchange.rules == RULES_V2


def test_a_host_on_a_rules_1_journal_goes_on_under_rules_1_with_version_1_headers(
    tmp_path: Path,
) -> None:
    """A data directory whose journal predates rules versions: the start keeps its rules (the
    config's setup, written for the current rules, loses its OpenAccount commands), the
    journal's new segments get the same 16-byte header, and the state is the rules-1 replay."""
    commands = [c for c in generate_commands(3_000, seed=3) if type(c) is not OpenAccount]
    commands = [c._replace(seq_no=i + 1) for i, c in enumerate(commands)]
    write_journal(tmp_path, commands, 8, RULES_V1)
    header = JournalReader(journal_dir(tmp_path)).user_header()
    assert len(header) == 16
    JournalWriter(journal_dir(tmp_path), user_header=header).close()  # a checkpoint, as a host
    spec = TopologySpec(prefix="old-", data_dir=str(tmp_path), feedback_window=8)
    start = prepare_start(spec)
    assert start.spec.rules == RULES_V1
    old, _ = run_in_process(commands, 8, RULES_V1)
    assert start.state is not None and Exchange.restore(start.state).rules == RULES_V1
    assert start.state_hash == old.state_hash()
    assert read_header(tmp_path) == JournalHeader(8, RULES_V1)
    assert JournalReader(journal_dir(tmp_path)).user_header() == header
    assert encode_user_header(8, start.spec.rules) == header  # what the journaler will write
    setup = setup_commands(load_config(DEMO))
    assert any(type(c) is OpenAccount for c in setup)
    under_1 = setup_under_rules(setup, RULES_V1)
    assert [c.seq_no for c in under_1] == list(range(1, len(under_1) + 1))
    assert not any(type(c) is OpenAccount for c in under_1)
