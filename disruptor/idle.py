"""Idle strategies for agent runners: what to do after a ``do_work()`` that found nothing.

``idle(work_count)`` returns at once when work was done (and resets any back-off). These are
for polling agents (sockets, timers); a Disruptor consumer blocks in its wait strategy instead
and runs with :class:`NoOpIdleStrategy`.
"""

from __future__ import annotations

import os
import time
from typing import Protocol


class IdleStrategy(Protocol):
    def idle(self, work_count: int) -> None: ...


class NoOpIdleStrategy:
    """Never idles: for agents whose ``do_work`` already waits."""

    def idle(self, work_count: int) -> None:
        pass


#: Returns at once, so the loop spins: the same object as NoOpIdleStrategy under the name that
#: says what it does to an agent whose ``do_work`` does not wait (only with a dedicated core).
BusySpinIdleStrategy = NoOpIdleStrategy


class YieldingIdleStrategy:
    """Gives the core away when idle, but never sleeps."""

    def idle(self, work_count: int) -> None:
        if work_count <= 0:
            os.sched_yield()


class BackoffIdleStrategy:
    """State machine: spin ``max_spins`` idles, yield ``max_yields``, then sleep with a doubling
    period from ``min_park`` to ``max_park`` seconds; any work resets it to spinning."""

    def __init__(
        self,
        max_spins: int = 10,
        max_yields: int = 5,
        min_park: float = 1e-5,
        max_park: float = 1e-3,
    ) -> None:
        self._max_spins = max_spins
        self._max_yields = max_yields
        self._min_park = min_park
        self._max_park = max_park
        self._spins = 0
        self._yields = 0
        self._park = min_park

    def idle(self, work_count: int) -> None:
        if work_count > 0:
            self._spins = 0
            self._yields = 0
            self._park = self._min_park
        elif self._spins < self._max_spins:
            self._spins += 1
        elif self._yields < self._max_yields:
            self._yields += 1
            os.sched_yield()
        else:
            time.sleep(self._park)
            self._park = min(self._park * 2, self._max_park)
