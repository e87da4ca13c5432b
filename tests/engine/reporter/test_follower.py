"""Following a journal into the reports database (engine.reporter.follower), against every
backend: exactly the journal's order events and executions, once each, however the database
got there (one sync, a sync in parts from a snapshot, a replay from scratch over it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.config import ReporterConfig
from engine.reporter.errors import ReporterError
from engine.reporter.follower import ReportFollower, sync
from engine.reporter.writer import open_writer
from engine.session_ids import session_origin
from tests.engine.reporter.backends import Backend, dump
from tests.engine.reporter.journals import mixed, replayed_events, write_journal

ORDER_EVENT_TYPES = ("accepted", "rejected", "cancelled", "replaced", "expired")


def _reference(data_dir: Path, tmp: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The tables an offline sync from seq 1 (no snapshot) writes into a fresh SQLite file."""
    tmp.mkdir()
    writer = open_writer(ReporterConfig(), tmp)
    try:
        sync(data_dir, writer, use_snapshots=False)
        return dump(writer)
    finally:
        writer.close()


def test_a_sync_writes_exactly_the_journals_order_events_and_executions(
    backend: Backend,
) -> None:
    commands = mixed(400)
    write_journal(backend.data_dir, commands)
    writer = backend.open()
    done = sync(backend.data_dir, writer)
    assert (done.before, done.position, done.replayed) == (0, len(commands), len(commands))
    tables = dump(writer)
    events = replayed_events(backend.data_dir)
    fills = {(e["exec_id"], e["side"], e["seq"], e["sub"]) for e in events if e["type"] == "fill"}
    assert len(fills) > 20
    assert {(r[0], r[1], r[2], r[3]) for r in tables["executions"]} == fills
    assert len(tables["executions"]) == len(fills)
    reports = {(e["seq"], e["sub"], e["type"]) for e in events if e["type"] in ORDER_EVENT_TYPES}
    assert {(r[0], r[1], r[2]) for r in tables["order_events"]} == reports
    assert {t for _, _, t in reports} == set(ORDER_EVENT_TYPES)
    assert [r[0] for r in tables["commands"]] == list(range(1, len(commands) + 1))
    accepted = {e["order_id"] for e in events if e["type"] == "accepted"}
    assert {r[0] for r in tables["orders"]} == accepted
    assert tables["reporter_position"] == [(len(commands),)]


def test_a_replay_from_scratch_into_an_existing_database_duplicates_nothing(
    backend: Backend,
) -> None:
    write_journal(backend.data_dir, mixed(300))
    writer = backend.open()
    sync(backend.data_dir, writer)
    once = dump(writer)
    follower = ReportFollower(backend.data_dir, 0)  # as if the database were empty
    follower_batch = follower.apply_records(_all_records(backend.data_dir))
    writer.write(follower_batch)
    writer.write(follower_batch)  # and the same batch again
    assert dump(writer) == once


def _all_records(data_dir: Path) -> bytes:
    from engine.command_batches import CommandBatchReader
    from engine.journal_format import journal_dir

    return b"".join(bytes(p) for p, _ in CommandBatchReader(journal_dir(data_dir)).batches(1))


def test_a_sync_in_parts_starts_from_a_snapshot_and_writes_what_one_sync_writes(
    backend: Backend, tmp_path: Path
) -> None:
    commands = mixed(500)
    write_journal(backend.data_dir, commands, snapshot_every=100)
    writer = backend.open()
    first = sync(backend.data_dir, writer, through_seq=450)
    assert first.position == 450
    second = sync(backend.data_dir, writer)
    assert second.snapshot_seq == 400  # the newest snapshot at or before its position (the
    assert second.replayed == len(commands) - 400  # host keeps the newest three)
    assert dump(writer) == _reference(backend.data_dir, tmp_path / "reference")


def test_the_origin_and_the_firm_say_who_sent_each_command(backend: Backend) -> None:
    origin = session_origin("F1", "S1")
    write_journal(backend.data_dir, mixed(50), origin=origin)
    writer = backend.open()
    sync(backend.data_dir, writer)
    _, rows = writer.query("SELECT DISTINCT origin FROM commands WHERE kind = 'new_order'")
    assert rows == [(origin,)]
    _, unnamed = writer.query(
        "SELECT seq_no FROM commands WHERE kind IN ('new_order', 'cancel_order') AND firm IS NULL"
    )
    assert unnamed == []


def test_a_database_ahead_of_its_journal_is_refused(backend: Backend) -> None:
    write_journal(backend.data_dir, mixed(100))
    writer = backend.open()
    sync(backend.data_dir, writer)
    other = backend.data_dir.parent / "other"
    write_journal(other, mixed(10))
    with pytest.raises(ReporterError, match="belongs to another journal"):
        sync(other, writer)
