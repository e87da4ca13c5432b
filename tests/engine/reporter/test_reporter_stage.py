"""The reporter stage in a host's pipeline (the in-process runner: the same stage objects as
the process host, deterministic scheduling), against every backend: it follows the journal,
is missing for a while, and catches up from its position; the database ends up equal to an
offline replay of the journal, and its status reports no lag."""

from __future__ import annotations

import dataclasses
import os
import uuid
from pathlib import Path

import pytest

from engine.config import ReporterConfig
from engine.domain.types import Command
from engine.reporter.errors import ReporterError
from engine.reporter.follower import sync
from engine.reporter.status import read_status
from engine.reporter.writer import open_writer
from engine.stage_factories import in_process
from engine.stages.injector import encode_records
from engine.stages.reporter import ReporterAgent
from engine.start_point import prepare_start
from engine.topology import TopologySpec
from tests.engine.reporter.backends import Backend, dump
from tests.engine.reporter.journals import mixed, write_journal


def _spec(data_dir: Path, reporter: ReporterConfig | None) -> TopologySpec:
    return TopologySpec(
        prefix=f"sequex-rst{os.getpid()}-{uuid.uuid4().hex[:8]}-",
        data_dir=str(data_dir),
        feedback_window=8,
        journal_sync="none",
        snapshot_every=64,
        fused=True,
        reporter=reporter,
    )


def _run(data_dir: Path, reporter: ReporterConfig | None, commands: list[Command]) -> int | None:
    """Start a host on ``data_dir`` (recovering its journal), inject ``commands``, stop;
    returns the reporter stage's position at the stop (None: no reporter)."""
    start = prepare_start(_spec(data_dir, reporter))
    with in_process(start.spec, start.state) as runner:
        runner.publish(encode_records(commands))
        runner.pump()
        stage = runner.stages.get("reporter")
        assert stage is None or isinstance(stage, ReporterAgent)
        return None if stage is None else stage.position


def test_the_stage_follows_the_journal_and_catches_up_after_downtime(
    backend: Backend, tmp_path: Path
) -> None:
    commands = mixed(500)
    parts = commands[:200], commands[200:350], commands[350:]
    data_dir = backend.data_dir
    assert _run(data_dir, backend.config, parts[0]) == 200
    assert _run(data_dir, None, parts[1]) is None  # the reporter is away
    assert _run(data_dir, backend.config, parts[2]) == len(commands)
    status = read_status(data_dir)
    assert status is not None and (status.position, status.lag) == (len(commands), 0)
    assert status.backend == backend.name
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    reference = open_writer(ReporterConfig(), reference_dir)
    sync(data_dir, reference, use_snapshots=False)
    assert dump(backend.open()) == dump(reference)
    reference.close()


def test_a_stage_whose_database_is_ahead_of_the_journal_refuses_to_start(
    backend: Backend,
) -> None:
    write_journal(backend.data_dir, mixed(100))
    sync(backend.data_dir, backend.open())
    fresh = backend.data_dir.parent / "fresh"
    fresh.mkdir()
    config = backend.config
    backend.close_all()  # the last close folds SQLite's WAL into the file
    if config.dsn is None:  # SQLite: the database file of another data directory
        (fresh / "reports.db").write_bytes((backend.data_dir / "reports.db").read_bytes())
    spec = dataclasses.replace(_spec(fresh, config), base_seq=0)
    with pytest.raises(ReporterError, match="belongs to another journal"), in_process(spec):
        pass
