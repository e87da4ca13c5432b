"""The publisher (sharded topology): merges ring[risk] and ring[out_k] into ring[events].

Contract. A consumer of ring[risk] behind every matcher (so a slot is taken only once every
matcher has passed it: their consumer sequences are the watermarks), and of every ring[out_k],
which it drains on every poll into local buffers (bounded by one ring[risk] capacity of
commands) so matchers never stall on it. For each command, in seq order, the events are: the
risk stage's one event (in the slot) or the events of command seq_no at the head of the target
shard's buffer. That is the canonical order (seq_no, sub_seq), independent of the shard count.
The records are copied as they are (no decoding), stamped with the command's origin and ts
(`engine.event_codec`: the header words of ring[events]), and published into ring[events]; the
ring[events] watermark (reserved slot 0) then moves past the commands whose events are all
out, exactly as the fused core does (`engine.stages.outbox`); and, as the core does, it counts
the age of each command of a batch (hop MATCHED of ``engine.hop_board``).

Merging is vectorised per batch: each shard's pending records carry their seq_no, so one
``searchsorted`` per shard finds how many events each command of the batch has there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from disruptor import AlertException, RingBuffer
from engine.event_codec import ORIGIN_OFFSET as EVENT_ORIGIN
from engine.event_codec import TS_OFFSET as EVENT_TS
from engine.event_records import EVENT_RECORD_SIZE
from engine.hop_board import Hop, HopBoard, ring_stamps
from engine.records import ORIGIN_OFFSET, RECORD_SIZE, TS_OFFSET
from engine.stages.outbox import EventOutbox
from engine.stages.slots import HAS_EVENT_OFFSET, TARGET_OFFSET
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park
from engine.wiring import Input

#: The reserved consumer slot of ring[events] that holds the watermark (engine.topology).
WATERMARK = 0

Rows = np.ndarray[Any, np.dtype[np.uint8]]


class _Pending:
    """One shard's drained event records not yet merged, with their seq_nos."""

    __slots__ = ("records", "seqs")

    def __init__(self) -> None:
        self.records: Rows = np.zeros((0, EVENT_RECORD_SIZE), dtype=np.uint8)
        self.seqs: np.ndarray[Any, np.dtype[np.int64]] = np.zeros(0, dtype=np.int64)

    def extend(self, rows: Rows) -> None:
        rows = rows.copy()
        self.records = np.concatenate((self.records, rows)) if len(self.records) else rows
        seqs = rows.view("<i8")[:, 1]
        self.seqs = np.concatenate((self.seqs, seqs)) if len(self.seqs) else seqs.copy()

    def take(self, count: int) -> Rows:
        taken = self.records[:count]
        self.records = self.records[count:]
        self.seqs = self.seqs[count:]
        return taken


