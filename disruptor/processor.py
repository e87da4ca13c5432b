"""BatchEventProcessor: the consumer loop; the handler only handles.

Each ``do_work()`` waits on the barrier for the next sequence, takes *everything* available
(up to ``max_batch``), hands it to the handler as at most two contiguous slot ranges (two when
the range wraps around the end of the ring), and then publishes the consumer's sequence once for
the whole batch and wakes blocked parties. ``end_of_batch`` is true on the handler call that
ends the batch: the place for batched I/O such as a journal flush.

A handler that only moves bytes works on the numpy slices it receives and never builds a Python
object per message; :class:`PerEventHandler` adapts a per-message callback when that is wanted.

The processor is also an agent (``on_start``/``do_work``/``on_close``/``halt``) so an
:class:`~disruptor.agent.AgentRunner` can run it in its own process. Its ``do_work`` blocks in
the wait strategy, which is the idle strategy of a Disruptor consumer. A handler may define
``on_processor_start()`` and ``on_processor_shutdown()``, called from the processor's own
``on_start``/``on_close``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from disruptor.barrier import SequenceBarrier
from disruptor.sequence import Sequence
from disruptor.wait import AlertException

SlotArray = npt.NDArray[np.uint8]


class BatchHandler(Protocol):
    def on_batch(self, slots: SlotArray, first: int, last: int, end_of_batch: bool) -> None:
        """Handle sequences ``first..last`` whose payloads are ``slots`` (one row each)."""


class PerEventHandler:
    """Adapts ``on_event(slot_row, sequence, end_of_batch)`` to a batch handler (slow path)."""

    def __init__(self, on_event: Callable[[SlotArray, int, bool], None]) -> None:
        self._on_event = on_event

    def on_batch(self, slots: SlotArray, first: int, last: int, end_of_batch: bool) -> None:
        on_event = self._on_event
        for offset in range(last - first + 1):
            seq = first + offset
            on_event(slots[offset], seq, end_of_batch and seq == last)


class BatchEventProcessor:
    """Runs one consumer: barrier → handler → own sequence, once per batch."""

    def __init__(
        self,
        slots: SlotArray,
        barrier: SequenceBarrier,
        handler: BatchHandler,
        sequence: Sequence,
        max_batch: int | None = None,
    ) -> None:
        capacity = int(slots.shape[0])
        if capacity & (capacity - 1):
            raise ValueError(f"slot array length must be a power of two, got {capacity}")
        self._slots = slots
        self._capacity = capacity
        self._mask = capacity - 1
        self._barrier = barrier
        self._handler = handler
        self._sequence = sequence
        self._max_batch = capacity if max_batch is None else max(1, min(max_batch, capacity))

    @property
    def sequence(self) -> Sequence:
        return self._sequence

    def on_start(self) -> None:
        # Distinct hook names: an agent that is also its own handler must not recurse.
        start = getattr(self._handler, "on_processor_start", None)
        if start is not None:
            start()

    def on_close(self) -> None:
        close = getattr(self._handler, "on_processor_shutdown", None)
        if close is not None:
            close()

    def halt(self) -> None:
        """Ask the processor to stop: its wait raises AlertException promptly."""
        self._barrier.alert()

    def do_work(self) -> int:
        """Wait for and handle one batch; returns the number of messages handled."""
        next_seq = self._sequence.get() + 1
        available = self._barrier.wait_for(next_seq)
        hi = min(available, next_seq + self._max_batch - 1)
        slots = self._slots
        start = next_seq & self._mask
        count = hi - next_seq + 1
        if start + count <= self._capacity:
            self._handler.on_batch(slots[start : start + count], next_seq, hi, True)
        else:
            head = self._capacity - start
            self._handler.on_batch(slots[start:], next_seq, next_seq + head - 1, False)
            self._handler.on_batch(slots[: count - head], next_seq + head, hi, True)
        self._sequence.set(hi)
        self._barrier.wait_strategy.signal_all_when_blocking()
        return count

    def run(self) -> None:
        """Process batches until alerted (in-thread use; processes use the agent runner)."""
        self.on_start()
        try:
            while True:
                self.do_work()
        except AlertException:
            pass
        finally:
            self.on_close()
