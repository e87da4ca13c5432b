"""A shutdown snapshot cut short (the snapshotter killed while catching up or while writing)
leaves no partial or misleading snapshot file, and the next start recovers exactly: from the
earlier snapshot plus a longer tail, to the state of a from-start replay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.domain.exchange import Exchange
from engine.journal_format import snapshot_dir
from engine.rebuild import rebuild, take_snapshot
from engine.stages.injector import encode_records
from engine.start_point import prepare_start
from engine.supervisor import SNAPSHOTTER, Supervisor
from engine.topology import TopologySpec
from journal import SnapshotStore
from tests.engine.test_replay_equivalence import generate_commands, write_journal
from tests.integration.crash_support import replay
from tests.integration.streams import mixed_stream
from tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 16
COMMANDS = generate_commands(1_200, seed=17)
EARLIER = 500  # the snapshot a cut-short shutdown snapshot falls back to

#: Builds the state through seq ``upto`` and takes its snapshot, dying (SIGKILL: no cleanup at
#: all) at ``point`` inside ``SnapshotStore.write``.
WRITER = """
import os, signal, sys
import journal.snapshot
from engine.domain.exchange import Exchange
from engine.rebuild import take_snapshot
from tests.engine.test_replay_equivalence import generate_commands

point, data_dir, upto = sys.argv[1], sys.argv[2], int(sys.argv[3])
exchange = Exchange(16)
for cmd in generate_commands(1_200, seed=17)[:upto]:
    exchange.submit(cmd)

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

