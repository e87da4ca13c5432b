"""EventOutbox: a stage's encoded events on their way into its out ring, and its watermark.

A stage that handles commands (a matcher shard, the fused core) encodes each command's events
into one buffer per batch (`engine.event_codec.write_events`, compiled), then publishes them
into its out ring as space allows. Downstream stages read the stage's *watermark* (a sequence
of the ring the stage consumes) as "every event of every command through here is in the out
ring", so the order is fixed: events first, then the watermark, and the watermark never passes
a command whose events are not wholly out. This module owns that rule once; the stage only
stores the watermark where its readers look and signals them.

The watermark returned by :meth:`flush` is ``through`` (the last input sequence handled) when
everything is out, else the sequence just below the first command not wholly out. The buffer
is kept between batches (it only grows), so a batch costs no reallocation.
Complexity: ``add`` is O(events); ``flush`` copies at most two contiguous slot runs per claim
and finds the open command with one bisection.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

import numpy as np

from disruptor import RingBuffer, SingleProducerSequencer
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.matcher import Matcher
from engine.domain.types import Event
from engine.event_codec import write_events
from engine.event_records import EVENT_RECORD_SIZE
from engine.stages.kernel import match_commands, submit_rows


class EventOutbox:
    """Buffered event records for one out ring (single writer: the owning stage)."""

    __slots__ = ("_buf", "_end", "_end_slots", "_ends", "_flushed", "_out", "_seqr", "through")

    def __init__(self, out: RingBuffer, sequencer: SingleProducerSequencer, through: int) -> None:
        self._out, self._seqr = out, sequencer
        self._buf = bytearray(EVENT_RECORD_SIZE * 4096)  # grows, never shrinks
        self._end = 0  # bytes of _buf holding records not yet published (from 0)
        self._flushed = 0  # records of _buf already published
        self._ends: list[int] = []  # per command with events: records of _buf through them
        self._end_slots: list[int] = []  # ... and its input sequence
        #: the last input sequence the stage has handled (set by the stage per batch)
        self.through = through

    @property
    def pending(self) -> bool:
        """Some buffered events are not in the out ring yet."""
        return self._flushed < self._end // EVENT_RECORD_SIZE

    def has_space(self) -> bool:
        return self._seqr.remaining_capacity() > 0

    def add(
        self, seq_no: int, events: list[Event], slot: int, origin: int = 0, command_ts: int = 0
    ) -> None:
        """Buffer ``events`` of command ``seq_no``, whose input sequence is ``slot``, with the
        command's ``origin`` session and ``command_ts`` in every record."""
        self._end = write_events(self._buf, self._end, seq_no, events, origin, command_ts)
        self._ends.append(self._end // EVENT_RECORD_SIZE)
        self._end_slots.append(slot)

    def submit_rows(
        self, exchange: Exchange, reader: CommandReader, rows: Any, first_slot: int
    ) -> None:
        """Submit the commands of a run of ring[in] slots to ``exchange`` and buffer their
        events (the fused core's batch: `engine.stages.kernel`)."""
        self._end = submit_rows(
            exchange, reader, rows, self._buf, self._end, first_slot, self._ends, self._end_slots
        )

    def match(
        self,
        matcher: Matcher,
        commands: list[Any],
        caps: list[int],
        slots: list[int],
        other: Callable[[Any, int], list[Event]],
    ) -> None:
        """Hand a matcher shard's commands to ``matcher`` and buffer their events (the shard's
        batch: `engine.stages.kernel`)."""
        self._end = match_commands(
            matcher, commands, caps, slots, other, self._buf, self._end, self._ends,
            self._end_slots,
        )  # fmt: skip

    def add_rows(
        self, rows: np.ndarray[Any, np.dtype[np.uint8]], ends: list[int], slots: list[int]
    ) -> None:
        """Buffer ready-made records (``(n, 128)`` uint8): ``ends[i]`` is the number of those
        records through the events of command ``i``, whose input sequence is ``slots[i]``."""
        count = len(rows)
        need = self._end + EVENT_RECORD_SIZE * count
        if len(self._buf) < need:
            self._buf.extend(bytes(max(need, 2 * len(self._buf)) - len(self._buf)))
        base = self._end // EVENT_RECORD_SIZE
        view = np.frombuffer(self._buf, dtype=np.uint8, count=need).reshape(-1, EVENT_RECORD_SIZE)
        view[base:] = rows
        del view  # release the export of _buf before it may be resized
        self._end = need
        self._ends.extend(base + end for end in ends)
        self._end_slots.extend(slots)

    def flush(self) -> tuple[int, int]:
        """Publish what fits now; returns (records moved, the watermark to publish)."""
        total = self._end // EVENT_RECORD_SIZE
        done = self._flushed
        out, seqr = self._out, self._seqr
        if done < total:
            src = np.frombuffer(self._buf, dtype=np.uint8, count=self._end).reshape(
                total, EVENT_RECORD_SIZE
            )
            while done < total:
                n = min(total - done, seqr.remaining_capacity())
                if n <= 0:
                    break
                hi = seqr.next(n)
                at = done
                for start, stop in out.chunks(hi - n + 1, hi):
                    out.slots[start:stop] = src[at : at + stop - start]
                    at += stop - start
                seqr.publish(hi)  # events first ... (the caller publishes the watermark after)
                done += n
            del src  # release the export of _buf before it may be resized
        moved = done - self._flushed
        self._flushed = done
        if done == total:
            self._end = 0
            self._flushed = 0
            self._ends.clear()
            self._end_slots.clear()
            return moved, self.through
        # The first command not wholly out holds the watermark just below its slot.
        first_open = bisect.bisect_right(self._ends, done)
        return moved, self._end_slots[first_open] - 1
