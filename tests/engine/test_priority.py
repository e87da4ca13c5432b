"""engine.stages.priority: a stage off the order path lowers its own priority, and leaves the idle
class (keeping its niceness) for work someone waits for."""

from __future__ import annotations

import multiprocessing
import os

from engine.stages.priority import leave_idle, lower_priority


def _lowered(idle: bool, queue: multiprocessing.Queue[tuple[str, int, int]]) -> None:
    before = os.nice(0)
    said = lower_priority(3, idle=idle)
    queue.put((said, os.sched_getscheduler(0), os.nice(0) - before))


def _in_a_child(idle: bool) -> tuple[str, int, int]:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[tuple[str, int, int]] = ctx.Queue()
    child = ctx.Process(target=_lowered, args=(idle, queue))
    child.start()
    try:
        return queue.get(timeout=60)
    finally:
        child.join(60)


def test_idle_takes_the_idle_class_and_the_niceness() -> None:
    assert _in_a_child(True) == ("idle", os.SCHED_IDLE, 3)


def test_without_idle_only_the_niceness_changes() -> None:
    assert _in_a_child(False) == ("nice 3", os.SCHED_OTHER, 3)


def _left(queue: multiprocessing.Queue[tuple[bool, int, int, bool]]) -> None:
    before = os.nice(0)
    lower_priority(3, idle=True)
    left = leave_idle()
    again = leave_idle()  # not idle any more: nothing to do
    queue.put((left, os.sched_getscheduler(0), os.nice(0) - before, again))


def test_leave_idle_takes_the_normal_class_back_and_keeps_the_niceness() -> None:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[tuple[bool, int, int, bool]] = ctx.Queue()
    child = ctx.Process(target=_left, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=60) == (True, os.SCHED_OTHER, 3, False)
    finally:
        child.join(60)
