"""Durable before effect: the risk stage never acts on a command the journal has not synced,
and after a run the journal holds every command, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.journal_format import RECORD_COMMAND, decode_user_header, journal_dir
from engine.stage_factories import in_process
from engine.stages.injector import encode_records
from engine.stages.risk import RiskAgent
from engine.topology import TopologySpec
from journal import JournalReader
from tests.integration.conftest import run_host
from tests.integration.streams import mixed_stream

COMMANDS = mixed_stream(600, seed=3)


def test_risk_stage_waits_for_the_journaler(prefix: str, tmp_path: Path) -> None:
    spec = TopologySpec(prefix=prefix, data_dir=str(tmp_path), shards=2, capacity=1024)
    with in_process(spec) as runner:
        runner.injector.publish(encode_records(COMMANDS[:100]))
        risk = runner.stages["risk"]
        assert isinstance(risk, RiskAgent)
        assert risk.poll() == 0  # nothing durable yet: nothing decided
        assert runner.rings["risk"].cursor.get() == -1
        runner.stages["journaler"].poll()  # append + fdatasync, then durable_seq moves
        assert runner.rings["in"].consumer_sequence(0).get() == 99
        assert risk.poll() == 100
        assert runner.rings["risk"].cursor.get() == 99
        runner.pump()
        assert risk.durability_checks >= 1
        assert runner.published_seq_no() == 100


@pytest.mark.timeout(60)
def test_journal_holds_every_command_after_a_process_run(prefix: str, tmp_path: Path) -> None:
    records = encode_records(COMMANDS)
    spec = TopologySpec(
        prefix=prefix,
        data_dir=str(tmp_path),
        shards=2,
        capacity=128,
        feedback_window=16,
        summary_path=str(tmp_path / "summary.json"),
    )
    summary = run_host(spec, records)
    assert summary["last_seq_no"] == len(COMMANDS)
    reader = JournalReader(journal_dir(tmp_path))
    assert decode_user_header(reader.user_header()) == 16
    journaled = list(reader)
    assert [r[1] for r in journaled] == list(range(1, len(COMMANDS) + 1))
    assert all(r[0] == RECORD_COMMAND for r in journaled)
    assert b"".join(bytes(r[2]) for r in journaled) == records.tobytes()
