"""Injector: the single producer of ring[in] until the gateway lands (bench, tests, admin setup).

Contract. Commands are published as 128-byte records (``engine.records``); slot sequence ``s``
is command ``seq_no = base_seq + s + 1``, and the injector stamps that seq_no into each record
(a record that already carries another non-zero seq_no is a caller bug: ValueError). With
``stamp_ts`` it also stamps ``ts`` with ``time.monotonic_ns()`` at publication: the latency probe
of the benchmark (ts is journaled and appears in Fill events, so determinism runs keep it off).
A full ring makes ``publish`` wait (backpressure, nothing dropped); ``try_publish`` never waits.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from disruptor import RingBuffer
from engine.domain.types import Command
from engine.records import RECORD_SIZE, encode_command_into
from engine.ring_rows import write_records

Records = npt.NDArray[np.uint8]


def encode_records(commands: Sequence[Command]) -> Records:
    """``commands`` as an ``(n, 128)`` uint8 array of command records."""
    out = bytearray(RECORD_SIZE * len(commands))
    for index, cmd in enumerate(commands):
        encode_command_into(out, index * RECORD_SIZE, cmd)
    return np.frombuffer(out, dtype=np.uint8).reshape(len(commands), RECORD_SIZE).copy()


class Injector:
    """Publishes command records into ring[in]; one per ring (single writer)."""

    def __init__(self, ring: RingBuffer, base_seq: int = 0, *, stamp_ts: bool = False) -> None:
        if ring.slot_size != RECORD_SIZE:
            raise ValueError(f"ring[in] slots are {ring.slot_size} bytes, not {RECORD_SIZE}")
        self._ring = ring
        self._seqr = ring.sequencer()
        self._words = ring.slots.view("<i8")  # (capacity, 16): word 1 = seq_no, word 2 = ts
        self._base = base_seq
        self.stamp_ts = stamp_ts

    @property
    def last_seq_no(self) -> int:
        """seq_no of the last command published (base_seq when none)."""
        return self._base + self._ring.cursor.get() + 1

    def publish(self, records: Records) -> int:
        """Publish every record, waiting while the ring is full; returns the last seq_no."""
        done = 0
        total = len(records)
        step = max(1, self._ring.capacity // 4)  # leave room so consumers overlap with us
        while done < total:
            n = min(step, total - done)
            hi = self._seqr.next(n)
            self._write(records[done : done + n], hi - n + 1, hi)
            done += n
        return self.last_seq_no

    def try_publish(self, records: Records) -> int:
        """Publish as many leading records as fit now, without waiting; returns how many."""
        n = min(len(records), self._seqr.remaining_capacity())
        if n <= 0:
            return 0
        hi = self._seqr.next(n)
        self._write(records[:n], hi - n + 1, hi)
        return n

    def submit(self, commands: Sequence[Command]) -> int:
        """Encode and publish ``commands`` (waiting when full); returns the last seq_no."""
        return self.publish(encode_records(commands))

    def _write(self, records: Records, lo: int, hi: int) -> None:
        first = self._base + lo + 1
        bad = write_records(self._ring.slots, records, self._ring.chunks(lo, hi), first)
        if bad >= 0:
            given = int(records[bad].view("<i8")[1])
            raise ValueError(
                f"record {bad} carries seq_no {given}, its slot is seq_no {first + bad}"
            )
        words = self._words
        if self.stamp_ts:
            now = time.monotonic_ns()
            for start, stop in self._ring.chunks(lo, hi):
                words[start:stop, 2] = now
        # Payload stores above precede the cursor store in publish (x86-64 TSO).
        self._seqr.publish(hi)
