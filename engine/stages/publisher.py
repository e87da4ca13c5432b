"""The publisher: merges ring[risk] and ring[out_k] into the canonical stream, digests, routes.

Contract. Consumer ``shards`` of ring[risk] with a barrier on every matcher (so a slot is
published only once every matcher has passed it: the watermark), and consumer 1 of every
ring[out_k], which it drains on every poll into local buffers (bounded by one ring[risk]
capacity of commands) so matchers never stall on it. For each command, in seq order, the events
are: the risk stage's one event (in the slot) or the events of command seq_no at the head of
the target shard's buffer. That is the canonical order (seq_no, sub_seq), independent of the
shard count. Per command it feeds ``OutputDigest``, optionally writes the canonical lines, hands
execution reports (Accepted, Rejected, Fill, Cancelled, Replaced, Expired) to the ``ExecRouter``
with the command's gateway session (``origin``), and counts order-book events (market data
will consume them). With ``measure_latency`` it records, per command with an execution report,
now - ts (the injector's monotonic stamp) in microseconds into an HdrHistogram after routing.

After a restart the stream resumes at ``base_seq + 1``: the digest and the event file cover the
commands of this run only (``summary()["base_seq"]`` says where they start), so the canonical
stream of the whole history is the recovered replay's through ``base_seq`` followed by these.
"""

from __future__ import annotations

import json
import time
from collections import deque
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from disruptor import AlertException, RingBuffer
from engine.canonical import OutputDigest
from engine.domain.types import (
    EXECUTION_REPORTS,
    Event,
)
from engine.records import RECORD_SIZE
from engine.stages.event_codec import FastEventDecoder
from engine.stages.slots import HAS_EVENT_OFFSET, TARGET_ALL, TARGET_OFFSET
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park

OUT_CONSUMER = 1
LATENCY_MAX_US = 60_000_000


class ExecRouter(Protocol):
    def route(self, origin: int, seq_no: int, events: list[Event]) -> None:
        """Deliver a command's execution reports towards gateway session ``origin``."""


class CountingRouter:
    """Stand-in until the gateway owns the sessions: counts reports per session."""

    def __init__(self) -> None:
        self.reports: dict[int, int] = {}

    def route(self, origin: int, seq_no: int, events: list[Event]) -> None:
        self.reports[origin] = self.reports.get(origin, 0) + len(events)


