"""Blocking on one ring's semaphore while the condition may depend on several rings.

A ring's wait strategy re-checks only that ring's sequences. A stage whose next step depends on
sequences of several rings (the risk stage needs durable input *or* matcher progress *or* space,
and must keep draining the out rings) parks on the board of one ring with its own ``ready()``
predicate instead. The protocol is the ring's own (see ``disruptor.wait.WakeBoard``): declare
the blocking episode, re-check ``ready()``, then sleep. Every party whose progress can make
``ready()`` true signals that board after publishing (the topology arranges this), so a wake-up
is never lost; the timeout is only a safety net and a bound on a missed case.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from disruptor import AlertException, WakeBoard


class Halt:
    """A local stop flag shared by a stage's waits (``halt()`` from a signal handler)."""

    __slots__ = ("halted",)

    def __init__(self) -> None:
        self.halted = False

    def check_alert(self) -> None:
        if self.halted:
            raise AlertException("stage halted")


def park(
    board: WakeBoard,
    waiter: int,
    ready: Callable[[], bool],
    check_alert: Callable[[], None],
    *,
    spin: int = 8,
    timeout: float = 0.01,
) -> None:
    """Return once ``ready()`` is true, spinning briefly and then sleeping on ``waiter``'s
    semaphore of ``board``. ``check_alert`` raises AlertException to stop."""
    for _ in range(spin):
        if ready():
            return
    while True:
        check_alert()
        board.begin_wait(waiter)
        try:
            if ready():
                return
            board.block(waiter, timeout)
        finally:
            board.end_wait(waiter)
        if ready():
            return


#: how many naps a consumer off the order path takes before it parks (``nap_then_park``)
NAPS_BEFORE_PARKING: Final = 5


def nap_then_park(
    board: WakeBoard,
    waiter: int,
    ready: Callable[[], bool],
    check_alert: Callable[[], None],
    *,
    nap: float,
    naps: int,
    timeout: float = 0.01,
) -> None:
    """:func:`park` for a consumer off the order path: first up to ``naps`` sleeps of ``nap``
    seconds that no producer is told of, then :func:`park` (a producer posts it once).

    While traffic flows the consumer wakes on its own every ``nap`` and takes what came
    meanwhile, so the producer publishes without a semaphore post for it: on two shared
    cores each post is a system call on the order path and a wake-up that competes with it
    (in the core at 20K orders/s the posts were about 40% of its busy time). Idle for
    ``nap * naps``, it parks and costs nothing; few naps, so that a trickle of events costs
    at most ``naps`` wake-ups each. The price is up to ``nap`` of latency."""
    for _ in range(naps):
        if ready():  # (before the alert, as park: what came is taken first)
            return
        check_alert()
        time.sleep(nap)
    park(board, waiter, ready, check_alert, timeout=timeout)


class IdleBackoff:
    """The sleeps of a stage that polls off the order path: ``first`` after a poll that found
    nothing, twice as long after each such poll in a row, at most ``most``, and ``first``
    again once a poll finds work. Polled this way an idle stage wakes about 1 / ``most``
    times a second, not 1 / ``first`` (each wake-up costs 20-35 us of CPU on two shared cores
    of a nested VM: docs/performance.md, "What a wake-up costs here")."""

    __slots__ = ("_first", "_most", "_next")

    def __init__(self, first: float, most: float) -> None:
        self._first = first
        self._most = most
        self._next = first

    def worked(self) -> None:
        self._next = self._first

    def sleep(self) -> None:
        time.sleep(self._next)
        self._next = min(2 * self._next, self._most)


class PollingStage:
    """The agent loop of a pipeline stage: ``do_work`` polls, and parks in ``wait`` only when
    the poll did nothing (so a busy stage never blocks, an idle one never spins)."""

    def poll(self) -> int:
        """Do every piece of work available now; return how much (0: nothing)."""
        raise NotImplementedError

    def wait(self) -> None:
        """Block until a poll may find work (or the stage is halted/alerted)."""
        raise NotImplementedError

    def do_work(self) -> int:
        done = self.poll()
        if not done:
            self.wait()
        return done

    def on_start(self) -> None:
        """Nothing by default; a stage that must prepare in its own process overrides it."""
