"""Where an order's time goes: one latency histogram per hop of its path, in shared memory.

Every command carries ``ts``, the wall-clock time its gateway put it into ring[in]
(``engine.gateway.server``). The stages on an order's way to its answer count, each time they
finish a batch, how old each command of the batch is then:

=========  ==========================  ==================================================
hop        counted by                  what the value is
=========  ==========================  ==================================================
ENTERED    the gateway                 from a read's bytes in hand to its orders in
                                       ring[in] (parse, validate, authorize, claim)
DURABLE    the journaler               ts -> its batch is on stable storage (the write,
                                       the fdatasync, the durable checkpoint)
MATCHED    the core (fused) or the     ts -> its events are in ring[events] (or wait
           publisher (sharded)         in its buffer while ring[events] is full)
ANSWERED   the gateway                 ts -> its reports were handed to the sessions'
                                       sockets
=========  ==========================  ==================================================

So ANSWERED less DURABLE is what matching and the way back cost, DURABLE what the journal costs,
and a client's own measure (``sequex loadgen``) less ANSWERED less ENTERED is the sockets and
the client itself. Each command is counted once per hop, so the percentiles are per order, as a
client's are (ENTERED counts every order of a read at that read's time). Nothing here decides
an outcome: the wall clock is read only to observe.

Layout: segment ``<prefix>hops`` (created beside the rings by ``engine.topology.Rings``, so the
prefix's claim and sweep cover it), one row of :data:`BUCKETS` int64 counters per hop. Each hop
has one writer (its stage's process, one thread), which adds to its counters with plain
aligned 8-byte stores (a batch of more than a few commands at once, through numpy); readers
copy the rows at any time (``sequex latency``). Buckets are log-linear: exact below 32 ns,
then 16 per power of two, so a bucket's width is at most 1/16 of its values (a quantile is
quoted as its bucket's upper bound: at most 6.25% high), up to 2**40 ns (about 18 minutes;
anything longer counts in the last bucket).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from disruptor import RingBuffer, shm

__all__ = [
    "BUCKETS",
    "HOPS",
    "Hop",
    "HopBoard",
    "attach_if_present",
    "bucket_bounds",
    "bucket_indexes",
    "bucket_of",
    "column_stamps",
    "quantile",
    "ring_stamps",
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
#: batches of at most this many stamps are counted one by one
_FEW: Final = 8


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


def bucket_indexes(values: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """:func:`bucket_of` of every value, vectorised."""
    v = np.maximum(values.astype(np.int64, copy=False), 0)
    # bit_length - 1 of each value >= 1; frexp is exact for integers below 2**53, and anything
    # of 2**40 or more lands in the last bucket whatever its exponent
    exponent = np.frexp(np.maximum(v, 1).astype(np.float64))[1].astype(np.int64)
    shift = np.maximum(exponent - _SUB_BITS - 1, 0)
    index = _SUB * (shift + 1) + (v >> shift) - _SUB
    index = np.where(v < _LINEAR, v, index)
    return np.minimum(index, BUCKETS - 1).astype(np.intp)


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
        #: the same counters as a (hops, BUCKETS) array, for adding a batch's counts at once
        self._rows: npt.NDArray[np.int64] | None = np.frombuffer(
            self._counters, dtype=np.int64
        ).reshape(len(Hop), BUCKETS)
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

    def record_stamps(self, hop: Hop, stamps: npt.NDArray[np.int64]) -> None:
        """Count the age of each command whose ts is in ``stamps``, now (one writer)."""
        now = time.time_ns()
        if len(stamps) <= _FEW:  # a bincount costs more than a few single adds
            for ts in stamps.tolist():
                self.record_value(hop, now - ts)
            return
        added = np.bincount(bucket_indexes(now - stamps), minlength=BUCKETS)
        rows = self._rows
        assert rows is not None, "an open board"
        rows[hop] += added

    def counts(self) -> npt.NDArray[np.int64]:
        """A copy of every counter: shape (hops, BUCKETS)."""
        assert self._rows is not None, "an open board"
        return self._rows.copy()

    def close(self) -> None:
        """Release this handle; the owner also unlinks the segment."""
        if self._closed:
            return
        self._closed = True
        self._rows = None  # numpy's export of the counters ends with it
        self._counters.release()
        if self.is_owner:
            shm.unlink_segment(self._segment)
        shm.close_segment(self._segment)


def column_stamps(rows: npt.NDArray[np.uint8], offset: int) -> npt.NDArray[np.int64]:
    """The little-endian int64 at byte ``offset`` of every record of ``rows`` (a copy)."""
    return rows[:, offset : offset + 8].copy().view("<i8").ravel()


def ring_stamps(ring: RingBuffer, lo: int, hi: int, offset: int) -> npt.NDArray[np.int64]:
    """The int64 at byte ``offset`` of the records of sequences ``lo..hi`` of ``ring``, copied
    out (read them before the sequence that frees their slots moves)."""
    parts = [column_stamps(ring.slots[a:b], offset) for a, b in ring.chunks(lo, hi)]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def attach_if_present(name: str) -> HopBoard | None:
    """The board ``name``, or None where no host made one (a stage built without
    ``engine.topology.Rings``, as some tests and benchmarks do)."""
    try:
        return HopBoard.attach(name)
    except FileNotFoundError:
        return None
