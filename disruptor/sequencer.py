"""SingleProducerSequencer: claims slots for the one producer of a ring and publishes them.

Contract: ``next(n)`` returns the highest of ``n`` newly claimed sequences, waiting (through the
wait strategy) until every gating sequence has consumed far enough that the claimed slots are
free: the producer never overwrites a slot that a gating consumer has not consumed. The caller
writes the payload of the claimed slots, then ``publish(hi)`` stores the cursor, which makes the
slots visible (x86-64 TSO keeps the payload stores before the cursor store), and wakes blocked
consumers. Single writer: only one process may own the sequencer of a ring.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

from disruptor.sequence import Sequence
from disruptor.wait import Alertable, WaitStrategy, lowest


class SingleProducerSequencer:
    """The claim/publish side of a ring with exactly one producer."""

    __slots__ = (
        "_alert",
        "_cached_gate",
        "_capacity",
        "_cursor",
        "_gating",
        "_next",
        "_strategy",
    )

    def __init__(
        self,
        capacity: int,
        cursor: Sequence,
        gating: Seq[Sequence],
        wait_strategy: WaitStrategy,
        alert: Alertable,
    ) -> None:
        self._capacity = capacity
        self._cursor = cursor
        self._gating = tuple(gating)
        self._strategy = wait_strategy
        self._alert = alert
        self._next = cursor.get()  # resume after whatever a previous producer published
        self._cached_gate = self._min_gate()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def cursor(self) -> Sequence:
        return self._cursor

    @property
    def last_claimed(self) -> int:
        return self._next

    def _min_gate(self) -> int:
        if not self._gating:
            return self._next
        return lowest(self._gating[0], self._gating[1:])

    def next(self, n: int = 1) -> int:
        """Claim ``n`` slots, waiting for space; returns the highest claimed sequence."""
        if n < 1 or n > self._capacity:
            raise ValueError(f"n must be in [1, capacity={self._capacity}], got n={n}")
        claimed = self._next + n
        wrap_point = claimed - self._capacity
        if wrap_point > self._cached_gate and self._gating:
            gate = lowest(self._gating[0], self._gating[1:])
            if wrap_point > gate:
                gate = self._strategy.wait_for(
                    wrap_point, self._gating[0], self._gating[1:], self._alert
                )
            # Never cache past our own position (as the Disruptor does): a gating sequence
            # that is ahead of the producer (a reader that stood aside) must not let it claim
            # more than one capacity without looking again.
            self._cached_gate = min(gate, claimed)
        self._next = claimed
        return claimed

    def try_next(self, n: int = 1) -> int | None:
        """Claim ``n`` slots if there is room now, else return None without waiting."""
        if n < 1 or n > self._capacity:
            raise ValueError(f"n must be in [1, capacity={self._capacity}], got n={n}")
        claimed = self._next + n
        wrap_point = claimed - self._capacity
        if wrap_point > self._cached_gate and self._gating:
            self._cached_gate = min(self._min_gate(), claimed)
            if wrap_point > self._cached_gate:
                return None
        self._next = claimed
        return claimed

    def remaining_capacity(self) -> int:
        """Slots that can be claimed now without waiting."""
        return self._capacity - (self._next - self._min_gate())

    def publish(self, hi: int) -> None:
        """Make every claimed sequence up to ``hi`` visible to consumers and wake them."""
        # The payload stores of the claimed slots precede this store in program order; x86-64
        # (TSO) makes them visible to other cores first. No fence needed for the data itself.
        self._cursor.set(hi)
        self._strategy.signal_all_when_blocking()