real_write = os.write
def half_then_die(fd, data):
    real_write(fd, bytes(data)[: len(data) // 2])
    die()

if point == "write":
    os.write = half_then_die  # a partial temp file
elif point == "fsync":
    os.fsync = die  # a whole temp file, not synced
elif point == "rename":
    os.replace = die  # a synced temp file, never renamed
elif point == "prune":
    journal.snapshot.SnapshotStore.prune = die  # renamed: the new snapshot is complete
take_snapshot(exchange, upto, data_dir)
"""


def _spec(prefix: str, data_dir: Path, **extra: object) -> TopologySpec:
    return TopologySpec(
        prefix=prefix,
        data_dir=str(data_dir),
        shards=1,
        capacity=256,
        feedback_window=WINDOW,
        journal_sync="none",
        **extra,  # type: ignore[arg-type]
    )


def _snapshot_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in snapshot_dir(data_dir).iterdir())


def _every_snapshot_verifies(data_dir: Path) -> list[int]:
    store = SnapshotStore(snapshot_dir(data_dir))
    for seq in store.seqs():
        assert store.load(seq).seq == seq  # raises on a partial or damaged file
    return store.seqs()


@pytest.mark.parametrize("point", ["write", "fsync", "rename", "prune"])
def test_a_snapshot_writer_killed_anywhere_leaves_no_partial_snapshot(
    tmp_path: Path, point: str
) -> None:
    write_journal(tmp_path, COMMANDS, WINDOW)
    earlier = Exchange(WINDOW)
    for cmd in COMMANDS[:EARLIER]:
        earlier.submit(cmd)
    take_snapshot(earlier, EARLIER, tmp_path)
    final = len(COMMANDS)
    killed = subprocess.run(
        [sys.executable, "-c", WRITER, point, str(tmp_path), str(final)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    written = point == "prune"  # killed after the rename: the final snapshot is whole
    assert _every_snapshot_verifies(tmp_path) == ([EARLIER, final] if written else [EARLIER])
    if not written:  # what is left of it is a temp file, which no reader takes for a snapshot
        assert [name for name in _snapshot_files(tmp_path) if name.startswith(".")] != []
    whole = rebuild(tmp_path, from_start=True)
    start = prepare_start(_spec("unused-", tmp_path))
    assert start.snapshot_seq == (final if written else EARLIER)
    assert start.replayed == (0 if written else final - EARLIER)  # the longer tail
    assert start.spec.base_seq == final
    assert start.state_hash == whole.exchange.state_hash()
    # the next snapshot taken (the next host's snapshotter) clears the leftover temp file
    take_snapshot(whole.exchange, final, tmp_path)
    assert not [name for name in _snapshot_files(tmp_path) if name.startswith(".")]
    assert rebuild(tmp_path).exchange.state_hash() == whole.exchange.state_hash()


def _wait_for_snapshot(data_dir: Path, seq: int, host: Supervisor) -> None:
    """Until the snapshotter wrote snapshot ``seq`` (bounded; not a timing assertion)."""
    deadline = time.monotonic() + 60
    store = SnapshotStore(snapshot_dir(data_dir))
    while seq not in store.seqs():
        assert host.failure is None, host.failure
        assert time.monotonic() < deadline, f"no snapshot {seq}: {store.seqs()}"
        time.sleep(0.01)


def _snapshotter_pid(host: Supervisor) -> int:
    pid = next(p.pid for p in host.processes if p.name == SNAPSHOTTER)
    assert pid is not None
    return pid


@pytest.mark.timeout(180)
def test_a_host_stopped_while_its_snapshotter_lags_recovers_from_the_earlier_snapshot(
    prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = mixed_stream(2_400, seed=31)
    spec = _spec(prefix, tmp_path, snapshot_every=600)
    hold = Supervisor._hold_journal
    refused: list[int] = []

    def hold_then_try_a_snapshot(self: Supervisor) -> int:
        # the journaler has stopped, the snapshotter has not: the host still owns the data
        lock = hold(self)
        refused.append(main(["replay", str(tmp_path), "--snapshot"]))
        return lock

    monkeypatch.setattr(Supervisor, "_hold_journal", hold_then_try_a_snapshot)
    with Supervisor(spec) as host:
        host.injector().publish(encode_records(commands[:1_200]))
        assert host.drain(60), host.failure
        _wait_for_snapshot(tmp_path, 1_200, host)
        # The snapshotter now lags whatever follows (deterministically: it is stopped) ...
        os.kill(_snapshotter_pid(host), signal.SIGSTOP)
        host.injector().publish(encode_records(commands[1_200:]))
        assert host.drain(60), host.failure
        # ... and is killed on the way down: no boundary snapshot, no shutdown snapshot
        host.close(grace=0.5, snapshot_grace=0.0)
    assert host.failure is None
    assert refused == [4]
    assert host.shutdown_snapshot_cut_short()
    assert _every_snapshot_verifies(tmp_path) == [600, 1_200]
    assert not [name for name in _snapshot_files(tmp_path) if name.startswith(".")]
    start = prepare_start(spec)
    assert (start.snapshot_seq, start.replayed) == (1_200, len(commands) - 1_200)
    assert start.spec.base_seq == len(commands)
    assert start.state_hash == replay(commands, WINDOW)[0].state_hash()
    assert start.state_hash == rebuild(tmp_path, from_start=True).exchange.state_hash()


@pytest.mark.timeout(180)
def test_cutting_the_grace_short_stops_waiting_for_the_shutdown_snapshot_at_once(
    prefix: str, tmp_path: Path
) -> None:
    # What a second Ctrl-C does in `sequex run`: the operator will not wait for the snapshot.
    commands = mixed_stream(1_200, seed=33)
    spec = _spec(prefix, tmp_path, snapshot_every=600)
    with Supervisor(spec) as host:
        host.injector().publish(encode_records(commands[:600]))
        assert host.drain(60), host.failure
        _wait_for_snapshot(tmp_path, 600, host)
        os.kill(_snapshotter_pid(host), signal.SIGSTOP)  # it would never finish by itself
        host.injector().publish(encode_records(commands[600:]))
        assert host.drain(60), host.failure
        cut = threading.Timer(0.5, host.cut_snapshot_grace)
        cut.start()
        began = time.monotonic()
        host.close(grace=0.5, snapshot_grace=150.0)
        cut.join()
        # far less than the 150 s granted: the wait ended at the cut, not at the deadline
        assert time.monotonic() - began < 60
    assert host.failure is None and host.shutdown_snapshot_cut_short()
    assert host.leftovers() == []
    start = prepare_start(spec)
    assert (start.snapshot_seq, start.replayed) == (600, len(commands) - 600)
    assert start.state_hash == replay(commands, WINDOW)[0].state_hash()


@pytest.mark.timeout(180)
def test_with_enough_grace_the_shutdown_snapshot_covers_the_last_seq(
    prefix: str, tmp_path: Path
) -> None:
    commands = mixed_stream(1_500, seed=32)
    spec = _spec(prefix, tmp_path, snapshot_every=1_000)
    with Supervisor(spec) as host:
        host.injector().publish(encode_records(commands))
        assert host.drain(60), host.failure
        host.close(snapshot_grace=120.0)
    assert host.failure is None and not host.shutdown_snapshot_cut_short()
    assert _every_snapshot_verifies(tmp_path)[-1] == len(commands)
    start = prepare_start(spec)
    assert (start.snapshot_seq, start.replayed) == (len(commands), 0)
    assert start.state_hash == replay(commands, WINDOW)[0].state_hash()


@pytest.mark.parametrize("grace", ["-1", "nan", "inf", "soon"])
def test_run_refuses_a_bad_snapshot_grace_as_a_usage_error(
    grace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(ROOT / "config" / "demo.toml")
    with pytest.raises(SystemExit) as caught:
        main(["run", "--config", config, "--snapshot-grace", grace])
    assert caught.value.code == 2
    assert "--snapshot-grace" in capsys.readouterr().err
