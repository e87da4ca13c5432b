"""Segment ownership: owner creates and unlinks, attachers never unlink, crashes are cleaned."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from disruptor import AgentProcess, RingBuffer, cleanup_stale, list_names

from .agents import attach_and_leave, checking_consumer, own_ring_and_hang, produce

pytestmark = pytest.mark.timeout(60)

REPO = str(Path(__file__).resolve().parents[2])


def test_a_normal_stop_leaves_nothing_under_the_prefix(prefix: str) -> None:
    ring = RingBuffer.create(prefix + "ring", capacity=16, slot_size=64, consumers=1)
    assert sorted(list_names(prefix)) == sorted(
        [prefix + "ring", f"sem.{prefix}ring-w0", f"sem.{prefix}ring-w1"]
    )
    consumer = AgentProcess(partial(checking_consumer, ring.name, 0, last=99), name="c0")
    consumer.start()
    produce(ring, 100)
    assert consumer.join(20) == 0
    ring.close()
    assert list_names(prefix) == []


def test_cleanup_stale_removes_what_a_killed_owner_left(prefix: str) -> None:
    name = prefix + "ring"
    child = multiprocessing.get_context("spawn").Process(target=own_ring_and_hang, args=(name,))
    child.start()
    try:
        deadline = time.monotonic() + 20
        while len(list_names(prefix)) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
    finally:
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(10)
    assert child.exitcode == -signal.SIGKILL
    left = list_names(prefix)
    assert len(left) == 3, left
    with pytest.raises(FileExistsError):
        RingBuffer.create(name, capacity=8, slot_size=64, consumers=1)
    assert sorted(cleanup_stale(prefix)) == sorted(left)
    assert list_names(prefix) == []
    RingBuffer.create(name, capacity=8, slot_size=64, consumers=1).close()


def test_a_child_that_attaches_and_exits_does_not_unlink(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        child = multiprocessing.get_context("spawn").Process(
            target=attach_and_leave, args=(ring.name,)
        )
        child.start()
        child.join(20)
        assert child.exitcode == 0
        assert prefix + "ring" in list_names(prefix)
        RingBuffer.attach(ring.name).close()


def test_an_unrelated_process_that_attaches_and_exits_does_not_unlink(prefix: str) -> None:
    # An unrelated process has its own resource tracker, which would unlink a tracked segment
    # when the process exits: the attach must leave it untracked.
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        code = (
            f"from tests.disruptor.agents import attach_and_leave; attach_and_leave({ring.name!r})"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
        assert "leaked" not in result.stderr and "Traceback" not in result.stderr
        time.sleep(0.1)  # the tracker of that process acts as it exits
        assert prefix + "ring" in list_names(prefix)
        RingBuffer.attach(ring.name).close()


def test_attaching_to_a_missing_ring_fails_cleanly(prefix: str) -> None:
    with pytest.raises(FileNotFoundError):
        RingBuffer.attach(prefix + "absent")


def test_cleanup_stale_refuses_an_empty_prefix() -> None:
    with pytest.raises(ValueError, match="prefix=''"):
        cleanup_stale("")


def test_create_refuses_an_existing_name_and_keeps_the_original(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1) as ring:
        ring.cursor.set(41)
        with pytest.raises(FileExistsError):
            RingBuffer.create(prefix + "ring", capacity=8, slot_size=64, consumers=1)
        with RingBuffer.attach(prefix + "ring") as again:
            assert again.cursor.get() == 41
