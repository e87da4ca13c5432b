"""Fail fast and clean stops: a dead stage stops the host and is named; SIGTERM drains; nothing
is left in /dev/shm."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from disruptor import AgentCrashed, PrefixInUse, list_names
from engine.supervisor import Supervisor
from engine.topology import TopologySpec
from tests.demo_config import demo_text
from tests.integration.streams import mixed_stream
from tools.run_cli import default_prefix

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("victim", ["matcher1", "journaler"])
def test_killing_a_stage_stops_the_host_and_names_it(
    prefix: str, tmp_path: Path, victim: str
) -> None:
    spec = TopologySpec(prefix=prefix, data_dir=str(tmp_path), shards=2, capacity=64)
    host = Supervisor(spec).start()
    try:
        injector = host.injector()
        injector.submit(mixed_stream(50, seed=1))
        assert host.drain(30)
        pid = {p.name: p.pid for p in host.processes}[victim]
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert host.stopped.wait(10), "the watchdog did not notice"
        assert host.failure == (victim, -signal.SIGKILL)
        with pytest.raises(AgentCrashed, match=victim):
            host.raise_if_failed()
    finally:
        host.close()
    assert all(not p.is_alive() for p in host.processes)
    assert list_names(prefix) == []


@pytest.mark.timeout(60)
def test_an_injector_blocked_on_a_full_ring_is_released_when_a_stage_dies(
    prefix: str, tmp_path: Path
) -> None:
    from disruptor import AlertException

    spec = TopologySpec(prefix=prefix, data_dir=str(tmp_path), shards=1, capacity=16)
    host = Supervisor(spec).start()
    try:
        pid = {p.name: p.pid for p in host.processes}["risk"]
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # nobody consumes behind the journaler any more
        with pytest.raises(AlertException):
            host.injector().submit(mixed_stream(200, seed=2))
        assert host.failure is not None and host.failure[0] == "risk"
    finally:
        host.close()


@pytest.mark.timeout(60)
def test_a_second_host_on_a_claimed_prefix_is_refused_and_touches_nothing(
    prefix: str, tmp_path: Path
) -> None:
    spec = TopologySpec(prefix=prefix, data_dir=str(tmp_path / "a"), shards=1, capacity=64)
    with Supervisor(spec) as host:
        names = list_names(prefix)
        second = Supervisor(dataclasses.replace(spec, data_dir=str(tmp_path / "b")))
        with pytest.raises(PrefixInUse, match=f"process {os.getpid()}"):
            second.start()
        second.close()  # as `sequex run` does on every way out: must unlink nothing
        assert list_names(prefix) == names
        host.injector().submit(mixed_stream(20, seed=3))
        assert host.drain(30)
    assert host.failure is None
    assert list_names(prefix) == []


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("signum", "to_group"),
    [
        (signal.SIGTERM, False),
        (signal.SIGINT, False),
        # the whole process group at once: a terminal's Ctrl-C, `kill -- -PGID`, and
        # systemd's default stop (KillMode=control-group) of a unit running `sequex run`
        (signal.SIGTERM, True),
        (signal.SIGINT, True),
    ],
)
def test_sequex_run_drains_and_stops_cleanly_on_a_signal(
    tmp_path: Path, signum: int, to_group: bool
) -> None:
    config = tmp_path / "host.toml"
    config.write_text(demo_text(tmp_path / "var")[0])
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=to_group,  # its own group, so that only it is signalled
    )
    prefix = default_prefix(tmp_path / "var")
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "press Ctrl-C to stop" in line or not line:
                break
        assert "press Ctrl-C to stop" in lines[-1], "".join(lines)
        assert list_names(prefix), "the host owns its rings under its prefix"
        if to_group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "draining: done" in out  # the host stopped its stages in its own order
    assert list_names(prefix) == []
    assert any((tmp_path / "var" / "journal").glob("*.log"))