class PublisherAgent(PollingStage):
    """The last consumer of ring[risk] and of every ring[out_k]."""

    def __init__(
        self,
        ring_risk: RingBuffer,
        outs: list[RingBuffer],
        *,
        router: ExecRouter | None = None,
        routed_kinds: frozenset[type] = EXECUTION_REPORTS,
        summary_path: str | None = None,
        events_path: str | None = None,
        output_digest: bool = True,
        measure_latency: bool = False,
        max_batch: int = 4096,
        base_seq: int = 0,
    ) -> None:
        shards = len(outs)
        self._risk_ring, self._outs = ring_risk, outs
        self._barrier = ring_risk.barrier(shards, depends_on=range(shards))
        self._sequence = ring_risk.consumer_sequence(shards)
        self._signal = self._barrier.wait_strategy.signal_all_when_blocking
        self._out_seqs = [o.consumer_sequence(OUT_CONSUMER) for o in outs]
        #: per shard: (seq_no, that command's events), in seq order
        self._pending: list[deque[tuple[int, list[Event]]]] = [deque() for _ in outs]
        self._decoder = FastEventDecoder()
        self._max_batch = max_batch
        self.router: ExecRouter = router if router is not None else CountingRouter()
        #: the event classes handed to the router: execution reports, plus admin results when
        #: a gateway routes them back to the operator's session
        self._routed_kinds = routed_kinds
        self.digest = OutputDigest()
        #: the canonical digest is a verification device (tests, drills), not an exchange
        #: function: encoding every event as its canonical line is the publisher's main cost
        self._digesting = output_digest or events_path is not None
        self.event_count = 0
        self._summary_path = summary_path
        self._events_path = events_path
        self._events_file: IO[bytes] | None = None
        self.latency = HdrHistogram(1, LATENCY_MAX_US, 3) if measure_latency else None
        self.commands = self.exec_reports = 0
        self.base_seq = base_seq
        self.last_seq_no = base_seq
        self._halt = HaltFlag()

    def _drain(self) -> int:
        drained = 0
        decode = self._decoder.decode_grouped
        for k, out in enumerate(self._outs):
            seq = self._out_seqs[k]
            lo = seq.get() + 1
            hi = out.cursor.get()
            if hi < lo:
                continue
            pending = self._pending[k]
            for start, stop in out.chunks(lo, hi):
                groups = decode(out.slots[start:stop].tobytes())
                if pending and pending[-1][0] == groups[0][0]:
                    pending[-1][1].extend(groups[0][1])  # a command split across two reads
                    del groups[0]
                pending.extend(groups)
            seq.set(hi)
            out.board.signal()  # the matcher may be waiting for space
            drained += hi - lo + 1
        return drained

    def poll(self) -> int:
        # The watermark first, then the out rings: every event of a command <= the watermark
        # was published before it, so it is then in hand (x86-64 keeps loads in order).
        available = self._barrier.available()
        work = self._drain()
        lo = self._sequence.get() + 1
        hi = min(available, lo + self._max_batch - 1)
        if hi < lo:
            return work
        for start, stop in self._risk_ring.chunks(lo, hi):
            self._publish(self._risk_ring.slots[start:stop])
        self._sequence.set(hi)
        self._signal()
        return work + hi - lo + 1

    def _publish(self, rows: np.ndarray[Any, np.dtype[np.uint8]]) -> None:
        targets = rows[:, TARGET_OFFSET].tolist()
        has_event = rows[:, HAS_EVENT_OFFSET]
        words = rows.view("<i8")
        seq_nos = words[:, 1].tolist()
        stamps = words[:, 2].tolist()
        origins = rows[:, 116:120].copy().view("<u4")[:, 0].tolist()
        risk_events = iter(self._decoder.decode_many(rows[has_event == 1, RECORD_SIZE:].tobytes()))
        has = has_event.tolist()
        pending, update = self._pending, self.digest.update
        write = self._events_file.write if self._events_file is not None else None
        route, latency, exec_kinds = self.router.route, self.latency, EXECUTION_REPORTS
        routed_kinds = self._routed_kinds
        digesting = self._digesting
        reports_total = event_count = 0
        for i, seq_no in enumerate(seq_nos):
            events: list[Event] = [next(risk_events)[2]] if has[i] else []
            target = targets[i]
            if target < TARGET_ALL:
                queue = pending[target]
                if queue and queue[0][0] == seq_no:
                    events += queue.popleft()[1]
            if digesting:
                data = update(seq_no, events)
                if write is not None:
                    write(data)
            event_count += len(events)
            reports = [e for e in events if e.__class__ in routed_kinds]
            if reports:
                route(origins[i], seq_no, reports)
                reports_total += sum(e.__class__ in exec_kinds for e in reports)
                if latency is not None:
                    elapsed = (time.monotonic_ns() - stamps[i]) // 1000
                    if 0 <= elapsed < LATENCY_MAX_US:  # else not stamped by our clock
                        latency.record_value(max(elapsed, 1))
        self.exec_reports += reports_total
        self.event_count += event_count
        self.commands += len(seq_nos)
        if seq_nos:
            self.last_seq_no = seq_nos[-1]

    def summary(self) -> dict[str, Any]:
        """What the run published: digest, counts and (if measured) the latency histogram."""
        out: dict[str, Any] = {
            "digest": self.digest.hexdigest() if self._digesting else None,
            "events": self.event_count,
            "commands": self.commands,
            "base_seq": self.base_seq,
            "last_seq_no": self.last_seq_no,
            "exec_reports": self.exec_reports,
            "market_events": self.event_count - self.exec_reports,
        }
        if self.latency is not None:
            out["latency_hdr"] = self.latency.encode().decode("ascii")
        return out

    def _ready(self) -> bool:
        if self._barrier.available() > self._sequence.get():
            return True
        return any(
            o.cursor.get() > s.get() for o, s in zip(self._outs, self._out_seqs, strict=True)
        )

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._risk_ring.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        # Matchers signal ring[risk] after publishing events (and before blocking on a full out
        # ring), the risk stage after publishing slots: one board covers every wake-up we need.
        park(self._risk_ring.board, 1 + len(self._outs), self._ready, self._check_alert)

    def on_start(self) -> None:
        if self._events_path is not None:
            self._events_file = open(self._events_path, "wb")  # noqa: SIM115 - closed in on_close

    def on_close(self) -> None:
        if self._events_file is not None:
            self._events_file.close()
            self._events_file = None
        if self._summary_path is not None:
            tmp = Path(self._summary_path + ".tmp")
            tmp.write_text(json.dumps(self.summary()), encoding="utf-8")
            tmp.replace(self._summary_path)
        for ring in (self._risk_ring, *self._outs):
            ring.close()  # our attached handles (the supervisor owns the segments)

    def halt(self) -> None:
        self._halt.halted = True
