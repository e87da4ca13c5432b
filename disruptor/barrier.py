"""SequenceBarrier: where a consumer waits for the producer's cursor and its upstream consumers.

``wait_for(n)`` returns the highest sequence ``>= n`` that is safe to read: the lowest of the
cursor and every dependent sequence. The caller then handles the whole range at once. The
barrier can be alerted: locally (``alert()``, for this party only) or ring-wide (the ring's
shared alert counter, set by ``RingBuffer.alert()``); a waiting party then gets
:class:`AlertException` promptly.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

from disruptor.sequence import Sequence
from disruptor.wait import AlertException, WaitStrategy, lowest


class SequenceBarrier:
    """Tracks a cursor plus dependent sequences for one consumer, through a wait strategy."""

    __slots__ = ("_alerted", "_cursor", "_dependents", "_ring_alert", "_strategy")

    def __init__(
        self,
        cursor: Sequence,
        dependents: Seq[Sequence],
        wait_strategy: WaitStrategy,
        ring_alert: Sequence | None = None,
    ) -> None:
        self._cursor = cursor
        self._dependents = tuple(dependents)
        self._strategy = wait_strategy
        self._ring_alert = ring_alert
        self._alerted = False

    @property
    def wait_strategy(self) -> WaitStrategy:
        return self._strategy

    def wait_for(self, sequence: int) -> int:
        """Block until ``sequence`` is available; return the highest available sequence."""
        available = lowest(self._cursor, self._dependents)
        if available >= sequence:  # fast path: no strategy call, no alert check
            return available
        self.check_alert()
        return self._strategy.wait_for(sequence, self._cursor, self._dependents, self)

    def available(self) -> int:
        """Highest sequence available now, without waiting."""
        return lowest(self._cursor, self._dependents)

    def get_cursor(self) -> int:
        return self._cursor.get()

    def check_alert(self) -> None:
        if self._alerted or (self._ring_alert is not None and self._ring_alert.get()):
            raise AlertException("barrier alerted")

    def is_alerted(self) -> bool:
        return self._alerted or (self._ring_alert is not None and self._ring_alert.get() != 0)

    def alert(self) -> None:
        """Stop this party's waits; a blocked wait in another thread is woken."""
        self._alerted = True
        self._strategy.signal_all_when_blocking()

    def clear_alert(self) -> None:
        self._alerted = False
