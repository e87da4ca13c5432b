"""The views stage: a reader of ring[events] that keeps the market view and serves it over HTTP,
on a host with no market-data feed (with a feed, the market-data stage keeps the views:
``engine.views.host``).

::

    ring[events] ──► ViewsAgent.poll (stage thread) ──► MarketView ◄── ViewServer (views-http
                     every available record at once;     under a lock    thread: aiohttp, SSE)
                     market kinds decoded, the rest
                     skipped by their kind byte

Where it runs, and why. On a host that runs the market-data feed, the feed's stage holds the
views (``engine.views.host``): they follow the feed's records, and when the feed falls behind
and catches up from the journal, so do they, so they never gate matching. With no feed, this
stage: one process of its own, a row of ``engine.topology.STAGES`` (a reader of ring[events]
like the auditor), with the HTTP server on a second thread of that process. Idle, the stage
parks on ring[events]' semaphore and the server's loop sleeps in epoll. Putting the views in
the gateway would share the order-entry process with every browser; putting them in the
auditor would tie them to a verification stage that benches switch off.

Matching, on a host with no feed. This stage does not let go of the ring: it gates its
producer if it falls behind by the whole ring (65,536 records by default). Each poll takes
every available record in one go, selects by their kind byte the records the view reads (book
events, taker fills, symbols, halts; accepts, rejects and account events are skipped), copies
them out and moves its sequence, then applies them under the view's lock straight from the
record columns, with no event object (``engine.views.columns``); a request holds that lock
only while it copies a bounded document. The server's thread never writes the view. The
process runs niced (the factory passes ``SNAPSHOTTER_NICE``).

Restart. The stage is built with the recovered state (``engine.stage_factories.STATEFUL``)
and starts from ``engine.views.rebuild.rebuild_view``: the view through ``base_seq``, equal to
one fed the whole stream; ring[events] carries what follows. The trade history goes to
``DATA_DIR/views.state`` about every :data:`SAVE_EVERY_S` seconds while trades come in and at
the stop, so a restart replays only a short stretch of the journal.

The last command the view holds whole (``through_seq``, what the documents call ``seq_no``)
is the watermark read before the poll, or the command before the last record taken, whichever
is later: a command whose events span two polls counts once the second one took them, and the
last command of a burst once a poll finds nothing after it.
"""

from __future__ import annotations

import os
from typing import Any

from disruptor import AlertException, RingBuffer
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park
from engine.topology import TopologySpec, published_seq_no
from engine.views.host import SAVE_EVERY_S, ViewsHost, rebuilt_host

__all__ = ["SAVE_EVERY_S", "ViewsAgent", "build_views"]


class ViewsAgent(PollingStage):
    """Consumer ``consumer`` of ring[events]: the views (``engine.views.host``) it feeds."""

    def __init__(
        self,
        spec: TopologySpec,
        rings: dict[str, RingBuffer],
        consumer: int,
        views: ViewsHost,
        *,
        nice: int = 0,
    ) -> None:
        self._spec = spec
        self._nice = nice
        self._ring = ring = rings["events"]
        self._waiter = 1 + consumer
        self._barrier = ring.barrier(consumer)
        self._sequence = ring.consumer_sequence(consumer)
        self._halt = HaltFlag()
        self.views = views

    def health(self) -> dict[str, Any]:
        return self.views.health()

    @property
    def address(self) -> tuple[str, int] | None:
        """Where the server listens, once started."""
        return self.views.address

    # -- the stage ---------------------------------------------------------------------------

    def poll(self) -> int:
        ring = self._ring
        watermark = published_seq_no(self._spec, ring)  # first: see the module docstring
        lo = self._sequence.get() + 1
        hi = self._barrier.available()
        views = self.views
        if hi < lo:
            # Nothing new since the watermark was read: every event of the commands it
            # covers was published before it, so taken already.
            views.advance(watermark)
            return 0
        chunks = [ring.slots[start:stop] for start, stop in ring.chunks(lo, hi)]
        last_seq = int(chunks[-1][-1].view("<i8")[1])
        views.take(chunks, max(watermark, last_seq - 1))  # copies what it keeps
        # Copied out: the producer may reuse the slots from here on.
        self._sequence.set(hi)
        ring.board.signal()
        return hi - lo + 1

    def do_work(self) -> int:
        done = self.poll()
        if not done:
            self.views.save_if_due()
            self.wait()
        return done

    def _ready(self) -> bool:
        return self._barrier.available() > self._sequence.get()

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._ring.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        # a bounded sleep: an idle stage still saves the history it has not saved yet
        park(self._ring.board, self._waiter, self._ready, self._check_alert, timeout=0.5)

    def on_start(self) -> None:
        if self._nice:
            os.nice(self._nice)  # the pipeline's stages first (the HTTP thread too)
        self.views.start()

    def on_close(self) -> None:
        try:
            self.views.stop()
        finally:
            self.views.close()  # ``rings``, ours too (the supervisor owns the segments)

    def halt(self) -> None:
        self._halt.halted = True


def build_views(
    spec: TopologySpec, consumer: int, state: bytes | None, *, in_process: bool, nice: int = 0
) -> ViewsAgent:
    """The views stage of ``spec`` (``spec.http`` is its endpoint), its view rebuilt through
    ``spec.base_seq`` from the journal and ``state`` (the recovered exchange state).
    ``in_process``: built by the in-process runner, where no process table tells liveness;
    ``nice``: the niceness its process takes on start."""
    rings = {name: RingBuffer.attach(spec.ring_name(name)) for name in spec.wiring().rings}
    try:
        views = rebuilt_host(spec, rings, state, in_process=in_process)
        return ViewsAgent(spec, rings, consumer, views, nice=nice)
    except BaseException:
        for ring in rings.values():
            ring.close()
        raise
