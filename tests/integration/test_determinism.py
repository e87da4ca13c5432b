"""The canonical output digest depends on the commands and W only: not on the runner, the
shard count, ring sizes or batch sizes; and it equals the in-process Exchange and simulate."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from engine.canonical import command_to_json
from engine.domain.types import SessionNote
from engine.stage_factories import in_process
from engine.stages.injector import encode_records
from engine.topology import TopologySpec
from tests.integration.conftest import run_host
from tests.integration.streams import mixed_stream, reference_digest
from tools.simulate_cli import simulate
from tools.workload import standard_book_workload

MIXED = mixed_stream(2500, seed=11)
WORKLOAD = standard_book_workload(4000, seed=5)
BOOK = WORKLOAD.setup + WORKLOAD.commands


@pytest.mark.parametrize("window", [1, 1024])
@pytest.mark.parametrize(
    ("shards", "capacity", "max_batch"), [(1, 64, 7), (3, 256, 4096), (4, 65536, 1)]
)
def test_in_process_runner_matches_the_exchange(
    prefix: str, tmp_path: Path, window: int, shards: int, capacity: int, max_batch: int
) -> None:
    expected = reference_digest(MIXED, window)
    spec = TopologySpec(
        prefix=prefix,
        data_dir=str(tmp_path),
        shards=shards,
        capacity=capacity,
        feedback_window=window,
        journal_sync="none",
        max_batch=max_batch,
    )
    with in_process(spec) as runner:
        runner.publish(encode_records(MIXED))
        runner.pump()
        assert runner.published_seq_no() == len(MIXED)
        got = (runner.auditor.digest.hexdigest(), runner.auditor.digest.count)
    assert got == expected


def test_the_streams_carry_session_notes_so_the_topology_checks_cover_them() -> None:
    assert sum(isinstance(c, SessionNote) for c in MIXED) >= 40


def test_the_window_changes_outcomes_so_the_digest_checks_are_sensitive() -> None:
    assert reference_digest(MIXED, 1) != reference_digest(MIXED, 1024)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("window", [1, 1024])
def test_process_pipeline_digest_is_independent_of_shards_rings_and_batches(
    prefix: str, tmp_path: Path, window: int
) -> None:
    for name, commands in (("mixed", MIXED), ("book", BOOK)):
        expected = reference_digest(commands, window)
        records = encode_records(commands)
        for shards, capacity, max_batch in ((1, 64, 5), (4, 65536, 4096)):
            run_dir = tmp_path / f"{name}-{shards}-{capacity}"
            spec = TopologySpec(
                prefix=prefix,
                data_dir=str(run_dir),
                shards=shards,
                capacity=capacity,
                feedback_window=window,
                journal_sync="batch",
                max_batch=max_batch,
                summary_path=str(tmp_path / f"{name}-{shards}-{capacity}.json"),
            )
            summary = run_host(spec, records)
            assert (summary["digest"], summary["events"]) == expected, (name, shards, capacity)
            assert summary["last_seq_no"] == len(commands)


@pytest.mark.parametrize("window", [1, 1024])
def test_simulate_gives_the_same_digest(window: int) -> None:
    lines = "".join(json.dumps(command_to_json(c)) + "\n" for c in MIXED).encode()
    summary = simulate(io.BytesIO(lines), io.BytesIO(), feedback_window=window)
    assert (summary.digest, summary.events) == reference_digest(MIXED, window)


@pytest.mark.parametrize("fused", [False, True])
def test_without_the_digest_the_publisher_publishes_and_routes_the_same(
    prefix: str, tmp_path: Path, fused: bool
) -> None:
    """The digest is a verification switch: turning it off changes nothing that is published
    or routed, only what is hashed."""
    summaries = []
    for digest in (True, False):
        spec = TopologySpec(
            prefix=f"{prefix}{int(digest)}",
            data_dir=str(tmp_path / str(digest)),
            shards=1 if fused else 2,
            fused=fused,
            feedback_window=1024,
            journal_sync="none",
            output_digest=digest,
        )
        with in_process(spec) as runner:
            runner.publish(encode_records(MIXED))
            runner.pump()
            summaries.append(runner.auditor.summary())
    with_digest, without = summaries
    assert with_digest["digest"] == reference_digest(MIXED, 1024)[0]
    assert without["digest"] is None
    for key in ("events", "commands", "exec_reports", "market_events", "last_seq_no"):
        assert without[key] == with_digest[key], key
    assert without["events"] == reference_digest(MIXED, 1024)[1]
