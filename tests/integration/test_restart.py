"""Restart from the journal, in process (deterministic scheduling): state handed to every stage,
split by the current shard count; the snapshotter follows only what is durable."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.rebuild import rebuild
from engine.stage_factories import in_process
from engine.stages.injector import encode_records
from engine.stages.snapshotter import SnapshotterAgent
from engine.stages.state_parts import exchange_live_state, merge_parts, state_hash
from engine.start_point import WindowMismatchError, prepare_start
from engine.topology import TopologySpec
from tests.integration.crash_support import replay, tail_digest
from tests.integration.streams import mixed_stream

COMMANDS = mixed_stream(2500, seed=21)
CUT = 1400


def _spec(prefix: str, tmp_path: Path, window: int, shards: int, **extra: object) -> TopologySpec:
    reports = tmp_path / "reports"
    reports.mkdir(exist_ok=True)
    return TopologySpec(
        prefix=prefix,
        data_dir=str(tmp_path / "data"),
        shards=shards,
        capacity=256,
        feedback_window=window,
        journal_sync="none",
        report_dir=str(reports),
        **extra,  # type: ignore[arg-type]
    )


def _run(spec: TopologySpec, first: int, last: int) -> tuple[str, int, bytes]:
    """Start (or restart) in process, feed COMMANDS[first:last], stop; (digest, last, live)."""
    start = prepare_start(spec)
    assert start.spec.base_seq == first
    with in_process(start.spec, state=start.state) as runner:
        runner.publish(encode_records(COMMANDS[first:last]))
        runner.pump()
        digest = runner.auditor.digest.hexdigest()
    reports = Path(spec.report_dir or "")
    parts = [(reports / f"matcher{k}.state").read_bytes() for k in range(spec.shards)]
    live_last, live = merge_parts((reports / "risk.state").read_bytes(), parts)
    return digest, live_last, live


@pytest.mark.parametrize(
    ("window", "shards", "restart_shards", "snapshot_every"),
    [(1, 1, 2, 0), (16, 2, 1, 500), (1024, 2, 3, 0), (1024, 1, 2, 600)],
)
def test_a_restart_hands_every_stage_its_part_and_continues_the_same_stream(
    prefix: str,
    tmp_path: Path,
    window: int,
    shards: int,
    restart_shards: int,
    snapshot_every: int,
) -> None:
    full, lines = replay(COMMANDS, window)
    spec = _spec(prefix, tmp_path, window, shards, snapshot_every=snapshot_every)
    digest, live_last, live = _run(spec, 0, CUT)
    assert digest == tail_digest(lines[:CUT], 0)[0]
    offline = rebuild(spec.data_dir, from_start=True)
    assert live_last == offline.last_seq == CUT
    assert state_hash(live) == state_hash(exchange_live_state(offline.exchange))

    again = _spec(prefix, tmp_path, window, restart_shards, snapshot_every=snapshot_every)
    start = prepare_start(again)
    assert start.state_hash == offline.exchange.state_hash()
    assert start.snapshot_seq == (CUT if snapshot_every else None)  # the shutdown snapshot
    digest, live_last, live = _run(again, CUT, len(COMMANDS))
    assert digest == tail_digest(lines, CUT)[0]
    assert live_last == len(COMMANDS)
    assert state_hash(live) == state_hash(exchange_live_state(full))
    assert rebuild(spec.data_dir, from_start=True).exchange.state_hash() == full.state_hash()


def test_live_state_equals_the_snapshot_when_nothing_is_pending(
    prefix: str, tmp_path: Path
) -> None:
    full, _ = replay(COMMANDS[:CUT], 1)
    _, _, live = _run(_spec(prefix, tmp_path, 1, 2), 0, CUT)
    assert live == full.snapshot()


def test_a_restart_with_another_feedback_window_is_refused(prefix: str, tmp_path: Path) -> None:
    _run(_spec(prefix, tmp_path, 16, 1), 0, 100)
    with pytest.raises(WindowMismatchError, match="feedback_window 16"):
        prepare_start(_spec(prefix, tmp_path, 1024, 1))


def test_the_snapshotter_replays_only_durable_commands_and_snapshots_on_boundaries(
    prefix: str, tmp_path: Path
) -> None:
    spec = _spec(prefix, tmp_path, 4, 1, snapshot_every=250)
    with in_process(spec) as runner:
        snapshotter = runner.stages["snapshotter"]
        assert isinstance(snapshotter, SnapshotterAgent)
        runner.injector.publish(encode_records(COMMANDS[:200]))
        assert snapshotter.poll() == 0  # in ring[in], not yet journaled: not durable
        runner.stages["journaler"].poll()
        assert snapshotter.poll() == 200
        runner.publish(encode_records(COMMANDS[200:900]))
        runner.pump()
        assert snapshotter.snapshots == [250, 500, 750]
        assert snapshotter.last_seq == 900
    assert snapshotter.snapshots == [250, 500, 750, 900]  # and one at close
    restarted = rebuild(spec.data_dir)
    assert restarted.snapshot_seq == 900
    assert restarted.exchange.state_hash() == replay(COMMANDS[:900], 4)[0].state_hash()
