"""EventOutbox: a stage's encoded events on their way into its out ring, and its watermark.

A stage that handles commands (a matcher shard, the fused core) encodes each command's events
into one buffer per batch, then publishes them into its out ring as space allows. Downstream
stages read the stage's *watermark* (a ring[risk] sequence) as "every event of every command
through here is in the out ring", so the order is fixed: events first, then the watermark, and
the watermark never passes a command whose events are not wholly out. This module owns that
rule once; the stage only stores the watermark where its readers look and signals them.

The watermark returned by :meth:`flush` is ``through`` (the last ring[risk] sequence handled)
when everything is out, else the sequence just below the first command not wholly out.
Complexity: ``add`` is O(events); ``flush`` copies at most two contiguous slot runs per claim
and finds the open command with one bisection.
"""

from __future__ import annotations

import bisect

import numpy as np

from disruptor import RingBuffer, SingleProducerSequencer
from engine.domain.types import Event
from engine.event_records import EVENT_RECORD_SIZE
from engine.stages.event_codec import encode_events_into


class EventOutbox:
    """Buffered event records for one out ring (single writer: the owning stage)."""

    __slots__ = ("_buf", "_end_slots", "_ends", "_flushed", "_out", "_seqr", "through")

    def __init__(self, out: RingBuffer, sequencer: SingleProducerSequencer, through: int) -> None:
        self._out, self._seqr = out, sequencer
        self._buf = bytearray()  # encoded events not yet in the out ring
        self._flushed = 0  # records of _buf already published
        self._ends: list[int] = []  # per command with events: records of _buf through them
        self._end_slots: list[int] = []  # ... and its ring[risk] sequence
        #: the last ring[risk] sequence the stage has handled (set by the stage per batch)
        self.through = through

    @property
    def pending(self) -> bool:
        """Some buffered events are not in the out ring yet."""
        return self._flushed < len(self._buf) // EVENT_RECORD_SIZE

    def has_space(self) -> bool:
        return self._seqr.remaining_capacity() > 0

    def add(self, seq_no: int, events: list[Event], slot: int) -> None:
        """Buffer ``events`` of command ``seq_no``, whose ring[risk] sequence is ``slot``."""
        buf = self._buf
        encode_events_into(buf, seq_no, events)
        self._ends.append(len(buf) // EVENT_RECORD_SIZE)
        self._end_slots.append(slot)

    def flush(self) -> tuple[int, int]:
        """Publish what fits now; returns (records moved, the watermark to publish)."""
        total = len(self._buf) // EVENT_RECORD_SIZE
        done = self._flushed
        out, seqr = self._out, self._seqr
        while done < total:
            n = min(total - done, seqr.remaining_capacity())
            if n <= 0:
                break
            hi = seqr.next(n)
            src = np.frombuffer(self._buf, dtype=np.uint8).reshape(total, EVENT_RECORD_SIZE)
            at = done
            for start, stop in out.chunks(hi - n + 1, hi):
                out.slots[start:stop] = src[at : at + stop - start]
                at += stop - start
            del src  # release the export of _buf before it may be resized
            seqr.publish(hi)  # events first ... (the caller publishes the watermark after)
            done += n
        moved = done - self._flushed
        self._flushed = done
        if done == total:
            self._buf.clear()
            self._flushed = 0
            self._ends.clear()
            self._end_slots.clear()
            return moved, self.through
        # The first command not wholly out holds the watermark just below its slot.
        first_open = bisect.bisect_right(self._ends, done)
        return moved, self._end_slots[first_open] - 1
