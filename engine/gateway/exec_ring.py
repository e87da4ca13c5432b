"""The exec ring: routed reports from the publisher process to the gateway process.

One ring of 128-byte slots, one writer (the publisher process, through
:class:`ExecRingWriter`, the sink of its ``ReportRouter``) and one consumer (the gateway
process, :class:`ExecRingReader`, consumer index 0). A slot is the event record of
``engine.event_records`` with the report's address (``engine.gateway.router``) in bytes that
layout leaves zero::

     offset  size  field
     0       108   the event record (kind, e1, e2, sub_seq, seq_no, i1..i6, texts)
     108     4     session  u32, the session the report answers (0: none)
     112     1     owner    u8, 1: also the sessions of the firm that owns the event's account
     113     15    (zero)

One report, one slot, however many sessions it reaches: the gateway resolves the address
against the sessions logged in when it delivers. Writing waits while the ring is full
(nothing is dropped); the gateway drains it promptly and never blocks on a client for it (a
client that does not read is disconnected instead, see ``engine.gateway.server``).
"""

from __future__ import annotations

import struct
from typing import Final

import numpy as np

from disruptor import RingBuffer
from engine.event_records import EVENT_RECORD_SIZE
from engine.gateway.router import Report
from engine.stages.event_codec import ENCODERS, FastEventDecoder

SESSION_OFFSET: Final = 108
OWNER_OFFSET: Final = 112
_ADDRESS = struct.Struct("<IB")
EXEC_SLOT_SIZE: Final = EVENT_RECORD_SIZE
#: The exec ring has one consumer: the gateway.
EXEC_CONSUMERS: Final = 1


def create_exec_ring(name: str, capacity: int) -> RingBuffer:
    """Create the exec ring (the supervisor's job: it owns every segment)."""
    return RingBuffer.create(name, capacity, EXEC_SLOT_SIZE, EXEC_CONSUMERS)


def encode_reports(reports: list[Report]) -> bytearray:
    """``reports`` as back-to-back exec slots."""
    out = bytearray(EXEC_SLOT_SIZE * len(reports))
    encoders = ENCODERS  # the compiled codec: this runs per report in the publisher
    for index, (session, owner, seq_no, sub, event) in enumerate(reports):
        offset = index * EXEC_SLOT_SIZE
        encoders[event.__class__](out, offset, seq_no, sub, event)
        _ADDRESS.pack_into(out, offset + SESSION_OFFSET, session, owner)
    return out


class ExecRingWriter:
    """The producer side; a ``ReportSink`` (call it with a command's reports)."""

    def __init__(self, ring: RingBuffer) -> None:
        if ring.slot_size != EXEC_SLOT_SIZE:
            raise ValueError(f"exec ring slots are {ring.slot_size} bytes, not {EXEC_SLOT_SIZE}")
        self._ring = ring
        self._seqr = ring.sequencer()
        self._step = max(1, ring.capacity // 2)

    def __call__(self, reports: list[Report]) -> None:
        rows = np.frombuffer(encode_reports(reports), dtype=np.uint8).reshape(-1, EXEC_SLOT_SIZE)
        slots = self._ring.slots
        done = 0
        while done < len(rows):
            n = min(self._step, len(rows) - done)
            hi = self._seqr.next(n)  # waits while the gateway has not freed the slots
            for start, stop in self._ring.chunks(hi - n + 1, hi):
                slots[start:stop] = rows[done : done + stop - start]
                done += stop - start
            # The slot stores above precede the cursor store in publish (x86-64 TSO).
            self._seqr.publish(hi)


class ExecRingReader:
    """The consumer side: decode every available slot into reports."""

    def __init__(self, ring: RingBuffer, consumer: int = 0) -> None:
        self._ring = ring
        self._barrier = ring.barrier(consumer)
        self._sequence = ring.consumer_sequence(consumer)
        self._decoder = FastEventDecoder()  # the slots are ours: written by encode_reports

    def poll(self) -> list[Report]:
        """Every report available now (possibly none), without waiting."""
        return self._take(self._barrier.available())

    def wait_available(self) -> int:
        """Block until at least one report is available; returns the highest available
        sequence without taking anything (so a waiting thread can hand the taking to another,
        e.g. the gateway's event loop). Raises ``disruptor.AlertException`` after :meth:`stop`
        or a ring-wide alert."""
        return self._barrier.wait_for(self._sequence.get() + 1)

    def stop(self) -> None:
        """Wake and stop a :meth:`wait_available` in another thread (this consumer only)."""
        self._barrier.alert()

    def _take(self, hi: int) -> list[Report]:
        lo = self._sequence.get() + 1
        if hi < lo:
            return []
        reports: list[Report] = []
        for start, stop in self._ring.chunks(lo, hi):
            rows = self._ring.slots[start:stop]
            sessions = rows[:, SESSION_OFFSET : SESSION_OFFSET + 4].copy().view("<u4")[:, 0]
            owners = (rows[:, OWNER_OFFSET] != 0).tolist()
            decoded = self._decoder.decode_many(rows.tobytes())
            reports.extend(
                (session, owner, seq, sub, event)
                for session, owner, (seq, sub, event) in zip(
                    sessions.tolist(), owners, decoded, strict=True
                )
            )
        # Copied out: the writer may reuse the slots from here on.
        self._sequence.set(hi)
        self._ring.board.signal()
        return reports
