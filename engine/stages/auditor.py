"""The auditor: a reader of ring[events] that checks and measures what the host published.

It is what a verification run needs from the canonical event stream, kept off the path the
exchange itself depends on: it reads every record of ring[events] (a consumer of its own), and

* counts events, execution reports (Accepted, Rejected, Fill, Cancelled, Replaced, Expired)
  and market events, from the kind bytes alone;
* with ``output_digest`` (or ``events_path``), turns the records straight into their canonical
  lines (``engine.canonical.lines``, compiled: no event objects) and feeds them to
  ``engine.canonical.OutputDigest`` (and writes them to ``events_path``): the digest a replay
  of the journal prints;
* with ``measure_latency``, records for every command with an execution report now - the
  command's ts (the injector's monotonic stamp, carried in each record's header) in
  microseconds into an HdrHistogram, when it reads the command's first report;
* at close, writes :meth:`summary` as JSON to ``summary_path``; ``commands`` and
  ``last_seq_no`` come from the ring[events] watermark, which covers commands without events.

After a restart the stream resumes at ``base_seq + 1``: the digest and the event file cover the
commands of this run only (``summary()["base_seq"]`` says where they start).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, Any

import numpy as np
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from disruptor import AlertException, RingBuffer
from engine import native
from engine.canonical import OutputDigest
from engine.canonical.lines import EventLines
from engine.event_codec import TS_OFFSET
from engine.stages.waiting import NAPS_BEFORE_PARKING, PollingStage, nap_then_park, park
from engine.stages.waiting import Halt as HaltFlag

LATENCY_MAX_US = 60_000_000
#: how long the auditor sleeps between looks at ring[events] while trading goes on
AUDITOR_NAP_S = 0.002
#: Kind bytes of the execution reports (EVENT_CLASSES 1..6: Accepted .. Expired).
_REPORT_KINDS = (1, 6)
#: The reserved consumer slot of ring[events] that holds the watermark (engine.topology).
WATERMARK = 0


class AuditorAgent(PollingStage):
    """A reader of ring[events]: counts, digest, event file, latency, summary."""

    def __init__(
        self,
        ring_events: RingBuffer,
        consumer: int,
        *,
        summary_path: str | None = None,
        events_path: str | None = None,
        output_digest: bool = True,
        measure_latency: bool = False,
        base_seq: int = 0,
    ) -> None:
        self._ring = ring_events
        self._waiter = 1 + consumer
        self._barrier = ring_events.barrier(consumer)
        self._sequence = ring_events.consumer_sequence(consumer)
        self._watermark = ring_events.consumer_sequence(WATERMARK)
        self._lines = EventLines()
        self.digest = OutputDigest()
        self._digesting = output_digest or events_path is not None
        self._summary_path = summary_path
        self._events_path = events_path
        self._events_file: IO[bytes] | None = None
        self.latency = HdrHistogram(1, LATENCY_MAX_US, 3) if measure_latency else None
        self._last_timed = -1  # the seq_no of the last command whose latency was recorded
        self.event_count = self.exec_reports = 0
        self.base_seq = base_seq
        self._halt = HaltFlag()

    def poll(self) -> int:
        lo = self._sequence.get() + 1
        hi = self._barrier.available()
        if hi < lo:
            return 0
        for start, stop in self._ring.chunks(lo, hi):
            self._audit(self._ring.slots[start:stop])
        self._sequence.set(hi)
        self._ring.board.signal()  # the producer may wait for space
        return hi - lo + 1

    def _audit(self, rows: np.ndarray[Any, np.dtype[np.uint8]]) -> None:
        kinds = rows[:, 0]
        reports = (kinds >= _REPORT_KINDS[0]) & (kinds <= _REPORT_KINDS[1])
        self.event_count += len(rows)
        self.exec_reports += int(reports.sum())
        if self._digesting:
            self._lines.add_records(rows.reshape(-1))
            lines = self._lines.take()
            self.digest.update_bytes(lines, len(rows))
            if self._events_file is not None:
                self._events_file.write(lines)
        if self.latency is not None and reports.any():
            words = rows.view("<i8")
            seqs = words[reports, 1]
            stamps = rows[reports, TS_OFFSET : TS_OFFSET + 8].copy().view("<i8")[:, 0]
            first = np.ones(len(seqs), dtype=bool)
            first[1:] = seqs[1:] != seqs[:-1]
            first[0] = seqs[0] != self._last_timed
            self._last_timed = int(seqs[-1])
            now = time.monotonic_ns()
            for stamp in stamps[first].tolist():
                elapsed = (now - stamp) // 1000
                if 0 <= elapsed < LATENCY_MAX_US:  # else not stamped by our clock
                    self.latency.record_value(max(elapsed, 1))

    def last_seq_no(self) -> int:
        return self.base_seq + self._watermark.get() + 1

    def summary(self) -> dict[str, Any]:
        """What the run published: digest, counts and (if measured) the latency histogram."""
        last = self.last_seq_no()
        out: dict[str, Any] = {
            "build": native.describe(),  # which build the stages ran (benchmarks check it)
            "digest": self.digest.hexdigest() if self._digesting else None,
            "events": self.event_count,
            "commands": last - self.base_seq,
            "base_seq": self.base_seq,
            "last_seq_no": last,
            "exec_reports": self.exec_reports,
            "market_events": self.event_count - self.exec_reports,
        }
        if self.latency is not None:
            out["latency_hdr"] = self.latency.encode().decode("ascii")
        return out

    def _ready(self) -> bool:
        return self._barrier.available() > self._sequence.get()

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._ring.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        if self.latency is not None:  # the benchmark's probe: read each report at once
            park(self._ring.board, self._waiter, self._ready, self._check_alert)
        else:  # not woken by every publish of the core (engine.stages.waiting)
            nap_then_park(
                self._ring.board, self._waiter, self._ready, self._check_alert,
                nap=AUDITOR_NAP_S, naps=NAPS_BEFORE_PARKING,
            )  # fmt: skip

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
        self._ring.close()  # our attached handle (the supervisor owns the segment)

    def halt(self) -> None:
        self._halt.halted = True
