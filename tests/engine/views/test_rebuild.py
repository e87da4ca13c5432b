"""The view at a restart (engine.views.rebuild): whatever the saved history and the snapshots,
it equals a view fed the whole stream from seq 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.journal_format import snapshot_dir
from engine.views.rebuild import history_path, rebuild_view, save_history
from journal import SnapshotStore
from tests.engine.reporter.journals import write_journal
from tests.engine.views.streams import fed, shown, stream

WINDOW = 4


def _journal(tmp_path: Path, commands: list[Command], snapshot_every: int = 0) -> bytes:
    """Journal ``commands``; the exchange state at their end (what recovery hands a stage)."""
    write_journal(tmp_path, commands, window=WINDOW, snapshot_every=snapshot_every)
    exchange = Exchange(WINDOW)
    for cmd in commands:
        exchange.submit(cmd)
    return exchange.snapshot()


def test_without_a_saved_history_the_journal_is_replayed_from_seq_1(tmp_path: Path) -> None:
    commands = stream(400)
    state = _journal(tmp_path, commands, snapshot_every=100)
    rebuilt = rebuild_view(tmp_path, len(commands), state)
    assert (rebuilt.history_seq, rebuilt.snapshot_seq) == (0, None)
    assert rebuilt.replayed == len(commands)
    assert shown(rebuilt.view) == shown(fed(commands))


@pytest.mark.parametrize("saved_at", [150, 260, 399])
def test_a_saved_history_is_continued_from_the_newest_snapshot_before_it(
    tmp_path: Path, saved_at: int
) -> None:
    commands = stream(400)
    state = _journal(tmp_path, commands, snapshot_every=100)
    save_history(tmp_path, fed(commands[:saved_at]))
    rebuilt = rebuild_view(tmp_path, len(commands), state)
    assert rebuilt.history_seq == saved_at and rebuilt.ignored is None
    kept = SnapshotStore(snapshot_dir(tmp_path)).seqs()  # the newest three: 200, 300, 400
    assert rebuilt.snapshot_seq == max((s for s in kept if s <= saved_at), default=None)
    assert rebuilt.replayed == len(commands) - (rebuilt.snapshot_seq or 0)
    assert shown(rebuilt.view) == shown(fed(commands))


def test_a_history_saved_at_the_recovered_seq_needs_no_replay(tmp_path: Path) -> None:
    commands = stream(300)
    state = _journal(tmp_path, commands)
    save_history(tmp_path, fed(commands))
    rebuilt = rebuild_view(tmp_path, len(commands), state)
    assert rebuilt.replayed == 0
    assert shown(rebuilt.view) == shown(fed(commands))


@pytest.mark.parametrize("damage", ["ahead", "garbage", "version"])
def test_a_history_that_cannot_be_right_is_ignored_and_rebuilt(tmp_path: Path, damage: str) -> None:
    commands = stream(300)
    state = _journal(tmp_path, commands)
    if damage == "ahead":  # another, longer journal's
        save_history(tmp_path, fed(stream(400)))
    else:
        save_history(tmp_path, fed(commands[:100]))
        path = history_path(tmp_path)
        text = path.read_bytes()
        bad = text[:50] if damage == "garbage" else text.replace(b'"version":1', b'"version":9')
        path.write_bytes(bad)
    rebuilt = rebuild_view(tmp_path, len(commands), state)
    assert rebuilt.ignored is not None and str(history_path(tmp_path)) in rebuilt.ignored
    assert shown(rebuilt.view) == shown(fed(commands))


def test_a_fresh_host_starts_with_an_empty_view(tmp_path: Path) -> None:
    rebuilt = rebuild_view(tmp_path, 0, None)
    assert rebuilt.view.symbols == {} and rebuilt.replayed == 0
