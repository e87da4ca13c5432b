"""A crashed `sequex run` leaks nothing for long and leaves nothing running.

The host's shared-memory prefix derives from its data directory, so a restart on the same data
directory finds what a crash (SIGKILL of the whole tree) left and sweeps it; a clean stop then
leaves nothing, marker included. SIGKILL of the supervisor alone takes every stage and the
gateway with it (no unsupervised exchange keeps acknowledging), and the next host starts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from disruptor import list_names
from disruptor.shm import OWNER_MARKER
from tests.engine.test_replay_equivalence import generate_commands, write_journal
from tests.integration.test_gateway_host import host_config
from tools.run_cli import default_prefix

ROOT = Path(__file__).resolve().parents[2]
#: Generous: children die as soon as the kernel signals them.
EXIT_TIMEOUT = 30.0


def start_host(config: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """``sequex run`` in a session of its own (so the test can kill its whole tree), once up;
    the banner lines."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines.append(proc.stdout.readline())
        if "press Ctrl-C to stop" in lines[-1] or not lines[-1]:
            break
    if "press Ctrl-C to stop" not in lines[-1]:
        stop_group(proc)
        raise AssertionError("".join(lines) + (proc.stderr.read() if proc.stderr else ""))
    return proc, lines


def stop_cleanly(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out


def stop_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL whatever is left of the host's session (what this test started), and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie nobody reaped yet counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # exited meanwhile
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def accepts(endpoint: str) -> bool:
    host, _, port = endpoint.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            return True
    except OSError:
        return False


def restart_sweeps_then_stops_clean(config: Path, prefix: str, left: list[str]) -> None:
    """A new host on the same data directory starts, says it swept ``left`` (all of it gone),
    and its clean stop leaves nothing under the prefix, marker included."""
    proc, banner = start_host(config)
    try:
        assert f"shm prefix {prefix}" in "".join(banner)
        swept = [line for line in banner if "shared-memory names left by crashed hosts" in line]
        if swept:
            # at least ours: a crashed host elsewhere on this machine may have left names too
            assert int(swept[0].split()[1]) >= len(left), swept[0]
        # else the sweep is machine-wide, and a host of another test run on this machine that
        # started in between swept them first: this host's start, which creates the same
        # names exclusively, shows they were gone all the same
        stop_cleanly(proc)
    finally:
        if proc.poll() is None:
            stop_group(proc)
    assert list_names(prefix) == []


@pytest.mark.timeout(240)
def test_a_restart_on_the_same_data_dir_sweeps_what_a_whole_tree_crash_left(
    tmp_path: Path,
) -> None:
    config, _ = host_config(tmp_path)
    prefix = default_prefix(tmp_path / "var")
    proc, banner = start_host(config)
    try:
        assert f"shm prefix {prefix}" in "".join(banner)
        assert prefix + OWNER_MARKER in list_names(prefix)
    finally:
        stop_group(proc)  # SIGKILL of the whole tree: nobody cleans up
    left = list_names(prefix)
    assert prefix + OWNER_MARKER in left and len(left) > 1, left
    restart_sweeps_then_stops_clean(config, prefix, left)


@pytest.mark.timeout(240)
def test_killing_only_the_supervisor_stops_every_stage_and_the_gateway(tmp_path: Path) -> None:
    config, endpoint = host_config(tmp_path)
    prefix = default_prefix(tmp_path / "var")
    proc, _ = start_host(config)
    try:
        stages = children(proc.pid)  # the stages, the gateway, multiprocessing's tracker
        assert len(stages) >= 3, stages
        assert accepts(endpoint)
        os.kill(proc.pid, signal.SIGKILL)  # the supervisor alone
        proc.wait(EXIT_TIMEOUT)
        deadline = time.monotonic() + EXIT_TIMEOUT
        while not all(map(gone, stages)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in stages if not gone(pid)] == [], "outlived the supervisor"
        assert not accepts(endpoint), "the gateway still serves without a supervisor"
    finally:
        stop_group(proc)
    left = list_names(prefix)
    assert prefix + OWNER_MARKER in left, left
    restart_sweeps_then_stops_clean(config, prefix, left)  # the journal's lock was freed


@pytest.mark.timeout(240)
def test_a_second_host_on_a_live_hosts_prefix_is_refused_naming_it(tmp_path: Path) -> None:
    # (On the same data directory the journal's lock refuses it first.) Before the claim, its
    # start removed every name under the prefix: the running host's rings.
    config, endpoint = host_config(tmp_path)
    prefix = default_prefix(tmp_path / "var")
    # the second host's own data directory ends in a torn tail its recovery would cut
    write_journal(tmp_path / "other", generate_commands(300, seed=1), 1)
    journal = tmp_path / "other" / "journal"
    with open(sorted(journal.glob("journal-*.log"))[-1], "ab") as segment:
        segment.write(b"\x80\x00\x00\x00 torn")
    files = {p.name: p.read_bytes() for p in journal.iterdir()}
    proc, _ = start_host(config)
    try:
        names = list_names(prefix)
        other = ["--data-dir", str(tmp_path / "other"), "--prefix", prefix]
        second = subprocess.run(
            [sys.executable, "-m", "tools.cli", "run", "--config", str(config), *other],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1, second.stderr
        assert f"in use by process {proc.pid}" in second.stderr
        assert {p.name: p.read_bytes() for p in journal.iterdir()} == files  # before recovery
        assert list_names(prefix) == names  # the running host's rings untouched
        assert accepts(endpoint)
        stop_cleanly(proc)
    finally:
        if proc.poll() is None:
            stop_group(proc)
    assert list_names(prefix) == []
