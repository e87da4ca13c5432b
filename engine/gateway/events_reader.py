"""The gateway's place on ring[events]: every command's reports, decoded and addressed.

The gateway is a reader of the merged canonical event stream like any other (its row in
``engine.topology.STAGES``). Of each batch it decodes only the records of the kinds that are
ever routed (execution reports and administration results; the book events are market
data's) and groups them by command, with the command's ``origin`` (the session that sent it,
carried in every record's header: `engine.event_codec`): a :class:`ReportBatch`. A command
whose events span two polls keeps its report numbering (``sub``) across them. The batch keeps
the records too (the named JSON sessions' stores copy them as they are:
``engine.gateway.json_stores``), and addresses the events with the stateless rules of
``engine.gateway.router`` only for who asks (the JSON sessions' directory): the configured
sessions' ledger (``engine.gateway.ledger_feed``) takes the commands as grouped here.

It reads on from where its sequence stands when it starts: until then its host stood in for it
(``engine.topology.stand_in``: its sequence followed the cursor; no session could be owed
those reports, none had logged in), and does again once it stops.

:meth:`poll` never waits. An event loop waits on the reader's doorbell
(:meth:`doorbell`, :meth:`arm`, :meth:`disarm`: the report pump does that); a thread may block
on the ring's semaphore in :meth:`wait_available`, which :meth:`stop` wakes. Records are copied
out before the sequence moves, so the producer may reuse the slots at once.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from disruptor import Doorbell, RingBuffer
from engine.domain.types import Event
from engine.event_codec import EventReader
from engine.event_records import EVENT_CLASSES, EVENT_RECORD_SIZE
from engine.gateway.router import ROUTED_EVENTS, Report, address

_ROUTED_KINDS = np.zeros(256, dtype=np.bool_)
_ROUTED_KINDS[[i + 1 for i, cls in enumerate(EVENT_CLASSES) if cls in ROUTED_EVENTS]] = True
_NO_ROWS: np.ndarray[Any, np.dtype[np.uint8]] = np.zeros((0, EVENT_RECORD_SIZE), dtype=np.uint8)

#: One command's reports in a batch: ``(seq_no, origin, [(sub, event), ...], row)``, ``row``
#: the index in :attr:`ReportBatch.rows` of the first one's record.
CommandReports = tuple[int, int, list[tuple[int, Event]], int]


class ReportBatch:
    """What one :meth:`EventsReader.poll` took: the routed records, grouped by command.

    * :attr:`commands`: every command's routed events in seq order, each once per batch
      (:data:`CommandReports`; ``sub`` numbers a command's routed events from 0, on across
      polls when its events span two);
    * :attr:`rows`: their records, copied out of the ring, one row per event in the order of
      :attr:`commands`, each with its ``sub`` written over the canonical sub_seq (bytes 4-7;
      the header words ``origin`` and ``command_ts`` are left as the ring had them);
    * :meth:`reports`: the same events addressed (``engine.gateway.router``), as the JSON
      sessions' directory takes them; built only when asked for.
    """

    __slots__ = ("commands", "rows")

    def __init__(
        self, commands: list[CommandReports], rows: np.ndarray[Any, np.dtype[np.uint8]]
    ) -> None:
        self.commands = commands
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def reports(self) -> list[Report]:
        """Every event with its address, in order (what ``ReportRouter.resolve`` makes of
        each command's events, numbered as here)."""
        out: list[Report] = []
        for seq_no, origin, events, _ in self.commands:
            for sub, event in events:
                where = address(origin, event)
                if where is not None:
                    out.append((where[0], where[1], seq_no, sub, event))
        return out


EMPTY: Final = ReportBatch([], _NO_ROWS)


class EventsReader:
    """Consumer ``consumer`` of ring[events], in the gateway process."""

    def __init__(self, ring: RingBuffer, consumer: int) -> None:
        self._ring = ring
        self._barrier = ring.barrier(consumer)
        self._sequence = ring.consumer_sequence(consumer)
        self._waiter = 1 + consumer  # the ring's waiter index of this consumer
        self._decoder = EventReader()
        #: the last command seen and the number of its next routed event
        self._carry: tuple[int, int] = (-1, 0)

    def poll(self) -> ReportBatch:
        """Every report available now (possibly none), without waiting."""
        lo = self._sequence.get() + 1
        hi = self._barrier.available()
        if hi < lo:
            return EMPTY
        parts: list[np.ndarray[Any, np.dtype[np.uint8]]] = []
        for start, stop in self._ring.chunks(lo, hi):
            rows = self._ring.slots[start:stop]
            keep = np.flatnonzero(_ROUTED_KINDS[rows[:, 0]])
            if len(keep):
                parts.append(rows[keep])  # a copy (fancy indexing)
        # Copied out: the writer may reuse the slots from here on.
        self._sequence.set(hi)
        self._ring.board.signal()
        if not parts:
            return EMPTY
        rows = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return ReportBatch(self._group(rows), rows)

    def _group(self, rows: np.ndarray[Any, np.dtype[np.uint8]]) -> list[CommandReports]:
        """Group ``rows`` by command and number each command's events (see
        :class:`ReportBatch`; compiled: ``EventReader.decode_commands``); writes the numbers
        into ``rows``."""
        seq_no, sub = self._carry
        commands, seq_no, sub = self._decoder.decode_commands(rows, seq_no, sub)
        self._carry = (seq_no, sub)
        return commands

    def has_available(self) -> bool:
        """True if :meth:`poll` would take something now."""
        return self._barrier.available() > self._sequence.get()

    def doorbell(self) -> Doorbell:
        """This reader's doorbell, to watch in an event loop (one listener at a time)."""
        return Doorbell(self._ring.doorbell_name(self._waiter))

    def arm(self) -> None:
        """Declare a wait on the doorbell: from here on the producer rings it when it
        publishes. Check :meth:`has_available` after arming, before waiting."""
        self._ring.board.begin_wait(self._waiter, bell=True)

    def disarm(self) -> None:
        """End the wait declared by :meth:`arm` (woken, or found work on the re-check)."""
        self._ring.board.end_wait(self._waiter)

    def is_alerted(self) -> bool:
        """True after :meth:`stop` or a ring-wide alert."""
        return self._barrier.is_alerted()

    def wait_available(self) -> int:
        """Block until at least one record is available; returns the highest available
        sequence without taking anything. Raises ``disruptor.AlertException`` after
        :meth:`stop` or a ring-wide alert."""
        return self._barrier.wait_for(self._sequence.get() + 1)

    def stop(self) -> None:
        """Wake and stop a :meth:`wait_available` in another thread (this reader only)."""
        self._barrier.alert()
