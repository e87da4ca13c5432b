"""`sequex run` on a data directory that holds a journal recovers instead of refusing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from disruptor import list_names
from tests.demo_config import demo_text
from tools.run_cli import default_prefix

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, window: int) -> Path:
    config = tmp_path / f"host-{window}.toml"
    config.write_text(demo_text(tmp_path / "var", window)[0])
    return config


def _sequex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", *args], cwd=ROOT, capture_output=True, text=True
    )


def _run_until_up_then_stop(config: Path) -> dict[str, str]:
    """Start ``sequex run``, wait for it to be up, SIGTERM it; its ``key value`` lines."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
            if "press Ctrl-C to stop" in lines[-1] or not lines[-1]:
                break
        assert "press Ctrl-C to stop" in lines[-1], "".join(lines)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=180)  # a stop on a loaded machine: generous
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert list_names(default_prefix(config.parent / "var")) == []
    pairs = [line.split(" ", 1) for line in [*lines, *out.splitlines()] if line.strip()]
    return {p[0]: p[1].strip() for p in pairs if len(p) == 2}


@pytest.mark.timeout(600)
def test_sequex_run_restarts_from_its_journal_and_prints_the_replay_state_hash(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, 1024)
    first = _run_until_up_then_stop(config)
    assert "state_hash" not in first  # a fresh start: setup injected
    replayed = dict(
        line.split(" ", 1) for line in _sequex("replay", str(tmp_path / "var")).stdout.splitlines()
    )
    second = _run_until_up_then_stop(config)
    assert second["state_hash"] == replayed["state_hash"]
    assert second["last_seq"] == first["last_seq"] == replayed["last_seq"]
    assert second["live_state_hash"] == first["live_state_hash"]

    refused = _sequex("run", "--config", str(_config(tmp_path, 8)))
    assert refused.returncode == 2
    assert "feedback_window 1024" in refused.stderr
