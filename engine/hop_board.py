"""Where an order's time goes: one latency histogram per hop of its path, in shared memory.

Every command carries ``ts``, the wall-clock time its gateway put it into ring[in]
(``engine.gateway.server``). The stages on an order's way to its answer record, once per batch,
how old the batch's *oldest* command is when they are done with it, counted once for every
command of the batch:

=========  ==========================  ==================================================
hop        recorded by                 what the value is
=========  ==========================  ==================================================
ENTERED    the gateway (OUCH, FIX)     from a read's bytes in hand to its orders in
                                       ring[in] (parse, validate, authorize, claim)
DURABLE    the journaler               ts -> its batch is on stable storage (the write,
                                       the fdatasync, the durable checkpoint)
MATCHED    the core (fused) or the     ts -> its events are in ring[events]
           publisher (sharded)
ANSWERED   the gateway                 ts -> its reports were handed to the sessions'
                                       sockets
=========  ==========================  ==================================================

So ANSWERED less DURABLE is what matching and the way back cost, DURABLE what the journal costs,
and a client's own measure (``sequex loadgen``) less ANSWERED less ENTERED is the sockets and
the client itself. A batch's oldest command waited longest, so each command is counted at the
worst age of its batch: an upper bound, exact at low rates (one order a batch), leaning high
under load by at most the time the batch took to gather. Counting every command (not every
batch) keeps the percentiles per order, as a client's are: after a stall, one batch holds
every order that waited through it.
Nothing here decides an outcome: the wall clock is read only to observe.

Layout: segment ``<prefix>hops`` (created beside the rings by ``engine.topology.Rings``, so the
prefix's claim and sweep cover it), one row of :data:`BUCKETS` int64 counters per hop. Each hop
has one writer (its stage's process, one thread), which adds 1 to a counter with a plain
aligned 8-byte store; readers copy the rows at any time (``sequex latency``). Buckets are
log-linear: exact below 32 ns, then 16 per power of two, so a bucket's width is at most 1/16 of
its values (a quantile is quoted as its bucket's upper bound: at most 6.25% high), up to
2**40 ns (about 18 minutes; anything longer counts in the last bucket).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from disruptor import shm

__all__ = [
    "BUCKETS",
    "HOPS",
    "Hop",
    "HopBoard",
    "attach_if_present",
    "bucket_bounds",
    "bucket_of",
    "quantile",
    "stamp_at",
]

#: The segment's name under the host's prefix.
HOPS: Final = "hops"


class Hop(IntEnum):
    ENTERED = 0
    DURABLE = 1
    MATCHED = 2
    ANSWERED = 3


_SUB_BITS: Final = 4
_SUB: Final = 1 << _SUB_BITS  # 16 buckets per power of two
_LINEAR: Final = 2 * _SUB  # values below this have a bucket each
_MAX_BITS: Final = 40
#: Counters per hop: the bucket of the largest value that has its own, plus one.
BUCKETS: Final = _SUB * (_MAX_BITS - _SUB_BITS + 1)
_ROW_BYTES: Final = BUCKETS * 8


def bucket_of(value: int) -> int:
    """The bucket counting ``value`` ns (negative counts as 0, beyond the range as the last)."""
    if value < _LINEAR:
        return value if value > 0 else 0
    shift = value.bit_length() - _SUB_BITS - 1  # value >> shift is in [16, 32)
    index = _SUB * (shift + 1) + (value >> shift) - _SUB
    return index if index < BUCKETS else BUCKETS - 1


def bucket_bounds(index: int) -> tuple[int, int]:
    """The smallest and largest value (ns) that bucket ``index`` counts."""
    if index < _LINEAR:
        return index, index
    shift = index // _SUB - 1
    mantissa = _SUB + index % _SUB
    return mantissa << shift, ((mantissa + 1) << shift) - 1


def quantile(counts: Sequence[int] | npt.NDArray[np.int64], q: float) -> int:
    """The upper bound (ns) of the bucket holding the value of rank ``ceil(q * n)`` (the
    largest value for q = 1), or 0 when nothing was counted."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"a quantile is in [0, 1], got {q}")
    total = int(np.sum(counts))
    if total == 0:
        return 0
    rank = max(1, -int(-q * total // 1))  # ceil, at least the first value
    running = np.cumsum(np.asarray(counts, dtype=np.int64))
    index = int(np.searchsorted(running, rank, "left"))
    return bucket_bounds(index)[1]


class HopBoard:
    """The hop histograms of one host (module contract)."""

    def __init__(self, segment: shm.Segment, *, owner: bool) -> None:
        self._segment = segment
        buf = segment.buf
        assert buf is not None, "a mapped segment"
        self._counters = buf[: len(Hop) * _ROW_BYTES].cast("q")
        self.is_owner = owner
        self._closed = False

    @classmethod
    def create(cls, name: str) -> HopBoard:
        """Create segment ``name`` (exclusively), every counter 0; this handle owns it."""
        return cls(shm.create_segment(name, len(Hop) * _ROW_BYTES), owner=True)

    @classmethod
    def attach(cls, name: str) -> HopBoard:
        return cls(shm.attach_segment(name), owner=False)

    def record(self, hop: Hop, ts: int, count: int = 1) -> None:
        """Count ``count`` commands at ``hop`` as old as one stamped ``ts`` (ns since the
        epoch) is now."""
        self.record_value(hop, time.time_ns() - ts, count)

    def record_value(self, hop: Hop, nanoseconds: int, count: int = 1) -> None:
        """Count ``count`` times ``nanoseconds`` at ``hop`` (the hop's one writer only)."""
        self._counters[hop * BUCKETS + bucket_of(nanoseconds)] += count

    def counts(self) -> npt.NDArray[np.int64]:
        """A copy of every counter: shape (hops, BUCKETS)."""
        rows = np.frombuffer(self._counters, dtype=np.int64).reshape(len(Hop), BUCKETS)
        return rows.copy()

    def close(self) -> None:
        """Release this handle; the owner also unlinks the segment."""
        if self._closed:
            return
        self._closed = True
        self._counters.release()
        if self.is_owner:
            shm.unlink_segment(self._segment)
        shm.close_segment(self._segment)


def stamp_at(record: npt.NDArray[np.uint8] | memoryview, offset: int) -> int:
    """The little-endian int64 at byte ``offset`` of a ring record: a command's ts
    (``engine.records.TS_OFFSET`` in ring[in], ``engine.event_codec.TS_OFFSET`` in
    ring[events])."""
    return int.from_bytes(bytes(record[offset : offset + 8]), "little", signed=True)


def attach_if_present(name: str) -> HopBoard | None:
    """The board ``name``, or None where no host made one (a stage built without
    ``engine.topology.Rings``, as some tests and benchmarks do)."""
    try:
        return HopBoard.attach(name)
    except (FileNotFoundError, OSError):
        return None
