"""RingBuffer: one ring of fixed-size slots in a shared-memory segment, and its semaphores.

The owner creates the ring (``RingBuffer.create``) with a fixed number of consumer sequences;
other processes attach by name (``RingBuffer.attach``) and never unlink. The ring hands out the
parts of the Disruptor that live on it: the producer's ``sequencer()``, a consumer's
``barrier()`` and its ``consumer_sequence()``. Payloads are reached in bulk through numpy views
of the slot area (``slots``: shape ``(capacity, slot_size)`` uint8, or ``view(dtype)``), and
``chunks(lo, hi)`` splits a sequence range into at most two contiguous slot ranges.

Waiters: index 0 is the producer (waiting on a full ring), index ``1 + i`` is consumer ``i``.
Each has a flag line in the segment and a semaphore named ``<name>-w<index>``. The wait kind
("block", "spin", "yield") is chosen at creation and stored in the header, so every party of a
ring signals the way the others wait.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
import posix_ipc

from disruptor import layout, shm
from disruptor.barrier import SequenceBarrier
from disruptor.sequence import Sequence
from disruptor.sequencer import SingleProducerSequencer
from disruptor.wait import WAIT_KINDS, AlertException, WaitStrategy, WakeBoard, make_wait_strategy

_KIND_NAMES = {v: k for k, v in WAIT_KINDS.items()}


def _buffer(segment: shm.Segment) -> memoryview:
    buf = segment.buf
    if buf is None:
        raise ValueError(f"segment {segment.name!r} is closed")
    return buf


class _RingAlert:
    """Alertable view of the ring's shared alert counter (for the producer's waits)."""

    __slots__ = ("_seq",)

    def __init__(self, seq: Sequence) -> None:
        self._seq = seq

    def check_alert(self) -> None:
        if self._seq.get():
            raise AlertException("ring alerted")


class RingBuffer:
    """A handle on one shared-memory ring; owner or attached."""

    def __init__(
        self,
        segment: shm.Segment,
        semaphores: list[posix_ipc.Semaphore],
        owner: bool,
    ) -> None:
        self.name = segment.name.lstrip("/")
        buf = _buffer(segment)
        self._segment = segment
        self._semaphores = semaphores
        self.is_owner = owner
        capacity, slot_size, consumers, kind = layout.unpack_header(
            bytes(buf[: layout.HEADER_SIZE])
        )
        self.capacity = capacity
        self.mask = capacity - 1
        self.slot_size = slot_size
        self.consumers = consumers
        self.wait_kind = _KIND_NAMES.get(kind, "block")
        offset = layout.data_offset(consumers)
        self._counters = buf[:offset].cast("q")
        self.slots: npt.NDArray[np.uint8] = np.ndarray(
            (capacity, slot_size), dtype=np.uint8, buffer=buf, offset=offset
        )
        self.cursor = self._sequence_at_line(layout.CURSOR_LINE)
        self._alert = self._sequence_at_line(layout.ALERT_LINE)
        flags = [
            layout.waiter_line(consumers, w) * layout.COUNTER_STRIDE for w in range(consumers + 1)
        ]
        nonce = layout.NONCE_OFFSET
        self._nonce = bytes(buf[nonce : nonce + layout.NONCE_SIZE]).hex()
        self.board = WakeBoard(
            self._counters, flags, semaphores, [self.doorbell_name(w) for w in range(consumers + 1)]
        )
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str,
        capacity: int,
        slot_size: int,
        consumers: int,
        wait_kind: str = "block",
    ) -> RingBuffer:
        """Create (exclusively) segment ``name`` and its semaphores; this handle owns them."""
        if wait_kind not in WAIT_KINDS:
            raise ValueError(f"wait_kind must be one of {sorted(WAIT_KINDS)}, got {wait_kind!r}")
        size = layout.segment_size(capacity, slot_size, consumers)
        segment = shm.create_segment(name, size)
        sems: list[posix_ipc.Semaphore] = []
        try:
            for w in range(consumers + 1):
                sems.append(shm.create_semaphore(f"{name}-w{w}"))
            header = layout.pack_header(capacity, slot_size, consumers, WAIT_KINDS[wait_kind])
            buf = _buffer(segment)
            buf[: len(header)] = header
            nonce = layout.NONCE_OFFSET
            buf[nonce : nonce + layout.NONCE_SIZE] = os.urandom(layout.NONCE_SIZE)
            counters = buf[: layout.data_offset(consumers)].cast("q")
            stride = layout.COUNTER_STRIDE
            counters[layout.CURSOR_LINE * stride] = layout.INITIAL_SEQUENCE
            for i in range(consumers):
                counters[layout.consumer_line(i) * stride] = layout.INITIAL_SEQUENCE
            counters.release()
        except BaseException:
            for sem in sems:
                shm.unlink_semaphore(sem)
                sem.close()
            shm.unlink_segment(segment)
            shm.close_segment(segment)
            raise
        return cls(segment, sems, owner=True)

    @classmethod
    def attach(cls, name: str) -> RingBuffer:
        """Attach to an existing ring; this handle never unlinks anything."""
        segment = shm.attach_segment(name)
        try:
            consumers = layout.unpack_header(bytes(_buffer(segment)[: layout.HEADER_SIZE]))[2]
            sems = [shm.open_semaphore(f"{name}-w{w}") for w in range(consumers + 1)]
        except BaseException:
            shm.close_segment(segment)
            raise
        return cls(segment, sems, owner=False)

    def close(self) -> None:
        """Release this handle; the owner also unlinks the segment and the semaphores."""
        if self._closed:
            return
        self._closed = True
        if self.is_owner:
            for sem in self._semaphores:
                shm.unlink_semaphore(sem)
            shm.unlink_segment(self._segment)
        for sem in self._semaphores:
            sem.close()
        self.board.close()
        # Drop our own exports of the buffer so the mapping can be closed.
        del self.slots
        self._counters.release()
        shm.close_segment(self._segment)

    def __enter__(self) -> RingBuffer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sequences -------------------------------------------------------------------------

    def _sequence_at_line(self, line: int) -> Sequence:
        return Sequence(self._counters, line * layout.COUNTER_STRIDE)

    def consumer_sequence(self, index: int) -> Sequence:
        """The sequence of consumer ``index`` (its last consumed sequence)."""
        if not 0 <= index < self.consumers:
            raise ValueError(f"consumer index must be in [0, {self.consumers}), got {index}")
        return self._sequence_at_line(layout.consumer_line(index))

    def wait_strategy(self, waiter: int) -> WaitStrategy:
        """A fresh wait strategy of this ring's kind for ``waiter`` (0 = producer, 1+i)."""
        return make_wait_strategy(self.wait_kind, self.board, waiter)

    def sequencer(self, gating: Iterable[int] | None = None) -> SingleProducerSequencer:
        """The producer side, gated on consumers ``gating`` (default: every consumer)."""
        indices = range(self.consumers) if gating is None else gating
        return SingleProducerSequencer(
            self.capacity,
            self.cursor,
            [self.consumer_sequence(i) for i in indices],
            self.wait_strategy(0),
            _RingAlert(self._alert),
        )

    def barrier(self, consumer: int, depends_on: Iterable[int] = ()) -> SequenceBarrier:
        """Barrier for consumer ``consumer`` waiting on the cursor and consumers ``depends_on``."""
        self.consumer_sequence(consumer)  # validates the index
        deps = [self.consumer_sequence(i) for i in depends_on]
        return SequenceBarrier(self.cursor, deps, self.wait_strategy(1 + consumer), self._alert)

    def doorbell_name(self, waiter: int) -> str:
        """The name of ``waiter``'s doorbell (``disruptor.wait.Doorbell``), for a waiter that
        waits in an event loop: from the ring's nonce (``disruptor.layout.NONCE_OFFSET``), so
        short whatever the ring's name and known only to the parties that map the ring."""
        return f"sequex-bell-{self._nonce}-w{waiter}"

    def is_waiting(self, waiter: int) -> bool:
        """True while ``waiter`` (0 = producer, 1 + i = consumer i) is blocked or about to be."""
        index = layout.waiter_line(self.consumers, waiter) * layout.COUNTER_STRIDE
        return bool(self._counters[index] > 0)

    # -- alert -----------------------------------------------------------------------------

    def alert(self) -> None:
        """Ring-wide stop: every wait on this ring raises AlertException promptly."""
        self._alert.set(1)
        self.board.wake_all()

    def clear_alert(self) -> None:
        self._alert.set(0)

    def is_alerted(self) -> bool:
        return self._alert.get() != 0

    # -- payload ---------------------------------------------------------------------------

    def view(self, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
        """The slot area as a 1-D array of ``dtype`` (whose itemsize must be ``slot_size``)."""
        dt = np.dtype(dtype)
        if dt.itemsize != self.slot_size:
            raise ValueError(
                f"dtype itemsize={dt.itemsize} differs from slot_size={self.slot_size}"
            )
        return self.slots.view(dt).reshape(self.capacity)

    def chunks(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Split sequences ``lo..hi`` (inclusive) into at most two ``(start, stop)`` index ranges
        of the slot area, in sequence order (two when the range wraps around the end)."""
        if hi < lo:
            return []
        if hi - lo >= self.capacity:
            raise ValueError(f"range {lo}..{hi} is longer than capacity={self.capacity}")
        start = lo & self.mask
        stop = (hi & self.mask) + 1
        if start < stop:
            return [(start, stop)]
        return [(start, self.capacity), (0, stop)]

    def __repr__(self) -> str:
        role = "owner" if self.is_owner else "attached"
        return (
            f"RingBuffer({self.name!r}, capacity={self.capacity}, slot_size={self.slot_size}, "
            f"consumers={self.consumers}, {role})"
        )
