"""The gateway's place on ring[events]: every command's reports, decoded and addressed.

The gateway is a reader of the merged canonical event stream like any other (its row in
``engine.topology.STAGES``). Of each batch it decodes only the records of the kinds that are
ever routed (execution reports and administration results; the book events are market
data's), groups them by command, and addresses them with the stateless rules of
``engine.gateway.router`` from the events and the command's ``origin`` (the session that sent
it, carried in every record's header: `engine.event_codec`). A command whose events span two
polls keeps its report numbering (``sub``) across them.

It reads on from where its sequence stands when it starts: until then its host stood in for it
(``engine.topology.stand_in``: its sequence followed the cursor; no session could be owed
those reports, none had logged in), and does again once it stops.

:meth:`poll` never waits; :meth:`wait_available` blocks on the ring's semaphore (the report
pump's thread does that) and :meth:`stop` wakes it. Records are copied out before the
sequence moves, so the producer may reuse the slots at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from disruptor import RingBuffer
from engine.domain.types import Event
from engine.event_codec import ORIGIN_OFFSET, EventReader
from engine.event_records import EVENT_CLASSES
from engine.gateway.router import ROUTED_EVENTS, Report, ReportRouter

_ROUTED_KINDS = np.zeros(256, dtype=np.bool_)
_ROUTED_KINDS[[i + 1 for i, cls in enumerate(EVENT_CLASSES) if cls in ROUTED_EVENTS]] = True


def _collect(reports: list[Report]) -> None:
    raise AssertionError("EventsReader resolves addresses itself")  # pragma: no cover


class EventsReader:
    """Consumer ``consumer`` of ring[events], in the gateway process."""

    def __init__(self, ring: RingBuffer, consumer: int) -> None:
        self._ring = ring
        self._barrier = ring.barrier(consumer)
        self._sequence = ring.consumer_sequence(consumer)
        self._decoder = EventReader()
        self._router = ReportRouter(_collect)
        #: the last command seen and how many of its routed events came before this batch
        self._carry: tuple[int, int] = (-1, 0)

    def poll(self) -> list[Report]:
        """Every report available now (possibly none), without waiting."""
        lo = self._sequence.get() + 1
        hi = self._barrier.available()
        if hi < lo:
            return []
        reports: list[Report] = []
        for start, stop in self._ring.chunks(lo, hi):
            rows = self._ring.slots[start:stop]
            keep = np.flatnonzero(_ROUTED_KINDS[rows[:, 0]])
            if len(keep):
                reports.extend(self._address(rows[keep]))
        # Copied out: the writer may reuse the slots from here on.
        self._sequence.set(hi)
        self._ring.board.signal()
        return reports

    def _address(self, rows: np.ndarray[Any, np.dtype[np.uint8]]) -> list[Report]:
        origins = rows[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4].copy().view("<u4")[:, 0].tolist()
        decoded = self._decoder.decode_rows(rows)
        out: list[Report] = []
        group: list[Event] = []
        seq_no, before = self._carry
        origin = 0
        for (seq, _sub, event), command_origin in zip(decoded, origins, strict=True):
            if seq != seq_no:
                out.extend(self._resolve(origin, seq_no, group, before))
                seq_no, before, group, origin = seq, 0, [], command_origin
            origin = command_origin
            group.append(event)
        out.extend(self._resolve(origin, seq_no, group, before))
        self._carry = (seq_no, before + len(group))
        return out

    def _resolve(self, origin: int, seq_no: int, events: list[Event], before: int) -> list[Report]:
        if not events:
            return []
        resolved = self._router.resolve(origin, seq_no, events)
        return [(s, owner, q, sub + before, e) for s, owner, q, sub, e in resolved]

    def wait_available(self) -> int:
        """Block until at least one record is available; returns the highest available
        sequence without taking anything. Raises ``disruptor.AlertException`` after
        :meth:`stop` or a ring-wide alert."""
        return self._barrier.wait_for(self._sequence.get() + 1)

    def stop(self) -> None:
        """Wake and stop a :meth:`wait_available` in another thread (this reader only)."""
        self._barrier.alert()
