"""A child dies with its parent: a ManagedProcess, a subprocess given the preexec function, the
fallback watch, and a child whose parent was gone before it could ask."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(90)

REPO = str(Path(__file__).resolve().parents[2])
#: Generous: the kernel signals at once; the fallback watch polls every 0.1 s.
TIMEOUT = 30.0


def gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie nobody reaped yet counts as exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def kill_middle_then_wait_for_child(middle_code: str) -> None:
    """Run ``middle_code`` (it starts a child and prints its pid), SIGKILL it, and check that
    the child exits within TIMEOUT."""
    middle = subprocess.Popen(
        [sys.executable, "-c", middle_code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert middle.stdout is not None
    child = int(middle.stdout.readline())
    try:
        assert not gone(child)
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait(TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        while not gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(child), f"child {child} outlived its parent"
    finally:
        if middle.poll() is None:
            middle.kill()
            middle.wait()
        if not gone(child):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


def test_a_managed_process_dies_when_its_parent_is_killed() -> None:
    kill_middle_then_wait_for_child(
        "import time; from disruptor import ManagedProcess;"
        "from tests.disruptor.agents import hang;"
        "p = ManagedProcess(hang, (), name='h', start_method='spawn'); p.start();"
        "print(p.pid, flush=True); time.sleep(600)"
    )


def test_a_subprocess_started_with_the_preexec_function_dies_with_its_parent() -> None:
    kill_middle_then_wait_for_child(
        "import subprocess, sys, time; from disruptor import preexec_exit_with_parent;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
        " preexec_fn=preexec_exit_with_parent());"
        "print(p.pid, flush=True); time.sleep(600)"
    )


def test_the_fallback_watch_kills_a_child_whose_parent_died() -> None:
    # the parent's pid comes from the parent: the child may start after the parent died
    child = "import sys, time; from disruptor.lifeline import watch_parent; "
    child += "watch_parent(int(sys.argv[1])); time.sleep(600)"
    kill_middle_then_wait_for_child(
        "import os, subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', {child!r}, str(os.getpid())]);"
        "print(p.pid, flush=True); time.sleep(600)"
    )


def test_a_child_whose_parent_is_already_gone_kills_itself_at_once() -> None:
    # The parent it expects is not its parent: as if that one died before the child started.
    code = "from disruptor import exit_with_parent; exit_with_parent(1); print('survived')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "survived" not in result.stdout
