"""The bridge from ring[events] to the gateway's asyncio loop.

The loop itself waits for reports. The reader's doorbell (``disruptor.wait.Doorbell``, a
datagram socket) is watched like the sessions' sockets. When nothing is available the pump
arms the doorbell (from then on the producer rings it once when it publishes) and looks again
before it waits, so a ring is never missed. A ring wakes the loop, which takes every available
record and hands the batch to ``deliver``. After a delivery the pump looks again on the loop's
next turn, not at once: the sessions' reads go between two batches, and reports queue in the
ring (bounded, with backpressure to its producer), never in a list of loop callbacks.

Why not a thread parked on the ring's semaphore, as before: each batch then cost three
wake-ups (the thread; the loop, through its self-pipe; the thread again when the loop handed
the batch back) and the GIL passing between the two threads, about six futex calls an order
at 1K orders/s. Here a batch costs one wake-up, and none while the loop is awake anyway for
the sessions' reads. On two shared cores each wake-up costs 20-30 us of CPU
(docs/performance.md, "What a wake-up costs here").

A safety net, as the semaphores' timeout is: while armed, the pump looks again every
:data:`SAFETY_S` even if no ring came.

:meth:`ReportPump.start` starts; :meth:`ReportPump.stop` stops, and ``deliver`` is not called
after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

from disruptor import Doorbell
from engine.gateway.events_reader import EventsReader, ReportBatch

#: seconds between two looks while armed and no ring came (a bound on a wake-up never sent)
SAFETY_S: Final = 0.05


class ReportPump:
    """Moves batches of reports from ``reader`` to ``deliver`` on one event loop."""

    def __init__(self, reader: EventsReader, deliver: Callable[[ReportBatch], None]) -> None:
        self._reader = reader
        self._deliver = deliver
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bell: Doorbell | None = None
        self._armed = False
        self._scheduled = False  # a look is queued on the loop
        self._stopping = False
        self._safety: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch the doorbell on ``loop`` (the running loop) and take what is there now."""
        self._loop = loop
        self._bell = self._reader.doorbell()
        loop.add_reader(self._bell.fileno(), self._rung)
        self._look_soon()

    async def stop(self) -> None:
        self._stopping = True
        if self._safety is not None:
            self._safety.cancel()
            self._safety = None
        if self._armed:  # first: nobody rings a doorbell about to close
            self._armed = False
            self._reader.disarm()
        if self._bell is not None and self._loop is not None:
            self._loop.remove_reader(self._bell.fileno())
            self._bell.close()
            self._bell = None
        self._reader.stop()

    def _look_soon(self) -> None:
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self._look)

    def _rung(self) -> None:
        """The doorbell is readable: the producer published while we were armed."""
        if self._bell is not None:
            self._bell.clear()
        self._wake()

    def _on_safety(self) -> None:
        self._safety = None
        if self._armed:
            self._wake()

    def _wake(self) -> None:
        if self._armed:
            self._armed = False
            self._reader.disarm()
        self._look_soon()

    def _look(self) -> None:
        """On the loop: deliver what is available, or arm the doorbell and wait for it."""
        self._scheduled = False
        reader = self._reader
        if self._stopping or reader.is_alerted():
            return  # stopped, or the host is taking the rings down: no more reports
        if reader.has_available():
            try:
                self._deliver(reader.poll())
            finally:
                self._look_soon()  # more may have come meanwhile: look on the next turn
            return
        reader.arm()
        self._armed = True
        # published, or alerted, between the look and the arming (an alert rings only a
        # doorbell already declared)
        if reader.has_available() or reader.is_alerted():
            self._wake()
            return
        if self._safety is None and self._loop is not None:
            self._safety = self._loop.call_later(SAFETY_S, self._on_safety)
