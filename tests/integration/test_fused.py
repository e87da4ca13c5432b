"""The fused topology (one core stage runs the whole Exchange) publishes the very stream of the
sharded pipeline and of ``Exchange(W)`` for the same W, in process and as processes, and
restarts from its journal (state parts compatible with the sharded host's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.types import Command
from engine.rebuild import rebuild
from engine.stage_factories import in_process
from engine.stages.injector import encode_records
from engine.stages.state_parts import exchange_live_state, merge_parts, state_hash
from engine.start_point import prepare_start
from engine.supervisor import Supervisor
from engine.topology import TopologySpec
from tests.integration.conftest import run_host
from tests.integration.crash_support import replay, tail_digest
from tests.integration.streams import mixed_stream, reference_digest
from tools.workload import standard_book_workload

MIXED = mixed_stream(2500, seed=11)
WORKLOAD = standard_book_workload(4000, seed=5)
BOOK = WORKLOAD.setup + WORKLOAD.commands
CUT = 1400


def _in_process_digest(spec: TopologySpec, commands: list[Command]) -> tuple[str, int]:
    with in_process(spec) as runner:
        runner.publish(encode_records(commands))
        runner.pump()
        assert runner.published_seq_no() == len(commands)
        return runner.auditor.digest.hexdigest(), runner.auditor.digest.count


@pytest.mark.parametrize("window", [1, 1024])
@pytest.mark.parametrize(("capacity", "max_batch"), [(64, 7), (65536, 4096), (256, 1)])
def test_fused_in_process_matches_the_exchange_and_the_sharded_pipeline(
    prefix: str, tmp_path: Path, window: int, capacity: int, max_batch: int
) -> None:
    def spec(run: str, fused: bool, shards: int) -> TopologySpec:
        return TopologySpec(
            prefix=prefix,
            data_dir=str(tmp_path / run),
            shards=shards,
            capacity=capacity,
            feedback_window=window,
            journal_sync="none",
            max_batch=max_batch,
            fused=fused,
        )

    for name, commands in (("mixed", MIXED), ("book", BOOK)):
        expected = reference_digest(commands, window)  # Exchange(W).submit, in this process
        fused = _in_process_digest(spec(f"{name}-fused", True, 1), commands)
        sharded = _in_process_digest(spec(f"{name}-sharded", False, 3), commands)
        assert fused == sharded == expected


@pytest.mark.timeout(120)
@pytest.mark.parametrize("window", [1, 1024])
def test_fused_process_pipeline_matches_the_exchange(
    prefix: str, tmp_path: Path, window: int
) -> None:
    for name, commands in (("mixed", MIXED), ("book", BOOK)):
        expected = reference_digest(commands, window)
        records = encode_records(commands)
        for capacity, max_batch in ((64, 5), (65536, 4096)):
            run = f"{name}-{capacity}"
            spec = TopologySpec(
                prefix=prefix,
                data_dir=str(tmp_path / run),
                capacity=capacity,
                feedback_window=window,
                journal_sync="batch",
                max_batch=max_batch,
                summary_path=str(tmp_path / f"{run}.json"),
                fused=True,
            )
            summary = run_host(spec, records)
            assert (summary["digest"], summary["events"]) == expected, (name, capacity)
            assert summary["last_seq_no"] == len(commands)


def _run(spec: TopologySpec, first: int, last: int) -> tuple[str, int, bytes]:
    """Start (or restart) in process, feed MIXED[first:last], stop; (digest, last, live)."""
    start = prepare_start(spec)
    assert start.spec.base_seq == first
    with in_process(start.spec, state=start.state) as runner:
        runner.publish(encode_records(MIXED[first:last]))
        runner.pump()
        digest = runner.auditor.digest.hexdigest()
    reports = Path(spec.report_dir or "")
    parts = [(reports / f"matcher{k}.state").read_bytes() for k in range(spec.shards)]
    live_last, live = merge_parts((reports / "risk.state").read_bytes(), parts)
    return digest, live_last, live


@pytest.mark.parametrize(
    ("window", "first_fused", "then_fused"),
    [(1, True, False), (1024, False, True), (16, True, True)],
)
def test_fused_restarts_from_the_journal_of_either_topology(
    prefix: str, tmp_path: Path, window: int, first_fused: bool, then_fused: bool
) -> None:
    (tmp_path / "reports").mkdir()

    def spec(fused: bool) -> TopologySpec:
        return TopologySpec(
            prefix=prefix,
            data_dir=str(tmp_path / "data"),
            shards=1 if fused else 2,
            capacity=256,
            feedback_window=window,
            journal_sync="none",
            report_dir=str(tmp_path / "reports"),
            fused=fused,
        )

    full, lines = replay(MIXED, window)
    digest, live_last, live = _run(spec(first_fused), 0, CUT)
    assert digest == tail_digest(lines[:CUT], 0)[0]
    offline = rebuild(str(tmp_path / "data"), from_start=True)
    assert live_last == offline.last_seq == CUT
    assert state_hash(live) == state_hash(exchange_live_state(offline.exchange))
    digest, live_last, live = _run(spec(then_fused), CUT, len(MIXED))
    assert digest == tail_digest(lines, CUT)[0]
    assert live_last == len(MIXED)
    assert state_hash(live) == state_hash(exchange_live_state(full))


@pytest.mark.timeout(60)
def test_a_fused_process_host_reports_its_live_state_to_the_supervisor(
    prefix: str, tmp_path: Path
) -> None:
    (tmp_path / "reports").mkdir()
    spec = TopologySpec(
        prefix=prefix,
        data_dir=str(tmp_path / "data"),
        feedback_window=1024,
        journal_sync="batch",
        report_dir=str(tmp_path / "reports"),
        fused=True,
    )
    with Supervisor(spec) as host:
        host.injector().publish(encode_records(MIXED))
        assert host.drain(30), host.failure
    live_last, live = host.live_state()
    assert live_last == len(MIXED)
    assert state_hash(live) == state_hash(exchange_live_state(replay(MIXED, 1024)[0]))
