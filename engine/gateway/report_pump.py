"""The bridge from ring[events] to the gateway's asyncio loop.

The gateway's reader of ring[events] waits on a semaphore, which an event loop cannot await.
So a thread (``gateway-reports``) blocks on it and, when reports are available, asks the loop
to take them: the loop polls every available record and hands the batch to ``deliver``, on
the loop. The thread waits for that batch to be taken before it waits again, so reports queue
in the ring (bounded, with backpressure to the producer of ring[events]), never in an
unbounded list of loop callbacks.

:meth:`ReportPump.start` starts the thread; :meth:`ReportPump.stop` wakes it (a barrier alert),
joins it and guarantees ``deliver`` is not called afterwards.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from disruptor import AlertException
from engine.gateway.events_reader import EventsReader, ReportBatch

THREAD_NAME = "gateway-reports"


class ReportPump:
    """Moves batches of reports from ``reader`` to ``deliver`` on one event loop."""

    def __init__(self, reader: EventsReader, deliver: Callable[[ReportBatch], None]) -> None:
        self._reader = reader
        self._deliver = deliver
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._drained = threading.Event()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._thread = threading.Thread(
            target=self._wait_for_reports, args=(loop,), name=THREAD_NAME, daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        self._stopping.set()
        self._reader.stop()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def _wait_for_reports(self, loop: asyncio.AbstractEventLoop) -> None:
        """The thread: block on the ring, let the loop take, wait until it has."""
        while not self._stopping.is_set():
            try:
                self._reader.wait_available()
            except AlertException:
                return
            self._drained.clear()
            try:
                loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # the loop is closed: we are shutting down
                return
            while not self._drained.wait(0.05):
                if self._stopping.is_set():
                    return

    def _drain(self) -> None:
        """On the loop: take every available report and deliver them."""
        try:
            if not self._stopping.is_set():
                self._deliver(self._reader.poll())
        finally:
            self._drained.set()
