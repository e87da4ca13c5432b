"""``engine.stages.waiting.nap_then_park``: a consumer off the order path naps unannounced
first (no producer posts it), then parks as ``park`` does (declared, posted once); and
``IdleBackoff``, the idle sleeps of a stage that polls."""

from __future__ import annotations

import time

import pytest

from disruptor import AlertException
from engine.stages.waiting import IdleBackoff, nap_then_park


class _Board:
    """Records the parking protocol's calls (``disruptor.wait.WakeBoard``'s shape)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def begin_wait(self, waiter: int) -> None:
        self.calls.append(f"begin {waiter}")

    def block(self, waiter: int, timeout: float) -> None:
        self.calls.append(f"block {waiter}")
        time.sleep(timeout)

    def end_wait(self, waiter: int) -> None:
        self.calls.append(f"end {waiter}")


def _ready_after(checks: int) -> tuple[list[int], object]:
    seen = [0]

    def ready() -> bool:
        seen[0] += 1
        return seen[0] > checks

    return seen, ready


def _no_alert() -> None:
    pass


def test_work_that_comes_while_napping_is_taken_without_declaring_a_wait() -> None:
    board = _Board()
    seen, ready = _ready_after(3)
    nap_then_park(board, 1, ready, _no_alert, nap=0.0005, naps=10)  # type: ignore[arg-type]
    assert seen[0] == 4
    assert board.calls == []  # never declared: a producer's signal posts nothing for it


def test_after_its_naps_it_parks_as_park_does() -> None:
    board = _Board()
    seen, ready = _ready_after(20)  # 5 naps, park's spin of 8, then parked until the 21st
    nap_then_park(board, 2, ready, _no_alert, nap=0.0005, naps=5, timeout=0.001)  # type: ignore[arg-type]
    assert board.calls[0] == "begin 2" and "block 2" in board.calls
    assert board.calls[-1] == "end 2" and seen[0] == 21


def test_an_alert_stops_it_while_napping() -> None:
    board = _Board()
    halted = [False]

    def check_alert() -> None:
        if halted[0]:
            raise AlertException("halted")

    def never() -> bool:
        halted[0] = True  # halted while it waits
        return False

    with pytest.raises(AlertException):
        nap_then_park(board, 0, never, check_alert, nap=0.0005, naps=10)  # type: ignore[arg-type]
    assert board.calls == []


def test_what_came_is_taken_before_an_alert_is_noticed() -> None:
    def alerted() -> None:
        raise AlertException("halted")

    nap_then_park(_Board(), 0, lambda: True, alerted, nap=0.0005, naps=3)  # type: ignore[arg-type]


def test_an_idle_stage_sleeps_twice_as_long_each_time_up_to_the_most_and_starts_again_on_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the one IdleBackoff calls
    backoff = IdleBackoff(0.005, 0.05)
    for _ in range(6):
        backoff.sleep()
    backoff.worked()
    backoff.sleep()
    assert slept == [0.005, 0.01, 0.02, 0.04, 0.05, 0.05, 0.005]