class PublisherAgent(PollingStage):
    """The merging reader of ring[risk] and every ring[out_k]; producer of ring[events]."""

    def __init__(
        self,
        ring_risk: RingBuffer,
        risk_input: Input,
        outs: list[RingBuffer],
        out_consumers: Sequence[int],
        ring_events: RingBuffer,
        events_gating: Sequence[int],
        *,
        max_batch: int = 4096,
        hops: HopBoard | None = None,
    ) -> None:
        #: where the age of every command is counted, its events out (engine.hop_board)
        self._hops = hops
        self._risk_ring, self._outs, self._events = ring_risk, outs, ring_events
        self._risk_waiter = 1 + risk_input.consumer
        self._barrier = ring_risk.barrier(risk_input.consumer, depends_on=risk_input.after)
        self._sequence = ring_risk.consumer_sequence(risk_input.consumer)
        self._signal = self._barrier.wait_strategy.signal_all_when_blocking
        self._out_seqs = [o.consumer_sequence(c) for o, c in zip(outs, out_consumers, strict=True)]
        self._pending = [_Pending() for _ in outs]
        self._max_batch = max_batch
        self._watermark = ring_events.consumer_sequence(WATERMARK)
        self._outbox = EventOutbox(
            ring_events, ring_events.sequencer(gating=events_gating), self._sequence.get()
        )
        self._halt = HaltFlag()

    def _drain(self) -> int:
        drained = 0
        for k, out in enumerate(self._outs):
            seq = self._out_seqs[k]
            lo = seq.get() + 1
            hi = out.cursor.get()
            if hi < lo:
                continue
            for start, stop in out.chunks(lo, hi):
                self._pending[k].extend(out.slots[start:stop])
            seq.set(hi)
            out.board.signal()  # the matcher may be waiting for space
            drained += hi - lo + 1
        return drained

    def poll(self) -> int:
        if self._outbox.pending:
            return self._flush()
        # The watermark first, then the out rings: every event of a command <= the watermark
        # was published before it, so it is then in hand (x86-64 keeps loads in order).
        available = self._barrier.available()
        work = self._drain()
        lo = self._sequence.get() + 1
        hi = min(available, lo + self._max_batch - 1)
        if hi < lo:
            return work
        first = lo
        for start, stop in self._risk_ring.chunks(lo, hi):
            self._merge(self._risk_ring.slots[start:stop], first)
            first += stop - start
        stamps = None if self._hops is None else ring_stamps(self._risk_ring, lo, hi, TS_OFFSET)
        self._sequence.set(hi)
        self._signal()  # the risk stage may wait for space in ring[risk]
        self._outbox.through = hi
        self._flush()
        if self._hops is not None and stamps is not None:
            self._hops.record_stamps(Hop.MATCHED, stamps)
        return work + hi - lo + 1

    def _merge(self, rows: Rows, first: int) -> None:
        """The events of the commands of ``rows`` (ring[risk] slots from sequence ``first``),
        in canonical order, into the outbox."""
        n = len(rows)
        words = rows.view("<i8")
        seq_nos = words[:, 1]
        targets = rows[:, TARGET_OFFSET]
        has_event = rows[:, HAS_EVENT_OFFSET].astype(np.int64)
        counts = np.zeros(n, dtype=np.int64)
        for k, pending in enumerate(self._pending):
            mine = np.flatnonzero(targets == k)
            if not len(mine):
                continue
            queries = seq_nos[mine]
            left = np.searchsorted(pending.seqs, queries, "left")
            right = np.searchsorted(pending.seqs, queries, "right")
            counts[mine] = right - left
        per_command = has_event + counts
        total = int(per_command.sum())
        if total:
            out = np.empty((total, EVENT_RECORD_SIZE), dtype=np.uint8)
            starts = np.cumsum(per_command) - per_command
            risk = np.flatnonzero(has_event)
            out[starts[risk]] = rows[risk, RECORD_SIZE : RECORD_SIZE + EVENT_RECORD_SIZE]
            for k, pending in enumerate(self._pending):
                mine = np.flatnonzero((targets == k) & (counts > 0))
                if not len(mine):
                    continue
                taken = pending.take(int(counts[mine].sum()))
                place = np.repeat(starts[mine] + has_event[mine], counts[mine])
                place += np.arange(len(taken)) - np.repeat(
                    np.cumsum(counts[mine]) - counts[mine], counts[mine]
                )
                out[place] = taken
            origins = rows[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4].copy().view("<u4")[:, 0]
            out[:, EVENT_ORIGIN : EVENT_ORIGIN + 4] = (
                np.repeat(origins, per_command).astype("<u4").view(np.uint8).reshape(-1, 4)
            )
            out[:, EVENT_TS : EVENT_TS + 8] = (
                np.repeat(words[:, 2], per_command).astype("<i8").view(np.uint8).reshape(-1, 8)
            )
        else:
            out = np.zeros((0, EVENT_RECORD_SIZE), dtype=np.uint8)
        with_events = np.flatnonzero(per_command)
        ends = np.cumsum(per_command)[with_events].tolist()
        self._outbox.add_rows(out, ends, (with_events + first).tolist())

    def _flush(self) -> int:
        moved, watermark = self._outbox.flush()
        if watermark > self._watermark.get():
            self._watermark.set(watermark)  # x86-64: the event stores are visible before it
        self._events.board.signal()
        return moved

    def _ready(self) -> bool:
        if self._outbox.pending:
            return self._outbox.has_space()
        if self._barrier.available() > self._sequence.get():
            return True
        return any(
            o.cursor.get() > s.get() for o, s in zip(self._outs, self._out_seqs, strict=True)
        )

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._risk_ring.is_alerted() or self._events.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        # Matchers signal ring[risk] after publishing events (and before blocking on a full out
        # ring), the risk stage after publishing slots: one board covers those wake-ups; while
        # ring[events] is full we wait on its board for its readers.
        if self._outbox.pending:
            park(self._events.board, 0, self._ready, self._check_alert)
        else:
            park(self._risk_ring.board, self._risk_waiter, self._ready, self._check_alert)

    def on_close(self) -> None:
        for ring in (self._risk_ring, *self._outs, self._events):
            ring.close()  # our attached handles (the supervisor owns the segments)
        if self._hops is not None:
            self._hops.close()

    def halt(self) -> None:
        self._halt.halted = True
