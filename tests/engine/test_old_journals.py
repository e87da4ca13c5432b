"""Journals written before the compiled core replay to exactly what they replayed to then.

The fixtures (tests/fixtures/journal-w*-main-366ab95.tar.gz) were written by main at commit
366ab95, the last commit before the hot path was compiled: a full mix of every command kind
(tests.engine.mixed_commands, renumbered without gaps) journaled in the host's format, one at
W = 1 and one at W = 1024, each with a snapshot that main took halfway. old_journals.json holds
what that commit's ``sequex replay`` printed for them, from the snapshot and from the start.
The journal format, the snapshot format, the canonical event lines and the state hash must
not change: this build (compiled, and uncompiled in the SEQUEX_PURE run) prints the same.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from tools.cli import main

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
