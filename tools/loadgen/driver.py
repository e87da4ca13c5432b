"""The protocol-independent load driver: runs the plan (``tools.loadgen.plan``: pacing, who
sends what) over C connections, correlates reports to orders, records latencies, and ends a
run without ever waiting for ever.

Coordinated omission. A closed-loop generator (send, wait for the answer, send) and any
generator that lets a stall delay later sends under-reports latency exactly when the host is
slow: the orders that should have been sent during a stall are sent late, or not at all, and
never see the stall. Here every latency is measured from the order's *intended* send time, so
an order that a stall (of the host, of the network or of this process) held back counts the
time it waited: ``ack`` (intended -> ack) and ``fill`` (intended -> first fill). Half the
orders of the crossing flow (``tools.loadgen.plan``) rest until the other firm's order
arrives, about 1 / rate later, and that wait is part of their ``fill``; ``taker_fill`` keeps
only the orders that traded on arrival (and those whose protocol does not say which side they
were), the exchange's own order-to-fill time. For comparison ``service_ack`` measures from
the actual write and ``send_lag`` how late each write was (actual - intended); a large send
lag means this process, not the host, fell behind.

Timers. asyncio's default selector (epoll) sleeps in whole milliseconds, which would make
every write up to 1 ms late; :func:`event_loop` runs on ``select()``, whose timeout has
microsecond resolution (writes are then typically under 0.1 ms late, see ``send_lag``).

Bounds. Connect and login have a timeout. Orders still unsent at ``duration`` plus a grace
(``tools.loadgen.plan.send_grace``) are counted ``unsent``. After the last send the driver
waits at most ``drain`` seconds for the outstanding acks; orders still unanswered then are
``unanswered``. Each connection then logs out (at most ``close_timeout``) and is closed.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Final

from tools.loadgen.clients import (
    ClientError,
    ClientFactory,
    Identity,
    OrderClient,
    now_ns,
)
from tools.loadgen.correlate import Correlator
from tools.loadgen.plan import (
    MAX_CONNECTIONS,
    LoadSettings,
    id_prefix,
    order_specs,
    planned_orders,
    run_tag,
    send_grace,
)
from tools.loadgen.report import Counts, Latency, TimelinePoint
from tools.loadgen.sender import BURST, SEND_QUANTUM_NS, GridSender, Lane, next_wake

__all__ = [
    "BURST",
    "METRICS",
    "SEND_QUANTUM_NS",
    "TICK_SECONDS",
    "Driver",
    "Progress",
    "RunResult",
    "event_loop",
    "next_wake",
    "run_load",
    "throughput",
]

#: How often the recorders fold their buffers and the progress callback runs.
TICK_SECONDS: Final = 0.1
#: The latencies recorded (us): see the module docstring.
METRICS: Final = ("ack", "fill", "taker_fill", "service_ack", "send_lag")
#: Those the correlators record, in the order ``Correlator`` takes their buffers.
CORRELATED: Final = ("ack", "service_ack", "fill", "taker_fill")
_NS: Final = 1_000_000_000


@dataclass(frozen=True)
class Progress:
    elapsed_s: float
    duration_s: float
    sent: int
    acked: int
    filled: int
    errors: int
    #: ack p99 of the last completed timeline bucket, us (0: none yet)
    recent_ack_p99_us: int


@dataclass
class RunResult:
    counts: Counts
    #: by the names of METRICS
    latencies: dict[str, Latency]
    timeline: list[TimelinePoint]
    start_ns: int
    end_ns: int
    last_send_ns: int
    last_ack_ns: int
    #: this process's CPU time (user + system) from the first connect to the end, seconds
    cpu_s: float = 0.0


def event_loop() -> asyncio.AbstractEventLoop:
    """The loop a run needs: select()-based for sub-millisecond timers (module docstring)."""
    return asyncio.SelectorEventLoop(selectors.SelectSelector())


def run_load(
    settings: LoadSettings,
    factory: ClientFactory,
    on_progress: Callable[[Progress], None] | None = None,
) -> RunResult:
    """One run on its own :func:`event_loop` (blocking); ClientError if a login fails."""
    with asyncio.Runner(loop_factory=event_loop) as runner:
        return runner.run(Driver(settings, factory, on_progress=on_progress).run())


def bucket_ticks(duration: float) -> int:
    """Ticks per timeline bucket: about 50 buckets per run, each 0.1 s to 5 s."""
    return max(1, min(50, round(duration / 50 / TICK_SECONDS)))


@dataclass
class _Connection:
    index: int
    identity: Identity
    client: OrderClient
    #: its orders by number, and what their reports measured
    orders: Correlator
    lost: str | None = None
    closing: bool = False


def _ended(conn: _Connection) -> str | None:
    """Why ``conn`` can take no more orders: lost (its reader saw the end), or ended by the
    peer already (an End of Session or a Logout read, its reader not yet run)."""
    return conn.lost or conn.client.close_reason


class Driver:
    """One load run; :meth:`run` once."""

    def __init__(
        self,
        settings: LoadSettings,
        factory: ClientFactory,
        *,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        if not 1 <= settings.connections <= MAX_CONNECTIONS:
            raise ValueError(f"connections must be 1 to {MAX_CONNECTIONS}")
        if settings.rate < 1 or settings.duration <= 0 or not settings.identities:
            raise ValueError("rate and duration must be positive, with at least one identity")
        self.settings = settings
        self._factory = factory
        self._on_progress = on_progress
        self.counts = Counts(planned=planned_orders(settings.rate, settings.duration))
        self.latencies = {m: Latency() for m in METRICS}
        self.timeline: list[TimelinePoint] = []
        self._conns: list[_Connection] = []
        self._start = 0
        self._last_send = 0
        self._last_ack = 0
        self._recent_p99 = 0
        #: orders sent before the current timeline bucket
        self._sent_before_bucket = 0
        self._cpu_start = 0.0
        #: what the driver itself counts: orders a protocol cannot carry, and disconnects
        self._refused_here = 0
        self._own_reasons: Counter[str] = Counter()

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> RunResult:
        """Connect, send, drain, close; ClientError if a connection cannot log in."""
        s = self.settings
        tag = run_tag()
        for k in range(s.connections):
            identity = s.identities[k % len(s.identities)]
            prefix = id_prefix(tag, k)
            most = (self.counts.planned - k + s.connections - 1) // s.connections
            buffers = tuple(self.latencies[m].buffer for m in CORRELATED)
            orders = Correlator(prefix, k, s.connections, s.rate, most, buffers)  # type: ignore[arg-type]
            client = self._factory(identity, prefix)
            self._conns.append(_Connection(k, identity, client, orders))
        tasks: list[asyncio.Task[None]] = []
        self._cpu_start = time.process_time()
        try:
            await self._connect_all()
            self._start = start = now_ns() + 20_000_000  # every sender starts on the same ns
            for conn in self._conns:
                conn.orders.start = start
            tasks = [asyncio.create_task(self._read(c)) for c in self._conns]
            # (with the readers: a run that fails stops the progress lines too)
            tasks.append(asyncio.create_task(self._sample()))
            await self._send_all(start)
            await self._drain(s.drain)
            await self._close_all()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if tasks:  # a run cut short (an error, Ctrl-C) still closes every socket
                await self._close_all()
        return self._result()

    async def _connect_all(self) -> None:
        s = self.settings
        results = await asyncio.gather(
            *(c.client.connect(s.host, s.port, s.connect_timeout) for c in self._conns),
            return_exceptions=True,
        )
        failed = [(c, r) for c, r in zip(self._conns, results, strict=True) if r is not None]
        if failed:
            await self._close_all()
            conn, error = failed[0]
            if not isinstance(error, ClientError):
                raise error
            who = f"connection {conn.index + 1} ({conn.identity.firm})"
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise ClientError(f"{who}: {error}{more}")

    async def _send_all(self, start: int) -> None:
        """Send every connection's orders as they fall due (``tools.loadgen.sender``)."""
        s = self.settings
        lanes = []
        for conn in self._conns:
            maker, specs = order_specs(s, conn.identity)
            lost = partial(_ended, conn)
            lanes.append(Lane(conn.index, conn.client, conn.orders, maker, specs, lost))
        sender = GridSender(
            lanes,
            start=start,
            deadline=start + int((s.duration + send_grace(s.duration)) * _NS),
            rate=s.rate,
            planned=self.counts.planned,
            counts=self.counts,
            lag=self.latencies["send_lag"].buffer.extend,
            refused=self._refuse,
        )
        try:
            await sender.run()
        finally:
            self._last_send = max(self._last_send, sender.last_send)

    def _refuse(self, reason: str) -> None:
        """An order the protocol cannot carry: refused here, before the host saw it."""
        self._refused_here += 1
        self._own_reasons[reason] += 1

    async def _read(self, conn: _Connection) -> None:
        counts = self.counts
        try:
            await self._correlate(conn)
        except Exception as exc:  # an adapter's bug: end this connection, visibly
            conn.lost = f"client failure: {exc!r}"
        if not conn.closing or conn.lost is not None:
            conn.lost = conn.lost or conn.client.close_reason or "the connection ended"
            counts.disconnects += 1
            self._own_reasons[f"disconnected: {conn.lost}"] += 1

    async def _correlate(self, conn: _Connection) -> None:
        """Match every report to its order (``tools.loadgen.correlate``), as it is read,
        until the connection ends."""
        conn.client.on_reports(conn.orders.take)
        await conn.client.wait_ended()

    async def _drain(self, seconds: float) -> None:
        deadline = now_ns() + int(seconds * _NS)
        while now_ns() < deadline:
            if all(not c.orders.awaiting_ack or c.lost is not None for c in self._conns):
                return
            await asyncio.sleep(0.005)

    async def _close_all(self) -> None:
        timeout = self.settings.close_timeout
        open_ = [c for c in self._conns if not c.closing]
        for conn in open_:
            conn.closing = True
        await asyncio.gather(*(c.client.close(timeout) for c in open_), return_exceptions=True)

    # -- measuring ---------------------------------------------------------------------------

    async def _sample(self) -> None:
        ticks = bucket_ticks(self.settings.duration)
        i = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            self._fold()
            i += 1
            if i % ticks == 0:
                self._close_bucket()
            if self._on_progress is not None:
                self._on_progress(self.progress())

    def _fold(self) -> None:
        for latency in self.latencies.values():
            latency.fold()

    def _close_bucket(self) -> None:
        sent = self.counts.sent - self._sent_before_bucket
        self._sent_before_bucket = self.counts.sent
        ack = self.latencies["ack"].take_interval()
        fill = self.latencies["fill"].take_interval()
        if ack.samples:
            self._recent_p99 = ack.p99
        elapsed = max(0, now_ns() - self._start) / _NS
        self.timeline.append(TimelinePoint(round(elapsed, 3), sent, ack, fill))

    def _tally(self) -> None:
        """Bring the counts up to date with the connections' correlators."""
        c, every = self.counts, [conn.orders for conn in self._conns]
        c.acked = sum(o.acked for o in every)
        c.filled = sum(o.filled for o in every)
        c.ended = sum(o.ended for o in every)
        c.rejected = sum(o.rejected for o in every)
        c.refused = self._refused_here + sum(o.refused for o in every)
        c.reasons = self._own_reasons + sum((o.reasons for o in every), Counter[str]())
        self._last_ack = max([self._last_ack, *(o.last_ack for o in every)])

    def progress(self) -> Progress:
        self._tally()
        c = self.counts
        elapsed = max(0, now_ns() - self._start) / _NS
        return Progress(
            elapsed, self.settings.duration, c.sent, c.acked, c.filled, c.errors, self._recent_p99
        )

    def _result(self) -> RunResult:
        self._fold()
        if self._start:
            self._close_bucket()
        self._tally()
        self.counts.unanswered = sum(c.orders.unanswered() for c in self._conns)
        return RunResult(
            self.counts,
            self.latencies,
            self.timeline,
            self._start,
            now_ns(),
            self._last_send,
            self._last_ack,
            time.process_time() - self._cpu_start,
        )


def throughput(result: RunResult, duration: float) -> tuple[float, float]:
    """(acked orders/s, offered orders/s): counts over the send window, or over the time the
    answers took when that was longer (a host that fell behind)."""
    if not result.start_ns:
        return 0.0, 0.0
    acked_window = max(duration, (result.last_ack_ns - result.start_ns) / _NS)
    sent_window = max(duration, (result.last_send_ns - result.start_ns) / _NS)
    return result.counts.acked / acked_window, result.counts.sent / sent_window
