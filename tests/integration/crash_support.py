"""Helpers of the crash tests: a host to kill, the journal and acknowledgement checks.

:func:`host_main` runs as ``python -c`` in a subprocess with a session of its own, so the test
SIGKILLs the whole tree (the host and every stage process it spawned) with one ``killpg``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.canonical import OutputDigest, encode_events
from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.journal_format import COMMAND_FRAME_SIZE, RECORD_COMMAND, journal_dir
from engine.stages.injector import Injector, encode_records
from engine.stages.state_parts import exchange_live_state, state_hash
from engine.topology import TopologySpec
from journal import JournalReader
from journal.layout import FILE_HEADER_SIZE
from tests.integration.streams import mixed_stream

ROOT = Path(__file__).resolve().parents[2]
#: Commands injected per publish and the pause between publishes: spreads a workload over
#: long enough (about a second) for a kill to land in the middle of it.
CHUNK = 32
PAUSE = 0.002


@dataclass(frozen=True)
class Scenario:
    window: int
    shards: int
    restart_shards: int
    count: int
    seed: int

    def spec(self, prefix: str, data_dir: Path, shards: int, **extra: Any) -> TopologySpec:
        return TopologySpec(
            prefix=prefix,
            data_dir=str(data_dir),
            shards=shards,
            capacity=256,
            feedback_window=self.window,
            journal_sync="batch",
            snapshot_every=max(1, self.count // 3),
            **extra,
        )

    def workload(self) -> list[Command]:
        return mixed_stream(self.count, seed=self.seed)


def feed(
    injector: Injector,
    commands: list[Command],
    first: int,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Inject ``commands[first:]`` in small paced chunks (the load a kill interrupts), until
    done or ``stop()``."""
    records = encode_records(commands[first:])
    for lo in range(0, len(records), CHUNK):
        if stop():
            return
        injector.publish(records[lo : lo + CHUNK])
        time.sleep(PAUSE)


def host_main(scenario_json: str, prefix: str, data_dir: str, events_path: str) -> None:
    """The host the test kills: recover or start fresh, feed the workload, then idle."""
    from engine.start_point import prepare_start
    from engine.supervisor import Supervisor

    scenario = Scenario(**json.loads(scenario_json))
    spec = scenario.spec(prefix, Path(data_dir), scenario.shards, events_path=events_path)
    start = prepare_start(spec)
    host = Supervisor(start.spec, state=start.state).start()
    feed(host.injector(), scenario.workload(), start.spec.base_seq)
    host.drain(60)
    print("fed", flush=True)
    time.sleep(600)  # until killed


def start_host(
    scenario: Scenario, prefix: str, data_dir: Path, events: Path
) -> subprocess.Popen[str]:
    args = json.dumps(scenario.__dict__)
    code = (
        "import sys; from tests.integration.crash_support import host_main; "
        "host_main(*sys.argv[1:])"
    )
    with open(events.with_suffix(".stderr"), "w") as stderr:  # a file: a pipe could fill up
        return subprocess.Popen(
            [sys.executable, "-c", code, args, prefix, str(data_dir), str(events)],
            cwd=ROOT,
            start_new_session=True,  # its own process group: killpg takes the whole tree
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )


def kill_tree(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the host's process group and wait until no member is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"process group {proc.pid} outlived SIGKILL")


def journaled_count(data_dir: Path) -> int:
    """Commands in the journal files now (from their sizes; torn frames not counted)."""
    total = 0
    for path in journal_dir(data_dir).glob("*.log"):
        total += max(0, path.stat().st_size - FILE_HEADER_SIZE) // COMMAND_FRAME_SIZE
    return total


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


# --- checks ---------------------------------------------------------------------------------


def acknowledged(events: Path) -> dict[int, str]:
    """seq_no -> type of every Accepted/Rejected line the publisher got out (whole lines)."""
    if not events.exists():
        return {}
    data = events.read_bytes()
    lines = data[: data.rfind(b"\n") + 1].splitlines()
    acks: dict[int, str] = {}
    for line in lines:
        event = json.loads(line)
        if event["type"] in ("accepted", "rejected"):
            assert event["seq"] not in acks or event["sub"] != 0, f"ack twice: {event}"
            acks[event["seq"]] = event["type"]
    return acks


def check_journal(data_dir: Path, commands: list[Command]) -> int:
    """The journal is commands[:L] exactly: seqs 1..L, each once, byte for byte. Returns L."""
    records = list(JournalReader(journal_dir(data_dir)))
    seqs = [seq for _, seq, _ in records]
    assert seqs == list(range(1, len(seqs) + 1)), "journal seqs have a gap or a duplicate"
    assert all(rtype == RECORD_COMMAND for rtype, _, _ in records)
    expected = encode_records(commands[: len(seqs)]).tobytes()
    assert b"".join(bytes(payload) for _, _, payload in records) == expected
    return len(seqs)


def replay(commands: list[Command], window: int) -> tuple[Exchange, list[bytes]]:
    """An in-process Exchange over ``commands``, and each command's canonical lines."""
    exchange = Exchange(window)
    lines = [encode_events(cmd.seq_no, exchange.submit(cmd)) for cmd in commands]
    return exchange, lines


def check_published_prefix(events: Path, lines: list[bytes]) -> None:
    """Whatever the publisher got out before the kill is a prefix of the replayed stream."""
    if not events.exists():
        return
    data = events.read_bytes()
    data = data[: data.rfind(b"\n") + 1]
    assert b"".join(lines)[: len(data)] == data, "published events differ from the replay"


def tail_digest(lines: list[bytes], after_seq: int) -> tuple[str, int]:
    digest = OutputDigest()
    for data in lines[after_seq:]:
        digest.update_bytes(data, data.count(b"\n"))
    return digest.hexdigest(), digest.count


def live_hash(exchange: Exchange) -> int:
    return state_hash(exchange_live_state(exchange))
