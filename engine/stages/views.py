"""The views stage: a reader of ring[events] that keeps the market view and serves it over HTTP.

::

    ring[events] ──► ViewsAgent.poll (stage thread) ──► MarketView ◄── ViewServer (views-http
                     every available record at once;     under a lock    thread: aiohttp, SSE)
                     market kinds decoded, the rest
                     skipped by their kind byte

Where it runs, and why. One process of its own, a row of ``engine.topology.STAGES`` (a
reader of ring[events] like the auditor), with the HTTP server on a second thread of that
process. On a 2-core host that is one more process but no more busy work: idle, the stage
parks on ring[events]' semaphore and the server's loop sleeps in epoll. Putting the views in
the gateway would share the order-entry process with every browser; putting them in the
auditor would tie them to a verification stage that benches switch off. Following the
journal instead (as the reporter does) would replay matching a second time on 2 cores, when
the events are already there in the ring.

Never slowing matching. A reader of ring[events] gates its producer only if it falls behind
by the whole ring (65,536 records by default). Each poll takes every available record in one
go, selects by their kind byte the records the view reads (book events, taker fills, symbols,
halts; accepts, rejects and account events are skipped), copies them out and moves its
sequence, then applies them under the view's lock straight from the record columns, with no
event object (``engine.views.columns``); a request holds that lock only while it copies a
bounded document. The server's thread never writes the view. The process runs niced (the
factory passes ``SNAPSHOTTER_NICE``): on 2 cores, the pipeline's stages come first, and the
views, faster per event than the matching that feeds them, catch up in what is left.

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
import sys
import threading
import time
from typing import Any, Final

from disruptor import AlertException, RingBuffer
from engine.gateway.startup import parse_endpoint
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park
from engine.topology import TopologySpec, published_seq_no
from engine.views.columns import apply_picked, pick
from engine.views.health import HealthProbe, sibling_roles
from engine.views.projection import MarketView
from engine.views.rebuild import rebuild_view, save_history
from engine.views.server import ViewServer

__all__ = ["SAVE_EVERY_S", "ViewsAgent", "build_views"]

#: Seconds between two saves of the trade history while trades come in.
SAVE_EVERY_S: Final = 5.0


class ViewsAgent(PollingStage):
    """Consumer ``consumer`` of ring[events]: the view, its server, its saved history."""

    def __init__(
        self,
        spec: TopologySpec,
        rings: dict[str, RingBuffer],
        consumer: int,
        view: MarketView,
        *,
        endpoint: str,
        liveness: bool = False,
        nice: int = 0,
    ) -> None:
        self._spec = spec
        self._nice = nice
        self._rings = rings
        self._ring = ring = rings["events"]
        self._waiter = 1 + consumer
        self._barrier = ring.barrier(consumer)
        self._sequence = ring.consumer_sequence(consumer)
        self._halt = HaltFlag()
        self.lock = threading.Lock()
        self.view = view
        self.probe = HealthProbe(
            spec, rings, lambda: self.view.through_seq, sibling_roles if liveness else None
        )
        host, port = parse_endpoint(endpoint)
        self.server = ViewServer(self, host, port)
        self._saved_trades = view.trade_count
        self._saved_at = 0.0

    def health(self) -> dict[str, Any]:
        return self.probe.report()

    @property
    def address(self) -> tuple[str, int] | None:
        """Where the server listens, once started."""
        return self.server.address

    # -- the stage ---------------------------------------------------------------------------

    def poll(self) -> int:
        ring = self._ring
        watermark = published_seq_no(self._spec, ring)  # first: see the module docstring
        lo = self._sequence.get() + 1
        hi = self._barrier.available()
        if hi < lo:
            # Nothing new since the watermark was read: every event of the commands it
            # covers was published before it, so taken already.
            if watermark > self.view.through_seq:
                with self.lock:
                    self.view.through_seq = watermark
                self.server.notify()
            return 0
        picked = []
        last_seq = 0
        for start, stop in ring.chunks(lo, hi):
            rows = ring.slots[start:stop]
            last_seq = int(rows[-1].view("<i8")[1])
            picked.append(pick(rows))  # a copy
        # Copied out: the producer may reuse the slots from here on.
        self._sequence.set(hi)
        ring.board.signal()
        view = self.view
        with self.lock:
            changed = sum(apply_picked(view, rows) for rows in picked)
            view.through_seq = max(view.through_seq, watermark, last_seq - 1)
        if changed:
            self.server.notify()
        return hi - lo + 1

    def do_work(self) -> int:
        done = self.poll()
        if not done:
            self._save_if_due()
            self.wait()
        return done

    def _save_if_due(self) -> None:
        if self.view.trade_count == self._saved_trades:
            return
        now = time.monotonic()
        if now - self._saved_at >= SAVE_EVERY_S:
            self.save()
            self._saved_at = now

    def save(self) -> None:
        """Write the trade history (this thread is the view's only writer: no lock needed)."""
        save_history(self._spec.data_dir, self.view)
        self._saved_trades = self.view.trade_count

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
        self.server.start()  # a port in use raises here: the stage fails, the host stops

    def on_close(self) -> None:
        try:
            self.server.stop()
            self.save()
        finally:
            for ring in self._rings.values():
                ring.close()  # our attached handles (the supervisor owns the segments)

    def halt(self) -> None:
        self._halt.halted = True


def build_views(
    spec: TopologySpec, consumer: int, state: bytes | None, *, in_process: bool, nice: int = 0
) -> ViewsAgent:
    """The views stage of ``spec`` (``spec.http`` is its endpoint), its view rebuilt through
    ``spec.base_seq`` from the journal and ``state`` (the recovered exchange state).
    ``in_process``: built by the in-process runner, where no process table tells liveness;
    ``nice``: the niceness its process takes on start."""
    assert spec.http is not None, "a views row runs only with an HTTP endpoint"
    rebuilt = rebuild_view(spec.data_dir, spec.base_seq, state)
    if rebuilt.ignored is not None:
        print(f"views: ignoring the saved history: {rebuilt.ignored}", file=sys.stderr)
    rings = {name: RingBuffer.attach(spec.ring_name(name)) for name in spec.wiring().rings}
    try:
        return ViewsAgent(
            spec, rings, consumer, rebuilt.view,
            endpoint=spec.http, liveness=not in_process, nice=nice,
        )  # fmt: skip
    except BaseException:
        for ring in rings.values():
            ring.close()
        raise
